//! The real `autoheal` binary: the README's promises, exit statuses, and the standalone
//! simulator driven through `GITHUB_API_URL` exactly as a user would.

use std::process::Command;

use crate::common::terminal::SimProcess;
use crate::common::*;
use serde_json::Value;

fn run(cmd: &mut Command) -> (i32, String, String) {
    let out = cmd.output().expect("autoheal runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn without_a_token_scan_falls_back_to_the_demo_and_says_how_to_connect() {
    let home = tempfile::tempdir().unwrap();
    let (code, stdout, stderr) = run(autoheal(home.path()).args(["scan", "--json"]));
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("No GitHub token found"), "{stderr}");
    assert!(stderr.contains("GH_TOKEN"), "{stderr}");
    let doc: Value = serde_json::from_str(&stdout).expect("stdout is one JSON document");
    let runs = doc["runs"].as_array().unwrap();
    assert!(!runs.is_empty(), "the demo has failed runs");
    for r in runs {
        for key in [
            "repo",
            "run_id",
            "workflow",
            "branch",
            "event",
            "head_sha",
            "html_url",
            "created_at",
            "jobs",
            "changes",
            "suspects",
            "history",
        ] {
            assert!(!r[key].is_null(), "{key} missing in {r}");
        }
    }
    // Why now: the compile error's suspect commit, the nightly test failure's flakiness.
    let run = |id: u64| runs.iter().find(|r| r["run_id"] == id).unwrap();
    let compile = run(12796151312);
    let suspect = &compile["suspects"][0];
    assert_eq!(suspect["sha"], "4cacc97e154898ed6cc1a041676ac1bd22591edf");
    assert_eq!(suspect["title"], "Read rounding mode from pricing config");
    assert_eq!(suspect["author"], "okafor-c");
    assert_eq!(
        suspect["files"][0],
        "crates/webshop-core/src/pricing/discount.rs"
    );
    assert!(suspect["reason"].as_str().unwrap().contains("line 206"));
    assert_eq!(compile["changes"]["commits"], 3);
    assert_eq!(compile["changes"]["base_kind"], "last_green");
    let nightly = run(12795379595);
    assert_eq!(nightly["history"]["flaky"], true, "{nightly}");
    assert_eq!(nightly["history"]["passed_on_rerun"], 1);
    assert_eq!(nightly["history"]["branches"][0], "main");
    assert_eq!(nightly["recommendation"], "rerun");
}

#[test]
fn a_malformed_config_is_a_located_error_with_exit_status_2() {
    let home = tempfile::tempdir().unwrap();
    let bad = home.path().join("bad.yml");
    std::fs::write(&bad, "enabled: true\nmax_heal_attempts_per_day: [3\n").unwrap();
    let (code, stdout, stderr) = run(autoheal(home.path())
        .args(["scan", "--demo", "--config"])
        .arg(&bad));
    assert_eq!(code, 2, "{stderr}");
    assert!(stdout.is_empty());
    let expected = format!("{}:", bad.display());
    assert!(stderr.contains(&expected), "{stderr}");
    assert!(
        stderr
            .lines()
            .any(|l| l.contains(":3:") || l.contains(":2:")),
        "names the line: {stderr}"
    );
}

#[test]
fn a_bad_pattern_in_the_config_names_the_pattern() {
    let home = tempfile::tempdir().unwrap();
    let bad = home.path().join("auto-heal-config.yml");
    std::fs::write(
        &bad,
        "failure_patterns:\n  - pattern: \"npm ERR! (\"\n    suggestion: x\n",
    )
    .unwrap();
    let (code, _, stderr) = run(autoheal(home.path())
        .args(["scan", "--demo", "--config"])
        .arg(&bad));
    assert_eq!(code, 2);
    assert!(
        stderr.contains("failure_patterns[0]") && stderr.contains("npm ERR! ("),
        "{stderr}"
    );
}

#[test]
fn unknown_config_keys_warn_and_the_scan_goes_on() {
    let home = tempfile::tempdir().unwrap();
    let cfg = home.path().join("auto-heal-config.yml");
    std::fs::write(&cfg, "enabled: true\nmonitored_workflow: [\"CI\"]\n").unwrap();
    let (code, _, stderr) = run(autoheal(home.path())
        .args(["scan", "--demo", "--json", "--config"])
        .arg(&cfg));
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("unknown key `monitored_workflow`"),
        "{stderr}"
    );
}

