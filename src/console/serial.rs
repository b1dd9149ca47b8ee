//! COM1 (16550 UART), only if one is there.
//!
//! A PVH guest under Xen has no UART: unclaimed I/O ports read as 0xff and
//! swallow writes, so a naive "wait until the transmitter is empty" would spin
//! forever. We probe the scratch register at start, and give up on the port
//! for good if the transmitter ever stays busy too long.

use core::sync::atomic::{AtomicBool, Ordering};

use bitflags::bitflags;

use crate::arch::cpu::port::{inb, outb};

const COM1: u16 = 0x3f8;
const REG_DATA: u16 = 0;
const REG_IER: u16 = 1;
const REG_FCR: u16 = 2;
const REG_LCR: u16 = 3;
const REG_MCR: u16 = 4;
const REG_LSR: u16 = 5;
const REG_SCRATCH: u16 = 7;
/// Polls of the line status before the port is declared dead.
const MAX_POLLS: u32 = 100_000;

bitflags! {
    #[derive(Clone, Copy)]
    struct LineStatus: u8 {
        const THR_EMPTY = 1 << 5;
    }
}

static PRESENT: AtomicBool = AtomicBool::new(false);

fn reg_write(reg: u16, v: u8) {
    // SAFETY: COM1's registers; only called after the port was probed (or
    // while probing, where writes to an absent port are ignored).
    unsafe { outb(COM1 + reg, v) }
}

fn reg_read(reg: u16) -> u8 {
    // SAFETY: as reg_write; reading LSR/scratch has no side effects.
    unsafe { inb(COM1 + reg) }
}

/// Probes for a UART (scratch register holds two patterns) and programs it:
/// 115200 8N1, FIFOs on, no interrupts.
pub fn init() {
    for pattern in [0x5a, 0xa5] {
        reg_write(REG_SCRATCH, pattern);
        if reg_read(REG_SCRATCH) != pattern {
            return;
        }
    }
    reg_write(REG_IER, 0x00);
    reg_write(REG_LCR, 0x80); // DLAB: divisor follows
    reg_write(REG_DATA, 0x01); // 115200 baud, low byte
    reg_write(REG_IER, 0x00); // high byte
    reg_write(REG_LCR, 0x03); // 8N1
    reg_write(REG_FCR, 0xc7); // FIFO on, cleared, 14-byte threshold
    reg_write(REG_MCR, 0x03); // DTR, RTS
    PRESENT.store(true, Ordering::Relaxed);
}

pub fn present() -> bool {
    PRESENT.load(Ordering::Relaxed)
}

fn put(b: u8) -> bool {
    let mut polls = 0;
    while !LineStatus::from_bits_truncate(reg_read(REG_LSR)).contains(LineStatus::THR_EMPTY) {
        polls += 1;
        if polls == MAX_POLLS {
            return false;
        }
        core::hint::spin_loop();
    }
    reg_write(REG_DATA, b);
    true
}

pub fn write(bytes: &[u8]) {
    if !present() {
        return;
    }
    for &b in bytes {
        let ok = (b != b'\n' || put(b'\r')) && put(b);
        if !ok {
            PRESENT.store(false, Ordering::Relaxed);
            return;
        }
    }
}
