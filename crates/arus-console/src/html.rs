//! The shared page layout and the escaping every page goes through: topic names, group IDs,
//! config values, member IDs and error texts are untrusted and always pass through [`esc`]
//! (HTML text and attribute values) or [`url`] (a path segment or query value).

use std::fmt::Write;

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

/// Escapes text for HTML element content and quoted attribute values.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Percent-encodes text for one URL path segment or query value (everything except
/// unreserved characters).
pub fn url(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// Bytes as a short human size (1024-based).
pub fn size(bytes: i64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = bytes.max(0) as f64;
    let mut unit = 0;
    while v >= 1024.0 && unit + 1 < UNITS.len() {
        v /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{} B", bytes.max(0))
    } else {
        format!("{v:.1} {}", UNITS[unit])
    }
}

/// A duration in seconds as `1d 2h 3m 4s` (largest units first, zero units left out).
pub fn duration(secs: u64) -> String {
    let (d, h, m, s) = (secs / 86400, secs / 3600 % 24, secs / 60 % 60, secs % 60);
    let mut out = String::new();
    for (n, u) in [(d, "d"), (h, "h"), (m, "m")] {
        if n > 0 || !out.is_empty() {
            let _ = write!(out, "{n}{u} ");
        }
    }
    let _ = write!(out, "{s}s");
    out
}

/// A whole page: navigation, title and body (already escaped HTML).
pub fn page(title: &str, active: &str, body: &str) -> Html<String> {
    let mut nav = String::new();
    for (href, label) in [
        ("/", "Overview"),
        ("/topics", "Topics"),
        ("/groups", "Consumer groups"),
    ] {
        let class = if label == active {
            " class=\"active\""
        } else {
            ""
        };
        let _ = write!(nav, "<a href=\"{href}\"{class}>{label}</a>");
    }
    Html(format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title} · Arus</title>\
         <link rel=\"stylesheet\" href=\"/assets/console.css\"></head>\
         <body><header><span class=\"brand\">Arus</span><nav>{nav}</nav>\
         <a class=\"metrics\" href=\"/metrics\">/metrics</a></header>\
         <main><h1>{title}</h1>{body}</main>\
         <script src=\"/assets/console.js\"></script></body></html>",
        title = esc(title),
    ))
}

/// A failed page: an HTTP status with the reason shown (escaped) in the layout.
#[derive(Debug)]
pub struct Failure(pub StatusCode, pub String);

impl Failure {
    pub fn not_found(what: impl Into<String>) -> Failure {
        Failure(StatusCode::NOT_FOUND, what.into())
    }
    pub fn bad_request(what: impl Into<String>) -> Failure {
        Failure(StatusCode::BAD_REQUEST, what.into())
    }
}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Failure {
        Failure(StatusCode::INTERNAL_SERVER_ERROR, format!("{e:#}"))
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let body = format!("<p class=\"error\">{}</p>", esc(&self.1));
        (self.0, page("Error", "", &body)).into_response()
    }
}

/// A notice line (success or error) shown above a page's content.
pub fn notice(ok: Option<&str>, err: Option<&str>) -> String {
    let mut out = String::new();
    if let Some(m) = ok.filter(|m| !m.is_empty()) {
        let _ = write!(out, "<p class=\"ok\">{}</p>", esc(m));
    }
    if let Some(m) = err.filter(|m| !m.is_empty()) {
        let _ = write!(out, "<p class=\"error\">{}</p>", esc(m));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            esc("<script>alert('x')</script> & \"q\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;"
        );
        assert_eq!(esc("plain-topic.1_x"), "plain-topic.1_x");
        assert_eq!(esc("ünï"), "ünï");
    }

    #[test]
    fn url_encodes_everything_but_unreserved() {
        assert_eq!(url("a.b-c_d~"), "a.b-c_d~");
        assert_eq!(url("g 1/x?&#\"<"), "g%201%2Fx%3F%26%23%22%3C");
        assert_eq!(url("é"), "%C3%A9");
    }

    #[test]
    fn sizes_and_durations() {
        assert_eq!(size(0), "0 B");
        assert_eq!(size(1023), "1023 B");
        assert_eq!(size(1536), "1.5 KiB");
        assert_eq!(size(5 * 1024 * 1024), "5.0 MiB");
        assert_eq!(duration(5), "5s");
        assert_eq!(duration(3661), "1h 1m 1s");
        assert_eq!(duration(86400 + 5), "1d 0h 0m 5s");
    }

    #[test]
    fn page_escapes_its_title() {
        let Html(p) = page("<b>", "", "");
        assert!(p.contains("<h1>&lt;b&gt;</h1>"));
        assert!(!p.contains("<h1><b>"));
    }
}
