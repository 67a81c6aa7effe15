//! Following heals to their end against the simulator: the Copilot PR is found from the issue,
//! its checks followed; the books are kept once per PR head; a merged PR plus a green run
//! closes the issue as healed; watching an unchanged repository costs only 304s.

use std::time::Duration;

use crate::common::*;
use autoheal::config::Policy;
use autoheal::engine::AuditLog;
use autoheal::forge::{Forge, GitHub};
use autoheal::heal::execute::Steps;
use autoheal::sim::Faults;
use autoheal::watch::{self, HealState, HealStatus};
use chrono::Utc;

async fn heal_9001(gh: &GitHub) -> u64 {
    let (outcome, _) = heal_run(gh, 9001, Steps::ALL, false).await;
    outcome.unwrap().issue_number.expect("a tracking issue")
}

async fn settled(gh: &GitHub, policy: &Policy) -> HealStatus {
    eventually(Duration::from_secs(10), async || {
        let all = watch::statuses(gh, &shop(), policy).await.ok()?;
        let s = all.into_iter().next()?;
        matches!(s.state, HealState::ChecksPassed | HealState::ChecksFailed).then_some(s)
    })
    .await
    .expect("the heal PR's checks finish")
}

/// The pull request the simulated Copilot opened (the scenario has others).
fn copilot_pr(repo: &mut autoheal::sim::world::RepoState) -> &mut autoheal::sim::world::PullState {
    repo.pulls
        .iter_mut()
        .find(|p| p.head_ref.starts_with("copilot/"))
        .expect("a Copilot PR")
}

fn policy() -> Policy {
    Policy {
        monitored_workflows: vec!["*".into()],
        ..Policy::default()
    }
}

#[tokio::test]
async fn the_copilot_pr_is_found_and_its_passing_checks_are_reported_once_and_marked_ready() {
    let sim = start_sim().await;
    let gh = client(&sim);
    let issue = heal_9001(&gh).await;
    let policy = policy();
    let s = settled(&gh, &policy).await;
    assert_eq!(s.issue_number, issue);
    assert_eq!(s.state, HealState::ChecksPassed);
    assert_eq!(s.draft, Some(true));
    assert_eq!(s.pr_author.as_deref(), Some("Copilot"));
    assert_eq!(s.checks.len(), 2);
    assert!(!s.over_file_limit);

    let audit = AuditLog::disabled();
    let done = watch::bookkeep(&gh, &shop(), &policy, &s, true, &audit)
        .await
        .unwrap();
    assert_eq!(done.actions.len(), 2, "{done:?}");
    let pr = gh.pull(&shop(), s.pr_number.unwrap()).await.unwrap();
    assert_eq!(pr.draft, Some(false), "marked ready for review");
    let again = watch::statuses(&gh, &shop(), &policy)
        .await
        .unwrap()
        .remove(0);
    let done = watch::bookkeep(&gh, &shop(), &policy, &again, true, &audit)
        .await
        .unwrap();
    assert!(done.actions.is_empty(), "said once per head sha: {done:?}");
    let comments = gh.comments(&shop(), issue).await.unwrap();
    assert_eq!(
        comments
            .iter()
            .filter(|c| c.body.as_deref().unwrap_or("").contains("passed at"))
            .count(),
        1
    );
}

#[tokio::test]
async fn failing_checks_are_reported_exactly_once_with_their_names() {
    let sim = start_sim_world(test_scenario(), Faults::default(), |w| {
        w.copilot_checks_conclusion = "failure".into()
    })
    .await;
    let gh = client(&sim);
    let issue = heal_9001(&gh).await;
    let policy = policy();
    let s = settled(&gh, &policy).await;
    assert_eq!(s.state, HealState::ChecksFailed);
    let audit = AuditLog::disabled();
    for _ in 0..3 {
        let s = watch::statuses(&gh, &shop(), &policy)
            .await
            .unwrap()
            .remove(0);
        watch::bookkeep(&gh, &shop(), &policy, &s, false, &audit)
            .await
            .unwrap();
    }
    let comments = gh.comments(&shop(), issue).await.unwrap();
    let failed: Vec<_> = comments
        .iter()
        .filter_map(|c| c.body.as_deref())
        .filter(|b| b.contains("failed at"))
        .collect();
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert!(
        failed[0].contains("`build` (failure)") && failed[0].contains("`test` (failure)"),
        "{}",
        failed[0]
    );
}

