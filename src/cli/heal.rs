//! `autoheal heal`: the tracking issue, the auto-heal branch and the Copilot request for one
//! failed run, headless. Also what the `workflow_run` workflow runs (`--from-event`).

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;

use chrono::Utc;
use clap::Args;
use serde::Serialize;

use crate::engine::AuditLog;
use crate::forge::RepoRef;
use crate::heal::{self, Executor, HealError, HealOutcome, HealPlan};

use super::{Failure, GlobalArgs, output, session};
use crate::forge::Conclusion;

#[derive(Debug, Args)]
pub struct HealArgs {
    /// The failed run's id.
    #[arg(long, value_name = "ID", required_unless_present = "from_event")]
    pub run: Option<u64>,
    /// Read the run from the `workflow_run` event at GITHUB_EVENT_PATH (inside Actions).
    #[arg(long, conflicts_with = "run")]
    pub from_event: bool,
    /// Do it without asking (required when not on a terminal).
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Print what would be created; send nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Heal even when the policy or the verdict says not to (blocked branch, fork, unsafe
    /// category). The daily limit still holds.
    #[arg(long)]
    pub force: bool,
    /// Write the four artifacts here (default: the data directory, under the run's id).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Use this file as the Copilot prompt instead of the rendered template.
    #[arg(long, value_name = "FILE")]
    pub prompt_file: Option<PathBuf>,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Serialize)]
struct HealDocument<'a> {
    repo: String,
    run_id: u64,
    issue_number: Option<u64>,
    issue_url: Option<&'a str>,
    branch: Option<&'a str>,
    copilot: Option<&'a heal::CopilotOutcome>,
    created: &'a [String],
    existing: &'a [String],
    failed_again_of: Option<u64>,
    artifacts: Vec<String>,
    dry_run: bool,
    plan: Option<&'a HealPlan>,
}

/// The `workflow_run` event's run and repository.
fn read_event() -> Result<(RepoRef, u64, Option<String>), Failure> {
    let path = std::env::var("GITHUB_EVENT_PATH").map_err(|_| {
        Failure::usage("--from-event needs GITHUB_EVENT_PATH (set by GitHub Actions)")
    })?;
    let text = std::fs::read_to_string(&path)
        .map_err(|e| Failure::usage(format!("cannot read {path}: {e}")))?;
    let event: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| Failure::usage(format!("{path}: not a JSON event: {e}")))?;
    let run = &event["workflow_run"];
    let id = run["id"].as_u64().ok_or_else(|| {
        Failure::usage(format!(
            "{path}: not a workflow_run event (no workflow_run.id)"
        ))
    })?;
    let full_name = event["repository"]["full_name"]
        .as_str()
        .or_else(|| run["repository"]["full_name"].as_str())
        .ok_or_else(|| Failure::usage(format!("{path}: no repository.full_name")))?;
    let repo: RepoRef = full_name.parse().map_err(Failure::usage)?;
    Ok((repo, id, run["conclusion"].as_str().map(String::from)))
}

