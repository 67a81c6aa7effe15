//! The real console in a real terminal (tmux) against the simulator over HTTP: start, see the
//! runs, open one, edit the prompt, create the tracking issue, see the result, quit, and find
//! the terminal restored; a draft that survives kill -9; keys answered while GitHub stalls.
//! `.ci/run` installs tmux; without it each test says so and skips.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::common::terminal::{SimProcess, Tmux, console_command};
use crate::common::*;

#[test]
fn a_user_finds_a_failure_edits_the_prompt_creates_the_issue_and_quits_cleanly() {
    let home = tempfile::tempdir().unwrap();
    let sim = SimProcess::start(
        home.path(),
        &fixtures().join("scenario/scenario.yml"),
        &["--copilot-delay", "1"],
    );
    let data = home.path().join("data");
    let command = console_command(
        home.path(),
        &sim.url,
        &[("GITHUB_TOKEN", "e2e-token")],
        "--repo octo/shop",
    );
    let Some(tmux) = Tmux::start("e2e", &command, &[]) else {
        return;
    };
    // The runs appear and are analysed without a keypress.
    tmux.wait_for("Failed runs (7)");
    tmux.wait_for("Could not resolve host");
    // Open the run on main with the missing module (fourth, by age).
    tmux.keys(&["j", "j", "j", "Enter"]);
    tmux.wait_for("#9001");
    let s = tmux.wait_for("ModuleNotFoundError");
    assert!(s.contains("dependency"), "{s}");
    // Edit the prompt.
    tmux.keys(&["e"]);
    tmux.wait_for("editing");
    tmux.keys(&["-l", "E2E NOTE "]);
    tmux.keys(&["Escape"]);
    tmux.wait_for("e edits");
    // Create the tracking issue: the dialog shows what will be created first.
    tmux.keys(&["i"]);
    tmux.wait_for("[auto-heal] CI failed on main (run 9001)");
    tmux.keys(&["y"]);
    let s = tmux.wait_for("created issue #");
    assert!(s.contains("Issue     #"), "{s}");
    // Help from the overlay, then quit.
    tmux.keys(&["?"]);
    tmux.wait_for("create the tracking issue");
    tmux.keys(&["Escape"]);
    tmux.keys(&["q"]);
    let s = tmux.wait_for("AUTOHEAL-EXITED 0");
    // The alternate screen is gone: nothing of the console is left on screen.
    assert!(
        !s.contains("Failed runs"),
        "the terminal was not restored:\n{s}"
    );
    assert_eq!(tmux.query("#{alternate_on}"), "0");

    assert_eq!(
        sim.count("POST", "/repos/octo/shop/issues"),
        1,
        "exactly one issue was created"
    );
    // The draft survived on disk, with the user's words.
    let draft = std::fs::read_to_string(data.join("drafts/octo/shop/9001.md")).unwrap();
    assert!(draft.starts_with("E2E NOTE "), "{draft}");
    assert!(Path::new(&data.join("audit.jsonl")).is_file());
}

#[test]
fn a_prompt_draft_survives_kill_9() {
    let home = tempfile::tempdir().unwrap();
    let sim = SimProcess::start(home.path(), &fixtures().join("scenario/scenario.yml"), &[]);
    let data = home.path().join("data");
    let command = console_command(
        home.path(),
        &sim.url,
        &[("GITHUB_TOKEN", "t")],
        "--repo octo/shop",
    );
    let Some(tmux) = Tmux::start("kill", &command, &[]) else {
        return;
    };
    tmux.wait_for("Fix the failing");
    tmux.keys(&["e"]);
    tmux.wait_for("editing");
    tmux.keys(&["-l", "SURVIVES KILL "]);
    // Killed as soon as the text shows: an edit is on disk before the frame that shows it.
    tmux.wait_for("SURVIVES KILL");
    let pane_pid = tmux.pane_pid();
    let killed = Command::new("pkill")
        .args(["-9", "-P", &pane_pid])
        .status()
        .unwrap();
    assert!(killed.success(), "the console was killed");
    drop(tmux);
    drop(sim);
    let draft = autoheal::tui::drafts::load_in(&data, &shop(), 9010).unwrap_or_default();
    assert!(
        draft.starts_with("SURVIVES KILL Fix the failing"),
        "{draft:?}"
    );
}

