//! Machinery behind `tests/c_headers.rs`: the check type and the macros that
//! build the table, the C program generator/runner, and the source scanner
//! that makes sure the table covers every public item of the crate.

pub mod status;

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Headers the C side includes, in include order (all from libxen-dev).
pub const HEADERS: &[&str] = &[
    "xen/xen.h",
    "xen/version.h",
    "xen/features.h",
    "xen/event_channel.h",
    "xen/sched.h",
    "xen/memory.h",
    "xen/grant_table.h",
    "xen/vcpu.h",
    "xen/hvm/hvm_op.h",
    "xen/hvm/hvm_vcpu.h",
    "xen/hvm/params.h",
    "xen/arch-x86/hvm/start_info.h",
    "xen/arch-x86/cpuid.h",
    "xen/elfnote.h",
    "xen/io/console.h",
    "xen/io/xs_wire.h",
    "xen/errno.h",
];

/// Where the headers are looked for: `$XEN_ABI_INCLUDE_DIR`, else
/// `/usr/include` (where Debian's libxen-dev puts them).
pub fn include_dir() -> String {
    std::env::var("XEN_ABI_INCLUDE_DIR").unwrap_or_else(|_| "/usr/include".to_string())
}

/// One compared value: `c_expr` evaluated by the C compiler against the real
/// headers must equal `rust`.
#[derive(Clone)]
pub struct Check {
    /// Identifies the Rust item (also used by the completeness scan).
    pub label: String,
    /// A C expression, printed as `unsigned long long`.
    pub c_expr: String,
    /// The Rust value, as the same 64-bit pattern.
    pub rust: u64,
}

impl Check {
    pub fn new(label: impl Into<String>, c_expr: impl Into<String>, rust: u64) -> Check {
        Check { label: label.into(), c_expr: c_expr.into(), rust }
    }
}

/// Size of a field, named through a projection closure.
pub fn field_size<T, F>(_project: impl Fn(&T) -> &F) -> usize {
    std::mem::size_of::<F>()
}

/// `konst!(NAME)` compares Rust `NAME` with C `NAME`;
/// `konst!(NAME = "c expression")` with a C expression.
macro_rules! konst {
    ($name:ident) => {
        konst!($name = stringify!($name))
    };
    ($name:ident = $c:expr) => {
        vec![$crate::support::Check::new(concat!("const ", stringify!($name)), $c, $name as u64)]
    };
}

/// `layout!(RustType = "struct c_name": field, field = "c_member", ...)`:
/// size and alignment of the type, offset and size of each listed field.
macro_rules! layout {
    ($t:ident = $c:literal : $($f:ident $(= $cf:literal)?),* $(,)?) => {{
        #[allow(unused_mut)]
        let mut v = vec![
            $crate::support::Check::new(
                concat!("size ", stringify!($t)), concat!("sizeof(", $c, ")"),
                std::mem::size_of::<$t>() as u64),
            $crate::support::Check::new(
                concat!("align ", stringify!($t)), concat!("_Alignof(", $c, ")"),
                std::mem::align_of::<$t>() as u64),
        ];
        $(
            let cf = layout!(@cname $f $(= $cf)?);
            v.push($crate::support::Check::new(
                concat!("offset ", stringify!($t), ".", stringify!($f)),
                format!("offsetof({}, {})", $c, cf),
                std::mem::offset_of!($t, $f) as u64));
            v.push($crate::support::Check::new(
                concat!("size ", stringify!($t), ".", stringify!($f)),
                format!("sizeof((({} *)0)->{})", $c, cf),
                $crate::support::field_size(|s: &$t| &s.$f) as u64));
        )*
        v
    }};
    (@cname $f:ident) => { stringify!($f) };
    (@cname $f:ident = $cf:literal) => { $cf };
}

pub(crate) use {konst, layout};

/// What the C program printed.
pub struct COutput {
    /// Value of `checks[i].c_expr`, by index.
    pub values: Vec<u64>,
    /// Every `XEN_ERRNO(name, value)` of errno.h.
    pub errnos: Vec<(String, i32)>,
    /// Named byte images (`sample NAME hex`), for union-accessor checks.
    pub samples: Vec<(String, Vec<u8>)>,
    /// `__XEN_LATEST_INTERFACE_VERSION__` of the installed headers.
    pub interface_version: u64,
}

/// Whether every header is installed: skips with a printed reason where
/// they are not, or fails under `XENBELL_REQUIRE_HEADERS=1` (see
/// [`c_probe::headers_present`]).
pub fn headers_present() -> bool {
    let paths: Vec<String> = HEADERS.iter().map(|h| Path::new(&include_dir()).join(h).display().to_string()).collect();
    let paths: Vec<&str> = paths.iter().map(String::as_str).collect();
    c_probe::headers_present("xen-abi c_headers", &paths, "libxen-dev")
}

