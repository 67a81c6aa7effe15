//! The failed jobs of the runs about to be explained in the background, read many runs a
//! request. Explaining a run costs its jobs and its failed jobs' logs; over REST the jobs are
//! a request a run, and a console watching 200 repositories would spend 200 of its 600
//! requests a minute on them before any log. One GraphQL query reads the failed jobs of 50
//! runs: the run being explained and those queued after it.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::{DateTime, Utc};

use super::action::RunKey;
use crate::forge::{Forge, ForgeError, Job, WorkflowRun, graphql};

/// Failed jobs read, by run, with the run's `updated_at` when read.
type Known = HashMap<RunKey, (DateTime<Utc>, Vec<Job>)>;

/// Failed jobs read ahead, kept until their run is explained.
#[derive(Debug, Default)]
pub struct ReadAhead {
    /// One read at a time: the explainers waiting for it find their run in `known` after.
    turn: tokio::sync::Mutex<()>,
    /// By run, with the run's `updated_at` when read: a run that changed since is read again.
    known: Mutex<Known>,
    /// GraphQL refused a query (an Enterprise Server without it, a token it does not take):
    /// every run's jobs are read over REST from then on.
    refused: AtomicBool,
}

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
        // A run still going has jobs yet to fail: its poll reads them.
        if !readable(run) || self.refused.load(Ordering::Relaxed) {
            return None;
        }
        let _turn = self.turn.lock().await;
        if let Some(jobs) = self.take(key, run) {
            return Some(jobs);
        }
        let mut batch: Vec<(RunKey, WorkflowRun)> = vec![(key.clone(), run.clone())];
        {
            let known = self.lock();
            batch.extend(
                ahead()
                    .into_iter()
                    .filter(|(k, r)| k != key && readable(r) && !known.contains_key(k))
                    .take(graphql::PER_QUERY - 1),
            );
        }
        let runs: Vec<&WorkflowRun> = batch.iter().map(|(_, r)| r).collect();
        match forge.failed_jobs_of_runs(&runs).await {
            Ok(mut found) => {
                let mut known = self.lock();
                if known.len() + batch.len() > KEPT {
                    known.clear();
                }
                for (k, r) in &batch {
                    if let Some(jobs) = found.remove(&r.id) {
                        known.insert(k.clone(), (r.updated_at, jobs));
                    }
                }
            }
            Err(ForgeError::Http { message, .. }) => {
                tracing::info!(message, "GraphQL refused: jobs read one run at a time");
                self.refused.store(true, Ordering::Relaxed);
            }
            Err(e) => tracing::debug!(error = %e, "jobs read ahead failed; read over REST"),
        }
        self.take(key, run)
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

/// A completed run GraphQL can name.
fn readable(run: &WorkflowRun) -> bool {
    run.status.as_deref() == Some("completed") && run.node_id.is_some()
}
