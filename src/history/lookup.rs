//! Asking GitHub why now: the workflow's recent runs (its last green run, its failures), the
//! comparison with the base, the files of the commits that may be suspect, and the
//! fingerprints of earlier failed attempts.
//!
//! What it costs, per failed run: the workflow's last [`super::WINDOW`] runs (one request,
//! shared by every run of that workflow for [`WINDOW_FRESH`]); one comparison (asked once, ever:
//! two commits never change); one request a commit only when the comparison's files include
//! one the log names (at most [`COMMITS_READ`]); and, once per failure group, the jobs and logs
//! of up to [`ATTEMPTS_READ`] earlier failed attempts (kept: a finished attempt never changes).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;

use super::named_files::{NamedFile, same_file};
use super::recurrence::{Recurrence, Sighting};
use super::suspects::{self, ChangedCommit};
use super::{BaseKind, Changes, WINDOW, WhyNow, short};
use crate::forge::{Conclusion, Status};
use crate::forge::{Forge, ForgeError, Job, RepoRef, WorkflowRun};

/// How long the workflow's recent runs are taken as current.
pub const WINDOW_FRESH: Duration = Duration::from_secs(120);
/// Commits read one by one for their files, newest first.
pub const COMMITS_READ: usize = 20;
/// Earlier failed attempts fingerprinted for one failure's history, newest first.
pub const ATTEMPTS_READ: usize = 12;
/// Fingerprints remembered; past this the memory starts again.
const FINGERPRINTS_KEPT: usize = 8192;

/// The fingerprint of a failed attempt's jobs: what the log analysis makes of them.
#[async_trait]
pub trait Fingerprinter: Send + Sync {
    async fn fingerprint(&self, repo: &RepoRef, run: &WorkflowRun, failed_jobs: Vec<Job>)
    -> String;
}

/// A workflow's newest runs, and when they were read.
type Window = (Instant, Arc<Vec<WorkflowRun>>);

/// What one process remembers between runs it explains: the workflows' recent runs (for a
/// short while) and the fingerprint of every failed attempt it has seen (for good).
#[derive(Debug, Default)]
pub struct Recall {
    windows: Mutex<HashMap<(RepoRef, u64), Window>>,
    fingerprints: Mutex<HashMap<(RepoRef, u64, u32), Option<String>>>,
}

impl Recall {
    pub fn new() -> Arc<Recall> {
        Arc::new(Recall::default())
    }

    /// Records the fingerprint of a run's attempt, explained elsewhere.
    pub fn remember(&self, repo: &RepoRef, run_id: u64, attempt: u32, fingerprint: &str) {
        let mut kept = self.fingerprints.lock().unwrap_or_else(|e| e.into_inner());
        if kept.len() >= FINGERPRINTS_KEPT {
            kept.clear();
        }
        kept.insert(
            (repo.clone(), run_id, attempt),
            Some(fingerprint.to_string()),
        );
    }

    fn known(&self, repo: &RepoRef, run_id: u64, attempt: u32) -> Option<Option<String>> {
        let kept = self.fingerprints.lock().unwrap_or_else(|e| e.into_inner());
        kept.get(&(repo.clone(), run_id, attempt)).cloned()
    }

    fn keep(&self, repo: &RepoRef, run_id: u64, attempt: u32, fingerprint: Option<String>) {
        let mut kept = self.fingerprints.lock().unwrap_or_else(|e| e.into_inner());
        if kept.len() >= FINGERPRINTS_KEPT {
            kept.clear();
        }
        kept.insert((repo.clone(), run_id, attempt), fingerprint);
    }

    /// The workflow's newest runs as last read, however long ago: what a look that asks
    /// GitHub nothing goes by.
    fn remembered_window(&self, repo: &RepoRef, workflow_id: u64) -> Option<Arc<Vec<WorkflowRun>>> {
        let windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        windows
            .get(&(repo.clone(), workflow_id))
            .map(|(_, runs)| runs.clone())
    }

    /// The workflow's newest runs, on every branch.
    async fn window(
        &self,
        forge: &dyn Forge,
        repo: &RepoRef,
        workflow_id: u64,
    ) -> Result<Arc<Vec<WorkflowRun>>, ForgeError> {
        let key = (repo.clone(), workflow_id);
        {
            let windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
            if let Some((at, runs)) = windows.get(&key)
                && at.elapsed() < WINDOW_FRESH
            {
                return Ok(runs.clone());
            }
        }
        let runs = Arc::new(forge.workflow_runs(repo, workflow_id, WINDOW).await?);
        let mut windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        windows.insert(key, (Instant::now(), runs.clone()));
        Ok(runs)
    }
}

