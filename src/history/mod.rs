//! Why now, and is it flaky: the commits since the last green run and which of them the
//! failure points at ([`suspects`]), and each failure's history across the workflow's recent
//! runs ([`recurrence`]). [`lookup`] asks GitHub; the rest is pure.

pub mod lookup;
pub mod named_files;
pub mod recurrence;
pub mod suspects;

use serde::Serialize;

pub use lookup::{Fingerprinter, Recall};
pub use recurrence::Recurrence;
pub use suspects::Suspect;

/// The runs of a workflow looked at for its last green run and its failures' history.
pub const WINDOW: usize = 100;

/// What a failed run was compared with.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BaseKind {
    /// The last successful run of the same workflow on the same branch.
    LastGreen,
    /// The base of the pull request the run is for.
    PullRequestBase,
}

/// The commits between what the run was compared with and its head.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Changes {
    pub base_kind: BaseKind,
    /// The base's commit (or, for a fork's pull request, its base branch).
    pub base: String,
    /// The green run, for [`BaseKind::LastGreen`].
    pub base_run: Option<u64>,
    pub commits: usize,
    pub compare_url: String,
    /// Ranked, most suspect first; empty when no commit touched what the failure names.
    /// (Reports list them on their own.)
    #[serde(skip)]
    pub suspects: Vec<Suspect>,
}

/// Everything autoheal found out about why a run failed now.
#[derive(Debug, Clone, PartialEq)]
pub struct WhyNow {
    /// The changes since the base, or why they are not known ("no green run of CI on main
    /// within its last 100 runs").
    pub changes: Result<Changes, String>,
    /// This failure's history; `None` when the workflow's runs could not be read.
    pub history: Option<Recurrence>,
}

impl WhyNow {
    pub fn suspects(&self) -> &[Suspect] {
        self.changes.as_ref().map_or(&[], |c| &c.suspects)
    }

    pub fn flaky(&self) -> bool {
        self.history.as_ref().is_some_and(|h| h.flaky)
    }

    /// The changes in one line: "since the last green run: 3 commits; suspect 4cacc97 'Read
    /// rounding mode…' changed `src/discount.rs`, named at line 206 of the log".
    pub fn changes_line(&self) -> String {
        let changes = match &self.changes {
            Ok(c) => c,
            Err(why) => return why.clone(),
        };
        let since = match changes.base_kind {
            BaseKind::LastGreen => "since the last green run",
            BaseKind::PullRequestBase => "on this pull request",
        };
        let commits = match changes.commits {
            1 => "1 commit".to_string(),
            n => format!("{n} commits"),
        };
        match changes.suspects.first() {
            Some(s) => format!(
                "{since}: {commits}; suspect {} '{}' {}",
                short(&s.sha),
                ellipsis(&s.title, 60),
                s.reason
            ),
            None if changes.commits == 0 => format!("{since}: no commits (the same code passed)"),
            None => format!("{since}: {commits}; none touched a file the log names"),
        }
    }
}

/// A sha as people write it (a branch name, as it is).
pub fn short(sha: &str) -> &str {
    if sha.bytes().all(|b| b.is_ascii_hexdigit()) {
        crate::text::humanize::short_sha(sha)
    } else {
        sha
    }
}

fn ellipsis(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(max - 1).collect();
    cut.push('…');
    cut
}
