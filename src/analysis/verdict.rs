//! Is a failure safe to hand to an AI, does the policy allow it, and what should be done?
//!
//! Safe, per the design: configuration errors, workflow syntax errors, missing dependencies,
//! timeouts, resource constraints (and, by the design's own examples, build and test
//! failures). Not safe: security findings, authentication failures, credential issues. The
//! policy blocks too: `enabled: false`, excluded or unmonitored workflows, branches outside
//! `security.trusted_branches`, and runs from forks.

use serde::Serialize;

use super::LogAnalysis;
use super::catalog::Recommendation;
use crate::config::{NameMatcher, Policy, WorkflowFilter};

/// What is known about a run besides its logs.
#[derive(Debug, Clone)]
pub struct RunFacts<'a> {
    pub workflow_name: &'a str,
    pub workflow_path: &'a str,
    pub branch: &'a str,
    pub from_fork: bool,
    pub head_repository: Option<&'a str>,
    pub run_attempt: u32,
}

/// The judgement on one failed run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Verdict {
    pub category: String,
    pub safe_to_heal: bool,
    /// Why the policy forbids healing this run; `None` when it allows it.
    pub blocked_reason: Option<String>,
    pub recommendation: Recommendation,
    pub recommendation_reason: String,
}

/// Why the policy refuses this run, if it does.
pub fn policy_block(policy: &Policy, facts: &RunFacts<'_>) -> Option<String> {
    if !policy.enabled {
        return Some("auto-heal is disabled for this repository (enabled: false)".into());
    }
    if let Ok(filter) = WorkflowFilter::new(policy) {
        if filter.is_excluded(facts.workflow_name, facts.workflow_path) {
            return Some(format!(
                "workflow \"{}\" is excluded by excluded_workflows",
                facts.workflow_name
            ));
        }
        if !filter.accepts(facts.workflow_name, facts.workflow_path) {
            return Some(format!(
                "workflow \"{}\" is not in monitored_workflows",
                facts.workflow_name
            ));
        }
    }
    if facts.from_fork && !policy.security.allow_forks {
        return Some(format!(
            "the run comes from a fork ({}): its code and log are untrusted",
            facts.head_repository.unwrap_or("another repository")
        ));
    }
    let trusted = NameMatcher::new(&policy.security.trusted_branches).ok();
    if !trusted.is_some_and(|t| t.is_match(facts.branch)) {
        return Some(format!(
            "branch \"{}\" is not in security.trusted_branches ({})",
            facts.branch,
            policy.security.trusted_branches.join(", ")
        ));
    }
    None
}

/// Judges a run from the analyses of its failed jobs.
pub fn judge(jobs: &[&LogAnalysis], policy: &Policy, facts: &RunFacts<'_>) -> Verdict {
    let primary = jobs.iter().find(|j| j.primary.is_some()).or(jobs.first());
    let category = primary.map_or("unknown".to_string(), |j| j.category.clone());
    let safe_to_heal = jobs.iter().all(|j| j.safe_to_heal);
    let blocked_reason = policy_block(policy, facts);

    let in_failed_step = |j: &&LogAnalysis| {
        j.matches
            .iter()
            .filter(|m| j.failed_step.is_none() || m.step == j.failed_step)
            .map(|m| m.recommendation)
            .collect::<Vec<_>>()
    };
    let recommendations: Vec<Recommendation> = jobs.iter().flat_map(in_failed_step).collect();
    let unsafe_match = jobs
        .iter()
        .flat_map(|j| j.matches.iter())
        .find(|m| m.recommendation == Recommendation::ManualReview);

    let (recommendation, recommendation_reason) = if let Some(reason) = &blocked_reason {
        (Recommendation::Blocked, reason.clone())
    } else if !safe_to_heal && let Some(m) = unsafe_match {
        (
            Recommendation::ManualReview,
            format!(
                "{} failure ({}, line {}): not safe to hand to an AI",
                m.category, m.pattern, m.line
            ),
        )
    } else if !recommendations.is_empty()
        && recommendations.iter().all(|r| *r == Recommendation::Rerun)
    {
        let max = policy.rerun.max_attempts;
        let reason = if !policy.rerun.enabled {
            "transient failure, but reruns are disabled (rerun.enabled: false)".to_string()
        } else if facts.run_attempt >= max {
            format!(
                "transient failure, already at attempt {} of {max}",
                facts.run_attempt
            )
        } else {
            format!(
                "transient failure ({category}): re-run the failed jobs first (attempt {} of {max})",
                facts.run_attempt
            )
        };
        if policy.rerun.enabled && facts.run_attempt < max {
            (Recommendation::Rerun, reason)
        } else {
            (Recommendation::Heal, reason)
        }
    } else if !safe_to_heal {
        (
            Recommendation::ManualReview,
            format!("{category} failures are not safe to hand to an AI"),
        )
    } else {
        let reason = match primary.and_then(|j| j.primary.as_ref()) {
            Some(m) => format!("{} failure: {}", m.category, m.suggestion),
            None => "no known failure pattern: Copilot gets the excerpt to investigate".into(),
        };
        (Recommendation::Heal, reason)
    };
    Verdict {
        category,
        safe_to_heal,
        blocked_reason,
        recommendation,
        recommendation_reason,
    }
}
