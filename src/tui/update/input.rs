//! What the user does: keys (by mode and by command), clicks and scrolls, pastes, and the
//! confirmation dialog in front of every write.

use super::*;
use crate::forge::{Conclusion, Status};

/// Pasted text: into the prompt being edited, or the filter being typed.
pub(super) fn on_paste(app: &mut App, text: String) -> Vec<Effect> {
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

pub(super) fn on_mouse(app: &mut App, m: crossterm::event::MouseEvent) -> Vec<Effect> {
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

pub(super) fn on_key(app: &mut App, key: KeyEvent) -> Vec<Effect> {
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
                    crate::tui::app::Severity::Error,
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
                    c.status == Status::Completed
                        && c.conclusion.as_ref().is_some_and(Conclusion::passes)
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
                key.repo,
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
