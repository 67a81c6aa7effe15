//! Following every heal to its end: find each tracking issue's heal PR, read its state and
//! checks, and keep the books on GitHub, each note at most once per PR head sha.
//!
//! - checks fail → one comment on the tracking issue naming the failing checks;
//! - checks pass → one comment, and (when asked) the draft is marked ready for review;
//! - more files changed than `security.max_file_changes` → the PR gets the
//!   `needs-manual-review` label and the issue one comment;
//! - merged, and the original workflow's next run on its branch succeeded → the issue is closed
//!   with the `auto-heal-success` label.
//!
//! Every read is a conditional request, so watching an unchanged repository costs 304s.

pub mod stats;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::config::Policy;
use crate::engine::AuditLog;
use crate::forge::{CheckRun, Forge, ForgeError, Issue, PullRequest, RepoRef};
use crate::forge::{Conclusion, Status};
use crate::heal::marker::IssueMarker;

/// Where a heal stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HealState {
    /// No pull request yet.
    WaitingForPr,
    /// The PR has no check runs yet.
    NoChecks,
    /// The PR's workflow runs wait for a maintainer's approval ("Approve and run workflows").
    #[serde(rename = "action_required")]
    AwaitingApproval,
    ChecksPending,
    ChecksFailed,
    ChecksPassed,
    Merged,
    /// Merged and the workflow passed again: the issue is closed as healed.
    Healed,
    /// The PR was closed without merging.
    Abandoned,
    /// The tracking issue was closed by someone.
    Closed,
}

/// One check's line in a report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CheckState {
    pub name: String,
    pub status: Status,
    pub conclusion: Option<Conclusion>,
}

/// A tracking issue and its heal PR, as `status` reports them.
#[derive(Debug, Clone, Serialize)]
pub struct HealStatus {
    pub repo: String,
    pub issue_number: u64,
    pub issue_url: String,
    pub issue_state: String,
    pub run_id: u64,
    pub workflow: String,
    pub branch: String,
    pub category: Option<String>,
    pub issue_created_at: DateTime<Utc>,
    pub pr_number: Option<u64>,
    pub pr_url: Option<String>,
    pub pr_author: Option<String>,
    pub draft: Option<bool>,
    pub head_sha: Option<String>,
    pub changed_files: Option<u64>,
    pub over_file_limit: bool,
    pub review_decision: Option<String>,
    pub mergeable_state: Option<String>,
    pub merged_at: Option<DateTime<Utc>>,
    pub checks: Vec<CheckState>,
    /// Workflow runs of the PR waiting for approval.
    pub waiting_runs: Vec<u64>,
    pub state: HealState,
    /// Only a person merges (`security.require_code_review`).
    pub requires_review: bool,
}

impl HealStatus {
    /// Is there nothing left to follow?
    pub fn finished(&self) -> bool {
        matches!(
            self.state,
            HealState::Healed | HealState::Abandoned | HealState::Closed
        )
    }
}

/// The checks' verdict.
pub fn checks_state(checks: &[CheckRun]) -> HealState {
    if checks.is_empty() {
        return HealState::NoChecks;
    }
    if checks.iter().any(|c| c.status != Status::Completed) {
        return HealState::ChecksPending;
    }
    let ok = |c: &CheckRun| c.conclusion.as_ref().is_some_and(Conclusion::passes);
    if checks.iter().all(ok) {
        HealState::ChecksPassed
    } else {
        HealState::ChecksFailed
    }
}

/// What a follower remembers of one heal PR between polls.
#[derive(Debug, Clone, Default)]
pub struct PrMemory {
    pull: Option<PullRequest>,
    checks: Vec<CheckRun>,
    waiting_runs: Vec<u64>,
}

impl PrMemory {
    pub fn pull(&self) -> Option<&PullRequest> {
        self.pull.as_ref()
    }

    pub fn checks(&self) -> &[CheckRun] {
        &self.checks
    }

    /// The PR's workflow runs that wait for a maintainer's approval.
    pub fn waiting_runs(&self) -> &[u64] {
        &self.waiting_runs
    }
}

/// Checks that will not change again: all completed, all on the PR's head.
fn settled(checks: &[CheckRun], head_sha: &str) -> bool {
    !checks.is_empty()
        && checks
            .iter()
            .all(|c| c.status == Status::Completed && c.head_sha == head_sha)
}

