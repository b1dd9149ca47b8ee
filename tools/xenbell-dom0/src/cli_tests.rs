use super::*;
use crate::failure::Exit;

fn p(line: &str) -> Result<Command, Failure> {
    let args: Vec<String> = line.split_whitespace().map(String::from).collect();
    parse(&args)
}

fn usage_err(line: &str) -> String {
    let f = p(line).expect_err(line);
    assert_eq!(f.exit, Exit::Usage, "{line}");
    f.message
}

#[test]
fn ping_ports_plays_one_round_unless_told() {
    let rounds = |line: &str| match p(line).unwrap() {
        Command::Ping(a) => (a.rounds, a.ports.is_some()),
        other => panic!("{line}: {other:?}"),
    };
    assert_eq!(rounds("ping --domain x --ports all"), (1, true));
    assert_eq!(rounds("ping --domain x --ports all --rounds 200"), (200, true));
    assert_eq!(rounds("ping --domain x"), (1000, false));
}

#[test]
fn ping_defaults_and_all_options() {
    assert_eq!(
        p("ping --domain xenbell").unwrap(),
        Command::Ping(PingArgs {
            domain: DomainSpec::Name("xenbell".into()),
            port: None,
            rounds: 1000,
            timeout: Duration::from_millis(1000),
            json: false,
            legacy: false,
            follow: false,
            ports: None,
        })
    );
    assert_eq!(
        p("ping --json --domain=7 --port 5 --rounds=3 --timeout-ms 250 --legacy --follow").unwrap(),
        Command::Ping(PingArgs {
            domain: DomainSpec::Id(7),
            port: Some(5),
            rounds: 3,
            timeout: Duration::from_millis(250),
            json: true,
            legacy: true,
            follow: true,
            ports: None,
        })
    );
}

#[test]
fn other_commands() {
    assert_eq!(
        p("serve --domain 3 --timeout-ms 10").unwrap(),
        Command::Serve(ServeArgs {
            domain: DomainSpec::Id(3),
            port: None,
            timeout: Duration::from_millis(10),
            json: false
        })
    );
    assert_eq!(
        p("flood --domain x --count 1000000").unwrap(),
        Command::Flood(FloodArgs {
            domain: DomainSpec::Name("x".into()),
            port: None,
            count: 1_000_000,
            timeout: Duration::from_millis(1000),
            json: false,
        })
    );
    assert_eq!(p("status --domain 0").unwrap(), Command::Status(StatusArgs { domain: DomainSpec::Id(0), json: false }));
    assert_eq!(
        p("status --json --domain 0").unwrap(),
        Command::Status(StatusArgs { domain: DomainSpec::Id(0), json: true })
    );
    assert_eq!(p("offer --remote 0").unwrap(), Command::Offer(OfferArgs { remote: 0, json: false }));
    assert_eq!(p("serve --domain 3 --json").unwrap(), Command::Serve(ServeArgs { json: true, ..serve_args() }));
    assert_eq!(p("completions zsh").unwrap(), Command::Completions { shell: Shell::Zsh });
}

#[test]
fn bad_numbers_name_the_option() {
    let m = usage_err("ping --domain x --rounds abc");
    assert_eq!(m, format!("--rounds: 'abc' is not a number\n{}", usage_line("ping")));
    assert!(usage_err("ping --domain x --rounds 0").starts_with("--rounds: 0 is out of range"));
    assert!(usage_err("ping --domain x --rounds -1").starts_with("--rounds: '-1' is not a number"));
    assert!(usage_err("ping --domain x --port 0").starts_with("--port: 0 is out of range"));
    assert!(usage_err("ping --domain x --timeout-ms 99999999999").starts_with("--timeout-ms:"));
    assert!(usage_err("flood --domain x --count 1e3").starts_with("--count: '1e3'"));
    assert!(usage_err("offer --remote 32752").starts_with("--remote: 32752 is out of range"));
    assert!(usage_err("ping --domain 99999").starts_with("--domain: '99999' is not a domain id"));
    assert!(usage_err("ping --domain 99999999999999999999999").starts_with("--domain:"));
}

#[test]
fn structural_errors() {
    assert!(usage_err("").starts_with("command: none given\nusage:"));
    assert!(usage_err("pong").starts_with("command 'pong': unknown\nusage:"));
    assert!(usage_err("ping").starts_with("--domain: required by ping\nusage: xenbell-dom0 ping"));
    assert!(usage_err("flood --domain x").starts_with("--count: required by flood\nusage: xenbell-dom0 flood"));
    assert!(usage_err("offer").starts_with("--remote: required by offer"));
    let m = usage_err("ping --domain");
    assert!(m.starts_with("--domain needs a value"), "{m}");
    assert!(usage_err("ping --domain x --domain y").starts_with("--domain given twice"));
    assert!(usage_err("ping --domain x --json --json").starts_with("--json given twice"));
    assert!(usage_err("ping --domain x --json=1").starts_with("--json takes no value"));
    assert!(usage_err("status --domain x --port 3").starts_with("option '--port': unknown for status"));
    assert!(usage_err("serve --domain x --legacy").starts_with("option '--legacy': unknown for serve"));
    assert!(usage_err("completions tcsh").starts_with("shell: 'tcsh' is not one of bash, zsh, fish"));
    assert!(usage_err("ping --domain x extra").starts_with("argument 'extra': unexpected"));
    assert!(usage_err("ping --domain=").starts_with("--domain: empty name"));
}

