//! Java `.properties` parsing, as Kafka reads `server.properties`, and `--override`
//! command-line flags.
//!
//! The grammar is that of `java.util.Properties.load`:
//!
//! * lines starting (after optional whitespace) with `#` or `!` are comments, blank lines
//!   are skipped;
//! * a key ends at the first unescaped `=`, `:` or whitespace; whitespace around the
//!   separator is skipped, so `key=value`, `key: value` and `key value` are equivalent;
//! * a line ending in an odd number of backslashes continues on the next line, whose
//!   leading whitespace is dropped;
//! * escapes `\t`, `\n`, `\r`, `\f`, `\uXXXX` and `\` followed by any other character
//!   (which stands for that character, e.g. `\\`, `\=`, `\:`, `\#`, `\ `) are decoded in
//!   keys and values;
//! * a key given several times keeps its last value.
//!
//! Unlike Java, trailing (unescaped) whitespace of a value is removed: Kafka trims every
//! value before use anyway. The text is taken as already-decoded Unicode.

use std::collections::HashMap;

use super::ConfigError;

/// Parse `.properties` text into `(key, value)` pairs: one pair per key, in order of the
/// key's first appearance, with the value it was given last.
///
/// Errors (a malformed `\uXXXX` escape) carry the 1-based number of the line where the
/// offending logical line starts.
pub fn parse_properties(text: &str) -> Result<Vec<(String, String)>, ConfigError> {
    let lines = physical_lines(text);
    let mut pairs: Vec<(String, String)> = Vec::new();
    let mut index_of: HashMap<String, usize> = HashMap::new();

    let mut i = 0;
    while i < lines.len() {
        let start_line = i + 1;
        let first = skip_leading_whitespace(lines[i]);
        i += 1;
        if first.is_empty() || first.starts_with('#') || first.starts_with('!') {
            continue;
        }
        let mut logical = first.to_string();
        while ends_with_odd_backslashes(&logical) {
            logical.pop();
            if i >= lines.len() {
                break;
            }
            let next = skip_leading_whitespace(lines[i]);
            i += 1;
            logical.push_str(next);
        }

        let (key, value) = split_key_value(&logical, start_line)?;
        match index_of.get(&key) {
            Some(&idx) => pairs[idx].1 = value,
            None => {
                index_of.insert(key.clone(), pairs.len());
                pairs.push((key, value));
            }
        }
    }
    Ok(pairs)
}

/// Parse one `--override key=value` argument (as given to `arus server`, like Kafka's
/// `kafka-server-start.sh ... --override key=value`). The key is everything before the
/// first `=`, trimmed, and must not be empty; the value is everything after it, trimmed
/// (it may be empty).
pub fn parse_override(arg: &str) -> Result<(String, String), ConfigError> {
    let invalid = || ConfigError::InvalidOverride {
        arg: arg.to_string(),
    };
    let (key, value) = arg.split_once('=').ok_or_else(invalid)?;
    let key = key.trim();
    if key.is_empty() {
        return Err(invalid());
    }
    Ok((key.to_string(), value.trim().to_string()))
}

/// Split text into physical lines on `\n`, `\r\n` or `\r`.
fn physical_lines(text: &str) -> Vec<&str> {
    let mut lines = Vec::new();
    let bytes = text.as_bytes();
    let mut start = 0;
    let mut pos = 0;
    while pos < bytes.len() {
        match bytes[pos] {
            b'\n' => {
                lines.push(&text[start..pos]);
                pos += 1;
                start = pos;
            }
            b'\r' => {
                lines.push(&text[start..pos]);
                pos += 1;
                if pos < bytes.len() && bytes[pos] == b'\n' {
                    pos += 1;
                }
                start = pos;
            }
            _ => pos += 1,
        }
    }
    if start < bytes.len() {
        lines.push(&text[start..]);
    }
    lines
}

/// Whitespace as `.properties` defines it: space, tab and form feed.
fn is_properties_whitespace(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\x0c')
}

fn skip_leading_whitespace(line: &str) -> &str {
    line.trim_start_matches(is_properties_whitespace)
}

fn ends_with_odd_backslashes(s: &str) -> bool {
    s.chars().rev().take_while(|&c| c == '\\').count() % 2 == 1
}

