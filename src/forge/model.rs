//! GitHub's JSON, as our own serde types.
//!
//! These follow GitHub's OpenAPI description rather than octocrab's models: a field the schema
//! marks required is required here, everything else is an `Option` or has a default, and enums
//! are plain strings. So an older GitHub Enterprise, or a new enum value, never breaks a scan.
//! Only the fields autoheal reads are listed; serde ignores the rest.
//!
//! Names and titles that whoever pushes code controls (a run's `display_title` is a fork's
//! pull request title; job and step names come from its workflow file) are cleaned as they
//! are read, by [`one_line`]: no escape sequence or control character in them reaches a
//! terminal, a report or an issue we write. Refs (branch names) are identifiers, looked up
//! and sent back as they are: they are cleaned where they are shown instead.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::status::{Conclusion, Status};

/// `owner/name`, parsed once.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RepoRef {
    pub owner: String,
    pub name: String,
}

impl RepoRef {
    pub fn new(owner: &str, name: &str) -> Self {
        RepoRef {
            owner: owner.into(),
            name: name.into(),
        }
    }

    /// The REST path prefix `/repos/{owner}/{name}`.
    pub fn api_path(&self) -> String {
        format!("/repos/{}/{}", self.owner, self.name)
    }
}

impl std::str::FromStr for RepoRef {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let valid = |part: &str| {
            !part.is_empty()
                && part != "."
                && part != ".."
                && part
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        };
        match s.trim().split_once('/') {
            Some((owner, name)) if valid(owner) && valid(name) => Ok(RepoRef::new(owner, name)),
            _ => Err(format!(
                "{s:?} is not a repository: expected OWNER/NAME, e.g. octocat/hello-world"
            )),
        }
    }
}

impl TryFrom<String> for RepoRef {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        s.parse()
    }
}

impl From<RepoRef> for String {
    fn from(r: RepoRef) -> String {
        r.to_string()
    }
}

impl std::fmt::Display for RepoRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.owner, self.name)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SimpleUser {
    pub login: String,
    pub id: u64,
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Repository {
    pub id: u64,
    pub name: String,
    pub full_name: String,
    #[serde(default)]
    pub private: bool,
    pub html_url: String,
    #[serde(default)]
    pub default_branch: Option<String>,
    #[serde(default)]
    pub fork: bool,
    #[serde(default)]
    pub owner: Option<SimpleUser>,
    /// Read-only: nothing runs there any more.
    #[serde(default)]
    pub archived: bool,
    #[serde(default)]
    pub disabled: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Workflow {
    pub id: u64,
    #[serde(deserialize_with = "one_line::string")]
    pub name: String,
    pub path: String,
    pub state: String,
    #[serde(default)]
    pub html_url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkflowList {
    pub total_count: u64,
    pub workflows: Vec<Workflow>,
}

/// A workflow run (`components.schemas.workflow-run`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkflowRun {
    pub id: u64,
    /// Its GraphQL id: how many runs' jobs are read in one request.
    #[serde(default)]
    pub node_id: Option<String>,
    #[serde(default, deserialize_with = "one_line::option")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "one_line::option")]
    pub display_title: Option<String>,
    /// A ref: kept as GitHub spells it (it is looked up and sent back); cleaned where shown.
    pub head_branch: Option<String>,
    pub head_sha: String,
    /// The workflow file (the name's fallback): a fork's pull request can add one.
    #[serde(default, deserialize_with = "one_line::string")]
    pub path: String,
    #[serde(default)]
    pub run_number: u64,
    #[serde(default)]
    pub run_attempt: Option<u32>,
    pub event: String,
    pub status: Option<Status>,
    pub conclusion: Option<Conclusion>,
    pub workflow_id: u64,
    pub html_url: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[serde(default)]
    pub run_started_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub actor: Option<SimpleUser>,
    #[serde(default)]
    pub head_repository: Option<MinimalRepository>,
    #[serde(default)]
    pub repository: Option<MinimalRepository>,
    /// The pull requests the run is for (empty for a fork's: GitHub leaves them out).
    #[serde(default, deserialize_with = "null_as_empty")]
    pub pull_requests: Vec<RunPullRequest>,
}

/// A pull request as a run names it: enough to compare the run with the pull request's base.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunPullRequest {
    pub number: u64,
    pub base: RunPullRequestRef,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunPullRequestRef {
    #[serde(rename = "ref")]
    pub git_ref: String,
    pub sha: String,
}

fn null_as_empty<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

/// What changed between two commits (`GET /compare/{base}...{head}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    pub status: String,
    pub total_commits: u64,
    pub html_url: String,
    /// Oldest first; GitHub sends at most 250.
    #[serde(default)]
    pub commits: Vec<Commit>,
    /// Every file the commits changed (at most 300).
    #[serde(default)]
    pub files: Vec<ChangedFile>,
}

/// A commit (`components.schemas.commit`); `files` only from `GET /commits/{ref}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Commit {
    pub sha: String,
    pub commit: GitCommit,
    /// The GitHub account of the author, when GitHub could tell (`null` or `{}` otherwise).
    #[serde(default)]
    pub author: Option<CommitAccount>,
    #[serde(default)]
    pub files: Option<Vec<ChangedFile>>,
}

