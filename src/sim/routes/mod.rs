//! The simulator's REST endpoints: GitHub's paths, GitHub's status codes, GitHub's JSON. One
//! file per resource; `answers` holds the shapes every resource answers in.

mod answers;
mod git;
mod issues;
mod runs;
mod tasks;

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Query, State};
use axum::routing::{get, post};

use self::git::*;
use self::issues::*;
use self::runs::*;
use self::tasks::*;
use super::Shared;

type Sim = State<Arc<Shared>>;
type Params = Query<HashMap<String, String>>;

pub fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/rate_limit", get(rate_limit))
        .route("/orgs/{org}/repos", get(list_org_repos))
        .route("/repos/{owner}/{repo}", get(get_repo))
        .route(
            "/repos/{owner}/{repo}/actions/workflows",
            get(list_workflows),
        )
        .route(
            "/repos/{owner}/{repo}/actions/workflows/{workflow_id}/runs",
            get(list_workflow_runs),
        )
        .route("/repos/{owner}/{repo}/actions/runs", get(list_runs))
        .route("/repos/{owner}/{repo}/actions/runs/{run_id}", get(get_run))
        .route(
            "/repos/{owner}/{repo}/actions/runs/{run_id}/jobs",
            get(list_jobs),
        )
        .route(
            "/repos/{owner}/{repo}/actions/runs/{run_id}/attempts/{attempt}/jobs",
            get(list_attempt_jobs),
        )
        .route(
            "/repos/{owner}/{repo}/actions/runs/{run_id}/rerun-failed-jobs",
            post(rerun_failed_jobs),
        )
        .route(
            "/repos/{owner}/{repo}/actions/runs/{run_id}/approve",
            post(approve_run),
        )
        .route("/repos/{owner}/{repo}/actions/jobs/{job_id}", get(get_job))
        .route(
            "/repos/{owner}/{repo}/actions/jobs/{job_id}/logs",
            get(job_logs),
        )
        .route("/_sim/blobs/job-logs/{job_id}", get(job_log_blob))
        .route(
            "/repos/{owner}/{repo}/check-runs/{check_run_id}/annotations",
            get(annotations),
        )
        .route(
            "/repos/{owner}/{repo}/commits/{git_ref}/check-runs",
            get(check_runs),
        )
        .route("/repos/{owner}/{repo}/commits/{git_ref}", get(get_commit))
        .route("/repos/{owner}/{repo}/compare/{basehead}", get(compare))
        .route(
            "/repos/{owner}/{repo}/issues",
            get(list_issues).post(create_issue),
        )
        .route(
            "/repos/{owner}/{repo}/issues/{number}",
            get(get_issue).patch(update_issue),
        )
        .route(
            "/repos/{owner}/{repo}/issues/{number}/comments",
            get(list_comments).post(create_comment),
        )
        .route(
            "/repos/{owner}/{repo}/issues/comments/{comment_id}",
            axum::routing::delete(delete_comment),
        )
        .route(
            "/repos/{owner}/{repo}/issues/{number}/assignees",
            post(add_assignees),
        )
        .route(
            "/repos/{owner}/{repo}/issues/{number}/labels",
            post(add_labels),
        )
        .route(
            "/repos/{owner}/{repo}/issues/{number}/timeline",
            get(timeline),
        )
        .route("/repos/{owner}/{repo}/git/ref/{*git_ref}", get(get_ref))
        .route(
            "/repos/{owner}/{repo}/git/matching-refs/{*git_ref}",
            get(matching_refs),
        )
        .route("/repos/{owner}/{repo}/git/refs", post(create_ref))
        .route(
            "/repos/{owner}/{repo}/git/refs/{*git_ref}",
            axum::routing::delete(delete_ref),
        )
        .route("/repos/{owner}/{repo}/pulls", get(list_pulls))
        .route("/repos/{owner}/{repo}/pulls/{number}", get(get_pull))
        .route(
            "/repos/{owner}/{repo}/pulls/{number}/reviews",
            get(list_reviews),
        )
        .route("/repos/{owner}/{repo}/contents/{*path}", get(get_content))
        .route("/agents/repos/{owner}/{repo}/tasks", post(create_task))
        .route(
            "/agents/repos/{owner}/{repo}/tasks/{task_id}",
            get(get_task),
        )
        .with_state(shared)
}
