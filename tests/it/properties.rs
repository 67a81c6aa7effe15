//! Properties that must hold for any input (proptest): the log analysis never panics and never
//! lets a control character through; excerpts stay within their bounds; a secret placed
//! anywhere never survives redaction; any config text gives a policy or a located error; log
//! text in the Copilot prompt stays inside its untrusted-data fence.

use autoheal::analysis::{Analyzer, ExcerptOptions, JobContext};
use autoheal::text::redact;
use proptest::prelude::*;

fn analyzer() -> &'static Analyzer {
    static A: std::sync::OnceLock<Analyzer> = std::sync::OnceLock::new();
    A.get_or_init(|| Analyzer::new(&[]).unwrap())
}

/// Log-like lines: timestamps or not, markers, failure words, escapes, odd bytes.
fn log_line() -> impl Strategy<Value = Vec<u8>> {
    let pieces = prop_oneof![
        Just(b"2025-11-20T10:15:32.1234567Z ".to_vec()),
        Just(b"##[error]".to_vec()),
        Just(b"##[group]Run pytest".to_vec()),
        Just(b"##[endgroup]".to_vec()),
        Just(b"FAILED tests/test_x.py::test_y - AssertionError".to_vec()),
        Just(b"ModuleNotFoundError: No module named 'requests'".to_vec()),
        Just(b"error[E0425]: cannot find value".to_vec()),
        Just(b"\x1b[31m".to_vec()),
        Just(b"\x1b]52;c;ZXZpbA==\x07".to_vec()),
        Just(b"\x1b[2J\x1b[H".to_vec()),
        Just(b"\r".to_vec()),
        Just("错误 🚨 \u{202e}".as_bytes().to_vec()),
        proptest::collection::vec(any::<u8>(), 0..40),
        "[a-zA-Z0-9 :./_-]{0,60}".prop_map(String::into_bytes),
    ];
    proptest::collection::vec(pieces, 0..6).prop_map(|p| p.concat())
}

fn log() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(log_line(), 0..120).prop_map(|lines| lines.join(&b'\n'))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn analysis_never_panics_and_shows_no_control_characters(bytes in log()) {
        let a = analyzer().analyze_bytes(&bytes, &JobContext::default());
        let opts = ExcerptOptions::default();
        prop_assert!(a.excerpt.len() <= opts.max_lines);
        let mut last = 0;
        for l in &a.excerpt {
            prop_assert!(l.line > last, "line numbers increase");
            prop_assert!(l.line <= a.total_lines.max(1));
            prop_assert!(!l.text.chars().any(char::is_control), "{:?}", l.text);
            prop_assert!(l.text.chars().count() <= opts.max_line_chars + 1);
            last = l.line + l.repeated.unwrap_or(1) - 1;
        }
        for m in &a.matches {
            prop_assert!(m.line >= 1 && m.line <= a.total_lines.max(1));
        }
    }

    #[test]
    fn arbitrary_bytes_are_read_without_panicking(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
        let a = analyzer().analyze_bytes(&bytes, &JobContext::default());
        prop_assert!(a.total_lines <= bytes.len() + 1);
    }

    #[test]
    fn a_secret_anywhere_never_survives_redaction(
        before in "[ -~]{0,80}",
        after in "[ -~]{0,80}",
        kind in 0usize..5,
        body in "[A-Za-z0-9]{36}",
    ) {
        let secret = match kind {
            0 => format!("ghp_{body}"),
            1 => format!("github_pat_{body}_{body}"),
            2 => format!("AKIA{}", &body[..16].to_uppercase()),
            3 => format!("xoxb-{}", &body[..20]),
            _ => format!("sk_live_{}", &body[..24]),
        };
        for glue in [" ", "=", ":", "\"", "'", "/", ""] {
            let text = format!("{before}{glue}{secret}{glue}{after}");
            let masked = redact::redact(&text, &[]);
            prop_assert!(!masked.contains(&secret), "{text:?} -> {masked:?}");
        }
    }

    #[test]
    fn any_config_text_is_a_policy_or_a_located_error(text in "(?s).{0,400}") {
        match autoheal::config::parse_policy(text.as_bytes(), "cfg.yml") {
            Ok(_) => {}
            Err(e) => prop_assert!(e.to_string().starts_with("cfg.yml"), "{e}"),
        }
    }

    #[test]
    fn config_like_yaml_is_a_policy_or_a_located_error(
        key in prop_oneof![Just("enabled"), Just("max_heal_attempts_per_day"), Just("copilot"), Just("security"), Just("failure_patterns"), Just("nonsense")],
        value in prop_oneof![Just("true"), Just("3"), Just("-1"), Just("[a, b]"), Just("{model: x}"), Just("\"(\""), Just("1e999"), Just("~")],
    ) {
        let text = format!("{key}: {value}\n");
        if let Err(e) = autoheal::config::parse_policy(text.as_bytes(), "cfg.yml") {
            prop_assert!(e.to_string().starts_with("cfg.yml"), "{e}");
        }
    }

    #[test]
    fn fenced_text_cannot_close_its_fence(content in "[`a-z\n ]{0,200}") {
        let fenced = autoheal::heal::prompt::fence("text", &content);
        let opening = fenced.lines().next().unwrap().trim_end_matches("text").to_string();
        let inner: Vec<&str> = fenced.lines().skip(1).collect();
        let closing_at = inner.iter().position(|l| l.trim_end() == opening);
        prop_assert_eq!(closing_at, Some(inner.len() - 1), "only the last line closes the fence");
    }
}

/// Every provider format of the redaction table: a token of its shape (a random body of the
/// right alphabet and length), anywhere on a line, glued to punctuation or quotes (or, for a
/// format not held to word boundaries, to any text), never survives.
#[test]
fn every_provider_format_is_masked_wherever_it_stands() {
    use proptest::test_runner::{Config, FileFailurePersistence, TestRunner};
    let mut failed = Vec::new();
    for format in redact::FORMATS {
        // The shape without its word boundaries: what a token of the format looks like.
        let shape = format.pattern.replace("\\b", "");
        let bounded = format.pattern.starts_with("\\b") || format.pattern.ends_with("\\b");
        let token =
            proptest::string::string_regex(&shape).unwrap_or_else(|e| panic!("{}: {e}", format.id));
        let glue = if bounded {
            prop_oneof![
                Just(" "),
                Just("\""),
                Just("'"),
                Just("="),
                Just(":"),
                Just("("),
                Just(")"),
                Just(","),
                Just(";"),
                Just("`"),
                Just("\t"),
                Just("<"),
                Just(">")
            ]
            .boxed()
        } else {
            prop_oneof![
                Just(""),
                Just(" "),
                Just("\""),
                Just("'"),
                Just("="),
                Just(":"),
                Just(",")
            ]
            .boxed()
        };
        let mut runner = TestRunner::new(Config {
            cases: 48,
            failure_persistence: Some(Box::new(FileFailurePersistence::Direct(
                "tests/redaction.proptest-regressions",
            ))),
            ..Config::default()
        });
        let strategy = ("[ -~]{0,40}", glue.clone(), token, glue, "[ -~]{0,40}");
        let result = runner.run(&strategy, |(before, open, secret, close, after)| {
            let text = format!("{before}{open}{secret}{close}{after}");
            let masked = redact::redact(&text, &[]);
            prop_assert!(
                !masked.contains(secret.as_str()),
                "{}: {text:?} -> {masked:?}",
                format.id
            );
            Ok(())
        });
        if let Err(e) = result {
            failed.push(format!("{}: {e}", format.id));
        }
    }
    assert!(failed.is_empty(), "{}", failed.join("\n"));
}
