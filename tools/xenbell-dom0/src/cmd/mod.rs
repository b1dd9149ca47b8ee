//! One module per subcommand. Each `run` takes the event channels and the
//! xenstore connection as parameters, so host tests drive it with fakes.

pub mod flood;
pub mod offer;
pub mod ping;
pub mod serve;
pub mod status;

use std::io::Write;

/// Prints one line of results; a closed stdout is not worth failing for.
pub(crate) fn say(out: &mut dyn Write, line: &str) {
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

/// `value` as one line of JSON (serde_json).
pub(crate) fn json_text(value: &impl serde::Serialize) -> String {
    // Serializing the tool's own structs (strings, integers, options,
    // finite floats) cannot fail; an error would be a bug, shown as such.
    serde_json::to_string(value).unwrap_or_else(|e| format!("{{\"error\":\"json: {e}\"}}"))
}

/// Prints `value` as one line of JSON.
pub(crate) fn say_json(out: &mut dyn Write, value: &impl serde::Serialize) {
    say(out, &json_text(value));
}
