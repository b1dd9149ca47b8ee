//! The command line, defined once with `clap` (derive): parsing, `--help`
//! for every subcommand, `--version`, shell completions and the man page
//! (`examples/man.rs`) all come from [`Cli`]. Every parse problem is a
//! [`Failure`] with exit 2 whose message names the option, command or
//! argument first (echoed, bounded), followed by that subcommand's usage line.

use std::time::Duration;

use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};
use echo::echo;

use crate::failure::Failure;

/// Largest ordinary domain id (DOMID_FIRST_RESERVED - 1).
pub const DOMID_MAX: u32 = 0x7FEF;

pub const DEFAULT_ROUNDS: u32 = 1000;
pub const DEFAULT_TIMEOUT_MS: u64 = 1000;

const PING_USAGE: &str = "xenbell-dom0 ping --domain <name|id> [--port P] [--rounds N] [--timeout-ms T] [--json] [--legacy] [--follow] [--ports all|P1,P2,...]";
const SERVE_USAGE: &str = "xenbell-dom0 serve --domain <name|id> [--port P] [--timeout-ms T] [--json]";
const FLOOD_USAGE: &str = "xenbell-dom0 flood --domain <name|id> --count M [--port P] [--timeout-ms T] [--json]";
const STATUS_USAGE: &str = "xenbell-dom0 status --domain <name|id> [--json]";
const OFFER_USAGE: &str = "xenbell-dom0 offer --remote <domid> [--json]";
const VCHAN_USAGE: &str =
    "xenbell-dom0 vchan --domain <name|id> [--path P] [--echo-test BYTES] [--latency N] [--timeout-ms T] [--corrupt]";
const COMPLETIONS_USAGE: &str = "xenbell-dom0 completions <bash|zsh|fish>";

/// (subcommand, usage line without `usage: `), in the order `--help` lists them.
const USAGES: [(&str, &str); 7] = [
    ("ping", PING_USAGE),
    ("serve", SERVE_USAGE),
    ("flood", FLOOD_USAGE),
    ("status", STATUS_USAGE),
    ("offer", OFFER_USAGE),
    ("vchan", VCHAN_USAGE),
    ("completions", COMPLETIONS_USAGE),
];

/// All usage lines, as printed after a usage error that names no subcommand.
pub fn usage() -> String {
    format!("usage: {}", usage_lines())
}

/// The usage lines, aligned under a 7-character `usage: ` (or clap's `Usage: `).
fn usage_lines() -> String {
    USAGES.iter().map(|(_, line)| *line).collect::<Vec<_>>().join("\n       ")
}

/// The usage line of one subcommand (all of them for an unknown one).
pub fn usage_line(command: &str) -> String {
    USAGES.iter().find(|(c, _)| *c == command).map_or_else(usage, |(_, l)| format!("usage: {l}"))
}

