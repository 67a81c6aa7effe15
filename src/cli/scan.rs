//! `autoheal scan`: the failed runs of the monitored workflows, as text or JSON.

use std::io::Write;

use chrono::Utc;
use clap::Args;
use serde::Serialize;

use crate::analysis;
use crate::config::PolicySource;
use crate::engine::report::RunReport;
use crate::engine::scan;
use crate::engine::triage::{LookBack, Triage};
use crate::history::Recall;
use crate::text::humanize;

use super::{Failure, GlobalArgs, output, session};

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Print one JSON document, {"runs": [...]}, instead of text.
    #[arg(long)]
    pub json: bool,
    /// Failed runs to report per repository (newest first).
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub limit: u32,
    /// Do not compare with the last passing run's log (saves a few requests per run).
    #[arg(long)]
    pub no_baseline: bool,
}

#[derive(Serialize)]
struct ScanDocument {
    runs: Vec<RunReport>,
    repositories: Vec<RepositoryReport>,
}

#[derive(Serialize)]
struct RepositoryReport {
    repo: String,
    policy_source: PolicySource,
    warnings: Vec<String>,
    error: Option<String>,
}

pub async fn run(global: &GlobalArgs, args: ScanArgs) -> Result<(), Failure> {
    // --config is read once, before anything else happens, and its warnings said once.
    let given = match &global.config {
        Some(path) => {
            let policy = crate::config::load_file(path)?;
            for w in &policy.warnings {
                output::warning(w);
            }
            Some(policy)
        }
        None => None,
    };
    let session = session::open(global.demo, &global.targets()).await?;
    if let Some(notice) = &session.notice {
        output::to_stderr(notice);
    }
    let mut runs = Vec::new();
    let mut repositories = Vec::new();
    let mut failed = false;
    let recall = Recall::new();
    for repo in &session.repos {
        let policy = scan::resolve_policy(session.forge(), repo, given.as_ref()).await?;
        if given.is_none() {
            for w in &policy.warnings {
                output::warning(w);
            }
        }
        let mut report = RepositoryReport {
            repo: repo.to_string(),
            policy_source: policy.source.clone(),
            warnings: policy.warnings.clone(),
            error: None,
        };
        let analyzer = analysis::shared::analyzer_for(&policy.policy.failure_patterns)
            .map_err(Failure::usage)?;
        let triage = Triage {
            forge: session.forge(),
            analyzer,
            policy: &policy.policy,
            use_baseline: !args.no_baseline,
            look_back: if args.no_baseline {
                LookBack::Off
            } else {
                LookBack::Full
            },
            recall: recall.clone(),
            // The demo's logs are regenerated on every start: nothing to keep.
            cache: (!session.is_demo()).then(crate::platform::paths::cache_dir),
        };
        let limit = args.limit as usize;
        let found = async {
            let mut found = scan::failed_runs(session.forge(), repo, &policy, limit).await?;
            // Runs still going in which a job has already failed, listed with `status`.
            let recent = session
                .forge()
                .recent_runs(repo, limit.saturating_mul(2).max(limit))
                .await
                .map_err(|source| scan::ScanError::Forge {
                    repo: repo.clone(),
                    source: Box::new(source),
                })?;
            found.extend(scan::failing_now(session.forge(), repo, &policy, &recent).await?);
            Ok::<_, scan::ScanError>(found)
        }
        .await;
        match found {
            Ok(found) => {
                for failed in found {
                    let explained = triage.explain(failed).await;
                    runs.push(explained.report(&session.secrets()));
                }
            }
            Err(e) => {
                output::to_stderr(&format!("autoheal: {e}"));
                report.error = Some(e.to_string());
                failed = true;
            }
        }
        repositories.push(report);
    }
    runs.sort_by_key(|r| std::cmp::Reverse(r.created_at));

    if args.json {
        output::json(&ScanDocument { runs, repositories })?;
    } else {
        output::text(|out| print_text(out, &runs))?;
    }
    if failed {
        return Err(Failure::internal("some repositories could not be scanned"));
    }
    Ok(())
}

fn print_text(out: &mut dyn Write, runs: &[RunReport]) -> std::io::Result<()> {
    if runs.is_empty() {
        return writeln!(out, "No failed runs in the monitored workflows.");
    }
    let now = Utc::now();
    for r in runs {
        let fork = if r.from_fork { " · from a fork" } else { "" };
        writeln!(
            out,
            "{}  {}  run {}  {} · {} · {} ago{fork}",
            r.repo,
            r.workflow,
            r.run_id,
            r.branch,
            r.event,
            humanize::age(r.created_at, now)
        )?;
        if !r.title.is_empty() {
            writeln!(out, "    {}", r.title)?;
        }
        if let Some(v) = &r.verdict {
            let blocked = v
                .blocked_reason
                .as_ref()
                .map(|b| format!(" — blocked: {b}"))
                .unwrap_or_default();
            writeln!(
                out,
                "    {} · {} · {}{blocked}",
                v.category,
                if v.safe_to_heal {
                    "safe to heal"
                } else {
                    "not safe to heal"
                },
                v.recommendation.as_str()
            )?;
        }
        // Why now: the commits since the last green run, and this failure's history.
        if let Some(changes) = &r.changes {
            writeln!(out, "    {}", changes.summary)?;
        }
        if let Some(h) = &r.history {
            let flaky = if h.history.flaky { "flaky: " } else { "" };
            writeln!(out, "    {flaky}{}", h.summary)?;
        }
        for j in &r.jobs {
            let steps = if j.failed_steps.is_empty() {
                String::new()
            } else {
                format!(": {}", j.failed_steps.join(", "))
            };
            writeln!(out, "    ✗ {}{steps}", j.name)?;
            if let Some(a) = &j.analysis {
                if let Some(m) = a.matches.first() {
                    writeln!(
                        out,
                        "      line {}: {} → {}",
                        m.line, m.pattern, m.suggestion
                    )?;
                }
                if let Some(e) = &a.log_error {
                    writeln!(out, "      (log unavailable: {e})")?;
                }
            }
        }
        writeln!(out, "    {}", r.html_url)?;
    }
    Ok(())
}
