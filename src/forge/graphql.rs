//! Reads that GitHub's GraphQL API answers for many repositories or runs in one request, where
//! REST needs a request each: a repository's policy file, and the failed jobs of a run. A
//! console watching an organisation of 200 repositories would otherwise spend 200 requests on
//! each, of the 600 a minute it allows itself (see `scheduler`).
//!
//! Each function here builds the request body or reads the answer; `GitHub` sends them. An
//! answer that leaves a repository or a run out (not found, no access, more failed jobs than
//! one page holds) says so, and the caller reads that one over REST as before.

use std::collections::HashMap;

use serde_json::{Value, json};

use super::model::{Job, RepoRef, WorkflowRun};

/// Repositories or runs asked about in one query. GitHub allows far more nodes than this;
/// smaller queries keep each one's cost (in GraphQL points) and its answer small.
pub const PER_QUERY: usize = 50;

/// Failed jobs of one run that one query reads; a run with more is read over REST.
const FAILED_JOBS_PER_RUN: usize = 20;

/// Steps of a failed job that one query reads (a job has at most 1,000; they rarely pass 100).
const STEPS_PER_JOB: usize = 100;

/// The query reading one file at the default branch of each of `repos` (at most
/// [`PER_QUERY`]). Names go as variables, never into the query's text.
pub fn files_query(repos: &[RepoRef], path: &str) -> Value {
    let mut declared = vec!["$expression: String!".to_string()];
    let mut fields = Vec::new();
    let mut variables = serde_json::Map::new();
    variables.insert("expression".into(), json!(format!("HEAD:{path}")));
    for (i, repo) in repos.iter().enumerate() {
        declared.push(format!("$o{i}: String!, $n{i}: String!"));
        fields.push(format!(
            "r{i}: repository(owner: $o{i}, name: $n{i}) \
             {{ object(expression: $expression) {{ ... on Blob {{ text isBinary isTruncated }} }} }}"
        ));
        variables.insert(format!("o{i}"), json!(repo.owner));
        variables.insert(format!("n{i}"), json!(repo.name));
    }
    json!({
        "query": format!("query AutohealFiles({}) {{ {} }}", declared.join(", "), fields.join(" ")),
        "variables": variables,
    })
}

/// What [`files_query`]'s answer says of each repository, in order: the file's text, `None`
/// when the repository has no such file, or why it could not be read (the caller then reads
/// it over REST).
pub fn files_answer(answer: &Value, repos: &[RepoRef]) -> Vec<Result<Option<String>, String>> {
    let data = &answer["data"];
    repos
        .iter()
        .enumerate()
        .map(|(i, repo)| {
            let alias = format!("r{i}");
            let Some(repository) = data.get(&alias).filter(|r| !r.is_null()) else {
                return Err(error_for(answer, &alias)
                    .unwrap_or_else(|| format!("GraphQL did not answer for {repo}")));
            };
            match &repository["object"] {
                Value::Null => Ok(None),
                // A blob: its text. `... on Blob` leaves a tree (a directory) empty: no file.
                object => match object.get("text") {
                    _ if object["isTruncated"] == true || object["isBinary"] == true => {
                        Err(format!("{repo}: the file is too large or not text"))
                    }
                    Some(Value::String(text)) => Ok(Some(text.clone())),
                    _ => Ok(None),
                },
            }
        })
        .collect()
}

/// The query reading the failed jobs (with their steps) of each of `runs` (at most
/// [`PER_QUERY`]), by the runs' GraphQL ids. A job is a check run of the run's check suite,
/// with the same id.
pub fn failed_jobs_query(node_ids: &[&str]) -> Value {
    // Runs and jobs are told by their node id and `url` (`…/runs/JOB_ID`), not `databaseId`:
    // a GraphQL `Int` is 32 bits, and Actions' ids have long outgrown it.
    let query = format!(
        "query AutohealFailedJobs($ids: [ID!]!) {{ nodes(ids: $ids) {{ ... on WorkflowRun {{ \
         id checkSuite {{ checkRuns(first: {FAILED_JOBS_PER_RUN}, filterBy: \
         {{checkType: LATEST, conclusions: [FAILURE, TIMED_OUT, STARTUP_FAILURE]}}) {{ \
         pageInfo {{ hasNextPage }} nodes {{ url name status conclusion startedAt \
         completedAt detailsUrl steps(first: {STEPS_PER_JOB}) {{ pageInfo {{ hasNextPage }} \
         nodes {{ name number status conclusion startedAt completedAt }} }} }} }} }} }} }} }}"
    );
    json!({ "query": query, "variables": { "ids": node_ids } })
}

