//! Runs the built binary: usage errors exit 2 with a usage line, `--help`
//! exits 0, and on a machine without /dev/xen every device-using command
//! exits 3 with the documented message. Known false pass: on a Xen host the
//! exit-3 checks are skipped (they cannot fail there by construction).

use std::path::Path;
use std::process::{Command, Output};

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xenbell-dom0")).args(args).output().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn usage_errors_exit_2() {
    for args in
        [&[][..], &["pong"], &["ping"], &["ping", "--domain", "x", "--rounds", "abc"], &["offer", "--remote", "x"]]
    {
        let o = run(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(stderr(&o).contains("usage: xenbell-dom0"), "{args:?}: {}", stderr(&o));
        assert!(o.stdout.is_empty());
    }
    let o = run(&["ping", "--domain", "x", "--rounds", "abc"]);
    assert!(stderr(&o).starts_with("xenbell-dom0: --rounds: 'abc' is not a number\n"), "{}", stderr(&o));
}

#[test]
fn help_exits_0() {
    let o = run(&["--help"]);
    assert_eq!(o.status.code(), Some(0));
    let text = String::from_utf8(o.stdout).unwrap();
    for cmd in ["ping", "serve", "flood", "status", "offer"] {
        assert!(text.contains(&format!("xenbell-dom0 {cmd} ")), "{text}");
    }
}

#[test]
fn without_xen_exit_3() {
    if Path::new("/dev/xen").exists() {
        eprintln!("skipped: /dev/xen exists here");
        return;
    }
    for args in [
        &["ping", "--domain", "xenbell"][..],
        &["serve", "--domain", "7"],
        &["flood", "--domain", "7", "--count", "3"],
        &["offer", "--remote", "0"],
    ] {
        let o = run(args);
        assert_eq!(o.status.code(), Some(3), "{args:?}");
        assert_eq!(stderr(&o), "xenbell-dom0: /dev/xen/evtchn: missing: not running on Xen? (load xen-evtchn?)\n");
    }
    let o = run(&["status", "--domain", "7"]);
    assert_eq!(o.status.code(), Some(3));
    // Opened at the first xenstore request (app::Lazy), so the message names the device and the need.
    let text = stderr(&o);
    assert!(text.starts_with("xenbell-dom0: /dev/xen/xenbus: "), "{text}");
    assert!(text.ends_with(": not running on Xen, or not root? (needed to read /local/domain/7)\n"), "{text}");
}

#[test]
fn version_and_completions() {
    let o = run(&["--version"]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(String::from_utf8(o.stdout).unwrap(), format!("xenbell-dom0 {}\n", env!("CARGO_PKG_VERSION")));
    // Each script names every subcommand and a ping option, in its shell's own form.
    for (shell, marker) in
        [("bash", "complete -F"), ("zsh", "#compdef xenbell-dom0"), ("fish", "complete -c xenbell-dom0")]
    {
        let o = run(&["completions", shell]);
        assert_eq!(o.status.code(), Some(0), "{shell}");
        let text = String::from_utf8(o.stdout).unwrap();
        assert!(text.contains(marker), "{shell}: {text}");
        for word in ["ping", "serve", "flood", "status", "offer", "follow"] {
            assert!(text.contains(word), "{shell} completion lacks {word}");
        }
    }
    let o = run(&["completions", "tcsh"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("usage: xenbell-dom0 completions <bash|zsh|fish>"), "{}", stderr(&o));
}
