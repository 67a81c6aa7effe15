//! Beyond healing, against the simulator over HTTP: bounded re-runs of transient failures,
//! failure fingerprints, heal PRs whose runs await approval, and stale heal branch cleanup.

use std::process::Command;
use std::time::Duration;

use crate::common::*;
use autoheal::forge::{Conclusion, Status};
use autoheal::forge::{Forge, GitHub};
use autoheal::heal::execute::Steps;
use autoheal::heal::{self};
use autoheal::sim::{Faults, RequestRecord, RunningSim};
use autoheal::watch::{self, HealState};
use serde_json::Value;

fn writes(sim: &RunningSim) -> Vec<RequestRecord> {
    sim.requests()
        .into_iter()
        .filter(RequestRecord::is_write)
        .collect()
}

fn autoheal_at(sim: &RunningSim, home: &std::path::Path) -> Command {
    let mut cmd = autoheal(home);
    cmd.env("GITHUB_API_URL", sim.url())
        .env("GITHUB_TOKEN", "t");
    cmd
}

fn run(cmd: &mut Command) -> (i32, String, String) {
    let out = cmd.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transient_failure_is_rerun_once_and_the_new_attempt_turns_green() {
    let sim = start_sim().await;
    let home = tempfile::tempdir().unwrap();
    let gh = client(&sim);
    let prepared = heal::prepare(&gh, &shop(), 9010, None, None, &[], heal::Fetch::full())
        .await
        .unwrap();
    assert_eq!(
        prepared.run.verdict.recommendation,
        autoheal::analysis::Recommendation::Rerun
    );

    let (code, stdout, stderr) = run(autoheal_at(&sim, home.path()).args([
        "rerun",
        "--repo",
        "octo/shop",
        "--run",
        "9010",
        "--yes",
        "--json",
    ]));
    assert_eq!(code, 0, "{stderr}");
    let doc: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(doc["attempt"], 2);
    let w = writes(&sim);
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(w[0].path.ends_with("/actions/runs/9010/rerun-failed-jobs"));

    let green = eventually(Duration::from_secs(10), async || {
        let r = gh.run(&shop(), 9010).await.ok()?;
        (r.status == Some(Status::Completed)).then_some(r)
    })
    .await
    .unwrap();
    assert_eq!(green.run_attempt, Some(2));
    assert_eq!(green.conclusion, Some(Conclusion::Success));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_at_its_last_attempt_is_not_rerun_and_exits_3() {
    let sim = start_sim().await;
    let home = tempfile::tempdir().unwrap();
    let config = home.path().join("one.yml");
    std::fs::write(&config, "rerun:\n  max_attempts: 1\n").unwrap();
    let (code, _, stderr) = run(autoheal_at(&sim, home.path())
        .args([
            "rerun",
            "--repo",
            "octo/shop",
            "--run",
            "9010",
            "--yes",
            "--config",
        ])
        .arg(&config));
    assert_eq!(code, 3, "{stderr}");
    assert!(stderr.contains("attempt 1 of 1"), "{stderr}");
    assert!(writes(&sim).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn from_event_reruns_a_transient_failure_instead_of_healing_it() {
    let sim = start_sim().await;
    let home = tempfile::tempdir().unwrap();
    let event = home.path().join("event.json");
    std::fs::write(
        &event,
        r#"{"workflow_run":{"id":9010,"conclusion":"failure"},"repository":{"full_name":"octo/shop"}}"#,
    )
    .unwrap();
    let (code, stdout, stderr) = run(autoheal_at(&sim, home.path())
        .env("GITHUB_EVENT_PATH", &event)
        .args(["heal", "--from-event", "--yes"]));
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("re-running"), "{stdout}");
    let w = writes(&sim);
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(w[0].path.ends_with("rerun-failed-jobs"));
}

async fn fingerprint(gh: &GitHub, run: u64) -> String {
    let prepared = heal::prepare(gh, &shop(), run, None, None, &[], heal::Fetch::full())
        .await
        .unwrap();
    prepared.run.fingerprint()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_failure_shares_a_fingerprint_and_different_failures_do_not() {
    let sim = start_sim().await;
    let gh = client(&sim);
    // 9001 and 9008: the same missing module, with other ids, shas, times, temp paths and
    // line numbers. 9011: another missing module. 9010: another category.
    let a = fingerprint(&gh, 9001).await;
    let b = fingerprint(&gh, 9008).await;
    let c = fingerprint(&gh, 9011).await;
    let d = fingerprint(&gh, 9010).await;
    assert_eq!(a, b);
    assert_ne!(a, c);
    assert_ne!(a, d);
    // scan --json carries it.
    let home = tempfile::tempdir().unwrap();
    let (code, stdout, _) =
        run(autoheal_at(&sim, home.path()).args(["scan", "--repo", "octo/shop", "--json"]));
    assert_eq!(code, 0);
    let doc: Value = serde_json::from_str(&stdout).unwrap();
    let fp = |id: u64| {
        doc["runs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["run_id"] == id)
            .unwrap()["fingerprint"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(fp(9001), a);
    assert_eq!(fp(9008), b);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_heal_pr_awaiting_approval_says_so_and_is_approved_exactly_once() {
    let sim = start_sim_world(test_scenario(), Faults::default(), |w| {
        w.require_approval = true
    })
    .await;
    let gh = client(&sim);
    let (outcome, policy) = heal_run(&gh, 9001, Steps::ALL, false).await;
    outcome.unwrap();
    let waiting = eventually(Duration::from_secs(5), async || {
        let s = watch::statuses(&gh, &shop(), &policy)
            .await
            .ok()?
            .into_iter()
            .next()?;
        (s.state == HealState::AwaitingApproval).then_some(s)
    })
    .await
    .expect("the PR's runs await approval");
    assert!(waiting.checks.is_empty());
    assert_eq!(waiting.waiting_runs.len(), 1);

    let home = tempfile::tempdir().unwrap();
    let (_, stdout, _) =
        run(autoheal_at(&sim, home.path()).args(["status", "--repo", "octo/shop", "--json"]));
    let doc: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(doc["heals"][0]["state"], "action_required");

    sim.clear_requests();
    let pr = waiting.pr_number.unwrap().to_string();
    let (code, stdout, stderr) = run(autoheal_at(&sim, home.path()).args([
        "approve",
        "--repo",
        "octo/shop",
        "--pr",
        &pr,
        "--yes",
        "--json",
    ]));
    assert_eq!(code, 0, "{stderr}");
    let doc: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(doc["approved"].as_array().unwrap().len(), 1);
    let approvals = writes(&sim)
        .iter()
        .filter(|r| r.path.ends_with("/approve"))
        .count();
    assert_eq!(approvals, 1);
    // Approving again finds nothing waiting and sends nothing.
    sim.clear_requests();
    let (code, _, _) = run(autoheal_at(&sim, home.path()).args([
        "approve",
        "--repo",
        "octo/shop",
        "--pr",
        &pr,
        "--yes",
    ]));
    assert_eq!(code, 0);
    assert!(writes(&sim).is_empty());
    // Then its checks run to the end.
    let done = eventually(Duration::from_secs(10), async || {
        let s = watch::statuses(&gh, &shop(), &policy)
            .await
            .ok()?
            .into_iter()
            .next()?;
        (s.state == HealState::ChecksPassed).then_some(s)
    })
    .await;
    assert!(done.is_some(), "the approved PR's checks pass");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cleanup_deletes_exactly_the_stale_heal_branch_and_says_why_it_keeps_the_others() {
    let sim = start_sim().await;
    let home = tempfile::tempdir().unwrap();
    let (code, stdout, stderr) = run(autoheal_at(&sim, home.path()).args([
        "cleanup",
        "--repo",
        "octo/shop",
        "--dry-run",
        "--json",
    ]));
    assert_eq!(code, 0, "{stderr}");
    assert!(writes(&sim).is_empty(), "a dry run deletes nothing");
    let doc: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        doc["deleted"],
        serde_json::json!(["octo/shop:auto-heal/ci-1"])
    );
    let kept = doc["kept"].as_array().unwrap();
    let reason = |b: &str| {
        kept.iter()
            .find(|k| k["branch"] == format!("octo/shop:{b}"))
            .map(|k| k["reason"].as_str().unwrap().to_string())
    };
    assert!(reason("auto-heal/ci-2").unwrap().contains("is open"));
    assert!(reason("auto-heal/ci-3").unwrap().contains("days old"));
    assert_eq!(
        reason("feature/old"),
        None,
        "outside the prefix: never even listed"
    );

    let (code, _, stderr) =
        run(autoheal_at(&sim, home.path()).args(["cleanup", "--repo", "octo/shop", "--yes"]));
    assert_eq!(code, 0, "{stderr}");
    let deletes: Vec<String> = writes(&sim)
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert_eq!(
        deletes,
        vec!["DELETE /repos/octo/shop/git/refs/heads/auto-heal/ci-1"]
    );
    let branches = sim.with_world(|w| w.repos[0].branches.keys().cloned().collect::<Vec<_>>());
    assert!(!branches.contains(&"auto-heal/ci-1".to_string()));
    assert!(
        branches.contains(&"auto-heal/ci-2".to_string())
            && branches.contains(&"feature/old".to_string())
    );
    let gh = client(&sim);
    assert!(gh.branch_ref(&shop(), "main").await.unwrap().is_some());
}
