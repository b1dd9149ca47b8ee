//! Command-line parsing, by hand: `xenbell-dom0 <command> [--option value]...`.
//! Every problem is a [`Failure`] with exit 2 and the command's usage line;
//! its message names the option, command or argument first, echoed.

use std::time::Duration;

use echo::echo;

use crate::failure::Failure;

/// Largest ordinary domain id (DOMID_FIRST_RESERVED - 1).
pub const DOMID_MAX: u32 = 0x7FEF;

/// All usage lines, as printed by `--help`.
pub const USAGE: &str = "\
usage: xenbell-dom0 ping --domain <name|id> [--port P] [--rounds N] [--timeout-ms T] [--json] [--legacy] [--follow]
       xenbell-dom0 serve --domain <name|id> [--port P] [--timeout-ms T]
       xenbell-dom0 flood --domain <name|id> --count M [--port P] [--timeout-ms T]
       xenbell-dom0 pingall --domain <name|id> [--timeout-ms T] [--json]
       xenbell-dom0 status --domain <name|id>
       xenbell-dom0 offer --remote <domid>";

/// `--domain` as given: a number is a domain id, anything else a name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DomainSpec {
    Id(u32),
    Name(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PingArgs {
    pub domain: DomainSpec,
    pub port: Option<u32>,
    pub rounds: u32,
    pub timeout: Duration,
    pub json: bool,
    /// Speak no session handshake (as a tool older than it does).
    pub legacy: bool,
    /// Keep going across save/restore and migration (follow.rs).
    pub follow: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServeArgs {
    pub domain: DomainSpec,
    pub port: Option<u32>,
    pub timeout: Duration,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FloodArgs {
    pub domain: DomainSpec,
    pub port: Option<u32>,
    pub count: u64,
    pub timeout: Duration,
}

/// `pingall`: one ping on each of the ports a `ports=K` guest publishes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PingAllArgs {
    pub domain: DomainSpec,
    pub timeout: Duration,
    pub json: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    Ping(PingArgs),
    Serve(ServeArgs),
    Flood(FloodArgs),
    PingAll(PingAllArgs),
    Status { domain: DomainSpec },
    Offer { remote: u32 },
    Help,
}

pub const DEFAULT_ROUNDS: u32 = 1000;
pub const DEFAULT_TIMEOUT_MS: u64 = 1000;

/// (command, options taking a value, flag options, usage line)
type Spec = (&'static str, &'static [&'static str], &'static [&'static str]);
const SPECS: [Spec; 6] = [
    ("ping", &["--domain", "--port", "--rounds", "--timeout-ms"], &["--json", "--legacy", "--follow"]),
    ("serve", &["--domain", "--port", "--timeout-ms"], &[]),
    ("flood", &["--domain", "--count", "--port", "--timeout-ms"], &[]),
    ("pingall", &["--domain", "--timeout-ms"], &["--json"]),
    ("status", &["--domain"], &[]),
    ("offer", &["--remote"], &[]),
];

/// The usage line of one command (or all of them).
pub fn usage_line(command: &str) -> String {
    USAGE
        .lines()
        .map(|l| l.trim_start_matches("usage:").trim())
        .find(|l| l.split_whitespace().nth(1) == Some(command))
        .map(|l| format!("usage: {l}"))
        .unwrap_or_else(|| USAGE.to_string())
}

fn usage_error(command: &str, message: impl std::fmt::Display) -> Failure {
    Failure::usage(format!("{message}\n{}", usage_line(command)))
}

/// Options of one invocation, in the order given.
struct Options<'a> {
    command: &'static str,
    values: Vec<(&'static str, &'a str)>,
    flags: Vec<&'static str>,
}

impl<'a> Options<'a> {
    fn value(&self, name: &str) -> Option<&'a str> {
        self.values.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
    }

    fn required(&self, name: &str) -> Result<&'a str, Failure> {
        self.value(name).ok_or_else(|| usage_error(self.command, format!("{name}: required by {}", self.command)))
    }

    fn flag(&self, name: &str) -> bool {
        self.flags.contains(&name)
    }

    /// A decimal number in `min..=max`, naming the option if it is not.
    fn number(&self, name: &str, min: u64, max: u64) -> Result<Option<u64>, Failure> {
        let Some(text) = self.value(name) else {
            return Ok(None);
        };
        match text.parse::<u64>() {
            Ok(n) if (min..=max).contains(&n) => Ok(Some(n)),
            Ok(_) => Err(usage_error(self.command, format!("{name}: {text} is out of range ({min}..={max})"))),
            Err(_) => Err(usage_error(self.command, format!("{name}: {} is not a number", echo(text)))),
        }
    }

    fn domain(&self) -> Result<DomainSpec, Failure> {
        let text = self.required("--domain")?;
        if text.is_empty() {
            return Err(usage_error(self.command, "--domain: empty name"));
        }
        if text.bytes().all(|b| b.is_ascii_digit()) {
            return match text.parse::<u32>() {
                Ok(id) if id <= DOMID_MAX => Ok(DomainSpec::Id(id)),
                _ => Err(usage_error(
                    self.command,
                    format!("--domain: {} is not a domain id (0..={DOMID_MAX})", echo(text)),
                )),
            };
        }
        Ok(DomainSpec::Name(text.to_string()))
    }

    fn port(&self) -> Result<Option<u32>, Failure> {
        // Xen never allocates port 0.
        Ok(self.number("--port", 1, u64::from(u32::MAX))?.map(|p| p as u32))
    }

    fn timeout(&self) -> Result<Duration, Failure> {
        // poll(2) takes an int of milliseconds.
        let ms = self.number("--timeout-ms", 1, i32::MAX as u64)?.unwrap_or(DEFAULT_TIMEOUT_MS);
        Ok(Duration::from_millis(ms))
    }
}

/// Parses the arguments after the program name.
pub fn parse(args: &[String]) -> Result<Command, Failure> {
    let Some((first, rest)) = args.split_first() else {
        return Err(Failure::usage(format!("command: none given\n{USAGE}")));
    };
    if matches!(first.as_str(), "-h" | "--help" | "help") {
        return Ok(Command::Help);
    }
    let Some(&(command, valued, flags)) = SPECS.iter().find(|s| s.0 == first) else {
        return Err(Failure::usage(format!("command {}: unknown\n{USAGE}", echo(first))));
    };
    let mut opts = Options { command, values: Vec::new(), flags: Vec::new() };
    let mut it = rest.iter();
    while let Some(arg) = it.next() {
        if matches!(arg.as_str(), "-h" | "--help") {
            return Ok(Command::Help);
        }
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n, Some(v)),
            _ => (arg.as_str(), None),
        };
        if let Some(&flag) = flags.iter().find(|f| **f == name) {
            if inline.is_some() {
                return Err(usage_error(command, format!("{flag} takes no value")));
            }
            if opts.flags.contains(&flag) {
                return Err(usage_error(command, format!("{flag} given twice")));
            }
            opts.flags.push(flag);
        } else if let Some(&option) = valued.iter().find(|o| **o == name) {
            let Some(value) = inline.or_else(|| it.next().map(String::as_str)) else {
                return Err(usage_error(command, format!("{option} needs a value")));
            };
            if opts.value(option).is_some() {
                return Err(usage_error(command, format!("{option} given twice")));
            }
            opts.values.push((option, value));
        } else if name.starts_with('-') {
            return Err(usage_error(command, format!("option {}: unknown for {command}", echo(name))));
        } else {
            return Err(usage_error(command, format!("argument {}: unexpected", echo(arg))));
        }
    }
    build(&opts)
}

