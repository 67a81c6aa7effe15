//! The status bar: repositories, refresh countdown, rate limit, last error, key hints.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::shown;
use crate::tui::app::{App, Mode, Note, Severity};
use crate::tui::keymap::Command;

pub fn draw(app: &App, frame: &mut Frame, area: Rect) {
    let dim = Style::default().fg(Color::DarkGray);
    let mut spans = Vec::new();
    match &app.mode {
        Mode::Filter => {
            spans.push(Span::styled(
                " filter ",
                Style::default().fg(Color::Black).bg(Color::Yellow),
            ));
            spans.push(Span::raw(format!(
                " /{}▏ (Enter keeps, Esc clears)",
                app.filter
            )));
        }
        Mode::EditPrompt => {
            spans.push(Span::styled(
                " editing ",
                Style::default().fg(Color::Black).bg(Color::Cyan),
            ));
            spans.push(Span::raw(
                " Esc leaves · ctrl-z undo · ctrl-y redo · alt-f/alt-b word motion · paste works",
            ));
        }
        _ => {
            let repos = match app.repos.len() {
                1 => app.repos[0].to_string(),
                n => format!("{n} repos"),
            };
            spans.push(Span::styled(
                format!(" {repos} "),
                Style::default()
                    .fg(Color::Black)
                    .bg(Color::Cyan)
                    .add_modifier(Modifier::BOLD),
            ));
            let refresh = if app.status.polling > 0 {
                "refreshing…".to_string()
            } else {
                format!("refresh in {}s", app.status.seconds_to_refresh)
            };
            spans.push(Span::styled(format!(" {refresh}"), dim));
            match app.status.budget {
                Some(b) if b.is_low() => spans.push(Span::styled(
                    format!(
                        " · GitHub budget low ({} left): polling {}× slower",
                        b.remaining,
                        crate::tui::cadence::SLOW_DOWN
                    ),
                    Style::default().fg(Color::Yellow),
                )),
                Some(b) => spans.push(Span::styled(format!(" · rate {}", b.remaining), dim)),
                None => {}
            }
            if let Some(notice) = &app.notice {
                spans.push(Span::styled(
                    format!(" · {notice}"),
                    Style::default().fg(Color::Yellow),
                ));
            }
            if let Some(t) = &app.status.trouble {
                spans.push(Span::styled(
                    format!(" · ⟳ GitHub: {}", shown(t)),
                    Style::default().fg(Color::Yellow),
                ));
            }
            if let Some(Note { severity, text }) = &app.status.note {
                let (mark, style) = match severity {
                    Severity::Error => ("⚠ ", Style::default().fg(Color::Red)),
                    Severity::Done => ("✓ ", Style::default().fg(Color::Green)),
                    Severity::Info => ("", Style::default()),
                };
                spans.push(Span::styled(format!(" · {mark}{}", shown(text)), style));
            }
            let k = &app.keymap;
            spans.push(Span::styled(
                format!(
                    "  {} help · {} heal · {} edit · {} log · {} quit",
                    k.key_for(Command::Help),
                    k.key_for(Command::HealAll),
                    k.key_for(Command::EditPrompt),
                    k.key_for(Command::FullLog),
                    k.key_for(Command::Quit)
                ),
                dim,
            ));
        }
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}
