//! The simulator's REST endpoints: GitHub's paths, GitHub's status codes, GitHub's JSON.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::Shared;
use super::copilot::{is_copilot_agent, is_copilot_trigger};
use super::json;
use super::world::*;

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

// ---- answers ---------------------------------------------------------------------------

fn error(status: StatusCode, message: &str) -> Response {
    (
        status,
        Json(json!({
            "message": message,
            "documentation_url": "https://docs.github.com/rest",
            "status": status.as_u16().to_string(),
        })),
    )
        .into_response()
}

fn not_found() -> Response {
    error(StatusCode::NOT_FOUND, "Not Found")
}

fn unprocessable(message: &str) -> Response {
    error(StatusCode::UNPROCESSABLE_ENTITY, message)
}

fn created(v: Value) -> Response {
    (StatusCode::CREATED, Json(v)).into_response()
}

/// One page of a list, with GitHub's `Link` header. `wrap` names the array inside the
/// answer object (`workflow_runs`), or `None` for a bare array.
fn paged(
    items: Vec<Value>,
    params: &HashMap<String, String>,
    self_path: &str,
    base: &str,
    wrap: Option<&str>,
) -> Response {
    let per_page = params
        .get("per_page")
        .and_then(|p| p.parse::<usize>().ok())
        .unwrap_or(30)
        .clamp(1, 100);
    let page = params
        .get("page")
        .and_then(|p| p.parse::<usize>().ok())
        .unwrap_or(1)
        .max(1);
    let total = items.len();
    let last = total.div_ceil(per_page).max(1);
    let slice: Vec<Value> = items
        .into_iter()
        .skip((page - 1) * per_page)
        .take(per_page)
        .collect();
    let mut query: Vec<(String, String)> = params
        .iter()
        .filter(|(k, _)| k.as_str() != "page")
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    query.sort();
    let link_to = |p: usize| {
        let mut q: Vec<String> = query
            .iter()
            .map(|(k, v)| format!("{k}={}", crate::forge::github::encode(v)))
            .collect();
        q.push(format!("page={p}"));
        format!("<{base}{self_path}?{}>", q.join("&"))
    };
    let mut links = Vec::new();
    if page < last {
        links.push(format!("{}; rel=\"next\"", link_to(page + 1)));
        links.push(format!("{}; rel=\"last\"", link_to(last)));
    }
    if page > 1 {
        links.push(format!("{}; rel=\"first\"", link_to(1)));
        links.push(format!("{}; rel=\"prev\"", link_to(page - 1)));
    }
    let body = match wrap {
        Some(key) => json!({ "total_count": total, key: slice }),
        None => Value::Array(slice),
    };
    let mut response = Json(body).into_response();
    if !links.is_empty()
        && let Ok(v) = HeaderValue::from_str(&links.join(", "))
    {
        response.headers_mut().insert(header::LINK, v);
    }
    response
}

/// Runs `f` on the repository, or answers 404 when there is no such repository.
fn with_repo(
    sim: &Shared,
    owner: &str,
    repo: &str,
    f: impl FnOnce(&RepoState, &str) -> Response,
) -> Response {
    let world = sim.world();
    match world.repo(owner, repo) {
        Some(r) => f(r, &sim.base_url()),
        None => not_found(),
    }
}

fn with_repo_mut(
    sim: &Shared,
    owner: &str,
    repo: &str,
    f: impl FnOnce(&mut World, usize, &str) -> Response,
) -> Response {
    let mut world = sim.world();
    match world.repo_index(owner, repo) {
        Some(i) => f(&mut world, i, &sim.base_url()),
        None => not_found(),
    }
}

// ---- repositories, workflows, runs, jobs ---------------------------------------------------

async fn rate_limit(State(sim): Sim) -> Response {
    let (remaining, reset) = sim.rate_limit_snapshot();
    let core =
        json!({"limit": 5000, "remaining": remaining, "reset": reset, "used": 5000 - remaining});
    Json(json!({
        "resources": {"core": core, "search": {"limit": 30, "remaining": 30, "reset": reset, "used": 0}},
        "rate": core,
    }))
    .into_response()
}

async fn get_repo(State(sim): Sim, Path((owner, repo)): Path<(String, String)>) -> Response {
    with_repo(&sim, &owner, &repo, |r, base| {
        Json(json::repository(base, r, true)).into_response()
    })
}

/// An organisation's repositories (any owner with repositories here is an organisation).
async fn list_org_repos(State(sim): Sim, Path(org): Path<String>, Query(q): Params) -> Response {
    let base = sim.base_url();
    let world = sim.world();
    let items: Vec<Value> = world
        .repos
        .iter()
        .filter(|r| r.owner.eq_ignore_ascii_case(&org))
        .map(|r| json::repository(&base, r, true))
        .collect();
    if items.is_empty() {
        return not_found();
    }
    paged(items, &q, &format!("/orgs/{org}/repos"), &base, None)
}

async fn list_workflows(
    State(sim): Sim,
    Path((owner, repo)): Path<(String, String)>,
    Query(q): Params,
) -> Response {
    with_repo(&sim, &owner, &repo, |r, base| {
        let items = r
            .workflows
            .iter()
            .map(|w| json::workflow(base, r, w))
            .collect();
        paged(
            items,
            &q,
            &format!("/repos/{owner}/{repo}/actions/workflows"),
            base,
            Some("workflows"),
        )
    })
}

fn runs_matching(
    r: &RepoState,
    q: &HashMap<String, String>,
    workflow: Option<u64>,
) -> Vec<RunState> {
    let mut runs: Vec<RunState> = r
        .runs
        .iter()
        .filter(|run| workflow.is_none_or(|w| run.workflow_id == w))
        .filter(|run| match q.get("status").map(String::as_str) {
            None | Some("") => true,
            // GitHub's `status` filter takes a status or a conclusion.
            Some(s) => run.status == s || run.conclusion.as_deref() == Some(s),
        })
        .filter(|run| q.get("branch").is_none_or(|b| &run.head_branch == b))
        .filter(|run| q.get("event").is_none_or(|e| &run.event == e))
        .filter(|run| q.get("head_sha").is_none_or(|s| &run.head_sha == s))
        .filter(|run| {
            q.get("created")
                .is_none_or(|c| created_matches(c, run.created_at))
        })
        .cloned()
        .collect();
    runs.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
    runs
}

