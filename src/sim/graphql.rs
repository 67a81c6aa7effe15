//! GraphQL, at `/graphql` on github.com and `/api/graphql` on Enterprise Server: the operations
//! autoheal sends, answered as GitHub answers them (`data` beside `errors`, a field that cannot
//! be resolved `null` with an error whose `path` names it). This is not a GraphQL engine: an
//! operation it does not know gets GitHub's answer to a query it cannot run.
//!
//! - `markPullRequestReadyForReview` (a mutation; REST has no such endpoint);
//! - `AutohealFiles`: one file at the default branch of many repositories, one aliased
//!   `repository(owner:, name:) { object(expression:) { ... on Blob } }` each;
//! - `AutohealFailedJobs`: `nodes(ids:)` of workflow runs, each run's check suite's failed
//!   check runs (its jobs) with their steps.

use std::sync::{Arc, LazyLock};

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use chrono::Utc;
use regex::Regex;
use serde_json::{Value, json};

use super::Shared;
use super::json::{opt_ts, ts};
use super::world::{JobState, RunState, World};

type Sim = State<Arc<Shared>>;

/// The GraphQL endpoint at `path`.
pub fn router(shared: Arc<Shared>, path: &str) -> Router {
    Router::new().route(path, post(request)).with_state(shared)
}

async fn request(State(sim): Sim, body: Option<Json<Value>>) -> Response {
    let Some(Json(body)) = body else {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"message": "Problems parsing JSON"})),
        )
            .into_response();
    };
    let query = body.get("query").and_then(Value::as_str).unwrap_or("");
    let variables = &body["variables"];
    let answer = if query.contains("markPullRequestReadyForReview") {
        mark_ready(&mut sim.world(), variables)
    } else if query.starts_with("query AutohealFiles(") {
        files(&sim.world(), query, variables)
    } else if query.starts_with("query AutohealFailedJobs(") {
        failed_jobs(&sim.world(), &sim.base_url(), query, variables)
    } else {
        json!({"errors": [{"message": "the simulator does not know this operation"}]})
    };
    Json(answer).into_response()
}

fn not_found(path: &str, message: String) -> Value {
    json!({"type": "NOT_FOUND", "path": [path], "message": message})
}

fn mark_ready(world: &mut World, variables: &Value) -> Value {
    let id = variables["id"].as_str().unwrap_or("");
    for r in &mut world.repos {
        if let Some(p) = r
            .pulls
            .iter_mut()
            .find(|p| format!("PR_kwDO{}", p.id) == id)
        {
            p.draft = false;
            p.updated_at = Utc::now();
            return json!({"data": {"markPullRequestReadyForReview": {"pullRequest": {"isDraft": false}}}});
        }
    }
    json!({"data": null, "errors": [not_found("markPullRequestReadyForReview", format!("Could not resolve to a node with the global id of '{id}'"))]})
}

/// `rN: repository(owner: $oN, name: $nN) { object(expression: $expression) ... }`.
static REPOSITORY_FIELD: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(
        r"(\w+): repository\(owner: \$(\w+), name: \$(\w+)\) \{ object\(expression: \$(\w+)\)",
    )
    .ok()
});

fn files(world: &World, query: &str, variables: &Value) -> Value {
    let mut data = serde_json::Map::new();
    let mut errors = Vec::new();
    let fields = REPOSITORY_FIELD
        .iter()
        .flat_map(|re| re.captures_iter(query));
    for field in fields {
        let (alias, owner, name, expression) = (&field[1], &field[2], &field[3], &field[4]);
        let owner = variables[owner].as_str().unwrap_or("");
        let name = variables[name].as_str().unwrap_or("");
        let Some(repo) = world.repo(owner, name) else {
            data.insert(alias.into(), Value::Null);
            errors.push(not_found(
                alias,
                format!("Could not resolve to a Repository with the name '{owner}/{name}'."),
            ));
            continue;
        };
        // `HEAD:path`: the file at the default branch (the simulator keeps one version).
        let object = variables[expression]
            .as_str()
            .and_then(|e| e.strip_prefix("HEAD:"))
            .and_then(|path| repo.files.get(path))
            .map_or(
                Value::Null,
                |text| json!({"text": text, "isBinary": false, "isTruncated": false}),
            );
        data.insert(alias.into(), json!({ "object": object }));
    }
    let mut answer = json!({ "data": data });
    if !errors.is_empty() {
        answer["errors"] = Value::Array(errors);
    }
    answer
}

