//! Carrying out a heal plan on GitHub, exactly once.
//!
//! Before each write, look for what already exists (the marker among tracking issues, the
//! branch, the Copilot comment), so repeating a heal creates nothing new and a heal interrupted
//! half-way resumes where it stopped. A write whose outcome is unknown (a 5xx, a dropped
//! connection) is never retried blindly: what exists is checked first. An open tracking issue
//! for the same workflow and branch, or the same failure fingerprint, gets a "failed again"
//! comment instead of a second issue: that is what stops heal loops.

use chrono::{DateTime, TimeDelta, Utc};
use serde::Serialize;

use super::marker::{IssueMarker, copilot_comment_marker, failed_again_marker};
use super::plan::HealPlan;
use crate::config::{CopilotMode, Policy};
use crate::engine::AuditLog;
use crate::forge::{Forge, ForgeError, Issue, NewAgentTask};

/// Which of the three heal actions to take (the console has a key for each).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Steps {
    pub issue: bool,
    pub branch: bool,
    /// Needs the issue: the request is a comment on it.
    pub copilot: bool,
}

impl Steps {
    pub const ALL: Steps = Steps {
        issue: true,
        branch: true,
        copilot: true,
    };
    pub const ISSUE: Steps = Steps {
        issue: true,
        branch: false,
        copilot: false,
    };
    pub const BRANCH: Steps = Steps {
        issue: false,
        branch: true,
        copilot: false,
    };
    pub const COPILOT: Steps = Steps {
        issue: true,
        branch: false,
        copilot: true,
    };
}

