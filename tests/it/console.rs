//! The console's state transitions and screens, driven with real data from the simulator:
//! `update` is called with the actions the effects would deliver, and `view` renders into
//! ratatui's TestBackend for snapshot tests.

use std::time::Duration;

use crate::common::*;
use autoheal::forge::{Conclusion, Status};
use autoheal::forge::{Forge, RepoRef};
use autoheal::tui::action::{Action, Effect, RunKey, Unanswered};
use autoheal::tui::app::{App, HealStage, Mode};
use autoheal::tui::highlight::{Highlighter, ThemeChoice};
use autoheal::tui::keymap::Keymap;
use autoheal::tui::update::update;
use autoheal::tui::view::view;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn key(c: char) -> Action {
    Action::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
}

fn code(c: KeyCode) -> Action {
    Action::Key(KeyEvent::new(c, KeyModifiers::NONE))
}

/// An app holding the test scenario's failed runs, analysed.
async fn loaded_app(sim: &autoheal::sim::RunningSim) -> App {
    loaded_app_of(sim, shop()).await
}

/// The console for one repository, its failed runs listed and explained in full.
async fn loaded_app_of(sim: &autoheal::sim::RunningSim, repo: RepoRef) -> App {
    let gh = client(sim);
    let (keymap, _) = Keymap::new(&Default::default());
    let mut app = App::new(vec![repo.clone()], keymap, Duration::from_secs(30));
    app.size = (120, 40);
    let policy = autoheal::engine::scan::resolve_policy(&gh, &repo, None)
        .await
        .unwrap();
    let runs = autoheal::engine::scan::failed_runs(&gh, &repo, &policy, 20)
        .await
        .unwrap();
    let effects = update(
        &mut app,
        Action::Polled {
            repo: repo.clone(),
            complete: true,
            result: Ok(runs.into_iter().map(|f| f.run).collect()),
            budget: Some(autoheal::forge::Budget {
                remaining: 4999,
                limit: Some(5000),
            }),
        },
    );
    for e in effects {
        if let Effect::Explain(k) | Effect::ExplainLater(k) = e {
            let prepared = autoheal::heal::prepare(
                &gh,
                &k.repo,
                k.run_id,
                None,
                None,
                &[],
                autoheal::heal::Fetch::full(),
            )
            .await
            .unwrap();
            let next = update(
                &mut app,
                Action::Explained {
                    key: k,
                    result: Ok(Box::new(prepared)),
                },
            );
            // No draft saved yet: the prompt starts from the template.
            for e in next {
                if let Effect::LoadDraft(key) = e {
                    update(&mut app, Action::DraftLoaded { key, text: None });
                }
            }
        }
    }
    app
}

/// Delivers a job's log to the full-log view, as the effect runner would.
fn log_loaded(app: &mut App, key: autoheal::tui::action::RunKey, job_id: u64, lines: Vec<String>) {
    update(
        app,
        Action::LogLoaded {
            key,
            job_id,
            result: Ok(lines),
        },
    );
}

fn render(app: &App, w: u16, h: u16) -> String {
    let mut hl = Highlighter::new(ThemeChoice::Dark, None, true).unwrap();
    let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
    terminal.draw(|f| view(app, f, &mut hl)).unwrap();
    let buffer = terminal.backend().buffer().clone();
    let mut out = String::new();
    for y in 0..buffer.area.height {
        for x in 0..buffer.area.width {
            out.push_str(buffer[(x, y)].symbol());
        }
        out.push('\n');
    }
    // The simulator's port changes on every run.
    regex::Regex::new(r"127\.0\.0\.1:\d+")
        .unwrap()
        .replace_all(&out, "127.0.0.1:PORT")
        .into_owned()
}

#[tokio::test]
async fn the_main_screen_lists_runs_and_explains_the_selected_one() {
    let sim = start_sim().await;
    let app = loaded_app(&sim).await;
    assert_eq!(app.rows.len(), 7);
    let screen = render(&app, 120, 40);
    assert!(screen.contains("Failed runs (7)"), "{screen}");
    assert!(
        screen.contains("Could not resolve host"),
        "the excerpt shows the failure: {screen}"
    );
    assert!(screen.contains("network") && screen.contains("rerun"));
    insta::assert_snapshot!("main_screen", screen);
}

#[tokio::test]
async fn navigation_filter_and_help() {
    let sim = start_sim().await;
    let mut app = loaded_app(&sim).await;
    assert_eq!(app.selected, 0);
    update(&mut app, key('j'));
    assert_eq!(app.selected, 1);
    update(&mut app, key('G'));
    assert_eq!(app.selected, 6);
    update(&mut app, key('g'));
    assert_eq!(app.selected, 0);

    update(&mut app, key('/'));
    for c in "release".chars() {
        update(&mut app, key(c));
    }
    update(&mut app, code(KeyCode::Enter));
    assert!(matches!(app.mode, Mode::Normal));
    assert_eq!(app.visible().len(), 1);
    assert_eq!(app.selected_row().unwrap().run.id, 9005);
    update(&mut app, key('/'));
    update(&mut app, code(KeyCode::Esc));
    assert_eq!(app.visible().len(), 7);

    update(&mut app, key('?'));
    assert!(matches!(app.mode, Mode::Help));
    insta::assert_snapshot!("help_overlay", render(&app, 120, 40));
    update(&mut app, key('x'));
    assert!(matches!(app.mode, Mode::Normal));

    let effects = update(&mut app, key('q'));
    assert!(app.quit);
    assert!(
        effects
            .iter()
            .all(|e| matches!(e, Effect::SaveDraft { .. }))
    );
}

#[tokio::test]
async fn healing_asks_first_shows_what_will_be_created_and_reports_the_result() {
    let sim = start_sim().await;
    let mut app = loaded_app(&sim).await;
    // Select run 9001 (CI on main, a missing module).
    let pos = app
        .visible()
        .iter()
        .position(|&i| app.rows[i].key.run_id == 9001)
        .unwrap();
    app.selected = pos;
    let effects = update(&mut app, key('H'));
    assert!(
        effects.is_empty(),
        "nothing is sent before the confirmation"
    );
    let Mode::Confirm(c) = &app.mode else {
        panic!("no confirmation dialog")
    };
    assert!(
        c.lines
            .iter()
            .any(|l| l.contains("[auto-heal] CI failed on main (run 9001)"))
    );
    assert!(c.lines.iter().any(|l| l.contains("auto-heal/ci-9001")));
    assert!(c.blocked.is_none());
    insta::assert_snapshot!("confirm_dialog", render(&app, 120, 40));

    let effects = update(&mut app, key('y'));
    let [
        Effect::Heal {
            key,
            steps,
            prompt,
            force,
        },
    ] = effects.as_slice()
    else {
        panic!("expected one heal effect: {effects:?}")
    };
    assert!(steps.issue && steps.branch && steps.copilot && !force);
    assert_eq!(
        Some(prompt.clone()),
        app.selected_row().unwrap().prompt_text()
    );
    assert!(app.selected_row().unwrap().heal.busy.is_some());

    // The effect's result comes back as an action.
    let gh = client(&sim);
    let prepared = autoheal::heal::prepare(
        &gh,
        &key.repo,
        key.run_id,
        None,
        None,
        &[],
        autoheal::heal::Fetch::full(),
    )
    .await
    .unwrap();
    let plan = autoheal::heal::plan::plan(&prepared.run, &prepared.policy.policy, prompt, &[]);
    let audit = autoheal::engine::AuditLog::disabled();
    let outcome = autoheal::heal::Executor {
        forge: &gh,
        policy: &prepared.policy.policy,
        audit: &audit,
        now: chrono::Utc::now(),
    }
    .execute_steps(&plan, false, *steps)
    .await
    .map(Box::new)
    .map_err(|e| e.to_string());
    let effects = update(
        &mut app,
        Action::Healed {
            key: key.clone(),
            steps: *steps,
            result: outcome,
        },
    );
    let row = app.selected_row().unwrap();
    assert_eq!(row.stage(), HealStage::CopilotAsked);
    assert!(row.heal.busy.is_none());
    let note = app.status.note.as_ref().unwrap();
    assert_eq!(note.severity, autoheal::tui::app::Severity::Done);
    assert!(note.text.contains("created issue #"));
    let watch = effects.iter().find_map(|e| match e {
        Effect::WatchPr { issue, .. } => Some(*issue),
        _ => None,
    });
    assert!(watch.is_some(), "the heal PR is watched next");

    // The simulated Copilot PR shows up in the PR pane with its checks.
    let issue = watch.unwrap();
    let pr = eventually(Duration::from_secs(5), async || {
        let events = gh.timeline(&shop(), issue).await.ok()?;
        events
            .iter()
            .find_map(|e| e.source.as_ref()?.issue.as_ref().map(|i| i.number))
    })
    .await
    .unwrap();
    let pull = gh.pull(&shop(), pr).await.unwrap();
    let checks = gh.check_runs(&shop(), &pull.head.sha).await.unwrap();
    update(
        &mut app,
        Action::PrStatus {
            key: key.clone(),
            result: Ok(Some(Box::new(autoheal::tui::action::PrSnapshot {
                pull,
                checks,
                waiting_runs: Vec::new(),
            }))),
        },
    );
    assert!(matches!(
        app.selected_row().unwrap().stage(),
        HealStage::PrOpen | HealStage::ChecksPassing
    ));
    let screen = render(&app, 120, 40);
    assert!(screen.contains("PR        #"), "{screen}");
}