#[test]
fn the_console_answers_keys_while_every_request_stalls() {
    let home = tempfile::tempdir().unwrap();
    let sim = SimProcess::start(
        home.path(),
        &fixtures().join("scenario/scenario.yml"),
        &["--stall-rate", "1", "--stall-ms", "20000"],
    );
    let command = console_command(
        home.path(),
        &sim.url,
        &[("GITHUB_TOKEN", "t")],
        "--repo octo/shop",
    );
    let Some(tmux) = Tmux::start("stall", &command, &[]) else {
        return;
    };
    let s = tmux.wait_for("Looking for failed runs");
    assert!(s.contains("refreshing"), "{s}");
    // Every request hangs for 20 s; the keys still work at once.
    let asked = Instant::now();
    tmux.keys(&["?"]);
    tmux.wait_for("create the tracking issue");
    tmux.keys(&["Escape"]);
    tmux.keys(&["q"]);
    tmux.wait_for("AUTOHEAL-EXITED 0");
    assert!(
        asked.elapsed() < Duration::from_secs(10),
        "{:?}",
        asked.elapsed()
    );
}

/// A fork's run whose title, names and log are full of terminal escape sequences: the
/// console shows it, its excerpt and its full log, and the terminal is never driven: the
/// pane's title stays, no clipboard buffer appears, the alternate screen stays on.
#[test]
fn nothing_from_a_hostile_run_drives_the_terminal() {
    let home = tempfile::tempdir().unwrap();
    let scenario = hostile::write_scenario(&home.path().join("hostile"));
    let sim = SimProcess::start(home.path(), &scenario, &[]);
    let command = console_command(
        home.path(),
        &sim.url,
        &[("GITHUB_TOKEN", "t")],
        "--repo octo/shop",
    );
    // With set-clipboard on, tmux turns an application's OSC 52 write into a paste buffer.
    let Some(tmux) = Tmux::start(
        "hostile",
        &command,
        &[&["set-option", "-g", "set-clipboard", "on"]],
    ) else {
        return;
    };
    let title = tmux.query("#{pane_title}");
    tmux.wait_for("FAILED tests/test_prices.py");
    let main = tmux.wait_for("Fix prices");
    tmux.keys(&["Enter"]);
    tmux.keys(&["L"]);
    // The full-log view's own footer, then lines that only it shows.
    tmux.wait_for("j/k scroll");
    let log = tmux.wait_for("hyperlink text");
    let with_escapes = tmux.screen_with_escapes();
    assert_eq!(
        tmux.query("#{alternate_on}"),
        "1",
        "the log left the alternate screen"
    );
    assert_eq!(tmux.query("#{pane_title}"), title, "the log set the title");
    assert_eq!(tmux.buffers(), "", "the log wrote the clipboard");
    for screen in [&main, &log] {
        for payload in hostile::HIDDEN_PAYLOADS {
            assert!(!screen.contains(payload), "{payload}:\n{screen}");
        }
    }
    // What tmux would draw holds colours only: no OSC, DCS or hyperlink.
    for sequence in ["\x1b]", "\x1bP", "\x1b_", "\x1b^"] {
        assert!(
            !with_escapes.contains(sequence),
            "{sequence:?} reached the pane"
        );
    }
    tmux.keys(&["Escape"]);
    tmux.keys(&["q"]);
    tmux.wait_for("AUTOHEAL-EXITED 0");
    assert_eq!(tmux.query("#{alternate_on}"), "0");
    assert_eq!(tmux.query("#{pane_title}"), title);
    assert_eq!(tmux.buffers(), "");
}