#[test]
fn every_command_has_help() {
    let home = tempfile::tempdir().unwrap();
    for args in [
        vec!["--help"],
        vec!["scan", "--help"],
        vec!["sim", "--help"],
    ] {
        let (code, stdout, _) = run(autoheal(home.path()).args(&args));
        assert_eq!(code, 0, "{args:?}");
        assert!(stdout.contains("Usage:"), "{args:?}: {stdout}");
    }
}

#[test]
fn a_bad_repository_name_is_a_usage_error() {
    let home = tempfile::tempdir().unwrap();
    let (code, _, stderr) =
        run(autoheal(home.path()).args(["scan", "--demo", "--repo", "nonsense"]));
    assert_eq!(code, 2);
    assert!(stderr.contains("OWNER/NAME"), "{stderr}");
}

/// `autoheal sim` in one process, `scan` against it in another, through GITHUB_API_URL.
#[test]
fn the_standalone_simulator_serves_scan_through_the_real_client() {
    let home = tempfile::tempdir().unwrap();
    let sim = SimProcess::start(home.path(), &fixtures().join("scenario/scenario.yml"), &[]);
    let url = sim.url.clone();

    let (code, stdout, stderr) = run(autoheal(home.path())
        .env("GITHUB_API_URL", &url)
        .env("GITHUB_TOKEN", "x")
        .args(["scan", "--repo", "octo/shop", "--json"]));
    drop(sim);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        !stderr.contains("demo"),
        "a token was given: no demo notice: {stderr}"
    );
    let doc: Value = serde_json::from_str(&stdout).unwrap();
    let ids: Vec<u64> = doc["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["run_id"].as_u64().unwrap())
        .collect();
    assert_eq!(ids, vec![9010, 9008, 9009, 9001, 9005, 9007, 9011]);
    let first = &doc["runs"][3];
    assert_eq!(first["jobs"][0]["failed_steps"][0], "Run pytest");
    assert_eq!(first["branch"], "main");
    assert_eq!(
        first["head_sha"],
        "1111111111111111111111111111111111111111"
    );
}

#[test]
fn analyze_explains_a_local_log_as_json() {
    let home = tempfile::tempdir().unwrap();
    let log = fixtures().join("scenario/logs/missing-module.log");
    let (code, stdout, stderr) = run(autoheal(home.path())
        .args(["analyze", "--json", "--log"])
        .arg(&log));
    assert_eq!(code, 0, "{stderr}");
    let doc: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(doc["category"], "dependency");
    assert_eq!(doc["safe_to_heal"], true);
    assert_eq!(doc["format"], "raw_github");
    let excerpt = doc["excerpt"].as_array().unwrap();
    let line6 = excerpt
        .iter()
        .find(|l| l["line"] == 6)
        .expect("the failing line is in the excerpt");
    assert_eq!(
        line6["text"],
        "E   ModuleNotFoundError: No module named 'requests'"
    );
    let m = &doc["matches"][0];
    assert_eq!(m["line"], 6);
    assert_eq!(m["category"], "dependency");
    assert!(m["suggestion"].as_str().unwrap().contains("requests"));
    assert!(m["pattern"].is_string());
}

#[test]
fn analyze_reads_gh_run_view_and_plain_logs() {
    let home = tempfile::tempdir().unwrap();
    let gh = home.path().join("gh.log");
    std::fs::write(
        &gh,
        "build\tSet up job\t2025-01-01T00:00:00.0000000Z Current runner version: '2.321.0'\n\
         build\tRun tests\t2025-01-01T00:00:01.0000000Z --- FAIL: TestTotal (0.00s)\n\
         build\tRun tests\t2025-01-01T00:00:01.1000000Z ##[error]Process completed with exit code 1.\n",
    )
    .unwrap();
    let (code, stdout, _) = run(autoheal(home.path())
        .args(["analyze", "--json", "--log"])
        .arg(&gh));
    assert_eq!(code, 0);
    let doc: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(doc["format"], "gh_run_view");
    assert_eq!(doc["failed_step"], "Run tests");
    assert_eq!(doc["category"], "test");
    assert_eq!(doc["excerpt"][1]["text"], "--- FAIL: TestTotal (0.00s)");

    let plain = home.path().join("jenkins.log");
    std::fs::write(&plain, "Started by user\r\n[INFO] BUILD FAILURE\r\n[ERROR] Failed to execute goal x: Compilation failure\r\n").unwrap();
    let (code, stdout, _) = run(autoheal(home.path()).args(["analyze", "--log"]).arg(&plain));
    assert_eq!(code, 0);
    assert!(stdout.contains("plain log, 3 lines"), "{stdout}");
    assert!(stdout.contains("Failed to execute goal"), "{stdout}");
}

