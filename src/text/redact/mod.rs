//! Masking likely secrets before any text leaves the machine (issue bodies, comments, the
//! Copilot prompt, artifacts, the audit log, crash reports, and what `analyze` and `scan`
//! print). GitHub already masks registered secrets as `***`; this catches what it cannot know
//! about: tokens echoed by tools, keys in URLs, values in assignments.
//!
//! Two kinds of rule. Provider tokens ([`formats::FORMATS`]: one table, each format a literal
//! every token holds and the token's shape) are found by one automaton over all the literals;
//! only the formats whose literal a text holds are tried, each compiled the first time it is
//! needed, so masking a line costs one pass in the common case and starting costs nothing.
//! Then the keyed rules: private key blocks, credentials in URLs, authorization headers and
//! assignments to names that say "secret", which are always tried.

pub mod formats;

use std::borrow::Cow;
use std::sync::{LazyLock, OnceLock};

use aho_corasick::AhoCorasick;
use regex::Regex;

pub use formats::{FORMATS, Format};

/// What a masked secret is replaced with, GitHub's own mask.
pub const MASK: &str = "***";

struct Rule {
    regex: Regex,
    /// What a match becomes: the mask, around what is kept (`${keep}` names the part kept,
    /// e.g. the `password=` of an assignment).
    replacement: &'static str,
    /// Only a value that looks like one is masked (see [`could_be_secret`]): for rules keyed
    /// on a name, which also names code, paths and settings.
    values_only: bool,
}

/// The provider formats, ready to look for: one automaton over every literal.
struct Formats {
    finder: AhoCorasick,
    /// For each literal of `finder`, the formats holding it.
    owners: Vec<usize>,
    /// Formats with no literal: tried on every text.
    always: Vec<usize>,
    /// Each format's regex, compiled when first needed.
    compiled: Vec<OnceLock<Regex>>,
}

static PROVIDERS: LazyLock<Formats> = LazyLock::new(|| {
    let mut literals = Vec::new();
    let mut owners = Vec::new();
    let mut always = Vec::new();
    for (i, format) in FORMATS.iter().enumerate() {
        if format.literals.is_empty() {
            always.push(i);
        }
        for literal in format.literals {
            literals.push(*literal);
            owners.push(i);
        }
    }
    Formats {
        finder: AhoCorasick::new(&literals).expect("the literals make an automaton"),
        owners,
        always,
        compiled: FORMATS.iter().map(|_| OnceLock::new()).collect(),
    }
});

impl Formats {
    fn regex(&self, i: usize) -> &Regex {
        self.compiled[i].get_or_init(|| {
            regex::RegexBuilder::new(FORMATS[i].pattern)
                .size_limit(32 << 20)
                .build()
                .expect("the token formats are valid regexes")
        })
    }

    /// The formats whose literal `text` holds (and those without one), in table order.
    fn candidates(&self, text: &str) -> Vec<usize> {
        let mut hit = vec![false; FORMATS.len()];
        for i in &self.always {
            hit[*i] = true;
        }
        for m in self.finder.find_overlapping_iter(text) {
            hit[self.owners[m.pattern().as_usize()]] = true;
        }
        (0..FORMATS.len()).filter(|i| hit[*i]).collect()
    }
}

static RULES: LazyLock<Vec<Rule>> = LazyLock::new(|| {
    let rule = |pattern: &str, keep: Option<&'static str>| Rule {
        regex: Regex::new(pattern).expect("redaction patterns are valid"),
        replacement: match keep {
            Some("keep") => "${keep}***",
            Some(other) => other,
            None => MASK,
        },
        values_only: false,
    };
    vec![
        // Private key blocks, to their END line or the end of the text.
        rule(
            r"(?s)-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----.*?(?:-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----|\z)",
            None,
        ),
        // GitHub tokens: classic, OAuth, app, user-to-server, refresh, fine-grained. No word
        // boundaries: a token glued to other text (`TOKENghp_...`) is still a token.
        rule(r"(?:ghp|gho|ghs|ghu|ghr)_[A-Za-z0-9]{30,255}", None),
        rule(r"github_pat_[A-Za-z0-9_]{22,255}", None),
        // Credentials in URLs: scheme://user:password@host (databases, brokers, git).
        rule(
            r"(?P<keep>\b[a-zA-Z][a-zA-Z0-9+.-]*://)[^/\s:@]+:[^/\s@]+@",
            Some("${keep}***@"),
        ),
        // Signatures and session tokens in query strings (Azure SAS, AWS presigned URLs).
        rule(
            r"(?P<keep>[?&](?:sig|X-Amz-Signature|X-Amz-Security-Token|X-Amz-Credential)=)[^&\s\x22'<>]{8,}",
            Some("keep"),
        ),
        // Authorization headers, and a bearer token or token on its own (`curl -H "…"`).
        Rule {
            values_only: true,
            ..rule(
                r"(?i)(?P<keep>\bauthorization\s*:\s*(?:bearer|token|basic|ssws|bot)\s+)(?P<value>[A-Za-z0-9._~+/=-]{8,})",
                Some("keep"),
            )
        },
        Rule {
            values_only: true,
            ..rule(
                r"(?i)(?P<keep>\b(?:bearer|token)\s+)(?P<value>[A-Za-z0-9._~+/-]{16,}=*)",
                Some("keep"),
            )
        },
        // password=..., token: ..., API_KEY="...", "private_key_id": "...", AccountKey=...
        Rule {
            values_only: true,
            ..rule(
                r#"(?i)(?P<keep>\b[a-z0-9_.-]*(?:password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|client[_-]?secret|credentials?|accountkey|sharedaccesskey|sharedsecretvalue)[a-z0-9_.-]*["']?\s*[=:]\s*)(?P<value>"[^"\n]{3,}"|'[^'\n]{3,}'|[^\s"',;]{3,})"#,
                Some("keep"),
            )
        },
    ]
});