/// What to look back for.
pub struct LookBack<'a> {
    pub forge: &'a dyn Forge,
    pub recall: &'a Recall,
    pub fingerprinter: &'a dyn Fingerprinter,
    /// Ask GitHub at all. Otherwise (a console explaining hundreds of runs in the
    /// background) only what this process knows already: the workflows' runs read for
    /// earlier looks and the fingerprints of the failures explained.
    pub asks: bool,
    /// Compare with the base (one request or more).
    pub changes: bool,
    /// Read the jobs and logs of the window's failed runs the history needs. Otherwise their
    /// fingerprints come from the failures already explained (a console explains them all
    /// anyway); the earlier attempts of re-run runs are read either way.
    pub read_failures: bool,
}

impl LookBack<'_> {
    /// Why `run` (whose failure has `fingerprint` and whose excerpt names `named`) failed now.
    pub async fn why_now(
        &self,
        repo: &RepoRef,
        run: &WorkflowRun,
        named: &[NamedFile],
        fingerprint: &str,
    ) -> WhyNow {
        let attempt = run.run_attempt.unwrap_or(1);
        self.recall.remember(repo, run.id, attempt, fingerprint);
        let window = if self.asks {
            self.recall
                .window(self.forge, repo, run.workflow_id)
                .await
                .map_err(|e| e.to_string())
        } else {
            self.recall
                .remembered_window(repo, run.workflow_id)
                .ok_or_else(|| "not read yet".to_string())
        };
        let changes = match (&window, self.changes && self.asks) {
            (_, false) => Err("the commits since the last green run were not read".to_string()),
            (Ok(window), true) => self.changes(repo, run, window, named).await,
            (Err(e), true) => Err(format!("the workflow's runs could not be read: {e}")),
        };
        let history = match &window {
            Ok(window) => {
                // Whether a commit points at the failure is known only when the changes were
                // read: without them, nothing is called flaky.
                let suspected = changes.as_ref().ok().map(|c| !c.suspects.is_empty());
                let sightings = self.sightings(repo, run, window, fingerprint).await;
                Recurrence::from_sightings(&sightings, suspected, window.len())
            }
            Err(_) => None,
        };
        WhyNow { changes, history }
    }

    /// The commits since the base, the suspects ranked.
    async fn changes(
        &self,
        repo: &RepoRef,
        run: &WorkflowRun,
        window: &[WorkflowRun],
        named: &[NamedFile],
    ) -> Result<Changes, String> {
        let (base_kind, base, base_run) = match base_of(run, window) {
            Some(found) => found,
            None if is_pull_request(run) => {
                // A fork's pull request: GitHub names no pull request on the run, so compare
                // with the repository's default branch, where such pull requests go.
                let repository = self
                    .forge
                    .repository(repo)
                    .await
                    .map_err(|e| format!("the repository could not be read: {e}"))?;
                let branch = repository
                    .default_branch
                    .ok_or("the repository names no default branch")?;
                (BaseKind::PullRequestBase, branch, None)
            }
            None => {
                return Err(format!(
                    "no green run of {} on {} within its last {} runs",
                    run.workflow_name(),
                    run.branch(),
                    window.len().max(1)
                ));
            }
        };
        let comparison = self
            .forge
            .compare(repo, &base, &run.head_sha)
            .await
            .map_err(|e| format!("the commits since {} could not be read: {e}", short(&base)))?
            .ok_or_else(|| {
                format!(
                    "GitHub cannot compare {} with {}",
                    short(&base),
                    short(&run.head_sha)
                )
            })?;
        let wanted =
            |file: &str| file == run.path || named.iter().any(|n| same_file(&n.path, file));
        let mut commits: Vec<ChangedCommit> = comparison
            .commits
            .iter()
            .map(|c| ChangedCommit {
                sha: c.sha.clone(),
                title: c.title(),
                author: c.author_name(),
                files: Vec::new(),
            })
            .collect();
        if let [only] = &mut commits[..] {
            only.files = comparison
                .files
                .iter()
                .map(|f| f.filename.clone())
                .collect();
        } else if comparison.files.iter().any(|f| wanted(&f.filename)) {
            // Which of them touched it: read the newest commits one by one.
            for commit in commits.iter_mut().rev().take(COMMITS_READ) {
                if let Ok(Some(read)) = self.forge.commit(repo, &commit.sha).await {
                    commit.files = read
                        .files
                        .unwrap_or_default()
                        .into_iter()
                        .map(|f| f.filename)
                        .collect();
                }
            }
        }
        let suspects = suspects::rank(&commits, named, &run.path);
        Ok(Changes {
            base_kind,
            base,
            base_run,
            commits: comparison.total_commits as usize,
            compare_url: comparison.html_url,
            suspects,
        })
    }

    /// Every failed attempt in the window with this fingerprint, this one included.
    async fn sightings(
        &self,
        repo: &RepoRef,
        run: &WorkflowRun,
        window: &[WorkflowRun],
        fingerprint: &str,
    ) -> Vec<Sighting> {
        let this_attempt = run.run_attempt.unwrap_or(1);
        let mut sightings = vec![Sighting {
            run_id: run.id,
            attempt: this_attempt,
            branch: run.branch().to_string(),
            at: run.run_started_at.unwrap_or(run.created_at),
            passed_later: false,
        }];
        // The failed attempts of the window (and this run's earlier ones), newest first.
        let mut attempts: Vec<(&WorkflowRun, u32)> = Vec::new();
        let mut others: Vec<&WorkflowRun> = window.iter().filter(|r| r.id != run.id).collect();
        others.sort_by_key(|r| std::cmp::Reverse(r.created_at));
        for attempt in (1..this_attempt).rev() {
            attempts.push((run, attempt));
        }
        for other in others {
            if other.status != Some(Status::Completed) {
                continue;
            }
            let latest = other.run_attempt.unwrap_or(1);
            // The latest attempt of a failed run is one a console explains anyway: a brief
            // look takes its fingerprint from there rather than reading its jobs twice.
            if failed(other)
                && (self.read_failures || self.recall.known(repo, other.id, latest).is_some())
            {
                attempts.push((other, latest));
            }
            for attempt in (1..latest).rev() {
                attempts.push((other, attempt));
            }
        }
        let mut read = 0;
        for (other, attempt) in attempts {
            let known = self.recall.known(repo, other.id, attempt);
            let print = match known {
                Some(print) => print,
                None if self.asks && read < ATTEMPTS_READ => {
                    read += 1;
                    let print = self.fingerprint_attempt(repo, other, attempt).await;
                    if let Ok(print) = &print {
                        self.recall.keep(repo, other.id, attempt, print.clone());
                    }
                    print.ok().flatten()
                }
                None => None,
            };
            if print.as_deref() != Some(fingerprint) {
                continue;
            }
            let passed_later = (attempt < other.run_attempt.unwrap_or(1)
                && other.conclusion == Some(Conclusion::Success))
                || window.iter().any(|later| {
                    later.head_sha == other.head_sha
                        && later.event == other.event
                        && later.created_at > other.created_at
                        && later.conclusion == Some(Conclusion::Success)
                });
            sightings.push(Sighting {
                run_id: other.id,
                attempt,
                branch: other.branch().to_string(),
                at: if attempt == other.run_attempt.unwrap_or(1) {
                    other.run_started_at.unwrap_or(other.created_at)
                } else {
                    other.created_at
                },
                passed_later,
            });
        }
        sightings
    }

    /// The fingerprint of one attempt: `None` when none of its jobs failed.
    async fn fingerprint_attempt(
        &self,
        repo: &RepoRef,
        run: &WorkflowRun,
        attempt: u32,
    ) -> Result<Option<String>, ForgeError> {
        let jobs = if attempt == run.run_attempt.unwrap_or(1) {
            self.forge.jobs(repo, run.id).await?
        } else {
            self.forge.attempt_jobs(repo, run.id, attempt).await?
        };
        let failed: Vec<Job> = jobs.into_iter().filter(Job::failed).collect();
        if failed.is_empty() {
            return Ok(None);
        }
        Ok(Some(
            self.fingerprinter.fingerprint(repo, run, failed).await,
        ))
    }
}