/// GitHub's `created` filter on runs: `>=T`, `<=T`, `>T`, `<T`, `T..T` or `T`, each `T` a day
/// (`2026-11-02`, all of it) or an instant. A filter that does not parse matches nothing.
fn created_matches(filter: &str, at: DateTime<Utc>) -> bool {
    // A day is the span [its start, the next day's start); an instant, [it, it].
    let span = |text: &str| -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        if let Ok(t) = DateTime::parse_from_rfc3339(text) {
            let t = t.with_timezone(&Utc);
            return Some((t, t));
        }
        let day = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?;
        let start = day.and_hms_opt(0, 0, 0)?.and_utc();
        Some((
            start,
            start + chrono::TimeDelta::days(1) - chrono::TimeDelta::nanoseconds(1),
        ))
    };
    if let Some((from, to)) = filter.split_once("..") {
        return match (span(from), span(to)) {
            (Some((from, _)), Some((_, to))) => from <= at && at <= to,
            _ => false,
        };
    }
    if let Some(t) = filter.strip_prefix(">=") {
        return span(t).is_some_and(|(start, _)| at >= start);
    }
    if let Some(t) = filter.strip_prefix("<=") {
        return span(t).is_some_and(|(_, end)| at <= end);
    }
    if let Some(t) = filter.strip_prefix('>') {
        return span(t).is_some_and(|(_, end)| at > end);
    }
    if let Some(t) = filter.strip_prefix('<') {
        return span(t).is_some_and(|(start, _)| at < start);
    }
    span(filter).is_some_and(|(start, end)| start <= at && at <= end)
}

async fn list_runs(
    State(sim): Sim,
    Path((owner, repo)): Path<(String, String)>,
    Query(q): Params,
) -> Response {
    with_repo(&sim, &owner, &repo, |r, base| {
        let items = runs_matching(r, &q, None)
            .iter()
            .map(|run| json::run(base, r, run))
            .collect();
        paged(
            items,
            &q,
            &format!("/repos/{owner}/{repo}/actions/runs"),
            base,
            Some("workflow_runs"),
        )
    })
}

async fn list_workflow_runs(
    State(sim): Sim,
    Path((owner, repo, workflow)): Path<(String, String, String)>,
    Query(q): Params,
) -> Response {
    with_repo(&sim, &owner, &repo, |r, base| {
        // The workflow is named by id or by file name.
        let Some(w) = r
            .workflows
            .iter()
            .find(|w| w.id.to_string() == workflow || w.path.ends_with(&format!("/{workflow}")))
        else {
            return not_found();
        };
        let items = runs_matching(r, &q, Some(w.id))
            .iter()
            .map(|run| json::run(base, r, run))
            .collect();
        paged(
            items,
            &q,
            &format!("/repos/{owner}/{repo}/actions/workflows/{workflow}/runs"),
            base,
            Some("workflow_runs"),
        )
    })
}

async fn get_run(
    State(sim): Sim,
    Path((owner, repo, run_id)): Path<(String, String, u64)>,
) -> Response {
    with_repo(&sim, &owner, &repo, |r, base| {
        match r.runs.iter().find(|x| x.id == run_id) {
            Some(run) => Json(json::run(base, r, run)).into_response(),
            None => not_found(),
        }
    })
}

async fn list_jobs(
    State(sim): Sim,
    Path((owner, repo, run_id)): Path<(String, String, u64)>,
    Query(q): Params,
) -> Response {
    with_repo(&sim, &owner, &repo, |r, base| {
        match r.runs.iter().find(|x| x.id == run_id) {
            Some(run) => {
                let items = run
                    .jobs
                    .iter()
                    .map(|j| json::job(base, r, run, j))
                    .collect();
                paged(
                    items,
                    &q,
                    &format!("/repos/{owner}/{repo}/actions/runs/{run_id}/jobs"),
                    base,
                    Some("jobs"),
                )
            }
            None => not_found(),
        }
    })
}

async fn list_attempt_jobs(
    State(sim): Sim,
    Path((owner, repo, run_id, attempt)): Path<(String, String, u64, u32)>,
    Query(q): Params,
) -> Response {
    with_repo(&sim, &owner, &repo, |r, base| {
        let Some(run) = r.runs.iter().find(|x| x.id == run_id) else {
            return not_found();
        };
        let Some(jobs) = run.attempt_jobs(attempt) else {
            return not_found();
        };
        let items = jobs.iter().map(|j| json::job(base, r, run, j)).collect();
        paged(
            items,
            &q,
            &format!("/repos/{owner}/{repo}/actions/runs/{run_id}/attempts/{attempt}/jobs"),
            base,
            Some("jobs"),
        )
    })
}

/// A new attempt of the run's failed jobs: queued, in progress, then its scenario's
/// `rerun_conclusion`.
async fn rerun_failed_jobs(
    State(sim): Sim,
    Path((owner, repo, run_id)): Path<(String, String, u64)>,
) -> Response {
    with_repo_mut(&sim, &owner, &repo, |world, ri, _| {
        let Some(run) = world.repos[ri].runs.iter_mut().find(|r| r.id == run_id) else {
            return not_found();
        };
        if run.status != "completed" {
            return error(StatusCode::FORBIDDEN, "This workflow is already running");
        }
        if run.conclusion.as_deref() == Some("success") {
            return error(
                StatusCode::FORBIDDEN,
                "This workflow run has no failed jobs to re-run",
            );
        }
        let now = Utc::now();
        // The attempt now ending keeps its jobs, as GitHub keeps every attempt's.
        while run.previous_attempts.len() < run.run_attempt as usize {
            run.previous_attempts.push(run.jobs.clone());
        }
        run.run_attempt += 1;
        run.status = "queued".into();
        run.conclusion = None;
        run.updated_at = now;
        run.pending = Some((now, run.rerun_conclusion.clone()));
        created(json!({}))
    })
}

