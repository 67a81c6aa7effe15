//! The real console in a real terminal (tmux) against the simulator over HTTP: start, see the
//! runs, open one, edit the prompt, create the tracking issue, see the result, quit, and find
//! the terminal restored. `.ci/run` installs tmux; without it the test says so and skips.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

fn tmux(args: &[&str]) -> String {
    let out = Command::new("tmux").args(args).output().expect("tmux runs");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn screen(session: &str) -> String {
    tmux(&["capture-pane", "-p", "-t", session])
}

/// Waits until the screen shows `text` (or fails with the screen it saw).
fn wait_for(session: &str, text: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let s = screen(session);
        if s.contains(text) {
            return s;
        }
        if Instant::now() > deadline {
            panic!("the screen never showed {text:?}:\n{s}");
        }
        std::thread::sleep(Duration::from_millis(150));
    }
}

fn keys(session: &str, keys: &[&str]) {
    let mut args = vec!["send-keys", "-t", session];
    args.extend_from_slice(keys);
    tmux(&args);
    std::thread::sleep(Duration::from_millis(250));
}

/// `GET /_sim/requests` over a plain socket.
fn sim_requests(url: &str) -> serde_json::Value {
    let addr = url.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    write!(
        stream,
        "GET /_sim/requests HTTP/1.0\r\nHost: {addr}\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let body = response.split("\r\n\r\n").nth(1).unwrap_or("[]");
    serde_json::from_str(body).unwrap()
}

#[test]
fn a_user_finds_a_failure_edits_the_prompt_creates_the_issue_and_quits_cleanly() {
    if Command::new("tmux").arg("-V").output().is_err() {
        println!("skipped: tmux is not installed (.ci/run installs it)");
        return;
    }
    let home = tempfile::tempdir().unwrap();
    let scenario = fixtures().join("scenario/scenario.yml");
    let mut sim = autoheal(home.path())
        .args(["sim", "--port", "0", "--copilot-delay", "1", "--scenario"])
        .arg(&scenario)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut banner = BufReader::new(sim.stdout.take().unwrap());
    let mut first = String::new();
    banner.read_line(&mut first).unwrap();
    let url = first.trim().rsplit(' ').next().unwrap().to_string();

    let session = format!("autoheal-e2e-{}", std::process::id());
    let bin = env!("CARGO_BIN_EXE_autoheal");
    let data = home.path().join("data");
    let command = format!(
        "env -u GH_TOKEN GITHUB_TOKEN=e2e-token GITHUB_API_URL={url} AUTOHEAL_DATA_DIR={} \
         AUTOHEAL_CONFIG_DIR={} AUTOHEAL_CACHE_DIR={} {bin} --repo octo/shop; echo AUTOHEAL-EXITED $?; sleep 60",
        data.display(),
        home.path().join("config").display(),
        home.path().join("cache").display(),
    );
    tmux(&[
        "new-session",
        "-d",
        "-s",
        &session,
        "-x",
        "140",
        "-y",
        "45",
        &command,
    ]);
    let result = std::panic::catch_unwind(|| {
        // The runs appear and are analysed without a keypress.
        wait_for(&session, "Failed runs (7)");
        wait_for(&session, "Could not resolve host");
        // Open the run on main with the missing module (fourth, by age).
        keys(&session, &["j", "j", "j", "Enter"]);
        let s = wait_for(&session, "#9001");
        assert!(s.contains("dependency"), "{s}");
        wait_for(&session, "ModuleNotFoundError");
        // Edit the prompt.
        keys(&session, &["e"]);
        wait_for(&session, "editing");
        keys(&session, &["-l", "E2E NOTE "]);
        keys(&session, &["Escape"]);
        wait_for(&session, "e edits");
        // Create the tracking issue: the dialog shows what will be created first.
        keys(&session, &["i"]);
        wait_for(&session, "[auto-heal] CI failed on main (run 9001)");
        keys(&session, &["y"]);
        let s = wait_for(&session, "created issue #");
        assert!(s.contains("Issue     #"), "{s}");
        // Help from the overlay, then quit.
        keys(&session, &["?"]);
        wait_for(&session, "create the tracking issue");
        keys(&session, &["Escape"]);
        keys(&session, &["q"]);
        let s = wait_for(&session, "AUTOHEAL-EXITED 0");
        // The alternate screen is gone: nothing of the console is left on screen.
        assert!(
            !s.contains("Failed runs"),
            "the terminal was not restored:\n{s}"
        );
    });
    tmux(&["kill-session", "-t", &session]);
    let requests = sim_requests(&url);
    let _ = sim.kill();
    let _ = sim.wait();
    if let Err(e) = result {
        std::panic::resume_unwind(e);
    }
    let issue_posts = requests
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| {
            r["method"] == "POST"
                && r["path"]
                    .as_str()
                    .unwrap()
                    .ends_with("/repos/octo/shop/issues")
        })
        .count();
    assert_eq!(issue_posts, 1, "exactly one issue was created");
    // The draft survived on disk, with the user's words.
    let draft = std::fs::read_to_string(data.join("drafts/octo/shop/9001.md")).unwrap();
    assert!(draft.starts_with("E2E NOTE "), "{draft}");
    assert!(Path::new(&data.join("audit.jsonl")).is_file());
}

