//! Small words for people: ages, counts, commit names.

use chrono::{DateTime, Utc};

/// `42s`, `5m`, `3h`, `2d`: how long ago, compactly, for lists.
pub fn age(then: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let secs = (now - then).num_seconds().max(0);
    match secs {
        0..60 => format!("{secs}s"),
        60..3_600 => format!("{}m", secs / 60),
        3_600..86_400 => format!("{}h", secs / 3_600),
        _ => format!("{}d", secs / 86_400),
    }
}

/// A commit's short name, as git shows it: its first seven characters. A sha comes from the
/// network, so it is not trusted to be ASCII hex: the cut falls on a character boundary.
pub fn short_sha(sha: &str) -> &str {
    sha.char_indices().nth(7).map_or(sha, |(at, _)| &sha[..at])
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeDelta;

    #[test]
    fn ages_are_compact() {
        let now = Utc::now();
        assert_eq!(age(now - TimeDelta::seconds(5), now), "5s");
        assert_eq!(age(now - TimeDelta::minutes(42), now), "42m");
        assert_eq!(age(now - TimeDelta::hours(3), now), "3h");
        assert_eq!(age(now - TimeDelta::days(2), now), "2d");
        assert_eq!(age(now + TimeDelta::minutes(1), now), "0s");
    }

    #[test]
    fn a_short_sha_never_cuts_a_character() {
        assert_eq!(short_sha("4cacc97b1e2f"), "4cacc97");
        assert_eq!(short_sha("abc"), "abc");
        assert_eq!(short_sha(""), "");
        assert_eq!(short_sha("ééééééééé"), "ééééééé");
        assert_eq!(short_sha("abcdef🦀xyz"), "abcdef🦀");
    }
}