/// Approves a run waiting for a maintainer: it runs, and its check runs start.
async fn approve_run(
    State(sim): Sim,
    Path((owner, repo, run_id)): Path<(String, String, u64)>,
) -> Response {
    with_repo_mut(&sim, &owner, &repo, |world, ri, _| {
        let ids = [world.next_id(), world.next_id()];
        let conclusion = world.options.copilot_checks_conclusion.clone();
        let r = &mut world.repos[ri];
        let Some(run) = r.runs.iter_mut().find(|x| x.id == run_id) else {
            return not_found();
        };
        if run.conclusion.as_deref() != Some("action_required") {
            return error(
                StatusCode::FORBIDDEN,
                "This run is not waiting for approval",
            );
        }
        let now = Utc::now();
        run.status = "queued".into();
        run.conclusion = None;
        run.pending = Some((now, conclusion.clone()));
        let sha = run.head_sha.clone();
        for (id, name) in ids.into_iter().zip(["build", "test"]) {
            r.check_runs.push(CheckRunState {
                id,
                name: name.into(),
                head_sha: sha.clone(),
                created_at: now,
                conclusion: conclusion.clone(),
            });
        }
        created(json!({}))
    })
}

async fn get_job(
    State(sim): Sim,
    Path((owner, repo, job_id)): Path<(String, String, u64)>,
) -> Response {
    with_repo(&sim, &owner, &repo, |r, base| {
        for run in &r.runs {
            if let Some(j) = run.all_jobs().find(|j| j.id == job_id) {
                return Json(json::job(base, r, run, j)).into_response();
            }
        }
        not_found()
    })
}

/// GitHub answers 302 with a short-lived, pre-signed URL on another host.
async fn job_logs(
    State(sim): Sim,
    Path((owner, repo, job_id)): Path<(String, String, u64)>,
) -> Response {
    with_repo(&sim, &owner, &repo, |r, base| {
        if !r
            .runs
            .iter()
            .any(|run| run.all_jobs().any(|j| j.id == job_id))
        {
            return not_found();
        }
        let location = format!(
            "{base}/_sim/blobs/job-logs/{job_id}?sig=sim&se={}",
            Utc::now().timestamp() + 60
        );
        let mut response = StatusCode::FOUND.into_response();
        if let Ok(v) = HeaderValue::from_str(&location) {
            response.headers_mut().insert(header::LOCATION, v);
        }
        response
    })
}

async fn job_log_blob(State(sim): Sim, Path(job_id): Path<u64>) -> Response {
    let world = sim.world();
    match world.find_job(job_id) {
        Some((_, _, job)) => (
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            job.log.clone(),
        )
            .into_response(),
        None => error(StatusCode::NOT_FOUND, "BlobNotFound"),
    }
}

async fn annotations(
    State(sim): Sim,
    Path((owner, repo, check_run_id)): Path<(String, String, u64)>,
    Query(q): Params,
) -> Response {
    with_repo(&sim, &owner, &repo, |r, base| {
        let job = r
            .runs
            .iter()
            .flat_map(|run| &run.jobs)
            .find(|j| j.id == check_run_id);
        let items = match job {
            Some(j) => json::annotations(j),
            None if r.check_runs.iter().any(|c| c.id == check_run_id) => Vec::new(),
            None => return not_found(),
        };
        paged(
            items,
            &q,
            &format!("/repos/{owner}/{repo}/check-runs/{check_run_id}/annotations"),
            base,
            None,
        )
    })
}

fn resolve_sha(r: &RepoState, git_ref: &str) -> String {
    r.branches
        .get(git_ref)
        .cloned()
        .unwrap_or_else(|| git_ref.to_string())
}

async fn check_runs(
    State(sim): Sim,
    Path((owner, repo, git_ref)): Path<(String, String, String)>,
    Query(q): Params,
) -> Response {
    let options = sim.world().options.clone();
    with_repo(&sim, &owner, &repo, |r, base| {
        let sha = resolve_sha(r, &git_ref);
        let items = r
            .check_runs
            .iter()
            .filter(|c| c.head_sha == sha)
            .map(|c| json::check_run(base, r, c, &options))
            .collect();
        paged(
            items,
            &q,
            &format!("/repos/{owner}/{repo}/commits/{git_ref}/check-runs"),
            base,
            Some("check_runs"),
        )
    })
}

async fn get_commit(
    State(sim): Sim,
    Path((owner, repo, git_ref)): Path<(String, String, String)>,
) -> Response {
    with_repo(&sim, &owner, &repo, |r, base| {
        let sha = resolve_sha(r, &git_ref);
        let Some(commit) = r.commits.get(&sha) else {
            return unprocessable(&format!("No commit found for SHA: {git_ref}"));
        };
        Json(json::commit(base, r, &sha, commit, true)).into_response()
    })
}

