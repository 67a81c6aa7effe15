//! Copilot agent tasks: the request autoheal sends instead of an assignment, and its state.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use serde_json::{Value, json};

use super::Sim;
use super::answers::*;
use super::issues::request_copilot;
use crate::sim::world::*;

pub(super) async fn create_task(
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

pub(super) async fn get_task(
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