#[tokio::test]
async fn a_blocked_heal_needs_a_typed_confirmation_and_says_why() {
    let sim = start_sim().await;
    let mut app = loaded_app(&sim).await;
    let pos = app
        .visible()
        .iter()
        .position(|&i| app.rows[i].key.run_id == 9007)
        .unwrap();
    app.selected = pos;
    update(&mut app, key('i'));
    let Mode::Confirm(c) = &app.mode else {
        panic!()
    };
    assert!(c.blocked.as_deref().unwrap().contains("fork"));
    assert!(
        update(&mut app, key('y')).is_empty(),
        "y alone does not override a block"
    );
    assert!(
        update(&mut app, code(KeyCode::Enter)).is_empty(),
        "nor does a wrong word"
    );
    for c in "heal".chars() {
        update(&mut app, key(c));
    }
    let effects = update(&mut app, code(KeyCode::Enter));
    assert!(
        matches!(effects.as_slice(), [Effect::Heal { force: true, .. }]),
        "{effects:?}"
    );
}

#[tokio::test]
async fn editing_the_prompt_changes_what_is_sent_and_is_autosaved() {
    let sim = start_sim().await;
    let mut app = loaded_app(&sim).await;
    let before = app.selected_row().unwrap().prompt_text().unwrap();
    update(&mut app, key('e'));
    assert!(matches!(app.mode, Mode::EditPrompt));
    for c in "Please keep the fix minimal. ".chars() {
        update(&mut app, key(c));
    }
    update(&mut app, Action::Paste("Pasted line".into()));
    // Typing is not a command: `q` in the editor is text, not quit.
    update(&mut app, key('q'));
    assert!(!app.quit);
    let effects = update(&mut app, code(KeyCode::Esc));
    assert!(matches!(app.mode, Mode::Normal));
    let saved = effects.iter().find_map(|e| match e {
        Effect::SaveDraft { text, .. } => Some(text.clone()),
        _ => None,
    });
    let after = app.selected_row().unwrap().prompt_text().unwrap();
    assert_ne!(before, after);
    assert!(
        after.starts_with("Please keep the fix minimal. Pasted lineq"),
        "{after}"
    );
    assert_eq!(
        saved.as_deref(),
        Some(after.as_str()),
        "leaving the editor saves the draft"
    );
    // ctrl-r resets to the template and forgets the draft.
    let effects = update(
        &mut app,
        Action::Key(KeyEvent::new(KeyCode::Char('r'), KeyModifiers::CONTROL)),
    );
    assert!(matches!(effects.as_slice(), [Effect::RemoveDraft(_)]));
    assert_eq!(app.selected_row().unwrap().prompt_text().unwrap(), before);
}

#[tokio::test]
async fn new_failures_appear_marked_without_a_keypress() {
    let sim = start_sim().await;
    let mut app = loaded_app(&sim).await;
    app.bell = true;
    let gh = client(&sim);
    let mut runs: Vec<_> = gh.failed_runs(&shop(), 20).await.unwrap();
    let mut extra = runs[0].clone();
    extra.id = 12345;
    extra.created_at = chrono::Utc::now();
    runs.push(extra);
    let effects = update(
        &mut app,
        Action::Polled {
            repo: shop(),
            complete: true,
            result: Ok(runs),
            budget: None,
        },
    );
    assert!(effects.contains(&Effect::Bell));
    assert!(
        effects.iter().any(
            |e| matches!(e, Effect::Explain(k) | Effect::ExplainLater(k) if k.run_id == 12345)
        )
    );
    let row = app.rows.iter().find(|r| r.key.run_id == 12345).unwrap();
    assert!(row.is_new);
    // Errors show in the status bar and change nothing else.
    let n = app.rows.len();
    update(
        &mut app,
        Action::Polled {
            repo: shop(),
            complete: true,
            result: Err("GitHub answered 502".into()),
            budget: None,
        },
    );
    assert_eq!(app.rows.len(), n);
    assert!(render(&app, 120, 40).contains("GitHub answered 502"));
}

#[tokio::test]
async fn a_small_terminal_says_so_instead_of_garbling() {
    let sim = start_sim().await;
    let app = loaded_app(&sim).await;
    insta::assert_snapshot!("too_small", render(&app, 60, 15));
}

#[tokio::test]
async fn the_full_log_view_scrolls_and_searches() {
    let sim = start_sim().await;
    let mut app = loaded_app(&sim).await;
    let effects = update(&mut app, key('L'));
    let [Effect::LoadLog { key: run, job_id }] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    let lines: Vec<String> = (1..=100_000)
        .map(|i| format!("line {i} of the log"))
        .collect();
    let (run, job_id) = (run.clone(), *job_id);
    log_loaded(&mut app, run, job_id, lines);
    update(&mut app, key('/'));
    for c in "line 99999 ".chars() {
        update(&mut app, key(c));
    }
    update(&mut app, code(KeyCode::Enter));
    let Mode::Log(view) = &app.mode else { panic!() };
    assert_eq!(view.hits, vec![99_998]);
    assert_eq!(view.top, 99_995);
    let screen = render(&app, 120, 40);
    assert!(screen.contains("line 99999 of the log"));
    update(&mut app, code(KeyCode::Esc));
    assert!(matches!(app.mode, Mode::Normal));
}

#[tokio::test]
async fn repeated_failures_group_under_one_row_and_a_rerun_asks_first() {
    let sim = start_sim().await;
    let mut app = loaded_app(&sim).await;
    // 9001 and 9008 are the same missing module on main.
    update(&mut app, key('f'));
    assert!(app.grouped);
    assert_eq!(app.visible().len(), 6);
    let screen = render(&app, 120, 40);
    assert!(screen.contains("CI ×2"), "{screen}");
    let pos = app
        .visible()
        .iter()
        .position(|&i| app.rows[i].key.run_id == 9008)
        .unwrap();
    app.selected = pos;
    assert!(render(&app, 120, 40).contains("Seen      2 times"));
    update(&mut app, key('f'));
    assert_eq!(app.visible().len(), 7);

    // x on the flaky run: a confirmation, then exactly one re-run effect.
    let pos = app
        .visible()
        .iter()
        .position(|&i| app.rows[i].key.run_id == 9010)
        .unwrap();
    app.selected = pos;
    assert!(update(&mut app, key('x')).is_empty());
    let Mode::Confirm(c) = &app.mode else {
        panic!("no confirmation")
    };
    assert!(c.lines[0].contains("attempt 2 of 3"), "{:?}", c.lines);
    let effects = update(&mut app, key('y'));
    assert!(
        matches!(effects.as_slice(), [Effect::Rerun(k)] if k.run_id == 9010),
        "{effects:?}"
    );
    // The new attempt is followed on the same row until it finishes.
    let gh = client(&sim);
    gh.rerun_failed_jobs(&shop(), 9010).await.unwrap();
    let run = gh.run(&shop(), 9010).await.unwrap();
    update(
        &mut app,
        Action::Reran {
            key: RunKey::new(shop(), 9010),
            result: Ok(Box::new(run.clone())),
        },
    );
    let polled: Vec<_> = gh.failed_runs(&shop(), 20).await.unwrap();
    assert!(
        polled.iter().all(|r| r.id != 9010),
        "no longer a failed run"
    );
    update(
        &mut app,
        Action::Polled {
            repo: shop(),
            complete: true,
            result: Ok(polled),
            budget: None,
        },
    );
    assert!(
        app.rows.iter().any(|r| r.key.run_id == 9010),
        "the re-run row stays"
    );
    let mut refreshes = 0;
    for _ in 0..9 {
        refreshes += update(&mut app, Action::Tick)
            .iter()
            .filter(|e| matches!(e, Effect::RefreshRun(k) if k.run_id == 9010))
            .count();
    }
    // While GitHub has not answered, the next look waits: refreshes do not pile up.
    assert_eq!(
        refreshes, 1,
        "the new attempt is followed, one look at a time"
    );
    let done = eventually(Duration::from_secs(10), async || {
        let r = gh.run(&shop(), 9010).await.ok()?;
        (r.status == Some(Status::Completed)).then_some(r)
    })
    .await
    .unwrap();
    update(
        &mut app,
        Action::RunUpdated {
            key: RunKey::new(shop(), 9010),
            result: Ok(Box::new(done)),
        },
    );
    let row = app.rows.iter().find(|r| r.key.run_id == 9010).unwrap();
    assert_eq!(row.run.conclusion, Some(Conclusion::Success));
    assert!(
        row.heal
            .result
            .as_deref()
            .unwrap()
            .contains("attempt 2 finished: success")
    );
}

