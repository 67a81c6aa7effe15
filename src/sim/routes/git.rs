//! Git refs, pull requests and their reviews, and file contents.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use serde_json::{Value, json};

use super::answers::*;
use super::{Params, Sim};
use crate::sim::json;
use crate::sim::world::*;

pub(super) async fn get_ref(
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

pub(super) async fn matching_refs(
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

pub(super) async fn create_ref(
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

pub(super) async fn delete_ref(
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

pub(super) async fn list_pulls(
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

pub(super) async fn get_pull(
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

pub(super) async fn get_content(
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

pub(super) async fn list_reviews(
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
