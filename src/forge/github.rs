//! [`Forge`] over GitHub's REST API, through [`Transport`] (octocrab, real HTTP).

use std::sync::Arc;

use async_trait::async_trait;
use base64::Engine as _;
use base64::alphabet;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use bytes::Bytes;
use http::Method;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::json;

use super::Forge;
use super::auth::Secret;
use super::error::{ForgeError, ForgeResult};
use super::graphql;
use super::model::*;
use super::transport::{ApiStats, RetryPolicy, Transport};

/// Page size for every list: GitHub's maximum, so polling costs as few requests as possible.
const PER_PAGE: usize = 100;

/// GitHub.com, GitHub Enterprise, or the simulator: whatever answers at the API URL.
#[derive(Debug)]
pub struct GitHub {
    transport: Transport,
}

impl GitHub {
    /// A GraphQL query's answer, or an error when GraphQL answered without any data (bad
    /// credentials, a query it will not run, its own budget spent).
    async fn graphql_read(&self, body: &serde_json::Value) -> ForgeResult<serde_json::Value> {
        let answer: serde_json::Value = self.transport.graphql_query(body).await?;
        match graphql::refused(&answer) {
            Some(message) => Err(ForgeError::Http {
                method: "POST".into(),
                path: "/graphql".into(),
                status: 200,
                message,
            }),
            None => Ok(answer),
        }
    }

    pub fn new(api_url: &str, token: Option<&Secret>, policy: RetryPolicy) -> ForgeResult<Self> {
        Ok(GitHub {
            transport: Transport::new(api_url, token, policy)?,
        })
    }

    /// Keeps the answers of conditional requests under `dir` too, so that the next process
    /// (a second `autoheal status`, the console started again) is answered with 304s.
    pub fn with_disk_cache(self, dir: std::path::PathBuf) -> Self {
        GitHub {
            transport: self.transport.with_disk_cache(dir),
        }
    }

    pub fn stats(&self) -> Arc<ApiStats> {
        self.transport.stats()
    }

    pub fn api_url(&self) -> String {
        self.transport.api_url().to_string()
    }
}

/// What a query value or a path segment keeps as it is: RFC 3986's unreserved characters.
const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Percent-encodes a query value or a path segment.
pub fn encode(value: &str) -> String {
    utf8_percent_encode(value, UNRESERVED).to_string()
}

/// Encodes a branch or file path, keeping its slashes (GitHub's ref and contents paths take
/// them literally).
/// A full commit sha: what names one commit for good (a branch moves).
fn is_sha(value: &str) -> bool {
    value.len() == 40 && value.bytes().all(|b| b.is_ascii_hexdigit())
}

fn encode_path(value: &str) -> String {
    value.split('/').map(encode).collect::<Vec<_>>().join("/")
}

#[async_trait]
impl Forge for GitHub {
    async fn repository(&self, repo: &RepoRef) -> ForgeResult<Repository> {
        self.transport.get_json(&repo.api_path()).await
    }

    async fn workflows(&self, repo: &RepoRef) -> ForgeResult<Vec<Workflow>> {
        let path = format!("{}/actions/workflows?per_page={PER_PAGE}", repo.api_path());
        self.transport
            .get_pages(&path, Some("workflows"), usize::MAX)
            .await
    }

    async fn recent_runs(&self, repo: &RepoRef, limit: usize) -> ForgeResult<Vec<WorkflowRun>> {
        let per_page = limit.clamp(1, PER_PAGE);
        let path = format!("{}/actions/runs?per_page={per_page}", repo.api_path());
        self.transport
            .get_pages(&path, Some("workflow_runs"), limit)
            .await
    }

    async fn org_repos(&self, org: &str) -> ForgeResult<Vec<Repository>> {
        let path = format!("/orgs/{}/repos?per_page={PER_PAGE}", encode(org));
        self.transport.get_pages(&path, None, usize::MAX).await
    }

    async fn has_runs_since(
        &self,
        repo: &RepoRef,
        since: chrono::DateTime<chrono::Utc>,
    ) -> ForgeResult<bool> {
        // By day, so the URL (and its cached answer) stays the same all day.
        let path = format!(
            "{}/actions/runs?per_page=1&created={}",
            repo.api_path(),
            encode(&format!(">={}", since.format("%Y-%m-%d")))
        );
        let list: WorkflowRunList = self.transport.get_json(&path).await?;
        Ok(list.total_count > 0 || !list.workflow_runs.is_empty())
    }