#[tokio::test]
async fn statistics_and_the_cleanup_view_show_and_act_with_the_same_rules() {
    let sim = start_sim().await;
    let mut app = loaded_app(&sim).await;
    let gh = client(&sim);

    assert_eq!(
        update(&mut app, key('S')),
        vec![Effect::LoadStats(vec![shop()])]
    );
    let policy = autoheal::config::Policy::default();
    let statuses = autoheal::watch::statuses(&gh, &shop(), &policy)
        .await
        .unwrap();
    let stats = autoheal::watch::stats::compute(
        &statuses,
        &[("CI".into(), chrono::Utc::now())],
        30,
        chrono::Utc::now(),
    );
    update(&mut app, Action::StatsLoaded(Ok(Box::new(stats))));
    let screen = render(&app, 120, 40);
    assert!(
        screen.contains("Heal statistics") && screen.contains("failures seen    1"),
        "{screen}"
    );
    update(&mut app, key('x'));
    assert!(matches!(app.mode, Mode::Normal));

    assert_eq!(
        update(&mut app, key('C')),
        vec![Effect::LoadCleanup(vec![shop()])]
    );
    let plan = autoheal::engine::cleanup::plan(&gh, &shop(), &policy, 14, chrono::Utc::now())
        .await
        .unwrap();
    update(&mut app, Action::CleanupLoaded(Ok(vec![plan.clone()])));
    let screen = render(&app, 120, 40);
    assert!(
        screen.contains("delete octo/shop:auto-heal/ci-1"),
        "{screen}"
    );
    assert!(screen.contains("pull request #"), "{screen}");
    let effects = update(&mut app, key('y'));
    assert_eq!(effects, vec![Effect::RunCleanup(vec![plan])]);
    assert!(matches!(app.mode, Mode::Normal));
}

#[tokio::test]
async fn a_draft_heal_pr_is_marked_ready_after_a_confirmation() {
    let sim = start_sim().await;
    let mut app = loaded_app(&sim).await;
    let gh = client(&sim);
    let pos = app
        .visible()
        .iter()
        .position(|&i| app.rows[i].key.run_id == 9001)
        .unwrap();
    app.selected = pos;
    // Heal, then let the simulated Copilot's PR pass its checks.
    let prepared = autoheal::heal::prepare(
        &gh,
        &shop(),
        9001,
        None,
        None,
        &[],
        autoheal::heal::Fetch::full(),
    )
    .await
    .unwrap();
    let plan = autoheal::heal::plan::plan(
        &prepared.run,
        &prepared.policy.policy,
        &prepared.default_prompt,
        &[],
    );
    let audit = autoheal::engine::AuditLog::disabled();
    let outcome = autoheal::heal::Executor {
        forge: &gh,
        policy: &prepared.policy.policy,
        audit: &audit,
        now: chrono::Utc::now(),
    }
    .execute(&plan, false)
    .await
    .unwrap();
    update(
        &mut app,
        Action::Healed {
            key: RunKey::new(shop(), 9001),
            steps: autoheal::heal::execute::Steps::ALL,
            result: Ok(Box::new(outcome)),
        },
    );
    let snapshot = eventually(Duration::from_secs(10), async || {
        let s = autoheal::watch::statuses(&gh, &shop(), &autoheal::config::Policy::default())
            .await
            .ok()?
            .into_iter()
            .next()?;
        if s.state != autoheal::watch::HealState::ChecksPassed {
            return None;
        }
        let pull = gh.pull(&shop(), s.pr_number?).await.ok()?;
        let checks = gh.check_runs(&shop(), &pull.head.sha).await.ok()?;
        Some(autoheal::tui::action::PrSnapshot {
            pull,
            checks,
            waiting_runs: Vec::new(),
        })
    })
    .await
    .unwrap();
    update(
        &mut app,
        Action::PrStatus {
            key: RunKey::new(shop(), 9001),
            result: Ok(Some(Box::new(snapshot.clone()))),
        },
    );
    assert_eq!(
        app.selected_row().unwrap().stage(),
        HealStage::ChecksPassing
    );
    assert!(update(&mut app, key('R')).is_empty(), "asks first");
    let effects = update(&mut app, key('y'));
    let [
        Effect::MarkReady {
            node_id, number, ..
        },
    ] = effects.as_slice()
    else {
        panic!("{effects:?}")
    };
    assert_eq!(*number, snapshot.pull.number);
    gh.mark_ready(node_id).await.unwrap();
    assert_eq!(gh.pull(&shop(), *number).await.unwrap().draft, Some(false));
}

#[tokio::test]
async fn a_click_selects_the_run_under_the_pointer_even_when_the_list_is_scrolled() {
    let sim = start_sim().await;
    let mut app = loaded_app(&sim).await;
    // A short terminal: the list shows a few rows, so selecting the last scrolls it.
    update(&mut app, key('G'));
    render(&app, 120, 20);
    let start = app.screen.get().list_start;
    assert!(start > 0, "the list scrolled");
    let click = crossterm::event::MouseEvent {
        kind: crossterm::event::MouseEventKind::Down(crossterm::event::MouseButton::Left),
        column: 5,
        row: 2,
        modifiers: KeyModifiers::NONE,
    };
    update(&mut app, Action::Mouse(click));
    assert_eq!(
        app.selected, start,
        "the first row on screen, not the first run"
    );
}

#[tokio::test]
async fn nothing_from_a_hostile_run_reaches_the_rendered_buffer() {
    let sim = start_sim_with(hostile::scenario(), Default::default()).await;
    let gh = client(&sim);
    let mut app = loaded_app(&sim).await;
    assert_eq!(app.rows.len(), 1);
    let mut screens = vec![("main", render(&app, 140, 45))];
    update(&mut app, code(KeyCode::Enter));
    screens.push(("opened", render(&app, 140, 45)));
    update(&mut app, key('e'));
    screens.push(("editing the prompt", render(&app, 140, 45)));
    update(&mut app, code(KeyCode::Esc));
    let effects = update(&mut app, key('L'));
    let [Effect::LoadLog { key: run, job_id }] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    let bytes = gh.job_log(&run.repo, *job_id).await.unwrap();
    let (run, job_id) = (run.clone(), *job_id);
    log_loaded(
        &mut app,
        run,
        job_id,
        autoheal::analysis::scanner::readable_lines(&bytes),
    );
    screens.push(("full log", render(&app, 140, 45)));

    for (name, screen) in &screens {
        let bad: Vec<char> = screen
            .chars()
            .filter(|&c| c != '\n' && hostile::is_forbidden(c))
            .collect();
        assert!(
            bad.is_empty(),
            "{name}: {bad:?} reached the buffer:\n{screen}"
        );
        for payload in hostile::HIDDEN_PAYLOADS {
            assert!(
                !screen.contains(payload),
                "{name}: {payload} shows:\n{screen}"
            );
        }
    }
    // What is text stays text: the title, the failure, other scripts.
    let (_, main) = &screens[0];
    assert!(main.contains("Fix prices"), "{main}");
    assert!(main.contains("FAILED tests/test_prices.py"), "{main}");
    let (_, log) = &screens[3];
    // (A wide character fills two cells; the second is blank in this rendering.)
    for visible in [
        "clipboard write",
        "错",
        "🚨",
        "שגיאה",
        "markers",
        "hyperlink text",
    ] {
        assert!(log.contains(visible), "{visible:?} is missing:\n{log}");
    }
}

