/*
 * Trap entry stubs for all 256 vectors, 16 bytes apart from trap_stubs
 * (traps.rs computes a vector's stub as trap_stubs + 16 * vector).
 *
 * Each stub makes the stack uniform - a dummy error code where the CPU pushes
 * none, then the vector - and jumps to trap_common, which saves every general
 * purpose register (the kernel is soft-float: no SSE state to save) and calls
 *     extern "C" fn trap_dispatch(frame: &mut TrapFrame)
 * The CPU aligns RSP to 16 before pushing its 5-word frame; with the error
 * code, the vector and 15 registers the frame is 22 words, so RSP is 16-byte
 * aligned at the call as the SysV ABI requires.
 */
    .section .text.traps, "ax", @progbits
    .code64
    .balign 16
    .global trap_stubs
trap_stubs:
    .set vec, 0
    .rept 256
    .balign 16
    /* Vectors that push an error code: #DF #TS #NP #SS #GP #PF #AC #CP #VC #SX */
    .if (vec == 8) || (vec == 10) || (vec == 11) || (vec == 12) || (vec == 13) || (vec == 14) || (vec == 17) || (vec == 21) || (vec == 29) || (vec == 30)
    .else
    pushq   $0
    .endif
    pushq   $vec
    jmp     trap_common
    .set vec, vec + 1
    .endr
    .balign 16
    .global trap_stubs_end
trap_stubs_end:

trap_common:
    pushq   %rax
    pushq   %rbx
    pushq   %rcx
    pushq   %rdx
    pushq   %rsi
    pushq   %rdi
    pushq   %rbp
    pushq   %r8
    pushq   %r9
    pushq   %r10
    pushq   %r11
    pushq   %r12
    pushq   %r13
    pushq   %r14
    pushq   %r15
    cld
    movq    %rsp, %rdi
    call    trap_dispatch
    popq    %r15
    popq    %r14
    popq    %r13
    popq    %r12
    popq    %r11
    popq    %r10
    popq    %r9
    popq    %r8
    popq    %rbp
    popq    %rdi
    popq    %rsi
    popq    %rdx
    popq    %rcx
    popq    %rbx
    popq    %rax
    addq    $16, %rsp                   /* vector, error code */
    iretq

    .text