    async fn failed_runs(&self, repo: &RepoRef, limit: usize) -> ForgeResult<Vec<WorkflowRun>> {
        let per_page = limit.clamp(1, PER_PAGE);
        let path = format!(
            "{}/actions/runs?status=failure&per_page={per_page}",
            repo.api_path()
        );
        self.transport
            .get_pages(&path, Some("workflow_runs"), limit)
            .await
    }

    async fn branch_runs(
        &self,
        repo: &RepoRef,
        branch: &str,
        limit: usize,
    ) -> ForgeResult<Vec<WorkflowRun>> {
        let per_page = limit.clamp(1, PER_PAGE);
        let path = format!(
            "{}/actions/runs?branch={}&per_page={per_page}",
            repo.api_path(),
            encode(branch)
        );
        self.transport
            .get_pages(&path, Some("workflow_runs"), limit)
            .await
    }

    async fn workflow_runs(
        &self,
        repo: &RepoRef,
        workflow_id: u64,
        limit: usize,
    ) -> ForgeResult<Vec<WorkflowRun>> {
        let per_page = limit.clamp(1, PER_PAGE);
        let path = format!(
            "{}/actions/workflows/{workflow_id}/runs?per_page={per_page}",
            repo.api_path()
        );
        self.transport
            .get_pages(&path, Some("workflow_runs"), limit)
            .await
    }