/// Writes the C program for `checks` plus `extra_main` (statements appended
/// to `main`), compiles it with `cc` against the real headers and runs it.
/// None when the headers are missing and the test is skipped.
pub fn run_c(checks: &[Check], extra_main: &str) -> Option<COutput> {
    if !headers_present() {
        return None;
    }
    let dir = temp_dir();
    let mut src = String::from("#include <stdint.h>\n#include <stddef.h>\n#include <stdio.h>\n");
    for h in HEADERS {
        writeln!(src, "#include <{h}>").unwrap();
    }
    src.push_str("\nint main(void)\n{\n");
    src.push_str("    printf(\"version %llu\\n\", (unsigned long long)__XEN_LATEST_INTERFACE_VERSION__);\n");
    for (i, c) in checks.iter().enumerate() {
        writeln!(src, "    printf(\"c {i} %llu\\n\", (unsigned long long)({}));", c.c_expr).unwrap();
    }
    // errno.h is an X-macro list when XEN_ERRNO is defined: expand it in place.
    src.push_str("#define XEN_ERRNO(name, value) printf(\"errno %s %d\\n\", #name, value);\n");
    src.push_str("#include <xen/errno.h>\n");
    src.push_str(extra_main);
    src.push_str("    return 0;\n}\n");

    let c_file = dir.join("abi.c");
    let exe = dir.join("abi");
    std::fs::write(&c_file, &src).unwrap();
    let out = Command::new("cc")
        // Expose everything of the installed interface version (the default,
        // 0, hides e.g. vcpu_time_info.flags).
        .args(["-std=gnu11", "-Wall", "-Werror"])
        .arg("-D__XEN_INTERFACE_VERSION__=__XEN_LATEST_INTERFACE_VERSION__")
        .arg("-I")
        .arg(include_dir())
        .arg("-o")
        .arg(&exe)
        .arg(&c_file)
        .output()
        .unwrap_or_else(|e| panic!("cannot run `cc` ({e}): run `make deps` (installs gcc)"));
    assert!(
        out.status.success(),
        "compiling {} against the Xen headers failed:\n{}",
        c_file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let run = Command::new(&exe).output().expect("running the compiled C program");
    assert!(run.status.success(), "C program failed: {:?}", run.status);
    let _ = std::fs::remove_dir_all(&dir);
    Some(parse_output(&String::from_utf8(run.stdout).unwrap(), checks.len()))
}

fn parse_output(text: &str, n: usize) -> COutput {
    let mut out = COutput { values: vec![u64::MAX; n], errnos: vec![], samples: vec![], interface_version: 0 };
    let mut seen = vec![false; n];
    for line in text.lines() {
        let w: Vec<&str> = line.split_whitespace().collect();
        match w.as_slice() {
            ["version", v] => out.interface_version = v.parse().unwrap(),
            ["c", i, v] => {
                let i: usize = i.parse().unwrap();
                out.values[i] = v.parse().unwrap();
                seen[i] = true;
            }
            ["errno", name, v] => out.errnos.push((name.to_string(), v.parse().unwrap())),
            ["sample", name, hex] => {
                let bytes =
                    (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap()).collect();
                out.samples.push((name.to_string(), bytes));
            }
            _ => panic!("unexpected C output line {line:?}"),
        }
    }
    assert!(seen.iter().all(|&s| s), "C program did not print every check");
    out
}

fn temp_dir() -> PathBuf {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    let dir = std::env::temp_dir().join(format!("xen-abi-c-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Labels the table must contain for the crate's public items, found by
/// scanning `src/`: `const NAME` for each `pub const NAME:`, and for each
/// `pub struct T { pub f: ... }`: `size T`, `align T`, `offset T.f`, `size T.f`.
pub fn required_labels() -> BTreeSet<String> {
    let mut labels = BTreeSet::new();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    for file in rust_files(&src) {
        let text = std::fs::read_to_string(&file).unwrap();
        let mut current: Option<String> = None;
        for line in text.lines() {
            let t = line.trim();
            if t.starts_with("#[cfg(test)]") {
                break; // unit tests follow; nothing public there
            }
            if let Some(rest) = t.strip_prefix("pub const ") {
                if let Some((name, _)) = rest.split_once(':') {
                    if !name.contains(' ') && !name.starts_with('$') {
                        labels.insert(format!("const {name}"));
                    }
                }
            } else if let Some(rest) = t.strip_prefix("pub struct ") {
                if let Some(name) = rest.strip_suffix(" {") {
                    labels.insert(format!("size {name}"));
                    labels.insert(format!("align {name}"));
                    current = Some(name.to_string());
                }
            } else if t == "}" && !line.starts_with(' ') {
                current = None;
            } else if let (Some(s), Some(rest)) = (&current, t.strip_prefix("pub ")) {
                if let Some((field, _)) = rest.split_once(':') {
                    labels.insert(format!("offset {s}.{field}"));
                    labels.insert(format!("size {s}.{field}"));
                }
            }
        }
    }
    labels
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = vec![];
    for entry in std::fs::read_dir(dir).unwrap() {
        let p = entry.unwrap().path();
        if p.is_dir() {
            files.extend(rust_files(&p));
        } else if p.extension().is_some_and(|e| e == "rs") {
            files.push(p);
        }
    }
    files.sort();
    files
}