/// A panic, on the console's thread or in a background task: the terminal is restored,
/// the crash report is written and its path printed, the token is not in it, and the draft
/// typed just before is on disk.
#[test]
fn a_panic_restores_the_terminal_and_leaves_a_report_without_the_token() {
    for (place, name) in [("main", "crash-main"), ("task", "crash-task")] {
        let token = "ghp_CrashTest0123456789abcdefghijABCDEF";
        let home = tempfile::tempdir().unwrap();
        let sim = SimProcess::start(home.path(), &fixtures().join("scenario/scenario.yml"), &[]);
        let command = console_command(
            home.path(),
            &sim.url,
            &[("GITHUB_TOKEN", token), ("AUTOHEAL_CRASH_TEST", place)],
            "--repo octo/shop",
        );
        let Some(tmux) = Tmux::start(name, &command, &[]) else {
            return;
        };
        tmux.wait_for("Fix the failing");
        tmux.keys(&["e"]);
        tmux.wait_for("editing");
        tmux.keys(&["-l", "TYPED BEFORE THE CRASH "]);
        tmux.wait_for("TYPED BEFORE THE CRASH");
        tmux.keys(&["F12"]);
        let screen = tmux.wait_for("AUTOHEAL-EXITED 101");
        assert!(screen.contains("autoheal crashed"), "{place}: {screen}");
        assert!(screen.contains("A crash report is in"), "{place}: {screen}");
        assert!(!screen.contains(token), "{place}: the token is on screen");
        // Restored: main screen, cursor shown, no mouse reporting.
        assert!(!screen.contains("Failed runs"), "{place}: {screen}");
        assert_eq!(tmux.query("#{alternate_on}"), "0", "{place}");
        assert_eq!(tmux.query("#{cursor_flag}"), "1", "{place}");
        assert_eq!(tmux.query("#{mouse_any_flag}"), "0", "{place}");

        let data = home.path().join("data");
        let reports: Vec<_> = std::fs::read_dir(&data)
            .unwrap()
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| {
                p.file_name()
                    .unwrap()
                    .to_string_lossy()
                    .starts_with("crash-")
            })
            .collect();
        assert_eq!(reports.len(), 1, "{place}: one report");
        let file_name = reports[0]
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        assert!(
            screen.contains(&file_name),
            "{place}: its path is printed: {screen}"
        );
        let report = std::fs::read_to_string(&reports[0]).unwrap();
        assert!(report.contains("crash test"), "{place}: {report}");
        assert!(report.contains("backtrace"), "{place}");
        assert!(
            !report.contains(token),
            "{place}: the token is in the report"
        );
        let log = std::fs::read_to_string(data.join("autoheal.log")).unwrap_or_default();
        assert!(
            !log.contains(token),
            "{place}: the token is in the log file"
        );
        let draft = autoheal::tui::drafts::load_in(&data, &shop(), 9010).unwrap_or_default();
        assert!(
            draft.starts_with("TYPED BEFORE THE CRASH "),
            "{place}: the draft: {draft:?}"
        );
    }
}

/// When GitHub answers every request with a 5xx, the console says so while it retries
/// (and keeps answering keys), then shows the error once it gives up.
#[test]
fn the_console_says_why_github_is_slow_then_what_failed() {
    let home = tempfile::tempdir().unwrap();
    let sim = SimProcess::start(
        home.path(),
        &fixtures().join("scenario/scenario.yml"),
        &["--error-rate", "1"],
    );
    let command = console_command(
        home.path(),
        &sim.url,
        &[("GITHUB_TOKEN", "t")],
        "--repo octo/shop",
    );
    let Some(tmux) = Tmux::start("trouble", &command, &[]) else {
        return;
    };
    let s = tmux.wait_for("⟳ GitHub:");
    assert!(s.contains("retry"), "{s}");
    tmux.keys(&["?"]);
    tmux.wait_for("create the tracking issue");
    tmux.keys(&["Escape"]);
    tmux.wait_for("⚠ octo/shop");
    // The retries are over: the next second's status says so.
    tmux.wait_for_absent("⟳ GitHub:");
    tmux.keys(&["q"]);
    tmux.wait_for("AUTOHEAL-EXITED 0");
}
