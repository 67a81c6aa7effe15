//! The repository's policy: a typed model of `.github/auto-heal-config.yml`.
//!
//! The keys come from the Auto-Healing System design autoheal implements (`AUTO_HEAL.md`), each
//! with that design's example as its default: every workflow monitored but the healer's own,
//! at most 3 heals a day, Copilot on (`gpt-4`, temperature 0.2, `README.md` and
//! `requirements.txt` as context), the `timeout` and `no space left on device` patterns,
//! `main` and `develop` trusted, code review required, at most 20 changed files. So a
//! repository without the file behaves exactly like one that copied the example (which is what
//! `autoheal init` writes). Keys the design describes without spelling them (notifications,
//! branch naming, the PR template, labels) are ours; the README's configuration reference
//! documents every key.
//!
//! This module only describes the data; reading and validating a file is `config::load`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The whole `.github/auto-heal-config.yml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct Policy {
    /// Master switch: `false` refuses every heal with a reason.
    pub enabled: bool,
    /// Workflows to watch, as globs over the workflow's name or file name; `"*"` is all.
    pub monitored_workflows: Vec<String>,
    /// Workflows never to heal, same globs; wins over `monitored_workflows`.
    pub excluded_workflows: Vec<String>,
    /// Tracking issues created in the last 24 hours, counted on GitHub, beyond which heals stop.
    pub max_heal_attempts_per_day: u32,
    pub copilot: CopilotPolicy,
    /// The repository's own failure patterns; checked before the built-in catalog.
    pub failure_patterns: Vec<FailurePattern>,
    pub security: SecurityPolicy,
    pub notifications: NotificationPolicy,
    pub branches: BranchPolicy,
    pub pull_requests: PullRequestPolicy,
    pub labels: LabelPolicy,
    pub rerun: RerunPolicy,
    pub cleanup: CleanupPolicy,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            enabled: true,
            monitored_workflows: vec!["*".into()],
            excluded_workflows: vec!["Auto-Heal Workflow Failures".into()],
            max_heal_attempts_per_day: 3,
            copilot: CopilotPolicy::default(),
            failure_patterns: vec![
                FailurePattern::new("no space left on device", "Add disk cleanup step"),
                FailurePattern::new("timeout", "Increase timeout value"),
            ],
            security: SecurityPolicy::default(),
            notifications: NotificationPolicy::default(),
            branches: BranchPolicy::default(),
            pull_requests: PullRequestPolicy::default(),
            labels: LabelPolicy::default(),
            rerun: RerunPolicy::default(),
            cleanup: CleanupPolicy::default(),
        }
    }
}

/// How Copilot is asked to fix a failure. The design asked Copilot Workspace with an issue
/// comment starting `@github-copilot workspace`; that still works (`mode: comment`), and
/// today's coding agent is `assign` or `task` (see the README).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct CopilotPolicy {
    /// `false` skips the Copilot request (the issue and the branch are still made).
    pub enabled: bool,
    /// Sent as `model` to the agent-task API; a stated preference in the prompt otherwise.
    pub model: String,
    /// No GitHub API takes a temperature: recorded in the prompt and `healing_context.json`.
    pub temperature: f64,
    /// Repository files whose content is added to the prompt (fetched, truncated).
    pub include_context: Vec<String>,
    pub mode: CopilotMode,
    /// First line of the Copilot comment on the tracking issue.
    pub trigger: String,
    /// Login the issue is assigned to in `assign` mode.
    pub agent_login: String,
    /// Path in the repository of a prompt template that replaces the built-in one.
    pub prompt_template: Option<String>,
    /// Bytes of each `include_context` file kept in the prompt.
    pub max_context_bytes: usize,
}

