//! Shared by the integration tests: a simulator on a loopback port and a real client for it.
#![allow(dead_code)]

pub mod hostile;
pub mod terminal;

use std::path::{Path, PathBuf};
use std::time::Duration;

use autoheal::config::Policy;
use autoheal::engine::AuditLog;
use autoheal::forge::{GitHub, RepoRef, RetryPolicy, Secret};
use autoheal::heal::execute::Steps;
use autoheal::heal::{self, Executor, HealError, HealOutcome};
use autoheal::sim::{self, Faults, LoadedScenario, RunningSim, SimOptions, WorldOptions};

pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// The engine tests' small scenario (`tests/fixtures/scenario`).
pub fn test_scenario() -> LoadedScenario {
    LoadedScenario::from_file(&fixtures().join("scenario/scenario.yml")).expect("test scenario")
}

pub fn shop() -> RepoRef {
    RepoRef::new("octo", "shop")
}

/// Retries fast, so fault tests take milliseconds, not minutes.
pub fn fast_retries() -> RetryPolicy {
    RetryPolicy {
        max_retries: 6,
        base_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(100),
        max_rate_limit_wait: Duration::from_secs(5),
        request_timeout: Duration::from_secs(5),
        // GitHub's limits, but writes need not wait a second for a loopback simulator.
        pace: autoheal::forge::Limits {
            write_gap: Duration::from_millis(1),
            ..Default::default()
        },
    }
}

/// Starts a simulator with the test scenario and quick Copilot timings.
pub async fn start_sim() -> RunningSim {
    start_sim_with(test_scenario(), Faults::default()).await
}

pub async fn start_sim_with(scenario: LoadedScenario, faults: Faults) -> RunningSim {
    start_sim_world(scenario, faults, |_| {}).await
}

/// Quick Copilot timings, adjusted by `adjust` (e.g. failing checks).
pub async fn start_sim_world(
    scenario: LoadedScenario,
    faults: Faults,
    adjust: impl FnOnce(&mut WorldOptions),
) -> RunningSim {
    let mut world = WorldOptions {
        copilot_delay: Duration::from_millis(200),
        check_queued: Duration::from_millis(200),
        check_running: Duration::from_millis(300),
        ..WorldOptions::default()
    };
    adjust(&mut world);
    sim::start(
        ([127, 0, 0, 1], 0).into(),
        SimOptions {
            scenario,
            world,
            faults,
            layout: sim::ApiLayout::DotCom,
        },
    )
    .await
    .expect("simulator starts")
}

/// A tracking issue in `octo/shop` assigned to the Copilot coding agent: the simulator
/// opens its draft PR a moment later.
pub async fn issue_for_copilot(gh: &GitHub) -> autoheal::forge::Issue {
    use autoheal::forge::Forge;
    let issue = gh
        .create_issue(
            &shop(),
            &autoheal::forge::NewIssue {
                title: "CI failed".into(),
                body: "details".into(),
                labels: vec![],
            },
        )
        .await
        .expect("issue created");
    gh.add_assignees(&shop(), issue.number, &["copilot-swe-agent[bot]".into()])
        .await
        .expect("assigned to Copilot");
    issue
}

pub fn client(sim: &RunningSim) -> GitHub {
    GitHub::new(&sim.url(), Some(&Secret::new("test-token")), fast_retries()).expect("client")
}

/// The `autoheal` binary, with an environment that finds no token and writes to `home`.
pub fn autoheal(home: &Path) -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_autoheal"));
    cmd.env_remove("GH_TOKEN")
        .env_remove("GITHUB_TOKEN")
        .env_remove("GITHUB_API_URL")
        .env_remove("GITHUB_REPOSITORY")
        // No `gh` to ask for a token: PATH keeps only git.
        .env("PATH", git_only_path(home))
        .env("HOME", home)
        .env("AUTOHEAL_DATA_DIR", home.join("data"))
        .env("AUTOHEAL_CACHE_DIR", home.join("cache"))
        .env("AUTOHEAL_CONFIG_DIR", home.join("config"))
        .current_dir(home)
        .stdin(std::process::Stdio::null());
    cmd
}