fn failed(run: &WorkflowRun) -> bool {
    matches!(
        run.conclusion,
        Some(Conclusion::Failure | Conclusion::TimedOut | Conclusion::StartupFailure)
    )
}

fn is_pull_request(run: &WorkflowRun) -> bool {
    matches!(run.event.as_str(), "pull_request" | "pull_request_target")
}

/// What to compare the run with: its pull request's base, else the last green run of the
/// same workflow and branch in the window.
fn base_of(run: &WorkflowRun, window: &[WorkflowRun]) -> Option<(BaseKind, String, Option<u64>)> {
    if is_pull_request(run)
        && let Some(pull) = run.pull_requests.first()
    {
        return Some((BaseKind::PullRequestBase, pull.base.sha.clone(), None));
    }
    if is_pull_request(run) {
        return None;
    }
    last_green(run, window).map(|g| (BaseKind::LastGreen, g.head_sha.clone(), Some(g.id)))
}

/// The newest successful run of the same workflow and branch before `run`.
pub fn last_green<'a>(run: &WorkflowRun, window: &'a [WorkflowRun]) -> Option<&'a WorkflowRun> {
    window
        .iter()
        .filter(|r| {
            r.id != run.id
                && r.head_branch == run.head_branch
                && r.conclusion == Some(Conclusion::Success)
                && r.created_at < run.created_at
                // A fork's pull request can run on a branch of the same name: its commits
                // are not this branch's history.
                && !is_pull_request(r)
                && !r.is_from_fork()
        })
        .max_by_key(|r| r.created_at)
}
