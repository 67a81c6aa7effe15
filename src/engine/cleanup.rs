//! Stale heal branches: under the heal branch prefix, head commit older than the threshold,
//! no open pull request. Nothing outside the prefix, no branch with an open PR and never the
//! default branch is touched.

use chrono::{DateTime, TimeDelta, Utc};
use serde::Serialize;

use crate::config::Policy;
use crate::engine::AuditLog;
use crate::forge::{Forge, ForgeError, RepoRef};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Kept {
    pub branch: String,
    pub reason: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CleanupPlan {
    pub repo: String,
    /// Stale: to delete (or deleted, once executed).
    pub deleted: Vec<String>,
    pub kept: Vec<Kept>,
}

/// Decides, reading only: which heal branches are stale and why the others stay.
pub async fn plan(
    forge: &dyn Forge,
    repo: &RepoRef,
    policy: &Policy,
    older_than_days: u32,
    now: DateTime<Utc>,
) -> Result<CleanupPlan, ForgeError> {
    let prefix = policy.branches.prefix.as_str();
    let default_branch = forge
        .repository(repo)
        .await?
        .default_branch
        .unwrap_or_default();
    let cutoff = now - TimeDelta::days(i64::from(older_than_days));
    let mut plan = CleanupPlan {
        repo: repo.to_string(),
        ..CleanupPlan::default()
    };
    for r in forge.branches_with_prefix(repo, prefix).await? {
        let Some(branch) = r.name.strip_prefix("refs/heads/") else {
            continue;
        };
        // The API matches by prefix of the ref; be exact about it all the same.
        if !branch.starts_with(prefix) {
            continue;
        }
        let keep = |reason: String| Kept {
            branch: branch.to_string(),
            reason,
        };
        if branch == default_branch {
            plan.kept.push(keep("the default branch".into()));
            continue;
        }
        let open: Vec<u64> = forge
            .pulls_for_branch(repo, branch)
            .await?
            .into_iter()
            .filter(|p| p.state == "open")
            .map(|p| p.number)
            .collect();
        if let Some(n) = open.first() {
            plan.kept.push(keep(format!("pull request #{n} is open")));
            continue;
        }
        match forge.commit_date(repo, &r.object.sha).await? {
            Some(date) if date < cutoff => plan.deleted.push(branch.to_string()),
            Some(date) => plan.kept.push(keep(format!(
                "head commit is {} days old (threshold {older_than_days})",
                (now - date).num_days()
            ))),
            None => plan.kept.push(keep("head commit not found".into())),
        }
    }
    Ok(plan)
}

/// Deletes the plan's stale branches; a branch already gone counts as deleted.
pub async fn execute(
    forge: &dyn Forge,
    repo: &RepoRef,
    plan: &CleanupPlan,
    audit: &AuditLog,
) -> Result<(), ForgeError> {
    for branch in &plan.deleted {
        match forge.delete_branch(repo, branch).await {
            Ok(()) => audit.record(&repo.to_string(), "delete_branch", branch, "deleted"),
            Err(e) if e.status() == Some(422) => {
                audit.record(&repo.to_string(), "delete_branch", branch, "already gone")
            }
            Err(e) => return Err(e),
        }
    }
    Ok(())
}