impl Default for CopilotPolicy {
    fn default() -> Self {
        CopilotPolicy {
            enabled: true,
            model: "gpt-4".into(),
            temperature: 0.2,
            include_context: vec!["README.md".into(), "requirements.txt".into()],
            mode: CopilotMode::Assign,
            trigger: "@github-copilot workspace".into(),
            agent_login: "copilot-swe-agent[bot]".into(),
            prompt_template: None,
            max_context_bytes: 8 * 1024,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CopilotMode {
    /// A comment that starts with the trigger line (`@github-copilot workspace` by default),
    /// as Copilot Workspace was asked.
    Comment,
    /// The comment, then the issue is assigned to the Copilot coding agent.
    Assign,
    /// The comment, then an agent task (`POST /agents/repos/{owner}/{repo}/tasks`).
    Task,
}

/// One entry of `failure_patterns`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct FailurePattern {
    /// Case-insensitive regular expression (the `regex` crate's linear-time syntax); plain
    /// text works as-is.
    pub pattern: String,
    /// What to do about it: shown with the match and put in the Copilot prompt.
    pub suggestion: String,
    /// Category of the built-in catalog (e.g. `dependency`). When absent, the built-in pattern
    /// on the same line lends its own; else the analysis names it from the failing lines.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// `heal`, `rerun` or `manual_review`; taken from the category when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recommendation: Option<String>,
}

impl FailurePattern {
    pub fn new(pattern: &str, suggestion: &str) -> Self {
        FailurePattern {
            pattern: pattern.into(),
            suggestion: suggestion.into(),
            category: None,
            recommendation: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct SecurityPolicy {
    /// Branches (globs) whose failures may be healed; others are refused with a reason.
    pub trusted_branches: Vec<String>,
    /// Shown as a reminder on every heal PR: only a person merges.
    pub require_code_review: bool,
    /// Asks Copilot, in the prompt, to keep security scans passing; security findings are
    /// never auto-healed whatever this says.
    pub run_security_scans: bool,
    /// A heal PR changing more files than this is flagged for manual review.
    pub max_file_changes: u32,
    /// Runs whose head repository is a fork are refused unless this is true.
    pub allow_forks: bool,
}

impl Default for SecurityPolicy {
    fn default() -> Self {
        SecurityPolicy {
            trusted_branches: vec!["main".into(), "develop".into()],
            require_code_review: true,
            run_security_scans: true,
            max_file_changes: 20,
            allow_forks: false,
        }
    }
}

/// Who hears about a heal, and when. Notifications are issue comments and @-mentions, so they
/// reach people through GitHub's own notification settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct NotificationPolicy {
    /// Logins or teams (`@org/team`) mentioned in the tracking issue's body.
    pub mention: Vec<String>,
    /// Comment on the tracking issue when the heal PR's checks fail.
    pub on_checks_failed: bool,
    /// Comment on the tracking issue when the heal PR's checks pass.
    pub on_checks_passed: bool,
    /// Comment on the tracking issue when it is closed as healed.
    pub on_healed: bool,
    /// Ring the terminal bell in the console when a new failure appears.
    pub terminal_bell: bool,
}

impl Default for NotificationPolicy {
    fn default() -> Self {
        NotificationPolicy {
            mention: Vec::new(),
            on_checks_failed: true,
            on_checks_passed: true,
            on_healed: true,
            terminal_bell: false,
        }
    }
}

/// Branch naming. Placeholders: `{workflow_slug}`, `{run_id}`, `{branch}`, `{branch_slug}`,
/// `{category}`, `{short_sha}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct BranchPolicy {
    /// The heal branch's name: placeholders `{workflow_slug}`, `{run_id}`, `{branch}`,
    /// `{branch_slug}`, `{category}`, `{short_sha}`; must start with the prefix and contain
    /// `{run_id}`.
    pub naming: String,
    /// Every heal branch starts with this; `cleanup` never touches a branch outside it.
    pub prefix: String,
}

impl Default for BranchPolicy {
    fn default() -> Self {
        BranchPolicy {
            naming: "auto-heal/{workflow_slug}-{run_id}".into(),
            prefix: "auto-heal/".into(),
        }
    }
}

/// What the heal pull request should look like; stated in the Copilot prompt, and checked by
/// the watch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct PullRequestPolicy {
    /// Ask for a draft PR, so a person marks it ready (on by default).
    pub draft: bool,
    /// Labels the PR should carry; `automated-fix` by default, the label heal PRs are found
    /// by.
    pub labels: Vec<String>,
    /// Template for the PR description, given to Copilot; `{issue_number}` is replaced.
    pub template: String,
}

impl Default for PullRequestPolicy {
    fn default() -> Self {
        PullRequestPolicy {
            draft: true,
            labels: vec!["automated-fix".into()],
            template: "Fixes #{issue_number}\n\n## What failed\n\n## What changed and why\n\n## How it was tested\n".into(),
        }
    }
}

/// Label names used on GitHub.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct LabelPolicy {
    /// Every tracking issue carries it; it is how autoheal finds its issues again.
    pub tracking: String,
    /// Prefix of the category label, e.g. `auto-heal:` + `dependency`.
    pub category_prefix: String,
    /// Put on a tracking issue closed after its fix was merged and the workflow passed.
    pub success: String,
    /// Put on a heal PR over `security.max_file_changes`.
    pub needs_review: String,
}

impl Default for LabelPolicy {
    fn default() -> Self {
        LabelPolicy {
            tracking: "auto-heal".into(),
            category_prefix: "auto-heal:".into(),
            success: "auto-heal-success".into(),
            needs_review: "needs-manual-review".into(),
        }
    }
}

/// Re-running transient failures before spending an AI request on them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct RerunPolicy {
    /// Transient failures are re-run before anything is healed.
    pub enabled: bool,
    /// A run already at this `run_attempt` is not re-run again.
    pub max_attempts: u32,
}

impl Default for RerunPolicy {
    fn default() -> Self {
        RerunPolicy {
            enabled: true,
            max_attempts: 3,
        }
    }
}

/// Deleting stale heal branches.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct CleanupPolicy {
    /// Age (days) of a heal branch's head commit past which `autoheal cleanup` deletes it,
    /// unless a pull request is open from it.
    pub older_than_days: u32,
}

impl Default for CleanupPolicy {
    fn default() -> Self {
        CleanupPolicy {
            older_than_days: 14,
        }
    }
}