/// Masks likely secrets in `text`, and every occurrence of each of `extra` (e.g. the user's
/// own token) whatever it looks like.
pub fn redact<'a>(text: &'a str, extra: &[&str]) -> Cow<'a, str> {
    let mut out = Cow::Borrowed(text);
    for secret in extra.iter().filter(|s| s.len() >= 4) {
        if out.contains(secret) {
            out = Cow::Owned(out.replace(secret, MASK));
        }
    }
    let providers = &*PROVIDERS;
    for i in providers.candidates(&out) {
        let regex = providers.regex(i);
        if regex.is_match(&out) {
            out = Cow::Owned(mask_tokens(regex, &out));
        }
    }
    for rule in RULES.iter() {
        if !rule.regex.is_match(&out) {
            continue;
        }
        let replaced = if rule.values_only {
            rule.regex
                .replace_all(&out, |caps: &regex::Captures<'_>| {
                    if could_be_secret(&caps["value"]) {
                        format!("{}{MASK}", &caps["keep"])
                    } else {
                        caps[0].to_string()
                    }
                })
                .into_owned()
        } else {
            rule.regex.replace_all(&out, rule.replacement).into_owned()
        };
        out = Cow::Owned(replaced);
    }
    out
}

/// Every match of `regex` in `text` masked to the end of its token: a format's shape may
/// stop short of a longer token of the same provider (a new, longer form; a checksum after a
/// dot), and what follows it is as secret as what matched.
fn mask_tokens(regex: &Regex, text: &str) -> String {
    let token_char =
        |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'+' | b'/' | b'=' | b'.');
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut done = 0;
    for m in regex.find_iter(text) {
        if m.start() < done {
            continue;
        }
        let mut end = m.end();
        while end < bytes.len() && token_char(bytes[end]) {
            end += 1;
        }
        // A sentence's full stop is not part of the token.
        while end > m.end() && bytes[end - 1] == b'.' {
            end -= 1;
        }
        out.push_str(&text[done..m.start()]);
        out.push_str(MASK);
        done = end;
    }
    out.push_str(&text[done..]);
    out
}

/// Could this value, assigned to a name that says "token" or "password", be a secret? Not a
/// position (`credentials_test.go:112:4`), code (`token.length()`), a template (`${{ … }}`),
/// a word of configuration (`true`, `required`) or the name of a variable holding the secret
/// (`GITHUB_TOKEN`): masking those would hide what a log says and protect nothing.
fn could_be_secret(value: &str) -> bool {
    let v = value.trim_matches(|c| c == '"' || c == '\'');
    if !v.bytes().any(|b| b.is_ascii_alphabetic()) {
        // A position or a count, unless it is long enough to be a PIN or a numeric secret.
        return v.len() >= 8 && v.bytes().all(|b| b.is_ascii_digit());
    }
    // A reference or a template (`$VAR`, `${{ secrets.X }}`, `<token>`), or code
    // (`token.length()`, `parse(x)`).
    let code = v.find('(').is_some_and(|open| {
        open > 0
            && v[..open]
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.'))
    });
    if v.starts_with(['$', '<', '[', '{']) || code {
        return false;
    }
    const WORDS: &[&str] = &[
        "true",
        "false",
        "null",
        "none",
        "nil",
        "yes",
        "no",
        "required",
        "optional",
        "empty",
        "undefined",
        "redacted",
        "hidden",
        "masked",
        "string",
        "str",
        "bool",
    ];
    if WORDS.contains(&v.to_ascii_lowercase().as_str()) {
        return false;
    }
    let variable_name = v.contains('_')
        && v.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_');
    !variable_name
}

