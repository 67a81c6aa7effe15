//! The last passing log as a baseline: a line that also appeared when the job passed is
//! probably not why it failed. Lines are compared after removing what changes from run to
//! run (timestamps, numbers, hashes, durations), as CiDiff does.

use std::collections::HashSet;
use std::hash::{Hash, Hasher};

use super::line::{detect_format, split_prefix};
use crate::text::sanitize;

/// Distinct lines kept from a baseline; enough for any real log, bounded for a huge one.
const MAX_LINES: usize = 4_000_000;

/// Hashes of the normalised lines of a passing log.
#[derive(Debug, Clone, Default)]
pub struct Baseline {
    seen: HashSet<u64>,
}

impl Baseline {
    pub fn from_log(bytes: &[u8]) -> Baseline {
        let format = detect_format(&bytes[..bytes.len().min(64 * 1024)]);
        let mut seen = HashSet::new();
        for line in super::line_breaks::split_lines(bytes) {
            if seen.len() >= MAX_LINES {
                break;
            }
            let body = split_prefix(line, format).body;
            seen.insert(fingerprint(&sanitize::clean(body)));
        }
        Baseline { seen }
    }

    /// Did this line (clean text, prefix removed) appear in the passing log?
    pub fn contains(&self, text: &str) -> bool {
        self.seen.contains(&fingerprint(text))
    }

    pub fn is_empty(&self) -> bool {
        self.seen.is_empty()
    }
}

/// A line's identity without its noise: digits and hex runs are one symbol, whitespace runs
/// are one space.
pub fn fingerprint(text: &str) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    normalize(text, |c| c.hash(&mut h));
    h.finish()
}

/// Feeds the normalised characters of `text` to `emit`: a word that looks like a hash (7+
/// hex digits with a digit among them) becomes `#`, every run of digits becomes `0`, every
/// run of whitespace one space.
pub fn normalize(text: &str, mut emit: impl FnMut(char)) {
    let mut rest = text.trim();
    while let Some(c) = rest.chars().next() {
        if c.is_ascii_alphanumeric() {
            let len = rest
                .find(|ch: char| !ch.is_ascii_alphanumeric())
                .unwrap_or(rest.len());
            let word = &rest[..len];
            let hashlike = word.len() >= 7
                && word.bytes().all(|b| b.is_ascii_hexdigit())
                && word.bytes().any(|b| b.is_ascii_digit());
            if hashlike {
                emit('#');
            } else {
                let mut in_digits = false;
                for ch in word.chars() {
                    if ch.is_ascii_digit() {
                        if !in_digits {
                            emit('0');
                        }
                        in_digits = true;
                    } else {
                        in_digits = false;
                        emit(ch);
                    }
                }
            }
            rest = &rest[len..];
        } else if c.is_whitespace() {
            emit(' ');
            rest = rest.trim_start();
        } else {
            emit(c);
            rest = &rest[c.len_utf8()..];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn noise_does_not_make_lines_differ() {
        assert_eq!(
            fingerprint("[INFO] Total time:  4.465 s"),
            fingerprint("[INFO] Total time: 12.001 s")
        );
        assert_eq!(
            fingerprint("HEAD is now at 1a2b3c4d5e6f commit"),
            fingerprint("HEAD is now at 9f8e7d6c5b4a commit")
        );
        assert_ne!(
            fingerprint("No module named 'requests'"),
            fingerprint("No module named 'yaml'")
        );
    }

    #[test]
    fn a_baseline_knows_the_passing_lines() {
        let pass =
            b"2025-01-01T00:00:00.0000000Z Downloading 12 files\n2025-01-01T00:00:01.0000000Z ok\n";
        let b = Baseline::from_log(pass);
        assert!(b.contains("Downloading 40 files"));
        assert!(!b.contains("FAILED test_x"));
    }
}
