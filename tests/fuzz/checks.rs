//! What must hold for any input, whatever the bytes. Shared by the fuzz targets (cargo-fuzz,
//! in this folder) and by `tests/it/fuzz_regressions.rs`, which runs the same checks in
//! `cargo test` on seeds and on every input a fuzzer ever found, so the checks cannot rot.
#![allow(dead_code)]

use std::sync::OnceLock;

use autoheal::analysis::{Analyzer, ExcerptOptions, JobContext, scanner};
use autoheal::text::{redact, sanitize};

fn analyzer() -> &'static Analyzer {
    static A: OnceLock<Analyzer> = OnceLock::new();
    A.get_or_init(|| Analyzer::new(&[]).expect("the built-in catalog compiles"))
}

/// What may never be shown: control characters and bidirectional overrides.
fn shown_safely(text: &str) -> bool {
    !text
        .chars()
        .any(|c| c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'))
}

/// The analysis of any log: no panic, bounded excerpt, increasing line numbers within the
/// log, and nothing that could drive a terminal.
pub fn analyze_log(data: &[u8]) {
    let a = analyzer().analyze_bytes(data, &JobContext::default());
    let opts = ExcerptOptions::default();
    assert!(a.excerpt.len() <= opts.max_lines);
    assert!(a.total_lines <= data.len() + 1);
    let mut last = 0;
    for l in &a.excerpt {
        assert!(l.line > last, "line numbers increase");
        assert!(l.line <= a.total_lines.max(1));
        assert!(shown_safely(&l.text), "{:?}", l.text);
        last = l.line + l.repeated.unwrap_or(1) - 1;
    }
    for m in &a.matches {
        assert!(m.line >= 1 && m.line <= a.total_lines.max(1));
        assert!(shown_safely(&m.text), "{:?}", m.text);
    }
    for line in scanner::readable_lines(data) {
        assert!(shown_safely(&line), "{line:?}");
    }
}

/// The sanitizer: nothing unsafe survives, and cleaning clean text changes nothing.
pub fn sanitize(data: &[u8]) {
    let cleaned = sanitize::clean(data);
    assert!(shown_safely(&cleaned), "{cleaned:?}");
    assert_eq!(sanitize::clean(cleaned.as_bytes()), cleaned, "idempotent");
    for span in sanitize::spans(data) {
        assert!(shown_safely(&span.text), "{span:?}");
        assert!(
            span.sgr
                .bytes()
                .all(|b| b.is_ascii_digit() || b == b';' || b == b':')
        );
    }
}

/// Any bytes as `.github/auto-heal-config.yml`: a policy, or an error that names the file.
pub fn policy(data: &[u8]) {
    if let Err(e) = autoheal::config::parse_policy(data, "auto-heal-config.yml") {
        assert!(e.to_string().starts_with("auto-heal-config.yml"), "{e}");
    }
}

/// A token (the first bytes, made alphanumeric) placed in any text (the rest) never
/// survives redaction, given as the user's token or looking like a GitHub token.
pub fn redact(data: &[u8]) {
    if data.len() < 2 {
        return;
    }
    let (len, rest) = (4 + usize::from(data[0] % 40), &data[1..]);
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let body: String = rest
        .iter()
        .take(len)
        .map(|b| char::from(alphabet[usize::from(*b) % alphabet.len()]))
        .collect();
    let text = String::from_utf8_lossy(&rest[body.len().min(rest.len())..]);
    let at = text
        .char_indices()
        .map(|(i, _)| i)
        .nth(usize::from(data[0]) % (text.chars().count() + 1))
        .unwrap_or(text.len());
    let own = format!("{}{body}{}", &text[..at], &text[at..]);
    let masked = redact::redact(&own, &[&body]);
    assert!(
        body.len() < 4 || !masked.contains(&body),
        "{own:?} -> {masked:?}"
    );
    if body.len() == 36 {
        let token = format!("ghp_{body}");
        let text = format!("{}{token}{}", &text[..at], &text[at..]);
        let masked = redact::redact(&text, &[]);
        assert!(!masked.contains(&token), "{text:?} -> {masked:?}");
    }
}

/// Untrusted text fenced for the Copilot prompt: only the fence's own last line closes it.
pub fn fence(data: &[u8]) {
    let content = String::from_utf8_lossy(data);
    let fenced = autoheal::heal::prompt::fence("text", &content);
    let opening = fenced
        .lines()
        .next()
        .unwrap_or_default()
        .trim_end_matches("text")
        .to_string();
    assert!(opening.starts_with("```"), "{fenced:?}");
    // CommonMark: a line of at least as many backticks, after up to 3 spaces, closes it;
    // a lone carriage return ends a line too.
    let closes = |line: &str| {
        let indent = line.len() - line.trim_start_matches(' ').len();
        let rest = &line[indent..];
        indent <= 3 && rest.starts_with(&opening) && rest.trim_start_matches('`').trim().is_empty()
    };
    let inner: Vec<&str> = fenced.split(['\n', '\r']).skip(1).collect();
    let closing_at = inner.iter().position(|l| closes(l));
    assert_eq!(closing_at, Some(inner.len() - 1), "{fenced:?}");
}