#[cfg(test)]
mod tests {
    use super::*;

    fn masked(text: &str) -> String {
        redact(text, &[]).into_owned()
    }

    #[test]
    fn github_tokens_are_masked() {
        let classic = format!("token ghp_{}", "a".repeat(36));
        assert!(!masked(&classic).contains("ghp_"));
        let fine = format!("GH=github_pat_{}", "B1_".repeat(20));
        assert!(!masked(&fine).contains("github_pat_"));
        for prefix in ["gho_", "ghs_", "ghu_"] {
            let t = format!("x {prefix}{} y", "Z9".repeat(18));
            assert_eq!(masked(&t), "x *** y", "{prefix}");
        }
    }

    #[test]
    fn cloud_and_service_keys_are_masked() {
        assert_eq!(
            masked("AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE"),
            "AWS_ACCESS_KEY_ID=***"
        );
        assert_eq!(masked("key AKIAIOSFODNN7EXAMPLE used"), "key *** used");
        assert!(
            !masked("aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
                .contains("wJalr")
        );
        assert!(!masked("SLACK=xoxb-1234567890-abcdefghij").contains("xoxb"));
        assert!(!masked("sk_live_4eC39HqLyjWDarjtT1zdp7dc").contains("4eC39"));
        assert!(!masked("https://hooks.slack.com/services/T000/B000/XXXX").contains("T000"));
    }

    #[test]
    fn a_token_is_masked_to_its_end_even_when_its_format_stops_short() {
        // A GitLab token of the routable form: the short form's shape matches its start.
        let routable = "glpat-CxW8232TZGmnv43z95TSGGLUgESj7zzkzXywrX.01.zssmrxvq5";
        assert_eq!(masked(&format!("GL={routable}.")), "GL=***.");
        // A Telegram bot token inside an API path.
        let bot =
            "https://api.telegram.org/bot123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawX/sendMessage";
        assert!(!masked(bot).contains("AAHdq"), "{}", masked(bot));
    }

    #[test]
    fn private_keys_are_masked_whole() {
        let key = "before\n-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\nabc\n-----END RSA PRIVATE KEY-----\nafter";
        let m = masked(key);
        assert_eq!(m, "before\n***\nafter");
        let cut = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA";
        assert_eq!(masked(cut), "***");
    }

    #[test]
    fn jwts_assignments_and_url_credentials_are_masked() {
        let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U";
        assert_eq!(masked(jwt), "***");
        assert_eq!(masked("password=hunter22 next"), "password=*** next");
        assert_eq!(masked("DB_PASSWORD: \"s3cr3t!\""), "DB_PASSWORD: ***");
        assert_eq!(
            masked("git clone https://user:p4ss@github.com/o/r.git"),
            "git clone https://***@github.com/o/r.git"
        );
        assert_eq!(
            masked("Authorization: Bearer abcdef0123456789xyz"),
            "Authorization: Bearer ***"
        );
    }

    #[test]
    fn ordinary_text_is_left_alone() {
        for text in [
            "ModuleNotFoundError: No module named 'requests'",
            "error[E0425]: cannot find value `cfg` in this scope",
            "Tests run: 10, Failures: 1",
            "token: ***",
            "the password field is required",
            "https://github.com/o/r/actions/runs/1",
        ] {
            assert_eq!(masked(text), text);
        }
    }

    #[test]
    fn names_that_say_token_are_not_secrets_by_themselves() {
        for text in [
            "credentials_test.go:112:4: undeclared name: os",
            "int tokenLen = token.length();",
            "persist-credentials: false",
            "server-password: GITHUB_TOKEN",
            "password: ${{ secrets.DB_PASSWORD }}",
            "TypeToken.java:[985,93] error: incompatible types",
        ] {
            assert_eq!(masked(text), text);
        }
        assert_eq!(masked("API_TOKEN=ABCD1234EFGH5678"), "API_TOKEN=***");
        assert_eq!(masked("PASSWORD=Pa$$w0rd"), "PASSWORD=***");
        assert_eq!(
            masked("PASSWORD=\"correct horse battery\" x"),
            "PASSWORD=*** x"
        );
        assert_eq!(masked("pin: 12345678"), "pin: 12345678");
        assert_eq!(masked("db_password: 20240917"), "db_password: ***");
    }

    #[test]
    fn extra_secrets_are_masked_wherever_they_appear() {
        assert_eq!(redact("a my-own-token b", &["my-own-token"]), "a *** b");
    }
}
