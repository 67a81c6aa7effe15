//! `autoheal status` (every heal and its PR, optionally keeping the books on GitHub) and
//! `autoheal stats` (how healing went).

use std::time::Duration;

use chrono::Utc;
use clap::Args;
use serde::Serialize;

use crate::engine::AuditLog;
use crate::forge::Progress;
use crate::watch::{self, HealState, HealStatus, stats};

use super::{Failure, GlobalArgs, output, session};

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Print one JSON document, {"heals": [...]}.
    #[arg(long)]
    pub json: bool,
    /// Refresh until every heal PR is finished (merged, closed, or healed).
    #[arg(long)]
    pub watch: bool,
    /// Seconds between refreshes with --watch.
    #[arg(long, default_value_t = 15, value_parser = clap::value_parser!(u64).range(2..=3600))]
    pub interval: u64,
    /// Keep the books on GitHub: comment on failed and passed checks (once per PR head),
    /// label PRs over security.max_file_changes, close healed issues with the success label.
    #[arg(long)]
    pub bookkeep: bool,
    /// Mark heal PRs whose checks pass ready for review (implies --bookkeep).
    #[arg(long)]
    pub mark_ready: bool,
}

#[derive(Debug, Args)]
pub struct StatsArgs {
    /// Print one JSON object.
    #[arg(long)]
    pub json: bool,
    /// The window, in days.
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..=3650))]
    pub days: u32,
}

#[derive(Serialize)]
struct StatusDocument<'a> {
    heals: &'a [HealStatus],
    bookkeeping: &'a [String],
}

pub async fn status(global: &GlobalArgs, args: StatusArgs) -> Result<(), Failure> {
    let session = session::open(global.demo, &global.targets()).await?;
    if let Some(notice) = &session.notice {
        output::to_stderr(notice);
    }
    let given = match &global.config {
        Some(path) => Some(crate::config::load_file(path)?),
        None => None,
    };
    let audit = AuditLog::in_dir(&crate::platform::paths::data_dir());
    let bookkeep = args.bookkeep || args.mark_ready;
    let mut watcher = watch::Watcher::default();
    loop {
        let mut all = Vec::new();
        let mut actions = Vec::new();
        for repo in &session.repos {
            let policy =
                crate::engine::scan::resolve_policy(session.forge(), repo, given.as_ref()).await?;
            let found = watcher
                .statuses(session.forge(), repo, &policy.policy)
                .await
                .map_err(|e| Failure::internal(format!("{repo}: {e}")))?;
            for s in &found {
                if bookkeep {
                    let done = watch::bookkeep(
                        session.forge(),
                        repo,
                        &policy.policy,
                        s,
                        args.mark_ready,
                        &audit,
                    )
                    .await
                    .map_err(|e| Failure::internal(format!("{repo}: {e}")))?;
                    actions.extend(done.actions);
                }
            }
            all.extend(found);
        }
        print_status(&all, &actions, args.json)?;
        if !args.watch || all.iter().all(HealStatus::finished) {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_secs(args.interval)).await;
    }
}

fn print_status(all: &[HealStatus], actions: &[String], json: bool) -> Result<(), Failure> {
    if json {
        output::json_line(&StatusDocument {
            heals: all,
            bookkeeping: actions,
        })
    } else {
        output::text(|out| {
            writeln!(out, "{}", Utc::now().format("%H:%M:%S"))?;
            if all.is_empty() {
                writeln!(out, "No tracking issues yet.")?;
            }
            for s in all {
                let pr = match (s.pr_number, s.draft) {
                    (Some(n), Some(true)) => format!("PR #{n} (draft)"),
                    (Some(n), _) => format!("PR #{n}"),
                    (None, _) => "no PR yet".into(),
                };
                let checks: Vec<String> = s
                    .checks
                    .iter()
                    .map(|c| {
                        let mark = Progress::of(&c.status, c.conclusion.as_ref()).mark();
                        format!("{mark} {}", c.name)
                    })
                    .collect();
                let files = s
                    .changed_files
                    .map(|n| format!(" · {n} files"))
                    .unwrap_or_default();
                let flag = if s.over_file_limit {
                    " · over the file limit"
                } else {
                    ""
                };
                writeln!(
                    out,
                    "{} #{} {} on {} (run {}) — {pr} · {}{files}{flag}",
                    s.repo,
                    s.issue_number,
                    s.workflow,
                    s.branch,
                    s.run_id,
                    state_words(s.state)
                )?;
                if !checks.is_empty() {
                    writeln!(out, "    {}", checks.join("  "))?;
                }
            }
            for a in actions {
                writeln!(out, "  → {a}")?;
            }
            Ok(())
        })
    }
}

fn state_words(state: HealState) -> &'static str {
    match state {
        HealState::WaitingForPr => "waiting for the PR",
        HealState::NoChecks => "no checks yet",
        HealState::AwaitingApproval => {
            "awaiting approval: its workflows wait for a maintainer (autoheal approve)"
        }
        HealState::ChecksPending => "checks running",
        HealState::ChecksFailed => "checks failed",
        HealState::ChecksPassed => "checks passed",
        HealState::Merged => "merged, waiting for the workflow",
        HealState::Healed => "healed",
        HealState::Abandoned => "PR closed unmerged",
        HealState::Closed => "issue closed",
    }
}

pub async fn stats(global: &GlobalArgs, args: StatsArgs) -> Result<(), Failure> {
    let session = session::open(global.demo, &global.targets()).await?;
    if let Some(notice) = &session.notice {
        output::to_stderr(notice);
    }
    let given = match &global.config {
        Some(path) => Some(crate::config::load_file(path)?),
        None => None,
    };
    let mut all = Vec::new();
    let mut failed = Vec::new();
    for repo in &session.repos {
        let policy =
            crate::engine::scan::resolve_policy(session.forge(), repo, given.as_ref()).await?;
        all.extend(
            watch::statuses(session.forge(), repo, &policy.policy)
                .await
                .map_err(|e| Failure::internal(format!("{repo}: {e}")))?,
        );
        let runs =
            crate::engine::scan::monitored_failures(session.forge(), repo, &policy, 1000).await?;
        failed.extend(
            runs.iter()
                .map(|run| (run.workflow_name().to_string(), run.created_at)),
        );
    }
    let s = stats::compute(&all, &failed, args.days, Utc::now());
    if args.json {
        output::json(&s)
    } else {
        output::text(|out| {
            writeln!(out, "Last {} days", s.days)?;
            writeln!(out, "  failures seen   {}", s.failures_seen)?;
            writeln!(out, "  heals started   {}", s.heals_started)?;
            writeln!(out, "  PRs opened      {}", s.prs_opened)?;
            writeln!(out, "  merged          {}", s.merged)?;
            writeln!(out, "  healed          {}", s.healed)?;
            writeln!(out, "  success rate    {:.0}%", s.success_rate * 100.0)?;
            match s.median_hours_to_merge {
                Some(h) => writeln!(out, "  median to merge {h:.1} h")?,
                None => writeln!(out, "  median to merge —")?,
            }
            writeln!(out, "\nBy category            heals  PRs  merged")?;
            for (k, c) in &s.by_category {
                writeln!(out, "  {k:<20} {:>5} {:>4} {:>7}", c.heals, c.prs, c.merged)?;
            }
            writeln!(out, "\nBy workflow            failures heals  merged")?;
            for (k, c) in &s.by_workflow {
                writeln!(
                    out,
                    "  {k:<20} {:>8} {:>5} {:>7}",
                    c.failures, c.heals, c.merged
                )?;
            }
            Ok(())
        })
    }
}