/// `first: N` of the connection `name` in `query`.
fn first_of(query: &str, name: &str) -> usize {
    let after = format!("{name}(first: ");
    query
        .split_once(&after)
        .and_then(|(_, rest)| {
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            digits.parse().ok()
        })
        .unwrap_or(100)
}

fn failed_jobs(world: &World, base: &str, query: &str, variables: &Value) -> Value {
    let (jobs_first, steps_first) = (first_of(query, "checkRuns"), first_of(query, "steps"));
    let mut nodes = Vec::new();
    let mut errors = Vec::new();
    let ids = variables["ids"].as_array().cloned().unwrap_or_default();
    for (i, id) in ids.iter().enumerate() {
        let id = id.as_str().unwrap_or("");
        let found = id
            .strip_prefix("WFR_kwLO")
            .and_then(|n| n.parse::<u64>().ok())
            .and_then(|n| {
                world
                    .repos
                    .iter()
                    .find_map(|r| Some((r, r.runs.iter().find(|run| run.id == n)?)))
            });
        match found {
            Some((repo, run)) => {
                let repo_page = format!("{base}/{}", repo.full_name());
                let page = format!("{repo_page}/actions/runs/{}", run.id);
                nodes.push(run_node(
                    run,
                    (&page, &repo_page),
                    (jobs_first, steps_first),
                ));
            }
            None => {
                nodes.push(Value::Null);
                errors.push(json!({"type": "NOT_FOUND", "path": ["nodes", i],
                    "message": format!("Could not resolve to a node with the global id of '{id}'")}));
            }
        }
    }
    let mut answer = json!({"data": {"nodes": nodes}});
    if !errors.is_empty() {
        answer["errors"] = Value::Array(errors);
    }
    answer
}

/// A run as `... on WorkflowRun`, with at most `first` failed jobs and steps of each; `page`
/// is the run's web page (the jobs' `detailsUrl` under it), `repo_page` the repository's (a
/// check run's `url` is `…/runs/ID` under it).
fn run_node(
    run: &RunState,
    (page, repo_page): (&str, &str),
    (jobs_first, steps_first): (usize, usize),
) -> Value {
    let failed: Vec<&JobState> = run
        .jobs
        .iter()
        // The simulator keeps one job a name, updated by each attempt: the latest.
        .filter(|j| {
            matches!(
                j.conclusion.as_deref(),
                Some("failure" | "timed_out" | "startup_failure")
            )
        })
        .collect();
    let upper = |s: Option<&str>| s.map_or(Value::Null, |s| json!(s.to_ascii_uppercase()));
    let check_runs: Vec<Value> = failed
        .iter()
        .take(jobs_first)
        .map(|j| {
            let steps: Vec<Value> = j
                .steps
                .iter()
                .take(steps_first)
                .map(|s| {
                    json!({
                        "name": s.name, "number": s.number,
                        "status": upper(Some(&s.status)), "conclusion": upper(s.conclusion.as_deref()),
                        "startedAt": opt_ts(s.started_at), "completedAt": opt_ts(s.completed_at),
                    })
                })
                .collect();
            json!({
                "url": format!("{}/runs/{}", repo_page, j.id),
                "name": j.name,
                "status": upper(Some(&j.status)),
                "conclusion": upper(j.conclusion.as_deref()),
                "startedAt": ts(j.started_at),
                "completedAt": opt_ts(j.completed_at),
                "detailsUrl": format!("{page}/job/{}", j.id),
                "steps": {"pageInfo": {"hasNextPage": j.steps.len() > steps_first}, "nodes": steps},
            })
        })
        .collect();
    json!({
        "id": format!("WFR_kwLO{}", run.id),
        "checkSuite": {"checkRuns": {
            "pageInfo": {"hasNextPage": failed.len() > jobs_first},
            "nodes": check_runs,
        }},
    })
}
