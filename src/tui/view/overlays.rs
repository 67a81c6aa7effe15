//! What covers the panes: the help, the confirmation dialog, the full log, and the notice
//! that the terminal is too small.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Clear, Paragraph, Wrap};

use super::{MIN_HEIGHT, MIN_WIDTH, centred, shown};
use crate::tui::app::{App, Confirm, LogView};
use crate::tui::highlight::Highlighter;

pub fn too_small(frame: &mut Frame, area: Rect) {
    let text = format!(
        "The terminal is {}×{}; autoheal needs at least {MIN_WIDTH}×{MIN_HEIGHT}.\nMake the window larger (q quits).",
        area.width, area.height
    );
    frame.render_widget(
        Paragraph::new(text)
            .wrap(Wrap { trim: true })
            .style(Style::default().fg(Color::Yellow)),
        area,
    );
}

pub fn help(app: &App, frame: &mut Frame, area: Rect) {
    let bindings = app.keymap.help();
    let mut lines = vec![
        Line::from(Span::styled(
            "autoheal: triage failed runs, then heal them with Copilot",
            Style::default().add_modifier(Modifier::BOLD),
        )),
        Line::raw(""),
    ];
    for (keys, help) in &bindings {
        lines.push(Line::from(vec![
            Span::styled(format!("{keys:>16}  "), Style::default().fg(Color::Cyan)),
            Span::raw(*help),
        ]));
    }
    lines.push(Line::raw(""));
    lines.push(Line::from(Span::styled(
        "Every write to GitHub asks first. Keys are rebound in the settings file (keys:).",
        Style::default().fg(Color::DarkGray),
    )));
    lines.push(Line::from(Span::styled(
        "Any key closes this help.",
        Style::default().fg(Color::DarkGray),
    )));
    let rect = centred(area, 76, lines.len() as u16 + 2);
    frame.render_widget(Clear, rect);
    frame.render_widget(
        Paragraph::new(lines).block(
            Block::default()
                .borders(Borders::ALL)
                .border_type(BorderType::Double)
                .title(" Help "),
        ),
        rect,
    );
}

pub fn confirm(frame: &mut Frame, area: Rect, c: &Confirm) {
    let mut lines = vec![Line::from(Span::styled(
        "This will be created on GitHub:",
        Style::default().add_modifier(Modifier::BOLD),
    ))];
    lines.push(Line::raw(""));
    lines.extend(c.lines.iter().map(|l| Line::raw(l.clone())));
    lines.push(Line::raw(""));
    match &c.blocked {
        Some(reason) => {
            lines.push(Line::from(Span::styled(
                format!("Blocked: {reason}"),
                Style::default().fg(Color::Red),
            )));
            lines.push(Line::from(vec![
                Span::raw("Type "),
                Span::styled("heal", Style::default().add_modifier(Modifier::BOLD)),
                Span::raw(" and Enter to override, Esc to cancel: "),
                Span::styled(format!("{}▏", c.typed), Style::default().fg(Color::Yellow)),
            ]));
        }
        None => lines.push(Line::from(vec![
            Span::styled(
                "y",
                Style::default()
                    .fg(Color::Green)
                    .add_modifier(Modifier::BOLD),
            ),
            Span::raw("/Enter create · "),
            Span::styled(
                "n",
                Style::default().fg(Color::Red).add_modifier(Modifier::BOLD),
            ),
            Span::raw("/Esc cancel"),
        ])),
    }
    let rect = centred(area, 90, lines.len() as u16 + 2);
    frame.render_widget(Clear, rect);
    frame.render_widget(
        Paragraph::new(lines).wrap(Wrap { trim: false }).block(
            Block::default()
                .borders(Borders::ALL)
                .border_type(BorderType::Double)
                .border_style(Style::default().fg(if c.blocked.is_some() {
                    Color::Red
                } else {
                    Color::Yellow
                }))
                .title(" Confirm "),
        ),
        rect,
    );
}

fn overlay(frame: &mut Frame, area: Rect, title: &str, lines: Vec<Line<'static>>, width: u16) {
    let rect = centred(area, width, lines.len() as u16 + 2);
    frame.render_widget(Clear, rect);
    frame.render_widget(
        Paragraph::new(lines).wrap(Wrap { trim: false }).block(
            Block::default()
                .borders(Borders::ALL)
                .border_type(BorderType::Double)
                .title(format!(" {title} ")),
        ),
        rect,
    );
}