/// One poll of a tracking issue's heal PR, as cheap as its state allows: found through the
/// issue once (or `known`), then asked for by number, a 304 while nothing changes; its checks
/// read again only when the PR changed or they still run, and the runs awaiting approval
/// only while it has none. Steady state: one conditional request. `false`: no PR yet.
pub async fn follow_pr(
    forge: &dyn Forge,
    repo: &RepoRef,
    issue: u64,
    known: Option<u64>,
    heal_branch: Option<&str>,
    memory: &mut PrMemory,
) -> Result<bool, ForgeError> {
    // A closed PR may have a successor: it is looked for again through the issue.
    let number = match &memory.pull {
        Some(p) if p.state == "open" => Some(p.number),
        Some(_) => None,
        None => known,
    };
    let pull = match number {
        Some(n) => forge.pull(repo, n).await?,
        None => match find_pr(forge, repo, issue, heal_branch).await? {
            Some(pull) => pull,
            None => return Ok(false),
        },
    };
    if memory.pull.as_ref() != Some(&pull) || !settled(&memory.checks, &pull.head.sha) {
        memory.checks = forge.check_runs(repo, &pull.head.sha).await?;
        // No checks may mean the PR's runs wait for a maintainer.
        memory.waiting_runs = if memory.checks.is_empty() {
            forge
                .runs_for_sha(repo, &pull.head.sha)
                .await?
                .into_iter()
                .filter(|r| r.conclusion == Some(Conclusion::ActionRequired))
                .map(|r| r.id)
                .collect()
        } else {
            Vec::new()
        };
    }
    memory.pull = Some(pull);
    Ok(true)
}

/// The heal PR of a tracking issue: a pull request that cross-references the issue (Copilot's,
/// whose body says "Fixes #N"), else one whose head is the heal branch.
pub async fn find_pr(
    forge: &dyn Forge,
    repo: &RepoRef,
    issue: u64,
    heal_branch: Option<&str>,
) -> Result<Option<PullRequest>, ForgeError> {
    let events = forge.timeline(repo, issue).await?;
    let mut candidates: Vec<u64> = events
        .iter()
        .filter(|e| e.event.as_deref() == Some("cross-referenced"))
        .filter_map(|e| {
            let source = e.source.as_ref()?.issue.as_ref()?;
            source.pull_request.as_ref()?;
            Some(source.number)
        })
        .collect();
    candidates.dedup();
    // The newest reference is the live one (an earlier PR may have been closed).
    for number in candidates.into_iter().rev() {
        let pull = forge.pull(repo, number).await?;
        let closes = pull.body.as_deref().is_some_and(|b| mentions_fix(b, issue));
        let by_copilot = pull
            .user
            .as_ref()
            .is_some_and(|u| u.login.to_ascii_lowercase().contains("copilot"));
        if closes || by_copilot {
            return Ok(Some(pull));
        }
    }
    if let Some(branch) = heal_branch {
        let mut pulls = forge.pulls_for_branch(repo, branch).await?;
        pulls.sort_by_key(|p| std::cmp::Reverse(p.created_at));
        if let Some(p) = pulls.into_iter().next() {
            return Ok(Some(forge.pull(repo, p.number).await?));
        }
    }
    Ok(None)
}

/// "Fixes #12", "closes #12", "resolves #12" (any case; not "#123").
fn mentions_fix(body: &str, issue: u64) -> bool {
    let lower = body.to_ascii_lowercase();
    [
        "fix", "fixes", "fixed", "close", "closes", "closed", "resolve", "resolves", "resolved",
    ]
    .iter()
    .any(|w| {
        let needle = format!("{w} #{issue}");
        lower.match_indices(&needle).any(|(at, _)| {
            !lower[at + needle.len()..]
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_digit())
        })
    })
}

