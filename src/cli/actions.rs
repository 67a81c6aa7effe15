//! `autoheal rerun`, `autoheal approve`, `autoheal cleanup`: the writes besides healing, each
//! confirmed first (or `--yes`), each recorded in the audit log.

use std::io::{BufRead, IsTerminal, Write};

use chrono::Utc;
use clap::Args;
use serde_json::json;

use crate::engine::AuditLog;
use crate::heal::rerun;

use super::{Failure, GlobalArgs, output, session};
use crate::forge::Conclusion;

#[derive(Debug, Args)]
pub struct RerunArgs {
    /// The failed run to re-run.
    #[arg(long, value_name = "ID")]
    pub run: u64,
    #[arg(long, short = 'y')]
    pub yes: bool,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ApproveArgs {
    /// The heal pull request whose workflow runs wait for approval.
    #[arg(long, value_name = "NUMBER")]
    pub pr: u64,
    #[arg(long, short = 'y')]
    pub yes: bool,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct CleanupArgs {
    /// Age in days of a heal branch's head commit beyond which it is stale (default:
    /// cleanup.older_than_days, 14).
    #[arg(long, value_name = "DAYS")]
    pub older_than: Option<u32>,
    /// List what would be deleted; delete nothing.
    #[arg(long)]
    pub dry_run: bool,
    #[arg(long, short = 'y')]
    pub yes: bool,
    #[arg(long)]
    pub json: bool,
}

/// Asks on the terminal; without one, `--yes` is required.
fn confirm(lines: &[String], yes: bool) -> Result<(), Failure> {
    if yes {
        return Ok(());
    }
    if !std::io::stdin().is_terminal() {
        return Err(Failure::usage(
            "not on a terminal: pass --yes to go ahead without a confirmation",
        ));
    }
    let mut err = output::Safe::new(std::io::stderr().lock());
    for l in lines {
        let _ = writeln!(err, "{l}");
    }
    let _ = write!(err, "Go ahead? [y/N] ");
    let _ = err.flush();
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|e| Failure::internal(format!("cannot read the answer: {e}")))?;
    if matches!(answer.trim(), "y" | "Y" | "yes") {
        Ok(())
    } else {
        Err(Failure::refused("cancelled: nothing was sent"))
    }
}

fn one_repo(session: &session::Session) -> Result<crate::forge::RepoRef, Failure> {
    match session.repos.as_slice() {
        [one] => Ok(one.clone()),
        [] => Err(Failure::usage("name the repository with --repo OWNER/NAME")),
        _ => Err(Failure::usage("pass exactly one --repo OWNER/NAME")),
    }
}

fn print(value: serde_json::Value, json: bool, text: String) {
    if json {
        let _ = output::json_line(&value);
    } else {
        output::line(&text);
    }
}

pub async fn rerun(global: &GlobalArgs, args: RerunArgs) -> Result<(), Failure> {
    let session = session::open(global.demo, &global.targets()).await?;
    let repo = one_repo(&session)?;
    let given = match &global.config {
        Some(path) => Some(crate::config::load_file(path)?),
        None => None,
    };
    let policy =
        crate::engine::scan::resolve_policy(session.forge(), &repo, given.as_ref()).await?;
    let run = session.forge().run(&repo, args.run).await?;
    if let Some(reason) = rerun::refusal(&policy.policy, &run) {
        return Err(Failure::refused(reason));
    }
    confirm(
        &[format!(
            "Re-run the failed jobs of {repo} run {} ({} on {}, attempt {} of {}).",
            run.id,
            run.workflow_name(),
            run.branch(),
            run.run_attempt.unwrap_or(1),
            policy.policy.rerun.max_attempts
        )],
        args.yes,
    )?;
    let audit = AuditLog::in_dir(&crate::platform::paths::data_dir());
    let attempt = rerun::rerun(session.forge(), &repo, &run, &audit).await?;
    print(
        json!({"repo": repo.to_string(), "run_id": run.id, "attempt": attempt, "html_url": run.html_url}),
        args.json,
        format!(
            "Re-running the failed jobs of run {}: attempt {attempt}. {}",
            run.id, run.html_url
        ),
    );
    Ok(())
}

pub async fn approve(global: &GlobalArgs, args: ApproveArgs) -> Result<(), Failure> {
    let session = session::open(global.demo, &global.targets()).await?;
    let repo = one_repo(&session)?;
    let forge = session.forge();
    let pull = forge.pull(&repo, args.pr).await?;
    let waiting: Vec<u64> = forge
        .runs_for_sha(&repo, &pull.head.sha)
        .await?
        .into_iter()
        .filter(|r| r.conclusion == Some(Conclusion::ActionRequired))
        .map(|r| r.id)
        .collect();
    if waiting.is_empty() {
        print(
            json!({"repo": repo.to_string(), "pr": args.pr, "approved": [], "pr_url": pull.html_url}),
            args.json,
            format!("No workflow run of PR #{} waits for approval.", args.pr),
        );
        return Ok(());
    }
    let author = pull.user.as_ref().map_or("someone", |u| u.login.as_str());
    let files = pull
        .changed_files
        .map_or("an unknown number of".into(), |n| n.to_string());
    confirm(
        &[
            format!(
                "PR #{} by {author} changes {files} files: {}",
                pull.number, pull.html_url
            ),
            format!(
                "Approving runs its code with this repository's secrets ({} workflow run(s)).",
                waiting.len()
            ),
        ],
        args.yes,
    )?;
    let audit = AuditLog::in_dir(&crate::platform::paths::data_dir());
    let mut approved = Vec::new();
    for id in &waiting {
        match forge.approve_run(&repo, *id).await {
            Ok(()) => {
                audit.record(
                    &repo.to_string(),
                    "approve_run",
                    &id.to_string(),
                    "approved",
                );
                approved.push(*id);
            }
            Err(e) if matches!(e.status(), Some(403 | 404)) => {
                return Err(Failure::refused(format!(
                    "GitHub refused to approve run {id}: {e}. Approve it on the PR instead: {}",
                    pull.html_url
                )));
            }
            Err(e) => return Err(Failure::internal(e.to_string())),
        }
    }
    print(
        json!({"repo": repo.to_string(), "pr": args.pr, "approved": approved, "pr_url": pull.html_url}),
        args.json,
        format!(
            "Approved {} workflow run(s) of PR #{}: its checks run now.",
            approved.len(),
            args.pr
        ),
    );
    Ok(())
}

pub async fn cleanup(global: &GlobalArgs, args: CleanupArgs) -> Result<(), Failure> {
    let session = session::open(global.demo, &global.targets()).await?;
    let given = match &global.config {
        Some(path) => Some(crate::config::load_file(path)?),
        None => None,
    };
    let audit = AuditLog::in_dir(&crate::platform::paths::data_dir());
    let mut plans = Vec::new();
    for repo in &session.repos {
        let policy =
            crate::engine::scan::resolve_policy(session.forge(), repo, given.as_ref()).await?;
        let days = args
            .older_than
            .unwrap_or(policy.policy.cleanup.older_than_days);
        let plan =
            crate::engine::cleanup::plan(session.forge(), repo, &policy.policy, days, Utc::now())
                .await
                .map_err(|e| Failure::internal(format!("{repo}: {e}")))?;
        plans.push((repo.clone(), plan));
    }
    let to_delete: Vec<String> = plans
        .iter()
        .flat_map(|(r, p)| p.deleted.iter().map(move |b| format!("  delete {r}:{b}")))
        .collect();
    if !args.dry_run && !to_delete.is_empty() {
        let mut lines = vec!["Stale heal branches (no open PR, old head commit):".to_string()];
        lines.extend(to_delete);
        confirm(&lines, args.yes)?;
        for (repo, plan) in &plans {
            crate::engine::cleanup::execute(session.forge(), repo, plan, &audit)
                .await
                .map_err(|e| Failure::internal(format!("{repo}: {e}")))?;
        }
    }
    let deleted: Vec<String> = plans
        .iter()
        .flat_map(|(r, p)| p.deleted.iter().map(move |b| format!("{r}:{b}")))
        .collect();
    let kept: Vec<serde_json::Value> = plans
        .iter()
        .flat_map(|(r, p)| {
            p.kept
                .iter()
                .map(move |k| json!({"branch": format!("{r}:{}", k.branch), "reason": k.reason}))
        })
        .collect();
    let verb = if args.dry_run {
        "would delete"
    } else {
        "deleted"
    };
    let mut text = String::new();
    for d in &deleted {
        text.push_str(&format!("{verb} {d}\n"));
    }
    for k in &kept {
        text.push_str(&format!(
            "kept {}: {}\n",
            k["branch"].as_str().unwrap_or(""),
            k["reason"].as_str().unwrap_or("")
        ));
    }
    if text.is_empty() {
        text.push_str("No heal branches.\n");
    }
    print(
        json!({"deleted": deleted, "kept": kept, "dry_run": args.dry_run}),
        args.json,
        text.trim_end().to_string(),
    );
    Ok(())
}
