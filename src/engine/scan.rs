//! Finding what failed: the failed, monitored, non-excluded runs of each repository, with
//! their failed jobs and steps. Shared by `autoheal scan`, the console's poller and `heal`.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use chrono::{DateTime, Utc};
use futures_util::{StreamExt, stream};

use crate::config::{self, ConfigError, LoadedPolicy, PolicySource, WorkflowFilter};
use crate::forge::{Conclusion, Status};
use crate::forge::{Forge, ForgeError, Job, RepoRef, WorkflowRun, auth};

/// Jobs of this many runs are fetched at once; GitHub asks clients not to flood it.
const CONCURRENT_RUNS: usize = 6;

#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("organisation {org}: {source}")]
    Org {
        org: String,
        #[source]
        source: Box<ForgeError>,
    },
    #[error("{repo}: {source}")]
    Forge {
        repo: RepoRef,
        #[source]
        source: Box<ForgeError>,
    },
}

/// The policy in force for a repository: `--config` (already loaded, as `given`), else the
/// checkout in the working directory when it is this repository, else the file on the
/// default branch, else defaults.
pub async fn resolve_policy(
    forge: &dyn Forge,
    repo: &RepoRef,
    given: Option<&LoadedPolicy>,
) -> Result<LoadedPolicy, ScanError> {
    if let Some(policy) = given {
        return Ok(policy.clone());
    }
    let local = Path::new(config::POLICY_PATH);
    if local.is_file() && auth::origin_repo().as_ref() == Some(repo) {
        return Ok(config::load_file(local)?);
    }
    match forge.file(repo, config::POLICY_PATH, None).await {
        Ok(text) => policy_from_file(repo, text),
        Err(source) => Err(ScanError::Forge {
            repo: repo.clone(),
            source: Box::new(source),
        }),
    }
}

/// The policies in force for many repositories, as [`resolve_policy`] finds each, the policy
/// files read in a few requests for all of them (GraphQL) instead of one each. A repository
/// whose file could not be read that way is left out, and every one when GraphQL refused:
/// read those with [`resolve_policy`]. When GitHub could not be reached at all, each gets
/// that error (asking again one by one would only wait as long again).
pub async fn resolve_policies(
    forge: &dyn Forge,
    repos: &[RepoRef],
    given: Option<&LoadedPolicy>,
) -> HashMap<RepoRef, Result<LoadedPolicy, ScanError>> {
    let mut found = HashMap::new();
    if let Some(policy) = given {
        for repo in repos {
            found.insert(repo.clone(), Ok(policy.clone()));
        }
        return found;
    }
    // The checkout in the working directory is read from disk, as `resolve_policy` does.
    let origin = auth::origin_repo().filter(|_| Path::new(config::POLICY_PATH).is_file());
    let remote: Vec<RepoRef> = repos
        .iter()
        .filter(|r| Some(*r) != origin.as_ref())
        .cloned()
        .collect();
    if remote.len() < repos.len()
        && let Some(origin) = origin
    {
        let local = resolve_policy(forge, &origin, None).await;
        found.insert(origin, local);
    }
    match forge.files_of_repos(&remote, config::POLICY_PATH).await {
        Ok(read) => {
            for (repo, text) in remote.into_iter().zip(read) {
                match text {
                    Ok(text) => {
                        let policy = policy_from_file(&repo, text);
                        found.insert(repo, policy);
                    }
                    Err(why) => tracing::debug!(%repo, why, "policy file left to REST"),
                }
            }
        }
        Err(ForgeError::Http { message, .. }) => {
            tracing::info!(message, "GraphQL refused: policy files read one at a time")
        }
        Err(e) => {
            for repo in remote {
                let error = ScanError::Forge {
                    repo: repo.clone(),
                    source: Box::new(e.clone()),
                };
                found.insert(repo, Err(error));
            }
        }
    }
    found
}

/// The policy a repository's policy file sets (`None`: it has none, so the defaults).
fn policy_from_file(repo: &RepoRef, text: Option<String>) -> Result<LoadedPolicy, ScanError> {
    let Some(text) = text else {
        return Ok(LoadedPolicy::defaults());
    };
    let origin = format!("{repo}:{}", config::POLICY_PATH);
    let (policy, warnings) = config::parse_policy(text.as_bytes(), &origin)?;
    Ok(LoadedPolicy {
        policy,
        source: PolicySource::Repository {
            repo: repo.to_string(),
            path: config::POLICY_PATH.into(),
        },
        warnings,
    })
}