/// What a heal did, and what it found already done.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HealOutcome {
    /// The tracking issue; `None` when only the branch was asked for and no issue exists yet.
    pub issue_number: Option<u64>,
    pub issue_url: Option<String>,
    /// `None` when the run joined an existing issue as "failed again".
    pub branch: Option<String>,
    pub copilot: Option<CopilotOutcome>,
    /// What this call created, e.g. `issue #12`, `branch auto-heal/ci-1`.
    pub created: Vec<String>,
    /// What already existed.
    pub existing: Vec<String>,
    /// Set when this run was added to another run's open tracking issue.
    pub failed_again_of: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CopilotOutcome {
    /// The mode the policy asked for.
    pub mode: CopilotMode,
    /// The mode that took effect (a refused `assign` or `task` falls back to `comment`).
    pub effective: CopilotMode,
    pub comment_url: Option<String>,
    pub assigned_to: Option<String>,
    pub task_id: Option<String>,
    /// Why a mode fell back, in words for the user.
    pub note: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum HealError {
    /// The policy, the verdict or the daily limit says no.
    #[error("refused: {0}")]
    Refused(String),
    #[error(transparent)]
    Forge(#[from] ForgeError),
}

/// Runs plans against a forge, recording each write in the audit log.
pub struct Executor<'a> {
    pub forge: &'a dyn Forge,
    pub policy: &'a Policy,
    pub audit: &'a AuditLog,
    pub now: DateTime<Utc>,
}

impl Executor<'_> {
    /// Executes `plan`. `force` overrides the policy's and the verdict's refusals (not the
    /// daily limit: that one exists to stop loops).
    pub async fn execute(&self, plan: &HealPlan, force: bool) -> Result<HealOutcome, HealError> {
        self.execute_steps(plan, force, Steps::ALL).await
    }

    /// Executes some of the plan's actions (the console's `i`, `b`, `c` keys).
    pub async fn execute_steps(
        &self,
        plan: &HealPlan,
        force: bool,
        steps: Steps,
    ) -> Result<HealOutcome, HealError> {
        if let Some(reason) = &plan.refusal
            && !force
        {
            return Err(HealError::Refused(format!(
                "{reason} (use --force to override)"
            )));
        }
        let tracked = self.tracking_issues(plan).await?;
        let own = first_of_run(&tracked, plan.run_id);

        let mut outcome = HealOutcome {
            issue_number: None,
            issue_url: None,
            branch: None,
            copilot: None,
            created: Vec::new(),
            existing: Vec::new(),
            failed_again_of: None,
        };

        let issue = match own {
            Some((issue, _)) => {
                outcome.existing.push(format!("issue #{}", issue.number));
                Some(issue.clone())
            }
            None if !steps.issue => None,
            None => {
                // The same failure already tracked and still open: say it failed again.
                let sibling = tracked.iter().find(|(i, m)| {
                    i.state == "open"
                        && ((m.workflow == plan.marker.workflow && m.branch == plan.marker.branch)
                            || m.fingerprint == plan.marker.fingerprint)
                });
                if let Some((issue, marker)) = sibling {
                    return self.failed_again(plan, issue, marker.run_id, outcome).await;
                }
                self.check_daily_limit(&tracked)?;
                let issue = self.create_issue(plan).await?;
                outcome.created.push(format!("issue #{}", issue.number));
                // Another healer may have opened one for this run in the same moment: both
                // looked before either wrote. The lowest number wins; the other closes its own
                // as a duplicate and stops (no branch, no second Copilot request).
                if let Some(winner) = self.earlier_twin(plan, &issue).await? {
                    self.close_as_duplicate(plan, &issue, &winner).await?;
                    outcome.created.push(format!(
                        "nothing else: issue #{} closed as a duplicate of #{}",
                        issue.number, winner.number
                    ));
                    outcome.existing.push(format!("issue #{}", winner.number));
                    outcome.issue_number = Some(winner.number);
                    outcome.issue_url = Some(winner.html_url.clone());
                    return Ok(outcome);
                }
                Some(issue)
            }
        };
        if let Some(issue) = &issue {
            outcome.issue_number = Some(issue.number);
            outcome.issue_url = Some(issue.html_url.clone());
        }

        // The branch, at the failed run's commit.
        if steps.branch {
            self.ensure_branch(plan, &mut outcome).await?;
        }
        if steps.copilot
            && let (Some(copilot), Some(issue)) = (&plan.copilot, &issue)
        {
            outcome.copilot = Some(
                self.request_copilot(plan, copilot, issue, &mut outcome)
                    .await?,
            );
        }
        Ok(outcome)
    }

    async fn ensure_branch(
        &self,
        plan: &HealPlan,
        outcome: &mut HealOutcome,
    ) -> Result<(), HealError> {
        let repo = &plan.repo;
        match self.forge.branch_ref(repo, &plan.heal_branch).await? {
            Some(_) => outcome
                .existing
                .push(format!("branch {}", plan.heal_branch)),
            None => match self
                .forge
                .create_branch(repo, &plan.heal_branch, &plan.head_sha)
                .await
            {
                Ok(_) => {
                    self.audit(plan, "create_branch", &plan.heal_branch, "created");
                    outcome.created.push(format!("branch {}", plan.heal_branch));
                }
                Err(e) if e.status() == Some(422) || e.maybe_applied() => {
                    // Created meanwhile (or by our own lost attempt): an existing branch is fine.
                    if self
                        .forge
                        .branch_ref(repo, &plan.heal_branch)
                        .await?
                        .is_some()
                    {
                        outcome
                            .existing
                            .push(format!("branch {}", plan.heal_branch));
                    } else if e.maybe_applied() {
                        // Certainly not applied: now it is safe to send it again, once.
                        self.forge
                            .create_branch(repo, &plan.heal_branch, &plan.head_sha)
                            .await?;
                        self.audit(
                            plan,
                            "create_branch",
                            &plan.heal_branch,
                            "created on second attempt",
                        );
                        outcome.created.push(format!("branch {}", plan.heal_branch));
                    } else {
                        return Err(e.into());
                    }
                }
                Err(e) => return Err(e.into()),
            },
        }
        outcome.branch = Some(plan.heal_branch.clone());
        Ok(())
    }

    /// A tracking issue of the same run with a lower number than `ours`, not closed as a
    /// duplicate: the one that won a race with ours.
    async fn earlier_twin(
        &self,
        plan: &HealPlan,
        ours: &Issue,
    ) -> Result<Option<Issue>, HealError> {
        let tracked = self.tracking_issues(plan).await?;
        Ok(first_of_run(&tracked, plan.run_id)
            .map(|(issue, _)| issue.clone())
            .filter(|first| first.number < ours.number))
    }

    /// Closes `ours` as a duplicate of `winner`, saying so in one line.
    async fn close_as_duplicate(
        &self,
        plan: &HealPlan,
        ours: &Issue,
        winner: &Issue,
    ) -> Result<(), HealError> {
        let body = format!(
            "Duplicate of #{}: another healer opened it for run {} at the same moment.",
            winner.number, plan.run_id
        );
        self.forge
            .create_comment(&plan.repo, ours.number, &body)
            .await?;
        self.forge.close_duplicate(&plan.repo, ours.number).await?;
        self.audit(
            plan,
            "close_duplicate_issue",
            &ours.html_url,
            &format!("duplicate of #{}", winner.number),
        );
        Ok(())
    }

    /// Tracking issues (any state) with their markers.
    async fn tracking_issues(
        &self,
        plan: &HealPlan,
    ) -> Result<Vec<(Issue, IssueMarker)>, ForgeError> {
        let issues = self
            .forge
            .issues_with_label(&plan.repo, &self.policy.labels.tracking, "all")
            .await?;
        Ok(issues
            .into_iter()
            .filter_map(|i| {
                let m = IssueMarker::parse(i.body.as_deref().unwrap_or(""))?;
                Some((i, m))
            })
            .collect())
    }

    /// `max_heal_attempts_per_day`, counted on GitHub so every client shares one budget.
    fn check_daily_limit(&self, tracked: &[(Issue, IssueMarker)]) -> Result<(), HealError> {
        let since = self.now - TimeDelta::hours(24);
        // An issue closed as a duplicate of a racing healer's is the same heal, not another.
        let today = tracked
            .iter()
            .filter(|(i, _)| i.created_at > since && i.state_reason.as_deref() != Some("duplicate"))
            .count();
        let max = self.policy.max_heal_attempts_per_day as usize;
        if today >= max {
            return Err(HealError::Refused(format!(
                "daily limit reached: {today} tracking issue(s) opened in the last 24 hours \
                 (max_heal_attempts_per_day: {max})"
            )));
        }
        Ok(())
    }

    async fn create_issue(&self, plan: &HealPlan) -> Result<Issue, HealError> {
        match self.forge.create_issue(&plan.repo, &plan.issue).await {
            Ok(issue) => {
                self.audit(plan, "create_issue", &issue.html_url, "created");
                Ok(issue)
            }
            Err(e) if e.maybe_applied() => {
                // The answer was lost: look for the marker before trying again.
                let again = self.tracking_issues(plan).await?;
                // The run's first issue: ours, or another healer's that won the race anyway.
                if let Some((issue, _)) = first_of_run(&again, plan.run_id).cloned() {
                    self.audit(
                        plan,
                        "create_issue",
                        &issue.html_url,
                        "created (answer lost, found by marker)",
                    );
                    return Ok(issue);
                }
                let issue = self.forge.create_issue(&plan.repo, &plan.issue).await?;
                self.audit(
                    plan,
                    "create_issue",
                    &issue.html_url,
                    "created on second attempt",
                );
                Ok(issue)
            }
            Err(e) => Err(e.into()),
        }
    }

    async fn failed_again(
        &self,
        plan: &HealPlan,
        issue: &Issue,
        original_run: u64,
        mut outcome: HealOutcome,
    ) -> Result<HealOutcome, HealError> {
        let marker = failed_again_marker(plan.run_id);
        let comments = self.forge.comments(&plan.repo, issue.number).await?;
        if comments
            .iter()
            .any(|c| c.body.as_deref().is_some_and(|b| b.contains(&marker)))
        {
            outcome
                .existing
                .push(format!("comment \"failed again: run {}\"", plan.run_id));
        } else {
            let body = format!(
                "Failed again: run {} ([{}]({})) on `{}` at `{}`, the same failure as run {original_run} \
                 (fingerprint `{}`).\n\n{marker}",
                plan.run_id,
                plan.run_id,
                plan.run_url,
                plan.run_branch,
                plan.head_sha.get(..7).unwrap_or(&plan.head_sha),
                plan.fingerprint,
            );
            let posted = self
                .post_comment_once(plan, issue.number, &body, &marker)
                .await?;
            let what = format!("comment \"failed again: run {}\"", plan.run_id);
            if posted.ours {
                self.audit(plan, "comment_failed_again", &posted.url, "created");
                outcome.created.push(what);
            } else {
                outcome.existing.push(what);
            }
        }
        outcome.issue_number = Some(issue.number);
        outcome.issue_url = Some(issue.html_url.clone());
        outcome.failed_again_of = Some(original_run);
        Ok(outcome)
    }

    /// Posts a comment unless one with `marker` exists; an ambiguous failure is checked
    /// before any second attempt. Returns the comment's URL.
    async fn post_comment_once(
        &self,
        plan: &HealPlan,
        issue: u64,
        body: &str,
        marker: &str,
    ) -> Result<Posted, HealError> {
        let posted = match self.forge.create_comment(&plan.repo, issue, body).await {
            Ok(c) => c,
            Err(e) if e.maybe_applied() => {
                let comments = self.forge.comments(&plan.repo, issue).await?;
                if let Some(c) = comments
                    .iter()
                    .find(|c| c.body.as_deref().is_some_and(|b| b.contains(marker)))
                {
                    return Ok(Posted {
                        url: c.html_url.clone(),
                        ours: true,
                    });
                }
                self.forge.create_comment(&plan.repo, issue, body).await?
            }
            Err(e) => return Err(e.into()),
        };
        // Another healer may have posted the same comment in the same moment (both looked
        // before either wrote): the earliest stays, a later one of ours goes.
        let comments = self.forge.comments(&plan.repo, issue).await?;
        let first = comments
            .iter()
            .filter(|c| c.body.as_deref().is_some_and(|b| b.contains(marker)))
            .min_by_key(|c| c.id);
        match first {
            Some(first) if first.id < posted.id => {
                self.forge.delete_comment(&plan.repo, posted.id).await?;
                Ok(Posted {
                    url: first.html_url.clone(),
                    ours: false,
                })
            }
            _ => Ok(Posted {
                url: posted.html_url,
                ours: true,
            }),
        }
    }

    async fn request_copilot(
        &self,
        plan: &HealPlan,
        copilot: &super::plan::CopilotPlan,
        issue: &Issue,
        outcome: &mut HealOutcome,
    ) -> Result<CopilotOutcome, HealError> {
        let repo = &plan.repo;
        let mut result = CopilotOutcome {
            mode: copilot.mode,
            effective: copilot.mode,
            comment_url: None,
            assigned_to: None,
            task_id: None,
            note: None,
        };
        // The issue exists now: its number goes where the prompt (and the pull request
        // template inside it) says `{issue_number}`.
        let prompt = super::prompt::with_issue_number(&plan.prompt, issue.number);
        let comment = super::prompt::with_issue_number(&copilot.comment, issue.number);
        // In every mode, first the comment holding exactly the approved prompt.
        let marker = copilot_comment_marker(plan.run_id);
        let comments = self.forge.comments(repo, issue.number).await?;
        let earlier = comments
            .iter()
            .find(|c| c.body.as_deref().is_some_and(|b| b.contains(&marker)));
        let already_requested = earlier.is_some();
        match earlier {
            Some(c) => {
                outcome.existing.push("Copilot comment".into());
                result.comment_url = Some(c.html_url.clone());
            }
            None => {
                let posted = self
                    .post_comment_once(plan, issue.number, &comment, &marker)
                    .await?;
                if posted.ours {
                    self.audit(plan, "comment_copilot_request", &posted.url, "created");
                    outcome.created.push("Copilot comment".into());
                } else {
                    // Another healer asked first: its request (comment, assignment or task)
                    // is the one.
                    outcome.existing.push("Copilot request".into());
                    result.comment_url = Some(posted.url);
                    return Ok(result);
                }
                result.comment_url = Some(posted.url);
            }
        }

        match copilot.mode {
            CopilotMode::Comment => {}
            CopilotMode::Assign => {
                let assigned = issue.assignees.iter().flatten().any(|a| {
                    a.login.eq_ignore_ascii_case(&copilot.agent_login) || a.login == "Copilot"
                });
                if assigned {
                    outcome
                        .existing
                        .push(format!("assignment to {}", copilot.agent_login));
                    result.assigned_to = Some(copilot.agent_login.clone());
                } else {
                    match self
                        .forge
                        .assign_agent(
                            repo,
                            issue.number,
                            &copilot.agent_login,
                            &copilot.base_ref,
                            &prompt,
                        )
                        .await
                    {
                        Ok(updated) => {
                            let took = updated.assignees.iter().flatten().any(|a| {
                                a.login.eq_ignore_ascii_case(&copilot.agent_login)
                                    || a.login == "Copilot"
                            });
                            if took {
                                self.audit(
                                    plan,
                                    "assign_copilot",
                                    &copilot.agent_login,
                                    "assigned",
                                );
                                outcome
                                    .created
                                    .push(format!("assignment to {}", copilot.agent_login));
                                result.assigned_to = Some(copilot.agent_login.clone());
                            } else {
                                // GitHub silently drops assignees it does not know.
                                self.audit(
                                    plan,
                                    "assign_copilot",
                                    &copilot.agent_login,
                                    "not assignable",
                                );
                                result.effective = CopilotMode::Comment;
                                result.note = Some(format!(
                                    "{} could not be assigned (is the Copilot coding agent enabled for {repo}?); \
                                     the request stays as the issue comment",
                                    copilot.agent_login
                                ));
                            }
                        }
                        Err(e) if e.maybe_applied() => {
                            // The answer was lost: look before assigning again.
                            let now = self.forge.issue(repo, issue.number).await?;
                            let assigned = now.assignees.iter().flatten().any(|a| {
                                a.login.eq_ignore_ascii_case(&copilot.agent_login)
                                    || a.login == "Copilot"
                            });
                            if !assigned {
                                self.forge
                                    .assign_agent(
                                        repo,
                                        issue.number,
                                        &copilot.agent_login,
                                        &copilot.base_ref,
                                        &prompt,
                                    )
                                    .await?;
                            }
                            self.audit(
                                plan,
                                "assign_copilot",
                                &copilot.agent_login,
                                "assigned (answer lost)",
                            );
                            outcome
                                .created
                                .push(format!("assignment to {}", copilot.agent_login));
                            result.assigned_to = Some(copilot.agent_login.clone());
                        }
                        Err(e) => {
                            self.audit(
                                plan,
                                "assign_copilot",
                                &copilot.agent_login,
                                &format!("refused: {e}"),
                            );
                            result.effective = CopilotMode::Comment;
                            result.note = Some(format!(
                                "GitHub refused to assign {}: {e}. The request stays as the issue comment",
                                copilot.agent_login
                            ));
                        }
                    }
                }
            }
            CopilotMode::Task => {
                if already_requested {
                    // The task, if one was started, belongs to that earlier request.
                    outcome.existing.push("Copilot request".into());
                } else {
                    let task = NewAgentTask {
                        prompt: format!(
                            "{}\n\nTracking issue: {repo}#{}",
                            prompt.trim_end(),
                            issue.number
                        ),
                        base_ref: copilot.base_ref.clone(),
                        model: Some(copilot.model.clone()).filter(|m| !m.is_empty()),
                        create_pull_request: true,
                    };
                    match self.forge.create_agent_task(repo, &task).await {
                        Ok(t) => {
                            self.audit(plan, "create_agent_task", &t.id, "created");
                            outcome.created.push(format!("agent task {}", t.id));
                            result.task_id = Some(t.id);
                        }
                        Err(e) if !e.maybe_applied() => {
                            self.audit(
                                plan,
                                "create_agent_task",
                                &repo.to_string(),
                                &format!("refused: {e}"),
                            );
                            result.effective = CopilotMode::Comment;
                            result.note = Some(format!(
                                "the agent-task API refused the request ({e}); it takes user tokens only \
                                 (not an Actions installation token). The request stays as the issue comment"
                            ));
                        }
                        Err(e) => return Err(e.into()),
                    }
                }
            }
        }
        Ok(result)
    }

    fn audit(&self, plan: &HealPlan, action: &str, target: &str, result: &str) {
        self.audit
            .record(&plan.repo.to_string(), action, target, result);
    }
}

/// A comment posted once: where it is, and whether it is ours (or another healer's, posted
/// first in a race).
struct Posted {
    url: String,
    ours: bool,
}

/// The tracking issue of `run_id`: the lowest-numbered one not closed as a duplicate (two
/// healers racing may have opened two; the later one is closed as a duplicate).
fn first_of_run(tracked: &[(Issue, IssueMarker)], run_id: u64) -> Option<&(Issue, IssueMarker)> {
    tracked
        .iter()
        .filter(|(i, m)| m.run_id == run_id && i.state_reason.as_deref() != Some("duplicate"))
        .min_by_key(|(i, _)| i.number)
}
