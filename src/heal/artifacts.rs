//! The four artifacts of one heal (the files the Auto-Healing workflow uploads), written to `--out DIR` or the data directory:
//! `failure_analysis.json`, `failure_report.md`, `healing_context.json`,
//! `copilot_healing_prompt.md`. Each is written to a temporary file and renamed, so a reader
//! never sees half a file.

use std::path::{Path, PathBuf};

use chrono::Utc;
use serde::Serialize;

use super::execute::HealOutcome;
use super::plan::HealPlan;
use crate::config::{LoadedPolicy, PolicySource};
use crate::engine::triage::RunAnalysis;
use crate::platform::atomic::{self, Durability};

/// `healing_context.json`: the workflow, run, repository, branch, sha and the config in force.
#[derive(Debug, Serialize)]
pub struct HealingContext<'a> {
    pub autoheal_version: &'static str,
    pub generated_at: String,
    pub repository: String,
    pub workflow: &'a str,
    pub workflow_path: &'a str,
    pub run_id: u64,
    pub run_attempt: u32,
    pub run_url: &'a str,
    pub event: &'a str,
    pub branch: &'a str,
    pub head_sha: &'a str,
    pub actor: Option<&'a str>,
    pub heal_branch: &'a str,
    pub fingerprint: &'a str,
    pub issue_number: Option<u64>,
    pub issue_url: Option<&'a str>,
    pub copilot: serde_json::Value,
    pub created: &'a [String],
    pub existing: &'a [String],
    pub policy_source: &'a PolicySource,
    pub config: &'a crate::config::Policy,
    pub dry_run: bool,
}

/// Writes the four files; returns their paths.
pub fn write(
    dir: &Path,
    run: &RunAnalysis,
    plan: &HealPlan,
    policy: &LoadedPolicy,
    outcome: Option<&HealOutcome>,
    secrets: &[&str],
) -> std::io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let r = &run.failed.run;
    let mut analysis = serde_json::to_value(run.report(secrets)).map_err(std::io::Error::other)?;
    analysis["fingerprint"] = serde_json::Value::String(plan.fingerprint.clone());
    let empty: Vec<String> = Vec::new();
    let context = HealingContext {
        autoheal_version: env!("CARGO_PKG_VERSION"),
        generated_at: Utc::now().to_rfc3339(),
        repository: run.failed.repo.to_string(),
        workflow: r.workflow_name(),
        workflow_path: &r.path,
        run_id: r.id,
        run_attempt: r.run_attempt.unwrap_or(1),
        run_url: &r.html_url,
        event: &r.event,
        branch: r.branch(),
        head_sha: &r.head_sha,
        actor: r.actor.as_ref().map(|a| a.login.as_str()),
        heal_branch: &plan.heal_branch,
        fingerprint: &plan.fingerprint,
        issue_number: outcome.and_then(|o| o.issue_number),
        issue_url: outcome.and_then(|o| o.issue_url.as_deref()),
        copilot: serde_json::json!({
            "enabled": policy.policy.copilot.enabled,
            "mode": policy.policy.copilot.mode,
            "trigger": policy.policy.copilot.trigger,
            "agent_login": policy.policy.copilot.agent_login,
            "model": policy.policy.copilot.model,
            // Advisory only: no GitHub API takes a temperature.
            "temperature": policy.policy.copilot.temperature,
            "outcome": outcome.and_then(|o| o.copilot.as_ref()),
        }),
        created: outcome.map_or(&empty, |o| &o.created),
        existing: outcome.map_or(&empty, |o| &o.existing),
        policy_source: &policy.source,
        config: &policy.policy,
        dry_run: outcome.is_none(),
    };
    let sent = match &plan.copilot {
        Some(c) => c.comment.clone(),
        None => plan.prompt.clone(),
    };
    // As it was sent: with the tracking issue's number, once there is one.
    let sent = match outcome.and_then(|o| o.issue_number) {
        Some(number) => super::prompt::with_issue_number(&sent, number),
        None => sent,
    };
    let report = plan
        .issue
        .body
        .lines()
        .skip_while(|l| l.starts_with("<!-- autoheal:"))
        .collect::<Vec<_>>()
        .join("\n");
    let files = [
        (
            "failure_analysis.json",
            serde_json::to_string_pretty(&analysis).map_err(std::io::Error::other)?,
        ),
        (
            "failure_report.md",
            format!("# {}\n\n{report}\n", plan.issue.title),
        ),
        (
            "healing_context.json",
            serde_json::to_string_pretty(&context).map_err(std::io::Error::other)?,
        ),
        ("copilot_healing_prompt.md", sent),
    ];
    let mut written = Vec::new();
    for (name, content) in files {
        let path = dir.join(name);
        atomic::write(&path, content.as_bytes(), Durability::Disk)?;
        written.push(path);
    }
    Ok(written)
}
