//! The engine against the simulator, over real HTTP: scanning, conditional polling, retries,
//! rate limits, writes that show in later reads, and the Copilot player.

use std::time::Duration;

use crate::common::*;
use autoheal::config::LoadedPolicy;
use autoheal::engine::scan;
use autoheal::forge::{Conclusion, Status};
use autoheal::forge::{Forge, ForgeError, NewIssue};
use autoheal::sim::{Faults, ScriptedFault};

#[tokio::test]
async fn scan_finds_exactly_the_failed_monitored_non_excluded_runs() {
    let sim = start_sim().await;
    let gh = client(&sim);
    let policy = scan::resolve_policy(&gh, &shop(), None).await.unwrap();
    assert_eq!(policy.policy.monitored_workflows, ["CI", "Release*"]);
    let runs = scan::failed_runs(&gh, &shop(), &policy, 20).await.unwrap();
    let ids: Vec<u64> = runs.iter().map(|r| r.run.id).collect();
    // Newest first. 9002 succeeded, 9003 is Lint (not monitored), 9004 is excluded, 9006 was
    // cancelled.
    assert_eq!(ids, vec![9010, 9008, 9009, 9001, 9005, 9007, 9011]);
    let first = &runs[3];
    assert_eq!(first.jobs.len(), 1, "only the failed job");
    assert_eq!(first.jobs[0].name, "test");
    let steps: Vec<&str> = first.jobs[0]
        .failed_steps()
        .map(|s| s.name.as_str())
        .collect();
    assert_eq!(steps, ["Run pytest"]);
    assert!(runs[5].run.is_from_fork());
    assert!(!runs[3].run.is_from_fork());
}

#[tokio::test]
async fn the_policy_defaults_when_the_repository_has_none() {
    let sim = start_sim().await;
    sim.with_world(|w| w.repos[0].files.clear());
    let gh = client(&sim);
    let policy = scan::resolve_policy(&gh, &shop(), None).await.unwrap();
    assert_eq!(policy.policy, LoadedPolicy::defaults().policy);
}

#[tokio::test]
async fn a_repeated_poll_is_answered_304_and_reuses_the_cached_body() {
    let sim = start_sim().await;
    let gh = client(&sim);
    let first = gh.failed_runs(&shop(), 10).await.unwrap();
    let second = gh.failed_runs(&shop(), 10).await.unwrap();
    assert_eq!(first, second);
    let polls: Vec<_> = sim
        .requests()
        .into_iter()
        .filter(|r| r.path.contains("/actions/runs?"))
        .collect();
    assert_eq!(polls.len(), 2, "{polls:?}");
    assert!(!polls[0].conditional);
    assert_eq!(polls[0].status, 200);
    assert!(polls[1].conditional, "the second poll sends If-None-Match");
    assert_eq!(polls[1].status, 304);
    assert_eq!(
        gh.stats()
            .not_modified
            .load(std::sync::atomic::Ordering::Relaxed),
        1
    );
}

/// A body kept on disk that no longer decodes (a disk fault, a crash mid-write on another
/// machine's filesystem) is dropped, and the answer asked for again without an ETag.
#[tokio::test]
async fn a_damaged_body_in_the_disk_cache_is_fetched_again() {
    let sim = start_sim().await;
    let dir = tempfile::tempdir().unwrap();
    let first = gh_with_disk_cache(&sim, dir.path())
        .failed_runs(&shop(), 10)
        .await
        .unwrap();
    for file in std::fs::read_dir(dir.path()).unwrap().flatten() {
        let bytes = std::fs::read(file.path()).unwrap();
        // Keep the key and the ETag; cut the body short.
        let cut = bytes.len() - 10;
        std::fs::write(file.path(), &bytes[..cut]).unwrap();
    }
    sim.clear_requests();
    let again = gh_with_disk_cache(&sim, dir.path())
        .failed_runs(&shop(), 10)
        .await
        .unwrap();
    assert_eq!(again, first);
    let statuses: Vec<(bool, u16)> = sim
        .requests()
        .iter()
        .map(|r| (r.conditional, r.status))
        .collect();
    assert_eq!(statuses, [(true, 304), (false, 200)]);
}