#[test]
fn a_prompt_draft_survives_kill_9() {
    if Command::new("tmux").arg("-V").output().is_err() {
        println!("skipped: tmux is not installed (.ci/run installs it)");
        return;
    }
    let home = tempfile::tempdir().unwrap();
    let scenario = fixtures().join("scenario/scenario.yml");
    let mut sim = autoheal(home.path())
        .args(["sim", "--port", "0", "--scenario"])
        .arg(&scenario)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut banner = BufReader::new(sim.stdout.take().unwrap());
    let mut first = String::new();
    banner.read_line(&mut first).unwrap();
    let url = first.trim().rsplit(' ').next().unwrap().to_string();
    let session = format!("autoheal-kill-{}", std::process::id());
    let data = home.path().join("data");
    let command = format!(
        "env -u GH_TOKEN GITHUB_TOKEN=t GITHUB_API_URL={url} AUTOHEAL_DATA_DIR={} \
         AUTOHEAL_CONFIG_DIR={} AUTOHEAL_CACHE_DIR={} {} --repo octo/shop",
        data.display(),
        home.path().join("config").display(),
        home.path().join("cache").display(),
        env!("CARGO_BIN_EXE_autoheal"),
    );
    tmux(&[
        "new-session",
        "-d",
        "-s",
        &session,
        "-x",
        "140",
        "-y",
        "45",
        &command,
    ]);
    let result = std::panic::catch_unwind(|| {
        wait_for(&session, "Fix the failing");
        keys(&session, &["e"]);
        wait_for(&session, "editing");
        keys(&session, &["-l", "SURVIVES KILL "]);
        // The draft is saved within a couple of seconds of the last keystroke.
        wait_for(&session, "editing · unsaved");
        wait_for(&session, "editing · saved");
        let pane_pid = tmux(&["list-panes", "-t", &session, "-F", "#{pane_pid}"]);
        let killed = Command::new("pkill")
            .args(["-9", "-P", pane_pid.trim()])
            .status()
            .unwrap();
        assert!(
            killed.success()
                || Command::new("kill")
                    .args(["-9", pane_pid.trim()])
                    .status()
                    .unwrap()
                    .success()
        );
    });
    tmux(&["kill-session", "-t", &session]);
    let _ = sim.kill();
    let _ = sim.wait();
    if let Err(e) = result {
        std::panic::resume_unwind(e);
    }
    let drafts = data.join("drafts/octo/shop");
    let found: Vec<String> = std::fs::read_dir(&drafts)
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "md"))
        .map(|e| std::fs::read_to_string(e.path()).unwrap())
        .collect();
    assert_eq!(
        found.len(),
        1,
        "one whole draft, no partial file taken for it"
    );
    assert!(
        found[0].starts_with("SURVIVES KILL Fix the failing"),
        "{}",
        found[0]
    );
}

#[test]
fn the_console_answers_keys_while_every_request_stalls() {
    if Command::new("tmux").arg("-V").output().is_err() {
        println!("skipped: tmux is not installed (.ci/run installs it)");
        return;
    }
    let home = tempfile::tempdir().unwrap();
    let scenario = fixtures().join("scenario/scenario.yml");
    let mut sim = autoheal(home.path())
        .args([
            "sim",
            "--port",
            "0",
            "--stall-rate",
            "1",
            "--stall-ms",
            "20000",
            "--scenario",
        ])
        .arg(&scenario)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut banner = BufReader::new(sim.stdout.take().unwrap());
    let mut first = String::new();
    banner.read_line(&mut first).unwrap();
    let url = first.trim().rsplit(' ').next().unwrap().to_string();
    let session = format!("autoheal-stall-{}", std::process::id());
    let command = format!(
        "env -u GH_TOKEN GITHUB_TOKEN=t GITHUB_API_URL={url} AUTOHEAL_DATA_DIR={} \
         AUTOHEAL_CONFIG_DIR={} {} --repo octo/shop; echo AUTOHEAL-EXITED $?; sleep 30",
        home.path().join("data").display(),
        home.path().join("config").display(),
        env!("CARGO_BIN_EXE_autoheal"),
    );
    tmux(&[
        "new-session",
        "-d",
        "-s",
        &session,
        "-x",
        "140",
        "-y",
        "45",
        &command,
    ]);
    let result = std::panic::catch_unwind(|| {
        let s = wait_for(&session, "Looking for failed runs");
        assert!(s.contains("refreshing"), "{s}");
        // Every request hangs for 20 s; the keys still work at once.
        let asked = Instant::now();
        keys(&session, &["?"]);
        wait_for(&session, "create the tracking issue");
        keys(&session, &["Escape"]);
        keys(&session, &["q"]);
        wait_for(&session, "AUTOHEAL-EXITED 0");
        assert!(
            asked.elapsed() < Duration::from_secs(10),
            "{:?}",
            asked.elapsed()
        );
    });
    tmux(&["kill-session", "-t", &session]);
    let _ = sim.kill();
    let _ = sim.wait();
    if let Err(e) = result {
        std::panic::resume_unwind(e);
    }
}
