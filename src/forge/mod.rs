//! Everything autoheal asks of GitHub, behind one trait.
//!
//! [`Forge`] is what the engine calls; [`GitHub`] implements it over real HTTP with octocrab.
//! The simulator is not another implementation: it is a server speaking GitHub's paths, so the
//! demo and the tests run this very client.

pub mod auth;
pub mod error;
pub mod etag_cache;
pub mod github;
pub mod graphql;
pub mod model;
mod page;
pub mod scheduler;
pub mod status;
pub mod transport;

use async_trait::async_trait;
use bytes::Bytes;

pub use auth::Secret;
pub use error::{ForgeError, ForgeResult};
pub use github::GitHub;
pub use model::*;
pub use scheduler::Limits;
pub use status::{Conclusion, Progress, Status};
pub use transport::{ApiStats, Budget, RetryPolicy};

/// GitHub, as the engine sees it. Reads are conditional and retried; writes are sent once.
#[async_trait]
pub trait Forge: Send + Sync {
    async fn repository(&self, repo: &RepoRef) -> ForgeResult<Repository>;
    async fn workflows(&self, repo: &RepoRef) -> ForgeResult<Vec<Workflow>>;
    /// The repositories of an organisation (or a user), every page.
    async fn org_repos(&self, org: &str) -> ForgeResult<Vec<Repository>>;
    /// Has the repository had a workflow run created since `since`? One small, conditional
    /// request: how an organisation's active repositories are told from the rest.
    async fn has_runs_since(
        &self,
        repo: &RepoRef,
        since: chrono::DateTime<chrono::Utc>,
    ) -> ForgeResult<bool>;
    /// Completed runs whose conclusion is `failure`, newest first, at most `limit`.
    async fn failed_runs(&self, repo: &RepoRef, limit: usize) -> ForgeResult<Vec<WorkflowRun>>;
    /// The newest runs of any status, newest first, at most `limit`.
    async fn recent_runs(&self, repo: &RepoRef, limit: usize) -> ForgeResult<Vec<WorkflowRun>>;
    /// Runs of one branch (and optionally one workflow), newest first.
    async fn branch_runs(
        &self,
        repo: &RepoRef,
        branch: &str,
        limit: usize,
    ) -> ForgeResult<Vec<WorkflowRun>>;
    /// The newest runs of one workflow on every branch, newest first, at most `limit`.
    async fn workflow_runs(
        &self,
        repo: &RepoRef,
        workflow_id: u64,
        limit: usize,
    ) -> ForgeResult<Vec<WorkflowRun>>;
    /// What changed from `base` to `head` (shas or branches); `None` when GitHub knows no
    /// such commits. A comparison of two shas never changes: it is asked once.
    async fn compare(
        &self,
        repo: &RepoRef,
        base: &str,
        head: &str,
    ) -> ForgeResult<Option<Comparison>>;
    /// One commit with the files it changed; asked once (a commit never changes).
    async fn commit(&self, repo: &RepoRef, sha: &str) -> ForgeResult<Option<Commit>>;
    /// The jobs of one attempt of a run (they never change once it completed).
    async fn attempt_jobs(
        &self,
        repo: &RepoRef,
        run_id: u64,
        attempt: u32,
    ) -> ForgeResult<Vec<Job>>;
    /// The newest successful run of a workflow on a branch: the baseline for its logs.
    async fn last_success(
        &self,
        repo: &RepoRef,
        workflow_id: u64,
        branch: &str,
    ) -> ForgeResult<Option<WorkflowRun>>;
    async fn run(&self, repo: &RepoRef, run_id: u64) -> ForgeResult<WorkflowRun>;
    /// Re-runs a run's failed jobs (a new attempt of the same run).
    async fn rerun_failed_jobs(&self, repo: &RepoRef, run_id: u64) -> ForgeResult<()>;
    /// Approves a workflow run waiting for a maintainer (runs on pull requests).
    async fn approve_run(&self, repo: &RepoRef, run_id: u64) -> ForgeResult<()>;
    /// Runs for a commit, newest first.
    async fn runs_for_sha(&self, repo: &RepoRef, sha: &str) -> ForgeResult<Vec<WorkflowRun>>;
    /// Branches whose names start with `prefix`.
    async fn branches_with_prefix(&self, repo: &RepoRef, prefix: &str) -> ForgeResult<Vec<GitRef>>;
    /// The committer date of a commit.
    async fn commit_date(
        &self,
        repo: &RepoRef,
        sha: &str,
    ) -> ForgeResult<Option<chrono::DateTime<chrono::Utc>>>;
    async fn delete_branch(&self, repo: &RepoRef, branch: &str) -> ForgeResult<()>;
    /// Jobs of the run's latest attempt, with their steps.
    async fn jobs(&self, repo: &RepoRef, run_id: u64) -> ForgeResult<Vec<Job>>;
    /// A job's plain-text log (the API redirects to it; the redirect is followed).
    async fn job_log(&self, repo: &RepoRef, job_id: u64) -> ForgeResult<Bytes>;
    async fn annotations(&self, repo: &RepoRef, check_run_id: u64) -> ForgeResult<Vec<Annotation>>;
    /// Issues (not pull requests) carrying `label`; `state` is `open`, `closed` or `all`.
    async fn issues_with_label(
        &self,
        repo: &RepoRef,
        label: &str,
        state: &str,
    ) -> ForgeResult<Vec<Issue>>;
    async fn issue(&self, repo: &RepoRef, number: u64) -> ForgeResult<Issue>;
    async fn create_issue(&self, repo: &RepoRef, issue: &NewIssue) -> ForgeResult<Issue>;
    async fn comments(&self, repo: &RepoRef, issue: u64) -> ForgeResult<Vec<Comment>>;
    /// Adds labels to an issue or pull request.
    async fn add_labels(&self, repo: &RepoRef, issue: u64, labels: &[String]) -> ForgeResult<()>;
    /// Closes an issue as completed.
    async fn close_issue(&self, repo: &RepoRef, issue: u64) -> ForgeResult<Issue>;
    /// Closes an issue as a duplicate (`state_reason: duplicate`).
    async fn close_duplicate(&self, repo: &RepoRef, issue: u64) -> ForgeResult<Issue>;
    /// Deletes an issue comment.
    async fn delete_comment(&self, repo: &RepoRef, comment_id: u64) -> ForgeResult<()>;
    /// Reviews of a pull request, oldest first.
    async fn reviews(&self, repo: &RepoRef, pull: u64) -> ForgeResult<Vec<Review>>;
    /// Marks a draft pull request ready for review (GraphQL `markPullRequestReadyForReview`).
    async fn mark_ready(&self, pull_node_id: &str) -> ForgeResult<()>;
    async fn create_comment(&self, repo: &RepoRef, issue: u64, body: &str) -> ForgeResult<Comment>;
    async fn add_assignees(
        &self,
        repo: &RepoRef,
        issue: u64,
        logins: &[String],
    ) -> ForgeResult<Issue>;
    /// Assigns the issue to the Copilot coding agent, with the base branch and instructions.
    async fn assign_agent(
        &self,
        repo: &RepoRef,
        issue: u64,
        login: &str,
        base_branch: &str,
        instructions: &str,
    ) -> ForgeResult<Issue>;
    /// Starts a Copilot agent task (`POST /agents/repos/{owner}/{repo}/tasks`).
    async fn create_agent_task(
        &self,
        repo: &RepoRef,
        task: &NewAgentTask,
    ) -> ForgeResult<AgentTask>;
    async fn agent_task(&self, repo: &RepoRef, id: &str) -> ForgeResult<AgentTask>;
    async fn timeline(&self, repo: &RepoRef, issue: u64) -> ForgeResult<Vec<TimelineEvent>>;
    /// A branch's ref, `None` when it does not exist.
    async fn branch_ref(&self, repo: &RepoRef, branch: &str) -> ForgeResult<Option<GitRef>>;
    async fn create_branch(&self, repo: &RepoRef, branch: &str, sha: &str) -> ForgeResult<GitRef>;
    /// Pull requests whose head is `branch` in this repository, any state.
    async fn pulls_for_branch(&self, repo: &RepoRef, branch: &str)
    -> ForgeResult<Vec<PullRequest>>;
    async fn pull(&self, repo: &RepoRef, number: u64) -> ForgeResult<PullRequest>;
    async fn check_runs(&self, repo: &RepoRef, sha: &str) -> ForgeResult<Vec<CheckRun>>;
    /// One file's text on the default branch of each of many repositories, in order: `None`
    /// where a repository has no such file, an error where it could not be read. Few
    /// requests for many repositories (GraphQL); `Err` when GraphQL itself refused.
    async fn files_of_repos(
        &self,
        repos: &[RepoRef],
        path: &str,
    ) -> ForgeResult<Vec<Result<Option<String>, String>>>;
    /// The failed jobs (with steps) of many completed runs at once, by run id, as
    /// [`Forge::jobs`] filtered by [`Job::failed`] reads them one run a request. A run left
    /// out of the answer is to be read with [`Forge::jobs`].
    async fn failed_jobs_of_runs(
        &self,
        runs: &[&WorkflowRun],
    ) -> ForgeResult<std::collections::HashMap<u64, Vec<Job>>>;
    /// A file's text on the default branch (or `git_ref`), `None` when absent.
    async fn file(
        &self,
        repo: &RepoRef,
        path: &str,
        git_ref: Option<&str>,
    ) -> ForgeResult<Option<String>>;
}