#[test]
fn analyze_refuses_a_missing_file_with_a_usage_error() {
    let home = tempfile::tempdir().unwrap();
    let (code, _, stderr) = run(autoheal(home.path()).args(["analyze", "--log", "nope.log"]));
    assert_eq!(code, 2);
    assert!(stderr.contains("nope.log"), "{stderr}");
}

#[test]
fn scan_json_explains_each_run_and_masks_secrets_from_logs() {
    let home = tempfile::tempdir().unwrap();
    let (code, stdout, stderr) =
        run(autoheal(home.path()).args(["scan", "--demo", "--json", "--repo", "globex/infra"]));
    assert_eq!(code, 0, "{stderr}");
    assert!(
        !stdout.contains("AKIAIOSFODNN7EXAMPLE"),
        "an AWS key leaked"
    );
    assert!(!stdout.contains("ghp_"), "a GitHub token leaked");
    let doc: Value = serde_json::from_str(&stdout).unwrap();
    let runs = doc["runs"].as_array().unwrap();
    for r in runs {
        assert!(r["category"].is_string(), "{r}");
        assert!(r["safe_to_heal"].is_boolean());
        assert!(r.get("blocked_reason").is_some());
        for j in r["jobs"].as_array().unwrap() {
            assert!(j["excerpt"].is_array() && j["matches"].is_array(), "{j}");
        }
    }
    let deploy = runs.iter().find(|r| r["workflow"] == "Deploy").unwrap();
    assert_eq!(deploy["category"], "credentials");
    assert_eq!(deploy["safe_to_heal"], false);
    assert_eq!(deploy["recommendation"], "manual_review");
    let security = runs
        .iter()
        .find(|r| r["workflow"] == "Security Scan")
        .unwrap();
    assert_eq!(security["category"], "security");
    assert_eq!(security["safe_to_heal"], false);
}

#[test]
fn init_writes_the_policy_and_the_workflow_and_never_overwrites_without_force() {
    let home = tempfile::tempdir().unwrap();
    let (code, stdout, stderr) = run(autoheal(home.path()).args(["init"]));
    assert_eq!(code, 0, "{stderr}");
    let config = home.path().join(".github/auto-heal-config.yml");
    let workflow = home.path().join(".github/workflows/auto-heal-failures.yml");
    assert!(config.is_file() && workflow.is_file(), "{stdout}");
    assert!(
        home.path()
            .join(".github/workflows/auto-heal-cleanup.yml")
            .is_file()
    );
    std::fs::write(&config, "enabled: false\n").unwrap();
    let (code, _, stderr) = run(autoheal(home.path()).args(["init"]));
    assert_eq!(code, 2);
    assert!(stderr.contains("--force"), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(&config).unwrap(),
        "enabled: false\n"
    );
    let (code, _, _) = run(autoheal(home.path()).args(["init", "--force"]));
    assert_eq!(code, 0);
    assert!(
        std::fs::read_to_string(&config)
            .unwrap()
            .contains("max_heal_attempts_per_day: 3")
    );
    // The written policy is what scan reads.
    let (code, _, stderr) = run(autoheal(home.path())
        .args(["scan", "--demo", "--json", "--config"])
        .arg(&config));
    assert_eq!(code, 0, "{stderr}");
}

