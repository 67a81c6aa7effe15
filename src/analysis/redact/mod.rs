//! Masking likely secrets before any text leaves the machine (issue bodies, comments, the
//! Copilot prompt, artifacts). GitHub already masks registered secrets as `***`; this catches
//! what it cannot know about: tokens echoed by tools, keys in URLs, values in assignments.

use std::borrow::Cow;
use std::sync::LazyLock;

use regex::Regex;

/// What a masked secret is replaced with, GitHub's own mask.
pub const MASK: &str = "***";

struct Rule {
    regex: Regex,
    /// What a match becomes: the mask, around what is kept (`${keep}` names the part kept,
    /// e.g. the `password=` of an assignment).
    replacement: &'static str,
}

static RULES: LazyLock<Vec<Rule>> = LazyLock::new(|| {
    let rule = |pattern: &str, keep: Option<&'static str>| Rule {
        regex: Regex::new(pattern).expect("redaction patterns are valid"),
        replacement: match keep {
            Some("keep") => "${keep}***",
            Some(other) => other,
            None => MASK,
        },
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
        // AWS access key ids, and secret keys in assignments.
        rule(
            r"(?:AKIA|ASIA|ABIA|ACCA|AIDA|AROA|ANPA|ANVA|AGPA)[A-Z0-9]{16}",
            None,
        ),
        // Slack tokens and webhooks; Stripe keys; Google API keys; npm, PyPI, Docker Hub tokens.
        rule(r"xox[abposr]-[A-Za-z0-9-]{10,}", None),
        rule(r"https://hooks\.slack\.com/services/[A-Za-z0-9/_-]+", None),
        rule(r"(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{16,}", None),
        rule(r"\bAIza[0-9A-Za-z_-]{35}\b", None),
        rule(r"\bnpm_[A-Za-z0-9]{36}\b", None),
        rule(r"\bpypi-[A-Za-z0-9_-]{50,}", None),
        rule(r"\bdckr_pat_[A-Za-z0-9_-]{20,}", None),
        // JSON Web Tokens.
        rule(
            r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}",
            None,
        ),
        // Credentials in URLs: scheme://user:password@host.
        rule(
            r"(?P<keep>\b[a-zA-Z][a-zA-Z0-9+.-]*://)[^/\s:@]+:[^/\s@]+@",
            Some("${keep}***@"),
        ),
        // Authorization headers.
        rule(
            r"(?i)(?P<keep>\b(?:authorization:\s*)?(?:bearer|token|basic)\s+)[A-Za-z0-9._~+/-]{12,}=*",
            Some("keep"),
        ),
        // password=..., token: ..., API_KEY="...", aws_secret_access_key = ...
        rule(
            r#"(?i)(?P<keep>\b[a-z0-9_.-]*(?:password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|client[_-]?secret|credentials?)[a-z0-9_.-]*\s*[=:]\s*)(?:"[^"\s]{3,}"|'[^'\s]{3,}'|[^\s"',;]{3,})"#,
            Some("keep"),
        ),
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
    for rule in RULES.iter() {
        if !rule.regex.is_match(&out) {
            continue;
        }
        let replaced = rule.regex.replace_all(&out, rule.replacement).into_owned();
        out = Cow::Owned(replaced);
    }
    out
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
    fn extra_secrets_are_masked_wherever_they_appear() {
        assert_eq!(redact("a my-own-token b", &["my-own-token"]), "a *** b");
    }
}