/// One failed run and what failed in it.
#[derive(Debug, Clone)]
pub struct FailedRun {
    pub repo: RepoRef,
    pub run: WorkflowRun,
    /// The failed jobs of the run's latest attempt.
    pub jobs: Vec<Job>,
}

/// The policy's monitored and excluded workflows, or the configuration error they hold.
fn workflow_filter(policy: &LoadedPolicy) -> Result<WorkflowFilter, ScanError> {
    WorkflowFilter::new(&policy.policy).map_err(|message| {
        ScanError::Config(ConfigError::Invalid {
            file: policy.source.to_string(),
            message,
        })
    })
}

/// A GitHub error while reading `repo`.
fn forge_error(repo: &RepoRef) -> impl Fn(ForgeError) -> ScanError + '_ {
    move |source| ScanError::Forge {
        repo: repo.clone(),
        source: Box::new(source),
    }
}

/// The repositories of an organisation worth watching: neither archived nor disabled, with a
/// workflow run created in the last `active_days` days. By name.
pub async fn org_repositories(
    forge: &dyn Forge,
    org: &str,
    active_days: u32,
    now: DateTime<Utc>,
) -> Result<Vec<RepoRef>, ScanError> {
    org_repositories_except(forge, org, active_days, now, &HashSet::new()).await
}

/// The same, leaving out (unasked: checking a repository's activity is a request) the
/// repositories already watched: what listing the organisation again adds.
pub async fn org_repositories_except(
    forge: &dyn Forge,
    org: &str,
    active_days: u32,
    now: DateTime<Utc>,
    watched: &HashSet<RepoRef>,
) -> Result<Vec<RepoRef>, ScanError> {
    let wrap = |source| ScanError::Org {
        org: org.to_string(),
        source: Box::new(source),
    };
    let since = active_since(now, active_days);
    let candidates = org_candidates(forge, org, watched).await?;
    let active: Vec<Result<Option<RepoRef>, ForgeError>> = stream::iter(candidates)
        .map(|repo| async move {
            let active = forge.has_runs_since(&repo, since).await?;
            Ok(active.then_some(repo))
        })
        .buffered(CONCURRENT_RUNS)
        .collect()
        .await;
    let mut repos = Vec::new();
    for r in active {
        if let Some(repo) = r.map_err(wrap)? {
            repos.push(repo);
        }
    }
    repos.sort_by_key(|r| r.to_string());
    Ok(repos)
}

/// The repositories of an organisation that may be worth watching, by name: neither archived
/// nor disabled, nor in `watched`. One request a hundred repositories; whether each is active
/// is left to the caller (the console asks with its first poll, see [`is_active`]).
pub async fn org_candidates(
    forge: &dyn Forge,
    org: &str,
    watched: &HashSet<RepoRef>,
) -> Result<Vec<RepoRef>, ScanError> {
    let mut repos: Vec<RepoRef> = forge
        .org_repos(org)
        .await
        .map_err(|source| ScanError::Org {
            org: org.to_string(),
            source: Box::new(source),
        })?
        .into_iter()
        .filter(|r| !r.archived && !r.disabled)
        .filter_map(|r| r.full_name.parse::<RepoRef>().ok())
        .filter(|r| !watched.contains(r))
        .collect();
    repos.sort_by_key(|r| r.to_string());
    Ok(repos)
}

/// The start of the days an organisation's repository must have had a workflow run in.
pub fn active_since(now: DateTime<Utc>, active_days: u32) -> DateTime<Utc> {
    now - chrono::TimeDelta::days(i64::from(active_days))
}

/// Has `repo` had a workflow run since `since`? `failures` (its failure list, just read)
/// answers when one of them is recent enough; else one request asks.
pub async fn is_active(
    forge: &dyn Forge,
    repo: &RepoRef,
    failures: &[WorkflowRun],
    since: DateTime<Utc>,
) -> Result<bool, ScanError> {
    if failures.iter().any(|r| r.created_at >= since) {
        return Ok(true);
    }
    forge
        .has_runs_since(repo, since)
        .await
        .map_err(forge_error(repo))
}

/// The failed runs of one repository that its policy monitors, newest first, with their
/// failed jobs.
pub async fn failed_runs(
    forge: &dyn Forge,
    repo: &RepoRef,
    policy: &LoadedPolicy,
    limit: usize,
) -> Result<Vec<FailedRun>, ScanError> {
    let runs = monitored_failures(forge, repo, policy, limit).await?;
    let results: Vec<Result<FailedRun, ForgeError>> = stream::iter(runs)
        .map(|run| async move {
            let jobs = forge.jobs(repo, run.id).await?;
            Ok(FailedRun {
                repo: repo.clone(),
                jobs: jobs.into_iter().filter(Job::failed).collect(),
                run,
            })
        })
        .buffered(CONCURRENT_RUNS)
        .collect()
        .await;
    results
        .into_iter()
        .map(|r| r.map_err(forge_error(repo)))
        .collect()
}

