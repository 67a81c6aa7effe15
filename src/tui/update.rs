//! `update(&mut App, Action) -> Vec<Effect>`: every transition of the console, pure and
//! unit-tested. It never waits, never does I/O; what needs the outside world is returned as
//! an [`Effect`].

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseEventKind};
use tui_textarea::TextArea;

use super::action::{Action, Effect, RunKey};
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
        Action::Key(key) if key.kind != KeyEventKind::Release => on_key(app, key),
        Action::Key(_) => Vec::new(),
        Action::Paste(text) => {
            if let Mode::EditPrompt = app.mode
                && let Some(t) = selected_prompt(app)
            {
                t.insert_str(text);
                return edited(app);
            } else if let Mode::Filter = app.mode {
                app.filter.push_str(&text.replace(['\n', '\r'], " "));
                app.selected = 0;
            }
            Vec::new()
        }
        Action::Mouse(m) => on_mouse(app, m),
        Action::Resize(w, h) => {
            app.size = (w, h);
            Vec::new()
        }
        Action::Tick => on_tick(app),
        Action::Polled {
            repo,
            result,
            complete,
            budget,
        } => {
            app.status.polling = app.status.polling.saturating_sub(1);
            if budget.is_some() {
                app.status.budget = budget;
            }
            match result {
                Ok(runs) => merge_runs(app, repo, runs, complete),
                Err(e) => {
                    app.status.error(format!("{repo}: {e}"));
                    Vec::new()
                }
            }
        }
        Action::Explained { key, result } => {
            let mut effects = Vec::new();
            // Failed: the editor asked for will not open.
            if result.is_err() && app.edit_when_ready.as_ref() == Some(&key) {
                app.edit_when_ready = None;
            }
            let selected = app.selected_row().is_some_and(|r| r.key == key);
            if let Some(row) = app.row_mut(&key) {
                match result {
                    // A background explanation that lost the race with the full one the
                    // user asked for, of the same run: the full one stays.
                    Ok(prepared)
                        if !prepared.complete && row.has_full_explanation_of(&prepared) => {}
                    Ok(prepared) => {
                        if !prepared.complete && selected {
                            // The user is looking at it: explained in full.
                            effects.push(Effect::ExplainFirst(key.clone()));
                        }
                        row.fingerprint = Some(prepared.run.fingerprint());
                        // A brief explanation's prompt lacks the policy's context files: the
                        // editor opens on the complete one.
                        if row.prompt.is_none() && prepared.complete {
                            // The editor opens on a saved draft if there is one: read it
                            // off this loop, the answer is `DraftLoaded`.
                            effects.push(Effect::LoadDraft(key.clone()));
                        }
                        row.prepared = Some(prepared);
                        row.explain_error = None;
                    }
                    Err(e) => row.explain_error = Some(e),
                }
                // A tracking issue this console knows of already: look for its PR.
                effects.extend(watch_pr(row));
            }
            effects
        }
        Action::Healed { key, steps, result } => {
            let mut effects = Vec::new();
            if let Some(row) = app.row_mut(&key) {
                row.heal.busy = None;
                match result {
                    Ok(outcome) => {
                        if outcome.issue_number != 0 {
                            row.heal.issue =
                                Some((outcome.issue_number, outcome.issue_url.clone()));
                        }
                        if outcome.branch.is_some() {
                            row.heal.branch = outcome.branch.clone();
                        }
                        if outcome.copilot.is_some() {
                            row.heal.copilot = outcome.copilot.clone();
                        }
                        let mut summary = Vec::new();
                        if !outcome.created.is_empty() {
                            summary.push(format!("created {}", outcome.created.join(", ")));
                        }
                        if !outcome.existing.is_empty() {
                            summary.push(format!("already there: {}", outcome.existing.join(", ")));
                        }
                        if let Some(note) = outcome.copilot.as_ref().and_then(|c| c.note.clone()) {
                            summary.push(note);
                        }
                        let text = summary.join("; ");
                        row.heal.result = Some(text.clone());
                        if steps.copilot {
                            // Copilot was asked (again): its PR is found anew.
                            row.heal.pr = None;
                            effects.extend(watch_pr(row));
                        }
                        app.status.done(text);
                    }
                    Err(e) => {
                        row.heal.result = Some(format!("failed: {e}"));
                        app.status.error(e);
                    }
                }
            }
            effects
        }
        Action::LogLoaded {
            key,
            job_id,
            result,
        } => {
            if let Mode::Log(view) = &mut app.mode
                && view.key.as_ref() == Some(&key)
                && view.job_id == job_id
            {
                match result {
                    Ok(lines) => view.lines = Some(lines),
                    Err(e) => view.error = Some(e),
                }
            }
            Vec::new()
        }
        Action::Reran { key, result } => {
            if let Some(row) = app.row_mut(&key) {
                row.heal.busy = None;
                match result {
                    Ok(run) => {
                        row.heal.result = Some(format!(
                            "re-running the failed jobs: attempt {}",
                            run.run_attempt.unwrap_or(1)
                        ));
                        row.heal.rerun = true;
                        row.run = *run;
                        let text = row.heal.result.clone().unwrap_or_default();
                        app.status.done(text);
                    }
                    Err(e) => {
                        row.heal.result = Some(e.clone());
                        app.status.error(e);
                    }
                }
            }
            Vec::new()
        }
        Action::RunUpdated { key, result } => {
            let run = match result {
                Ok(run) => run,
                Err(e) => {
                    app.status.error(format!("cannot read run {}: {e}", key.1));
                    return Vec::new();
                }
            };
            if let Some(row) = app.row_mut(&key) {
                if run.status.as_deref() == Some("completed")
                    && row.run.status.as_deref() != Some("completed")
                {
                    let how = run.conclusion.clone().unwrap_or_default();
                    row.heal.result = Some(format!(
                        "attempt {} finished: {how}",
                        run.run_attempt.unwrap_or(1)
                    ));
                }
                row.run = *run;
            }
            Vec::new()
        }
        Action::Approved { key, result } => {
            let Some(row) = app.row_mut(&key) else {
                return Vec::new();
            };
            row.heal.busy = None;
            let (text, error) = match result {
                Ok(n) => {
                    if let Some(pr) = row.heal.pr.as_mut() {
                        pr.waiting_runs.clear();
                    }
                    (
                        format!("approved {n} workflow run(s): the heal PR's checks run now"),
                        false,
                    )
                }
                Err(e) => {
                    let url = row
                        .heal
                        .pr
                        .as_ref()
                        .map(|p| p.pull.html_url.clone())
                        .unwrap_or_default();
                    (format!("{e}; approve it on the PR: {url}"), true)
                }
            };
            row.heal.result = Some(text.clone());
            if error {
                app.status.error(text);
            } else {
                app.status.done(text);
            }
            Vec::new()
        }
        Action::MarkedReady { key, result } => {
            match result {
                Ok(n) => app.status.done(format!("PR #{n} is ready for review")),
                Err(e) => app.status.error(format!("cannot mark the PR ready: {e}")),
            }
            app.row_mut(&key)
                .and_then(|r| {
                    r.heal.busy = None;
                    watch_pr(r)
                })
                .into_iter()
                .collect()
        }
        Action::Trouble(trouble) => {
            app.status.trouble = trouble;
            Vec::new()
        }
        Action::Inactive { repo } => {
            if app.repos.contains(&repo) {
                app.repos.retain(|r| *r != repo);
                app.status.polling = app.status.polling.saturating_sub(1);
                // Its rows go (only an earlier poll could have listed any), but not those of
                // a heal or re-run this console started.
                let selected_key = app.selected_row().map(|r| r.key.clone());
                app.rows_version += 1;
                app.rows.retain(|row| {
                    row.key.0 != repo
                        || row.heal.issue.is_some()
                        || row.heal.branch.is_some()
                        || row.heal.rerun
                });
                if let Some(key) = selected_key
                    && let Some(pos) = app.visible().iter().position(|&i| app.rows[i].key == key)
                {
                    app.selected = pos;
                }
                clamp_selection(app);
            }
            Vec::new()
        }
        Action::OrgListed { org, result } => {
            match result {
                Ok(new) if new.is_empty() => {}
                Ok(new) => {
                    app.status.info(format!(
                        "{org}: now watching {} more repositories",
                        new.len()
                    ));
                    app.status.polling += new.len();
                    app.repos.extend(new);
                }
                Err(e) => app.status.error(e),
            }
            Vec::new()
        }
        Action::DraftLoaded { key, text } => {
            if let Some(row) = app.row_mut(&key)
                && row.prompt.is_none()
                && let Some(prepared) = &row.prepared
            {
                let text = text.unwrap_or_else(|| prepared.default_prompt.clone());
                row.prompt = Some(textarea(&text));
            }
            let waited = app.edit_when_ready.as_ref() == Some(&key);
            if waited {
                app.edit_when_ready = None;
                let still_selected = app.selected_row().is_some_and(|r| r.key == key);
                if still_selected && matches!(app.mode, Mode::Normal) {
                    start_editing(app);
                }
            }
            Vec::new()
        }
        Action::DraftNotSaved(e) => {
            app.status
                .error(format!("the prompt draft is not saved: {e}"));
            Vec::new()
        }
        Action::StatsLoaded(result) => {
            match result {
                Ok(s) => {
                    if matches!(app.mode, Mode::Stats(_)) {
                        app.mode = Mode::Stats(Some(s));
                    }
                }
                Err(e) => {
                    app.mode = Mode::Normal;
                    app.status.error(format!("statistics: {e}"));
                }
            }
            Vec::new()
        }
        Action::CleanupLoaded(result) => {
            match result {
                Ok(plans) => {
                    if matches!(app.mode, Mode::Cleanup(_)) {
                        app.mode = Mode::Cleanup(Some(plans));
                    }
                }
                Err(e) => {
                    app.mode = Mode::Normal;
                    app.status.error(format!("cleanup: {e}"));
                }
            }
            Vec::new()
        }
        Action::CleanedUp(result) => {
            app.cleanup_running = false;
            match result {
                Ok(n) => app
                    .status
                    .done(format!("deleted {n} stale heal branch(es)")),
                Err(e) => app.status.error(format!("cleanup: {e}")),
            }
            Vec::new()
        }
        Action::PrStatus { key, result } => {
            if let Some(row) = app.row_mut(&key) {
                match result {
                    Ok(pr) => {
                        row.heal.pr = pr.map(|p| *p);
                        row.heal.pr_error = None;
                    }
                    Err(e) => row.heal.pr_error = Some(e),
                }
            }
            Vec::new()
        }
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

