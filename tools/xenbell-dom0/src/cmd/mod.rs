//! One module per subcommand. Each `run` takes the event channels and the
//! xenstore connection as parameters, so host tests drive it with fakes.

pub mod flood;
pub mod offer;
pub mod ping;
pub mod serve;
pub mod status;
pub mod vchan;

use std::io::Write;

/// Prints one line of results; a closed stdout is not worth failing for.
pub(crate) fn say(out: &mut dyn Write, line: &str) {
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

/// Prints `value` as one line of JSON.
pub(crate) fn say_json(out: &mut dyn Write, value: &impl serde::Serialize) {
    say(out, &crate::json::text(value));
}