impl Commit {
    /// The message's first line, cleaned for a terminal or a single line of Markdown.
    pub fn title(&self) -> String {
        let first = self.commit.message.lines().next().unwrap_or("");
        crate::text::sanitize::clean(first.as_bytes()).into_owned()
    }

    /// Who wrote it: the account, else the name in the commit.
    pub fn author_name(&self) -> Option<String> {
        let login = self.author.as_ref().and_then(|a| a.login.clone());
        let name = self.commit.author.as_ref().and_then(|a| a.name.clone());
        login
            .or(name)
            .map(|n| crate::text::sanitize::clean(n.as_bytes()).into_owned())
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GitCommit {
    pub message: String,
    #[serde(default)]
    pub author: Option<GitUser>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GitUser {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub date: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CommitAccount {
    #[serde(default)]
    pub login: Option<String>,
}

/// A file a commit changed (`components.schemas.diff-entry`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChangedFile {
    pub filename: String,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub previous_filename: Option<String>,
}

impl WorkflowRun {
    /// True when the run's code came from another repository (a pull request from a fork):
    /// its log is written by whoever opened that pull request.
    pub fn is_from_fork(&self) -> bool {
        match (&self.head_repository, &self.repository) {
            (Some(head), Some(base)) => head.full_name != base.full_name || head.fork,
            (Some(head), None) => head.fork,
            _ => false,
        }
    }

    pub fn branch(&self) -> &str {
        self.head_branch.as_deref().unwrap_or("")
    }

    pub fn workflow_name(&self) -> &str {
        self.name.as_deref().unwrap_or(&self.path)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MinimalRepository {
    pub id: u64,
    pub full_name: String,
    #[serde(default)]
    pub fork: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkflowRunList {
    pub total_count: u64,
    pub workflow_runs: Vec<WorkflowRun>,
}

/// A job of a run (`components.schemas.job`). `run_attempt` is optional in the schema.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Job {
    pub id: u64,
    pub run_id: u64,
    #[serde(default)]
    pub run_attempt: Option<u32>,
    #[serde(deserialize_with = "one_line::string")]
    pub name: String,
    pub status: Status,
    pub conclusion: Option<Conclusion>,
    pub started_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub steps: Vec<Step>,
    #[serde(default)]
    pub html_url: Option<String>,
    #[serde(default)]
    pub check_run_url: Option<String>,
    #[serde(default)]
    pub runner_name: Option<String>,
}

impl Job {
    pub fn failed(&self) -> bool {
        self.conclusion.as_ref().is_some_and(Conclusion::failed)
    }

    /// The check run behind this job: its id ends the `check_run_url`.
    pub fn check_run_id(&self) -> Option<u64> {
        self.check_run_url
            .as_deref()?
            .rsplit('/')
            .next()?
            .parse()
            .ok()
    }

    pub fn failed_steps(&self) -> impl Iterator<Item = &Step> {
        self.steps.iter().filter(|s| {
            matches!(
                s.conclusion,
                Some(Conclusion::Failure | Conclusion::TimedOut)
            )
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Step {
    #[serde(deserialize_with = "one_line::string")]
    pub name: String,
    pub status: Status,
    pub conclusion: Option<Conclusion>,
    pub number: u32,
    #[serde(default)]
    pub started_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub completed_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobList {
    pub total_count: u64,
    pub jobs: Vec<Job>,
}

/// A check-run annotation: GitHub's parsed `##[error]` lines and problem matchers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Annotation {
    pub path: String,
    pub start_line: u64,
    pub end_line: u64,
    pub annotation_level: Option<String>,
    pub message: Option<String>,
    #[serde(default)]
    pub title: Option<String>,
}

/// A label: the schema allows a bare string or an object in an issue's `labels`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum IssueLabel {
    Name(String),
    Object { name: Option<String> },
}

impl IssueLabel {
    pub fn name(&self) -> &str {
        match self {
            IssueLabel::Name(n) => n,
            IssueLabel::Object { name } => name.as_deref().unwrap_or(""),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Issue {
    pub id: u64,
    pub number: u64,
    #[serde(deserialize_with = "one_line::string")]
    pub title: String,
    pub body: Option<String>,
    pub state: String,
    #[serde(default)]
    pub labels: Vec<IssueLabel>,
    pub html_url: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    /// Why it was closed: `completed`, `not_planned`, `duplicate` (`None` while open).
    #[serde(default)]
    pub state_reason: Option<String>,
    #[serde(default)]
    pub user: Option<SimpleUser>,
    #[serde(default)]
    pub assignees: Option<Vec<SimpleUser>>,
    /// Present when this "issue" is a pull request (the issues list returns both).
    #[serde(default)]
    pub pull_request: Option<serde_json::Value>,
}

impl Issue {
    pub fn has_label(&self, name: &str) -> bool {
        self.labels
            .iter()
            .any(|l| l.name().eq_ignore_ascii_case(name))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comment {
    pub id: u64,
    pub body: Option<String>,
    pub html_url: String,
    pub created_at: DateTime<Utc>,
    #[serde(default)]
    pub user: Option<SimpleUser>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GitRef {
    #[serde(rename = "ref")]
    pub name: String,
    pub object: GitObject,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GitObject {
    pub sha: String,
    #[serde(rename = "type")]
    pub kind: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PullRequest {
    pub id: u64,
    #[serde(default)]
    pub node_id: String,
    pub number: u64,
    pub state: String,
    #[serde(deserialize_with = "one_line::string")]
    pub title: String,
    pub body: Option<String>,
    #[serde(default)]
    pub draft: Option<bool>,
    pub head: BranchTip,
    pub base: BranchTip,
    pub html_url: String,
    pub user: Option<SimpleUser>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub merged_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub changed_files: Option<u64>,
    #[serde(default)]
    pub mergeable: Option<bool>,
    #[serde(default)]
    pub mergeable_state: Option<String>,
    #[serde(default)]
    pub merged: Option<bool>,
}

/// A pull request review (`components.schemas.pull-request-review`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Review {
    pub id: u64,
    pub state: String,
    #[serde(default)]
    pub user: Option<SimpleUser>,
    #[serde(default)]
    pub submitted_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BranchTip {
    /// A ref: kept as GitHub spells it; cleaned where shown.
    #[serde(rename = "ref")]
    pub name: String,
    pub sha: String,
    #[serde(default)]
    pub label: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckRun {
    pub id: u64,
    #[serde(deserialize_with = "one_line::string")]
    pub name: String,
    pub head_sha: String,
    pub status: Status,
    pub conclusion: Option<Conclusion>,
    pub started_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub html_url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckRunList {
    pub total_count: u64,
    pub check_runs: Vec<CheckRun>,
}

/// One event of an issue's timeline. Only the shapes autoheal follows are typed; `source`
/// is set on `cross-referenced` events and names the issue or PR that mentioned this one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimelineEvent {
    #[serde(default)]
    pub event: Option<String>,
    #[serde(default)]
    pub created_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub source: Option<TimelineSource>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimelineSource {
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    #[serde(default)]
    pub issue: Option<Issue>,
}

/// A file read through the contents API.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContentFile {
    #[serde(rename = "type")]
    pub kind: String,
    pub path: String,
    pub sha: String,
    pub size: u64,
    #[serde(default)]
    pub encoding: Option<String>,
    #[serde(default)]
    pub content: Option<String>,
}

/// What to send to `POST /agents/repos/{owner}/{repo}/tasks`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewAgentTask {
    pub prompt: String,
    pub base_ref: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    pub create_pull_request: bool,
}

/// A Copilot agent task (`components.schemas.agent-task`): `id`, `state`, `created_at` are
/// required; `artifacts` name the pull request once there is one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgentTask {
    pub id: String,
    pub state: String,
    pub created_at: DateTime<Utc>,
    #[serde(default)]
    pub html_url: Option<String>,
    #[serde(default)]
    pub artifacts: Vec<TaskArtifact>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskArtifact {
    pub provider: String,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub data: serde_json::Value,
}

/// What to create with `POST /repos/{owner}/{repo}/issues`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewIssue {
    pub title: String,
    pub body: String,
    pub labels: Vec<String>,
}

/// Deserializers for one-line text shown to people: escape sequences, control characters
/// and bidirectional overrides are removed on the way in ([`crate::text::sanitize`]).
mod one_line {
    use serde::{Deserialize, Deserializer};

    fn clean(s: String) -> String {
        match crate::text::sanitize::clean(s.as_bytes()) {
            std::borrow::Cow::Borrowed(_) => s,
            std::borrow::Cow::Owned(cleaned) => cleaned,
        }
    }

    pub fn string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
        String::deserialize(d).map(clean)
    }

    pub fn option<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
        Option::<String>::deserialize(d).map(|o| o.map(clean))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repo_refs_parse_and_refuse_nonsense() {
        let r: RepoRef = "octocat/hello-world".parse().unwrap();
        assert_eq!(r.api_path(), "/repos/octocat/hello-world");
        for bad in [
            "", "octocat", "a/b/c", "/x", "x/", "../etc", "a b/c", "o/..",
        ] {
            assert!(bad.parse::<RepoRef>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn labels_may_be_strings_or_objects() {
        let labels: Vec<IssueLabel> =
            serde_json::from_str(r#"["bug", {"id": 1, "name": "auto-heal"}]"#).unwrap();
        assert_eq!(labels[0].name(), "bug");
        assert_eq!(labels[1].name(), "auto-heal");
    }

    #[test]
    fn a_job_without_run_attempt_parses() {
        let job: Job = serde_json::from_str(
            r#"{"id":1,"run_id":2,"name":"build","status":"waiting","conclusion":null,
                "started_at":"2025-01-01T00:00:00Z","completed_at":null}"#,
        )
        .unwrap();
        assert_eq!(job.run_attempt, None);
        assert!(job.steps.is_empty());
    }

    #[test]
    fn the_check_run_id_comes_from_its_url() {
        let job: Job = serde_json::from_str(
            r#"{"id":1,"run_id":2,"name":"build","status":"completed","conclusion":"failure",
                "started_at":"2025-01-01T00:00:00Z","completed_at":null,
                "check_run_url":"https://api.github.com/repos/o/r/check-runs/399444496"}"#,
        )
        .unwrap();
        assert_eq!(job.check_run_id(), Some(399444496));
    }

    #[test]
    fn names_and_titles_lose_escape_sequences_as_they_are_read() {
        let job: Job = serde_json::from_str(
            r#"{"id":1,"run_id":2,"name":"test\u001b]0;owned\u0007 \u001b[2Jsuite","status":"completed",
                "conclusion":"failure","started_at":"2025-01-01T00:00:00Z","completed_at":null,
                "steps":[{"name":"Run \u001b]52;c;cm0gLXJmIH4=\u0007pytest\u202e","status":"completed",
                          "conclusion":"failure","number":1}]}"#,
        )
        .unwrap();
        assert_eq!(job.name, "test suite");
        assert_eq!(job.steps[0].name, "Run pytest\u{fffd}");
    }
}