fn gh_with_disk_cache(
    sim: &autoheal::sim::RunningSim,
    dir: &std::path::Path,
) -> autoheal::forge::GitHub {
    client(sim).with_disk_cache(dir.to_path_buf())
}

/// An organisation is watched through its active repositories: an archived one, one with
/// no workflow run and one whose runs are older than the window are left out.
#[tokio::test]
async fn an_organisation_is_its_active_repositories() {
    let sim = start_sim().await;
    add_dormant_repos(&sim, true);
    let gh = client(&sim);
    let now = chrono::Utc::now();
    let active = scan::org_repositories(&gh, "octo", 30, now).await.unwrap();
    assert_eq!(active, [shop()]);
    let this_year = scan::org_repositories(&gh, "octo", 365, now).await.unwrap();
    assert_eq!(
        this_year,
        [shop(), autoheal::forge::RepoRef::new("octo", "stale")]
    );
    let err = scan::org_repositories(&gh, "nobody", 30, now)
        .await
        .unwrap_err();
    assert!(err.to_string().starts_with("organisation nobody:"), "{err}");

    // Listed again, the repositories already watched are not asked about: only the others.
    sim.clear_requests();
    let watched: std::collections::HashSet<_> = this_year.iter().cloned().collect();
    let new = scan::org_repositories_except(&gh, "octo", 365, now, &watched)
        .await
        .unwrap();
    assert!(new.is_empty(), "{new:?}");
    let paths: Vec<String> = sim.requests().into_iter().map(|r| r.path).collect();
    assert!(
        !paths
            .iter()
            .any(|p| p.contains("/octo/shop/") || p.contains("/octo/stale/")),
        "{paths:?}"
    );
}

/// A job that failed while its run still goes on shows at the next poll, which reads the
/// newest runs (one request) and the jobs of the runs still going; and a poll that is not
/// `full` reads no failure list.
#[tokio::test]
async fn a_failed_job_of_a_run_still_going_shows_at_the_next_poll() {
    let sim = start_sim().await;
    let gh = client(&sim);
    let policy = scan::resolve_policy(&gh, &shop(), None).await.unwrap();
    let before = scan::poll(&gh, &shop(), &policy, 20, true).await.unwrap();
    assert!(before.complete);
    // A full poll reads the failure list alone: no run still going in it yet.
    assert!(before.runs.iter().all(|r| r.id != 9901));
    let going = a_run_still_going(&sim);
    sim.clear_requests();
    let poll = scan::poll(&gh, &shop(), &policy, 20, false).await.unwrap();
    assert!(!poll.complete);
    assert_eq!(poll.runs[0].id, going, "newest first");
    assert_eq!(poll.runs[0].status, Some(Status::InProgress));
    let paths: Vec<String> = sim.requests().into_iter().map(|r| r.path).collect();
    assert!(
        !paths.iter().any(|p| p.contains("status=failure")),
        "{paths:?}"
    );
    assert!(
        paths.iter().any(|p| p.contains("/runs/9901/jobs")),
        "{paths:?}"
    );
}

#[tokio::test]
async fn server_errors_on_reads_are_retried() {
    let sim = start_sim().await;
    sim.set_faults(Faults {
        fail_next: vec![
            ScriptedFault {
                method: "GET".into(),
                path_contains: "/actions/runs?".into(),
                status: 502,
                after_effect: false,
            },
            ScriptedFault {
                method: "GET".into(),
                path_contains: "/actions/runs?".into(),
                status: 503,
                after_effect: false,
            },
        ],
        ..Faults::default()
    });
    let gh = client(&sim);
    let runs = gh.failed_runs(&shop(), 10).await.unwrap();
    assert!(!runs.is_empty());
    let statuses: Vec<u16> = sim
        .requests()
        .iter()
        .filter(|r| r.path.contains("/actions/runs?"))
        .map(|r| r.status)
        .collect();
    assert_eq!(statuses, vec![502, 503, 200]);
    assert_eq!(runs.len(), 9);
    assert_eq!(
        gh.stats()
            .retries
            .load(std::sync::atomic::Ordering::Relaxed),
        2
    );
}