/// The effect runner follows a heal PR the way `autoheal status` finds it (a PR that fixes
/// the issue), then by number: once known, a poll no longer reads the issue's timeline.
#[tokio::test]
async fn the_runner_finds_the_heal_pr_once_then_follows_it_by_number() {
    let sim = start_sim().await;
    let (gh, mut rx, _home, runner) = started(&sim);
    let issue = issue_for_copilot(&gh).await;
    let key = RunKey::new(shop(), 9001);
    let watch = |pr: Option<u64>| {
        runner.run(Effect::WatchPr {
            key: key.clone(),
            issue: issue.number,
            pr,
            heal_branch: None,
        })
    };
    let snapshot = eventually(Duration::from_secs(5), async || {
        watch(None);
        match rx.recv().await? {
            Action::PrStatus { result, .. } => result.ok().flatten(),
            _ => None,
        }
    })
    .await
    .expect("the Copilot PR is found");
    assert!(
        snapshot
            .pull
            .body
            .unwrap()
            .contains(&format!("Fixes #{}", issue.number))
    );

    sim.clear_requests();
    watch(Some(snapshot.pull.number));
    let Some(Action::PrStatus {
        result: Ok(Some(again)),
        ..
    }) = rx.recv().await
    else {
        panic!("a PR status")
    };
    assert_eq!(again.pull.number, snapshot.pull.number);
    let paths: Vec<String> = sim.requests().into_iter().map(|r| r.path).collect();
    assert!(
        !paths.iter().any(|p| p.contains("/timeline")),
        "a known PR is read by number: {paths:?}"
    );
}

/// Runs are explained in the order they arrived, except the one the user selects, which
/// jumps the queue; the analysis of each arrives as an action.
#[tokio::test]
async fn the_selected_run_is_explained_before_the_runs_queued_ahead_of_it() {
    let sim = start_sim().await;
    let (gh, mut rx, _home, runner) = started(&sim);
    let policy = autoheal::engine::scan::resolve_policy(gh.as_ref(), &shop(), None)
        .await
        .unwrap();
    let runs: Vec<u64> = autoheal::engine::scan::failed_runs(gh.as_ref(), &shop(), &policy, 20)
        .await
        .unwrap()
        .into_iter()
        .map(|f| f.run.id)
        .collect();
    assert!(runs.len() >= 3, "{runs:?}");
    for &id in &runs {
        runner.run(Effect::Explain(RunKey::new(shop(), id)));
    }
    let last = *runs.last().unwrap();
    runner.run(Effect::ExplainFirst(RunKey::new(shop(), last)));
    runner.start_explainers(1);
    let mut order = Vec::new();
    while order.len() < runs.len() {
        let action = tokio::time::timeout(Duration::from_secs(20), rx.recv())
            .await
            .expect("every run is explained")
            .expect("the runner is alive");
        if let Action::Explained { key, result } = action {
            assert!(result.is_ok(), "{result:?}");
            order.push(key.run_id);
        }
    }
    // Explained on a task of its own, the selected run overtakes the whole queue; only the
    // run an explainer had already taken may finish before it (it costs fewer requests: no
    // baseline). The others keep their order.
    let position = order.iter().position(|&id| id == last).unwrap();
    assert!(position <= 1, "{order:?}");
    let others: Vec<u64> = order.iter().copied().filter(|&id| id != last).collect();
    let queued: Vec<u64> = runs.iter().copied().filter(|&id| id != last).collect();
    assert_eq!(others, queued);
}

/// The list is computed once per change of the rows, the filter or the grouping, not on every
/// frame or key; an analysis that arrives (a fingerprint) changes it at once.
#[tokio::test]
async fn the_listing_is_kept_until_the_rows_the_filter_or_the_grouping_change() {
    let sim = start_sim().await;
    let mut app = loaded_app(&sim).await;
    let first = app.listing();
    update(&mut app, key('j'));
    assert!(
        std::sync::Arc::ptr_eq(&first, &app.listing()),
        "a key that moves the selection keeps the listing"
    );
    update(&mut app, key('f'));
    let grouped = app.listing();
    assert!(!std::sync::Arc::ptr_eq(&first, &grouped));
    assert_eq!(grouped.rows.len(), 6);
    // A run analysed anew under another fingerprint: the grouped list shows it at once.
    let key_9008 = RunKey::new(shop(), 9008);
    let gh = client(&sim);
    let mut prepared = autoheal::heal::prepare(
        &gh,
        &shop(),
        9008,
        None,
        None,
        &[],
        autoheal::heal::Fetch::full(),
    )
    .await
    .unwrap();
    prepared.run.jobs.clear();
    update(
        &mut app,
        Action::Explained {
            key: key_9008.clone(),
            result: Ok(Box::new(prepared)),
        },
    );
    assert_eq!(
        app.listing().rows.len(),
        7,
        "9008 no longer groups with 9001"
    );
}

/// The prompt editor is drawn by reference: its cursor shows while editing, and only then.
#[tokio::test]
async fn the_prompt_cursor_shows_only_while_editing() {
    let sim = start_sim().await;
    let mut app = loaded_app(&sim).await;
    let reversed = |app: &App| {
        app.selected_row()
            .and_then(|r| r.prompt.as_ref())
            .map(|t| {
                t.cursor_style()
                    .add_modifier
                    .contains(ratatui::style::Modifier::REVERSED)
            })
            .unwrap()
    };
    assert!(!reversed(&app));
    update(&mut app, key('e'));
    assert!(matches!(app.mode, Mode::EditPrompt));
    assert!(reversed(&app));
    update(&mut app, code(KeyCode::Esc));
    assert!(!reversed(&app));
}

/// The console's effect runner for the simulator's shop, writing its audit log under `home`.
/// A client of `sim`, the channel its runner answers on, the runner's data directory (kept
/// for as long as the test holds it) and the runner: what most runner tests start from.
fn started(
    sim: &autoheal::sim::RunningSim,
) -> (
    std::sync::Arc<autoheal::forge::GitHub>,
    tokio::sync::mpsc::UnboundedReceiver<Action>,
    tempfile::TempDir,
    autoheal::tui::effects::Runner,
) {
    let gh = std::sync::Arc::new(client(sim));
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let home = tempfile::tempdir().unwrap();
    let runner = runner_for(&gh, tx, home.path());
    (gh, rx, home, runner)
}

fn runner_for(
    gh: &std::sync::Arc<autoheal::forge::GitHub>,
    tx: tokio::sync::mpsc::UnboundedSender<Action>,
    home: &std::path::Path,
) -> autoheal::tui::effects::Runner {
    autoheal::tui::effects::Runner {
        limit: 20,
        ..autoheal::tui::effects::Runner::new(gh.clone(), tx, vec![shop()], home)
    }
}

/// Waits for the first action the runner sends that `pick` takes (the others are passed
/// over); fails after ten seconds without one.
async fn next_taken<T>(
    rx: &mut tokio::sync::mpsc::UnboundedReceiver<Action>,
    what: &str,
    mut pick: impl FnMut(Action) -> Option<T>,
) -> T {
    loop {
        match tokio::time::timeout(Duration::from_secs(10), rx.recv()).await {
            Ok(Some(action)) => {
                if let Some(taken) = pick(action) {
                    return taken;
                }
            }
            other => panic!("no {what}: {other:?}"),
        }
    }
}

/// Waits for the next `Polled` action, which must have succeeded.
async fn next_poll(rx: &mut tokio::sync::mpsc::UnboundedReceiver<Action>) {
    next_taken(rx, "poll", |action| match action {
        Action::Polled { result, .. } => {
            assert!(result.is_ok(), "{result:?}");
            Some(())
        }
        _ => None,
    })
    .await
}

/// The explanation the runner delivers next, which must have succeeded.
async fn next_explained(
    rx: &mut tokio::sync::mpsc::UnboundedReceiver<Action>,
) -> Box<autoheal::heal::Prepared> {
    next_taken(rx, "explanation", |action| match action {
        Action::Explained { result, .. } => Some(result.expect("explained")),
        _ => None,
    })
    .await
}

