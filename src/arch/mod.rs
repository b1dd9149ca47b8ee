//! CPU architecture layer. Generic kernel code uses `crate::arch::*` and never
//! names an architecture itself.

#[cfg(target_arch = "x86_64")]
mod x86_64;
#[cfg(target_arch = "x86_64")]
pub use self::x86_64::*;
