//! Healing a failed run: the tracking issue, the auto-heal branch and the Copilot request,
//! each exactly once, within the repository's policy, with an audit trail.
//!
//! `plan` is pure (everything that will be sent, computed up front); `execute` talks to
//! GitHub and is idempotent; `artifacts` writes the four files a heal leaves behind; `audit` records every
//! write. [`prepare`] gathers what a plan needs (the run, its analysis, the prompt's inputs):
//! the console and `autoheal heal` share it.

pub mod artifacts;
pub mod execute;
pub mod marker;
pub mod plan;
pub mod prompt;
pub mod rerun;

use std::path::PathBuf;
use std::sync::Arc;

pub use execute::{CopilotOutcome, Executor, HealError, HealOutcome};
pub use plan::HealPlan;

use crate::analysis::shared;
use crate::config::LoadedPolicy;
use crate::engine::scan::{self, FailedRun, ScanError};
use crate::engine::triage::{LookBack, RunAnalysis, Triage};
use crate::forge::{Forge, Job, RepoRef, WorkflowRun};
use crate::history::Recall;

/// A run ready to be healed: its analysis, the policy in force, and the prompt to start from.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub run: RunAnalysis,
    pub policy: LoadedPolicy,
    pub default_prompt: String,
    /// Everything was read: the last passing run's logs to compare with (or there was none)
    /// and the prompt's context files. `false` for a brief explanation (see [`Fetch::brief`]).
    pub complete: bool,
}

/// How much to ask GitHub for when explaining a run.
#[derive(Debug, Clone, Default)]
pub struct Fetch {
    /// The run as a list just returned it: it need not be read again. `None` reads it.
    pub listed: Option<WorkflowRun>,
    /// The run's failed jobs, read already (with other runs'). `None` reads them.
    pub jobs: Option<Vec<Job>>,
    /// Explain only, for a run nobody looks at yet: skip the comparison with the last passing
    /// run (its run, jobs and logs: three requests or more) and the files the policy adds to
    /// the prompt (the prompt is written without them; it is not meant to be sent).
    pub brief: bool,
    /// What earlier explanations in this process found out; `None` starts afresh.
    pub recall: Option<Arc<Recall>>,
    /// The caller explains the other failed runs too (the console): the failure's history
    /// takes their fingerprints from `recall` instead of reading their logs again.
    pub others_explained: bool,
}

impl Fetch {
    /// Everything read fresh from GitHub, the baseline included: what a write is based on.
    pub fn full() -> Fetch {
        Fetch::default()
    }
}

/// Fetches and explains one run, and renders its default prompt (the repository's template
/// and `copilot.include_context` files are read at the failed commit). `fetch` says what may
/// be skipped.
pub async fn prepare(
    forge: &dyn Forge,
    repo: &RepoRef,
    run_id: u64,
    given_policy: Option<&LoadedPolicy>,
    cache: Option<PathBuf>,
    secrets: &[&str],
    fetch: Fetch,
) -> Result<Prepared, ScanError> {
    let wrap = |source| ScanError::Forge {
        repo: repo.clone(),
        source: Box::new(source),
    };
    let policy = scan::resolve_policy(forge, repo, given_policy).await?;
    let run = match fetch.listed.filter(|r| r.id == run_id) {
        Some(run) => run,
        None => forge.run(repo, run_id).await.map_err(wrap)?,
    };
    let jobs: Vec<Job> = match fetch.jobs {
        Some(jobs) => jobs,
        None => forge
            .jobs(repo, run_id)
            .await
            .map_err(wrap)?
            .into_iter()
            .filter(Job::failed)
            .collect(),
    };
    // One analyzer per policy, built off the async workers the first time it is needed.
    let patterns = policy.policy.failure_patterns.clone();
    let analyzer = tokio::task::spawn_blocking(move || shared::analyzer_for(&patterns))
        .await
        .unwrap_or_else(|e| Err(format!("building the analyzer failed: {e}")))
        .map_err(|message| {
            ScanError::Config(crate::config::ConfigError::Invalid {
                file: policy.source.to_string(),
                message,
            })
        })?;
    let triage = Triage {
        forge,
        analyzer,
        policy: &policy.policy,
        use_baseline: !fetch.brief,
        // A brief explanation still learns the failure's history (one look a failure group),
        // not the commits since the last green run (a comparison a run).
        look_back: match (fetch.brief, fetch.others_explained) {
            (true, _) => LookBack::History,
            (false, true) => LookBack::Changes,
            (false, false) => LookBack::Full,
        },
        recall: fetch.recall.clone().unwrap_or_default(),
        cache,
    };
    let head = run.head_sha.clone();
    let explained = triage
        .explain(FailedRun {
            repo: repo.clone(),
            run,
            jobs,
        })
        .await;
    let mut context_files = Vec::new();
    let context = if fetch.brief {
        &[][..]
    } else {
        &policy.policy.copilot.include_context[..]
    };
    for path in context {
        if let Ok(Some(text)) = forge.file(repo, path, Some(&head)).await {
            context_files.push((path.clone(), text));
        }
    }
    let template = match &policy.policy.copilot.prompt_template {
        Some(_) if fetch.brief => None,
        Some(path) => forge.file(repo, path, Some(&head)).await.ok().flatten(),
        None => None,
    };
    let default_prompt = plan::default_prompt(
        &explained,
        &policy.policy,
        template.as_deref(),
        &context_files,
        secrets,
    );
    Ok(Prepared {
        run: explained,
        policy,
        default_prompt,
        complete: !fetch.brief,
    })
}
