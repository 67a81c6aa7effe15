//! Issues, their comments, assignees, labels and timeline; an assignment to Copilot starts
//! its work here, as on GitHub.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use serde_json::{Value, json};

use super::answers::*;
use super::{Params, Sim};
use crate::sim::copilot::{is_copilot_agent, is_copilot_trigger};
use crate::sim::json;
use crate::sim::world::*;

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

pub(super) async fn list_issues(
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

pub(super) async fn get_issue(
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

pub(super) async fn create_issue(
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

pub(super) async fn update_issue(
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
pub(super) async fn delete_comment(
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

pub(super) async fn list_comments(
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
pub(super) fn request_copilot(
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

pub(super) async fn create_comment(
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

pub(super) async fn add_assignees(
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

pub(super) async fn add_labels(
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

pub(super) async fn timeline(
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
