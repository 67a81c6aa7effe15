//! Small words for people: ages, counts.

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
}
