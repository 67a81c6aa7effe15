//! Everything that can happen to the console (`Action`) and everything it can ask for
//! (`Effect`). Keys, ticks and network results all become actions; `update` turns an action
//! into state changes and effects; effects run on tokio tasks and come back as actions.

use crossterm::event::{KeyEvent, MouseEvent};

use crate::forge::{CheckRun, PullRequest, RepoRef, WorkflowRun};
use crate::heal::execute::Steps;
use crate::heal::{HealOutcome, Prepared};

/// Identifies a run across repositories.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RunKey {
    pub repo: RepoRef,
    pub run_id: u64,
}

impl RunKey {
    pub fn new(repo: RepoRef, run_id: u64) -> RunKey {
        RunKey { repo, run_id }
    }
}

/// A write sent to GitHub and not yet answered: what the audit log records when the console
/// quits before the answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Unanswered {
    pub repo: RepoRef,
    /// The run it is for; `None` for a write of the whole repository (the branch cleanup).
    pub run_id: Option<u64>,
    pub what: String,
}

#[derive(Debug)]
pub enum Action {
    Key(KeyEvent),
    Mouse(MouseEvent),
    /// Text pasted into the terminal (bracketed paste).
    Paste(String),
    Resize(u16, u16),
    /// Once a second: countdowns, autosave.
    Tick,
    /// What requests to GitHub are retrying or waiting out now, if anything (once a second).
    Trouble(Option<String>),
    /// A repository's failed runs, or why they could not be listed.
    Polled {
        repo: RepoRef,
        /// Monitored failures and runs failing now, newest first.
        result: Result<Vec<WorkflowRun>, String>,
        /// The list holds every failure (else only the newest runs'): a row absent from it
        /// is no longer a failure.
        complete: bool,
        budget: Option<crate::forge::Budget>,
    },
    /// A run, analysed, with its default prompt.
    Explained {
        key: RunKey,
        result: Result<Box<Prepared>, String>,
    },
    /// A heal finished (or failed).
    Healed {
        key: RunKey,
        steps: Steps,
        result: Result<Box<HealOutcome>, String>,
    },
    /// A job's whole log, for the full-log view.
    LogLoaded {
        key: RunKey,
        job_id: u64,
        result: Result<Vec<String>, String>,
    },
    /// A re-run was sent (or refused), with the run as it now stands.
    Reran {
        key: RunKey,
        result: Result<Box<WorkflowRun>, String>,
    },
    /// A run re-read while its new attempt runs.
    RunUpdated {
        key: RunKey,
        result: Result<Box<WorkflowRun>, String>,
    },
    /// The heal PR's waiting workflow runs were approved (or not).
    Approved {
        key: RunKey,
        result: Result<usize, String>,
    },
    /// The heal PR was marked ready for review (or not).
    MarkedReady {
        key: RunKey,
        result: Result<u64, String>,
    },
    /// Heal statistics for the stats view.
    StatsLoaded(Result<Box<crate::watch::stats::Stats>, String>),
    /// Stale heal branches, per repository, for the cleanup view.
    CleanupLoaded(Result<Vec<crate::engine::cleanup::CleanupPlan>, String>),
    /// The stale branches were deleted (how many), or why not.
    CleanedUp(Result<usize, String>),
    /// A prompt draft could not be written (the disk is full, the directory unwritable).
    DraftNotSaved(String),
    /// A run's saved prompt draft, read off the console's loop (`None`: there is none).
    DraftLoaded {
        key: RunKey,
        text: Option<String>,
    },
    /// An organisation's repository has had no workflow run lately: it is not watched.
    Inactive {
        repo: RepoRef,
    },
    /// An organisation's active repositories were listed again: these are new.
    OrgListed {
        org: String,
        result: Result<Vec<RepoRef>, String>,
    },
    /// The heal PR of a run and its checks.
    PrStatus {
        key: RunKey,
        result: Result<Option<Box<PrSnapshot>>, String>,
    },
}