/// An idle console costs one conditional request per repository per poll, however many
/// failed runs it lists: a run's jobs are read when it is explained, not at every poll, and
/// the policy file is read once (again on `r`, or after ten minutes).
#[tokio::test]
async fn an_idle_poll_costs_one_conditional_request_per_repository() {
    let sim = start_sim().await;
    let (_gh, mut rx, _home, runner) = started(&sim);
    runner.start_pollers(&[shop()], Duration::from_millis(100));
    next_poll(&mut rx).await;
    next_poll(&mut rx).await;
    sim.clear_requests();
    for _ in 0..4 {
        next_poll(&mut rx).await;
    }
    let requests = sim.requests();
    let seen: Vec<(String, u16)> = requests
        .iter()
        .map(|r| (r.path.clone(), r.status))
        .collect();
    assert_eq!(requests.len(), 4, "one request a poll: {seen:?}");
    assert!(
        requests
            .iter()
            .all(|r| r.path.contains("/actions/runs") && r.conditional && r.status == 304),
        "the run list, answered 304: {seen:?}"
    );

    // `r` reads the policy again, once.
    sim.clear_requests();
    runner.run(Effect::ReloadPolicies);
    next_poll(&mut rx).await;
    let paths: Vec<String> = sim.requests().into_iter().map(|r| r.path).collect();
    assert!(
        paths.iter().any(|p| p.contains("auto-heal-config")),
        "the policy is read on a refresh: {paths:?}"
    );
    sim.clear_requests();
    next_poll(&mut rx).await;
    assert_eq!(sim.requests().len(), 1);
}

/// A heal PR whose checks have finished costs one conditional request a look: the PR by
/// number, answered 304; its checks are not read again until the PR changes.
#[tokio::test]
async fn a_settled_heal_pr_is_followed_with_one_conditional_request() {
    let sim = start_sim().await;
    let (gh, mut rx, _home, runner) = started(&sim);
    let issue = issue_for_copilot(&gh).await;
    let key = RunKey::new(shop(), 9001);
    let look = async |rx: &mut tokio::sync::mpsc::UnboundedReceiver<Action>| {
        runner.run(Effect::WatchPr {
            key: key.clone(),
            issue: issue.number,
            pr: None,
            heal_branch: None,
        });
        match rx.recv().await {
            Some(Action::PrStatus { result, .. }) => result.ok().flatten(),
            _ => None,
        }
    };
    // Until the checks have all finished, they are read at every look.
    eventually(Duration::from_secs(10), async || {
        let snapshot = look(&mut rx).await?;
        (!snapshot.checks.is_empty()
            && snapshot
                .checks
                .iter()
                .all(|c| c.status == Status::Completed))
        .then_some(())
    })
    .await
    .expect("the heal PR's checks finish");
    look(&mut rx).await.expect("the PR");
    sim.clear_requests();
    for _ in 0..3 {
        let snapshot = look(&mut rx).await.expect("the PR");
        assert!(!snapshot.checks.is_empty(), "the checks are remembered");
    }
    let seen: Vec<(String, u16)> = sim
        .requests()
        .into_iter()
        .map(|r| (r.path, r.status))
        .collect();
    assert_eq!(seen.len(), 3, "{seen:?}");
    assert!(
        seen.iter().all(|(p, s)| p.contains("/pulls/") && *s == 304),
        "{seen:?}"
    );
}

/// Every heal in flight is followed once a poll, not every few seconds; a look still on its
/// way is not asked for again, so looks do not pile up while GitHub stalls.
#[tokio::test]
async fn heal_prs_are_followed_once_a_poll_and_one_look_at_a_time() {
    let sim = start_sim().await;
    let mut app = loaded_app(&sim).await;
    app.poll_interval = Duration::from_secs(5);
    app.status.seconds_to_refresh = 5;
    let healing: Vec<_> = app.rows.iter().take(2).map(|r| r.key.clone()).collect();
    for (n, key) in healing.iter().enumerate() {
        app.row_mut(key).unwrap().heal.issue = Some((40 + n as u64, String::new()));
    }
    let looks = |app: &mut App, ticks: usize| {
        let mut keys = Vec::new();
        for _ in 0..ticks {
            for effect in update(app, Action::Tick) {
                if let Effect::WatchPr { key, .. } = effect {
                    keys.push(key);
                }
            }
        }
        keys
    };
    // One poll interval: each heal once.
    let first = looks(&mut app, 6);
    assert_eq!(first.len(), 2, "{first:?}");
    assert!(healing.iter().all(|k| first.contains(k)));
    // GitHub has not answered: the next polls ask nothing more.
    assert!(looks(&mut app, 12).is_empty());
    // One answer comes back: that PR is looked at again at the next poll, the other is not.
    update(
        &mut app,
        Action::PrStatus {
            key: healing[0].clone(),
            result: Ok(None),
        },
    );
    assert_eq!(looks(&mut app, 6), vec![healing[0].clone()]);
}

fn click(column: u16, row: u16) -> Action {
    Action::Mouse(crossterm::event::MouseEvent {
        kind: crossterm::event::MouseEventKind::Down(crossterm::event::MouseButton::Left),
        column,
        row,
        modifiers: KeyModifiers::NONE,
    })
}

/// A click is read against the panes the last frame drew: in the excerpt it focuses the
/// excerpt and selects nothing, on any width of terminal; moving up in a scrolled list does
/// not drag the list along.
#[tokio::test]
async fn clicks_land_on_the_pane_drawn_there_and_the_list_keeps_its_scroll() {
    let sim = start_sim().await;
    let mut app = loaded_app(&sim).await;
    update(&mut app, key('G'));
    render(&app, 120, 20);
    let start = app.screen.get().list_start;
    let last = app.selected;
    assert!(start > 0);
    update(&mut app, key('k'));
    render(&app, 120, 20);
    assert_eq!(app.selected, last - 1);
    assert_eq!(app.screen.get().list_start, start, "the list stays put");

    // The excerpt pane is below the list, on the left.
    let excerpt = app.screen.get().excerpt;
    let selected = app.selected;
    update(&mut app, click(excerpt.x + 3, excerpt.y + 2));
    assert_eq!(
        app.selected, selected,
        "a click in the excerpt selects no run"
    );
    assert_eq!(app.focus, autoheal::tui::app::Pane::Excerpt);

    // A terminal wider than 1,191 columns (where the old geometry overflowed).
    render(&app, 1500, 40);
    let rows = app.screen.get().run_rows;
    update(&mut app, click(rows.x + 1400.min(rows.width - 1), rows.y));
    assert_eq!(app.focus, autoheal::tui::app::Pane::Runs);
    assert_eq!(app.selected, app.screen.get().list_start);
}

/// One status slot: a routine message does not hide an error; a success replaces it, and so
/// does a key (the error has been seen).
#[tokio::test]
async fn an_error_stays_until_a_success_or_a_key_and_a_success_shows() {
    let sim = start_sim().await;
    let mut app = loaded_app(&sim).await;
    app.status.error("octo/shop: connection refused");
    app.status.info("3 new failed run(s) in octo/shop");
    assert!(render(&app, 160, 30).contains("connection refused"));
    app.status.done("created issue #12");
    let screen = render(&app, 160, 30);
    assert!(screen.contains("created issue #12"), "{screen}");
    assert!(!screen.contains("connection refused"));
    app.status.error("cannot read run 9001: timeout");
    update(&mut app, key('j'));
    assert!(app.status.shown_error().is_none(), "a key acknowledges it");
}

/// Every write key goes through the same guard: while a request for the run is on its way,
/// `H`, `x`, `A` and `R` open no confirmation and send nothing.
#[tokio::test]
async fn no_write_key_acts_while_a_request_for_the_run_is_on_its_way() {
    let sim = start_sim().await;
    let mut app = loaded_app(&sim).await;
    let key_of = app.selected_row().unwrap().key.clone();
    app.row_mut(&key_of).unwrap().heal.busy = Some("creating the issue…".into());
    for k in ['H', 'x', 'A', 'R'] {
        let effects = update(&mut app, key(k));
        assert!(effects.is_empty(), "{k}: {effects:?}");
        assert!(matches!(app.mode, Mode::Normal), "{k} opened a dialog");
        let note = app.status.note.as_ref().map(|n| n.text.clone());
        assert_eq!(
            note.as_deref(),
            Some("a request for this run is already running"),
            "{k}"
        );
    }
}