#[tokio::test]
async fn rate_limits_wait_for_the_reset_and_then_succeed() {
    let sim = start_sim().await;
    sim.set_faults(Faults {
        rate_limit_every: 2,
        rate_limit_reset_secs: 1,
        ..Faults::default()
    });
    let gh = client(&sim);
    let started = std::time::Instant::now();
    gh.repository(&shop()).await.unwrap();
    gh.workflows(&shop()).await.unwrap();
    let statuses: Vec<u16> = sim.requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses, vec![200, 403, 200]);
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "waited for retry-after"
    );
}

#[tokio::test]
async fn truncated_and_dropped_answers_are_retried() {
    let sim = start_sim().await;
    sim.set_faults(Faults {
        truncate_rate: 0.3,
        drop_rate: 0.3,
        seed: 7,
        ..Faults::default()
    });
    let gh = client(&sim);
    for _ in 0..5 {
        let runs = gh.failed_runs(&shop(), 100).await.unwrap();
        assert_eq!(runs.len(), 9);
    }
    let faulted = sim.requests().iter().filter(|r| r.fault.is_some()).count();
    assert!(faulted > 0, "the dice injected no fault");
}

#[tokio::test]
async fn a_write_that_fails_with_a_5xx_is_not_sent_twice() {
    let sim = start_sim().await;
    sim.set_faults(Faults {
        fail_next: vec![ScriptedFault {
            method: "POST".into(),
            path_contains: "/issues".into(),
            status: 502,
            after_effect: true,
        }],
        ..Faults::default()
    });
    let gh = client(&sim);
    let issue = NewIssue {
        title: "t".into(),
        body: "b".into(),
        labels: vec!["auto-heal".into()],
    };
    let err = gh.create_issue(&shop(), &issue).await.unwrap_err();
    assert!(err.maybe_applied(), "{err}");
    let posts = sim.requests().iter().filter(|r| r.method == "POST").count();
    assert_eq!(posts, 1, "an ambiguous write is never retried blindly");
    // It was applied: the caller finds it before trying again.
    let found = gh
        .issues_with_label(&shop(), "auto-heal", "open")
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
}

#[tokio::test]
async fn job_logs_follow_the_redirect_without_sending_the_token_along() {
    let sim = start_sim().await;
    let gh = client(&sim);
    let log = gh.job_log(&shop(), 90011).await.unwrap();
    let text = String::from_utf8(log.to_vec()).unwrap();
    assert!(text.contains("ModuleNotFoundError: No module named 'requests'"));
    assert!(
        !text.contains("2025-11-20"),
        "timestamps were moved to the run's time"
    );
    let requests = sim.requests();
    let api = requests.iter().find(|r| r.path.ends_with("/logs")).unwrap();
    assert_eq!(api.status, 302);
    assert!(api.authorized);
    let blob = requests
        .iter()
        .find(|r| r.path.contains("/_sim/blobs/"))
        .unwrap();
    assert!(
        !blob.authorized,
        "the token must not travel to the blob host"
    );
}

#[tokio::test]
async fn jobs_carry_step_times_that_match_their_log() {
    let sim = start_sim().await;
    let gh = client(&sim);
    let jobs = gh.jobs(&shop(), 9001).await.unwrap();
    let job = jobs.iter().find(|j| j.name == "test").unwrap();
    let pytest = job.steps.iter().find(|s| s.name == "Run pytest").unwrap();
    let log = String::from_utf8(gh.job_log(&shop(), job.id).await.unwrap().to_vec()).unwrap();
    let line4 = log.lines().nth(3).unwrap();
    let started = pytest
        .started_at
        .unwrap()
        .format("%Y-%m-%dT%H:%M:%S")
        .to_string();
    assert!(line4.starts_with(&started), "{line4} vs {started}");
    assert_eq!(job.check_run_id(), Some(90011));
    let annotations = gh.annotations(&shop(), 90011).await.unwrap();
    assert_eq!(annotations.len(), 1);
    assert_eq!(
        annotations[0].message.as_deref(),
        Some("Process completed with exit code 1.")
    );
}