/// Everything the commands print for a person about a run a fork's author wrote (its title,
/// names and log full of escape sequences) comes out as plain text: nothing that could
/// drive the terminal, checked on the raw bytes.
#[test]
fn nothing_from_a_hostile_run_reaches_the_terminal_through_printed_text() {
    let home = tempfile::tempdir().unwrap();
    let scenario = hostile::write_scenario(&home.path().join("hostile"));
    let sim = SimProcess::start(home.path(), &scenario, &[]);
    let log = home.path().join("hostile/logs/hostile.log");
    let log = log.to_str().unwrap();
    let commands: &[&[&str]] = &[
        &["scan", "--repo", "octo/shop"],
        &["heal", "--repo", "octo/shop", "--run", "7001", "--dry-run"],
        &[
            "heal",
            "--repo",
            "octo/shop",
            "--run",
            "7001",
            "--force",
            "--yes",
        ],
        &["status", "--repo", "octo/shop"],
        &["analyze", "--log", log],
    ];
    for args in commands {
        let out = autoheal(home.path())
            .env("GITHUB_API_URL", &sim.url)
            .env("GITHUB_TOKEN", "x")
            .args(*args)
            .output()
            .unwrap();
        assert!(
            out.status.code().is_some_and(|c| c < 100),
            "{args:?}: {out:?}"
        );
        assert!(!out.stdout.is_empty(), "{args:?} printed something");
        for (stream, bytes) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
            // Valid UTF-8: no stray 8-bit control byte either.
            let text = String::from_utf8(bytes.clone())
                .unwrap_or_else(|e| panic!("{args:?} {stream}: not UTF-8: {e}"));
            let bad: Vec<char> = text
                .chars()
                .filter(|&c| c != '\n' && hostile::is_forbidden(c))
                .collect();
            assert!(bad.is_empty(), "{args:?} {stream}: {bad:?} in:\n{text}");
            for payload in hostile::HIDDEN_PAYLOADS {
                assert!(
                    !text.contains(payload),
                    "{args:?} {stream}: {payload}:\n{text}"
                );
            }
        }
        if args[0] == "scan" {
            let text = String::from_utf8_lossy(&out.stdout);
            assert!(text.contains("Fix prices"), "{text}");
        }
    }
}

/// The ETag cache lives under the cache directory: a second `status` or `scan` a moment
/// after the first is answered by 304s (free against the rate limit), and the cache holds
/// no token.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_command_is_answered_by_304s_from_the_cache_on_disk() {
    let sim = start_sim().await;
    let home = tempfile::tempdir().unwrap();
    let command = |args: &[&str]| {
        let mut cmd = autoheal(home.path());
        cmd.env("GITHUB_API_URL", sim.url())
            .env("GITHUB_TOKEN", "ghp_secret-test-token")
            .args(args);
        cmd
    };
    let (code, _, stderr) = run(&mut command(&["status", "--repo", "octo/shop"]));
    assert_eq!(code, 0, "{stderr}");
    let first = sim.requests();
    assert!(first.iter().all(|r| !r.conditional || r.status == 304));
    sim.clear_requests();
    let (code, _, stderr) = run(&mut command(&["status", "--repo", "octo/shop"]));
    assert_eq!(code, 0, "{stderr}");
    let second = sim.requests();
    let not_modified = second.iter().filter(|r| r.status == 304).count();
    let seen: Vec<(String, u16)> = second.iter().map(|r| (r.path.clone(), r.status)).collect();
    assert_eq!(second.len(), first.len(), "{seen:?}");
    assert_eq!(
        not_modified,
        second.len(),
        "every read answered 304: {seen:?}"
    );

    // The same for `scan`, which also reads each failed run's jobs.
    run(&mut command(&["scan", "--repo", "octo/shop"]));
    sim.clear_requests();
    let (code, _, stderr) = run(&mut command(&["scan", "--repo", "octo/shop"]));
    assert_eq!(code, 0, "{stderr}");
    let again = sim.requests();
    assert!(again.len() > 2, "the run list and the jobs of each run");
    assert!(again.iter().all(|r| r.status == 304), "{again:?}");

    let cache = home.path().join("cache").join("http");
    let files: Vec<_> = std::fs::read_dir(&cache).unwrap().flatten().collect();
    assert!(!files.is_empty());
    for file in files {
        let bytes = std::fs::read(file.path()).unwrap();
        assert!(
            !String::from_utf8_lossy(&bytes).contains("secret-test-token"),
            "{:?} holds the token",
            file.path()
        );
    }
}