/// The latest review state per reviewer, reduced to GitHub's review decision.
fn review_decision(reviews: &[crate::forge::Review]) -> Option<String> {
    let mut latest: Vec<(&str, &str)> = Vec::new();
    for r in reviews {
        let who = r.user.as_ref().map_or("", |u| u.login.as_str());
        if r.state == "COMMENTED" {
            continue;
        }
        latest.retain(|(w, _)| *w != who);
        latest.push((who, r.state.as_str()));
    }
    if latest.iter().any(|(_, s)| *s == "CHANGES_REQUESTED") {
        Some("CHANGES_REQUESTED".into())
    } else if latest.iter().any(|(_, s)| *s == "APPROVED") {
        Some("APPROVED".into())
    } else if reviews.is_empty() {
        None
    } else {
        Some("REVIEW_REQUIRED".into())
    }
}

/// The status of every tracking issue of a repository, from scratch.
pub async fn statuses(
    forge: &dyn Forge,
    repo: &RepoRef,
    policy: &Policy,
) -> Result<Vec<HealStatus>, ForgeError> {
    Watcher::default().statuses(forge, repo, policy).await
}

/// What a watcher remembers of a heal between polls.
#[derive(Debug, Clone, Default)]
struct Memory {
    pr: Option<u64>,
    pull: Option<PullRequest>,
    checks: Vec<CheckRun>,
    reviews: Vec<crate::forge::Review>,
}

/// Polls heals repeatedly, cheaply: once a heal's PR is known, a poll asks for the PR alone
/// (a 304 while nothing changes) and re-reads its checks and reviews only when the PR changed
/// or its checks are still running. Steady state: one request per repository (the tracking
/// issues) plus one per heal PR, all conditional.
#[derive(Debug, Default)]
pub struct Watcher {
    memory: std::collections::HashMap<(RepoRef, u64), Memory>,
}

impl Watcher {
    pub async fn statuses(
        &mut self,
        forge: &dyn Forge,
        repo: &RepoRef,
        policy: &Policy,
    ) -> Result<Vec<HealStatus>, ForgeError> {
        let issues = forge
            .issues_with_label(repo, &policy.labels.tracking, "all")
            .await?;
        let mut out = Vec::new();
        for issue in issues {
            let Some(marker) = IssueMarker::parse(issue.body.as_deref().unwrap_or("")) else {
                continue;
            };
            let memory = self.memory.entry((repo.clone(), issue.number)).or_default();
            out.push(status_of(forge, repo, policy, &issue, &marker, memory).await?);
        }
        Ok(out)
    }
}

async fn status_of(
    forge: &dyn Forge,
    repo: &RepoRef,
    policy: &Policy,
    issue: &Issue,
    marker: &IssueMarker,
    memory: &mut Memory,
) -> Result<HealStatus, ForgeError> {
    let category = issue
        .labels
        .iter()
        .find_map(|l| l.name().strip_prefix(&policy.labels.category_prefix))
        .map(String::from);
    let heal_branch = heal_branch_of(issue);
    let mut status = HealStatus {
        repo: repo.to_string(),
        issue_number: issue.number,
        issue_url: issue.html_url.clone(),
        issue_state: issue.state.clone(),
        run_id: marker.run_id,
        workflow: marker.workflow.clone(),
        branch: marker.branch.clone(),
        category,
        issue_created_at: issue.created_at,
        pr_number: None,
        pr_url: None,
        pr_author: None,
        draft: None,
        head_sha: None,
        changed_files: None,
        over_file_limit: false,
        review_decision: None,
        mergeable_state: None,
        merged_at: None,
        checks: Vec::new(),
        waiting_runs: Vec::new(),
        state: HealState::WaitingForPr,
        requires_review: policy.security.require_code_review,
    };
    let healed = issue.has_label(&policy.labels.success);
    let pr = match memory.pr {
        Some(number) => Some(forge.pull(repo, number).await?),
        None => find_pr(forge, repo, issue.number, heal_branch.as_deref()).await?,
    };
    if let Some(pull) = &pr {
        let changed = memory.pull.as_ref() != Some(pull);
        if changed || !settled(&memory.checks, &pull.head.sha) {
            memory.checks = forge.check_runs(repo, &pull.head.sha).await?;
        }
        if changed {
            memory.reviews = forge.reviews(repo, pull.number).await?;
        }
        memory.pr = Some(pull.number);
        memory.pull = Some(pull.clone());
        let checks = memory.checks.clone();
        let reviews = memory.reviews.clone();
        status.pr_number = Some(pull.number);
        status.pr_url = Some(pull.html_url.clone());
        status.pr_author = pull.user.as_ref().map(|u| u.login.clone());
        status.draft = pull.draft;
        status.head_sha = Some(pull.head.sha.clone());
        status.changed_files = pull.changed_files;
        status.over_file_limit = pull
            .changed_files
            .is_some_and(|n| n > u64::from(policy.security.max_file_changes));
        status.review_decision = review_decision(&reviews);
        status.mergeable_state = pull.mergeable_state.clone();
        status.merged_at = pull.merged_at;
        status.checks = checks
            .iter()
            .map(|c| CheckState {
                name: c.name.clone(),
                status: c.status.clone(),
                conclusion: c.conclusion.clone(),
            })
            .collect();
        status.state = if pull.merged_at.is_some() {
            HealState::Merged
        } else if pull.state == "closed" {
            HealState::Abandoned
        } else {
            checks_state(&checks)
        };
        // No checks may mean the PR's runs wait for a maintainer: say so, not "no checks".
        if status.state == HealState::NoChecks {
            let waiting: Vec<u64> = forge
                .runs_for_sha(repo, &pull.head.sha)
                .await?
                .into_iter()
                .filter(|r| r.conclusion == Some(Conclusion::ActionRequired))
                .map(|r| r.id)
                .collect();
            if !waiting.is_empty() {
                status.state = HealState::AwaitingApproval;
                status.waiting_runs = waiting;
            }
        }
    }
    if healed {
        status.state = HealState::Healed;
    } else if issue.state == "closed" && !matches!(status.state, HealState::Merged) {
        status.state = HealState::Closed;
    }
    Ok(status)
}

