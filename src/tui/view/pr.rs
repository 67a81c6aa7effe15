//! The heal pane: the tracking issue, the branch, the Copilot request and the heal PR with
//! each check's state, updating live.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::{label, pane_block};
use crate::forge::Progress;
use crate::tui::app::{App, Pane, Row};

pub fn draw(app: &App, selected: Option<&Row>, frame: &mut Frame, area: Rect) {
    let block = pane_block("Heal & PR", Pane::Details, app);
    let Some(row) = selected else {
        frame.render_widget(Paragraph::new("").block(block), area);
        return;
    };
    let mut lines: Vec<Line> = Vec::new();
    // The heal and its pull request.
    let h = &row.heal;
    lines.push(Line::from(vec![
        label("Heal"),
        Span::styled(row.stage().label(), Style::default().fg(Color::Cyan)),
    ]));
    if let Some(busy) = &h.busy {
        lines.push(Line::from(vec![
            label(""),
            Span::styled(format!("⟳ {busy}"), Style::default().fg(Color::Yellow)),
        ]));
    }
    if let Some((n, url)) = &h.issue {
        lines.push(Line::from(vec![
            label("Issue"),
            Span::raw(format!("#{n} {url}")),
        ]));
    }
    if let Some(b) = &h.branch {
        lines.push(Line::from(vec![label("Branch"), Span::raw(b.clone())]));
    }
    if let Some(c) = &h.copilot {
        let how = match c.effective {
            crate::config::CopilotMode::Comment => "comment posted",
            crate::config::CopilotMode::Assign => "assigned to the coding agent",
            crate::config::CopilotMode::Task => "agent task started",
        };
        lines.push(Line::from(vec![label("Copilot"), Span::raw(how)]));
        if let Some(note) = &c.note {
            lines.push(Line::from(Span::styled(
                format!("  {note}"),
                Style::default().fg(Color::Yellow),
            )));
        }
    }
    if let Some(pr) = &h.pr {
        let p = &pr.pull;
        let state = if p.merged_at.is_some() {
            "merged".to_string()
        } else if p.draft == Some(true) {
            "draft".into()
        } else {
            p.state.clone()
        };
        let files = p
            .changed_files
            .map(|n| format!(" · {n} files changed"))
            .unwrap_or_default();
        lines.push(Line::from(vec![
            label("PR"),
            Span::raw(format!("#{} {state}{files}", p.number)),
        ]));
        lines.push(Line::from(vec![label(""), Span::raw(p.html_url.clone())]));
        if !pr.waiting_runs.is_empty() {
            lines.push(Line::from(vec![
                label("Checks"),
                Span::styled(
                    format!(
                        "awaiting approval: {} workflow run(s) wait for a maintainer (A approves)",
                        pr.waiting_runs.len()
                    ),
                    Style::default().fg(Color::Yellow),
                ),
            ]));
        } else if pr.checks.is_empty() {
            lines.push(Line::from(vec![
                label("Checks"),
                Span::styled("none reported yet", Style::default().fg(Color::DarkGray)),
            ]));
        }
        for c in &pr.checks {
            let progress = Progress::of(&c.status, c.conclusion.as_ref());
            let color = match progress {
                Progress::Passed => Color::Green,
                Progress::Failed => Color::Red,
                Progress::Running => Color::Yellow,
                Progress::Waiting => Color::DarkGray,
            };
            let mark = progress.mark();
            let state = match &c.conclusion {
                Some(conclusion) => conclusion.to_string(),
                None => c.status.as_str().replace('_', " "),
            };
            lines.push(Line::from(vec![
                label(""),
                Span::styled(format!("{mark} {} ", c.name), Style::default().fg(color)),
                Span::styled(state, Style::default().fg(Color::DarkGray)),
            ]));
        }
        if let Some(p) = &row.prepared
            && p.policy.policy.security.require_code_review
        {
            lines.push(Line::from(Span::styled(
                "  Only a person merges: review required.",
                Style::default().fg(Color::DarkGray),
            )));
        }
    } else if h.copilot.is_some() {
        lines.push(Line::from(vec![
            label("PR"),
            Span::styled(
                "waiting for Copilot to open it…",
                Style::default().fg(Color::DarkGray),
            ),
        ]));
    }
    if let Some(e) = &h.pr_error {
        lines.push(Line::from(Span::styled(
            format!("  PR status: {e}"),
            Style::default().fg(Color::Red),
        )));
    }
    if let Some(result) = &h.result {
        lines.push(Line::from(vec![label("Last"), Span::raw(result.clone())]));
    }
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false }),
        area,
    );
}