/// Runs still going in which a job has already failed (with those jobs), newest first: a
/// failure shows while the rest of the run goes on. From `recent` (the newest runs), one
/// request for the jobs of each monitored run still going.
pub async fn failing_now(
    forge: &dyn Forge,
    repo: &RepoRef,
    policy: &LoadedPolicy,
    recent: &[WorkflowRun],
) -> Result<Vec<FailedRun>, ScanError> {
    let filter = workflow_filter(policy)?;
    // Owned: a stream over borrowed runs trips the compiler's lifetime inference in a
    // spawned (Send) future.
    let going: Vec<WorkflowRun> = recent
        .iter()
        .filter(|r| r.status.as_ref().is_some_and(|s| *s != Status::Completed))
        .filter(|r| filter.accepts(r.workflow_name(), &r.path))
        .cloned()
        .collect();
    let found: Vec<Result<Option<FailedRun>, ForgeError>> = stream::iter(going)
        .map(|run| async move {
            let failed: Vec<Job> = forge
                .jobs(repo, run.id)
                .await?
                .into_iter()
                .filter(Job::failed)
                .collect();
            Ok((!failed.is_empty()).then(|| FailedRun {
                repo: repo.clone(),
                run,
                jobs: failed,
            }))
        })
        .buffered(CONCURRENT_RUNS)
        .collect()
        .await;
    let mut runs = Vec::new();
    for f in found {
        let f = f.map_err(forge_error(repo))?;
        runs.extend(f);
    }
    Ok(runs)
}

/// What one poll of a repository found for the console.
#[derive(Debug, Clone)]
pub struct Poll {
    /// Monitored failures and runs failing now, newest first.
    pub runs: Vec<WorkflowRun>,
    /// The failure list was read: a failure listed before and absent now is no longer one.
    pub complete: bool,
}

/// One poll of a repository for the console. One request: the newest runs of any status,
/// which hold new failures and the runs still going (whose jobs are read, to show a failed
/// job at once). With `full` (the first poll, then whenever the policy file is read again)
/// the failure list instead: it alone reaches failures older than the newest runs, and tells
/// which listed failures are no longer failures (a re-run passed). A full poll is then two
/// requests with the policy file, which matters when an organisation's repositories are all
/// polled at once; runs still going show at the next poll.
pub async fn poll(
    forge: &dyn Forge,
    repo: &RepoRef,
    policy: &LoadedPolicy,
    limit: usize,
    full: bool,
) -> Result<Poll, ScanError> {
    let filter = workflow_filter(policy)?;
    if full {
        return Ok(Poll {
            runs: monitored_failures(forge, repo, policy, limit).await?,
            complete: true,
        });
    }
    let recent = forge
        .recent_runs(repo, limit.saturating_mul(2).max(limit))
        .await
        .map_err(forge_error(repo))?;
    let mut runs: Vec<WorkflowRun> = Vec::new();
    for run in &recent {
        let failed = run.conclusion == Some(Conclusion::Failure)
            && filter.accepts(run.workflow_name(), &run.path);
        if failed && !runs.iter().any(|r| r.id == run.id) {
            runs.push(run.clone());
        }
    }
    for going in failing_now(forge, repo, policy, &recent).await? {
        runs.retain(|r| r.id != going.run.id);
        runs.push(going.run);
    }
    runs.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
    runs.truncate(limit);
    Ok(Poll {
        runs,
        complete: false,
    })
}

/// The failed runs of one repository that its policy monitors, newest first: one request
/// (a page of the run list), none for their jobs. What a poller and the statistics need.
pub async fn monitored_failures(
    forge: &dyn Forge,
    repo: &RepoRef,
    policy: &LoadedPolicy,
    limit: usize,
) -> Result<Vec<WorkflowRun>, ScanError> {
    let filter = workflow_filter(policy)?;
    // Ask for more than `limit`: some of them may be filtered out by the policy.
    let runs = forge
        .failed_runs(repo, limit.saturating_mul(2).max(limit))
        .await
        .map_err(forge_error(repo))?;
    Ok(runs
        .into_iter()
        .filter(|r| r.conclusion == Some(Conclusion::Failure))
        .filter(|r| filter.accepts(r.workflow_name(), &r.path))
        .take(limit)
        .collect())
}