pub fn stats(frame: &mut Frame, area: Rect, s: Option<&crate::watch::stats::Stats>) {
    let Some(s) = s else {
        overlay(
            frame,
            area,
            "Heal statistics",
            vec![Line::raw("Counting heals on GitHub…")],
            60,
        );
        return;
    };
    let mut lines = vec![
        Line::from(Span::styled(
            format!("Last {} days", s.days),
            Style::default().add_modifier(Modifier::BOLD),
        )),
        Line::raw(format!("  failures seen    {}", s.failures_seen)),
        Line::raw(format!("  heals started    {}", s.heals_started)),
        Line::raw(format!("  PRs opened       {}", s.prs_opened)),
        Line::raw(format!("  merged           {}", s.merged)),
        Line::raw(format!("  healed           {}", s.healed)),
        Line::raw(format!(
            "  success rate     {:.0} %",
            s.success_rate * 100.0
        )),
        Line::raw(format!(
            "  median to merge  {}",
            s.median_hours_to_merge
                .map_or("—".to_string(), |h| format!("{h:.1} h"))
        )),
        Line::raw(""),
        Line::from(Span::styled(
            "  by category          heals  PRs  merged",
            Style::default().fg(Color::Gray),
        )),
    ];
    for (k, c) in &s.by_category {
        lines.push(Line::raw(format!(
            "  {k:<20} {:>5} {:>4} {:>7}",
            c.heals, c.prs, c.merged
        )));
    }
    lines.push(Line::from(Span::styled(
        "  by workflow       failures heals  merged",
        Style::default().fg(Color::Gray),
    )));
    for (k, c) in &s.by_workflow {
        lines.push(Line::raw(format!(
            "  {k:<18} {:>8} {:>5} {:>7}",
            c.failures, c.heals, c.merged
        )));
    }
    lines.push(Line::from(Span::styled(
        "Any key closes.",
        Style::default().fg(Color::DarkGray),
    )));
    overlay(frame, area, "Heal statistics", lines, 60);
}

pub fn cleanup(
    frame: &mut Frame,
    area: Rect,
    plans: Option<&[crate::engine::cleanup::CleanupPlan]>,
) {
    let Some(plans) = plans else {
        overlay(
            frame,
            area,
            "Stale heal branches",
            vec![Line::raw("Looking at heal branches…")],
            80,
        );
        return;
    };
    let mut lines = Vec::new();
    let mut stale = 0;
    for p in plans {
        for b in &p.deleted {
            stale += 1;
            lines.push(Line::from(vec![
                Span::styled("  delete ", Style::default().fg(Color::Red)),
                Span::raw(format!("{}:{}", p.repo, shown(b))),
            ]));
        }
        for k in &p.kept {
            lines.push(Line::from(vec![
                Span::styled("  keep   ", Style::default().fg(Color::Green)),
                Span::raw(format!("{}:{} — {}", p.repo, shown(&k.branch), k.reason)),
            ]));
        }
    }
    if lines.is_empty() {
        lines.push(Line::raw("  No heal branches."));
    }
    lines.push(Line::raw(""));
    lines.push(Line::from(Span::styled(
        if stale > 0 {
            format!("y deletes the {stale} stale branch(es) listed · Esc closes")
        } else {
            "Nothing to delete · Esc closes".to_string()
        },
        Style::default().fg(Color::Yellow),
    )));
    overlay(frame, area, "Stale heal branches", lines, 90);
}

pub fn full_log(frame: &mut Frame, area: Rect, log: &LogView, hl: &mut Highlighter) {
    let block = Block::default()
        .borders(Borders::ALL)
        .border_type(BorderType::Rounded)
        .title(format!(" {} ", log.title))
        .title_bottom(Line::from(if log.searching {
            format!(" /{}▏ ", log.search)
        } else if log.hits.is_empty() {
            " j/k scroll · / search · g/G ends · Esc closes ".to_string()
        } else {
            format!(
                " match {}/{} for \"{}\" · n/N next/previous · Esc closes ",
                log.hit + 1,
                log.hits.len(),
                log.search
            )
        }));
    let Some(lines) = &log.lines else {
        let text = log
            .error
            .clone()
            .unwrap_or_else(|| "Downloading the log…".into());
        frame.render_widget(Paragraph::new(text).block(block), area);
        return;
    };
    let height = area.height.saturating_sub(2) as usize;
    let width = lines.len().to_string().len();
    let gutter = Style::default().fg(Color::DarkGray);
    let needle = log.search.to_lowercase();
    let shown: Vec<Line> = lines
        .iter()
        .enumerate()
        .skip(log.top)
        .take(height)
        .map(|(i, text)| {
            let mut body = hl.line(0xF00D_0000_0000 ^ (log.job_id << 20) ^ i as u64, text);
            if !needle.is_empty()
                && let Some(pos) = text.to_lowercase().find(&needle)
                && text.is_char_boundary(pos)
                && text.is_char_boundary(pos + needle.len())
            {
                body = super::excerpt::emphasize(
                    body,
                    (pos, pos + needle.len()),
                    Style::default().bg(Color::Yellow).fg(Color::Black),
                );
            }
            let mut spans = vec![Span::styled(format!("{:>width$} │ ", i + 1), gutter)];
            spans.extend(body.spans);
            Line::from(spans)
        })
        .collect();
    frame.render_widget(Paragraph::new(shown).block(block), area);
}
