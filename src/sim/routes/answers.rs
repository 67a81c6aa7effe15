//! The simulator's answers as GitHub gives them: errors, pages, a repository or 404.

use std::collections::HashMap;

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::sim::Shared;
use crate::sim::world::*;

pub(super) fn error(status: StatusCode, message: &str) -> Response {
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

pub(super) fn not_found() -> Response {
    error(StatusCode::NOT_FOUND, "Not Found")
}

pub(super) fn unprocessable(message: &str) -> Response {
    error(StatusCode::UNPROCESSABLE_ENTITY, message)
}

pub(super) fn created(v: Value) -> Response {
    (StatusCode::CREATED, Json(v)).into_response()
}

/// One page of a list, with GitHub's `Link` header. `wrap` names the array inside the
/// answer object (`workflow_runs`), or `None` for a bare array.
pub(super) fn paged(
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
pub(super) fn with_repo(
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

pub(super) fn with_repo_mut(
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