/// The heal branch named in the issue body's table.
fn heal_branch_of(issue: &Issue) -> Option<String> {
    let body = issue.body.as_deref()?;
    let line = body.lines().find(|l| l.starts_with("| Heal branch |"))?;
    let start = line.find('`')? + 1;
    let end = line[start..].find('`')? + start;
    Some(line[start..end].to_string())
}

/// What bookkeeping did.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Bookkeeping {
    pub actions: Vec<String>,
}

/// Keeps the books for one status, each note at most once per PR head sha (markers in the
/// issue's comments say what was already said). `mark_ready` also marks a passing draft
/// ready for review.
pub async fn bookkeep(
    forge: &dyn Forge,
    repo: &RepoRef,
    policy: &Policy,
    status: &HealStatus,
    mark_ready: bool,
    audit: &AuditLog,
) -> Result<Bookkeeping, ForgeError> {
    let mut done = Bookkeeping::default();
    if status.finished() || status.issue_state == "closed" {
        return Ok(done);
    }
    let (Some(pr), Some(sha)) = (status.pr_number, status.head_sha.as_deref()) else {
        return Ok(done);
    };
    let comments = forge.comments(repo, status.issue_number).await?;
    let comment = |marker: String, text: String| {
        let comments = &comments;
        async move {
            post_once(
                forge,
                repo,
                status.issue_number,
                comments,
                audit,
                &marker,
                &text,
            )
            .await
        }
    };

    if status.over_file_limit {
        let marker = format!("<!-- autoheal:file-limit pr={pr} sha={sha} -->");
        let text = format!(
            "Heal PR #{pr} changes {} files, more than `security.max_file_changes` ({}): it needs a \
             careful manual review.",
            status.changed_files.unwrap_or(0),
            policy.security.max_file_changes
        );
        if comment(marker, text).await? {
            forge
                .add_labels(repo, pr, std::slice::from_ref(&policy.labels.needs_review))
                .await?;
            audit.record(
                &repo.to_string(),
                "label",
                &format!("#{pr}"),
                &policy.labels.needs_review,
            );
            done.actions
                .push(format!("flagged PR #{pr} for manual review"));
        }
    }

    match status.state {
        HealState::ChecksFailed if policy.notifications.on_checks_failed => {
            let failing: Vec<String> = status
                .checks
                .iter()
                .filter(|c| !c.conclusion.as_ref().is_some_and(Conclusion::passes))
                .map(|c| {
                    format!(
                        "`{}` ({})",
                        c.name,
                        c.conclusion.as_ref().map_or("?", |v| v.as_str())
                    )
                })
                .collect();
            let marker = format!("<!-- autoheal:checks-failed pr={pr} sha={sha} -->");
            let text = format!(
                "The checks of heal PR #{pr} failed at `{}`: {}.",
                crate::text::humanize::short_sha(sha),
                failing.join(", ")
            );
            if comment(marker, text).await? {
                done.actions
                    .push(format!("reported failing checks of PR #{pr}"));
            }
        }
        HealState::ChecksPassed => {
            if policy.notifications.on_checks_passed {
                let marker = format!("<!-- autoheal:checks-passed pr={pr} sha={sha} -->");
                let review = if status.requires_review {
                    " It needs a review before it is merged."
                } else {
                    ""
                };
                let text = format!(
                    "The checks of heal PR #{pr} passed at `{}`.{review}",
                    crate::text::humanize::short_sha(sha)
                );
                if comment(marker, text).await? {
                    done.actions
                        .push(format!("reported passing checks of PR #{pr}"));
                }
            }
            if mark_ready && status.draft == Some(true) {
                let pull = forge.pull(repo, pr).await?;
                forge.mark_ready(&pull.node_id).await?;
                audit.record(
                    &repo.to_string(),
                    "mark_ready",
                    &format!("#{pr}"),
                    "ready for review",
                );
                done.actions
                    .push(format!("marked PR #{pr} ready for review"));
            }
        }
        HealState::Merged => {
            if let Some(merged_at) = status.merged_at {
                let runs = forge.branch_runs(repo, &status.branch, 30).await?;
                let green = runs.iter().any(|r| {
                    r.workflow_name() == status.workflow
                        && r.created_at > merged_at
                        && r.conclusion == Some(Conclusion::Success)
                });
                if green {
                    if policy.notifications.on_healed {
                        let marker = format!("<!-- autoheal:healed pr={pr} -->");
                        let text = format!(
                            "Healed: PR #{pr} was merged and `{}` passed again on `{}`.",
                            status.workflow, status.branch
                        );
                        comment(marker, text).await?;
                    }
                    forge
                        .add_labels(
                            repo,
                            status.issue_number,
                            std::slice::from_ref(&policy.labels.success),
                        )
                        .await?;
                    forge.close_issue(repo, status.issue_number).await?;
                    audit.record(
                        &repo.to_string(),
                        "close_issue",
                        &status.issue_url,
                        "healed",
                    );
                    done.actions
                        .push(format!("closed issue #{} as healed", status.issue_number));
                }
            }
        }
        _ => {}
    }
    Ok(done)
}

