//! The simulator's JSON against GitHub's own OpenAPI description: every property GitHub's
//! schema requires, with the schema's type, is present in the simulator's answer.
//! The expectations are `tests/fixtures/openapi/required/*.json`, generated from
//! `@octokit/openapi` by `tests/fixtures/openapi/generate.py`.

use std::time::Duration;

use crate::common::*;
use serde_json::{Value, json};

fn required(slug: &str) -> Value {
    let path = fixtures().join(format!("openapi/required/{slug}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

fn type_ok(value: &Value, ty: &str) -> bool {
    ty.split('|').any(|t| match t {
        "null" => value.is_null(),
        "string" => value.is_string(),
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        "boolean" => value.is_boolean(),
        "object" => value.is_object(),
        "array" => value.is_array(),
        _ => true,
    })
}

/// Collects every way `value` falls short of `schema`.
fn check(value: &Value, schema: &Value, at: &str, errors: &mut Vec<String>) {
    match schema {
        Value::String(ty) if !type_ok(value, ty) => {
            errors.push(format!("{at}: expected {ty}, found {value}"));
        }
        Value::String(_) => {}
        Value::Array(items) => match value {
            Value::Array(values) => {
                if let Some(item) = items.first() {
                    for (i, v) in values.iter().enumerate() {
                        check(v, item, &format!("{at}[{i}]"), errors);
                    }
                }
            }
            other => errors.push(format!("{at}: expected an array, found {other}")),
        },
        Value::Object(map) => {
            let nullable = map.get("$nullable") == Some(&Value::Bool(true));
            if value.is_null() && nullable {
                return;
            }
            if let Some(array) = map.get("$array") {
                return check(value, array, at, errors);
            }
            let Some(obj) = value.as_object() else {
                errors.push(format!("{at}: expected an object, found {value}"));
                return;
            };
            for (key, sub) in map.iter().filter(|(k, _)| !k.starts_with('$')) {
                match obj.get(key) {
                    Some(v) => check(v, sub, &format!("{at}.{key}"), errors),
                    None => errors.push(format!("{at}.{key}: missing")),
                }
            }
        }
        _ => {}
    }
}

fn assert_conforms(slug: &str, value: &Value) {
    let mut errors = Vec::new();
    check(value, &required(slug), "$", &mut errors);
    assert!(errors.is_empty(), "{slug}:\n  {}", errors.join("\n  "));
}

struct Api {
    octo: octocrab::Octocrab,
}

impl Api {
    async fn get(&self, path: &str) -> Value {
        self.octo
            .get::<Value, _, ()>(path, None)
            .await
            .unwrap_or_else(|e| panic!("GET {path}: {e}"))
    }

    async fn post(&self, path: &str, body: Value) -> Value {
        self.octo
            .post::<_, Value>(path, Some(&body))
            .await
            .unwrap_or_else(|e| panic!("POST {path}: {e}"))
    }

    async fn patch(&self, path: &str, body: Value) -> Value {
        self.octo
            .patch::<Value, _, _>(path, Some(&body))
            .await
            .unwrap_or_else(|e| panic!("PATCH {path}: {e}"))
    }
}

#[tokio::test]
async fn every_endpoint_answers_with_the_fields_github_requires() {
    let sim = start_sim().await;
    let api = Api {
        octo: octocrab::Octocrab::builder()
            .base_uri(sim.url())
            .unwrap()
            .personal_token("test".to_string())
            .build()
            .unwrap(),
    };
    let r = "/repos/octo/shop";

    assert_conforms("repos-get", &api.get(r).await);
    assert_conforms(
        "actions-list-repo-workflows",
        &api.get(&format!("{r}/actions/workflows")).await,
    );
    assert_conforms(
        "actions-list-workflow-runs-for-repo",
        &api.get(&format!("{r}/actions/runs")).await,
    );
    assert_conforms(
        "actions-list-workflow-runs",
        &api.get(&format!("{r}/actions/workflows/11/runs")).await,
    );
    assert_conforms(
        "actions-get-workflow-run",
        &api.get(&format!("{r}/actions/runs/9007")).await,
    );
    assert_conforms(
        "actions-list-jobs-for-workflow-run",
        &api.get(&format!("{r}/actions/runs/9001/jobs")).await,
    );
    assert_conforms(
        "actions-get-job-for-workflow-run",
        &api.get(&format!("{r}/actions/jobs/90011")).await,
    );
    assert_conforms(
        "checks-list-annotations",
        &api.get(&format!("{r}/check-runs/90011/annotations")).await,
    );
    assert_conforms(
        "repos-get-content",
        &api.get(&format!("{r}/contents/README.md")).await,
    );
    assert_conforms(
        "repos-get-commit",
        &api.get(&format!("{r}/commits/main")).await,
    );
    assert_conforms("rate-limit-get", &api.get("/rate_limit").await);
    let compare = api
        .get(&format!(
            "{r}/compare/2222222222222222222222222222222222222222...1111111111111111111111111111111111111111"
        ))
        .await;
    assert_conforms("repos-compare-commits-with-basehead", &compare);
    assert!(compare["total_commits"].as_u64().unwrap() >= 1, "{compare}");
    assert_conforms(
        "actions-list-jobs-for-workflow-run-attempt",
        &api.get(&format!("{r}/actions/runs/9001/attempts/1/jobs"))
            .await,
    );

    let issue = api
        .post(
            &format!("{r}/issues"),
            json!({"title": "t", "body": "b", "labels": ["auto-heal"]}),
        )
        .await;
    assert_conforms("issues-create", &issue);
    let n = issue["number"].as_u64().unwrap();
    assert_conforms("issues-get", &api.get(&format!("{r}/issues/{n}")).await);
    assert_conforms(
        "issues-list-for-repo",
        &api.get(&format!("{r}/issues?labels=auto-heal")).await,
    );
    assert_conforms(
        "issues-update",
        &api.patch(&format!("{r}/issues/{n}"), json!({"title": "t2"}))
            .await,
    );
    assert_conforms(
        "issues-create-comment",
        &api.post(
            &format!("{r}/issues/{n}/comments"),
            json!({"body": "@copilot please fix"}),
        )
        .await,
    );
    assert_conforms(
        "issues-list-comments",
        &api.get(&format!("{r}/issues/{n}/comments")).await,
    );
    assert_conforms(
        "issues-add-assignees",
        &api.post(
            &format!("{r}/issues/{n}/assignees"),
            json!({"assignees": ["octocat"]}),
        )
        .await,
    );
    assert_conforms(
        "issues-add-labels",
        &api.post(
            &format!("{r}/issues/{n}/labels"),
            json!({"labels": ["bug"]}),
        )
        .await,
    );

    let sha = "1111111111111111111111111111111111111111";
    assert_conforms(
        "git-create-ref",
        &api.post(
            &format!("{r}/git/refs"),
            json!({"ref": "refs/heads/auto-heal/ci-9001", "sha": sha}),
        )
        .await,
    );
    assert_conforms(
        "git-get-ref",
        &api.get(&format!("{r}/git/ref/heads/auto-heal/ci-9001"))
            .await,
    );
    assert_conforms(
        "git-list-matching-refs",
        &api.get(&format!("{r}/git/matching-refs/heads/auto-heal/"))
            .await,
    );

    let task = api
        .post(
            &format!("/agents{r}/tasks"),
            json!({"prompt": "Fix it", "base_ref": "main", "model": "gpt-5.4"}),
        )
        .await;
    assert_conforms("agent-tasks-create-task-in-repo", &task);
    let task_id = task["id"].as_str().unwrap().to_string();

    // The Copilot PR appears after the (shortened) delay; then the PR endpoints have data.
    tokio::time::sleep(Duration::from_millis(400)).await;
    let pulls = api.get(&format!("{r}/pulls?state=all")).await;
    assert!(
        !pulls.as_array().unwrap().is_empty(),
        "the Copilot PR appeared"
    );
    assert_conforms("pulls-list", &pulls);
    let pr = pulls[0]["number"].as_u64().unwrap();
    let full = api.get(&format!("{r}/pulls/{pr}")).await;
    assert_conforms("pulls-get", &full);
    let head = full["head"]["sha"].as_str().unwrap();
    assert_conforms(
        "checks-list-for-ref",
        &api.get(&format!("{r}/commits/{head}/check-runs")).await,
    );
    assert_conforms(
        "agent-tasks-get-task-by-repo-and-id",
        &api.get(&format!("/agents{r}/tasks/{task_id}")).await,
    );

    let timeline = api.get(&format!("{r}/issues/{n}/timeline")).await;
    let branches = required("issues-list-events-for-timeline--branches");
    for event in timeline.as_array().unwrap() {
        let kind = event["event"].as_str().unwrap();
        let schema = match kind {
            "labeled" => &branches["labeled-issue-event"],
            "assigned" => &branches["timeline-assigned-issue-event"],
            "commented" => &branches["timeline-comment-event"],
            "cross-referenced" => &branches["timeline-cross-referenced-event"],
            "closed" => &branches["state-change-issue-event"],
            other => panic!("unexpected timeline event {other}"),
        };
        let mut errors = Vec::new();
        check(event, schema, kind, &mut errors);
        assert!(errors.is_empty(), "timeline:\n  {}", errors.join("\n  "));
    }
}

#[tokio::test]
async fn errors_have_githubs_error_shape() {
    let sim = start_sim().await;
    let octo = octocrab::Octocrab::builder()
        .base_uri(sim.url())
        .unwrap()
        .build()
        .unwrap();
    let response = octo._get("/repos/octo/nope").await.unwrap();
    assert_eq!(response.status(), 404);
    let body = octo.body_to_string(response).await.unwrap();
    let value: Value = serde_json::from_str(&body).unwrap();
    assert_conforms("basic-error", &value);
    assert_eq!(value["message"], "Not Found");
}

/// Every URL the simulator builds is a valid URI: a bot's login (`dependabot[bot]`) is
/// percent-encoded, as GitHub does. Checked on every demo repository's runs (bot actors among
/// them), jobs, issues and pull requests, with the schema check above.
#[tokio::test]
async fn every_url_is_a_valid_uri_even_for_bots() {
    let sim = start_sim_with(
        autoheal::sim::LoadedScenario::demo().unwrap(),
        autoheal::sim::Faults::default(),
    )
    .await;
    let api = Api {
        octo: octocrab::Octocrab::builder()
            .base_uri(sim.url())
            .unwrap()
            .personal_token("test".to_string())
            .build()
            .unwrap(),
    };
    let repos = sim.with_world(|w| {
        w.repos
            .iter()
            .map(|r| {
                (
                    r.full_name(),
                    r.runs.iter().map(|run| run.id).collect::<Vec<_>>(),
                )
            })
            .collect::<Vec<_>>()
    });
    let mut bots = 0;
    for (repo, runs) in repos {
        let r = format!("/repos/{repo}");
        let listed = api.get(&format!("{r}/actions/runs?per_page=100")).await;
        assert_conforms("actions-list-workflow-runs-for-repo", &listed);
        bots += listed["workflow_runs"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|run| run["actor"]["login"].as_str().unwrap().ends_with("[bot]"))
            .count();
        assert_valid_urls(&listed, &r);
        for id in runs {
            let jobs = api.get(&format!("{r}/actions/runs/{id}/jobs")).await;
            assert_conforms("actions-list-jobs-for-workflow-run", &jobs);
            assert_valid_urls(&jobs, &r);
        }
        let issues = api.get(&format!("{r}/issues?state=all")).await;
        assert_conforms("issues-list-for-repo", &issues);
        assert_valid_urls(&issues, &r);
        let pulls = api.get(&format!("{r}/pulls?state=all")).await;
        assert_conforms("pulls-list", &pulls);
        assert_valid_urls(&pulls, &r);
    }
    assert!(bots >= 2, "the demo has runs by bots");
}

/// No string under a key ending in `url` holds what a URI may not: brackets, spaces, quotes.
/// (Braces are allowed: GitHub's `following_url` and the like are URI templates.)
fn assert_valid_urls(value: &Value, at: &str) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                if let Value::String(s) = v
                    && (key == "url" || key.ends_with("_url"))
                {
                    assert!(
                        !s.contains(['[', ']', ' ', '"', '<', '>', '\\']),
                        "{at}.{key}: {s}"
                    );
                }
                assert_valid_urls(v, &format!("{at}.{key}"));
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                assert_valid_urls(v, &format!("{at}[{i}]"));
            }
        }
        _ => {}
    }
}