#[tokio::test]
async fn writes_show_in_later_reads() {
    let sim = start_sim().await;
    let gh = client(&sim);
    let repo = shop();
    let issue = gh
        .create_issue(
            &repo,
            &NewIssue {
                title: "[auto-heal] CI failed on main (run 9001)".into(),
                body: "<!-- autoheal:run=9001 -->".into(),
                labels: vec!["auto-heal".into(), "auto-heal:dependency".into()],
            },
        )
        .await
        .unwrap();
    assert!(issue.has_label("auto-heal:dependency"));
    let listed = gh
        .issues_with_label(&repo, "auto-heal", "open")
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].number, issue.number);
    assert!(
        gh.issues_with_label(&repo, "other", "open")
            .await
            .unwrap()
            .is_empty()
    );

    gh.create_comment(&repo, issue.number, "hello")
        .await
        .unwrap();
    let comments = gh.comments(&repo, issue.number).await.unwrap();
    assert_eq!(comments.len(), 1);
    assert_eq!(comments[0].body.as_deref(), Some("hello"));

    assert!(
        gh.branch_ref(&repo, "auto-heal/ci-9001")
            .await
            .unwrap()
            .is_none()
    );
    let sha = "1111111111111111111111111111111111111111";
    let created = gh
        .create_branch(&repo, "auto-heal/ci-9001", sha)
        .await
        .unwrap();
    assert_eq!(created.object.sha, sha);
    let got = gh
        .branch_ref(&repo, "auto-heal/ci-9001")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got.name, "refs/heads/auto-heal/ci-9001");
    let again = gh
        .create_branch(&repo, "auto-heal/ci-9001", sha)
        .await
        .unwrap_err();
    assert_eq!(again.status(), Some(422), "{again}");
}

#[tokio::test]
async fn a_copilot_request_makes_a_linked_draft_pr_whose_checks_finish() {
    let sim = start_sim().await;
    let gh = client(&sim);
    let repo = shop();
    let issue = gh
        .create_issue(
            &repo,
            &NewIssue {
                title: "CI failed".into(),
                body: "details".into(),
                labels: vec![],
            },
        )
        .await
        .unwrap();
    gh.create_comment(
        &repo,
        issue.number,
        "@github-copilot workspace\n\nPlease fix",
    )
    .await
    .unwrap();
    gh.add_assignees(&repo, issue.number, &["copilot-swe-agent[bot]".into()])
        .await
        .unwrap();
    let pr_number = eventually(Duration::from_secs(5), async || {
        let events = gh.timeline(&repo, issue.number).await.ok()?;
        events.iter().find_map(|e| {
            (e.event.as_deref() == Some("cross-referenced"))
                .then(|| e.source.as_ref()?.issue.as_ref().map(|i| i.number))
                .flatten()
        })
    })
    .await
    .expect("the Copilot PR appears and is cross-referenced");
    let pr = gh.pull(&repo, pr_number).await.unwrap();
    assert_eq!(pr.draft, Some(true));
    assert!(pr.head.name.starts_with("copilot/"));
    assert!(
        pr.body
            .unwrap_or_default()
            .contains(&format!("Fixes #{}", issue.number))
    );
    let by_branch = gh.pulls_for_branch(&repo, &pr.head.name).await.unwrap();
    assert_eq!(
        by_branch.len(),
        1,
        "one request, one PR, though two triggers"
    );

    let done = eventually(Duration::from_secs(5), async || {
        let checks = gh.check_runs(&repo, &pr.head.sha).await.ok()?;
        (checks.len() == 2 && checks.iter().all(|c| c.status == Status::Completed))
            .then_some(checks)
    })
    .await
    .expect("checks complete");
    assert!(
        done.iter()
            .all(|c| c.conclusion == Some(Conclusion::Success))
    );
}

