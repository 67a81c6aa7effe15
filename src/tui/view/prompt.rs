//! The Copilot prompt pane: a tui-textarea editor; `e` edits, Esc leaves.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Wrap};

use super::pane_block;
use crate::tui::app::{App, Mode, Pane, Row};

pub fn draw(app: &App, selected: Option<&Row>, frame: &mut Frame, area: Rect) {
    let editing = matches!(app.mode, Mode::EditPrompt);
    let Some(row) = selected else {
        frame.render_widget(
            Paragraph::new("").block(pane_block("Copilot prompt", Pane::Prompt, app)),
            area,
        );
        return;
    };
    // Every edit is on disk at once (see `drafts`), so there is no "unsaved" state to show.
    let title = if editing {
        "Copilot prompt · editing · draft saved (Esc leaves)"
    } else {
        "Copilot prompt · e edits"
    };
    let block = pane_block(title, Pane::Prompt, app);
    match &row.prompt {
        Some(textarea) if editing => {
            // By reference: the editor is not copied on every frame (its look is set when
            // editing starts and ends, see `update`).
            let inner = block.inner(area);
            frame.render_widget(block, area);
            frame.render_widget(textarea, inner);
        }
        Some(textarea) => {
            // Read, not edited: long lines wrap, so the whole prompt is seen without scrolling
            // sideways (the editor, which moves a cursor, shows them whole).
            let lines: Vec<Line> = textarea
                .lines()
                .iter()
                .map(|l| Line::raw(l.as_str()))
                .collect();
            frame.render_widget(
                Paragraph::new(lines)
                    .block(block)
                    .wrap(Wrap { trim: false }),
                area,
            );
        }
        None => frame.render_widget(
            Paragraph::new("The prompt is written once the run is analysed…")
                .style(Style::default().fg(Color::DarkGray))
                .block(block),
            area,
        ),
    }
}