#[test]
fn usage_lines() {
    assert_eq!(
        usage_line("ping"),
        "usage: xenbell-dom0 ping --domain <name|id> [--port P] [--rounds N] [--timeout-ms T] [--json] [--legacy] [--follow] [--ports all|P1,P2,...]"
    );
    assert_eq!(usage_line("status"), "usage: xenbell-dom0 status --domain <name|id> [--json]");
    assert_eq!(usage_line("offer"), "usage: xenbell-dom0 offer --remote <domid> [--json]");
    assert!(usage_line("nope").contains("ping") && usage_line("nope").contains("offer"));
}

#[test]
fn untrusted_arguments_are_echoed_bounded() {
    let long = "9".repeat(1000);
    let m = usage_err(&format!("ping --domain {long}"));
    assert!(m.starts_with("--domain: '9999"), "{m}");
    assert!(m.lines().next().unwrap().contains("...' (1000 bytes) is not a domain id"), "{m}");
    let args: Vec<String> = ["ping", "--domain", "x", "--rounds", "1\x1b[2J"].map(String::from).to_vec();
    let m = parse(&args).unwrap_err().message;
    assert!(m.starts_with(r"--rounds: '1\x1b[2J' is not a number"), "{m}");
    let args: Vec<String> = ["\u{202e}ping"].map(String::from).to_vec();
    assert!(parse(&args).unwrap_err().message.starts_with(r"command '\u{202e}ping': unknown"));
}

fn serve_args() -> ServeArgs {
    ServeArgs { domain: DomainSpec::Id(3), port: None, timeout: Duration::from_millis(1000), json: false }
}

fn printed(line: &str) -> String {
    match p(line) {
        Ok(Command::Print(text)) => text,
        other => panic!("{line}: {other:?}"),
    }
}

#[test]
fn help_and_version_are_printed_not_errors() {
    let top = printed("--help");
    for command in ["ping", "serve", "flood", "status", "offer", "completions"] {
        assert!(top.contains(command), "{command} missing from --help: {top}");
    }
    assert!(printed("--version").starts_with(&format!("xenbell-dom0 {}", env!("CARGO_PKG_VERSION"))));
    assert!(printed("-V").starts_with("xenbell-dom0 "));
    assert!(printed("ping -h").starts_with("Bind to the guest's port"));
}

/// Every subcommand's `--help`: its usage line, each option with its
/// default where it has one, the exit codes and an example.
#[test]
fn every_subcommand_help_has_options_defaults_exit_codes_and_an_example() {
    let definition = definition();
    for (name, usage) in USAGES {
        let help = printed(&format!("{name} --help"));
        assert!(help.contains(&format!("Usage: {usage}")), "{name}: {help}");
        assert!(help.contains(EXIT_CODES), "{name}: no exit codes: {help}");
        assert!(help.contains(&format!("Example:\n  xenbell-dom0 {name} ")), "{name}: no example: {help}");
        let sub = definition.find_subcommand(name).expect(name);
        for arg in sub.get_arguments().filter(|a| a.get_id() != "help") {
            let shown = match arg.get_long() {
                Some(long) => format!("--{long}"),
                None => format!("<{}>", arg.get_id().as_str().to_uppercase()),
            };
            assert!(help.contains(&shown), "{name} --help lacks {shown}: {help}");
            // The usage line names every option (it is written by hand).
            let in_usage = arg.get_long().is_none_or(|l| usage.contains(&format!("--{l}")));
            assert!(in_usage, "{name}: usage line lacks --{:?}", arg.get_long());
            for default in arg.get_default_values() {
                let shown = format!("[default: {}]", default.to_string_lossy());
                assert!(help.contains(&shown), "{name} --help lacks {shown}");
            }
        }
    }
}

#[test]
fn exit_code_text_lists_every_code() {
    use xenbell_proto::exit;
    for code in [
        exit::OK,
        exit::FAILED,
        exit::USAGE,
        exit::NOT_XEN,
        exit::NO_DOMAIN,
        exit::NO_PORT,
        exit::BIND_REFUSED,
        exit::TIMEOUT,
        exit::XENSTORE,
    ] {
        assert!(EXIT_CODES.contains(&format!("\n  {code}  ")), "exit code {code} not in --help");
    }
}

#[test]
fn the_definition_is_consistent() {
    definition().debug_assert();
}

#[test]
fn vchan_latency_option() {
    let want = |echo_test, latency| {
        Command::Vchan(VchanArgs {
            domain: DomainSpec::Name("x".into()),
            path: None,
            echo_test,
            latency,
            timeout: Duration::from_millis(1000),
            corrupt: false,
        })
    };
    assert_eq!(p("vchan --domain x").unwrap(), want(None, None));
    assert_eq!(p("vchan --domain x --latency 500").unwrap(), want(None, Some(500)));
    assert_eq!(p("vchan --domain x --echo-test 4096 --latency 1").unwrap(), want(Some(4096), Some(1)));
    assert!(usage_err("vchan --domain x --latency 0").contains("--latency"));
    assert!(usage_err("vchan --domain x --latency 1000001").contains("--latency"));
    usage_err("vchan --domain x --latency 5 --corrupt");
}