/// `GET /compare/{base}...{head}`: the commits reachable from head and not from base, oldest
/// first, and the files they changed, as GitHub compares (its merge base, when the two have
/// diverged).
async fn compare(
    State(sim): Sim,
    Path((owner, repo, basehead)): Path<(String, String, String)>,
) -> Response {
    with_repo(&sim, &owner, &repo, |r, base| {
        let Some((from, to)) = basehead.split_once("...") else {
            return not_found();
        };
        let (from, to) = (resolve_sha(r, from), resolve_sha(r, to));
        let (Some(from_commit), Some(_)) = (r.commits.get(&from), r.commits.get(&to)) else {
            return not_found();
        };
        let behind_head = ancestors(r, &to);
        let behind_base = ancestors(r, &from);
        let mut ahead: Vec<&String> = behind_head
            .iter()
            .filter(|sha| !behind_base.contains(*sha))
            .collect();
        ahead.sort_by_key(|sha| r.commits[*sha].date);
        let behind_by = behind_base
            .iter()
            .filter(|sha| !behind_head.contains(*sha))
            .count();
        let status = match (ahead.is_empty(), behind_by == 0) {
            (true, true) => "identical",
            (false, true) => "ahead",
            (true, false) => "behind",
            (false, false) => "diverged",
        };
        // The merge base: the newest commit both reach.
        let merge_base = behind_base
            .iter()
            .filter(|sha| behind_head.contains(*sha))
            .max_by_key(|sha| r.commits[*sha].date)
            .cloned()
            .unwrap_or_else(|| from.clone());
        let mut files: Vec<&FileChange> = Vec::new();
        for sha in &ahead {
            for f in &r.commits[*sha].files {
                files.retain(|g| g.filename != f.filename);
                files.push(f);
            }
        }
        let full = r.full_name();
        let commits: Vec<Value> = ahead
            .iter()
            .map(|sha| json::commit(base, r, sha, &r.commits[*sha], false))
            .collect();
        Json(json!({
            "url": format!("{base}/repos/{full}/compare/{basehead}"),
            "html_url": format!("{base}/{full}/compare/{basehead}"),
            "permalink_url": format!("{base}/{full}/compare/{owner}:{from}...{owner}:{to}"),
            "diff_url": format!("{base}/{full}/compare/{basehead}.diff"),
            "patch_url": format!("{base}/{full}/compare/{basehead}.patch"),
            "base_commit": json::commit(base, r, &from, from_commit, false),
            "merge_base_commit": json::commit(base, r, &merge_base, &r.commits[&merge_base], false),
            "status": status,
            "ahead_by": ahead.len(),
            "behind_by": behind_by,
            "total_commits": ahead.len(),
            "commits": commits,
            "files": files.iter().map(|f| json::diff_entry(base, r, &to, f)).collect::<Vec<_>>(),
        }))
        .into_response()
    })
}

/// Every commit `sha` reaches through its parents, itself included.
fn ancestors(r: &RepoState, sha: &str) -> std::collections::HashSet<String> {
    let mut seen = std::collections::HashSet::new();
    let mut todo = vec![sha.to_string()];
    while let Some(next) = todo.pop() {
        if let Some(c) = r.commits.get(&next)
            && seen.insert(next)
        {
            todo.extend(c.parents.iter().cloned());
        }
    }
    seen
}

// ---- issues, comments, timeline ---------------------------------------------------------

fn issue_json_for_pull(base: &str, r: &RepoState, p: &PullState) -> Value {
    let as_issue = IssueState {
        id: p.id,
        number: p.number,
        title: p.title.clone(),
        body: p.body.clone(),
        state: if p.state == "open" {
            "open".into()
        } else {
            "closed".into()
        },
        labels: p.labels.clone(),
        assignees: Vec::new(),
        user: p.user.clone(),
        created_at: p.created_at,
        updated_at: p.updated_at,
        closed_at: p.merged_at,
        state_reason: None,
        comments: Vec::new(),
        timeline: Vec::new(),
    };
    let mut v = json::issue(base, r, &as_issue);
    v["pull_request"] = json!({
        "url": format!("{base}/repos/{}/pulls/{}", r.full_name(), p.number),
        "html_url": format!("{base}/{}/pull/{}", r.full_name(), p.number),
        "diff_url": format!("{base}/{}/pull/{}.diff", r.full_name(), p.number),
        "patch_url": format!("{base}/{}/pull/{}.patch", r.full_name(), p.number),
        "merged_at": p.merged_at.map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string()),
    });
    v
}

async fn list_issues(
    State(sim): Sim,
    Path((owner, repo)): Path<(String, String)>,
    Query(q): Params,
) -> Response {
    with_repo(&sim, &owner, &repo, |r, base| {
        let state = q.get("state").map(String::as_str).unwrap_or("open");
        let wanted: Vec<&str> = q
            .get("labels")
            .map(|l| {
                l.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        let state_ok = |s: &str| state == "all" || s == state;
        let labels_ok = |labels: &[String]| {
            wanted
                .iter()
                .all(|w| labels.iter().any(|l| l.eq_ignore_ascii_case(w)))
        };
        let mut items: Vec<(chrono::DateTime<Utc>, Value)> = r
            .issues
            .iter()
            .filter(|i| state_ok(&i.state) && labels_ok(&i.labels))
            .map(|i| (i.created_at, json::issue(base, r, i)))
            .collect();
        items.extend(
            r.pulls
                .iter()
                .filter(|p| {
                    state_ok(if p.state == "open" { "open" } else { "closed" })
                        && labels_ok(&p.labels)
                })
                .map(|p| (p.created_at, issue_json_for_pull(base, r, p))),
        );
        items.sort_by_key(|item| std::cmp::Reverse(item.0));
        let items = items.into_iter().map(|(_, v)| v).collect();
        paged(
            items,
            &q,
            &format!("/repos/{owner}/{repo}/issues"),
            base,
            None,
        )
    })
}

async fn get_issue(
    State(sim): Sim,
    Path((owner, repo, number)): Path<(String, String, u64)>,
) -> Response {
    with_repo(&sim, &owner, &repo, |r, base| {
        if let Some(i) = r.issues.iter().find(|i| i.number == number) {
            return Json(json::issue(base, r, i)).into_response();
        }
        match r.pulls.iter().find(|p| p.number == number) {
            Some(p) => Json(issue_json_for_pull(base, r, p)).into_response(),
            None => not_found(),
        }
    })
}

fn string_list(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().or_else(|| x.get("name").and_then(Value::as_str)))
                .map(String::from)
                .collect()
        })
        .unwrap_or_default()
}