/// `update` does no I/O: a run's saved draft is asked for as an effect, and the editor opens
/// on it when it arrives.
#[tokio::test]
async fn a_saved_draft_is_read_by_an_effect_and_opens_in_the_editor() {
    let sim = start_sim().await;
    let gh = client(&sim);
    let (keymap, _) = Keymap::new(&Default::default());
    let mut app = App::new(vec![shop()], keymap, Duration::from_secs(30));
    let prepared = autoheal::heal::prepare(
        &gh,
        &shop(),
        9001,
        None,
        None,
        &[],
        autoheal::heal::Fetch::full(),
    )
    .await
    .unwrap();
    update(
        &mut app,
        Action::Polled {
            repo: shop(),
            complete: true,
            result: Ok(vec![prepared.run.failed.run.clone()]),
            budget: None,
        },
    );
    let key = RunKey::new(shop(), 9001);
    let effects = update(
        &mut app,
        Action::Explained {
            key: key.clone(),
            result: Ok(Box::new(prepared)),
        },
    );
    assert!(
        effects.contains(&Effect::LoadDraft(key.clone())),
        "{effects:?}"
    );
    assert!(app.row_mut(&key).unwrap().prompt.is_none());
    update(
        &mut app,
        Action::DraftLoaded {
            key: key.clone(),
            text: Some("my own words".into()),
        },
    );
    assert_eq!(
        app.row_mut(&key).unwrap().prompt_text().as_deref(),
        Some("my own words")
    );
}

/// Quitting while a write to GitHub is on its way waits for its answer (so the audit log
/// records it); a second `q` quits at once and records the write as unfinished.
#[tokio::test]
async fn quitting_waits_for_writes_in_flight_or_records_them_as_unfinished() {
    let sim = start_sim().await;
    let mut app = loaded_app(&sim).await;
    let key_of = app.selected_row().unwrap().key.clone();
    app.row_mut(&key_of).unwrap().heal.busy = Some("creating the issue…".into());
    update(&mut app, key('q'));
    assert!(!app.quit, "a write is on its way");
    assert!(app.quitting);
    update(
        &mut app,
        Action::Healed {
            key: key_of.clone(),
            steps: autoheal::heal::execute::Steps::ALL,
            result: Err("GitHub said no".into()),
        },
    );
    assert!(app.quit, "its answer came: the console quits");

    let mut app = loaded_app(&sim).await;
    app.row_mut(&key_of).unwrap().heal.busy = Some("creating the issue…".into());
    update(&mut app, key('q'));
    let effects = update(&mut app, key('q'));
    assert!(app.quit);
    let unfinished = effects
        .iter()
        .find_map(|e| match e {
            Effect::RecordUnfinished(w) => Some(w.clone()),
            _ => None,
        })
        .expect("recorded");
    assert_eq!(
        unfinished,
        vec![Unanswered {
            repo: key_of.repo.clone(),
            run_id: Some(key_of.run_id),
            what: "creating the issue…".to_string(),
        }]
    );

    // The runner writes it to the audit log.
    let (_gh, _rx, home, runner) = started(&sim);
    runner.run(Effect::RecordUnfinished(unfinished));
    let audit = std::fs::read_to_string(home.path().join("audit.jsonl")).unwrap();
    assert!(
        audit.contains("\"unfinished\"") && audit.contains("creating the issue"),
        "{audit}"
    );
}

/// Low on GitHub's hourly budget, the pollers slow down instead of running it out, and the
/// status bar says so.
#[tokio::test]
async fn a_low_budget_slows_polling_and_the_status_bar_says_so() {
    let sim = start_sim().await;
    let (_gh, mut rx, _home, runner) = started(&sim);
    sim.set_rate_remaining(400);
    runner.start_pollers(&[shop()], Duration::from_millis(50));
    let started = std::time::Instant::now();
    let mut polls = 0;
    let mut budget = None;
    while started.elapsed() < Duration::from_millis(700) {
        if let Ok(Some(Action::Polled { budget: b, .. })) =
            tokio::time::timeout(Duration::from_millis(50), rx.recv()).await
        {
            polls += 1;
            budget = b;
        }
    }
    // At 50 ms a poll there would be 14; four times slower, at most 4.
    assert!(polls <= 4, "{polls} polls");
    let budget = budget.expect("the budget is known");
    assert!(budget.is_low(), "{budget:?}");

    let mut app = loaded_app(&sim).await;
    app.status.budget = Some(budget);
    let screen = render(&app, 200, 30);
    assert!(screen.contains("GitHub budget low"), "{screen}");
}

/// A poll that read only the newest runs adds and updates rows but drops none: the older
/// failures are simply not in it. A poll that read the whole failure list drops the rows it
/// no longer holds.
#[tokio::test]
async fn only_a_complete_poll_drops_rows() {
    let sim = start_sim().await;
    let mut app = loaded_app(&sim).await;
    let rows = app.rows.len();
    assert!(rows > 1);
    let newest = app
        .rows
        .iter()
        .map(|r| r.run.clone())
        .max_by_key(|r| r.created_at)
        .unwrap();
    let partial = |complete| Action::Polled {
        repo: shop(),
        result: Ok(vec![newest.clone()]),
        complete,
        budget: None,
    };
    update(&mut app, partial(false));
    assert_eq!(app.rows.len(), rows, "the older failures stay");
    // A run still going is not in a failure list: its row stays until a poll says how it
    // ended.
    let going = app
        .rows
        .iter()
        .find(|r| r.run.id != newest.id)
        .unwrap()
        .key
        .clone();
    app.row_mut(&going).unwrap().run.status = Some("in_progress".into());
    update(&mut app, partial(true));
    let left: Vec<u64> = app.rows.iter().map(|r| r.key.run_id).collect();
    assert_eq!(
        left.len(),
        2,
        "the failure list no longer holds the others: {left:?}"
    );
    assert!(left.contains(&going.run_id));
}

/// A run still going in which a job failed is marked in the list and in the details.
#[tokio::test]
async fn a_run_still_going_is_marked_as_running() {
    let sim = start_sim().await;
    let mut app = loaded_app(&sim).await;
    let key = app.selected_row().unwrap().key.clone();
    app.row_mut(&key).unwrap().run.status = Some("in_progress".into());
    app.rows_version += 1;
    let screen = render(&app, 160, 40);
    assert!(screen.contains("CI ⟳"), "{screen}");
    assert!(screen.contains("still running (a job has"), "{screen}");
}

/// Explaining a run reuses the policy its repository's poller read: at organisation scale
/// that is one request fewer for every run explained.
#[tokio::test]
async fn explaining_a_run_reuses_the_policy_the_poller_read() {
    let sim = start_sim().await;
    let (_gh, mut rx, _home, runner) = started(&sim);
    runner.start_pollers(&[shop()], Duration::from_secs(3600));
    next_poll(&mut rx).await;
    sim.clear_requests();
    runner.start_explainers(1);
    runner.run(Effect::Explain(RunKey::new(shop(), 9001)));
    next_explained(&mut rx).await;
    let paths: Vec<String> = sim.requests().into_iter().map(|r| r.path).collect();
    assert!(
        !paths.iter().any(|p| p.contains("auto-heal-config")),
        "{paths:?}"
    );
    // Its failed jobs, read for the runs queued (GraphQL), and its log.
    assert!(paths.iter().any(|p| p == "/graphql"), "{paths:?}");
    assert!(
        paths.iter().any(|p| p.contains("/jobs/90011/logs")),
        "{paths:?}"
    );
}

/// The failed runs the poll of `repo` listed, waited for.
async fn next_listed(
    rx: &mut tokio::sync::mpsc::UnboundedReceiver<Action>,
) -> Vec<autoheal::forge::WorkflowRun> {
    next_taken(rx, "poll", |action| match action {
        Action::Polled { result, .. } => Some(result.expect("polled")),
        _ => None,
    })
    .await
}

/// What identifies a job and says where it failed: what an explanation reads of it.
fn job_facts(
    job: &autoheal::forge::Job,
) -> (u64, String, Option<Conclusion>, Vec<autoheal::forge::Step>) {
    (
        job.id,
        job.name.clone(),
        job.conclusion.clone(),
        job.steps.clone(),
    )
}

