/*
 * xenbell PVH entry: 32-bit protected mode -> long mode -> Rust.
 *
 * Pulled into the kernel by src/arch/x86_64/boot.rs with
 * global_asm!(include_str!(..), options(att_syntax)); LLVM assembles it, so no
 * host assembler is needed.
 *
 * Entry state (Xen docs/misc/pvh.pandoc, QEMU's PVH loader does the same):
 * 32-bit protected mode, paging off, CR0 = PE, CR4 = 0, flat 4 GiB CS/DS/ES/SS,
 * EFLAGS.IF = 0, %ebx = physical address of struct hvm_start_info, no stack.
 *
 * Handoff to Rust: %ebx is parked in %esi during the set-up below and becomes
 * %rdi (first SysV argument, zero-extended) of xenbell_entry(start_info_paddr).
 *
 * The ELF note that tells Xen and QEMU where _start32 is lives in Rust
 * (src/arch/x86_64/pvh_note.rs).
 */

/* Control-register, MSR and page-table bits used below. */
.set CR0_PE,        1 << 0
.set CR0_WP,        1 << 16
.set CR0_PG,        1 << 31
.set CR4_PAE,       1 << 5
.set MSR_EFER,      0xC0000080
.set EFER_LME,      1 << 8
.set PTE_PRESENT,   1 << 0
.set PTE_WRITABLE,  1 << 1
.set PTE_HUGE,      1 << 7            /* PS: a 2 MiB page in a PD entry */
.set PAGE_SHIFT,    12
.set HUGE_SHIFT,    21                /* 2 MiB */
.set BOOT_PD_ENTRIES, 4 * 512         /* 4 PDs x 512 x 2 MiB = 4 GiB */
.set GDT_CODE64,    0x08
.set GDT_DATA,      0x10
.set BOOT_STACK_SIZE, 64 * 1024

    .section .text.boot, "ax", @progbits
    .code32
    .global _start32
    .type _start32, @function
_start32:
    cli
    cld
    movl    %ebx, %esi                  /* start_info paddr, kept until Rust */

clear_bss:
    /* .bss holds the page tables and stacks: it must be zero before use. */
    movl    $__bss_start, %edi
    movl    $__bss_end, %ecx
    subl    %edi, %ecx
    shrl    $2, %ecx
    xorl    %eax, %eax
    rep stosl

    movl    $boot_stack_top, %esp

build_page_tables:
    /* PML4[0] -> PDPT; PDPT[0..4] -> boot_pd (4 contiguous PDs). */
    movl    $boot_pdpt, %eax
    orl     $(PTE_PRESENT | PTE_WRITABLE), %eax
    movl    %eax, boot_pml4
    xorl    %ecx, %ecx
1:  movl    %ecx, %eax
    shll    $PAGE_SHIFT, %eax
    addl    $boot_pd, %eax
    orl     $(PTE_PRESENT | PTE_WRITABLE), %eax
    movl    %eax, boot_pdpt(,%ecx,8)
    incl    %ecx
    cmpl    $4, %ecx
    jne     1b

    /* boot_pd[n] = identity 2 MiB page n: the first 4 GiB, MMIO holes included
     * (the local APIC at 0xfee00000 must be reachable). */
    xorl    %ecx, %ecx
2:  movl    %ecx, %eax
    shll    $HUGE_SHIFT, %eax
    orl     $(PTE_PRESENT | PTE_WRITABLE | PTE_HUGE), %eax
    movl    %eax, boot_pd(,%ecx,8)
    incl    %ecx
    cmpl    $BOOT_PD_ENTRIES, %ecx
    jne     2b

    /* The first 2 MiB (the image, its stacks) with 4 KiB pages, so that Rust
     * can unmap page 0 and the guard pages below each stack. */
    xorl    %ecx, %ecx
3:  movl    %ecx, %eax
    shll    $PAGE_SHIFT, %eax
    orl     $(PTE_PRESENT | PTE_WRITABLE), %eax
    movl    %eax, boot_pt(,%ecx,8)
    incl    %ecx
    cmpl    $512, %ecx
    jne     3b
    movl    $boot_pt, %eax
    orl     $(PTE_PRESENT | PTE_WRITABLE), %eax
    movl    %eax, boot_pd

enter_long_mode:
    movl    %cr4, %eax
    orl     $CR4_PAE, %eax
    movl    %eax, %cr4

    movl    $boot_pml4, %eax
    movl    %eax, %cr3

    movl    $MSR_EFER, %ecx
    rdmsr
    orl     $EFER_LME, %eax
    wrmsr

    movl    %cr0, %eax
    orl     $(CR0_PG | CR0_WP | CR0_PE), %eax
    movl    %eax, %cr0

    lgdt    boot_gdt_ptr
    ljmp    $GDT_CODE64, $start64

    .code64
start64:
    movw    $GDT_DATA, %ax
    movw    %ax, %ds
    movw    %ax, %es
    movw    %ax, %ss
    movw    %ax, %fs
    movw    %ax, %gs
    movq    $boot_stack_top, %rsp
    xorl    %ebp, %ebp                  /* end of the frame-pointer chain */
    movl    %esi, %edi                  /* arg0 = start_info paddr */
    call    xenbell_entry               /* never returns */
4:  hlt
    jmp     4b

/* A minimal GDT for the far jump; Rust loads the real one (with the TSS). */
    .section .rodata.boot, "a", @progbits
    .balign 16
boot_gdt:
    .quad 0
    .quad 0x00af9a000000ffff            /* 0x08: 64-bit code, DPL0 */
    .quad 0x00cf92000000ffff            /* 0x10: data, DPL0 */
boot_gdt_end:
boot_gdt_ptr:
    .word boot_gdt_end - boot_gdt - 1
    .long boot_gdt

/* Page tables: zeroed with the rest of .bss above, exported for paging.rs. */
    .section .bss.pagetables, "aw", @nobits
    .balign 4096
    .global boot_pml4, boot_pdpt, boot_pd, boot_pt
boot_pml4:  .skip 4096
boot_pdpt:  .skip 4096
boot_pd:    .skip 4096 * 4
boot_pt:    .skip 4096

/* The boot stack, with a guard page below it (unmapped by paging.rs). */
    .section .bss.stacks, "aw", @nobits
    .balign 4096
    .global boot_stack_guard, boot_stack_bottom, boot_stack_top
boot_stack_guard:   .skip 4096
boot_stack_bottom:  .skip BOOT_STACK_SIZE
boot_stack_top:

    .text