/// The prompt changed: write the draft now (a crash or `kill -9` loses no keystroke), and
/// sync it to disk once typing pauses (on a tick).
fn edited(app: &mut App) -> Vec<Effect> {
    let Some(i) = app.selected_index() else {
        return Vec::new();
    };
    let row = &mut app.rows[i];
    row.prompt_unsynced = Some(0);
    row.prompt_text()
        .map(|text| Effect::SaveDraft {
            key: row.key.clone(),
            text,
            synced: false,
        })
        .into_iter()
        .collect()
}

/// New runs join the list (marked new after the first poll); runs no longer failing leave it
/// unless a heal touched them.
/// Takes a poll's runs into the rows. `complete`: the poll read the whole failure list, so a
/// row of this repository absent from it is gone (its re-run passed, or it aged out), unless
/// a heal or re-run of it is being followed, or it was still going when last seen.
fn merge_runs(
    app: &mut App,
    repo: crate::forge::RepoRef,
    runs: Vec<crate::forge::WorkflowRun>,
    complete: bool,
) -> Vec<Effect> {
    let first = !app.polled_once.contains(&repo);
    if first {
        app.polled_once.push(repo.clone());
    }
    let selected_key = app.selected_row().map(|r| r.key.clone());
    let ids: Vec<u64> = runs.iter().map(|r| r.id).collect();
    app.rows_version += 1;
    app.rows.retain(|r| {
        !complete
            || r.key.0 != repo
            || ids.contains(&r.key.1)
            // A run still going is not in the failure list; the next poll says how it ends.
            || r.run.status.as_deref().is_some_and(|s| s != "completed")
            || r.heal.issue.is_some()
            || r.heal.branch.is_some()
            || r.heal.rerun
    });
    let mut effects = Vec::new();
    let mut fresh = 0;
    // The list is newest first: the first run of each workflow and branch is the one a
    // person looks at first, and is explained before the older ones.
    let mut kinds_seen = std::collections::HashSet::new();
    for run in runs {
        let key = (repo.clone(), run.id);
        let newest_of_kind = kinds_seen.insert((run.workflow_id, run.head_branch.clone()));
        let explain = if newest_of_kind {
            Effect::Explain(key.clone())
        } else {
            Effect::ExplainLater(key.clone())
        };
        if let Some(row) = app.row_mut(&key) {
            // A run's jobs and logs do not change until it does (a re-run, say): only then
            // is it explained again. The old explanation shows until the new one arrives.
            let changed = row.run.run_attempt != run.run_attempt
                || row.run.status != run.status
                || row.run.updated_at != run.updated_at;
            row.run = run;
            if changed {
                effects.push(explain);
            }
            continue;
        }
        fresh += 1;
        app.rows.push(Row::new(repo.clone(), run, !first));
        effects.push(explain);
    }
    if fresh > 0 {
        app.sort_rows();
    }
    if fresh > 0 && !first {
        app.status
            .info(format!("{fresh} new failed run(s) in {repo}"));
        if app.bell {
            effects.push(Effect::Bell);
        }
    }
    // Keep the same run selected when rows move (once the user has chosen one).
    if app.touched
        && let Some(key) = selected_key
        && let Some(pos) = app.visible().iter().position(|&i| app.rows[i].key == key)
    {
        app.selected = pos;
    }
    clamp_selection(app);
    effects
}