/// Split a logical line into its decoded key and value.
fn split_key_value(line: &str, line_no: usize) -> Result<(String, String), ConfigError> {
    let chars: Vec<char> = line.chars().collect();
    let mut pos = 0;
    // Find the end of the key: first unescaped '=', ':' or whitespace.
    let mut escaped = false;
    while pos < chars.len() {
        let c = chars[pos];
        if escaped {
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == '=' || c == ':' || is_properties_whitespace(c) {
            break;
        }
        pos += 1;
    }
    let key_raw: String = chars[..pos].iter().collect();

    // Skip whitespace, at most one separator, then whitespace again.
    while pos < chars.len() && is_properties_whitespace(chars[pos]) {
        pos += 1;
    }
    if pos < chars.len() && (chars[pos] == '=' || chars[pos] == ':') {
        pos += 1;
    }
    while pos < chars.len() && is_properties_whitespace(chars[pos]) {
        pos += 1;
    }
    let value_raw: String = chars[pos..].iter().collect();

    let (key, _) = unescape(&key_raw, line_no)?;
    let (mut value, literal_len) = unescape(&value_raw, line_no)?;
    // Trim trailing whitespace that did not come from an escape.
    while value.len() > literal_len && value.ends_with(is_properties_whitespace) {
        value.pop();
    }
    Ok((key, value))
}

/// Decode escapes. Returns the decoded text and the byte length of its prefix that ends
/// with the last character produced by an escape (so that escaped trailing whitespace is
/// kept).
fn unescape(raw: &str, line_no: usize) -> Result<(String, usize), ConfigError> {
    let mut out = String::with_capacity(raw.len());
    let mut literal_len = 0;
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let Some(e) = chars.next() else {
            // A lone trailing backslash (only possible at end of input) is dropped.
            break;
        };
        match e {
            't' => out.push('\t'),
            'n' => out.push('\n'),
            'r' => out.push('\r'),
            'f' => out.push('\x0c'),
            'u' => {
                let unit = read_hex4(&mut chars, line_no)?;
                let ch = if (0xD800..0xDC00).contains(&unit) {
                    // A high surrogate must be followed by an escaped low surrogate.
                    let mut lookahead = chars.clone();
                    let low = match (lookahead.next(), lookahead.next()) {
                        (Some('\\'), Some('u')) => read_hex4(&mut lookahead, line_no)?,
                        _ => return Err(lone_surrogate(line_no)),
                    };
                    if !(0xDC00..0xE000).contains(&low) {
                        return Err(lone_surrogate(line_no));
                    }
                    chars = lookahead;
                    let code = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
                    char::from_u32(code).ok_or_else(|| lone_surrogate(line_no))?
                } else {
                    char::from_u32(unit).ok_or_else(|| lone_surrogate(line_no))?
                };
                out.push(ch);
            }
            other => out.push(other),
        }
        literal_len = out.len();
    }
    Ok((out, literal_len))
}

fn read_hex4(
    chars: &mut std::iter::Peekable<std::str::Chars<'_>>,
    line_no: usize,
) -> Result<u32, ConfigError> {
    let mut value = 0u32;
    for _ in 0..4 {
        let digit = chars
            .next()
            .and_then(|c| c.to_digit(16))
            .ok_or(ConfigError::Syntax {
                line: line_no,
                message: "Malformed \\uxxxx encoding.".to_string(),
            })?;
        value = value * 16 + digit;
    }
    Ok(value)
}