#[tokio::test]
async fn files_come_from_the_contents_api() {
    let sim = start_sim().await;
    let gh = client(&sim);
    let readme = gh.file(&shop(), "README.md", None).await.unwrap();
    assert_eq!(readme.as_deref(), Some("# shop\n"));
    assert_eq!(gh.file(&shop(), "missing.txt", None).await.unwrap(), None);
}

#[tokio::test]
async fn an_unreachable_api_is_a_clear_network_error() {
    // Bind and drop a listener to get a port nobody answers on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let gh = autoheal::forge::GitHub::new(
        &format!("http://127.0.0.1:{port}"),
        None,
        autoheal::forge::RetryPolicy {
            max_retries: 2,
            ..fast_retries()
        },
    )
    .unwrap();
    let err = gh.repository(&shop()).await.unwrap_err();
    assert!(matches!(err, ForgeError::Network { .. }), "{err}");
    assert!(err.to_string().contains("after 2 retries"), "{err}");
}

/// GitHub Enterprise Server keeps REST under `/api/v3` and GraphQL at `/api/graphql`,
/// outside the REST base: a scan with logs, paginated reads, a heal with its Copilot PR and
/// marking that PR ready all work against that layout, and nothing is asked of
/// `/api/v3/graphql` (the simulator has no such path, as GHES has none).
#[tokio::test]
async fn the_enterprise_server_layout_works_rest_under_api_v3_and_graphql_beside_it() {
    let sim = autoheal::sim::start(
        ([127, 0, 0, 1], 0).into(),
        autoheal::sim::SimOptions {
            scenario: test_scenario(),
            world: autoheal::sim::WorldOptions {
                copilot_delay: Duration::from_millis(100),
                ..Default::default()
            },
            faults: Faults::default(),
            layout: autoheal::sim::ApiLayout::EnterpriseServer,
        },
    )
    .await
    .unwrap();
    assert!(sim.url().ends_with("/api/v3"), "{}", sim.url());
    let gh = client(&sim);
    let repo = shop();
    let policy = scan::resolve_policy(&gh, &repo, None).await.unwrap();
    assert_eq!(policy.policy.monitored_workflows, ["CI", "Release*"]);
    let runs = scan::failed_runs(&gh, &repo, &policy, 20).await.unwrap();
    let ids: Vec<u64> = runs.iter().map(|r| r.run.id).collect();
    assert_eq!(ids, vec![9010, 9008, 9009, 9001, 9005, 9007, 9011]);
    let log = gh.job_log(&repo, 90011).await.unwrap();
    assert!(String::from_utf8_lossy(&log).contains("ModuleNotFoundError"));

    let issue = issue_for_copilot(&gh).await;
    let pull = eventually(Duration::from_secs(5), async || {
        autoheal::watch::find_pr(&gh, &repo, issue.number, None)
            .await
            .ok()
            .flatten()
    })
    .await
    .expect("the Copilot PR appears");
    assert_eq!(pull.draft, Some(true));
    gh.mark_ready(&pull.node_id).await.unwrap();
    assert_eq!(
        gh.pull(&repo, pull.number).await.unwrap().draft,
        Some(false)
    );
    let graphql: Vec<String> = sim
        .requests()
        .into_iter()
        .filter(|r| r.path.contains("graphql"))
        .map(|r| format!("{} {}", r.path, r.status))
        .collect();
    assert_eq!(graphql, ["/api/graphql 200"]);
    let outside: Vec<String> = sim
        .requests()
        .into_iter()
        .map(|r| r.path)
        .filter(|p| !p.starts_with("/api/v3/") && p != "/api/graphql")
        .collect();
    assert!(outside.is_empty(), "REST went outside /api/v3: {outside:?}");
}

