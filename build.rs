//! Links the kernel with linker.ld (only when building for the bare-metal target).
use std::path::PathBuf;

fn main() {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let ld = root.join("linker.ld");
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("none") {
        println!("cargo:rustc-link-arg-bins=-T{}", ld.display());
        println!("cargo:rustc-link-arg-bins=-z");
        println!("cargo:rustc-link-arg-bins=max-page-size=4096");
        // Sections not page aligned in the file (linker.ld: aligned in memory only).
        println!("cargo:rustc-link-arg-bins=--nmagic");
    }
    println!("cargo:rerun-if-changed={}", ld.display());
    println!("cargo:rerun-if-changed=boot/pvh_entry.s");
    println!("cargo:rerun-if-changed=src/arch/x86_64/traps.s");
    println!("cargo:rerun-if-changed=build.rs");
}
