//! `update(&mut App, Action) -> Vec<Effect>`: every transition of the console, pure and
//! unit-tested. It never waits, never does I/O; what needs the outside world is returned as
//! an [`Effect`].
//!
//! [`input`] takes what the user does (keys, clicks, pastes); [`results`] takes what the
//! effects bring back (polls, analyses, heals, PR states) and the clock's ticks.

mod input;
mod results;

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseEventKind};
use tui_textarea::TextArea;

use super::action::{Action, Effect, RunKey, Unanswered};
use super::app::{App, Confirm, ConfirmAction, InFlight, LogView, Mode, Pane, Row};
use super::keymap::Command;
use crate::heal::execute::Steps;
use crate::heal::plan;

/// Seconds after the last edit before the draft (written at once) is synced to disk; it is
/// always synced on leaving the editor.
const AUTOSAVE_AFTER: u32 = 1;

pub fn update(app: &mut App, action: Action) -> Vec<Effect> {
    match &action {
        Action::PrStatus { key, .. } => {
            app.in_flight.remove(&InFlight::Pr(key.clone()));
        }
        Action::RunUpdated { key, .. } => {
            app.in_flight.remove(&InFlight::Run(key.clone()));
        }
        _ => {}
    }
    let mut effects = transition(app, action);
    if app.quitting && unanswered_writes(app).is_empty() {
        app.quit = true;
    }
    // A look at a PR or a run already on its way is not asked for again: while GitHub
    // stalls, refreshes would otherwise pile up behind it.
    effects.retain(|effect| match effect {
        Effect::WatchPr { key, .. } => app.in_flight.insert(InFlight::Pr(key.clone())),
        Effect::RefreshRun(key) => app.in_flight.insert(InFlight::Run(key.clone())),
        _ => true,
    });
    effects
}

fn transition(app: &mut App, action: Action) -> Vec<Effect> {
    // Anything but a key, a click or a resize may change the rows (a poll, an analysis, a
    // run's new state): the list is computed again. Keys change only the filter and the
    // grouping, which the cached listing is keyed on.
    if !matches!(
        action,
        Action::Key(_) | Action::Mouse(_) | Action::Resize(..) | Action::Paste(_)
    ) {
        app.rows_version += 1;
    }
    match action {
        Action::Key(key) if key.kind != KeyEventKind::Release => input::on_key(app, key),
        Action::Key(_) => Vec::new(),
        Action::Paste(text) => input::on_paste(app, text),
        Action::Mouse(m) => input::on_mouse(app, m),
        Action::Resize(w, h) => {
            app.size = (w, h);
            Vec::new()
        }
        Action::Tick => results::on_tick(app),
        result => results::on_result(app, result),
    }
}

fn textarea(text: &str) -> TextArea<'static> {
    let lines: Vec<String> = text.lines().map(String::from).collect();
    let mut t = TextArea::new(if lines.is_empty() {
        vec![String::new()]
    } else {
        lines
    });
    t.set_max_histories(200);
    // Drawn by reference (no copy per frame): its look is set here and when editing starts
    // and ends, not by the view.
    t.set_cursor_line_style(ratatui::style::Style::default());
    t.set_cursor_style(ratatui::style::Style::default());
    t
}

fn clamp_selection(app: &mut App) {
    let n = app.visible().len();
    if n == 0 {
        app.selected = 0;
    } else if app.selected >= n {
        app.selected = n - 1;
    }
}

fn select_changed(app: &mut App) -> Vec<Effect> {
    // `e` pressed on the run left behind no longer holds.
    app.edit_when_ready = None;
    app.excerpt_offset = 0;
    app.details_scroll = 0;
    let Some(i) = app.selected_index() else {
        return Vec::new();
    };
    let row = &mut app.rows[i];
    row.is_new = false;
    let mut effects: Vec<Effect> = watch_pr(row).into_iter().collect();
    // Explained in the background, a run skipped the comparison with the last passing run's
    // logs (three requests or more): now that someone looks at it, it is explained in full.
    let partly = row.prepared.as_ref().is_some_and(|p| !p.complete);
    if (row.prepared.is_none() || partly) && row.explain_error.is_none() {
        effects.push(Effect::ExplainFirst(row.key.clone()));
    }
    effects
}

/// Follows the row's heal PR: found through its tracking issue, then asked for by number
/// while it is open (a closed one may have a successor).
fn watch_pr(row: &Row) -> Option<Effect> {
    let (issue, _) = row.heal.issue.as_ref()?;
    Some(Effect::WatchPr {
        key: row.key.clone(),
        issue: *issue,
        pr: row
            .heal
            .pr
            .as_ref()
            .filter(|p| p.pull.state == "open")
            .map(|p| p.pull.number),
        heal_branch: row.heal.branch.clone(),
    })
}

/// Opens the confirmation dialog showing exactly what will be created.
/// The writes to GitHub sent and not yet answered: each run's, and the branch cleanup.
fn unanswered_writes(app: &App) -> Vec<Unanswered> {
    let mut writes: Vec<Unanswered> = app
        .rows
        .iter()
        .filter_map(|r| {
            Some(Unanswered {
                repo: r.key.repo.clone(),
                run_id: Some(r.key.run_id),
                what: r.heal.busy.clone()?,
            })
        })
        .collect();
    if app.cleanup_running
        && let Some(repo) = app.repos.first()
    {
        writes.push(Unanswered {
            repo: repo.clone(),
            run_id: None,
            what: "deleting stale heal branches".into(),
        });
    }
    writes
}

/// Into the prompt editor of the selected run, whose prompt is ready.
fn start_editing(app: &mut App) {
    app.mode = Mode::EditPrompt;
    app.focus = Pane::Prompt;
    show_cursor(app, true);
}

/// The editor's cursor shows while editing, and only then.
fn show_cursor(app: &mut App, editing: bool) {
    if let Some(t) = selected_prompt(app) {
        t.set_cursor_style(if editing {
            ratatui::style::Style::default().add_modifier(ratatui::style::Modifier::REVERSED)
        } else {
            ratatui::style::Style::default()
        });
    }
}

fn selected_prompt(app: &mut App) -> Option<&mut TextArea<'static>> {
    let i = app.selected_index()?;
    app.rows[i].prompt.as_mut()
}