async fn create_issue(
    State(sim): Sim,
    Path((owner, repo)): Path<(String, String)>,
    body: Option<Json<Value>>,
) -> Response {
    let Some(Json(body)) = body else {
        return error(StatusCode::BAD_REQUEST, "Problems parsing JSON");
    };
    let Some(title) = body
        .get("title")
        .and_then(Value::as_str)
        .filter(|t| !t.trim().is_empty())
    else {
        return unprocessable("Validation Failed: title is missing");
    };
    let title = title.to_string();
    let text = body
        .get("body")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let labels = string_list(body.get("labels"));
    let assignees = string_list(body.get("assignees"));
    let author = sim.author();
    with_repo_mut(&sim, &owner, &repo, |world, ri, base| {
        let id = world.next_id();
        let label_ids: Vec<u64> = labels.iter().map(|_| world.next_id()).collect();
        let now = Utc::now();
        let r = &mut world.repos[ri];
        let number = r.next_number;
        r.next_number += 1;
        for l in &labels {
            r.labels.insert(l.clone());
        }
        let timeline = labels
            .iter()
            .zip(label_ids)
            .map(|(l, id)| TimelineState::Labeled {
                id,
                label: l.clone(),
                at: now,
            })
            .collect();
        r.issues.push(IssueState {
            id,
            number,
            title,
            body: text,
            state: "open".into(),
            labels,
            assignees,
            user: author,
            created_at: now,
            updated_at: now,
            closed_at: None,
            state_reason: None,
            comments: Vec::new(),
            timeline,
        });
        let r = &world.repos[ri];
        let issue = r.issues.last().expect("just pushed");
        let mut response = created(json::issue(base, r, issue));
        if let Ok(v) =
            HeaderValue::from_str(&format!("{base}/repos/{}/issues/{number}", r.full_name()))
        {
            response.headers_mut().insert(header::LOCATION, v);
        }
        response
    })
}

async fn update_issue(
    State(sim): Sim,
    Path((owner, repo, number)): Path<(String, String, u64)>,
    body: Option<Json<Value>>,
) -> Response {
    let Some(Json(body)) = body else {
        return error(StatusCode::BAD_REQUEST, "Problems parsing JSON");
    };
    with_repo_mut(&sim, &owner, &repo, |world, ri, base| {
        let event_id = world.next_id();
        let now = Utc::now();
        let r = &mut world.repos[ri];
        let Some(issue) = r.issues.iter_mut().find(|i| i.number == number) else {
            return not_found();
        };
        if let Some(t) = body.get("title").and_then(Value::as_str) {
            issue.title = t.into();
        }
        if let Some(b) = body.get("body").and_then(Value::as_str) {
            issue.body = b.into();
        }
        if body.get("labels").is_some() {
            issue.labels = string_list(body.get("labels"));
        }
        let reason = body.get("state_reason").and_then(Value::as_str);
        if let Some(reason) = reason
            && !matches!(
                reason,
                "completed" | "not_planned" | "duplicate" | "reopened"
            )
        {
            return unprocessable(&format!("state_reason is not a valid value: {reason}"));
        }
        match body.get("state").and_then(Value::as_str) {
            Some("closed") if issue.state != "closed" => {
                issue.state = "closed".into();
                issue.closed_at = Some(now);
                issue.state_reason = Some(reason.unwrap_or("completed").into());
                issue.timeline.push(TimelineState::Closed {
                    id: event_id,
                    at: now,
                });
            }
            Some("open") => {
                issue.state = "open".into();
                issue.closed_at = None;
                issue.state_reason = None;
            }
            _ => {}
        }
        issue.updated_at = now;
        let labels = issue.labels.clone();
        r.labels.extend(labels);
        let r = &world.repos[ri];
        let issue = r
            .issues
            .iter()
            .find(|i| i.number == number)
            .expect("found above");
        Json(json::issue(base, r, issue)).into_response()
    })
}

/// `DELETE /issues/comments/{id}`: 204, or 404 for a comment that is not there.
async fn delete_comment(
    State(sim): Sim,
    Path((owner, repo, comment_id)): Path<(String, String, u64)>,
) -> Response {
    with_repo_mut(&sim, &owner, &repo, |world, ri, _| {
        for issue in &mut world.repos[ri].issues {
            if let Some(at) = issue.comments.iter().position(|c| c.id == comment_id) {
                issue.comments.remove(at);
                return StatusCode::NO_CONTENT.into_response();
            }
        }
        not_found()
    })
}

async fn list_comments(
    State(sim): Sim,
    Path((owner, repo, number)): Path<(String, String, u64)>,
    Query(q): Params,
) -> Response {
    with_repo(&sim, &owner, &repo, |r, base| {
        match r.issues.iter().find(|i| i.number == number) {
            Some(i) => {
                let items = i
                    .comments
                    .iter()
                    .map(|c| json::comment(base, r, number, c))
                    .collect();
                paged(
                    items,
                    &q,
                    &format!("/repos/{owner}/{repo}/issues/{number}/comments"),
                    base,
                    None,
                )
            }
            None if r.pulls.iter().any(|p| p.number == number) => Json(json!([])).into_response(),
            None => not_found(),
        }
    })
}

/// Records a Copilot request for an issue, once: a later trigger for the same issue (the
/// comment, then the assignment) is the same request.
fn request_copilot(
    r: &mut RepoState,
    issue: Option<u64>,
    prompt: &str,
    via: CopilotVia,
    task_id: Option<String>,
) {
    if let Some(n) = issue
        && let Some(existing) = r.copilot.iter_mut().find(|c| c.issue_number == Some(n))
    {
        if existing.task_id.is_none() {
            existing.task_id = task_id;
        }
        if existing.pull_number.is_none() {
            existing.via = via;
        }
        return;
    }
    let base_ref = r.default_branch.clone();
    r.copilot.push(CopilotRequest {
        issue_number: issue,
        prompt: prompt.into(),
        base_ref,
        at: Utc::now(),
        via,
        task_id,
        pull_number: None,
    });
}