pub async fn run(global: &GlobalArgs, args: HealArgs) -> Result<(), Failure> {
    let (repo_from_event, run_id) = if args.from_event {
        let (repo, id, conclusion) = read_event()?;
        if conclusion.as_deref() != Some("failure") {
            output::line(&format!(
                "run {id} concluded {}: nothing to heal",
                conclusion.as_deref().unwrap_or("without a conclusion")
            ));
            return Ok(());
        }
        (Some(repo), id)
    } else {
        (
            None,
            args.run
                .ok_or_else(|| Failure::usage("--run ID is required"))?,
        )
    };
    let repo_flags: Vec<RepoRef> = repo_from_event
        .into_iter()
        .chain(global.repos.clone())
        .collect();
    let given = match &global.config {
        Some(path) => Some(crate::config::load_file(path)?),
        None => None,
    };
    let session = session::open(global.demo, &session::Targets::repos(&repo_flags)).await?;
    if let Some(notice) = &session.notice {
        output::to_stderr(notice);
    }
    let repo = match session.repos.as_slice() {
        [one] => one.clone(),
        [] => return Err(Failure::usage("name the repository with --repo OWNER/NAME")),
        many if repo_flags.len() == 1 => many[0].clone(),
        _ => {
            return Err(Failure::usage(
                "heal works on one repository: pass exactly one --repo OWNER/NAME",
            ));
        }
    };
    let secrets = session.secrets();
    let cache = (!session.is_demo()).then(crate::platform::paths::cache_dir);
    let prepared = heal::prepare(
        session.forge(),
        &repo,
        run_id,
        given.as_ref(),
        cache,
        &secrets,
        heal::Fetch::full(),
    )
    .await?;
    for w in &prepared.policy.warnings {
        output::warning(w);
    }
    if prepared.run.failed.run.conclusion != Some(Conclusion::Failure) {
        return Err(Failure::refused(format!(
            "run {run_id} is not a failed run (conclusion: {})",
            prepared
                .run
                .failed
                .run
                .conclusion
                .as_ref()
                .map_or("none yet", |c| c.as_str())
        )));
    }
    // Inside Actions: a transient failure is re-run first, while attempts remain.
    if args.from_event
        && prepared.run.verdict.recommendation == crate::analysis::Recommendation::Rerun
        && crate::heal::rerun::refusal(&prepared.policy.policy, &prepared.run.failed.run).is_none()
    {
        let audit = AuditLog::in_dir(&crate::platform::paths::data_dir());
        let attempt =
            crate::heal::rerun::rerun(session.forge(), &repo, &prepared.run.failed.run, &audit)
                .await?;
        output::line(&format!(
            "run {run_id}: {}; re-running its failed jobs (attempt {attempt}) instead of healing",
            prepared.run.verdict.recommendation_reason
        ));
        return Ok(());
    }
    let prompt = match &args.prompt_file {
        Some(path) => std::fs::read_to_string(path)
            .map_err(|e| Failure::usage(format!("cannot read {}: {e}", path.display())))?,
        None => prepared.default_prompt.clone(),
    };
    let plan = heal::plan::plan(&prepared.run, &prepared.policy.policy, &prompt, &secrets);
    let out_dir = args.out.clone().unwrap_or_else(|| {
        crate::platform::paths::data_dir()
            .join("runs")
            .join(&repo.owner)
            .join(&repo.name)
            .join(run_id.to_string())
    });

    if args.dry_run {
        let artifacts = match &args.out {
            Some(dir) => {
                heal::artifacts::write(dir, &prepared.run, &plan, &prepared.policy, None, &secrets)
                    .map_err(|e| {
                        Failure::internal(format!(
                            "cannot write artifacts to {}: {e}",
                            dir.display()
                        ))
                    })?
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect()
            }
            None => Vec::new(),
        };
        print_dry_run(&plan, args.json, artifacts)?;
        return match &plan.refusal {
            Some(reason) if !args.force => Err(Failure::refused(format!(
                "{reason} (use --force to override)"
            ))),
            _ => Ok(()),
        };
    }

    if let Some(reason) = &plan.refusal
        && !args.force
    {
        return Err(Failure::refused(format!(
            "{reason} (use --force to override)"
        )));
    }
    if !args.yes {
        if !std::io::stdin().is_terminal() {
            return Err(Failure::usage(
                "not on a terminal: pass --yes to heal without a confirmation (or --dry-run to see the plan)",
            ));
        }
        if !confirm(&plan)? {
            return Err(Failure::refused("cancelled: nothing was sent"));
        }
    }

    let audit = AuditLog::in_dir(&crate::platform::paths::data_dir());
    let executor = Executor {
        forge: session.forge(),
        policy: &prepared.policy.policy,
        audit: &audit,
        now: Utc::now(),
    };
    let outcome = match executor.execute(&plan, args.force).await {
        Ok(o) => o,
        Err(HealError::Refused(reason)) => return Err(Failure::refused(reason)),
        Err(HealError::Forge(e)) => return Err(Failure::internal(e.to_string())),
    };
    let artifacts: Vec<String> = heal::artifacts::write(
        &out_dir,
        &prepared.run,
        &plan,
        &prepared.policy,
        Some(&outcome),
        &secrets,
    )
    .map_err(|e| {
        Failure::internal(format!(
            "cannot write artifacts to {}: {e}",
            out_dir.display()
        ))
    })?
    .iter()
    .map(|p| p.display().to_string())
    .collect();
    print_outcome(&repo, run_id, &outcome, artifacts, args.json)
}