/// Why now, on the demo: its compile error names the commit that changed the file in the
/// error; its nightly test failure passed on a re-run last week, so it is flaky and re-run
/// first; a branch with no green run says so. A comparison of two commits is asked once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn why_now_names_the_suspect_commit_and_the_flaky_failure() {
    use autoheal::analysis::Recommendation;
    use autoheal::heal;
    use autoheal::history::BaseKind;

    let sim = start_sim_with(
        autoheal::sim::LoadedScenario::demo().unwrap(),
        Faults::default(),
    )
    .await;
    let gh = client(&sim);
    let engine: autoheal::forge::RepoRef = "acme/engine".parse().unwrap();
    let webshop: autoheal::forge::RepoRef = "acme/webshop".parse().unwrap();
    let prepare = async |repo, run| {
        heal::prepare(&gh, repo, run, None, None, &[], heal::Fetch::full())
            .await
            .unwrap()
    };

    let compile = prepare(&engine, 12796151312).await;
    let why = compile.run.why.as_ref().unwrap();
    let changes = why.changes.as_ref().unwrap();
    assert_eq!(changes.base_kind, BaseKind::LastGreen);
    assert_eq!(changes.base_run, Some(12793821184));
    assert_eq!(changes.commits, 3);
    let suspect = &why.suspects()[0];
    assert!(suspect.sha.starts_with("4cacc97"), "{suspect:?}");
    assert_eq!(
        suspect.files,
        ["crates/webshop-core/src/pricing/discount.rs"]
    );
    assert_eq!(suspect.author.as_deref(), Some("okafor-c"));
    assert_eq!(
        why.changes_line(),
        "since the last green run: 3 commits; suspect 4cacc97 'Read rounding mode from \
         pricing config' changed `crates/webshop-core/src/pricing/discount.rs`, named at line \
         206 of the log"
    );
    assert!(!why.flaky());
    assert!(
        compile
            .default_prompt
            .contains("suspect 4cacc97 \"Read rounding mode from pricing config\" by okafor-c"),
        "{}",
        compile.default_prompt
    );
    let plan = heal::plan::plan(
        &compile.run,
        &compile.policy.policy,
        &compile.default_prompt,
        &[],
    );
    assert!(
        plan.issue.body.contains("suspect 4cacc97"),
        "{}",
        plan.issue.body
    );

    sim.clear_requests();
    let nightly = prepare(&webshop, 12795379595).await;
    // Explained against its last green run's log, and without it for the history: the
    // failed job's log is read once.
    let log_reads = sim
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/actions/jobs/35575984006/logs"))
        .count();
    assert_eq!(log_reads, 1);
    assert!(nightly.run.jobs[0].baseline_job.is_some());
    let history = nightly.run.why.as_ref().unwrap().history.clone().unwrap();
    assert!(history.flaky, "{history:?}");
    assert_eq!((history.seen, history.passed_on_rerun), (2, 1));
    assert_eq!(nightly.run.verdict.recommendation, Recommendation::Rerun);
    assert!(
        nightly
            .run
            .verdict
            .recommendation_reason
            .starts_with("flaky: seen twice since"),
        "{}",
        nightly.run.verdict.recommendation_reason
    );
    assert!(nightly.default_prompt.contains("(flaky)"));

    let feature = prepare(&webshop, 12796024954).await;
    let why = feature.run.why.unwrap();
    let missing = why.changes.unwrap_err();
    assert!(
        missing.starts_with("no green run of CI on feature/checkout-v2 within its last"),
        "{missing}"
    );

    // A pull request's run is compared with the pull request's base.
    let pull = prepare(&engine, 12795606147).await;
    let changes = pull.run.why.unwrap().changes.unwrap();
    assert_eq!(changes.base_kind, BaseKind::PullRequestBase);
    assert!(changes.base.starts_with("ea1ef25"), "{changes:?}");
    assert_eq!(changes.commits, 1);

    // The same comparison again: answered from what was kept, not asked.
    sim.clear_requests();
    prepare(&engine, 12796151312).await;
    let asked: Vec<String> = sim.requests().into_iter().map(|r| r.path).collect();
    assert!(
        !asked
            .iter()
            .any(|p| p.contains("/compare/") || p.contains("/commits/")),
        "{asked:?}"
    );
}
