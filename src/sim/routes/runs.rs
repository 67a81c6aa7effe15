//! Repositories, workflows, runs and jobs, their logs, check runs, commits and compares.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::answers::*;
use super::{Params, Sim};
use crate::sim::json;
use crate::sim::world::*;

pub(super) async fn rate_limit(State(sim): Sim) -> Response {
    let (remaining, reset) = sim.rate_limit_snapshot();
    let core =
        json!({"limit": 5000, "remaining": remaining, "reset": reset, "used": 5000 - remaining});
    Json(json!({
        "resources": {"core": core, "search": {"limit": 30, "remaining": 30, "reset": reset, "used": 0}},
        "rate": core,
    }))
    .into_response()
}

pub(super) async fn get_repo(
    State(sim): Sim,
    Path((owner, repo)): Path<(String, String)>,
) -> Response {
    with_repo(&sim, &owner, &repo, |r, base| {
        Json(json::repository(base, r, true)).into_response()
    })
}

/// An organisation's repositories (any owner with repositories here is an organisation).
pub(super) async fn list_org_repos(
    State(sim): Sim,
    Path(org): Path<String>,
    Query(q): Params,
) -> Response {
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

pub(super) async fn list_workflows(
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

pub(super) async fn list_runs(
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

pub(super) async fn list_workflow_runs(
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

pub(super) async fn get_run(
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

pub(super) async fn list_jobs(
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

pub(super) async fn list_attempt_jobs(
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
pub(super) async fn rerun_failed_jobs(
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
pub(super) async fn approve_run(
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

pub(super) async fn get_job(
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
pub(super) async fn job_logs(
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

pub(super) async fn job_log_blob(State(sim): Sim, Path(job_id): Path<u64>) -> Response {
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

pub(super) async fn annotations(
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

pub(super) async fn check_runs(
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

pub(super) async fn get_commit(
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
pub(super) async fn compare(
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