fn git_only_path(home: &Path) -> PathBuf {
    let bin = home.join("bin");
    std::fs::create_dir_all(&bin).expect("bin dir");
    for dir in ["/usr/bin", "/usr/local/bin", "/bin"] {
        let git = Path::new(dir).join("git");
        if git.exists() {
            let link = bin.join("git");
            if !link.exists() {
                let _ = std::os::unix::fs::symlink(&git, &link);
            }
            break;
        }
    }
    bin
}

/// Puts into the world a copy of run 9001 still going: its test job failed, a lint job runs.
pub fn a_run_still_going(sim: &autoheal::sim::RunningSim) -> u64 {
    sim.with_world(|w| {
        let repo = &mut w.repos[0];
        let mut run = repo.runs.iter().find(|r| r.id == 9001).unwrap().clone();
        run.id = 9901;
        run.run_number += 100;
        run.status = "in_progress".into();
        run.conclusion = None;
        run.created_at = chrono::Utc::now();
        run.updated_at = run.created_at;
        let mut lint = run.jobs[0].clone();
        for (i, job) in run.jobs.iter_mut().enumerate() {
            job.id = 99_010 + i as u64;
            job.run_id = run.id;
        }
        lint.id = 99_019;
        lint.run_id = run.id;
        lint.name = "lint".into();
        lint.status = "in_progress".into();
        lint.conclusion = None;
        lint.completed_at = None;
        run.jobs.push(lint);
        repo.runs.push(run);
        9901
    })
}

/// Adds repositories like the shop to the simulated organisation: `quiet` (no workflow run
/// ever), `stale` (its runs 90 days old) and, with `archived`, `archived`. Returns
/// `(quiet, stale)`.
pub fn add_dormant_repos(sim: &RunningSim, archived: bool) -> (RepoRef, RepoRef) {
    sim.with_world(|w| {
        let like_shop = |name: &str, id: u64| {
            let mut r = w.repos[0].clone();
            r.name = name.into();
            r.id += id;
            r
        };
        let mut quiet = like_shop("quiet", 1000);
        quiet.runs.clear();
        let mut stale = like_shop("stale", 3000);
        for run in &mut stale.runs {
            run.created_at -= chrono::TimeDelta::days(90);
        }
        let mut added = vec![quiet, stale];
        if archived {
            let mut gone = like_shop("archived", 2000);
            gone.archived = true;
            added.push(gone);
        }
        w.repos.extend(added);
    });
    (RepoRef::new("octo", "quiet"), RepoRef::new("octo", "stale"))
}

/// Polls `f` until it returns `Some`, for tests that wait on the simulated clock.
pub async fn eventually<T>(timeout: Duration, mut f: impl AsyncFnMut() -> Option<T>) -> Option<T> {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if let Some(v) = f().await {
            return Some(v);
        }
        if tokio::time::Instant::now() >= deadline {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Heals a run of octo/shop in this process, as `autoheal heal --yes` would: the given steps,
/// under the repository's policy, without an audit log. Gives the outcome and that policy.
pub async fn heal_run(
    gh: &GitHub,
    run_id: u64,
    steps: Steps,
    force: bool,
) -> (Result<HealOutcome, HealError>, Policy) {
    let prepared = heal::prepare(gh, &shop(), run_id, None, None, &[], heal::Fetch::full())
        .await
        .expect("the run is prepared");
    let plan = heal::plan::plan(
        &prepared.run,
        &prepared.policy.policy,
        &prepared.default_prompt,
        &[],
    );
    let outcome = Executor {
        forge: gh,
        policy: &prepared.policy.policy,
        audit: &AuditLog::disabled(),
        now: chrono::Utc::now(),
    }
    .execute_steps(&plan, force, steps)
    .await;
    (outcome, prepared.policy.policy)
}

/// The comments of a simulated repository's issues that ask Copilot: those starting with
/// `trigger` (`@github-copilot` takes every trigger line).
pub fn copilot_comments(repo: &sim::world::RepoState, trigger: &str) -> usize {
    repo.issues
        .iter()
        .flat_map(|i| &i.comments)
        .filter(|c| c.body.starts_with(trigger))
        .count()
}

/// A simulated repository's heal branches for one run (a second heal would add `-2`).
pub fn heal_branches(repo: &sim::world::RepoState, run_id: u64) -> usize {
    let prefix = format!("auto-heal/ci-{run_id}");
    repo.branches
        .keys()
        .filter(|b| b.starts_with(&prefix))
        .count()
}
