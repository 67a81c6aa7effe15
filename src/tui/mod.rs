//! The triage console: The Elm Architecture over ratatui.
//!
//! `App` is the state; every key, tick and network result becomes an [`action::Action`];
//! [`update::update`] is pure and returns [`action::Effect`]s; effects run on tokio tasks and
//! come back as actions; [`view::view`] only draws. Input is read on its own thread, so the
//! loop never blocks on the terminal or the network.

pub mod action;
pub mod app;
pub mod crash;
pub mod draft_store;
pub mod effects;
pub mod explain_queue;
pub mod highlight;
pub mod keymap;
pub mod read_ahead;
pub mod terminal;
pub mod update;
pub mod view;

use std::sync::Arc;
use std::time::Duration;

use crossterm::event::Event;
use tokio::sync::mpsc;

use crate::cli::{Failure, Session};
use crate::config::LoadedPolicy;
use crate::settings::Settings;
use action::Action;
use app::App;
use highlight::{Highlighter, ThemeChoice};

/// Opens the console on a session (GitHub or the demo) and runs it until the user quits.
pub async fn run(
    session: Session,
    settings: Settings,
    given: Option<LoadedPolicy>,
) -> Result<(), Failure> {
    let (keymap, warnings) = keymap::Keymap::new(&settings.keys);
    let interval = Duration::from_secs(settings.poll_interval_secs);
    let mut app = App::new(session.repos.clone(), keymap, interval);
    app.bell = settings.bell;
    app.secrets = session.secrets().iter().map(|s| s.to_string()).collect();
    app.notice = session.is_demo().then(|| {
        if session.notice.is_some() {
            "demo: no GitHub token found (set GH_TOKEN or run gh auth login)".to_string()
        } else {
            "demo".to_string()
        }
    });
    if let Some(w) = warnings.first() {
        app.status.error(format!("settings: {w}"));
    }
    let choice = if settings.theme.eq_ignore_ascii_case("light") {
        ThemeChoice::Light
    } else {
        ThemeChoice::Dark
    };
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    // A broken theme file is reported, not fatal: the built-in theme takes over.
    let mut hl = match Highlighter::new(choice, settings.theme_file.as_deref(), no_color) {
        Ok(h) => h,
        Err(e) => {
            app.status.error(format!("theme_file: {e}"));
            Highlighter::new(choice, None, no_color).map_err(Failure::internal)?
        }
    };

    let (tx, mut rx) = mpsc::unbounded_channel::<Action>();
    let runner = effects::Runner {
        given_policy: given.map(Arc::new),
        limit: settings.limit,
        cache: (!session.is_demo()).then(crate::paths::cache_dir),
        secrets: Arc::new(app.secrets.clone()),
        unproven: Arc::new(std::sync::Mutex::new(
            session.unproven.iter().cloned().collect(),
        )),
        active_days: session.targets.active_days,
        ..effects::Runner::new(
            session.github.clone(),
            tx.clone(),
            session.repos.clone(),
            &crate::paths::data_dir(),
        )
    };

    crash::set_secrets(app.secrets.clone());
    crash::install_panic_hook();
    let crash_test = crash::CrashTest::from_env();
    let (mut term, _guard) = terminal::enter()
        .map_err(|e| Failure::internal(format!("cannot open the terminal: {e}")))?;
    if let Ok(size) = term.size() {
        app.size = (size.width, size.height);
    }
    spawn_input_reader(tx.clone());
    runner.start_pollers(&session.repos, interval);
    runner.start_org_watch(session.targets.orgs.clone(), interval);
    runner.start_explainers(effects::EXPLAINERS);
    app.status.polling = session.repos.len();

    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    tick.tick().await;
    loop {
        {
            let _screen = crash::hold_screen();
            term.draw(|f| view::view(&app, f, &mut hl))
                .map_err(|e| Failure::internal(format!("cannot draw: {e}")))?;
        }
        let action = tokio::select! {
            Some(a) = rx.recv() => a,
            _ = tick.tick() => Action::Tick,
        };
        let dispatch = |app: &mut App, action: Action| {
            if let (Action::Key(k), Some(test)) = (&action, crash_test)
                && k.code == crossterm::event::KeyCode::F(12)
            {
                test.fire(&app.secrets);
            }
            update::update(app, action)
        };
        let mut effects = Vec::new();
        if matches!(action, Action::Tick) {
            // Once a second: is a request being retried or waiting out a rate limit?
            let trouble = runner.github.stats().trouble();
            effects.extend(dispatch(&mut app, Action::Trouble(trouble)));
        }
        effects.extend(dispatch(&mut app, action));
        // Take everything already waiting before drawing again: a burst of results or
        // key repeats costs one frame, not one each.
        while !app.quit {
            let Ok(a) = rx.try_recv() else { break };
            effects.extend(dispatch(&mut app, a));
        }
        for e in action::coalesce_drafts(effects) {
            runner.run(e);
        }
        if app.quit {
            break;
        }
    }
    // What the user typed reaches the disk before the process ends.
    runner.drafts.finish();
    drop(term);
    terminal::restore();
    Ok(())
}

/// Reads terminal events on a thread of its own and turns them into actions.
fn spawn_input_reader(tx: mpsc::UnboundedSender<Action>) {
    std::thread::spawn(move || {
        loop {
            let action = match crossterm::event::read() {
                Ok(Event::Key(k)) => Action::Key(k),
                Ok(Event::Mouse(m)) => Action::Mouse(m),
                // Pasted text may hold escape sequences too: clean it line by line.
                Ok(Event::Paste(p)) => Action::Paste(
                    p.split('\n')
                        .map(|l| crate::analysis::sanitize::clean(l.as_bytes()).into_owned())
                        .collect::<Vec<_>>()
                        .join("\n"),
                ),
                Ok(Event::Resize(w, h)) => Action::Resize(w, h),
                Ok(_) => continue,
                Err(e) => {
                    tracing::error!(error = %e, "cannot read the terminal");
                    break;
                }
            };
            if tx.send(action).is_err() {
                break;
            }
        }
    });
}