    async fn compare(
        &self,
        repo: &RepoRef,
        base: &str,
        head: &str,
    ) -> ForgeResult<Option<Comparison>> {
        let path = format!(
            "{}/compare/{}...{}",
            repo.api_path(),
            encode(base),
            encode(head)
        );
        let fixed = is_sha(base) && is_sha(head);
        let read = if fixed {
            self.transport.get_json_kept(&path).await
        } else {
            self.transport.get_json(&path).await
        };
        match read {
            Ok(c) => Ok(Some(c)),
            // 404: no such commit; 422: no common history.
            Err(e) if e.is_not_found() || e.status() == Some(422) => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn commit(&self, repo: &RepoRef, sha: &str) -> ForgeResult<Option<Commit>> {
        let path = format!("{}/commits/{}", repo.api_path(), encode(sha));
        match self.transport.get_json_kept(&path).await {
            Ok(c) => Ok(Some(c)),
            Err(e) if e.is_not_found() || e.status() == Some(422) => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn attempt_jobs(
        &self,
        repo: &RepoRef,
        run_id: u64,
        attempt: u32,
    ) -> ForgeResult<Vec<Job>> {
        let path = format!(
            "{}/actions/runs/{run_id}/attempts/{attempt}/jobs?per_page={PER_PAGE}",
            repo.api_path()
        );
        self.transport
            .get_pages(&path, Some("jobs"), usize::MAX)
            .await
    }

    async fn last_success(
        &self,
        repo: &RepoRef,
        workflow_id: u64,
        branch: &str,
    ) -> ForgeResult<Option<WorkflowRun>> {
        let path = format!(
            "{}/actions/workflows/{workflow_id}/runs?branch={}&status=success&per_page=1",
            repo.api_path(),
            encode(branch)
        );
        let runs: Vec<WorkflowRun> = self
            .transport
            .get_pages(&path, Some("workflow_runs"), 1)
            .await?;
        Ok(runs.into_iter().next())
    }

    async fn rerun_failed_jobs(&self, repo: &RepoRef, run_id: u64) -> ForgeResult<()> {
        let _: serde_json::Value = self
            .transport
            .write_json(
                Method::POST,
                &format!(
                    "{}/actions/runs/{run_id}/rerun-failed-jobs",
                    repo.api_path()
                ),
                Some(&json!({})),
            )
            .await?;
        Ok(())
    }

    async fn approve_run(&self, repo: &RepoRef, run_id: u64) -> ForgeResult<()> {
        let _: serde_json::Value = self
            .transport
            .write_json(
                Method::POST,
                &format!("{}/actions/runs/{run_id}/approve", repo.api_path()),
                None,
            )
            .await?;
        Ok(())
    }

    async fn runs_for_sha(&self, repo: &RepoRef, sha: &str) -> ForgeResult<Vec<WorkflowRun>> {
        let path = format!(
            "{}/actions/runs?head_sha={}&per_page={PER_PAGE}",
            repo.api_path(),
            encode(sha)
        );
        self.transport
            .get_pages(&path, Some("workflow_runs"), 100)
            .await
    }

    async fn branches_with_prefix(&self, repo: &RepoRef, prefix: &str) -> ForgeResult<Vec<GitRef>> {
        let path = format!(
            "{}/git/matching-refs/heads/{}",
            repo.api_path(),
            encode_path(prefix)
        );
        self.transport.get_pages(&path, None, 10_000).await
    }

    async fn commit_date(
        &self,
        repo: &RepoRef,
        sha: &str,
    ) -> ForgeResult<Option<chrono::DateTime<chrono::Utc>>> {
        let commit: Option<serde_json::Value> = self
            .transport
            .get_json_opt(&format!("{}/commits/{}", repo.api_path(), encode(sha)))
            .await?;
        Ok(commit.and_then(|c| {
            let date = c["commit"]["committer"]["date"]
                .as_str()
                .or_else(|| c["commit"]["author"]["date"].as_str())?;
            chrono::DateTime::parse_from_rfc3339(date)
                .ok()
                .map(|d| d.with_timezone(&chrono::Utc))
        }))
    }

    async fn delete_branch(&self, repo: &RepoRef, branch: &str) -> ForgeResult<()> {
        let _: serde_json::Value = self
            .transport
            .write_json(
                Method::DELETE,
                &format!("{}/git/refs/heads/{}", repo.api_path(), encode_path(branch)),
                None,
            )
            .await?;
        Ok(())
    }

    async fn run(&self, repo: &RepoRef, run_id: u64) -> ForgeResult<WorkflowRun> {
        self.transport
            .get_json(&format!("{}/actions/runs/{run_id}", repo.api_path()))
            .await
    }

    async fn jobs(&self, repo: &RepoRef, run_id: u64) -> ForgeResult<Vec<Job>> {
        let path = format!(
            "{}/actions/runs/{run_id}/jobs?filter=latest&per_page={PER_PAGE}",
            repo.api_path()
        );
        self.transport
            .get_pages(&path, Some("jobs"), usize::MAX)
            .await
    }

    async fn job_log(&self, repo: &RepoRef, job_id: u64) -> ForgeResult<Bytes> {
        self.transport
            .get_redirected_text(&format!("{}/actions/jobs/{job_id}/logs", repo.api_path()))
            .await
    }

    async fn annotations(&self, repo: &RepoRef, check_run_id: u64) -> ForgeResult<Vec<Annotation>> {
        let path = format!(
            "{}/check-runs/{check_run_id}/annotations?per_page={PER_PAGE}",
            repo.api_path()
        );
        self.transport.get_pages(&path, None, 1000).await
    }

    async fn issues_with_label(
        &self,
        repo: &RepoRef,
        label: &str,
        state: &str,
    ) -> ForgeResult<Vec<Issue>> {
        let path = format!(
            "{}/issues?labels={}&state={}&per_page={PER_PAGE}",
            repo.api_path(),
            encode(label),
            encode(state)
        );
        let issues: Vec<Issue> = self.transport.get_pages(&path, None, 2000).await?;
        Ok(issues
            .into_iter()
            .filter(|i| i.pull_request.is_none())
            .collect())
    }

    async fn issue(&self, repo: &RepoRef, number: u64) -> ForgeResult<Issue> {
        self.transport
            .get_json(&format!("{}/issues/{number}", repo.api_path()))
            .await
    }

    async fn create_issue(&self, repo: &RepoRef, issue: &NewIssue) -> ForgeResult<Issue> {
        let body = serde_json::to_value(issue).map_err(|e| ForgeError::Invalid(e.to_string()))?;
        self.transport
            .write_json(
                Method::POST,
                &format!("{}/issues", repo.api_path()),
                Some(&body),
            )
            .await
    }

    async fn comments(&self, repo: &RepoRef, issue: u64) -> ForgeResult<Vec<Comment>> {
        let path = format!(
            "{}/issues/{issue}/comments?per_page={PER_PAGE}",
            repo.api_path()
        );
        self.transport.get_pages(&path, None, 5000).await
    }

    async fn create_comment(&self, repo: &RepoRef, issue: u64, body: &str) -> ForgeResult<Comment> {
        self.transport
            .write_json(
                Method::POST,
                &format!("{}/issues/{issue}/comments", repo.api_path()),
                Some(&json!({ "body": body })),
            )
            .await
    }

    async fn add_labels(&self, repo: &RepoRef, issue: u64, labels: &[String]) -> ForgeResult<()> {
        let _: serde_json::Value = self
            .transport
            .write_json(
                Method::POST,
                &format!("{}/issues/{issue}/labels", repo.api_path()),
                Some(&json!({ "labels": labels })),
            )
            .await?;
        Ok(())
    }

    async fn close_issue(&self, repo: &RepoRef, issue: u64) -> ForgeResult<Issue> {
        self.transport
            .write_json(
                Method::PATCH,
                &format!("{}/issues/{issue}", repo.api_path()),
                Some(&json!({ "state": "closed", "state_reason": "completed" })),
            )
            .await
    }

    async fn close_duplicate(&self, repo: &RepoRef, issue: u64) -> ForgeResult<Issue> {
        self.transport
            .write_json(
                Method::PATCH,
                &format!("{}/issues/{issue}", repo.api_path()),
                Some(&json!({ "state": "closed", "state_reason": "duplicate" })),
            )
            .await
    }

    async fn delete_comment(&self, repo: &RepoRef, comment_id: u64) -> ForgeResult<()> {
        let _: serde_json::Value = self
            .transport
            .write_json(
                Method::DELETE,
                &format!("{}/issues/comments/{comment_id}", repo.api_path()),
                None,
            )
            .await?;
        Ok(())
    }

    async fn reviews(&self, repo: &RepoRef, pull: u64) -> ForgeResult<Vec<Review>> {
        let path = format!(
            "{}/pulls/{pull}/reviews?per_page={PER_PAGE}",
            repo.api_path()
        );
        self.transport.get_pages(&path, None, 1000).await
    }

    async fn mark_ready(&self, pull_node_id: &str) -> ForgeResult<()> {
        // GitHub has no REST endpoint for this. The transport knows GraphQL's address
        // (/graphql on github.com, /api/graphql on Enterprise Server).
        let body = json!({
            "query": "mutation($id: ID!) { markPullRequestReadyForReview(input: {pullRequestId: $id}) { pullRequest { isDraft } } }",
            "variables": { "id": pull_node_id },
        });
        let answer: serde_json::Value = self.transport.graphql(&body).await?;
        if let Some(errors) = answer.get("errors").and_then(|e| e.as_array())
            && let Some(first) = errors.first()
        {
            return Err(ForgeError::Http {
                method: "POST".into(),
                path: "/graphql".into(),
                status: 200,
                message: first["message"]
                    .as_str()
                    .unwrap_or("GraphQL error")
                    .to_string(),
            });
        }
        Ok(())
    }

    async fn add_assignees(
        &self,
        repo: &RepoRef,
        issue: u64,
        logins: &[String],
    ) -> ForgeResult<Issue> {
        self.transport
            .write_json(
                Method::POST,
                &format!("{}/issues/{issue}/assignees", repo.api_path()),
                Some(&json!({ "assignees": logins })),
            )
            .await
    }

    async fn assign_agent(
        &self,
        repo: &RepoRef,
        issue: u64,
        login: &str,
        base_branch: &str,
        instructions: &str,
    ) -> ForgeResult<Issue> {
        // The agent reads the issue and its comments; `agent_assignment` adds the target
        // branch and instructions where the API supports them (and is ignored elsewhere).
        let body = json!({
            "assignees": [login],
            "agent_assignment": {
                "target_repo": repo.to_string(),
                "base_branch": base_branch,
                "custom_instructions": instructions,
            }
        });
        self.transport
            .write_json(
                Method::POST,
                &format!("{}/issues/{issue}/assignees", repo.api_path()),
                Some(&body),
            )
            .await
    }

    async fn create_agent_task(
        &self,
        repo: &RepoRef,
        task: &NewAgentTask,
    ) -> ForgeResult<AgentTask> {
        let body = serde_json::to_value(task).map_err(|e| ForgeError::Invalid(e.to_string()))?;
        self.transport
            .write_json(
                Method::POST,
                &format!("/agents{}/tasks", repo.api_path()),
                Some(&body),
            )
            .await
    }

    async fn agent_task(&self, repo: &RepoRef, id: &str) -> ForgeResult<AgentTask> {
        self.transport
            .get_json(&format!("/agents{}/tasks/{}", repo.api_path(), encode(id)))
            .await
    }

    async fn timeline(&self, repo: &RepoRef, issue: u64) -> ForgeResult<Vec<TimelineEvent>> {
        let path = format!(
            "{}/issues/{issue}/timeline?per_page={PER_PAGE}",
            repo.api_path()
        );
        self.transport.get_pages(&path, None, 5000).await
    }

    async fn branch_ref(&self, repo: &RepoRef, branch: &str) -> ForgeResult<Option<GitRef>> {
        self.transport
            .get_json_opt(&format!(
                "{}/git/ref/heads/{}",
                repo.api_path(),
                encode_path(branch)
            ))
            .await
    }

    async fn create_branch(&self, repo: &RepoRef, branch: &str, sha: &str) -> ForgeResult<GitRef> {
        self.transport
            .write_json(
                Method::POST,
                &format!("{}/git/refs", repo.api_path()),
                Some(&json!({ "ref": format!("refs/heads/{branch}"), "sha": sha })),
            )
            .await
    }

    async fn pulls_for_branch(
        &self,
        repo: &RepoRef,
        branch: &str,
    ) -> ForgeResult<Vec<PullRequest>> {
        let path = format!(
            "{}/pulls?state=all&head={}&per_page={PER_PAGE}",
            repo.api_path(),
            encode(&format!("{}:{branch}", repo.owner))
        );
        self.transport.get_pages(&path, None, 100).await
    }

    async fn pull(&self, repo: &RepoRef, number: u64) -> ForgeResult<PullRequest> {
        self.transport
            .get_json(&format!("{}/pulls/{number}", repo.api_path()))
            .await
    }

    async fn check_runs(&self, repo: &RepoRef, sha: &str) -> ForgeResult<Vec<CheckRun>> {
        let path = format!(
            "{}/commits/{}/check-runs?per_page={PER_PAGE}",
            repo.api_path(),
            encode(sha)
        );
        self.transport
            .get_pages(&path, Some("check_runs"), 1000)
            .await
    }

    async fn files_of_repos(
        &self,
        repos: &[RepoRef],
        path: &str,
    ) -> ForgeResult<Vec<Result<Option<String>, String>>> {
        let mut read = Vec::with_capacity(repos.len());
        for chunk in repos.chunks(graphql::PER_QUERY) {
            let answer = self
                .graphql_read(&graphql::files_query(chunk, path))
                .await?;
            read.extend(graphql::files_answer(&answer, chunk));
        }
        Ok(read)
    }

    async fn failed_jobs_of_runs(
        &self,
        runs: &[&WorkflowRun],
    ) -> ForgeResult<std::collections::HashMap<u64, Vec<Job>>> {
        let known: Vec<&WorkflowRun> = runs
            .iter()
            .copied()
            .filter(|r| r.node_id.is_some())
            .collect();
        let mut found = std::collections::HashMap::new();
        for chunk in known.chunks(graphql::PER_QUERY) {
            let ids: Vec<&str> = chunk.iter().filter_map(|r| r.node_id.as_deref()).collect();
            let answer = self.graphql_read(&graphql::failed_jobs_query(&ids)).await?;
            found.extend(graphql::failed_jobs_answer(&answer, chunk));
        }
        Ok(found)
    }

    async fn file(
        &self,
        repo: &RepoRef,
        path: &str,
        git_ref: Option<&str>,
    ) -> ForgeResult<Option<String>> {
        let mut url = format!("{}/contents/{}", repo.api_path(), encode_path(path));
        if let Some(r) = git_ref {
            url.push_str(&format!("?ref={}", encode(r)));
        }
        let Some(file) = self.transport.get_json_opt::<ContentFile>(&url).await? else {
            return Ok(None);
        };
        if file.kind != "file" {
            return Ok(None);
        }
        let encoded = file.content.unwrap_or_default();
        let bytes = match file.encoding.as_deref() {
            Some("base64") => decode_base64(&encoded).ok_or_else(|| ForgeError::Decode {
                path: url.clone(),
                message: "content is not valid base64".into(),
            })?,
            _ => encoded.into_bytes(),
        };
        Ok(Some(String::from_utf8_lossy(&bytes).into_owned()))
    }
}

/// Base64 as the contents API speaks it: written padded; read with or without padding, its
/// line breaks (one every 60 characters) ignored.
const CONTENTS_BASE64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

pub fn decode_base64(text: &str) -> Option<Vec<u8>> {
    let clean: Vec<u8> = text.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    CONTENTS_BASE64.decode(clean).ok()
}

pub fn encode_base64(data: &[u8]) -> String {
    CONTENTS_BASE64.encode(data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_round_trips() {
        for text in ["", "a", "ab", "abc", "enabled: true\nmax: 3\n", "héllo ✓"] {
            let encoded = encode_base64(text.as_bytes());
            assert_eq!(decode_base64(&encoded).unwrap(), text.as_bytes(), "{text}");
        }
        assert_eq!(decode_base64("ZW5h\nYmxl\nZA==").unwrap(), b"enabled");
        assert!(decode_base64("not base64!").is_none());
    }

    #[test]
    fn encoding_keeps_what_github_keeps() {
        assert_eq!(encode("acme:auto-heal/ci-1"), "acme%3Aauto-heal%2Fci-1");
        assert_eq!(encode_path("auto-heal/ci-1"), "auto-heal/ci-1");
        assert_eq!(encode("a b&c"), "a%20b%26c");
    }
}