/// Explaining queued runs in the background reads the failed jobs of many of them in one
/// request (GraphQL), the same jobs REST lists one run a request.
#[tokio::test]
async fn background_explanations_read_the_failed_jobs_of_many_runs_in_one_request() {
    let sim = start_sim().await;
    let (gh, mut rx, _home, runner) = started(&sim);
    runner.start_pollers(&[shop()], Duration::from_secs(3600));
    let runs = next_listed(&mut rx).await;
    assert!(runs.len() >= 3, "{}", runs.len());
    sim.clear_requests();
    for run in &runs {
        runner.run(Effect::ExplainLater(RunKey::new(shop(), run.id)));
    }
    runner.start_explainers(1);
    let mut explained = Vec::new();
    for _ in &runs {
        explained.push(next_explained(&mut rx).await);
    }
    let paths: Vec<String> = sim.requests().into_iter().map(|r| r.path).collect();
    assert_eq!(
        paths.iter().filter(|p| *p == "/graphql").count(),
        1,
        "{paths:?}"
    );
    assert!(
        !paths
            .iter()
            .any(|p| p.ends_with("/jobs") || p.contains("/jobs?")),
        "{paths:?}"
    );
    assert!(
        runner.read_ahead.is_empty(),
        "every run read ahead was taken"
    );
    for e in &explained {
        let run = &e.run.failed.run;
        let rest: Vec<_> = gh
            .jobs(&shop(), run.id)
            .await
            .unwrap()
            .iter()
            .filter(|j| j.failed())
            .map(job_facts)
            .collect();
        let read: Vec<_> = e.run.failed.jobs.iter().map(job_facts).collect();
        assert!(!read.is_empty());
        assert_eq!(read, rest, "run {}", run.id);
    }
}

/// Where GraphQL is refused (a token or server that does not take it), the policy files and
/// the jobs are read over REST, one request each, and nothing is missing.
#[tokio::test]
async fn without_graphql_policies_and_jobs_are_read_over_rest() {
    let sim = start_sim().await;
    let refused = || autoheal::sim::ScriptedFault {
        method: "POST".into(),
        path_contains: "/graphql".into(),
        status: 401,
        after_effect: false,
    };
    sim.set_faults(autoheal::sim::Faults {
        fail_next: vec![refused(), refused()],
        ..Default::default()
    });
    let (_gh, mut rx, _home, runner) = started(&sim);
    runner.start_pollers(&[shop()], Duration::from_secs(3600));
    let runs = next_listed(&mut rx).await;
    runner.start_explainers(1);
    runner.run(Effect::ExplainLater(RunKey::new(shop(), runs[0].id)));
    let explained = next_explained(&mut rx).await;
    assert!(!explained.run.failed.jobs.is_empty());
    let paths: Vec<String> = sim.requests().into_iter().map(|r| r.path).collect();
    assert!(
        paths.iter().any(|p| p.contains("auto-heal-config")),
        "{paths:?}"
    );
    assert!(
        paths
            .iter()
            .any(|p| p.contains(&format!("/runs/{}/jobs", runs[0].id))),
        "{paths:?}"
    );
}

/// The pollers of many repositories start from their policy files read in one request,
/// not one each.
#[tokio::test]
async fn the_policy_files_of_many_repositories_are_read_in_one_request() {
    let sim = start_sim().await;
    // A second repository, without a policy file.
    sim.with_world(|w| {
        let mut depot = w.repos[0].clone();
        depot.name = "depot".into();
        depot.id += 1000;
        depot
            .files
            .retain(|path, _| !path.contains("auto-heal-config"));
        w.repos.push(depot);
    });
    let repos: Vec<autoheal::forge::RepoRef> = sim.with_world(|w| {
        w.repos
            .iter()
            .map(|r| autoheal::forge::RepoRef::new(&r.owner, &r.name))
            .collect()
    });
    assert!(repos.len() >= 2);
    let (_gh, mut rx, _home, runner) = started(&sim);
    runner.start_pollers(&repos, Duration::from_secs(3600));
    for _ in &repos {
        next_listed(&mut rx).await;
    }
    let paths: Vec<String> = sim.requests().into_iter().map(|r| r.path).collect();
    assert!(
        !paths.iter().any(|p| p.contains("auto-heal-config")),
        "{paths:?}"
    );
    assert_eq!(
        paths.iter().filter(|p| *p == "/graphql").count(),
        1,
        "{paths:?}"
    );
    let policies = runner.policies.lock().unwrap();
    assert_eq!(policies.len(), repos.len());
    // The shop's policy file was read; the depot has none: the defaults.
    assert!(
        !matches!(
            policies[&shop()].source,
            autoheal::config::PolicySource::Defaults
        ),
        "{:?}",
        policies[&shop()].source
    );
    let depot = autoheal::forge::RepoRef::new("octo", "depot");
    assert!(
        matches!(
            policies[&depot].source,
            autoheal::config::PolicySource::Defaults
        ),
        "{:?}",
        policies[&depot].source
    );
}

/// An organisation's repository is watched only if it has had a workflow run lately; its
/// first poll tells (a recent failure in the list), or one request when it holds none.
#[tokio::test]
async fn the_first_poll_tells_whether_an_organisation_repository_is_active() {
    let sim = start_sim().await;
    let (quiet, stale) = add_dormant_repos(&sim, false);
    let all = vec![shop(), quiet.clone(), stale.clone()];
    let gh = std::sync::Arc::new(client(&sim));
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let home = tempfile::tempdir().unwrap();
    let runner = autoheal::tui::effects::Runner {
        unproven: std::sync::Arc::new(std::sync::Mutex::new(all.iter().cloned().collect())),
        active_days: 30,
        ..runner_for(&gh, tx, home.path())
    };
    let (keymap, _) = Keymap::new(&Default::default());
    let mut app = App::new(all.clone(), keymap, Duration::from_secs(3600));
    app.status.polling = all.len();
    runner.start_pollers(&all, Duration::from_secs(3600));
    let mut inactive = Vec::new();
    let mut polled = Vec::new();
    while inactive.len() + polled.len() < all.len() {
        let action = next_taken(&mut rx, "poll or inactive", |a| match a {
            Action::Polled { .. } | Action::Inactive { .. } => Some(a),
            _ => None,
        })
        .await;
        match &action {
            Action::Inactive { repo } => inactive.push(repo.clone()),
            Action::Polled { repo, .. } => polled.push(repo.clone()),
            _ => unreachable!(),
        }
        update(&mut app, action);
    }
    inactive.sort_by_key(|r| r.to_string());
    assert_eq!(inactive, [quiet.clone(), stale.clone()]);
    assert_eq!(polled, [shop()]);
    assert_eq!(app.repos, [shop()]);
    assert_eq!(app.status.polling, 0, "no poll is awaited any more");
    // The shop's failure list answered for it; the others cost one request each.
    let asked: Vec<String> = sim
        .requests()
        .into_iter()
        .map(|r| r.path)
        .filter(|p| p.contains("created="))
        .collect();
    assert_eq!(asked.len(), 2, "{asked:?}");
    assert!(
        !asked.iter().any(|p| p.contains("/octo/shop/")),
        "{asked:?}"
    );

    // Asked about again later: the stale one has had a run since, and is watched again.
    sim.with_world(|w| {
        let stale = w.repos.iter_mut().find(|r| r.name == "stale").unwrap();
        stale.runs[0].created_at = chrono::Utc::now();
    });
    runner.wake_dormant(Duration::from_secs(3600)).await;
    let woken = next_taken(&mut rx, "woken", |a| match a {
        Action::OrgListed { result, .. } => Some(result.unwrap()),
        _ => None,
    })
    .await;
    assert_eq!(woken, std::slice::from_ref(&stale));
    let polled = next_taken(&mut rx, "poll of the woken", |a| match a {
        Action::Polled { repo, .. } => Some(repo),
        _ => None,
    })
    .await;
    assert_eq!(polled, stale);
    assert_eq!(
        runner
            .dormant
            .lock()
            .unwrap()
            .iter()
            .cloned()
            .collect::<Vec<_>>(),
        [quiet]
    );
}

#[tokio::test]
async fn a_run_explained_in_the_background_costs_its_jobs_and_log_and_in_full_when_looked_at() {
    let sim = start_sim().await;
    let (_gh, mut rx, _home, runner) = started(&sim);
    runner.start_pollers(&[shop()], Duration::from_secs(3600));
    next_poll(&mut rx).await;
    runner.start_explainers(1);

    // Nobody looks at it: the listed run is not read again, nor the last green run, nor the
    // files the policy adds to the prompt.
    sim.clear_requests();
    runner.run(Effect::Explain(RunKey::new(shop(), 9001)));
    let background = next_explained(&mut rx).await;
    assert!(!background.complete);
    let paths: Vec<String> = sim.requests().into_iter().map(|r| r.path).collect();
    // Its failed jobs (GraphQL, with those of the runs queued after it), the failed job's
    // log (a redirect to storage), and for the failure's history the workflow's recent runs
    // (read once for every failure of that workflow): nothing else.
    assert!(
        paths.iter().all(|p| p == "/graphql"
            || p.ends_with("/logs")
            || p.starts_with("/_sim/blobs/")
            || (p.contains("/actions/workflows/") && p.ends_with("/runs?per_page=100"))),
        "{paths:?}"
    );
    assert!(
        !paths.iter().any(|p| p.contains("/compare/")),
        "no comparison for a run nobody looks at: {paths:?}"
    );

    // The user selects it: its requests go first, and the last green run's logs are read.
    sim.clear_requests();
    runner.run(Effect::ExplainFirst(RunKey::new(shop(), 9001)));
    let full = next_explained(&mut rx).await;
    assert!(full.complete);
    let paths: Vec<String> = sim.requests().into_iter().map(|r| r.path).collect();
    assert!(
        paths.iter().any(|p| p.contains("status=success")),
        "{paths:?}"
    );
    assert!(
        paths.iter().any(|p| p.contains("/contents/README.md")),
        "the prompt's context files: {paths:?}"
    );
    assert!(
        paths.iter().any(|p| p.contains("/compare/")),
        "the commits since the last green run: {paths:?}"
    );
    assert!(
        !paths.iter().any(|p| p.ends_with("/actions/runs/9001")),
        "the listed run is not read again: {paths:?}"
    );
}