/// The failed jobs of each run [`failed_jobs_query`]'s answer covers whole, by run id, shaped
/// as REST's jobs (and cleaned as they are). A run left out (not found, or more failed jobs
/// or steps than one query reads) is read over REST.
pub fn failed_jobs_answer(answer: &Value, runs: &[&WorkflowRun]) -> HashMap<u64, Vec<Job>> {
    let mut found = HashMap::new();
    let Some(nodes) = answer["data"]["nodes"].as_array() else {
        return found;
    };
    for node in nodes {
        // `{}` for a node that is not a workflow run, `null` for one not found.
        let Some(run) = node["id"]
            .as_str()
            .and_then(|id| runs.iter().find(|r| r.node_id.as_deref() == Some(id)))
        else {
            continue;
        };
        let check_runs = &node["checkSuite"]["checkRuns"];
        if check_runs["pageInfo"]["hasNextPage"] != false {
            continue;
        }
        let jobs: Option<Vec<Job>> = check_runs["nodes"]
            .as_array()
            .map(|all| all.iter().map(|c| job_of(c, run)).collect())
            .and_then(|jobs: Vec<Option<Job>>| jobs.into_iter().collect());
        if let Some(jobs) = jobs {
            found.insert(run.id, jobs);
        }
    }
    found
}

/// A check run of a run's check suite as REST shows it as a job; `None` when part of it is
/// missing or its steps do not fit one query.
fn job_of(check_run: &Value, run: &WorkflowRun) -> Option<Job> {
    let steps = &check_run["steps"];
    if steps["pageInfo"]["hasNextPage"] != false {
        return None;
    }
    let steps: Vec<Value> = steps["nodes"]
        .as_array()?
        .iter()
        .map(|s| {
            json!({
                "name": s["name"],
                "number": s["number"],
                "status": lower(&s["status"]),
                "conclusion": lower(&s["conclusion"]),
                "started_at": s["startedAt"],
                "completed_at": s["completedAt"],
            })
        })
        .collect();
    let started = match &check_run["startedAt"] {
        Value::Null => json!(run.run_started_at.unwrap_or(run.created_at)),
        at => at.clone(),
    };
    // `https://github.com/OWNER/REPO/runs/ID`: a job's id is its check run's.
    let id: u64 = check_run["url"]
        .as_str()?
        .rsplit('/')
        .next()?
        .parse()
        .ok()?;
    let rest = json!({
        "id": id,
        "run_id": run.id,
        "run_attempt": run.run_attempt,
        "name": check_run["name"],
        "status": lower(&check_run["status"]),
        "conclusion": lower(&check_run["conclusion"]),
        "started_at": started,
        "completed_at": check_run["completedAt"],
        "html_url": check_run["detailsUrl"],
        "steps": steps,
    });
    serde_json::from_value(rest).ok()
}

/// GraphQL's `FAILURE` is REST's `failure`.
fn lower(value: &Value) -> Value {
    match value {
        Value::String(s) => Value::String(s.to_ascii_lowercase()),
        other => other.clone(),
    }
}

/// The message of the error GraphQL reported for the field `alias`, if any.
fn error_for(answer: &Value, alias: &str) -> Option<String> {
    answer["errors"].as_array()?.iter().find_map(|e| {
        let here = e["path"]
            .as_array()
            .and_then(|p| p.first())
            .is_some_and(|p| p == alias);
        here.then(|| e["message"].as_str().unwrap_or("GraphQL error").to_string())
    })
}

