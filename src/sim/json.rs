//! The simulator's state rendered as GitHub's JSON.
//!
//! Shapes follow GitHub's OpenAPI description (`@octokit/openapi`): every property the schema
//! requires is present (the conformance test in `tests/it/sim_conformance.rs` checks this against
//! `tests/fixtures/openapi/required/`). HTML links point at the simulator's own host, as they
//! would on a GitHub Enterprise server.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::world::*;

pub fn ts(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

pub fn opt_ts(t: Option<DateTime<Utc>>) -> Value {
    t.map_or(Value::Null, |t| Value::String(ts(t)))
}

/// Stable numeric id for a login, so the same user always has the same id.
fn user_id(login: &str) -> u64 {
    match login {
        "octocat" => 583231,
        "Copilot" => 198982749,
        "copilot-swe-agent[bot]" => 198982749,
        "github-actions[bot]" => 41898282,
        _ => {
            1_000
                + login
                    .bytes()
                    .fold(0u64, |h, b| h.wrapping_mul(31).wrapping_add(b.into()))
                    % 90_000_000
        }
    }
}

pub fn user(base: &str, login: &str) -> Value {
    let id = user_id(login);
    let bot = login.ends_with("[bot]") || login == "Copilot";
    // A bot's login has brackets (`dependabot[bot]`), which a URI may not hold raw: GitHub
    // percent-encodes them in every URL it builds from a login.
    let path = login.replace('[', "%5B").replace(']', "%5D");
    let url = format!("{base}/users/{path}");
    json!({
        "login": login,
        "id": id,
        "node_id": format!("MDQ6VXNlcj{id}"),
        "avatar_url": format!("{base}/avatars/u/{id}?v=4"),
        "gravatar_id": "",
        "url": url,
        "html_url": format!("{base}/{path}"),
        "followers_url": format!("{url}/followers"),
        "following_url": format!("{url}/following{{/other_user}}"),
        "gists_url": format!("{url}/gists{{/gist_id}}"),
        "starred_url": format!("{url}/starred{{/owner}}{{/repo}}"),
        "subscriptions_url": format!("{url}/subscriptions"),
        "organizations_url": format!("{url}/orgs"),
        "repos_url": format!("{url}/repos"),
        "events_url": format!("{url}/events{{/privacy}}"),
        "received_events_url": format!("{url}/received_events"),
        "type": if bot { "Bot" } else { "User" },
        "site_admin": false,
        "user_view_type": "public"
    })
}

/// The `minimal-repository` shape used inside runs, plus what `full-repository` adds.
pub fn repository(base: &str, repo: &RepoState, full: bool) -> Value {
    let api = format!("{base}/repos/{}", repo.full_name());
    let mut v = json!({
        "id": repo.id,
        "node_id": format!("R_kgDO{}", repo.id),
        "name": repo.name,
        "full_name": repo.full_name(),
        "owner": user(base, &repo.owner),
        "private": repo.private,
        "html_url": format!("{base}/{}", repo.full_name()),
        "description": repo.description,
        "fork": false,
        "url": api,
        "archive_url": format!("{api}/{{archive_format}}{{/ref}}"),
        "assignees_url": format!("{api}/assignees{{/user}}"),
        "blobs_url": format!("{api}/git/blobs{{/sha}}"),
        "branches_url": format!("{api}/branches{{/branch}}"),
        "collaborators_url": format!("{api}/collaborators{{/collaborator}}"),
        "comments_url": format!("{api}/comments{{/number}}"),
        "commits_url": format!("{api}/commits{{/sha}}"),
        "compare_url": format!("{api}/compare/{{base}}...{{head}}"),
        "contents_url": format!("{api}/contents/{{+path}}"),
        "contributors_url": format!("{api}/contributors"),
        "deployments_url": format!("{api}/deployments"),
        "downloads_url": format!("{api}/downloads"),
        "events_url": format!("{api}/events"),
        "forks_url": format!("{api}/forks"),
        "git_commits_url": format!("{api}/git/commits{{/sha}}"),
        "git_refs_url": format!("{api}/git/refs{{/sha}}"),
        "git_tags_url": format!("{api}/git/tags{{/sha}}"),
        "git_url": format!("git://{}/{}.git", base.trim_start_matches("http://"), repo.full_name()),
        "issue_comment_url": format!("{api}/issues/comments{{/number}}"),
        "issue_events_url": format!("{api}/issues/events{{/number}}"),
        "issues_url": format!("{api}/issues{{/number}}"),
        "keys_url": format!("{api}/keys{{/key_id}}"),
        "labels_url": format!("{api}/labels{{/name}}"),
        "languages_url": format!("{api}/languages"),
        "merges_url": format!("{api}/merges"),
        "milestones_url": format!("{api}/milestones{{/number}}"),
        "notifications_url": format!("{api}/notifications{{?since,all,participating}}"),
        "pulls_url": format!("{api}/pulls{{/number}}"),
        "releases_url": format!("{api}/releases{{/id}}"),
        "ssh_url": format!("git@{}:{}.git", base.trim_start_matches("http://"), repo.full_name()),
        "stargazers_url": format!("{api}/stargazers"),
        "statuses_url": format!("{api}/statuses/{{sha}}"),
        "subscribers_url": format!("{api}/subscribers"),
        "subscription_url": format!("{api}/subscription"),
        "tags_url": format!("{api}/tags"),
        "teams_url": format!("{api}/teams"),
        "trees_url": format!("{api}/git/trees{{/sha}}"),
        "hooks_url": format!("{api}/hooks"),
    });
    if full && let Value::Object(map) = &mut v {
        let extra = json!({
            "clone_url": format!("{base}/{}.git", repo.full_name()),
            "mirror_url": null,
            "svn_url": format!("{base}/{}", repo.full_name()),
            "homepage": null,
            "language": null,
            "forks_count": 3,
            "forks": 3,
            "stargazers_count": 42,
            "watchers_count": 42,
            "watchers": 42,
            "size": 1024,
            "default_branch": repo.default_branch,
            "open_issues_count": repo.issues.iter().filter(|i| i.state == "open").count(),
            "open_issues": repo.issues.iter().filter(|i| i.state == "open").count(),
            "is_template": false,
            "topics": [],
            "has_issues": true,
            "has_projects": true,
            "has_wiki": true,
            "has_pages": false,
            "has_downloads": true,
            "has_discussions": false,
            "archived": repo.archived,
            "disabled": false,
            "visibility": if repo.private { "private" } else { "public" },
            "pushed_at": ts(repo.created_at),
            "created_at": ts(repo.created_at),
            "updated_at": ts(repo.created_at),
            "permissions": {"admin": true, "maintain": true, "push": true, "triage": true, "pull": true},
            "allow_rebase_merge": true,
            "allow_squash_merge": true,
            "allow_merge_commit": true,
            "allow_auto_merge": false,
            "delete_branch_on_merge": true,
            "allow_forking": true,
            "web_commit_signoff_required": false,
            "license": null,
            "network_count": 3,
            "subscribers_count": 7
        });
        if let Value::Object(extra) = extra {
            map.extend(extra);
        }
    }
    v
}

pub fn workflow(base: &str, repo: &RepoState, w: &WorkflowState) -> Value {
    json!({
        "id": w.id,
        "node_id": format!("W_kwDO{}", w.id),
        "name": w.name,
        "path": w.path,
        "state": "active",
        "created_at": ts(w.created_at),
        "updated_at": ts(w.created_at),
        "url": format!("{base}/repos/{}/actions/workflows/{}", repo.full_name(), w.id),
        "html_url": format!("{base}/{}/blob/{}/{}", repo.full_name(), repo.default_branch, w.path),
        "badge_url": format!("{base}/{}/workflows/{}/badge.svg", repo.full_name(), w.name.replace(' ', "%20")),
    })
}

/// The pull requests a run is for, as a run names them: the one whose head is the run's
/// branch (a number made up from the run when the scenario has no such pull request).
fn run_pull_requests(base: &str, repo: &RepoState, r: &RunState) -> Value {
    let Some(base_sha) = &r.pull_base else {
        return json!([]);
    };
    let number = repo
        .pulls
        .iter()
        .find(|p| p.head_ref == r.head_branch)
        .map_or(100 + r.id % 900, |p| p.number);
    let full = repo.full_name();
    let minimal = json!({
        "id": repo.id,
        "url": format!("{base}/repos/{full}"),
        "name": repo.name,
    });
    json!([{
        "id": 1_800_000_000 + number,
        "number": number,
        "url": format!("{base}/repos/{full}/pulls/{number}"),
        "head": {"ref": r.head_branch, "sha": r.head_sha, "repo": minimal},
        "base": {"ref": repo.default_branch, "sha": base_sha, "repo": minimal},
    }])
}

pub fn run(base: &str, repo: &RepoState, r: &RunState) -> Value {
    let api = format!("{base}/repos/{}/actions/runs/{}", repo.full_name(), r.id);
    let head_repository = if r.fork {
        let mut fork = repository(base, repo, false);
        fork["id"] = json!(repo.id + 9_000_000);
        fork["full_name"] = json!(format!("{}/{}", r.actor, repo.name));
        fork["owner"] = user(base, &r.actor);
        fork["fork"] = json!(true);
        fork
    } else {
        repository(base, repo, false)
    };
    let commit_time = repo
        .commits
        .get(&r.head_sha)
        .map_or(r.created_at, |c| c.date);
    json!({
        "id": r.id,
        "name": r.name,
        "node_id": format!("WFR_kwLO{}", r.id),
        "check_suite_id": r.id + 7,
        "check_suite_node_id": format!("CS_kwDO{}", r.id + 7),
        "head_branch": r.head_branch,
        "head_sha": r.head_sha,
        "path": r.path,
        "display_title": r.display_title,
        "run_number": r.run_number,
        "event": r.event,
        "status": r.status,
        "conclusion": r.conclusion,
        "workflow_id": r.workflow_id,
        "url": api,
        "html_url": format!("{base}/{}/actions/runs/{}", repo.full_name(), r.id),
        "pull_requests": run_pull_requests(base, repo, r),
        "created_at": ts(r.created_at),
        "updated_at": ts(r.updated_at),
        "actor": user(base, &r.actor),
        "triggering_actor": user(base, &r.actor),
        "run_attempt": r.run_attempt,
        "run_started_at": ts(r.created_at),
        "jobs_url": format!("{api}/jobs"),
        "logs_url": format!("{api}/logs"),
        "check_suite_url": format!("{base}/repos/{}/check-suites/{}", repo.full_name(), r.id + 7),
        "artifacts_url": format!("{api}/artifacts"),
        "cancel_url": format!("{api}/cancel"),
        "rerun_url": format!("{api}/rerun"),
        "previous_attempt_url": if r.run_attempt > 1 { json!(format!("{api}/attempts/{}", r.run_attempt - 1)) } else { Value::Null },
        "workflow_url": format!("{base}/repos/{}/actions/workflows/{}", repo.full_name(), r.workflow_id),
        "head_commit": {
            "id": r.head_sha,
            "tree_id": super::world::fake_sha(&format!("tree-{}", r.head_sha)),
            "message": r.display_title,
            "timestamp": ts(commit_time),
            "author": {"name": r.actor, "email": format!("{}@users.noreply.github.com", r.actor)},
            "committer": {"name": "GitHub", "email": "noreply@github.com"}
        },
        "repository": repository(base, repo, false),
        "head_repository": head_repository,
    })
}

pub fn job(base: &str, repo: &RepoState, run: &RunState, j: &JobState) -> Value {
    json!({
        "id": j.id,
        "run_id": j.run_id,
        "workflow_name": run.name,
        "head_branch": run.head_branch,
        "run_url": format!("{base}/repos/{}/actions/runs/{}", repo.full_name(), run.id),
        "run_attempt": j.run_attempt,
        "node_id": format!("CR_kwDO{}", j.id),
        "head_sha": run.head_sha,
        "url": format!("{base}/repos/{}/actions/jobs/{}", repo.full_name(), j.id),
        "html_url": format!("{base}/{}/actions/runs/{}/job/{}", repo.full_name(), run.id, j.id),
        "status": j.status,
        "conclusion": j.conclusion,
        "created_at": ts(j.started_at),
        "started_at": ts(j.started_at),
        "completed_at": opt_ts(j.completed_at),
        "name": j.name,
        "steps": j.steps.iter().map(|s| json!({
            "name": s.name,
            "status": s.status,
            "conclusion": s.conclusion,
            "number": s.number,
            "started_at": opt_ts(s.started_at),
            "completed_at": opt_ts(s.completed_at),
        })).collect::<Vec<_>>(),
        "check_run_url": format!("{base}/repos/{}/check-runs/{}", repo.full_name(), j.id),
        "labels": ["ubuntu-latest"],
        "runner_id": 7,
        "runner_name": "GitHub Actions 7",
        "runner_group_id": 2,
        "runner_group_name": "GitHub Actions",
    })
}

/// GitHub turns `##[error]` and `##[warning]` lines into annotations on the job's check run.
pub fn annotations(j: &JobState) -> Vec<Value> {
    let text = String::from_utf8_lossy(&j.log);
    text.lines()
        .filter_map(|line| {
            let body = line.get(29..).unwrap_or(line);
            let (level, message) = if let Some(m) = body.strip_prefix("##[error]") {
                ("failure", m)
            } else if let Some(m) = body.strip_prefix("##[warning]") {
                ("warning", m)
            } else {
                return None;
            };
            Some(json!({
                "path": ".github",
                "start_line": 1,
                "end_line": 1,
                "start_column": null,
                "end_column": null,
                "annotation_level": level,
                "title": "",
                "message": message,
                "raw_details": null,
                "blob_href": "",
            }))
        })
        .collect()
}

pub fn label(base: &str, repo: &RepoState, name: &str) -> Value {
    let id = 5_000_000
        + name
            .bytes()
            .fold(0u64, |h, b| h.wrapping_mul(31).wrapping_add(b.into()))
            % 1_000_000;
    json!({
        "id": id,
        "node_id": format!("LA_kwDO{id}"),
        "url": format!("{base}/repos/{}/labels/{}", repo.full_name(), crate::forge::github::encode(name)),
        "name": name,
        "description": null,
        "color": if name.starts_with("auto-heal") { "1d76db" } else { "ededed" },
        "default": false,
    })
}

pub fn issue(base: &str, repo: &RepoState, i: &IssueState) -> Value {
    let api = format!("{base}/repos/{}/issues/{}", repo.full_name(), i.number);
    json!({
        "id": i.id,
        "node_id": format!("I_kwDO{}", i.id),
        "url": api,
        "repository_url": format!("{base}/repos/{}", repo.full_name()),
        "labels_url": format!("{api}/labels{{/name}}"),
        "comments_url": format!("{api}/comments"),
        "events_url": format!("{api}/events"),
        "html_url": format!("{base}/{}/issues/{}", repo.full_name(), i.number),
        "number": i.number,
        "state": i.state,
        "state_reason": i.state_reason,
        "title": i.title,
        "body": i.body,
        "user": user(base, &i.user),
        "labels": i.labels.iter().map(|l| label(base, repo, l)).collect::<Vec<_>>(),
        "assignee": i.assignees.first().map(|a| user(base, a)),
        "assignees": i.assignees.iter().map(|a| user(base, a)).collect::<Vec<_>>(),
        "milestone": null,
        "locked": false,
        "active_lock_reason": null,
        "comments": i.comments.len(),
        "closed_at": opt_ts(i.closed_at),
        "created_at": ts(i.created_at),
        "updated_at": ts(i.updated_at),
        "closed_by": null,
        "author_association": "OWNER",
    })
}

pub fn comment(base: &str, repo: &RepoState, issue_number: u64, c: &CommentState) -> Value {
    json!({
        "id": c.id,
        "node_id": format!("IC_kwDO{}", c.id),
        "url": format!("{base}/repos/{}/issues/comments/{}", repo.full_name(), c.id),
        "html_url": format!("{base}/{}/issues/{}#issuecomment-{}", repo.full_name(), issue_number, c.id),
        "issue_url": format!("{base}/repos/{}/issues/{}", repo.full_name(), issue_number),
        "body": c.body,
        "user": user(base, &c.user),
        "created_at": ts(c.created_at),
        "updated_at": ts(c.created_at),
        "author_association": "OWNER",
    })
}

/// A pull request; `full` adds what only `GET /pulls/{number}` carries.
pub fn pull(base: &str, repo: &RepoState, p: &PullState, full: bool) -> Value {
    let api = format!("{base}/repos/{}/pulls/{}", repo.full_name(), p.number);
    let html = format!("{base}/{}/pull/{}", repo.full_name(), p.number);
    let tip = |name: &str, sha: &str| {
        json!({
            "label": format!("{}:{name}", repo.owner),
            "ref": name,
            "sha": sha,
            "user": user(base, &repo.owner),
            "repo": repository(base, repo, true),
        })
    };
    let base_sha = repo.branches.get(&p.base_ref).cloned().unwrap_or_default();
    let mut v = json!({
        "url": api,
        "id": p.id,
        "node_id": format!("PR_kwDO{}", p.id),
        "html_url": html,
        "diff_url": format!("{html}.diff"),
        "patch_url": format!("{html}.patch"),
        "issue_url": format!("{base}/repos/{}/issues/{}", repo.full_name(), p.number),
        "commits_url": format!("{api}/commits"),
        "review_comments_url": format!("{api}/comments"),
        "review_comment_url": format!("{base}/repos/{}/pulls/comments{{/number}}", repo.full_name()),
        "comments_url": format!("{base}/repos/{}/issues/{}/comments", repo.full_name(), p.number),
        "statuses_url": format!("{base}/repos/{}/statuses/{}", repo.full_name(), p.head_sha),
        "number": p.number,
        "state": p.state,
        "locked": false,
        "title": p.title,
        "user": user(base, &p.user),
        "body": p.body,
        "labels": p.labels.iter().map(|l| label(base, repo, l)).collect::<Vec<_>>(),
        "milestone": null,
        "active_lock_reason": null,
        "created_at": ts(p.created_at),
        "updated_at": ts(p.updated_at),
        "closed_at": opt_ts(p.merged_at),
        "merged_at": opt_ts(p.merged_at),
        "merge_commit_sha": null,
        "assignee": null,
        "assignees": [],
        "requested_reviewers": [],
        "requested_teams": [],
        "head": tip(&p.head_ref, &p.head_sha),
        "base": tip(&p.base_ref, &base_sha),
        "_links": {
            "self": {"href": api},
            "html": {"href": html},
            "issue": {"href": format!("{base}/repos/{}/issues/{}", repo.full_name(), p.number)},
            "comments": {"href": format!("{base}/repos/{}/issues/{}/comments", repo.full_name(), p.number)},
            "review_comments": {"href": format!("{api}/comments")},
            "review_comment": {"href": format!("{base}/repos/{}/pulls/comments{{/number}}", repo.full_name())},
            "commits": {"href": format!("{api}/commits")},
            "statuses": {"href": format!("{base}/repos/{}/statuses/{}", repo.full_name(), p.head_sha)}
        },
        "author_association": "CONTRIBUTOR",
        "auto_merge": null,
        "draft": p.draft,
    });
    if full && let Value::Object(map) = &mut v {
        let extra = json!({
            "merged": p.merged_at.is_some(),
            "mergeable": if p.state == "open" { json!(true) } else { Value::Null },
            "rebaseable": true,
            "mergeable_state": if p.draft { "draft" } else { "clean" },
            "merged_by": p.merged_at.map(|_| user(base, &repo.owner)),
            "comments": 0,
            "review_comments": 0,
            "maintainer_can_modify": true,
            "commits": 1,
            "additions": 12,
            "deletions": 3,
            "changed_files": p.changed_files,
        });
        if let Value::Object(extra) = extra {
            map.extend(extra);
        }
    }
    v
}

/// A check run, its status derived from how long ago it was created.
pub fn check_run(base: &str, repo: &RepoState, c: &CheckRunState, options: &WorldOptions) -> Value {
    let (status, conclusion, started, completed) = check_progress(c, options, Utc::now());
    json!({
        "id": c.id,
        "head_sha": c.head_sha,
        "node_id": format!("CR_kwDO{}", c.id),
        "external_id": "",
        "url": format!("{base}/repos/{}/check-runs/{}", repo.full_name(), c.id),
        "html_url": format!("{base}/{}/runs/{}", repo.full_name(), c.id),
        "details_url": format!("{base}/{}/runs/{}", repo.full_name(), c.id),
        "status": status,
        "conclusion": conclusion,
        "started_at": opt_ts(started),
        "completed_at": opt_ts(completed),
        "output": {"title": null, "summary": null, "text": null, "annotations_count": 0,
                   "annotations_url": format!("{base}/repos/{}/check-runs/{}/annotations", repo.full_name(), c.id)},
        "name": c.name,
        "check_suite": {"id": c.id + 1},
        "app": null,
        "pull_requests": [],
    })
}

/// `(status, conclusion, started_at, completed_at)` of a check run.
pub type CheckProgress = (
    &'static str,
    Option<String>,
    Option<DateTime<Utc>>,
    Option<DateTime<Utc>>,
);

/// Where a check run is at `now`.
pub fn check_progress(
    c: &CheckRunState,
    options: &WorldOptions,
    now: DateTime<Utc>,
) -> CheckProgress {
    let queued = chrono::TimeDelta::from_std(options.check_queued).unwrap_or_default();
    let running = chrono::TimeDelta::from_std(options.check_running).unwrap_or_default();
    let started = c.created_at + queued;
    let done = started + running;
    if now < started {
        ("queued", None, None, None)
    } else if now < done {
        ("in_progress", None, Some(started), None)
    } else {
        (
            "completed",
            Some(c.conclusion.clone()),
            Some(started),
            Some(done),
        )
    }
}

pub fn git_ref(base: &str, repo: &RepoState, branch: &str, sha: &str) -> Value {
    json!({
        "ref": format!("refs/heads/{branch}"),
        "node_id": format!("REF_kwDO{}", &sha[..8.min(sha.len())]),
        "url": format!("{base}/repos/{}/git/refs/heads/{branch}", repo.full_name()),
        "object": {
            "type": "commit",
            "sha": sha,
            "url": format!("{base}/repos/{}/git/commits/{sha}", repo.full_name()),
        }
    })
}

pub fn content_file(base: &str, repo: &RepoState, path: &str, text: &str) -> Value {
    let sha = super::world::fake_sha(text);
    let name = path.rsplit('/').next().unwrap_or(path);
    let api = format!("{base}/repos/{}/contents/{path}", repo.full_name());
    let html = format!(
        "{base}/{}/blob/{}/{path}",
        repo.full_name(),
        repo.default_branch
    );
    let git = format!("{base}/repos/{}/git/blobs/{sha}", repo.full_name());
    // The contents API wraps base64 at 60 columns, like `base64` does.
    let encoded = crate::forge::github::encode_base64(text.as_bytes());
    let wrapped: Vec<&str> = encoded
        .as_bytes()
        .chunks(60)
        .map(|c| std::str::from_utf8(c).unwrap_or_default())
        .collect();
    json!({
        "type": "file",
        "encoding": "base64",
        "size": text.len(),
        "name": name,
        "path": path,
        "content": wrapped.join("\n") + "\n",
        "sha": sha,
        "url": api,
        "git_url": git,
        "html_url": html,
        "download_url": format!("{base}/raw/{}/{}/{path}", repo.full_name(), repo.default_branch),
        "_links": {"self": api, "git": git, "html": html},
    })
}

/// A commit (`components.schemas.commit`): `files` only when asked for one commit, as GitHub
/// sends them from `commits/{ref}` and not inside a comparison's list.
pub fn commit(base: &str, repo: &RepoState, sha: &str, c: &CommitState, with_files: bool) -> Value {
    let full = repo.full_name();
    let api = format!("{base}/repos/{full}/commits/{sha}");
    let date = c.date.format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let mut value = json!({
        "url": api,
        "sha": sha,
        "node_id": format!("C_kwDO{}", &sha[..8.min(sha.len())]),
        "html_url": format!("{base}/{full}/commit/{sha}"),
        "comments_url": format!("{api}/comments"),
        "commit": {
            "url": format!("{base}/repos/{full}/git/commits/{sha}"),
            "author": {"name": c.author, "email": format!("{}@users.noreply.github.com", c.author), "date": date},
            "committer": {"name": "GitHub", "email": "noreply@github.com", "date": date},
            "message": c.message,
            "comment_count": 0,
            "tree": {"sha": fake_sha(&format!("tree-{sha}")), "url": format!("{base}/repos/{full}/git/trees/{sha}")},
        },
        "author": user(base, &c.author),
        "committer": user(base, "web-flow"),
        "parents": c.parents.iter().map(|p| json!({
            "sha": p,
            "url": format!("{base}/repos/{full}/commits/{p}"),
            "html_url": format!("{base}/{full}/commit/{p}"),
        })).collect::<Vec<_>>(),
    });
    if with_files {
        let additions: u64 = c.files.iter().map(|f| f.additions).sum();
        let deletions: u64 = c.files.iter().map(|f| f.deletions).sum();
        value["stats"] =
            json!({"additions": additions, "deletions": deletions, "total": additions + deletions});
        value["files"] = Value::Array(
            c.files
                .iter()
                .map(|f| diff_entry(base, repo, sha, f))
                .collect(),
        );
    }
    value
}

/// One file of a commit or a comparison (`components.schemas.diff-entry`).
pub fn diff_entry(base: &str, repo: &RepoState, sha: &str, f: &FileChange) -> Value {
    let full = repo.full_name();
    json!({
        "sha": fake_sha(&format!("blob-{sha}-{}", f.filename)),
        "filename": f.filename,
        "status": f.status,
        "additions": f.additions,
        "deletions": f.deletions,
        "changes": f.additions + f.deletions,
        "blob_url": format!("{base}/{full}/blob/{sha}/{}", f.filename),
        "raw_url": format!("{base}/{full}/raw/{sha}/{}", f.filename),
        "contents_url": format!("{base}/repos/{full}/contents/{}?ref={sha}", f.filename),
    })
}