#[tokio::test]
async fn a_pr_over_the_file_limit_is_labelled_and_noted_once() {
    let sim = start_sim_world(test_scenario(), Faults::default(), |w| {
        w.copilot_changed_files = 50
    })
    .await;
    let gh = client(&sim);
    let issue = heal_9001(&gh).await;
    let policy = policy();
    let s = settled(&gh, &policy).await;
    assert!(s.over_file_limit);
    let audit = AuditLog::disabled();
    watch::bookkeep(&gh, &shop(), &policy, &s, false, &audit)
        .await
        .unwrap();
    watch::bookkeep(&gh, &shop(), &policy, &s, false, &audit)
        .await
        .unwrap();
    let labels = sim.with_world(|w| copilot_pr(&mut w.repos[0]).labels.clone());
    assert_eq!(labels, vec!["needs-manual-review"]);
    let notes = gh
        .comments(&shop(), issue)
        .await
        .unwrap()
        .into_iter()
        .filter(|c| c.body.as_deref().unwrap_or("").contains("max_file_changes"))
        .count();
    assert_eq!(notes, 1);
}

#[tokio::test]
async fn a_merged_pr_and_a_green_run_close_the_issue_as_healed() {
    let sim = start_sim().await;
    let gh = client(&sim);
    let issue = heal_9001(&gh).await;
    let policy = policy();
    let s = settled(&gh, &policy).await;
    let audit = AuditLog::disabled();
    // Someone merges the PR; nothing happens until the workflow passes again.
    sim.with_world(|w| {
        let pr = copilot_pr(&mut w.repos[0]);
        pr.merged_at = Some(Utc::now() - chrono::TimeDelta::seconds(30));
        pr.state = "closed".into();
    });
    let merged = watch::statuses(&gh, &shop(), &policy)
        .await
        .unwrap()
        .remove(0);
    assert_eq!(merged.state, HealState::Merged);
    assert!(
        watch::bookkeep(&gh, &shop(), &policy, &merged, false, &audit)
            .await
            .unwrap()
            .actions
            .is_empty()
    );
    // The next CI run on main succeeds.
    sim.with_world(|w| {
        let mut green = w.repos[0]
            .runs
            .iter()
            .find(|r| r.id == 9001)
            .unwrap()
            .clone();
        green.id = 9100;
        green.head_sha = "a".repeat(40);
        green.conclusion = Some("success".into());
        green.created_at = Utc::now();
        w.repos[0].runs.push(green);
    });
    let done = watch::bookkeep(&gh, &shop(), &policy, &merged, false, &audit)
        .await
        .unwrap();
    assert_eq!(
        done.actions,
        vec![format!("closed issue #{issue} as healed")]
    );
    let closed = gh.issue(&shop(), issue).await.unwrap();
    assert_eq!(closed.state, "closed");
    assert!(closed.has_label("auto-heal-success"));
    let finished = watch::statuses(&gh, &shop(), &policy)
        .await
        .unwrap()
        .remove(0);
    assert_eq!(finished.state, HealState::Healed);
    assert!(finished.finished());
    let _ = s;
}

#[tokio::test]
async fn watching_an_unchanged_repository_costs_only_conditional_requests() {
    let sim = start_sim().await;
    let gh = client(&sim);
    heal_9001(&gh).await;
    let policy = policy();
    settled(&gh, &policy).await;
    // Let every check finish, then poll with one watcher: the later polls are the steady state.
    tokio::time::sleep(Duration::from_millis(600)).await;
    let mut watcher = watch::Watcher::default();
    watcher.statuses(&gh, &shop(), &policy).await.unwrap();
    watcher.statuses(&gh, &shop(), &policy).await.unwrap();
    sim.clear_requests();
    let s = watcher.statuses(&gh, &shop(), &policy).await.unwrap();
    let requests = sim.requests();
    println!(
        "steady state: {} heal(s), {} requests, {} conditional, {} answered 304",
        s.len(),
        requests.len(),
        requests.iter().filter(|r| r.conditional).count(),
        requests.iter().filter(|r| r.status == 304).count()
    );
    assert!(!requests.is_empty());
    assert!(
        requests
            .iter()
            .all(|r| r.method == "GET" && r.conditional && r.status == 304),
        "{requests:?}"
    );
    // One list of tracking issues for the repository, then one request per heal PR.
    assert_eq!(requests.len(), 1 + s.len(), "{requests:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_and_stats_commands_report_in_json() {
    let sim = start_sim().await;
    let gh = client(&sim);
    heal_9001(&gh).await;
    settled(&gh, &policy()).await;
    let home = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        let out = autoheal(home.path())
            .env("GITHUB_API_URL", sim.url())
            .env("GITHUB_TOKEN", "t")
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()
    };
    let status = run(&["status", "--repo", "octo/shop", "--json", "--bookkeep"]);
    let heal = &status["heals"][0];
    assert_eq!(heal["run_id"], 9001);
    assert_eq!(heal["state"], "checks_passed");
    assert!(heal["pr_number"].is_u64());
    assert_eq!(status["bookkeeping"].as_array().unwrap().len(), 1);
    let stats = run(&["stats", "--repo", "octo/shop", "--json", "--days", "7"]);
    assert_eq!(stats["heals_started"], 1);
    assert_eq!(stats["prs_opened"], 1);
    assert!(stats["failures_seen"].as_u64().unwrap() >= 3);
    assert_eq!(stats["by_category"]["dependency"]["heals"], 1);
}