/// The first error of an answer that carries no data at all: the query itself was refused.
pub fn refused(answer: &Value) -> Option<String> {
    if !answer["data"].is_null() {
        return None;
    }
    Some(
        answer["errors"][0]["message"]
            .as_str()
            .unwrap_or("GraphQL answered without data")
            .to_string(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repos() -> Vec<RepoRef> {
        vec![RepoRef::new("acme", "api"), RepoRef::new("acme", "web")]
    }

    #[test]
    fn names_travel_as_variables_never_in_the_query() {
        let evil = RepoRef::new("acme", "x\") { viewer { login } } #");
        let body = files_query(std::slice::from_ref(&evil), ".github/autoheal.yml");
        let query = body["query"].as_str().unwrap();
        assert!(!query.contains("viewer"), "{query}");
        assert_eq!(body["variables"]["n0"], json!(evil.name));
        assert_eq!(
            body["variables"]["expression"],
            json!("HEAD:.github/autoheal.yml")
        );
        assert!(query.starts_with("query AutohealFiles($expression: String!, $o0: String!"));
    }

    #[test]
    fn a_file_an_absent_file_and_an_unreadable_repository_are_told_apart() {
        let answer = json!({
            "data": {
                "r0": {"object": {"text": "monitored_workflows: [CI]\n", "isBinary": false, "isTruncated": false}},
                "r1": null,
            },
            "errors": [{"type": "NOT_FOUND", "path": ["r1"], "message": "Could not resolve to a Repository with the name 'acme/web'."}],
        });
        let read = files_answer(&answer, &repos());
        assert_eq!(read[0], Ok(Some("monitored_workflows: [CI]\n".into())));
        assert!(read[1].as_ref().unwrap_err().contains("Could not resolve"));
        let absent = json!({"data": {"r0": {"object": null}, "r1": {"object": {}}}});
        assert_eq!(files_answer(&absent, &repos()), vec![Ok(None), Ok(None)]);
        let huge = json!({"data": {"r0": {"object": {"text": null, "isBinary": false, "isTruncated": true}}}});
        assert!(files_answer(&huge, &repos()[..1])[0].is_err());
    }

    fn run(id: u64) -> WorkflowRun {
        serde_json::from_value(json!({
            "id": id, "node_id": format!("WFR_{id}"), "head_sha": "abc", "path": ".github/workflows/ci.yml", "event": "push",
            "status": "completed", "conclusion": "failure", "workflow_id": 1, "run_attempt": 2,
            "html_url": "https://github.com/acme/api/actions/runs/1",
            "created_at": "2026-12-01T10:00:00Z", "updated_at": "2026-12-01T10:05:00Z",
        }))
        .unwrap()
    }

    #[test]
    fn check_runs_become_jobs_shaped_and_cleaned_as_rest_shows_them() {
        let (a, b, c) = (run(1), run(2), run(3));
        let answer = json!({"data": {"nodes": [
            {"id": "WFR_1", "checkSuite": {"checkRuns": {"pageInfo": {"hasNextPage": false}, "nodes": [
                {"url": "https://github.com/acme/api/runs/11", "name": "test \u{1b}[2Jlinux", "status": "COMPLETED", "conclusion": "TIMED_OUT",
                 "startedAt": "2026-12-01T10:01:00Z", "completedAt": "2026-12-01T10:04:00Z",
                 "detailsUrl": "https://github.com/acme/api/actions/runs/1/job/11",
                 "steps": {"pageInfo": {"hasNextPage": false}, "nodes": [
                    {"name": "Run tests", "number": 4, "status": "COMPLETED", "conclusion": "FAILURE",
                     "startedAt": "2026-12-01T10:02:00Z", "completedAt": "2026-12-01T10:04:00Z"}]}}]}}},
            {"id": "WFR_2", "checkSuite": {"checkRuns": {"pageInfo": {"hasNextPage": true}, "nodes": []}}},
            null,
            {},
        ]}});
        let jobs = failed_jobs_answer(&answer, &[&a, &b, &c]);
        assert_eq!(
            jobs.len(),
            1,
            "a run with more failed jobs than a page, or unknown, is left out"
        );
        let job = &jobs[&1][0];
        assert_eq!((job.id, job.run_id, job.run_attempt), (11, 1, Some(2)));
        assert_eq!(job.conclusion, Some(super::super::Conclusion::TimedOut));
        assert!(job.failed());
        assert!(!job.name.contains('\u{1b}'), "{:?}", job.name);
        assert_eq!(job.failed_steps().next().unwrap().number, 4);
        assert_eq!(
            job.html_url.as_deref(),
            Some("https://github.com/acme/api/actions/runs/1/job/11")
        );
    }

    #[test]
    fn a_refused_query_is_told_from_a_partial_answer() {
        assert_eq!(
            refused(&json!({"errors": [{"message": "Bad credentials"}]})).as_deref(),
            Some("Bad credentials")
        );
        assert_eq!(refused(&json!({"data": {"r0": null}, "errors": []})), None);
    }
}
