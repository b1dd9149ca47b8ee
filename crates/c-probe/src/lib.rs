//! For host tests that check our numbers and layouts against the real C
//! headers (libxen-dev, linux-libc-dev): compile a C program with the
//! system compiler, run it, and read the `NAME value` lines it prints.
//!
//! Missing headers: the test is skipped with a reason printed on stderr
//! (`cargo test` and `make check` need no apt), unless
//! `XENBELL_REQUIRE_HEADERS=1` (set by `make host-test`, hence `make test`),
//! which turns them into a failure with a pointer to `make deps`. A failing
//! compiler on present headers always fails: never a silent pass.

use std::io::Write as _;
use std::path::Path;
use std::process::Command;

/// The variable that makes missing headers a failure instead of a skip.
pub const REQUIRE_ENV: &str = "XENBELL_REQUIRE_HEADERS";

/// Whether every one of `headers` (absolute paths) exists. If some are
/// missing: panics with a `make deps` hint naming `packages` when
/// [`REQUIRE_ENV`] is `1`; otherwise writes "`test`: SKIPPED, ..." straight
/// to stderr (past cargo's output capture, so the skip is seen) and returns
/// false: the caller returns without checking anything.
pub fn headers_present(test: &str, headers: &[&str], packages: &str) -> bool {
    let missing: Vec<&str> = headers.iter().copied().filter(|h| !Path::new(h).exists()).collect();
    if missing.is_empty() {
        return true;
    }
    let why = format!("missing {} (Debian: {packages}; `make deps` installs them)", missing.join(", "));
    assert!(std::env::var(REQUIRE_ENV).as_deref() != Ok("1"), "{test}: {why}; {REQUIRE_ENV}=1 requires them");
    let _ = writeln!(std::io::stderr(), "{test}: SKIPPED, {why}; set {REQUIRE_ENV}=1 to make this a failure");
    false
}

/// What to build: the program, the headers it needs, and extra files.
pub struct Probe<'a> {
    /// Names the temporary directory (with the process id).
    pub name: &'a str,
    /// Headers that must exist (absolute paths), each with the packages that
    /// provide them, for the failure message.
    pub headers: &'a [&'a str],
    pub packages: &'a str,
    /// Files written under the temporary directory, which is also on the
    /// include path: shims for headers that include kernel-internal ones.
    pub files: &'a [(&'a str, &'a str)],
    /// Extra compiler arguments.
    pub cc_args: &'a [&'a str],
    /// The C program.
    pub program: &'a str,
}

impl Probe<'_> {
    /// Compiles and runs the program; its output lines as (name, value).
    /// None when the headers are missing and the test is skipped (see
    /// [`headers_present`]).
    pub fn values(&self) -> Option<Vec<(String, u64)>> {
        if !headers_present(self.name, self.headers, self.packages) {
            return None;
        }
        let dir = std::env::temp_dir().join(format!("{}-c-{}", self.name, std::process::id()));
        for (path, text) in self.files {
            let file = dir.join(path);
            std::fs::create_dir_all(file.parent().unwrap()).unwrap();
            std::fs::write(file, text).unwrap();
        }
        std::fs::create_dir_all(&dir).unwrap();
        let (src, exe) = (dir.join("probe.c"), dir.join("probe"));
        std::fs::write(&src, self.program).unwrap();
        let cc = Command::new("cc").args(self.cc_args).arg("-I").arg(&dir).arg("-o").arg(&exe).arg(&src).output();
        let ok = matches!(&cc, Ok(o) if o.status.success());
        assert!(ok, "cc failed on the headers: run make deps ({})\n{cc:?}", self.packages);
        let out = Command::new(&exe).output().unwrap();
        let _ = std::fs::remove_dir_all(&dir);
        let lines = String::from_utf8(out.stdout).unwrap();
        Some(
            lines
                .lines()
                .map(|l| {
                    let (k, v) = l.rsplit_once(' ').unwrap();
                    (k.to_string(), v.parse().unwrap())
                })
                .collect(),
        )
    }
}

/// Asserts that C printed exactly `ours`, name by name, in order.
pub fn assert_matches(ours: &[(&str, u64)], real: &[(String, u64)]) {
    assert_eq!(real.len(), ours.len(), "C printed {real:?}");
    for ((name, value), (real_name, real_value)) in ours.iter().zip(real) {
        assert_eq!((*name, *value), (real_name.as_str(), *real_value));
    }
}