async fn create_comment(
    State(sim): Sim,
    Path((owner, repo, number)): Path<(String, String, u64)>,
    body: Option<Json<Value>>,
) -> Response {
    let Some(Json(body)) = body else {
        return error(StatusCode::BAD_REQUEST, "Problems parsing JSON");
    };
    let Some(text) = body
        .get("body")
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty())
    else {
        return unprocessable("Validation Failed: body is missing");
    };
    let text = text.to_string();
    let author = sim.author();
    with_repo_mut(&sim, &owner, &repo, |world, ri, base| {
        let id = world.next_id();
        let now = Utc::now();
        let r = &mut world.repos[ri];
        let Some(issue) = r.issues.iter_mut().find(|i| i.number == number) else {
            return not_found();
        };
        issue.comments.push(CommentState {
            id,
            body: text.clone(),
            user: author,
            created_at: now,
        });
        issue
            .timeline
            .push(TimelineState::Commented { comment_id: id });
        issue.updated_at = now;
        if is_copilot_trigger(&text) {
            request_copilot(r, Some(number), &text, CopilotVia::Comment, None);
        }
        let r = &world.repos[ri];
        let issue = r
            .issues
            .iter()
            .find(|i| i.number == number)
            .expect("found above");
        let comment = issue.comments.last().expect("just pushed");
        created(json::comment(base, r, number, comment))
    })
}

async fn add_assignees(
    State(sim): Sim,
    Path((owner, repo, number)): Path<(String, String, u64)>,
    body: Option<Json<Value>>,
) -> Response {
    let Some(Json(body)) = body else {
        return error(StatusCode::BAD_REQUEST, "Problems parsing JSON");
    };
    let logins = string_list(body.get("assignees"));
    with_repo_mut(&sim, &owner, &repo, |world, ri, base| {
        let ids: Vec<u64> = logins.iter().map(|_| world.next_id()).collect();
        let now = Utc::now();
        let r = &mut world.repos[ri];
        let Some(issue) = r.issues.iter_mut().find(|i| i.number == number) else {
            return not_found();
        };
        let mut copilot = false;
        for (login, id) in logins.iter().zip(ids) {
            if !issue.assignees.contains(login) {
                issue.assignees.push(login.clone());
                issue.timeline.push(TimelineState::Assigned {
                    id,
                    login: login.clone(),
                    at: now,
                });
            }
            copilot |= is_copilot_agent(login);
        }
        let prompt = issue.body.clone();
        if copilot {
            request_copilot(r, Some(number), &prompt, CopilotVia::Assignment, None);
        }
        let r = &world.repos[ri];
        let issue = r
            .issues
            .iter()
            .find(|i| i.number == number)
            .expect("found above");
        created(json::issue(base, r, issue))
    })
}

async fn add_labels(
    State(sim): Sim,
    Path((owner, repo, number)): Path<(String, String, u64)>,
    body: Option<Json<Value>>,
) -> Response {
    let Some(Json(body)) = body else {
        return error(StatusCode::BAD_REQUEST, "Problems parsing JSON");
    };
    let labels = match &body {
        Value::Array(_) => string_list(Some(&body)),
        _ => string_list(body.get("labels")),
    };
    with_repo_mut(&sim, &owner, &repo, |world, ri, base| {
        let ids: Vec<u64> = labels.iter().map(|_| world.next_id()).collect();
        let now = Utc::now();
        let r = &mut world.repos[ri];
        let all = if let Some(issue) = r.issues.iter_mut().find(|i| i.number == number) {
            for (l, id) in labels.iter().zip(ids) {
                if !issue.labels.contains(l) {
                    issue.labels.push(l.clone());
                    issue.timeline.push(TimelineState::Labeled {
                        id,
                        label: l.clone(),
                        at: now,
                    });
                }
            }
            issue.labels.clone()
        } else if let Some(p) = r.pulls.iter_mut().find(|p| p.number == number) {
            for l in &labels {
                if !p.labels.contains(l) {
                    p.labels.push(l.clone());
                }
            }
            p.labels.clone()
        } else {
            return not_found();
        };
        r.labels.extend(labels);
        let r = &world.repos[ri];
        Json(Value::Array(
            all.iter().map(|l| json::label(base, r, l)).collect(),
        ))
        .into_response()
    })
}

async fn timeline(
    State(sim): Sim,
    Path((owner, repo, number)): Path<(String, String, u64)>,
    Query(q): Params,
) -> Response {
    with_repo(&sim, &owner, &repo, |r, base| {
        let Some(issue) = r.issues.iter().find(|i| i.number == number) else {
            return not_found();
        };
        let stamp = |t: chrono::DateTime<Utc>| t.format("%Y-%m-%dT%H:%M:%SZ").to_string();
        let event = |id: u64, kind: &str, at: chrono::DateTime<Utc>| {
            json!({
                "id": id,
                "node_id": format!("E_{id}"),
                "url": format!("{base}/repos/{}/issues/events/{id}", r.full_name()),
                "actor": json::user(base, "octocat"),
                "event": kind,
                "commit_id": null,
                "commit_url": null,
                "created_at": stamp(at),
                "performed_via_github_app": null,
            })
        };
        let items = issue
            .timeline
            .iter()
            .filter_map(|t| match t {
                TimelineState::Labeled { id, label, at } => {
                    let mut v = event(*id, "labeled", *at);
                    v["label"] = json!({"name": label, "color": "1d76db"});
                    Some(v)
                }
                TimelineState::Assigned { id, login, at } => {
                    let mut v = event(*id, "assigned", *at);
                    v["assignee"] = json::user(base, login);
                    Some(v)
                }
                TimelineState::Closed { id, at } => Some(event(*id, "closed", *at)),
                TimelineState::Commented { comment_id } => {
                    let c = issue.comments.iter().find(|c| c.id == *comment_id)?;
                    let mut v = json::comment(base, r, number, c);
                    v["event"] = json!("commented");
                    v["actor"] = json::user(base, &c.user);
                    Some(v)
                }
                TimelineState::CrossReferenced { pull_number, at } => {
                    let p = r.pulls.iter().find(|p| p.number == *pull_number)?;
                    let mut source_issue = issue_json_for_pull(base, r, p);
                    source_issue["repository"] = json::repository(base, r, false);
                    Some(json!({
                        "event": "cross-referenced",
                        "actor": json::user(base, &p.user),
                        "created_at": stamp(*at),
                        "updated_at": stamp(*at),
                        "source": {"type": "issue", "issue": source_issue},
                    }))
                }
            })
            .collect();
        paged(
            items,
            &q,
            &format!("/repos/{owner}/{repo}/issues/{number}/timeline"),
            base,
            None,
        )
    })
}

