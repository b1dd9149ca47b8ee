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
        })
    );
}

#[test]
fn other_commands() {
    assert_eq!(
        p("serve --domain 3 --timeout-ms 10").unwrap(),
        Command::Serve(ServeArgs { domain: DomainSpec::Id(3), port: None, timeout: Duration::from_millis(10) })
    );
    assert_eq!(
        p("flood --domain x --count 1000000").unwrap(),
        Command::Flood(FloodArgs {
            domain: DomainSpec::Name("x".into()),
            port: None,
            count: 1_000_000,
            timeout: Duration::from_millis(1000),
        })
    );
    assert_eq!(p("status --domain 0").unwrap(), Command::Status { domain: DomainSpec::Id(0) });
    assert_eq!(p("offer --remote 0").unwrap(), Command::Offer { remote: 0 });
    assert_eq!(
        p("vchan --domain xenbell --echo-test 1048576").unwrap(),
        Command::Vchan(VchanArgs {
            domain: DomainSpec::Name("xenbell".into()),
            path: None,
            echo_test: Some(1 << 20),
            timeout: Duration::from_millis(1000),
            corrupt: false,
        })
    );
    assert_eq!(
        p("vchan --domain 0 --path /local/domain/0/data/vchan/0/7").unwrap(),
        Command::Vchan(VchanArgs {
            domain: DomainSpec::Id(0),
            path: Some("/local/domain/0/data/vchan/0/7".into()),
            echo_test: None,
            timeout: Duration::from_millis(1000),
            corrupt: false,
        })
    );
    assert!(usage_err("vchan --domain 0 --path data/vchan").starts_with("--path: 'data/vchan' is not an absolute"));
    assert!(matches!(p("vchan --domain 0 --corrupt").unwrap(), Command::Vchan(VchanArgs { corrupt: true, .. })));
    assert!(usage_err("vchan --domain 0 --echo-test 0").starts_with("--echo-test: 0 is out of range"));
    assert_eq!(p("--help").unwrap(), Command::Help);
    assert_eq!(p("ping -h").unwrap(), Command::Help);
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
    assert!(usage_err("ping --domain").starts_with("--domain needs a value"));
    assert!(usage_err("ping --domain x --domain y").starts_with("--domain given twice"));
    assert!(usage_err("ping --domain x --json --json").starts_with("--json given twice"));
    assert!(usage_err("ping --domain x --json=1").starts_with("--json takes no value"));
    assert!(usage_err("status --domain x --port 3").starts_with("option '--port': unknown for status"));
    assert!(usage_err("serve --domain x --json").starts_with("option '--json': unknown for serve"));
    assert!(usage_err("ping --domain x extra").starts_with("argument 'extra': unexpected"));
    assert!(usage_err("ping --domain=").starts_with("--domain: empty name"));
}

#[test]
fn usage_lines() {
    assert_eq!(
        usage_line("ping"),
        "usage: xenbell-dom0 ping --domain <name|id> [--port P] [--rounds N] [--timeout-ms T] [--json] [--legacy] [--follow]"
    );
    assert_eq!(usage_line("status"), "usage: xenbell-dom0 status --domain <name|id>");
    assert_eq!(usage_line("offer"), "usage: xenbell-dom0 offer --remote <domid>");
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
