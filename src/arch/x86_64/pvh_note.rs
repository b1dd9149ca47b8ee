//! The ELF note that makes the image bootable as a PVH guest.
//!
//! Xen (libelf, xen/include/public/elfnote.h: XEN_ELFNOTE_PHYS32_ENTRY = 18)
//! and QEMU's PVH loader read the 32-bit physical entry point from it. The
//! descriptor is 8 bytes: QEMU 7.2 reads a 64-bit value from the note of an
//! ELF64 image, Xen accepts 1, 2, 4 or 8 bytes. `packed(4)` keeps the layout
//! exactly namesz/descsz/type/name/desc with no padding before the u64.

const XEN_ELFNOTE_PHYS32_ENTRY: u32 = 18;

extern "C" {
    /// boot/pvh_entry.s
    fn _start32();
}

#[repr(C, packed(4))]
struct ElfNote {
    namesz: u32,
    descsz: u32,
    kind: u32,
    name: [u8; 4],
    desc: unsafe extern "C" fn(),
}

#[used]
#[link_section = ".note.Xen"]
static PVH_NOTE: ElfNote =
    ElfNote { namesz: 4, descsz: 8, kind: XEN_ELFNOTE_PHYS32_ENTRY, name: *b"Xen\0", desc: _start32 };

const _: () = assert!(core::mem::size_of::<ElfNote>() == 24);