/// Posts `text` with `marker` on the issue unless a comment already carries the marker.
async fn post_once(
    forge: &dyn Forge,
    repo: &RepoRef,
    issue: u64,
    comments: &[crate::forge::Comment],
    audit: &AuditLog,
    marker: &str,
    text: &str,
) -> Result<bool, ForgeError> {
    if comments
        .iter()
        .any(|c| c.body.as_deref().is_some_and(|b| b.contains(marker)))
    {
        return Ok(false);
    }
    let c = forge
        .create_comment(repo, issue, &format!("{text}\n\n{marker}"))
        .await?;
    audit.record(&repo.to_string(), "comment", &c.html_url, "created");
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fix_mentions_are_found() {
        assert!(mentions_fix("Fixes #12\n\nDetails", 12));
        assert!(mentions_fix("this resolves #12.", 12));
        assert!(!mentions_fix("Fixes #123", 12));
        assert!(!mentions_fix("See #12", 12));
    }

    #[test]
    fn the_heal_branch_is_read_from_the_issue_table() {
        let body = "<!-- autoheal:run=1 -->\n| Heal branch | `auto-heal/ci-1` |\n";
        let issue: Issue = serde_json::from_value(serde_json::json!({
            "id": 1, "number": 1, "title": "t", "body": body, "state": "open",
            "html_url": "u", "created_at": "2025-01-01T00:00:00Z", "updated_at": "2025-01-01T00:00:00Z",
            "closed_at": null
        }))
        .unwrap();
        assert_eq!(heal_branch_of(&issue).as_deref(), Some("auto-heal/ci-1"));
    }
}
