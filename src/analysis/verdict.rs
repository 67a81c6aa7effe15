//! Is a failure safe to hand to an AI, does the policy allow it, and what should be done?
//!
//! Safe to hand to an AI: configuration errors, workflow syntax errors, missing dependencies,
//! timeouts, resource constraints, and build and test failures (the Auto-Healing design's list
//! and its worked examples). Not safe, left for a person: security findings, authentication
//! failures, credential issues. The
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
    /// The run may be handed to Copilot: its failure is of a safe kind and the policy allows
    /// it. `false` exactly when `blocked_reason` says why.
    pub safe_to_heal: bool,
    /// Why this run may not be healed (the policy forbids it, or the failure is not safe to
    /// hand to an AI); `None` when it may.
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

/// Why a failure of this category is not handed to an AI.
pub fn unsafe_category(category: &str) -> String {
    format!("{category} failures are not safe to hand to an AI")
}

/// Judges a run from the analyses of its failed jobs.
pub fn judge(jobs: &[&LogAnalysis], policy: &Policy, facts: &RunFacts<'_>) -> Verdict {
    let primary = jobs.iter().find(|j| j.primary.is_some()).or(jobs.first());
    let category = primary.map_or("unknown".to_string(), |j| j.category.clone());
    let failure_safe = jobs.iter().all(|j| j.safe_to_heal);
    let policy_blocked = policy_block(policy, facts);
    let blocked_reason = policy_blocked.clone();

    // Only matches on failing lines say what to do; a match elsewhere decides nothing.
    let in_failed_step = |j: &&LogAnalysis| {
        j.matches
            .iter()
            .filter(|m| m.in_failure_region)
            .map(|m| m.recommendation)
            .collect::<Vec<_>>()
    };
    let recommendations: Vec<Recommendation> = jobs.iter().flat_map(in_failed_step).collect();
    let unsafe_match = jobs
        .iter()
        .flat_map(|j| j.matches.iter())
        .find(|m| m.in_failure_region && m.recommendation == Recommendation::ManualReview);

    let (recommendation, recommendation_reason) = if let Some(reason) = &blocked_reason {
        (Recommendation::Blocked, reason.clone())
    } else if !failure_safe && let Some(m) = unsafe_match {
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
    } else if !failure_safe {
        (Recommendation::ManualReview, unsafe_category(&category))
    } else {
        let reason = match primary.and_then(|j| j.primary.as_ref()) {
            Some(m) => format!("{} failure: {}", m.category, m.suggestion),
            None => "no known failure pattern: Copilot gets the excerpt to investigate".into(),
        };
        (Recommendation::Heal, reason)
    };
    // One answer to "may this run be healed?", whatever the reason it may not.
    let blocked_reason = policy_blocked.or_else(|| {
        (!failure_safe).then(|| match unsafe_match {
            Some(m) => format!(
                "{} failure ({}, line {}): not safe to hand to an AI",
                m.category, m.pattern, m.line
            ),
            None if recommendation == Recommendation::Rerun => {
                format!("transient {category} failure: re-run it, there is nothing to fix")
            }
            None => unsafe_category(&category),
        })
    });
    Verdict {
        category,
        safe_to_heal: blocked_reason.is_none(),
        blocked_reason,
        recommendation,
        recommendation_reason,
    }
}

/// A verdict revised by the failure's history: a flaky failure (the same failure passed on a
/// re-run before, and no commit since the last green run touched what it names) is re-run
/// before anyone asks an AI. Blocked and unsafe runs stay as they are.
pub fn with_flakiness(
    mut verdict: Verdict,
    history: &str,
    policy: &Policy,
    facts: &RunFacts<'_>,
) -> Verdict {
    if verdict.recommendation != Recommendation::Heal || !verdict.safe_to_heal {
        return verdict;
    }
    let max = policy.rerun.max_attempts;
    verdict.recommendation_reason = if !policy.rerun.enabled {
        format!("flaky ({history}), but reruns are disabled (rerun.enabled: false)")
    } else if facts.run_attempt >= max {
        format!(
            "flaky ({history}), but already at attempt {} of {max}",
            facts.run_attempt
        )
    } else {
        verdict.recommendation = Recommendation::Rerun;
        format!(
            "flaky: {history}, and no commit since the last green run touched what the log \
             names: re-run the failed jobs (attempt {} of {max})",
            facts.run_attempt
        )
    };
    verdict
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::{Analyzer, JobContext};

    fn facts(branch: &str, from_fork: bool) -> RunFacts<'_> {
        RunFacts {
            workflow_name: "CI",
            workflow_path: ".github/workflows/ci.yml",
            branch,
            from_fork,
            head_repository: from_fork.then_some("mallory/shop"),
            run_attempt: 1,
        }
    }

    fn analysis(log: &str) -> LogAnalysis {
        Analyzer::new(&[])
            .unwrap()
            .analyze_bytes(log.as_bytes(), &JobContext::default())
    }

    const TEST_FAILURE: &str = "--- FAIL: TestTotal (0.00s)\n    cart_test.go:12: got 3, want 4\nFAIL\n##[error]Process completed with exit code 1.\n";

    #[test]
    fn safe_to_heal_is_false_exactly_when_a_reason_is_given() {
        let policy = Policy::default();
        let a = analysis(TEST_FAILURE);
        let healable = judge(&[&a], &policy, &facts("main", false));
        assert!(healable.safe_to_heal);
        assert_eq!(healable.blocked_reason, None);

        let fork = judge(&[&a], &policy, &facts("main", true));
        assert!(!fork.safe_to_heal);
        assert!(fork.blocked_reason.unwrap().contains("fork"));
        assert_eq!(fork.recommendation, Recommendation::Blocked);

        let untrusted = judge(&[&a], &policy, &facts("feature/x", false));
        assert!(!untrusted.safe_to_heal);
        assert!(
            untrusted
                .blocked_reason
                .unwrap()
                .contains("trusted_branches")
        );

        let disabled = Policy {
            enabled: false,
            ..Policy::default()
        };
        let off = judge(&[&a], &disabled, &facts("main", false));
        assert!(!off.safe_to_heal && off.blocked_reason.is_some());

        let auth = analysis(
            "Error: Credentials could not be loaded, please check your action inputs: Could not load credentials from any providers\n##[error]Process completed with exit code 1.\n",
        );
        let v = judge(&[&auth], &policy, &facts("main", false));
        assert!(!v.safe_to_heal);
        assert!(
            v.blocked_reason
                .unwrap()
                .contains("not safe to hand to an AI")
        );
        assert_eq!(v.recommendation, Recommendation::ManualReview);
    }
}