/// `--org` names every active repository of an organisation, for every command.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_organisation_named_with_org_is_scanned_through_its_repositories() {
    let sim = start_sim().await;
    let home = tempfile::tempdir().unwrap();
    let scan = |org: &str| {
        let mut cmd = autoheal(home.path());
        cmd.env("GITHUB_API_URL", sim.url())
            .env("GITHUB_TOKEN", "x")
            .args(["scan", "--org", org, "--json"]);
        run(&mut cmd)
    };
    let (code, stdout, stderr) = scan("octo");
    assert_eq!(code, 0, "{stderr}");
    let report: Value = serde_json::from_str(&stdout).unwrap();
    let text = report.to_string();
    assert!(text.contains("octo/shop"), "{text}");
    let (code, _, stderr) = scan("nobody");
    assert_ne!(code, 0);
    assert!(stderr.contains("organisation nobody"), "{stderr}");
}

/// `autoheal sim --org` serves a generated organisation that `--org` then watches whole.
#[test]
fn the_simulator_generates_an_organisation_that_org_scans_whole() {
    use std::io::BufRead;
    let home = tempfile::tempdir().unwrap();
    let mut child = autoheal(home.path())
        .args(["sim", "--port", "0", "--org", "acme", "--repos", "3"])
        .args(["--failed-per-repo", "2"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut banner = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    banner.read_line(&mut first).unwrap();
    let url = first.trim().rsplit(' ').next().unwrap().to_string();
    let (code, stdout, stderr) = run(autoheal(home.path())
        .env("GITHUB_API_URL", &url)
        .env("GITHUB_TOKEN", "x")
        .args(["scan", "--org", "acme", "--json", "--no-baseline"]));
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(code, 0, "{stderr}");
    let report: Value = serde_json::from_str(&stdout).unwrap();
    let runs = report["runs"].as_array().expect("runs");
    let repos: std::collections::BTreeSet<&str> =
        runs.iter().filter_map(|r| r["repo"].as_str()).collect();
    assert_eq!(
        repos.into_iter().collect::<Vec<_>>(),
        ["acme/billing-api", "acme/checkout-api", "acme/search-api"]
    );
    // Two failed runs in each; a run of a workflow its policy does not monitor is not listed.
    assert!((3..=6).contains(&runs.len()), "{}", runs.len());
}

/// `scan --json` lists a run still going in which a job has already failed, with its status.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scan_lists_a_run_still_going_with_its_failed_job() {
    let sim = start_sim().await;
    let going = a_run_still_going(&sim);
    let home = tempfile::tempdir().unwrap();
    let (code, stdout, stderr) = run(autoheal(home.path())
        .env("GITHUB_API_URL", sim.url())
        .env("GITHUB_TOKEN", "x")
        .args(["scan", "--repo", "octo/shop", "--json", "--no-baseline"]));
    assert_eq!(code, 0, "{stderr}");
    let report: Value = serde_json::from_str(&stdout).unwrap();
    let runs = report["runs"].as_array().unwrap();
    let found = runs
        .iter()
        .find(|r| r["run_id"] == going)
        .expect("the run still going is listed");
    assert_eq!(found["status"], "in_progress");
    let jobs = found["jobs"].as_array().unwrap();
    assert_eq!(jobs.len(), 1, "only the failed job: {jobs:?}");
    assert!(
        runs.iter()
            .filter(|r| r["run_id"] != going)
            .all(|r| r["status"] == "completed")
    );
}

/// The install step `autoheal init` writes, run as a runner would against a release served on
/// loopback: it takes the release archive for the runner, checks its SHA-256 and puts the
/// binary on the PATH; an archive whose checksum does not match stops it with an error.
#[test]
fn the_workflows_install_step_takes_the_release_and_checks_its_checksum() {
    let tools = ["bash", "curl", "tar", "sha256sum"];
    if let Some(missing) = tools.iter().find(|t| {
        Command::new("sh")
            .args(["-c", &format!("command -v {t}")])
            .output()
            .map_or(true, |o| !o.status.success())
    }) {
        println!("skipped: {missing} is not installed");
        return;
    }
    let home = tempfile::tempdir().unwrap();
    let repo = home.path().join("repo");
    let (code, _, stderr) = run(autoheal(home.path())
        .args([
            "init",
            "--version",
            "9.9.9",
            "--from",
            "acme/autoheal",
            "--dir",
        ])
        .arg(&repo));
    assert_eq!(code, 0, "{stderr}");
    let workflow: serde_yaml::Value = serde_yaml::from_str(
        &std::fs::read_to_string(repo.join(".github/workflows/auto-heal-failures.yml")).unwrap(),
    )
    .unwrap();
    let step = workflow["jobs"]["heal"]["steps"]
        .as_sequence()
        .unwrap()
        .iter()
        .find(|s| s["name"].as_str().is_some_and(|n| n.starts_with("Install")))
        .unwrap()
        .clone();
    let script = step["run"].as_str().unwrap().to_string();

    // A release: the archive of a stand-in binary, and its checksum.
    let pkg = home.path().join("pkg");
    std::fs::create_dir_all(&pkg).unwrap();
    std::fs::write(
        pkg.join("autoheal"),
        "#!/bin/sh\necho 'autoheal 9.9.9 (stand-in)'\n",
    )
    .unwrap();
    let name = "autoheal-9.9.9-x86_64-unknown-linux-musl.tar.gz";
    let sh = |cmd: &str| {
        let out = Command::new("sh")
            .arg("-c")
            .arg(cmd)
            .current_dir(&pkg)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{cmd}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    sh(&format!("chmod +x autoheal && tar -czf {name} autoheal"));
    let sum = sh(&format!("sha256sum {name}"));
    let archive = std::fs::read(pkg.join(name)).unwrap();

    let install = |checksum: String| {
        let base = "/acme/autoheal/releases/download/v9.9.9";
        let files = vec![
            (format!("{base}/{name}"), archive.clone()),
            (format!("{base}/{name}.sha256"), checksum.into_bytes()),
        ];
        let url = serve(files);
        let runner = tempfile::tempdir().unwrap();
        let path = format!(
            "{}:{}",
            runner.path().join("home/.cargo/bin").display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let out = Command::new("bash")
            .args(["-c", &script])
            .env_clear()
            .env("PATH", path)
            .env("HOME", runner.path().join("home"))
            .env("RUNNER_TEMP", runner.path())
            .env("RUNNER_OS", "Linux")
            .env("RUNNER_ARCH", "X64")
            .env(
                "AUTOHEAL_VERSION",
                step["env"]["AUTOHEAL_VERSION"].as_str().unwrap(),
            )
            .env(
                "AUTOHEAL_FROM",
                step["env"]["AUTOHEAL_FROM"].as_str().unwrap(),
            )
            .env("AUTOHEAL_RELEASES_URL", url)
            .output()
            .unwrap();
        let installed = runner.path().join("home/.cargo/bin/autoheal").is_file();
        (out, installed)
    };

    let (out, installed) = install(sum.clone());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(installed);
    assert!(stdout.contains("autoheal 9.9.9 (stand-in)"), "{stdout}");

    let wrong = format!("{}  {name}\n", "0".repeat(64));
    let (out, installed) = install(wrong);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "{stdout}");
    assert!(
        stdout.contains("::error::") && stdout.contains("SHA-256"),
        "{stdout}"
    );
    assert!(
        !installed,
        "nothing is installed from an archive that fails its check"
    );
}

/// Serves `files` (path, body) over HTTP on loopback until the process ends; the base URL.
fn serve(files: Vec<(String, Vec<u8>)>) -> String {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(&stream);
            let mut request = String::new();
            if reader.read_line(&mut request).is_err() {
                continue;
            }
            let mut header = String::new();
            while reader.read_line(&mut header).is_ok_and(|n| n > 2) {
                header.clear();
            }
            let path = request.split_whitespace().nth(1).unwrap_or("").to_string();
            let mut stream = &stream;
            match files.iter().find(|(p, _)| *p == path) {
                Some((_, body)) => {
                    let head = format!(
                        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                        body.len()
                    );
                    let _ = stream.write_all(head.as_bytes());
                    let _ = stream.write_all(body);
                }
                None => {
                    let _ = stream.write_all(
                        b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                    );
                }
            }
        }
    });
    url
}

/// `scan` tells a person why now, too: the demo's suspect commit and its flaky failure.
#[test]
fn scan_says_what_changed_and_what_is_flaky() {
    let home = tempfile::tempdir().unwrap();
    let (code, stdout, stderr) = run(autoheal(home.path()).args([
        "scan",
        "--demo",
        "--repo",
        "acme/engine",
        "--repo",
        "acme/webshop",
    ]));
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("since the last green run: 3 commits; suspect 4cacc97"),
        "{stdout}"
    );
    assert!(stdout.contains("flaky: seen twice since"), "{stdout}");
}
