//! The triage console: The Elm Architecture over ratatui.
//!
//! `App` is the state; every key, tick and network result becomes an [`action::Action`];
//! [`update::update`] is pure and returns [`action::Effect`]s; effects run on tokio tasks and
//! come back as actions; [`view::view`] only draws. Input is read on its own thread, so the
//! loop never blocks on the terminal or the network.

pub mod action;
pub mod app;
pub mod cadence;
pub mod crash;
pub mod draft_store;
pub mod drafts;
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

use crate::config::LoadedPolicy;
use crate::config::settings::Settings;
use crate::forge::{GitHub, RepoRef};
use action::Action;
use app::App;
use highlight::{Highlighter, ThemeChoice};

/// What the console starts on: GitHub (or the demo's simulator, over HTTP all the same) and
/// what to watch there.
pub struct Start {
    pub github: Arc<GitHub>,
    pub repos: Vec<RepoRef>,
    /// The organisations watched (their repositories are among `repos`), to look again later.
    pub orgs: Vec<String>,
    /// Days since its last workflow run for an organisation's repository to count.
    pub active_days: u32,
    /// The organisations' repositories among `repos` whose activity is yet to be checked.
    pub unproven: Vec<RepoRef>,
    /// Why the console fell back to the demo, if it did.
    pub notice: Option<String>,
    pub demo: bool,
    /// Masked in everything the console shows or writes: the token itself.
    pub secrets: Vec<String>,
}

/// Why the console could not run.
#[derive(Debug, thiserror::Error)]
pub enum ConsoleError {
    #[error("cannot load the built-in theme: {0}")]
    Theme(String),
    #[error("cannot open the terminal: {0}")]
    Terminal(std::io::Error),
    #[error("cannot draw: {0}")]
    Draw(std::io::Error),
}

/// Opens the console and runs it until the user quits.
pub async fn run(
    start: Start,
    settings: Settings,
    given: Option<LoadedPolicy>,
) -> Result<(), ConsoleError> {
    let (keymap, warnings) = keymap::Keymap::new(&settings.keys);
    let interval = Duration::from_secs(settings.poll_interval_secs);
    let mut app = App::new(start.repos.clone(), keymap, interval);
    app.bell = settings.bell;
    app.secrets = start.secrets.clone();
    app.notice = start.demo.then(|| {
        if start.notice.is_some() {
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
            Highlighter::new(choice, None, no_color).map_err(ConsoleError::Theme)?
        }
    };

    let (tx, mut rx) = mpsc::unbounded_channel::<Action>();
    let runner = effects::Runner {
        given_policy: given.map(Arc::new),
        limit: settings.limit,
        cache: (!start.demo).then(crate::platform::paths::cache_dir),
        secrets: Arc::new(app.secrets.clone()),
        unproven: Arc::new(std::sync::Mutex::new(
            start.unproven.iter().cloned().collect(),
        )),
        active_days: start.active_days,
        ..effects::Runner::new(
            start.github.clone(),
            tx.clone(),
            start.repos.clone(),
            &crate::platform::paths::data_dir(),
        )
    };

    crash::set_secrets(app.secrets.clone());
    crash::install_panic_hook();
    let crash_test = crash::CrashTest::from_env();
    let (mut term, _guard) = terminal::enter().map_err(ConsoleError::Terminal)?;
    if let Ok(size) = term.size() {
        app.size = (size.width, size.height);
    }
    spawn_input_reader(tx.clone());
    runner.start_pollers(&start.repos, interval);
    runner.start_org_watch(start.orgs.clone(), interval);
    runner.start_explainers(effects::EXPLAINERS);
    app.status.polling = start.repos.len();

    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    tick.tick().await;
    loop {
        {
            let _screen = crash::hold_screen();
            term.draw(|f| view::view(&app, f, &mut hl))
                .map_err(ConsoleError::Draw)?;
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
                        .map(|l| crate::text::sanitize::clean(l.as_bytes()).into_owned())
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