#[tokio::test]
async fn a_partial_explanation_is_completed_when_selected_and_never_replaces_a_full_one() {
    let sim = start_sim().await;
    let gh = client(&sim);
    let mut app = loaded_app(&sim).await;
    let run = app.selected_row().unwrap().key.clone();
    let partial = |fetch_full: bool| {
        let gh = &gh;
        let key = run.clone();
        async move {
            autoheal::heal::prepare(
                gh,
                &key.repo,
                key.run_id,
                None,
                None,
                &[],
                autoheal::heal::Fetch {
                    brief: !fetch_full,
                    ..Default::default()
                },
            )
            .await
            .unwrap()
        }
    };
    // The selected row holds a full explanation: a late background one is dropped.
    let late = partial(false).await;
    let effects = update(
        &mut app,
        Action::Explained {
            key: run.clone(),
            result: Ok(Box::new(late)),
        },
    );
    assert!(effects.is_empty(), "{effects:?}");
    assert!(
        app.selected_row()
            .unwrap()
            .prepared
            .as_ref()
            .unwrap()
            .complete
    );

    // A newer attempt of the run explained in the background while the user looks at it:
    // shown at once, and explained in full; healing waits for that (the brief prompt lacks
    // the policy's context files).
    let mut newer = partial(false).await;
    newer.run.failed.run.run_attempt = Some(newer.run.failed.run.run_attempt.unwrap_or(1) + 1);
    let effects = update(
        &mut app,
        Action::Explained {
            key: run.clone(),
            result: Ok(Box::new(newer)),
        },
    );
    assert!(
        effects.contains(&Effect::ExplainFirst(run.clone())),
        "{effects:?}"
    );
    assert!(
        !app.selected_row()
            .unwrap()
            .prepared
            .as_ref()
            .unwrap()
            .complete
    );
    update(&mut app, key('H'));
    assert!(
        !matches!(app.mode, Mode::Confirm(_)),
        "no heal from a brief explanation"
    );
    // Selected again later, it is asked for in full again.
    update(&mut app, key('j'));
    let effects = update(&mut app, key('k'));
    assert_eq!(app.selected_row().unwrap().key, run);
    assert!(
        effects.contains(&Effect::ExplainFirst(run.clone())),
        "{effects:?}"
    );
}

#[tokio::test]
async fn statistics_and_cleanup_cover_the_repositories_an_organisation_listed_later() {
    let sim = start_sim().await;
    let mut app = loaded_app(&sim).await;
    let joined: autoheal::forge::RepoRef = "octo/billing".parse().unwrap();
    update(
        &mut app,
        Action::OrgListed {
            org: "octo".into(),
            result: Ok(vec![joined.clone()]),
        },
    );
    assert_eq!(
        update(&mut app, key('S')),
        vec![Effect::LoadStats(vec![shop(), joined.clone()])]
    );
    update(&mut app, key('x'));
    assert_eq!(
        update(&mut app, key('C')),
        vec![Effect::LoadCleanup(vec![shop(), joined])]
    );
}

/// `e` pressed while the selected run is still being analysed opens the editor as soon as
/// its prompt is ready, unless the user has moved on by then.
#[tokio::test]
async fn editing_asked_for_too_early_starts_when_the_prompt_is_ready() {
    let sim = start_sim().await;
    let mut app = loaded_app(&sim).await;
    let selected = app.selected_row().unwrap().key.clone();
    app.row_mut(&selected).unwrap().prompt = None;
    update(&mut app, key('e'));
    assert!(matches!(app.mode, Mode::Normal));
    update(
        &mut app,
        Action::DraftLoaded {
            key: selected.clone(),
            text: None,
        },
    );
    assert!(matches!(app.mode, Mode::EditPrompt), "the editor opens");
    update(&mut app, code(KeyCode::Esc));
    assert!(matches!(app.mode, Mode::Normal));

    // Moved on before the prompt was ready: nothing opens.
    app.row_mut(&selected).unwrap().prompt = None;
    update(&mut app, key('e'));
    app.focus = autoheal::tui::app::Pane::Runs;
    update(&mut app, key('j'));
    assert_ne!(app.selected_row().unwrap().key, selected);
    update(
        &mut app,
        Action::DraftLoaded {
            key: selected,
            text: None,
        },
    );
    assert!(matches!(app.mode, Mode::Normal));
}

/// An idle minute stays within the console's 600 requests however many repositories it
/// watches: past 240 (polled every 30 s) the polls spread out, and the countdown says so.
#[test]
fn polls_spread_out_when_many_repositories_are_watched() {
    use autoheal::tui::cadence::refresh_interval;
    let every = Duration::from_secs(30);
    assert_eq!(refresh_interval(every, 4), every);
    assert_eq!(refresh_interval(every, 240), every);
    assert_eq!(refresh_interval(every, 480), Duration::from_secs(60));
    for repos in [1usize, 100, 240, 241, 481, 1000, 5000] {
        let per_minute = repos as f64 * 60.0 / refresh_interval(every, repos).as_secs_f64();
        assert!(per_minute <= 480.0 + 1e-6, "{repos}: {per_minute}");
    }
    let repos: Vec<autoheal::forge::RepoRef> = (0..960)
        .map(|i| autoheal::forge::RepoRef::new("acme", &format!("r{i}")))
        .collect();
    let (keymap, _) = Keymap::new(&Default::default());
    let mut app = App::new(repos, keymap, every);
    assert_eq!(app.status.seconds_to_refresh, 120);
    app.status.seconds_to_refresh = 0;
    update(&mut app, Action::Tick);
    assert_eq!(app.status.seconds_to_refresh, 120, "after a refresh too");
}

/// The demo's nightly test failure passed on a re-run last week: it is marked flaky in the
/// list and in the grouped view, and the details pane says why, with the commits since the
/// last green run.
#[tokio::test]
async fn a_flaky_failure_is_marked_in_the_list_and_the_grouped_view() {
    let sim = start_sim_with(
        autoheal::sim::LoadedScenario::demo().unwrap(),
        autoheal::sim::Faults::default(),
    )
    .await;
    let webshop: RepoRef = "acme/webshop".parse().unwrap();
    let mut app = loaded_app_of(&sim, webshop).await;
    let nightly = |screen: &str| {
        screen
            .lines()
            .filter(|l| l.contains("Nightly"))
            .map(String::from)
            .collect::<Vec<_>>()
    };
    let screen = render(&app, 160, 40);
    let rows = nightly(&screen);
    assert!(
        rows.iter()
            .any(|l| l.contains("flaky") && l.contains("rerun")),
        "{screen}"
    );
    assert!(
        rows.iter().filter(|l| l.contains("flaky")).count() == 1,
        "only the flaky one of the two nightly failures: {screen}"
    );
    update(&mut app, key('f'));
    let grouped = render(&app, 160, 40);
    assert!(grouped.contains("grouped"), "{grouped}");
    assert!(
        nightly(&grouped).iter().any(|l| l.contains("flaky")),
        "{grouped}"
    );
    // The details of the flaky run.
    let at = app
        .rows
        .iter()
        .position(|r| r.key.run_id == 12795379595)
        .unwrap();
    update(&mut app, key('f'));
    app.selected = app.listing().rows.iter().position(|&i| i == at).unwrap();
    let details = render(&app, 160, 40);
    assert!(
        details.contains("History   flaky: seen twice since"),
        "{details}"
    );
    assert!(
        details.contains("Changes   since the last green run"),
        "{details}"
    );
}