fn confirm(plan: &HealPlan) -> Result<bool, Failure> {
    let mut err = output::Safe::new(std::io::stderr().lock());
    let _ = writeln!(err, "About to heal run {} of {}:", plan.run_id, plan.repo);
    let _ = writeln!(
        err,
        "  issue   {}  [{}]",
        plan.issue.title,
        plan.issue.labels.join(", ")
    );
    let _ = writeln!(
        err,
        "  branch  {} at {}",
        plan.heal_branch,
        crate::text::humanize::short_sha(&plan.head_sha)
    );
    if let Some(c) = &plan.copilot {
        let first: Vec<&str> = c.comment.lines().take(3).collect();
        let _ = writeln!(err, "  copilot {:?} mode; comment starts:", c.mode);
        for l in first {
            let _ = writeln!(err, "          │ {l}");
        }
    }
    let _ = write!(err, "Create these on GitHub? [y/N] ");
    let _ = err.flush();
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|e| Failure::internal(format!("cannot read the answer: {e}")))?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes" | "Yes"))
}

fn print_dry_run(plan: &HealPlan, json: bool, artifacts: Vec<String>) -> Result<(), Failure> {
    if json {
        let doc = HealDocument {
            repo: plan.repo.to_string(),
            run_id: plan.run_id,
            issue_number: None,
            issue_url: None,
            branch: Some(&plan.heal_branch),
            copilot: None,
            created: &[],
            existing: &[],
            failed_again_of: None,
            artifacts,
            dry_run: true,
            plan: Some(plan),
        };
        output::json(&doc)
    } else {
        output::text(|out| {
            writeln!(out, "Dry run: nothing is sent.\n")?;
            if let Some(r) = &plan.refusal {
                writeln!(out, "Refused unless --force: {r}\n")?;
            }
            writeln!(out, "Tracking issue: {}", plan.issue.title)?;
            writeln!(out, "Labels: {}", plan.issue.labels.join(", "))?;
            writeln!(out, "Branch: {} at {}", plan.heal_branch, plan.head_sha)?;
            match &plan.copilot {
                Some(c) => writeln!(
                    out,
                    "Copilot: {:?} mode (agent {}, base {})",
                    c.mode, c.agent_login, c.base_ref
                )?,
                None => writeln!(out, "Copilot: disabled (copilot.enabled: false)")?,
            }
            writeln!(out, "\n--- issue body ---\n{}", plan.issue.body)?;
            if let Some(c) = &plan.copilot {
                writeln!(out, "--- Copilot comment ---\n{}", c.comment)?;
            }
            for a in &artifacts {
                writeln!(out, "wrote {a}")?;
            }
            Ok(())
        })
    }
}

fn print_outcome(
    repo: &RepoRef,
    run_id: u64,
    o: &HealOutcome,
    artifacts: Vec<String>,
    json: bool,
) -> Result<(), Failure> {
    if json {
        let doc = HealDocument {
            repo: repo.to_string(),
            run_id,
            issue_number: o.issue_number,
            issue_url: o.issue_url.as_deref(),
            branch: o.branch.as_deref(),
            copilot: o.copilot.as_ref(),
            created: &o.created,
            existing: &o.existing,
            failed_again_of: o.failed_again_of,
            artifacts,
            dry_run: false,
            plan: None,
        };
        output::json(&doc)
    } else {
        output::text(|out| {
            match (o.failed_again_of, o.issue_number, &o.issue_url) {
                (Some(first), Some(n), Some(url)) => writeln!(
                    out,
                    "Run {run_id} failed the same way as run {first}: noted on issue #{n} ({url})"
                )?,
                (_, Some(n), Some(url)) => writeln!(out, "Tracking issue #{n}: {url}")?,
                _ => writeln!(out, "No tracking issue (it was not asked for)")?,
            }
            if let Some(b) = &o.branch {
                writeln!(out, "Heal branch: {b}")?;
            }
            if let Some(c) = &o.copilot {
                writeln!(
                    out,
                    "Copilot: {:?} mode{}",
                    c.effective,
                    c.comment_url
                        .as_deref()
                        .map(|u| format!(", comment {u}"))
                        .unwrap_or_default()
                )?;
                if let Some(note) = &c.note {
                    writeln!(out, "  note: {note}")?;
                }
            }
            if !o.created.is_empty() {
                writeln!(out, "Created: {}", o.created.join(", "))?;
            }
            if !o.existing.is_empty() {
                writeln!(out, "Already there: {}", o.existing.join(", "))?;
            }
            for a in &artifacts {
                writeln!(out, "Wrote {a}")?;
            }
            Ok(())
        })
    }
}