/// A heal pull request as the console shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct PrSnapshot {
    pub pull: PullRequest,
    pub checks: Vec<CheckRun>,
    /// The PR's workflow runs waiting for a maintainer's approval.
    pub waiting_runs: Vec<u64>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Poll one repository now.
    Refresh(Option<RepoRef>),
    /// Poll every repository now, its policy file read again (the user pressed `r`).
    ReloadPolicies,
    /// Explain a run: the newest failure of its workflow and branch (queued before the
    /// older failures, see `explain_queue`).
    Explain(RunKey),
    /// Explain a run after the newest of each kind.
    ExplainLater(RunKey),
    /// The user looks at a run not yet explained: it goes to the front of the queue.
    ExplainFirst(RunKey),
    Heal {
        key: RunKey,
        steps: Steps,
        prompt: String,
        force: bool,
    },
    LoadLog {
        key: RunKey,
        job_id: u64,
    },
    /// The heal PR of a tracking issue and its checks; by number once known.
    WatchPr {
        key: RunKey,
        issue: u64,
        pr: Option<u64>,
        heal_branch: Option<String>,
    },
    Rerun(RunKey),
    MarkReady {
        key: RunKey,
        node_id: String,
        number: u64,
    },
    /// Heal statistics of these repositories (every one watched now, the organisations'
    /// newly listed ones included).
    LoadStats(Vec<RepoRef>),
    /// What the cleanup would close or delete in these repositories.
    LoadCleanup(Vec<RepoRef>),
    RunCleanup(Vec<crate::engine::cleanup::CleanupPlan>),
    RefreshRun(RunKey),
    Approve {
        key: RunKey,
        runs: Vec<u64>,
    },
    /// The console quits with these writes unanswered: the audit log says so, so that a
    /// write GitHub may have applied is never unrecorded. (run, what was being done)
    RecordUnfinished(Vec<Unanswered>),
    /// Read a run's saved prompt draft (the answer is `Action::DraftLoaded`).
    LoadDraft(RunKey),
    /// Written on every edit; `synced` once typing pauses or the editor is left.
    SaveDraft {
        key: RunKey,
        text: String,
        synced: bool,
    },
    RemoveDraft(RunKey),
    OpenUrl(String),
    CopyUrl(String),
    Bell,
}

/// Of the draft saves in one batch of effects (a burst of keys), only the last per run is
/// written, synced if any of them asked for it; every other effect keeps its place.
pub fn coalesce_drafts(effects: Vec<Effect>) -> Vec<Effect> {
    let saves = effects
        .iter()
        .filter(|e| matches!(e, Effect::SaveDraft { .. }))
        .count();
    if saves < 2 {
        return effects;
    }
    let mut out: Vec<Effect> = Vec::with_capacity(effects.len());
    for effect in effects {
        let Effect::SaveDraft { key, text, synced } = effect else {
            out.push(effect);
            continue;
        };
        let earlier = out
            .iter()
            .position(|e| matches!(e, Effect::SaveDraft { key: k, .. } if *k == key));
        let earlier_synced = earlier
            .map(|at| out.remove(at))
            .is_some_and(|e| matches!(e, Effect::SaveDraft { synced: true, .. }));
        out.push(Effect::SaveDraft {
            key,
            text,
            synced: synced || earlier_synced,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn save(run: u64, text: &str, synced: bool) -> Effect {
        Effect::SaveDraft {
            key: RunKey::new(RepoRef::new("o", "r"), run),
            text: text.into(),
            synced,
        }
    }

    #[test]
    fn a_burst_of_draft_saves_writes_the_last_text_once_per_run() {
        let effects = vec![
            save(1, "a", false),
            Effect::Bell,
            save(2, "x", false),
            save(1, "ab", true),
            save(1, "abc", false),
        ];
        assert_eq!(
            coalesce_drafts(effects),
            vec![Effect::Bell, save(2, "x", false), save(1, "abc", true)]
        );
        assert_eq!(
            coalesce_drafts(vec![save(1, "a", false)]),
            vec![save(1, "a", false)]
        );
    }
}
