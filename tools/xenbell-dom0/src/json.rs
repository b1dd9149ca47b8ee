//! JSON output: every object the tool prints is a serde `Serialize` struct
//! written by serde_json, one line each (docs/protocol.md has the shapes).

/// `value` as one line of JSON.
pub fn text(value: &impl serde::Serialize) -> String {
    // Serializing the tool's own structs (strings, integers, options,
    // finite floats) cannot fail; an error would be a bug, shown as such.
    serde_json::to_string(value).unwrap_or_else(|e| format!("{{\"error\":\"json: {e}\"}}"))
}