fn build(opts: &Options<'_>) -> Result<Command, Failure> {
    Ok(match opts.command {
        "ping" => Command::Ping(PingArgs {
            domain: opts.domain()?,
            port: opts.port()?,
            rounds: opts.number("--rounds", 1, u64::from(u32::MAX))?.map_or(DEFAULT_ROUNDS, |n| n as u32),
            timeout: opts.timeout()?,
            json: opts.flag("--json"),
            legacy: opts.flag("--legacy"),
            follow: opts.flag("--follow"),
        }),
        "serve" => Command::Serve(ServeArgs { domain: opts.domain()?, port: opts.port()?, timeout: opts.timeout()? }),
        "flood" => Command::Flood(FloodArgs {
            domain: opts.domain()?,
            port: opts.port()?,
            count: match opts.number("--count", 1, u64::MAX)? {
                Some(n) => n,
                None => return Err(usage_error("flood", "--count: required by flood")),
            },
            timeout: opts.timeout()?,
        }),
        "pingall" => Command::PingAll(PingAllArgs {
            domain: opts.domain()?,
            timeout: opts.timeout()?,
            json: opts.flag("--json"),
        }),
        "status" => Command::Status { domain: opts.domain()? },
        _ => {
            opts.required("--remote")?;
            let remote = opts.number("--remote", 0, u64::from(DOMID_MAX))?.unwrap_or(0) as u32;
            Command::Offer { remote }
        }
    })
}

#[cfg(test)]
#[path = "cli_tests.rs"]
mod tests;
