use super::*;
use proptest::prelude::*;

/// Undoes the escapes: the bytes an echo's body stands for.
fn unescape(body: &str) -> Vec<u8> {
    let mut out = Vec::new();
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
            continue;
        }
        match chars.next() {
            Some('\\') => out.push(b'\\'),
            Some('\'') => out.push(b'\''),
            Some('n') => out.push(b'\n'),
            Some('r') => out.push(b'\r'),
            Some('t') => out.push(b'\t'),
            Some('0') => out.push(0),
            Some('x') => {
                let hex: String = chars.by_ref().take(2).collect();
                out.push(u8::from_str_radix(&hex, 16).unwrap());
            }
            Some('u') => {
                assert_eq!(chars.next(), Some('{'));
                let hex: String = chars.by_ref().take_while(|&c| c != '}').collect();
                let c = char::from_u32(u32::from_str_radix(&hex, 16).unwrap()).unwrap();
                out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
            }
            other => panic!("bad escape {other:?} in {body:?}"),
        }
    }
    out
}

/// (the bytes shown, the length suffix if the echo was cut) of a quoted echo.
fn parse(text: &str) -> (Vec<u8>, Option<usize>) {
    let inner = text.strip_prefix('\'').expect("opening quote");
    if let Some((body, rest)) = inner.rsplit_once("...' (") {
        let n = rest.strip_suffix(" bytes)").expect("length suffix").parse().unwrap();
        return (unescape(body), Some(n));
    }
    (unescape(inner.strip_suffix('\'').expect("closing quote")), None)
}

#[test]
fn examples() {
    assert_eq!(echo("rounds").to_string(), "'rounds'");
    assert_eq!(echo("").to_string(), "''");
    assert_eq!(echo("xenbell2 ").to_string(), "'xenbell2 '");
    assert_eq!(echo(b"a\nb\r\t\0\x1b[31m\x7f").to_string(), r"'a\nb\r\t\0\x1b[31m\x7f'");
    assert_eq!(echo(b"ok\xff\xfe").to_string(), r"'ok\xff\xfe'");
    assert_eq!(echo(r"it's a\b").to_string(), r"'it\'s a\\b'");
    assert_eq!(echo("dömäin").to_string(), r"'d\u{f6}m\u{e4}in'");
    assert_eq!(echo("\u{202e}gnp.exe\u{85}").to_string(), r"'\u{202e}gnp.exe\u{85}'");
    // A literal "..." is not taken for a cut: only a cut has the length.
    assert_eq!(echo("a...").to_string(), "'a...'");
    assert_eq!(echo("x'y").bare().to_string(), r"x\'y");
}

#[test]
fn long_values_are_cut_with_their_length() {
    let digits = "1234567890".repeat(60);
    assert_eq!(echo(&digits).max(4).to_string(), "'1234...' (600 bytes)");
    let shown = echo(&digits).to_string();
    assert_eq!(shown, format!("'{}...' (600 bytes)", &digits[..DEFAULT_MAX]));
    // Exactly max fits; one more is cut.
    assert_eq!(echo("abcd").max(4).to_string(), "'abcd'");
    assert_eq!(echo("abcde").max(4).to_string(), "'abcd...' (5 bytes)");
    // Cut at a whole escape, never inside one.
    assert_eq!(echo(b"ab\xff").max(4).to_string(), r"'ab...' (3 bytes)");
    assert_eq!(echo("abcde").max(4).bare().to_string(), "abcd... (5 bytes)");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Bounded, printable ASCII (so no control characters), and faithful: the body unescapes
    /// to the input, or to a prefix of it followed by the input's length.
    #[test]
    fn bounded_escaped_faithful(input in proptest::collection::vec(any::<u8>(), 0..300), max in 0usize..80) {
        let text = echo(&input).max(max).to_string();
        prop_assert!(text.len() <= max + OVERHEAD, "{} > {} + {}: {text}", text.len(), max, OVERHEAD);
        prop_assert!(text.bytes().all(|b| (b' '..=b'~').contains(&b)), "not printable ASCII: {text:?}");
        let (shown, cut) = parse(&text);
        match cut {
            None => prop_assert_eq!(&shown, &input),
            Some(n) => {
                prop_assert_eq!(n, input.len());
                prop_assert!(input.starts_with(&shown), "{shown:?} not a prefix of {input:?}");
                prop_assert!(shown.len() < input.len());
            }
        }
    }

    /// Text of mostly printable characters, the common case, is shown as is.
    #[test]
    fn printable_text_is_unchanged(input in "[a-zA-Z0-9 =.,:/-]{0,40}") {
        prop_assert_eq!(echo(&input).to_string(), format!("'{input}'"));
    }
}
