//! Has this failure happened before, and did a re-run fix it?
//!
//! A *sighting* is one failed attempt of a run whose failure has the same fingerprint. The
//! failure is **flaky** when, in the window looked at, the same commit passed after such a
//! sighting at least once (a later attempt of the run, or a later run of the workflow on that
//! commit), and no suspect commit changed a file the failure names: a re-run fixed it before,
//! and nothing in the code points at it.

use chrono::{DateTime, Utc};
use serde::Serialize;

/// One failed attempt with the same fingerprint.
#[derive(Debug, Clone, PartialEq)]
pub struct Sighting {
    pub run_id: u64,
    pub attempt: u32,
    pub branch: String,
    pub at: DateTime<Utc>,
    /// The same commit passed afterwards.
    pub passed_later: bool,
}

/// The history of one failure.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Recurrence {
    /// Failed attempts with this fingerprint, this one included.
    pub seen: usize,
    pub first_seen: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
    /// The branches it failed on, in the order first seen.
    pub branches: Vec<String>,
    /// Sightings after which the same commit passed.
    pub passed_on_rerun: usize,
    pub flaky: bool,
    /// How many runs of the workflow were looked at.
    pub window: usize,
}

impl Recurrence {
    /// From the sightings (this failure's own included) and whether a suspect commit changed
    /// a file the failure names (`None`: the changes are not known, so it is not called flaky).
    pub fn from_sightings(
        sightings: &[Sighting],
        code_suspected: Option<bool>,
        window: usize,
    ) -> Option<Recurrence> {
        let first_seen = sightings.iter().map(|s| s.at).min()?;
        let last_seen = sightings.iter().map(|s| s.at).max()?;
        let mut ordered: Vec<&Sighting> = sightings.iter().collect();
        ordered.sort_by_key(|s| s.at);
        let mut branches: Vec<String> = Vec::new();
        for s in ordered {
            if !branches.contains(&s.branch) {
                branches.push(s.branch.clone());
            }
        }
        let passed_on_rerun = sightings.iter().filter(|s| s.passed_later).count();
        Some(Recurrence {
            seen: sightings.len(),
            first_seen,
            last_seen,
            branches,
            passed_on_rerun,
            flaky: passed_on_rerun > 0 && code_suspected == Some(false),
            window,
        })
    }

    /// One line for people: "seen 4 times since Nov 28, passed on re-run twice".
    pub fn summary(&self) -> String {
        let times = match self.seen {
            1 => "seen once".to_string(),
            2 => "seen twice".to_string(),
            n => format!("seen {n} times"),
        };
        let since = if self.seen > 1 {
            format!(" since {}", self.first_seen.format("%b %-d"))
        } else {
            String::new()
        };
        let branches = match self.branches.len() {
            0 | 1 => String::new(),
            n => format!(" on {n} branches"),
        };
        let passed = match self.passed_on_rerun {
            0 => String::new(),
            1 => ", passed on re-run once".to_string(),
            2 => ", passed on re-run twice".to_string(),
            n => format!(", passed on re-run {n} times"),
        };
        format!("{times}{since}{branches}{passed}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn seen(day: u32, branch: &str, passed: bool) -> Sighting {
        Sighting {
            run_id: u64::from(day),
            attempt: 1,
            branch: branch.into(),
            at: Utc.with_ymd_and_hms(2026, 11, day, 12, 0, 0).unwrap(),
            passed_later: passed,
        }
    }

    #[test]
    fn passed_on_rerun_and_no_suspect_is_flaky() {
        let sightings = [
            seen(28, "main", true),
            seen(29, "main", false),
            seen(30, "develop", true),
            seen(30, "main", false),
        ];
        let r = Recurrence::from_sightings(&sightings, Some(false), 100).unwrap();
        assert_eq!(r.seen, 4);
        assert_eq!(r.passed_on_rerun, 2);
        assert_eq!(r.branches, ["main", "develop"]);
        assert!(r.flaky);
        assert_eq!(
            r.summary(),
            "seen 4 times since Nov 28 on 2 branches, passed on re-run twice"
        );
    }

    #[test]
    fn a_suspect_commit_in_the_named_files_is_not_flakiness() {
        let r = Recurrence::from_sightings(&[seen(28, "main", true)], Some(true), 100).unwrap();
        assert!(!r.flaky);
    }

    #[test]
    fn never_passed_on_rerun_is_not_flaky_and_a_first_sighting_says_once() {
        let r = Recurrence::from_sightings(&[seen(30, "main", false)], Some(false), 10).unwrap();
        assert!(!r.flaky);
        assert_eq!(r.summary(), "seen once");
        assert!(Recurrence::from_sightings(&[], Some(false), 0).is_none());
        // Without the changes, passing on a re-run is not enough to call it flaky.
        let unknown = Recurrence::from_sightings(&[seen(28, "main", true)], None, 10).unwrap();
        assert!(!unknown.flaky);
    }
}
