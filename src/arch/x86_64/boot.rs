//! The 32-bit PVH entry (boot/pvh_entry.s): builds the boot page tables, enters
//! long mode and calls [`crate::xenbell_entry`] with the start_info address.

core::arch::global_asm!(include_str!("../../../boot/pvh_entry.s"), options(att_syntax));