fn clamp_selection(app: &mut App) {
    let n = app.visible().len();
    if n == 0 {
        app.selected = 0;
    } else if app.selected >= n {
        app.selected = n - 1;
    }
}

/// While a run asked to run again has not finished, it is read this often (seconds).
const RERUN_WATCH_EVERY: u64 = 3;

/// A heal whose PR may still change: its issue is open or its PR not yet merged or closed.
fn heal_in_flight(row: &Row) -> bool {
    row.heal.issue.is_some()
        && !row
            .heal
            .pr
            .as_ref()
            .is_some_and(|p| p.pull.merged_at.is_some() || p.pull.state == "closed")
}

fn on_tick(app: &mut App) -> Vec<Effect> {
    let mut effects = Vec::new();
    app.ticks += 1;
    if app.status.seconds_to_refresh == 0 {
        app.status.seconds_to_refresh = app.refresh_interval().as_secs();
        app.status.polling = app.repos.len();
        effects.push(Effect::Refresh(None));
        // Every heal still in flight is followed at the same pace: one conditional request
        // per PR while nothing changes.
        effects.extend(
            app.rows
                .iter()
                .filter(|r| heal_in_flight(r))
                .filter_map(watch_pr),
        );
    } else {
        app.status.seconds_to_refresh -= 1;
    }
    if app.ticks % RERUN_WATCH_EVERY == 0 {
        for row in app
            .rows
            .iter()
            .filter(|r| r.heal.rerun && r.run.status.as_deref() != Some("completed"))
        {
            effects.push(Effect::RefreshRun(row.key.clone()));
        }
    }
    let editing = matches!(app.mode, Mode::EditPrompt);
    for row in &mut app.rows {
        if let Some(age) = row.prompt_unsynced.as_mut() {
            *age += 1;
            if *age > AUTOSAVE_AFTER || !editing {
                if let Some(text) = row.prompt_text() {
                    effects.push(Effect::SaveDraft {
                        key: row.key.clone(),
                        text,
                        synced: true,
                    });
                }
                row.prompt_unsynced = None;
            }
        }
    }
    effects
}

