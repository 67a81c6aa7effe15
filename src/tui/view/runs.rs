//! The failed runs list: newest first, one row per run.

use chrono::Utc;
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row as TableRow, Table, TableState};

use super::{pane_block, shown};
use crate::analysis::Recommendation;
use crate::forge::Status;
use crate::text::humanize;
use crate::tui::app::{App, HealStage, Listing, Pane, Row};

/// The verdict badge: what autoheal recommends, coloured.
pub fn badge(row: &Row) -> Span<'static> {
    let Some(p) = &row.prepared else {
        return if row.explain_error.is_some() {
            Span::styled("error", Style::default().fg(Color::Red))
        } else {
            Span::styled("…", Style::default().fg(Color::DarkGray))
        };
    };
    let (text, color) = match p.run.verdict.recommendation {
        Recommendation::Heal => ("heal", Color::Green),
        Recommendation::Rerun => ("rerun", Color::Yellow),
        Recommendation::ManualReview => ("manual", Color::Magenta),
        Recommendation::Blocked => ("blocked", Color::Red),
    };
    Span::styled(
        text,
        Style::default().fg(color).add_modifier(Modifier::BOLD),
    )
}

fn stage_style(stage: HealStage) -> Style {
    match stage {
        HealStage::None => Style::default().fg(Color::DarkGray),
        HealStage::ChecksPassing | HealStage::Healed => Style::default().fg(Color::Green),
        _ => Style::default().fg(Color::Cyan),
    }
}

/// `listing`: [`App::listing`], computed once per frame by the caller.
pub fn draw(app: &App, listing: &Listing, frame: &mut Frame, area: Rect) {
    let visible = listing.rows.as_slice();
    let title = if app.grouped {
        format!(
            "Failures, grouped ({} kinds of {} runs)",
            visible.len(),
            app.rows.len()
        )
    } else if app.filter.is_empty() {
        format!("Failed runs ({})", visible.len())
    } else {
        format!(
            "Failed runs ({} of {}) · filter: {}",
            visible.len(),
            app.rows.len(),
            app.filter
        )
    };
    let block = pane_block(&title, Pane::Runs, app);
    if visible.is_empty() {
        let text = if app.rows.is_empty()
            && !app.repos.is_empty()
            && app.polled_once.len() < app.repos.len()
        {
            "Looking for failed runs…".to_string()
        } else if app.rows.is_empty() {
            "No failed runs in the monitored workflows. 🎉".to_string()
        } else {
            format!(
                "No run matches \"{}\" (Esc in the filter clears it).",
                app.filter
            )
        };
        frame.render_widget(Paragraph::new(text).block(block), area);
        return;
    }
    let now = Utc::now();
    // Only the rows on screen are built: a list of 10,000 runs costs what a screenful costs.
    let height = area.height.saturating_sub(3).max(1) as usize;
    let start = scroll_offset(
        app.screen.get().list_start,
        app.selected,
        height,
        visible.len(),
    );
    let mut screen = app.screen.get();
    screen.list_start = start;
    screen.run_rows = Rect {
        x: area.x.saturating_add(1),
        y: area.y.saturating_add(2),
        width: area.width.saturating_sub(2),
        height: (height as u16).min(area.height.saturating_sub(3)),
    };
    app.screen.set(screen);
    let rows: Vec<TableRow> = visible[start..(start + height).min(visible.len())]
        .iter()
        .map(|&i| {
            let r = &app.rows[i];
            let new = if r.is_new { "●" } else { " " };
            let busy = if r.heal.busy.is_some() { "⟳ " } else { "" };
            let stage = r.stage();
            let seen = r.fingerprint.as_deref().map_or(1, |f| listing.seen(f));
            let mut workflow = if seen > 1 {
                format!("{} ×{seen}", r.run.workflow_name())
            } else {
                r.run.workflow_name().to_string()
            };
            // A job failed, the rest of the run still goes on.
            if r.run
                .status
                .as_ref()
                .is_some_and(|s| *s != Status::Completed)
            {
                workflow.push_str(" ⟳");
            }
            TableRow::new(vec![
                Cell::from(Span::styled(new, Style::default().fg(Color::Yellow))),
                Cell::from(r.key.repo.name.clone()),
                // A flaky failure (it passed on a re-run before): re-run, don't heal.
                Cell::from(Line::from(vec![
                    Span::raw(workflow),
                    if r.flaky() {
                        Span::styled(" flaky", Style::default().fg(Color::Cyan))
                    } else {
                        Span::raw("")
                    },
                ])),
                Cell::from(shown(r.run.branch()).into_owned()),
                Cell::from(humanize::age(r.run.created_at, now)),
                Cell::from(r.category().to_string()),
                Cell::from(badge(r)),
                Cell::from(Line::from(vec![
                    Span::raw(busy),
                    Span::styled(stage.label(), stage_style(stage)),
                ])),
            ])
        })
        .collect();
    let header = TableRow::new(vec![
        "", "repo", "workflow", "branch", "age", "category", "verdict", "heal",
    ])
    .style(
        Style::default()
            .add_modifier(Modifier::BOLD)
            .fg(Color::Gray),
    );
    let table = Table::new(
        rows,
        [
            Constraint::Length(1),
            Constraint::Fill(2),
            Constraint::Fill(3),
            Constraint::Fill(3),
            Constraint::Length(4),
            Constraint::Length(11),
            Constraint::Length(7),
            Constraint::Length(14),
        ],
    )
    .header(header)
    .block(block)
    .row_highlight_style(
        Style::default()
            .bg(Color::DarkGray)
            .add_modifier(Modifier::BOLD),
    )
    .highlight_symbol("▶");
    let mut state = TableState::default().with_selected(Some(app.selected - start));
    frame.render_stateful_widget(table, area, &mut state);
}

/// The first row to show: the last frame's, unless the selection has left the screen, then
/// just enough to bring it back (moving up does not drag the list to the cursor's row). A
/// list that shrank is not left showing empty rows below its end.
fn scroll_offset(last: usize, selected: usize, height: usize, len: usize) -> usize {
    let height = height.max(1);
    let start = if selected < last {
        selected
    } else if selected >= last + height {
        selected + 1 - height
    } else {
        last
    };
    start.min(len.saturating_sub(height))
}

#[cfg(test)]
mod tests {
    use super::scroll_offset;

    #[test]
    fn the_list_scrolls_only_when_the_selection_leaves_the_screen() {
        // 100 rows, 10 on screen, the last one selected: rows 90-99 shown.
        assert_eq!(scroll_offset(0, 99, 10, 100), 90);
        // Up within the screen: the list stays where it was.
        assert_eq!(scroll_offset(90, 95, 10, 100), 90);
        assert_eq!(scroll_offset(90, 90, 10, 100), 90);
        // Up past its top: the selection becomes the first row.
        assert_eq!(scroll_offset(90, 89, 10, 100), 89);
        // Down past its bottom: the selection becomes the last row.
        assert_eq!(scroll_offset(89, 99, 10, 100), 90);
        // The list shrank to 5 rows: all of them, from the first.
        assert_eq!(scroll_offset(90, 4, 10, 5), 0);
    }
}
