//! GitHub's `status` and `conclusion` of runs, jobs, steps and check runs, as types: a
//! misspelt state is a compile error, not a comparison that is never true. A value GitHub
//! adds later is kept as it was sent (cleaned for the terminal), not refused.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Where a run, job, step or check run is (`status`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Status {
    Requested,
    Queued,
    Pending,
    Waiting,
    InProgress,
    Completed,
    /// A state this version does not know.
    Other(String),
}

/// How a run, job, step or check run ended (`conclusion`, once completed).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Conclusion {
    Success,
    Failure,
    Neutral,
    Cancelled,
    Skipped,
    TimedOut,
    /// Waiting for a maintainer to approve the run (a first-time contributor's pull request).
    ActionRequired,
    StartupFailure,
    Stale,
    /// A conclusion this version does not know.
    Other(String),
}

impl Status {
    pub fn as_str(&self) -> &str {
        match self {
            Status::Requested => "requested",
            Status::Queued => "queued",
            Status::Pending => "pending",
            Status::Waiting => "waiting",
            Status::InProgress => "in_progress",
            Status::Completed => "completed",
            Status::Other(s) => s,
        }
    }

    fn from_name(s: &str) -> Status {
        match s {
            "requested" => Status::Requested,
            "queued" => Status::Queued,
            "pending" => Status::Pending,
            "waiting" => Status::Waiting,
            "in_progress" => Status::InProgress,
            "completed" => Status::Completed,
            other => Status::Other(clean(other)),
        }
    }
}

impl Conclusion {
    pub fn as_str(&self) -> &str {
        match self {
            Conclusion::Success => "success",
            Conclusion::Failure => "failure",
            Conclusion::Neutral => "neutral",
            Conclusion::Cancelled => "cancelled",
            Conclusion::Skipped => "skipped",
            Conclusion::TimedOut => "timed_out",
            Conclusion::ActionRequired => "action_required",
            Conclusion::StartupFailure => "startup_failure",
            Conclusion::Stale => "stale",
            Conclusion::Other(s) => s,
        }
    }

    fn from_name(s: &str) -> Conclusion {
        match s {
            "success" => Conclusion::Success,
            "failure" => Conclusion::Failure,
            "neutral" => Conclusion::Neutral,
            "cancelled" => Conclusion::Cancelled,
            "skipped" => Conclusion::Skipped,
            "timed_out" => Conclusion::TimedOut,
            "action_required" => Conclusion::ActionRequired,
            "startup_failure" => Conclusion::StartupFailure,
            "stale" => Conclusion::Stale,
            other => Conclusion::Other(clean(other)),
        }
    }

    /// A check that ended this way lets a pull request through: GitHub's branch protection
    /// counts success, neutral and skipped as passing.
    pub fn passes(&self) -> bool {
        matches!(
            self,
            Conclusion::Success | Conclusion::Neutral | Conclusion::Skipped
        )
    }

    /// A run or job that ended this way failed (and is worth explaining).
    pub fn failed(&self) -> bool {
        matches!(
            self,
            Conclusion::Failure | Conclusion::TimedOut | Conclusion::StartupFailure
        )
    }
}

/// Where a check stands, as a list of checks marks it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    Passed,
    Failed,
    Running,
    Waiting,
}

impl Progress {
    pub fn of(status: &Status, conclusion: Option<&Conclusion>) -> Progress {
        match (status, conclusion) {
            (Status::Completed, Some(c)) if c.passes() => Progress::Passed,
            (Status::Completed, _) => Progress::Failed,
            (Status::InProgress, _) => Progress::Running,
            _ => Progress::Waiting,
        }
    }

    /// Its mark: ✓ ✗ ● ○.
    pub fn mark(self) -> &'static str {
        match self {
            Progress::Passed => "✓",
            Progress::Failed => "✗",
            Progress::Running => "●",
            Progress::Waiting => "○",
        }
    }
}

/// Text from GitHub shown in a terminal: no escape sequence or control character.
fn clean(s: &str) -> String {
    crate::text::sanitize::clean(s.as_bytes()).into_owned()
}

macro_rules! as_github_string {
    ($t:ty) => {
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $t {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $t {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                Ok(<$t>::from_name(&String::deserialize(d)?))
            }
        }

        impl From<&str> for $t {
            fn from(s: &str) -> Self {
                <$t>::from_name(s)
            }
        }
    };
}

as_github_string!(Status);
as_github_string!(Conclusion);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_read_and_write_as_github_spells_them() {
        for name in [
            "requested",
            "queued",
            "pending",
            "waiting",
            "in_progress",
            "completed",
        ] {
            let status: Status = serde_json::from_str(&format!("\"{name}\"")).unwrap();
            assert!(!matches!(status, Status::Other(_)), "{name}");
            assert_eq!(
                serde_json::to_string(&status).unwrap(),
                format!("\"{name}\"")
            );
        }
        for name in [
            "success",
            "failure",
            "neutral",
            "cancelled",
            "skipped",
            "timed_out",
            "action_required",
            "startup_failure",
            "stale",
        ] {
            let conclusion: Conclusion = serde_json::from_str(&format!("\"{name}\"")).unwrap();
            assert!(!matches!(conclusion, Conclusion::Other(_)), "{name}");
            assert_eq!(conclusion.to_string(), name);
        }
    }

    #[test]
    fn an_unknown_state_is_kept_cleaned_not_refused() {
        let status: Status = serde_json::from_str("\"deferred\\u001b[2J\"").unwrap();
        assert_eq!(status, Status::Other("deferred".into()));
        assert_eq!(serde_json::to_string(&status).unwrap(), "\"deferred\"");
        let conclusion: Conclusion = serde_json::from_str("\"postponed\"").unwrap();
        assert!(!conclusion.failed() && !conclusion.passes());
    }

    #[test]
    fn passing_and_failing_are_github_s_sets() {
        assert!(Conclusion::Skipped.passes() && Conclusion::Neutral.passes());
        assert!(!Conclusion::Cancelled.passes());
        assert!(Conclusion::TimedOut.failed() && Conclusion::StartupFailure.failed());
        assert!(!Conclusion::Cancelled.failed() && !Conclusion::ActionRequired.failed());
    }
}