fn on_mouse(app: &mut App, m: crossterm::event::MouseEvent) -> Vec<Effect> {
    match m.kind {
        MouseEventKind::ScrollDown => scroll(app, 3),
        MouseEventKind::ScrollUp => scroll(app, -3),
        MouseEventKind::Down(_) if matches!(app.mode, Mode::Normal) => {
            // Read against the last frame: where it drew each pane and which run came first.
            let screen = app.screen.get();
            let at = ratatui::layout::Position::new(m.column, m.row);
            if screen.run_rows.contains(at) {
                let index = screen.list_start + usize::from(m.row - screen.run_rows.y);
                if index < app.visible().len() {
                    app.selected = index;
                    app.focus = Pane::Runs;
                    return select_changed(app);
                }
            } else if screen.details.contains(at) {
                app.focus = Pane::Details;
            } else if screen.excerpt.contains(at) {
                app.focus = Pane::Excerpt;
            } else if screen.prompt.contains(at) {
                app.focus = Pane::Prompt;
            }
        }
        _ => {}
    }
    Vec::new()
}

fn scroll(app: &mut App, by: i32) {
    if let Mode::Log(view) = &mut app.mode {
        let max = view.lines.as_ref().map_or(0, Vec::len).saturating_sub(1);
        view.top = (view.top as i64 + i64::from(by)).clamp(0, max as i64) as usize;
        return;
    }
    match app.focus {
        Pane::Runs => {
            let n = app.visible().len();
            if n > 0 {
                app.selected =
                    (app.selected as i64 + i64::from(by.signum())).clamp(0, n as i64 - 1) as usize;
            }
        }
        Pane::Details => {
            app.details_scroll = (i32::from(app.details_scroll) + by).clamp(0, 10_000) as u16
        }
        Pane::Excerpt => app.excerpt_offset = (app.excerpt_offset + by).clamp(-10_000, 10_000),
        Pane::Prompt => {}
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

fn on_key(app: &mut App, key: KeyEvent) -> Vec<Effect> {
    app.touched = true;
    app.status.acknowledge();
    match &mut app.mode {
        Mode::Help => {
            app.mode = Mode::Normal;
            Vec::new()
        }
        Mode::Filter => {
            match key.code {
                KeyCode::Esc => {
                    app.filter.clear();
                    app.mode = Mode::Normal;
                }
                KeyCode::Enter => app.mode = Mode::Normal,
                KeyCode::Backspace => {
                    app.filter.pop();
                }
                KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => {
                    app.filter.push(c)
                }
                _ => {}
            }
            app.selected = 0;
            clamp_selection(app);
            Vec::new()
        }
        Mode::EditPrompt => {
            if key.code == KeyCode::Esc {
                app.mode = Mode::Normal;
                show_cursor(app, false);
                return save_now(app);
            }
            if let Some(t) = selected_prompt(app)
                && t.input(key)
            {
                return edited(app);
            }
            Vec::new()
        }
        Mode::Confirm(_) => on_confirm_key(app, key),
        Mode::Stats(_) => {
            app.mode = Mode::Normal;
            Vec::new()
        }
        Mode::Cleanup(plans) => {
            let stale: usize = plans.iter().flatten().map(|p| p.deleted.len()).sum();
            match (key.code, plans.take()) {
                // The view lists exactly what `y` deletes: it is its own confirmation.
                (KeyCode::Char('y'), Some(plans)) if stale > 0 => {
                    app.mode = Mode::Normal;
                    app.status
                        .info(format!("deleting {stale} stale heal branch(es)…"));
                    app.cleanup_running = true;
                    vec![Effect::RunCleanup(plans)]
                }
                (KeyCode::Esc | KeyCode::Char('q' | 'n' | 'C'), _) => {
                    app.mode = Mode::Normal;
                    Vec::new()
                }
                (_, plans) => {
                    app.mode = Mode::Cleanup(plans);
                    Vec::new()
                }
            }
        }
        Mode::Log(_) => on_log_key(app, key),
        Mode::Normal => match app.keymap.command(&key) {
            Some(cmd) => on_command(app, cmd),
            None => Vec::new(),
        },
    }
}

fn save_now(app: &mut App) -> Vec<Effect> {
    let Some(i) = app.selected_index() else {
        return Vec::new();
    };
    let row = &mut app.rows[i];
    row.prompt_unsynced = None;
    match row.prompt_text() {
        Some(text) => vec![Effect::SaveDraft {
            key: row.key.clone(),
            text,
            synced: true,
        }],
        None => Vec::new(),
    }
}

fn on_command(app: &mut App, cmd: Command) -> Vec<Effect> {
    let n = app.visible().len();
    match cmd {
        Command::Quit => {
            let unanswered = unanswered_writes(app);
            let mut effects = save_now(app);
            if unanswered.is_empty() {
                app.quit = true;
            } else if app.quitting {
                // Asked twice: quit now, and say in the audit log what was left unanswered.
                app.quit = true;
                effects.push(Effect::RecordUnfinished(unanswered));
            } else {
                app.quitting = true;
                app.status.say(
                    super::app::Severity::Error,
                    format!(
                        "waiting for {} write(s) to GitHub to answer before quitting; q again \
                         quits now (recorded as unfinished in the audit log)",
                        unanswered.len()
                    ),
                );
            }
            effects
        }
        Command::Help => {
            app.mode = Mode::Help;
            Vec::new()
        }
        Command::Filter => {
            app.mode = Mode::Filter;
            Vec::new()
        }
        Command::Refresh => {
            app.status.seconds_to_refresh = app.refresh_interval().as_secs();
            app.status.polling = app.repos.len();
            app.status.info("refreshing…");
            let mut effects = vec![Effect::ReloadPolicies];
            effects.extend(app.selected_row().and_then(watch_pr));
            effects
        }
        Command::Down | Command::Up | Command::Top | Command::Bottom => {
            if app.focus != Pane::Runs {
                let by = match cmd {
                    Command::Down => 1,
                    Command::Up => -1,
                    Command::Top => -10_000,
                    _ => 10_000,
                };
                scroll(app, by);
                return Vec::new();
            }
            if n == 0 {
                return Vec::new();
            }
            let before = app.selected;
            app.selected = match cmd {
                Command::Down => (app.selected + 1).min(n - 1),
                Command::Up => app.selected.saturating_sub(1),
                Command::Top => 0,
                _ => n - 1,
            };
            if app.selected != before {
                select_changed(app)
            } else {
                Vec::new()
            }
        }
        Command::PageDown => {
            scroll(app, 10);
            Vec::new()
        }
        Command::PageUp => {
            scroll(app, -10);
            Vec::new()
        }
        Command::NextPane | Command::PrevPane => {
            let pos = Pane::ORDER
                .iter()
                .position(|p| *p == app.focus)
                .unwrap_or(0);
            let len = Pane::ORDER.len();
            let next = if cmd == Command::NextPane {
                (pos + 1) % len
            } else {
                (pos + len - 1) % len
            };
            app.focus = Pane::ORDER[next];
            Vec::new()
        }
        Command::Open => {
            app.focus = Pane::Details;
            select_changed(app)
        }
        Command::EditPrompt => {
            if app.selected_row().is_some_and(|r| r.prompt.is_some()) {
                start_editing(app);
            } else if let Some(row) = app.selected_row() {
                // The editor opens as soon as the prompt is ready, if the run is still the
                // one selected then.
                app.edit_when_ready = Some(row.key.clone());
                app.status.info("the prompt opens when the run is analysed");
            }
            Vec::new()
        }
        Command::ResetPrompt => {
            let Some(i) = app.selected_index() else {
                return Vec::new();
            };
            let row = &mut app.rows[i];
            if let Some(p) = &row.prepared {
                row.prompt = Some(textarea(&p.default_prompt));
                row.prompt_unsynced = None;
                app.status.info("prompt reset to the template");
                return vec![Effect::RemoveDraft(row.key.clone())];
            }
            Vec::new()
        }
        Command::Group => {
            app.grouped = !app.grouped;
            app.selected = 0;
            app.status.info(if app.grouped {
                "grouped by failure fingerprint (f lists every run)"
            } else {
                "every run listed"
            });
            Vec::new()
        }
        Command::Rerun => {
            if selected_is_busy(app) {
                return Vec::new();
            }
            let Some(row) = app.selected_row() else {
                return Vec::new();
            };
            let attempt = row.run.run_attempt.unwrap_or(1);
            let max = row
                .prepared
                .as_ref()
                .map_or(3, |p| p.policy.policy.rerun.max_attempts);
            let mut lines = vec![format!(
                "Re-run the failed jobs of run {} ({} on {}): attempt {} of {max}.",
                row.run.id,
                row.run.workflow_name(),
                row.run.branch(),
                attempt + 1
            )];
            if let Some(p) = &row.prepared {
                lines.push(format!(
                    "Recommendation: {} — {}",
                    p.run.verdict.recommendation.as_str(),
                    p.run.verdict.recommendation_reason
                ));
            }
            app.mode = Mode::Confirm(Confirm {
                key: row.key.clone(),
                action: ConfirmAction::Rerun,
                lines,
                blocked: None,
                typed: String::new(),
            });
            Vec::new()
        }
        Command::Approve => {
            if selected_is_busy(app) {
                return Vec::new();
            }
            let Some(row) = app.selected_row() else {
                return Vec::new();
            };
            let Some(pr) = row.heal.pr.as_ref().filter(|p| !p.waiting_runs.is_empty()) else {
                app.status
                    .info("no heal PR run of this failure waits for approval");
                return Vec::new();
            };
            let author = pr
                .pull
                .user
                .as_ref()
                .map_or("someone".to_string(), |u| u.login.clone());
            let files = pr
                .pull
                .changed_files
                .map_or("an unknown number of".to_string(), |n| n.to_string());
            app.mode = Mode::Confirm(Confirm {
                key: row.key.clone(),
                action: ConfirmAction::Approve,
                lines: vec![
                    format!(
                        "Approve {} workflow run(s) of PR #{} by {author}, which changes {files} files.",
                        pr.waiting_runs.len(),
                        pr.pull.number
                    ),
                    "Approving runs that PR's code with this repository's secrets.".into(),
                    pr.pull.html_url.clone(),
                ],
                blocked: None,
                typed: String::new(),
            });
            Vec::new()
        }
        Command::Stats => {
            app.mode = Mode::Stats(None);
            vec![Effect::LoadStats(app.repos.clone())]
        }
        Command::Cleanup => {
            app.mode = Mode::Cleanup(None);
            vec![Effect::LoadCleanup(app.repos.clone())]
        }
        Command::MarkReady => {
            if selected_is_busy(app) {
                return Vec::new();
            }
            let Some(row) = app.selected_row() else {
                return Vec::new();
            };
            let Some(pr) = row.heal.pr.as_ref() else {
                app.status.info("this failure has no heal PR yet");
                return Vec::new();
            };
            if pr.pull.draft != Some(true) {
                app.status
                    .info(format!("PR #{} is not a draft", pr.pull.number));
                return Vec::new();
            }
            let passing = !pr.checks.is_empty()
                && pr.checks.iter().all(|c| {
                    c.status == "completed"
                        && matches!(
                            c.conclusion.as_deref(),
                            Some("success" | "neutral" | "skipped")
                        )
                });
            let mut lines = vec![format!(
                "Mark PR #{} ready for review: {}",
                pr.pull.number, pr.pull.html_url
            )];
            if !passing {
                lines.push("Its checks have not all passed yet.".into());
            }
            app.mode = Mode::Confirm(Confirm {
                key: row.key.clone(),
                action: ConfirmAction::MarkReady,
                lines,
                blocked: None,
                typed: String::new(),
            });
            Vec::new()
        }
        Command::CreateIssue => confirm(app, Steps::ISSUE),
        Command::CreateBranch => confirm(app, Steps::BRANCH),
        Command::RequestCopilot => confirm(app, Steps::COPILOT),
        Command::HealAll => confirm(app, Steps::ALL),
        Command::OpenBrowser => match app.selected_row() {
            Some(r) => vec![Effect::OpenUrl(r.best_url().to_string())],
            None => Vec::new(),
        },
        Command::CopyUrl => match app.selected_row() {
            Some(r) => {
                let url = r.best_url().to_string();
                app.status.done(format!("copied {url}"));
                vec![Effect::CopyUrl(url)]
            }
            None => Vec::new(),
        },
        Command::FullLog => {
            let Some(row) = app.selected_row() else {
                return Vec::new();
            };
            let Some(job) = row.prepared.as_ref().and_then(|p| p.run.jobs.first()) else {
                app.status.info("the run is still being analysed");
                return Vec::new();
            };
            let key = row.key.clone();
            let job_id = job.job.id;
            let title = format!(
                "{} · {} · job {}",
                key.0,
                row.run.workflow_name(),
                job.job.name
            );
            let top = job
                .analysis
                .excerpt
                .first()
                .map_or(0, |l| l.line.saturating_sub(3));
            app.mode = Mode::Log(Box::new(LogView {
                key: Some(key.clone()),
                job_id,
                title,
                top,
                ..LogView::default()
            }));
            vec![Effect::LoadLog { key, job_id }]
        }
    }
}

/// Opens the confirmation dialog showing exactly what will be created.
/// The writes to GitHub sent and not yet answered: each run's, and the branch cleanup.
fn unanswered_writes(app: &App) -> Vec<(RunKey, String)> {
    let mut writes: Vec<(RunKey, String)> = app
        .rows
        .iter()
        .filter_map(|r| Some((r.key.clone(), r.heal.busy.clone()?)))
        .collect();
    if app.cleanup_running
        && let Some(repo) = app.repos.first()
    {
        writes.push(((repo.clone(), 0), "deleting stale heal branches".into()));
    }
    writes
}

/// Every write key asks this first: one write per run at a time, so a second key press
/// while the first request is on its way cannot send it twice.
fn selected_is_busy(app: &mut App) -> bool {
    let busy = app.selected_row().is_some_and(|r| r.heal.busy.is_some());
    if busy {
        app.status.info("a request for this run is already running");
    }
    busy
}

fn confirm(app: &mut App, steps: Steps) -> Vec<Effect> {
    if selected_is_busy(app) {
        return Vec::new();
    }
    let Some(row) = app.selected_row() else {
        return Vec::new();
    };
    let Some(prepared) = row.prepared.as_ref().filter(|p| p.complete) else {
        app.status.info("the run is still being analysed");
        return Vec::new();
    };
    let secrets: Vec<&str> = app.secrets.iter().map(String::as_str).collect();
    let prompt = row
        .prompt_text()
        .unwrap_or_else(|| prepared.default_prompt.clone());
    let p = plan::plan(&prepared.run, &prepared.policy.policy, &prompt, &secrets);
    let mut lines = Vec::new();
    if steps.issue {
        lines.push(format!("Issue   {}", p.issue.title));
        lines.push(format!("Labels  {}", p.issue.labels.join(", ")));
    }
    if steps.branch {
        lines.push(format!(
            "Branch  {} at {}",
            p.heal_branch,
            crate::text::humanize::short_sha(&p.head_sha)
        ));
    }
    if steps.copilot {
        match &p.copilot {
            Some(c) => {
                lines.push(format!("Copilot {:?} mode; the comment begins:", c.mode));
                lines.extend(c.comment.lines().take(4).map(|l| format!("        │ {l}")));
            }
            None => lines.push("Copilot disabled by copilot.enabled: false".into()),
        }
    }
    app.mode = Mode::Confirm(Confirm {
        key: row.key.clone(),
        action: ConfirmAction::Heal(steps),
        lines,
        blocked: p.refusal.clone(),
        typed: String::new(),
    });
    Vec::new()
}

fn on_confirm_key(app: &mut App, key: KeyEvent) -> Vec<Effect> {
    let Mode::Confirm(c) = &mut app.mode else {
        return Vec::new();
    };
    let go = match (&c.blocked, key.code) {
        (_, KeyCode::Esc) => {
            app.mode = Mode::Normal;
            app.status.info("cancelled: nothing was sent");
            return Vec::new();
        }
        (None, KeyCode::Char('y' | 'Y') | KeyCode::Enter) => true,
        (None, KeyCode::Char('n' | 'N')) => {
            app.mode = Mode::Normal;
            app.status.info("cancelled: nothing was sent");
            return Vec::new();
        }
        (Some(_), KeyCode::Enter) => {
            let ok = c.typed.trim() == "heal";
            // A wrong word starts over rather than leaving stray letters in the field.
            c.typed.clear();
            ok
        }
        (Some(_), KeyCode::Backspace) => {
            c.typed.pop();
            false
        }
        (Some(_), KeyCode::Char(ch)) => {
            c.typed.push(ch);
            false
        }
        _ => false,
    };
    if !go {
        return Vec::new();
    }
    let (key, action, force) = (c.key.clone(), c.action, c.blocked.is_some());
    app.mode = Mode::Normal;
    if app
        .rows
        .iter()
        .find(|r| r.key == key)
        .is_some_and(|r| r.heal.busy.is_some())
    {
        app.status.info("a request for this run is already running");
        return Vec::new();
    }
    match action {
        ConfirmAction::Heal(steps) => start_heal(app, key, steps, force),
        ConfirmAction::Rerun => {
            if let Some(row) = app.row_mut(&key) {
                row.heal.busy = Some("re-running the failed jobs…".into());
            }
            vec![Effect::Rerun(key)]
        }
        ConfirmAction::MarkReady => {
            let Some(row) = app.row_mut(&key) else {
                return Vec::new();
            };
            let Some(pr) = row.heal.pr.as_ref() else {
                return Vec::new();
            };
            let (node_id, number) = (pr.pull.node_id.clone(), pr.pull.number);
            row.heal.busy = Some("marking the PR ready for review…".into());
            vec![Effect::MarkReady {
                key,
                node_id,
                number,
            }]
        }
        ConfirmAction::Approve => {
            let Some(row) = app.row_mut(&key) else {
                return Vec::new();
            };
            let runs = row
                .heal
                .pr
                .as_ref()
                .map(|p| p.waiting_runs.clone())
                .unwrap_or_default();
            row.heal.busy = Some("approving the heal PR's runs…".into());
            vec![Effect::Approve { key, runs }]
        }
    }
}

fn start_heal(app: &mut App, key: RunKey, steps: Steps, force: bool) -> Vec<Effect> {
    let Some(row) = app.row_mut(&key) else {
        return Vec::new();
    };
    let Some(prompt) = row
        .prompt_text()
        .or_else(|| row.prepared.as_ref().map(|p| p.default_prompt.clone()))
    else {
        return Vec::new();
    };
    row.heal.busy = Some(match (steps.issue, steps.branch, steps.copilot) {
        (true, true, true) => "healing: issue, branch, Copilot request…".into(),
        (_, true, false) => "creating the branch…".into(),
        (_, false, true) => "sending the Copilot request…".into(),
        _ => "creating the issue…".into(),
    });
    vec![Effect::Heal {
        key,
        steps,
        prompt,
        force,
    }]
}

fn on_log_key(app: &mut App, key: KeyEvent) -> Vec<Effect> {
    let page = app.size.1.saturating_sub(4).max(1) as usize;
    let Mode::Log(view) = &mut app.mode else {
        return Vec::new();
    };
    if view.searching {
        match key.code {
            KeyCode::Esc => view.searching = false,
            KeyCode::Enter => {
                view.searching = false;
                let needle = view.search.to_lowercase();
                view.hits = view
                    .lines
                    .as_ref()
                    .map(|lines| {
                        lines
                            .iter()
                            .enumerate()
                            .filter(|(_, l)| {
                                !needle.is_empty() && l.to_lowercase().contains(&needle)
                            })
                            .map(|(i, _)| i)
                            .collect()
                    })
                    .unwrap_or_default();
                view.hit = view.hits.iter().position(|&h| h >= view.top).unwrap_or(0);
                if let Some(&h) = view.hits.get(view.hit) {
                    view.top = h.saturating_sub(3);
                }
            }
            KeyCode::Backspace => {
                view.search.pop();
            }
            KeyCode::Char(c) => view.search.push(c),
            _ => {}
        }
        return Vec::new();
    }
    let len = view.lines.as_ref().map_or(0, Vec::len);
    let max = len.saturating_sub(1);
    match key.code {
        KeyCode::Esc | KeyCode::Char('q') => app.mode = Mode::Normal,
        KeyCode::Char('j') | KeyCode::Down => view.top = (view.top + 1).min(max),
        KeyCode::Char('k') | KeyCode::Up => view.top = view.top.saturating_sub(1),
        KeyCode::PageDown | KeyCode::Char(' ') => view.top = (view.top + page).min(max),
        KeyCode::PageUp => view.top = view.top.saturating_sub(page),
        KeyCode::Char('g') | KeyCode::Home => view.top = 0,
        KeyCode::Char('G') | KeyCode::End => view.top = len.saturating_sub(page),
        KeyCode::Char('/') => {
            view.searching = true;
            view.search.clear();
        }
        KeyCode::Char('n') if !view.hits.is_empty() => {
            view.hit = (view.hit + 1) % view.hits.len();
            view.top = view.hits[view.hit].saturating_sub(3);
        }
        KeyCode::Char('N') if !view.hits.is_empty() => {
            view.hit = (view.hit + view.hits.len() - 1) % view.hits.len();
            view.top = view.hits[view.hit].saturating_sub(3);
        }
        _ => {}
    }
    Vec::new()
}