// ---- git refs, pulls, contents ------------------------------------------------------------

async fn get_ref(
    State(sim): Sim,
    Path((owner, repo, git_ref)): Path<(String, String, String)>,
) -> Response {
    with_repo(&sim, &owner, &repo, |r, base| {
        let Some(branch) = git_ref.strip_prefix("heads/") else {
            return not_found();
        };
        match r.branches.get(branch) {
            Some(sha) => Json(json::git_ref(base, r, branch, sha)).into_response(),
            None => not_found(),
        }
    })
}

async fn matching_refs(
    State(sim): Sim,
    Path((owner, repo, git_ref)): Path<(String, String, String)>,
) -> Response {
    with_repo(&sim, &owner, &repo, |r, base| {
        let Some(prefix) = git_ref.strip_prefix("heads/") else {
            return Json(json!([])).into_response();
        };
        let items: Vec<Value> = r
            .branches
            .iter()
            .filter(|(b, _)| b.starts_with(prefix))
            .map(|(b, sha)| json::git_ref(base, r, b, sha))
            .collect();
        Json(Value::Array(items)).into_response()
    })
}

async fn create_ref(
    State(sim): Sim,
    Path((owner, repo)): Path<(String, String)>,
    body: Option<Json<Value>>,
) -> Response {
    let Some(Json(body)) = body else {
        return error(StatusCode::BAD_REQUEST, "Problems parsing JSON");
    };
    let (Some(full), Some(sha)) = (
        body.get("ref").and_then(Value::as_str),
        body.get("sha").and_then(Value::as_str),
    ) else {
        return unprocessable("Invalid request: \"ref\" and \"sha\" are required");
    };
    let Some(branch) = full.strip_prefix("refs/heads/").filter(|b| !b.is_empty()) else {
        return unprocessable(
            "Reference name must start with 'refs/' and have at least two slashes",
        );
    };
    if sha.len() != 40 || !sha.bytes().all(|b| b.is_ascii_hexdigit()) {
        return unprocessable("Object does not exist");
    }
    let (branch, sha) = (branch.to_string(), sha.to_string());
    with_repo_mut(&sim, &owner, &repo, |world, ri, base| {
        let r = &mut world.repos[ri];
        if r.branches.contains_key(&branch) {
            return unprocessable("Reference already exists");
        }
        r.branches.insert(branch.clone(), sha.clone());
        r.commits
            .entry(sha.clone())
            .or_insert_with(|| CommitState::at(Utc::now()));
        let r = &world.repos[ri];
        created(json::git_ref(base, r, &branch, &sha))
    })
}

async fn delete_ref(
    State(sim): Sim,
    Path((owner, repo, git_ref)): Path<(String, String, String)>,
) -> Response {
    with_repo_mut(&sim, &owner, &repo, |world, ri, _| {
        let r = &mut world.repos[ri];
        let Some(branch) = git_ref.strip_prefix("heads/") else {
            return unprocessable("Reference does not exist");
        };
        if branch == r.default_branch {
            return unprocessable("Cannot delete the default branch");
        }
        match r.branches.remove(branch) {
            Some(_) => StatusCode::NO_CONTENT.into_response(),
            None => unprocessable("Reference does not exist"),
        }
    })
}

async fn list_pulls(
    State(sim): Sim,
    Path((owner, repo)): Path<(String, String)>,
    Query(q): Params,
) -> Response {
    with_repo(&sim, &owner, &repo, |r, base| {
        let state = q.get("state").map(String::as_str).unwrap_or("open");
        let head = q.get("head").map(|h| match h.split_once(':') {
            Some((o, b)) => (Some(o.to_string()), b.to_string()),
            None => (None, h.clone()),
        });
        let mut pulls: Vec<&PullState> = r
            .pulls
            .iter()
            .filter(|p| state == "all" || p.state == state)
            .filter(|p| match &head {
                // As on GitHub, a head filter needs `owner:branch`; a bare name matches nothing.
                Some((Some(o), b)) => o.eq_ignore_ascii_case(&r.owner) && &p.head_ref == b,
                Some((None, _)) => true,
                None => true,
            })
            .filter(|p| q.get("base").is_none_or(|b| &p.base_ref == b))
            .collect();
        pulls.sort_by_key(|p| std::cmp::Reverse(p.created_at));
        let items = pulls
            .into_iter()
            .map(|p| json::pull(base, r, p, false))
            .collect();
        paged(
            items,
            &q,
            &format!("/repos/{owner}/{repo}/pulls"),
            base,
            None,
        )
    })
}

async fn get_pull(
    State(sim): Sim,
    Path((owner, repo, number)): Path<(String, String, u64)>,
) -> Response {
    with_repo(&sim, &owner, &repo, |r, base| {
        match r.pulls.iter().find(|p| p.number == number) {
            Some(p) => Json(json::pull(base, r, p, true)).into_response(),
            None => not_found(),
        }
    })
}

async fn get_content(
    State(sim): Sim,
    Path((owner, repo, path)): Path<(String, String, String)>,
    Query(q): Params,
) -> Response {
    with_repo(&sim, &owner, &repo, |r, base| {
        if let Some(git_ref) = q.get("ref")
            && !r.branches.contains_key(git_ref)
            && !r.commits.contains_key(git_ref)
        {
            return not_found();
        }
        match r.files.get(&path) {
            Some(text) => Json(json::content_file(base, r, &path, text)).into_response(),
            None => not_found(),
        }
    })
}

