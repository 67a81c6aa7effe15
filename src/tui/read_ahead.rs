//! The failed jobs of the runs about to be explained in the background, read many runs a
//! request. Explaining a run costs its jobs and its failed jobs' logs; over REST the jobs are
//! a request a run, and a console watching 200 repositories would spend 200 of its 600
//! requests a minute on them before any log. One GraphQL query reads the failed jobs of 50
//! runs: the run being explained and those queued after it.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use super::action::RunKey;
use crate::forge::Status;
use crate::forge::{Forge, Job, WorkflowRun, graphql};

/// Failed jobs read, by run, with the run's `updated_at` when read.
type Known = HashMap<RunKey, (DateTime<Utc>, Vec<Job>)>;

/// Failed jobs read ahead, kept until their run is explained.
#[derive(Debug, Default)]
pub struct ReadAhead {
    /// One read at a time: the explainers waiting for it find their run in `known` after.
    turn: tokio::sync::Mutex<()>,
    /// By run, with the run's `updated_at` when read: a run that changed since is read again.
    known: Mutex<Known>,
    /// Runs a query answered without (more failed jobs or steps than it reads): over REST.
    rest_only: Mutex<HashSet<RunKey>>,
    /// A query failed whole (refused, out of GraphQL's own budget, timed out): runs are read
    /// over REST until then.
    paused_until: Mutex<Option<Instant>>,
}

/// How long reading ahead rests after a query failed whole.
const PAUSE: Duration = Duration::from_secs(600);

/// Runs read ahead at most, beyond which the oldest reads are dropped (runs queued and then
/// gone from the list are never taken).
const KEPT: usize = 2_000;

impl ReadAhead {
    /// The failed jobs of `run` (as its repository's poll listed it), read together with those
    /// of `ahead` (the runs queued after it, as listed) unless already read; `None` when they
    /// could not be read that way, and `Forge::jobs` is to be asked.
    pub async fn failed_jobs(
        &self,
        forge: &dyn Forge,
        key: &RunKey,
        run: &WorkflowRun,
        ahead: impl FnOnce() -> Vec<(RunKey, WorkflowRun)>,
    ) -> Option<Vec<Job>> {
        if !readable(run) || self.is_paused() || self.is_rest_only(key) {
            return None;
        }
        // Read already: no need to wait for the read going on.
        if let Some(jobs) = self.take(key, run) {
            return Some(jobs);
        }
        let ahead = ahead();
        let _turn = self.turn.lock().await;
        if let Some(jobs) = self.take(key, run) {
            return Some(jobs);
        }
        if self.is_paused() {
            return None;
        }
        let mut batch: Vec<(RunKey, WorkflowRun)> = vec![(key.clone(), run.clone())];
        {
            let known = self.lock();
            let rest_only = self.rest_only.lock().unwrap_or_else(|e| e.into_inner());
            batch.extend(
                ahead
                    .into_iter()
                    .filter(|(k, r)| {
                        k != key && readable(r) && !known.contains_key(k) && !rest_only.contains(k)
                    })
                    .take(graphql::PER_QUERY - 1),
            );
        }
        let runs: Vec<&WorkflowRun> = batch.iter().map(|(_, r)| r).collect();
        match forge.failed_jobs_of_runs(&runs).await {
            Ok(mut found) => {
                let mut known = self.lock();
                let mut rest_only = self.rest_only.lock().unwrap_or_else(|e| e.into_inner());
                if known.len() + batch.len() > KEPT {
                    known.clear();
                }
                if rest_only.len() + batch.len() > KEPT {
                    rest_only.clear();
                }
                for (k, r) in &batch {
                    match found.remove(&r.id) {
                        Some(jobs) => {
                            known.insert(k.clone(), (r.updated_at, jobs));
                        }
                        None => {
                            rest_only.insert(k.clone());
                        }
                    }
                }
            }
            Err(e) => {
                tracing::info!(error = %e, "reading jobs ahead rests; runs read one at a time");
                *self.paused_until.lock().unwrap_or_else(|e| e.into_inner()) =
                    Some(Instant::now() + PAUSE);
            }
        }
        self.take(key, run)
    }

    fn is_paused(&self) -> bool {
        self.paused_until
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_some_and(|until| Instant::now() < until)
    }

    fn is_rest_only(&self, key: &RunKey) -> bool {
        self.rest_only
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .contains(key)
    }

    /// How many runs' jobs are kept, read and not yet taken.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Known> {
        self.known.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The jobs read for `key`, if read since `run` last changed.
    fn take(&self, key: &RunKey, run: &WorkflowRun) -> Option<Vec<Job>> {
        let mut known = self.lock();
        match known.remove(key) {
            Some((updated, jobs)) if updated == run.updated_at => Some(jobs),
            _ => None,
        }
    }
}

/// A completed run GraphQL can name, in its first attempt. A run still going has jobs yet
/// to fail (its poll reads them); a re-run's latest attempt is what REST's jobs list gives
/// (`filter=latest`), which the check suite's latest check run per name may not be.
fn readable(run: &WorkflowRun) -> bool {
    run.status == Some(Status::Completed)
        && run.node_id.is_some()
        && run.run_attempt.unwrap_or(1) == 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(status: &str, attempt: u32, node_id: Option<&str>) -> WorkflowRun {
        serde_json::from_value(serde_json::json!({
            "id": 1, "node_id": node_id, "head_sha": "abc", "event": "push",
            "status": status, "conclusion": "failure", "workflow_id": 1,
            "run_attempt": attempt, "html_url": "https://github.com/o/r/actions/runs/1",
            "created_at": "2026-12-01T10:00:00Z", "updated_at": "2026-12-01T10:05:00Z",
        }))
        .unwrap()
    }

    #[test]
    fn only_completed_first_attempts_with_a_node_id_are_read_ahead() {
        assert!(readable(&run("completed", 1, Some("WFR_1"))));
        assert!(
            !readable(&run("in_progress", 1, Some("WFR_1"))),
            "jobs yet to fail"
        );
        assert!(
            !readable(&run("completed", 2, Some("WFR_1"))),
            "a re-run: REST's latest"
        );
        assert!(!readable(&run("completed", 1, None)), "no GraphQL id");
    }
}