/// The exit codes, as every `--help` lists them (docs/protocol.md).
pub const EXIT_CODES: &str = "\
Exit codes:
  0  ok
  1  internal error (a system call that cannot fail did: a bug)
  2  usage
  3  not on Xen: /dev/xen/* missing, or not usable (not root)
  4  domain not found (or a name two domains share)
  5  port not published (or not a port)
  6  bind refused
  7  timeout, peer gone, or the guest shut down, suspended or moved
  8  xenstore failed (no answer within 5 s, refused, or broke the wire format)";

const MAIN_AFTER: &str = "\
Exit codes:
  0 ok, 1 internal error, 2 usage, 3 not on Xen, 4 domain not found, 5 port not published,
  6 bind refused, 7 timeout or peer gone, 8 xenstore failed ('<command> --help' has more)

Example:
  xenbell-dom0 ping --domain xenbell --rounds 1000 --json";

/// `--domain` as given: a number is a domain id, anything else a name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DomainSpec {
    Id(u32),
    Name(String),
}

/// The dom0 peer of the xenbell unikernel: event-channel ping-pong over /dev/xen/evtchn.
#[derive(Parser, Debug)]
#[command(
    name = "xenbell-dom0",
    version,
    subcommand_required = true,
    disable_help_subcommand = true,
    override_usage = usage_lines(),
    after_help = MAIN_AFTER
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// Bind to the guest's port and time ping-pong rounds (dom0 leads)
    ///
    /// Binds to the port the guest published (data/xenbell/port, or --port), opens a
    /// session (peer-state=3, waits for guest-state=4), sends one event per round and
    /// waits for the answer, then closes the session. Prints one summary line, or with
    /// --json one object: {"rounds_requested","rounds_ok","rtt_ns":{"min","p50","p99","max"},
    /// "rounds_per_s"}; with --follow also "rounds_resent","rebinds","unreachable_ms","domid".
    ///
    /// With --ports (a guest started with ports=K): --rounds N on each of those ports, all
    /// at once (1024 bound at a time), no handshake; one line per port, in index order
    /// (`port P (ports/I): rounds=N answered=A p50_us=X p99_us=Y`), then a summary with
    /// the total rounds per second; with --json one object: {"ports","answered","lowest",
    /// "highest","ms","rounds","total_rounds","rounds_per_s","per_port":[{"index","port",
    /// "rounds","answered","p50_us","p99_us"},..]} ("answered": ports that answered all N).
    #[command(override_usage = PING_USAGE, after_help = after("xenbell-dom0 ping --domain xenbell --rounds 1000 --json"))]
    Ping(PingArgs),
    /// Answer every event of a guest that leads (xl config with cmdline mode=lead)
    ///
    /// Answers each event of the guest with one until it writes state=done, or until
    /// --timeout-ms passes without an event (exit 7 unless it said done). With --json
    /// prints one object at the end: {"domid","name","port","answered"}.
    #[command(override_usage = SERVE_USAGE, after_help = after("xenbell-dom0 serve --domain xenbell-lead --timeout-ms 5000"))]
    Serve(ServeArgs),
    /// Send --count events back to back without waiting for answers
    ///
    /// Events coalesce: the guest sees at most one per wake-up. With --json prints one
    /// object at the end: {"domid","name","port","sent","seconds","per_s"}.
    #[command(override_usage = FLOOD_USAGE, after_help = after("xenbell-dom0 flood --domain xenbell --count 1000000"))]
    Flood(FloodArgs),
    /// Show what xenstore and Xen say about a guest's xenbell port
    ///
    /// Prints the domain, its published port, its state key and the port's state as Xen
    /// reports it (EVTCHNOP_status through /dev/xen/privcmd). With --json one object:
    /// {"domid","name","port","port_text","state","evtchn"} (null where absent).
    #[command(override_usage = STATUS_USAGE, after_help = after("xenbell-dom0 status --domain xenbell --json"))]
    Status(StatusArgs),
    /// Play the guest's role (for a Linux guest): offer a port, answer every event
    ///
    /// Allocates a port for --remote, publishes it under our own home
    /// (data/xenbell/port, state=ready), speaks the guest side of the session handshake
    /// and answers every event, until SIGTERM or SIGINT. With --json prints JSON lines
    /// of events: {"event":"offering",..}, {"event":"session","open":..}, {"event":"done",..}.
    #[command(override_usage = OFFER_USAGE, after_help = after("xenbell-dom0 offer --remote 0 --json"))]
    Offer(OfferArgs),
    /// Connect to a guest's libxenvchan server (xl config with cmdline mode=vchan)
    ///
    /// Maps the server's shared page and rings (gntdev) and binds its event channel,
    /// then copies stdin to the server and what comes back to stdout, like `cat`; with
    /// --echo-test sends that many random bytes and checks that the echo is the same
    /// (exit 9 on any difference), printing the throughput; --latency times N round
    /// trips of small messages (1..64 bytes), printing min/p50/p99/max in microseconds.
    #[command(override_usage = VCHAN_USAGE, after_help = after("xenbell-dom0 vchan --domain xenbell-vchan --echo-test 1048576 --latency 1000"))]
    Vchan(VchanArgs),
    /// Print a completion script for a shell
    ///
    /// bash: `xenbell-dom0 completions bash > /etc/bash_completion.d/xenbell-dom0`;
    /// zsh: into a directory on $fpath as `_xenbell-dom0`; fish: into
    /// ~/.config/fish/completions/xenbell-dom0.fish.
    #[command(override_usage = COMPLETIONS_USAGE, after_help = after("xenbell-dom0 completions bash > /etc/bash_completion.d/xenbell-dom0"))]
    Completions {
        /// The shell
        #[arg(value_enum)]
        shell: Shell,
    },
    /// Not parsed: `--help` or `--version`, rendered, for stdout.
    #[command(skip)]
    Print(String),
}

/// The shells `completions` writes a script for.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
}

impl Shell {
    pub fn generator(self) -> clap_complete::Shell {
        match self {
            Shell::Bash => clap_complete::Shell::Bash,
            Shell::Zsh => clap_complete::Shell::Zsh,
            Shell::Fish => clap_complete::Shell::Fish,
        }
    }
}

fn after(example: &str) -> String {
    format!("{EXIT_CODES}\n\nExample:\n  {example}")
}

#[derive(Args, Clone, Debug, PartialEq, Eq)]
pub struct PingArgs {
    /// The guest: a domain id, or its name (exactly as `xl list` shows it)
    #[arg(long, value_name = "name|id", value_parser = parse_domain)]
    pub domain: DomainSpec,
    /// Bind to this port and look nothing up in xenstore (default: data/xenbell/port)
    #[arg(long, value_name = "P", value_parser = parse_port, allow_hyphen_values = true)]
    pub port: Option<u32>,
    /// Rounds to play (default 1000; with --ports, 1 on each port)
    #[arg(long, value_name = "N", default_value_t = DEFAULT_ROUNDS, value_parser = parse_rounds, allow_hyphen_values = true,
          default_value_if("ports", clap::builder::ArgPredicate::IsPresent, "1"))]
    pub rounds: u32,
    /// How long to wait for each answer, in milliseconds
    #[arg(long = "timeout-ms", value_name = "T", default_value = "1000", value_parser = parse_timeout, allow_hyphen_values = true)]
    pub timeout: Duration,
    /// Print one JSON object instead of the summary line
    #[arg(long)]
    pub json: bool,
    /// Speak no session handshake (as a tool older than it does)
    #[arg(long)]
    pub legacy: bool,
    /// Keep going across save/restore and migration
    #[arg(long)]
    pub follow: bool,
    /// --rounds on each of several ports at once (a guest with ports=K): `all` (every
    /// data/xenbell/ports/<i>) or a comma-separated list; one report per port, then the
    /// total rounds/s
    #[arg(long, value_name = "all|P1,P2,...", value_parser = parse_ports)]
    pub ports: Option<PortsSpec>,
}

/// `ping --ports`: which of a `ports=K` guest's ports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PortsSpec {
    /// Every `data/xenbell/ports/<i>`.
    All,
    /// These (each must be published under `ports/`).
    List(Vec<u32>),
}

fn parse_ports(text: &str) -> Result<PortsSpec, String> {
    if text == "all" {
        return Ok(PortsSpec::All);
    }
    text.split(',').map(parse_port).collect::<Result<Vec<_>, _>>().map(PortsSpec::List)
}

/// `ping --ports`: `rounds` rounds on each port, all at once (cmd/pingall.rs).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PingAllArgs {
    pub domain: DomainSpec,
    pub ports: PortsSpec,
    /// Rounds per port.
    pub rounds: u32,
    pub timeout: Duration,
    pub json: bool,
}

#[derive(Args, Clone, Debug, PartialEq, Eq)]
pub struct ServeArgs {
    /// The guest: a domain id, or its name (exactly as `xl list` shows it)
    #[arg(long, value_name = "name|id", value_parser = parse_domain)]
    pub domain: DomainSpec,
    /// Bind to this port (default: data/xenbell/port)
    #[arg(long, value_name = "P", value_parser = parse_port, allow_hyphen_values = true)]
    pub port: Option<u32>,
    /// Give up after this many milliseconds without an event
    #[arg(long = "timeout-ms", value_name = "T", default_value = "1000", value_parser = parse_timeout, allow_hyphen_values = true)]
    pub timeout: Duration,
    /// Print one JSON object instead of the summary line
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Clone, Debug, PartialEq, Eq)]
pub struct FloodArgs {
    /// The guest: a domain id, or its name (exactly as `xl list` shows it)
    #[arg(long, value_name = "name|id", value_parser = parse_domain)]
    pub domain: DomainSpec,
    /// Bind to this port (default: data/xenbell/port)
    #[arg(long, value_name = "P", value_parser = parse_port, allow_hyphen_values = true)]
    pub port: Option<u32>,
    /// Events to send
    #[arg(long, value_name = "M", value_parser = parse_count, allow_hyphen_values = true)]
    pub count: u64,
    /// How long to wait for the session to open, in milliseconds
    #[arg(long = "timeout-ms", value_name = "T", default_value = "1000", value_parser = parse_timeout, allow_hyphen_values = true)]
    pub timeout: Duration,
    /// Print one JSON object instead of the summary line
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Clone, Debug, PartialEq, Eq)]
pub struct StatusArgs {
    /// The guest: a domain id, or its name (exactly as `xl list` shows it)
    #[arg(long, value_name = "name|id", value_parser = parse_domain)]
    pub domain: DomainSpec,
    /// Print one JSON object instead of lines
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Clone, Debug, PartialEq, Eq)]
pub struct OfferArgs {
    /// The domain allowed to bind the port (0: dom0)
    #[arg(long, value_name = "domid", value_parser = parse_remote, allow_hyphen_values = true)]
    pub remote: u32,
    /// Print JSON lines of events instead of text lines
    #[arg(long)]
    pub json: bool,
}

/// `vchan`: a libxenvchan client of the server at `path` (default
/// `/local/domain/<domain>/data/vchan/0/1`).
#[derive(Args, Clone, Debug, PartialEq, Eq)]
pub struct VchanArgs {
    /// The server's domain: a domain id, or its name (exactly as `xl list` shows it)
    #[arg(long, value_name = "name|id", value_parser = parse_domain)]
    pub domain: DomainSpec,
    /// The server's xenstore directory (default /local/domain/<domain>/data/vchan/0/1)
    #[arg(long, value_name = "P", value_parser = parse_xs_path)]
    pub path: Option<String>,
    /// Send this many random bytes and check the echo (default: stdin to stdout)
    #[arg(long = "echo-test", value_name = "BYTES", value_parser = parse_echo_bytes, allow_hyphen_values = true)]
    pub echo_test: Option<u64>,
    /// Time N round trips of one small message each (1..64 bytes, cycling) and print
    /// min/p50/p99/max in microseconds; after --echo-test if both are given
    #[arg(long, value_name = "N", value_parser = parse_latency_rounds, allow_hyphen_values = true, conflicts_with = "corrupt")]
    pub latency: Option<u32>,
    /// How long to wait for the server, in milliseconds
    #[arg(long = "timeout-ms", value_name = "T", default_value = "1000", value_parser = parse_timeout, allow_hyphen_values = true)]
    pub timeout: Duration,
    /// Test aid: connect, then write out-of-range ring counters into the shared page
    /// (a hostile client), and wait for the server to close
    #[arg(long)]
    pub corrupt: bool,
}

fn parse_xs_path(text: &str) -> Result<String, String> {
    if text.starts_with('/') {
        Ok(text.to_string())
    } else {
        Err(format!("{} is not an absolute xenstore path", echo(text)))
    }
}

/// 1..=1000000 round trips (each kept for the percentiles).
fn parse_latency_rounds(text: &str) -> Result<u32, String> {
    number(text, 1, 1_000_000).map(|n| n as u32)
}

/// Up to 1 GiB: the bytes are held in memory.
fn parse_echo_bytes(text: &str) -> Result<u64, String> {
    number(text, 1, 1 << 30)
}

/// A decimal number in `min..=max`; the error names the value, not the
/// option (the caller puts the option first).
fn number(text: &str, min: u64, max: u64) -> Result<u64, String> {
    match text.parse::<u64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        Ok(n) => Err(format!("{n} is out of range ({min}..={max})")),
        Err(_) => Err(format!("{} is not a number", echo(text))),
    }
}

fn parse_domain(text: &str) -> Result<DomainSpec, String> {
    if text.is_empty() {
        return Err("empty name".into());
    }
    if text.bytes().all(|b| b.is_ascii_digit()) {
        return match text.parse::<u32>() {
            Ok(id) if id <= DOMID_MAX => Ok(DomainSpec::Id(id)),
            _ => Err(format!("{} is not a domain id (0..={DOMID_MAX})", echo(text))),
        };
    }
    Ok(DomainSpec::Name(text.to_string()))
}

/// Xen never allocates port 0.
fn parse_port(text: &str) -> Result<u32, String> {
    number(text, 1, u64::from(u32::MAX)).map(|n| n as u32)
}

fn parse_rounds(text: &str) -> Result<u32, String> {
    number(text, 1, u64::from(u32::MAX)).map(|n| n as u32)
}

fn parse_count(text: &str) -> Result<u64, String> {
    number(text, 1, u64::MAX)
}

/// poll(2) takes an int of milliseconds.
fn parse_timeout(text: &str) -> Result<Duration, String> {
    number(text, 1, i32::MAX as u64).map(Duration::from_millis)
}

fn parse_remote(text: &str) -> Result<u32, String> {
    number(text, 0, u64::from(DOMID_MAX)).map(|n| n as u32)
}

/// The clap definition (for completions and the man page).
pub fn definition() -> clap::Command {
    Cli::command()
}

/// Parses the arguments after the program name. `--help` and `--version`
/// come back as [`Command::Print`].
pub fn parse(args: &[String]) -> Result<Command, Failure> {
    let argv = std::iter::once("xenbell-dom0").chain(args.iter().map(String::as_str));
    match Cli::try_parse_from(argv) {
        Ok(cli) => Ok(cli.command),
        Err(e) if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) => {
            Ok(Command::Print(e.render().to_string().trim_end().to_string()))
        }
        Err(e) => Err(usage_failure(&e, args.first().map(String::as_str))),
    }
}

/// The option named by a clap error context (`--domain <name|id>` -> `--domain`).
fn context_arg(e: &clap::Error, kind: ContextKind) -> Option<String> {
    let text = match e.get(kind)? {
        ContextValue::String(s) => s.clone(),
        ContextValue::Strings(v) => v.first()?.clone(),
        _ => return None,
    };
    let name = text.split([' ', '=']).next().unwrap_or_default();
    // A positional argument is shown as `<SHELL>`: say `shell`.
    Some(name.trim_start_matches('<').trim_end_matches('>').to_string()).map(|n| {
        if name.starts_with('<') {
            n.to_lowercase()
        } else {
            n
        }
    })
}

fn context_value(e: &clap::Error, kind: ContextKind) -> Option<String> {
    match e.get(kind)? {
        ContextValue::String(s) => Some(s.clone()),
        _ => None,
    }
}

/// One message, subject first, as the hand-written parser had them, and the
/// usage line of the subcommand being parsed.
fn usage_failure(e: &clap::Error, first: Option<&str>) -> Failure {
    let command = first.filter(|c| USAGES.iter().any(|(u, _)| u == c));
    let arg = context_arg(e, ContextKind::InvalidArg).unwrap_or_default();
    let message = match e.kind() {
        ErrorKind::MissingSubcommand | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            "command: none given".to_string()
        }
        ErrorKind::InvalidSubcommand => {
            let name = context_value(e, ContextKind::InvalidSubcommand).unwrap_or_default();
            format!("command {}: unknown", echo(&name))
        }
        ErrorKind::MissingRequiredArgument => format!("{arg}: required by {}", command.unwrap_or("xenbell-dom0")),
        ErrorKind::ArgumentConflict => format!("{arg} given twice"),
        ErrorKind::TooManyValues => format!("{arg} takes no value"),
        // No value at all (`--domain` last); `--domain=` is an empty value, for the parser.
        ErrorKind::InvalidValue if context_value(e, ContextKind::InvalidValue).is_none_or(|v| v.is_empty()) => {
            format!("{arg} needs a value")
        }
        ErrorKind::InvalidValue => {
            let value = context_value(e, ContextKind::InvalidValue).unwrap_or_default();
            format!("{arg}: {} is not one of {}", echo(&value), valid_values(e))
        }
        ErrorKind::ValueValidation => match std::error::Error::source(e) {
            Some(why) => format!("{arg}: {why}"),
            None => format!("{arg}: bad value"),
        },
        ErrorKind::UnknownArgument => {
            if arg.starts_with('-') {
                format!("option {}: unknown for {}", echo(&arg), command.unwrap_or("xenbell-dom0"))
            } else {
                format!("argument {}: unexpected", echo(&arg))
            }
        }
        _ => {
            let text = e.render().to_string();
            let line = text.lines().next().unwrap_or_default().trim_start_matches("error: ").to_string();
            format!("{}: {line}", command.unwrap_or("xenbell-dom0"))
        }
    };
    Failure::usage(format!("{message}\n{}", command.map_or_else(usage, usage_line)))
}

fn valid_values(e: &clap::Error) -> String {
    match e.get(ContextKind::ValidValue) {
        Some(ContextValue::Strings(v)) => v.join(", "),
        _ => "the listed values".into(),
    }
}

#[cfg(test)]
#[path = "cli_tests.rs"]
mod tests;