fn lone_surrogate(line_no: usize) -> ConfigError {
    ConfigError::Syntax {
        line: line_no,
        message: "\\uxxxx escape encodes an unpaired UTF-16 surrogate".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Vec<(String, String)> {
        parse_properties(text).expect("valid properties")
    }

    fn pair(k: &str, v: &str) -> (String, String) {
        (k.to_string(), v.to_string())
    }

    #[test]
    fn separators_comments_and_whitespace() {
        let text = "# comment\n\
                    ! also a comment\n\
                    \n   \t\n\
                    a=1\n\
                    b : 2\n\
                    c 3\n\
                    \t  d  =  4  \n\
                    e\n\
                    f=\n\
                    g==x\n\
                    h = a = b\n";
        assert_eq!(
            parse(text),
            vec![
                pair("a", "1"),
                pair("b", "2"),
                pair("c", "3"),
                pair("d", "4"),
                pair("e", ""),
                pair("f", ""),
                pair("g", "=x"),
                pair("h", "a = b"),
            ]
        );
    }

    #[test]
    fn later_keys_override_earlier_ones() {
        assert_eq!(
            parse("a=1\nb=2\na=3\n"),
            vec![pair("a", "3"), pair("b", "2")]
        );
    }

    #[test]
    fn line_endings() {
        assert_eq!(
            parse("a=1\r\nb=2\rc=3\nd=4"),
            vec![
                pair("a", "1"),
                pair("b", "2"),
                pair("c", "3"),
                pair("d", "4")
            ]
        );
    }

    #[test]
    fn continuation_lines() {
        let text = "listeners=PLAINTEXT://a:9092,\\\n    PLAINTEXT2://b:9093\nnext=1\n";
        assert_eq!(
            parse(text),
            vec![
                pair("listeners", "PLAINTEXT://a:9092,PLAINTEXT2://b:9093"),
                pair("next", "1"),
            ]
        );
        // An even number of backslashes is an escaped backslash, not a continuation.
        assert_eq!(
            parse("path=C:\\\\\nx=1"),
            vec![pair("path", "C:\\"), pair("x", "1")]
        );
        // A continued line may look like a comment: it is content.
        assert_eq!(parse("a=1\\\n#2\n"), vec![pair("a", "1#2")]);
        // A comment line ending in a backslash does not continue.
        assert_eq!(parse("# c \\\nb=2\n"), vec![pair("b", "2")]);
        // Continuation at end of input.
        assert_eq!(parse("a=1\\"), vec![pair("a", "1")]);
    }

    #[test]
    fn escapes() {
        let text = "tab=a\\tb\nnl=a\\nb\nslash=a\\\\b\neq=a\\=b\ncolon=a\\:b\n\
                    uni=caf\\u00e9\nemoji=\\uD83D\\uDE00\nkey\\=with\\:sep\\ space=v\n\
                    trail=v\\ \nplain=\\q\n";
        assert_eq!(
            parse(text),
            vec![
                pair("tab", "a\tb"),
                pair("nl", "a\nb"),
                pair("slash", "a\\b"),
                pair("eq", "a=b"),
                pair("colon", "a:b"),
                pair("uni", "café"),
                pair("emoji", "😀"),
                pair("key=with:sep space", "v"),
                pair("trail", "v "),
                pair("plain", "q"),
            ]
        );
    }

    #[test]
    fn malformed_unicode_escape_reports_line() {
        let err = parse_properties("a=1\n\n# c\nb=\\u12g4\n").unwrap_err();
        assert_eq!(
            err,
            ConfigError::Syntax {
                line: 4,
                message: "Malformed \\uxxxx encoding.".to_string()
            }
        );
        assert_eq!(err.to_string(), "line 4: Malformed \\uxxxx encoding.");
        let err = parse_properties("x=1\ny=\\u00").unwrap_err();
        assert!(matches!(err, ConfigError::Syntax { line: 2, .. }));
        let err = parse_properties("z=\\uD83D").unwrap_err();
        assert!(matches!(err, ConfigError::Syntax { line: 1, .. }));
    }

    #[test]
    fn continued_line_error_reports_first_line() {
        let err = parse_properties("ok=1\nbad=a\\\n  \\uZZZZ\n").unwrap_err();
        assert!(matches!(err, ConfigError::Syntax { line: 2, .. }));
    }

    #[test]
    fn overrides() {
        assert_eq!(
            parse_override("log.retention.hours=24"),
            Ok(pair("log.retention.hours", "24"))
        );
        assert_eq!(
            parse_override(" listeners = PLAINTEXT://:9092 "),
            Ok(pair("listeners", "PLAINTEXT://:9092"))
        );
        assert_eq!(parse_override("a=b=c"), Ok(pair("a", "b=c")));
        assert_eq!(parse_override("empty="), Ok(pair("empty", "")));
        assert_eq!(
            parse_override("novalue"),
            Err(ConfigError::InvalidOverride {
                arg: "novalue".to_string()
            })
        );
        assert!(parse_override("=x").is_err());
    }
}