async fn list_reviews(
    State(sim): Sim,
    Path((owner, repo, number)): Path<(String, String, u64)>,
    Query(q): Params,
) -> Response {
    with_repo(&sim, &owner, &repo, |r, base| {
        let Some(p) = r.pulls.iter().find(|p| p.number == number) else {
            return not_found();
        };
        let items = p
            .reviews
            .iter()
            .enumerate()
            .map(|(i, (login, state))| {
                json!({
                    "id": p.id * 10 + i as u64,
                    "node_id": format!("PRR_{}", p.id * 10 + i as u64),
                    "user": json::user(base, login),
                    "body": "",
                    "state": state,
                    "html_url": format!("{base}/{}/pull/{number}#review", r.full_name()),
                    "pull_request_url": format!("{base}/repos/{}/pulls/{number}", r.full_name()),
                    "_links": {"html": {"href": ""}, "pull_request": {"href": ""}},
                    "submitted_at": p.updated_at.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
                    "commit_id": p.head_sha,
                    "author_association": "MEMBER",
                })
            })
            .collect();
        paged(
            items,
            &q,
            &format!("/repos/{owner}/{repo}/pulls/{number}/reviews"),
            base,
            None,
        )
    })
}

// ---- Copilot agent tasks -------------------------------------------------------------------

async fn create_task(
    State(sim): Sim,
    Path((owner, repo)): Path<(String, String)>,
    headers: HeaderMap,
    body: Option<Json<Value>>,
) -> Response {
    let Some(Json(body)) = body else {
        return error(StatusCode::BAD_REQUEST, "Problems parsing JSON");
    };
    // The task API takes user-to-server tokens only; Actions installation tokens are refused.
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if token.contains("ghs_") {
        return error(
            StatusCode::FORBIDDEN,
            "Resource not accessible by integration",
        );
    }
    let Some(prompt) = body
        .get("prompt")
        .and_then(Value::as_str)
        .filter(|p| !p.trim().is_empty())
    else {
        return unprocessable("Validation Failed: prompt is required");
    };
    let prompt = prompt.to_string();
    let model = body.get("model").and_then(Value::as_str).map(String::from);
    with_repo_mut(&sim, &owner, &repo, |world, ri, base| {
        let n = world.next_id();
        let id = format!(
            "{:08x}-{:04x}-4{:03x}-a{:03x}-{:012x}",
            n,
            n % 0xffff,
            n % 0xfff,
            (n / 7) % 0xfff,
            n * 31
        );
        let now = Utc::now();
        let r = &mut world.repos[ri];
        let base_ref = body
            .get("base_ref")
            .and_then(Value::as_str)
            .unwrap_or(&r.default_branch)
            .to_string();
        r.tasks.push(TaskState {
            id: id.clone(),
            prompt: prompt.clone(),
            base_ref,
            model,
            created_at: now,
        });
        let issue = issue_reference(&prompt).filter(|n| r.issues.iter().any(|i| i.number == *n));
        request_copilot(r, issue, &prompt, CopilotVia::Task, Some(id.clone()));
        let options = world.options.clone();
        let r = &world.repos[ri];
        created(task_json(
            base,
            r,
            r.tasks.last().expect("just pushed"),
            &options,
        ))
    })
}

/// `Tracking issue: #12` or the first `#12` in a prompt.
fn issue_reference(prompt: &str) -> Option<u64> {
    prompt.split('#').skip(1).find_map(|rest| {
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        digits.parse().ok()
    })
}

fn task_json(base: &str, r: &RepoState, t: &TaskState, options: &WorldOptions) -> Value {
    let request = r
        .copilot
        .iter()
        .find(|c| c.task_id.as_deref() == Some(&t.id));
    let pull = request
        .and_then(|c| c.pull_number)
        .and_then(|n| r.pulls.iter().find(|p| p.number == n));
    let half = chrono::TimeDelta::from_std(options.copilot_delay / 2).unwrap_or_default();
    let state = match pull {
        Some(_) => "completed",
        None if Utc::now() < t.created_at + half => "queued",
        None => "in_progress",
    };
    let artifacts: Vec<Value> = pull
        .map(|p| {
            vec![
                json!({"provider": "github", "type": "pull", "data": {"id": p.id}}),
                json!({"provider": "github", "type": "branch", "data": {"head_ref": p.head_ref, "base_ref": p.base_ref}}),
            ]
        })
        .unwrap_or_default();
    let stamp = |d: chrono::DateTime<Utc>| d.format("%Y-%m-%dT%H:%M:%SZ").to_string();
    json!({
        "id": t.id,
        "url": format!("{base}/agents/repos/{}/tasks/{}", r.full_name(), t.id),
        "html_url": format!("{base}/{}/copilot/tasks/{}", r.full_name(), t.id),
        "name": t.prompt.lines().next().unwrap_or("").chars().take(80).collect::<String>(),
        "creator": {"id": 583231},
        "creator_type": "user",
        "owner": {"id": 583231},
        "repository": {"id": r.id},
        "state": state,
        "session_count": 1,
        "artifacts": artifacts,
        "archived_at": null,
        "created_at": stamp(t.created_at),
        "updated_at": stamp(pull.map_or(t.created_at, |p| p.created_at)),
        "base_ref": t.base_ref,
        "model": t.model,
    })
}

async fn get_task(
    State(sim): Sim,
    Path((owner, repo, task_id)): Path<(String, String, String)>,
) -> Response {
    let options = sim.world().options.clone();
    with_repo(&sim, &owner, &repo, |r, base| {
        match r.tasks.iter().find(|t| t.id == task_id) {
            Some(t) => Json(task_json(base, r, t, &options)).into_response(),
            None => not_found(),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issue_references_are_found_in_prompts() {
        assert_eq!(issue_reference("Fix it.\nTracking issue: #12\n"), Some(12));
        assert_eq!(issue_reference("no issue here"), None);
        assert_eq!(issue_reference("# heading then #7"), Some(7));
    }
}
