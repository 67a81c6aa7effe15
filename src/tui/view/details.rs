//! The selected run's details: jobs and steps, matched patterns, verdict, heal state, PR.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::{hanging, label, pane_block, shown};
use crate::forge::Status;
use crate::text::redact;
use crate::tui::app::{App, Pane, Row};

pub fn draw(app: &App, selected: Option<&Row>, frame: &mut Frame, area: Rect) {
    let block = pane_block("Details", Pane::Details, app);
    let Some(row) = selected else {
        frame.render_widget(Paragraph::new("Select a run.").block(block), area);
        return;
    };
    let secrets: Vec<&str> = app.secrets.iter().map(String::as_str).collect();
    // Long values wrap under their text, inside the border.
    let width = area.width.saturating_sub(2);
    let r = &row.run;
    let mut lines: Vec<Line> = vec![
        Line::from(vec![
            label("Run"),
            Span::raw(format!(
                "{} · {} #{} · attempt {}",
                row.key.repo,
                r.workflow_name(),
                r.id,
                r.run_attempt.unwrap_or(1)
            )),
            if r.status.as_ref().is_some_and(|s| *s != Status::Completed) {
                Span::styled(
                    " · still running (a job has failed)",
                    Style::default().fg(Color::Yellow),
                )
            } else {
                Span::raw("")
            },
        ]),
        Line::from(vec![
            label("Commit"),
            Span::raw(format!(
                "{} on {} ({})",
                crate::text::humanize::short_sha(&r.head_sha),
                shown(r.branch()),
                r.event
            )),
        ]),
    ];
    if let Some(title) = &r.display_title {
        lines.extend(hanging(
            label("Title"),
            &shown(title),
            Style::default(),
            width,
        ));
    }
    // The other runs of this failure, in one pass over the rows (no list built or sorted).
    if let Some(f) = &row.fingerprint {
        let (mut count, mut first, mut last) = (0usize, r.created_at, r.created_at);
        let mut branches = std::collections::BTreeSet::new();
        let mut repos = std::collections::BTreeSet::new();
        for g in app
            .rows
            .iter()
            .filter(|g| g.fingerprint.as_ref() == Some(f))
        {
            count += 1;
            first = first.min(g.run.created_at);
            last = last.max(g.run.created_at);
            branches.insert(g.run.branch());
            repos.insert(&g.key.repo);
        }
        if count > 1 {
            let branches: Vec<String> = branches
                .into_iter()
                .map(|b| shown(b).into_owned())
                .collect();
            let mut repos: Vec<String> = repos.iter().map(|r| r.to_string()).collect();
            repos.sort_unstable();
            let now = chrono::Utc::now();
            let first = crate::text::humanize::age(first, now);
            let last = crate::text::humanize::age(last, now);
            lines.extend(hanging(
                label("Seen"),
                &format!(
                    "{count} times (first {first} ago, last {last} ago) on {} in {}",
                    branches.join(", "),
                    repos.join(", ")
                ),
                Style::default().fg(Color::Yellow),
                width,
            ));
        }
    }
    match (&row.prepared, &row.explain_error) {
        (Some(p), _) => {
            let v = &p.run.verdict;
            let safety = if v.safe_to_heal {
                Span::styled("safe to heal", Style::default().fg(Color::Green))
            } else {
                Span::styled("not safe to heal", Style::default().fg(Color::Magenta))
            };
            lines.push(Line::from(vec![
                label("Verdict"),
                Span::raw(format!("{} · ", v.category)),
                safety,
                Span::raw(format!(" · {}", v.recommendation.as_str())),
            ]));
            lines.extend(hanging(
                label("Why"),
                &redact::redact(&v.recommendation_reason, &secrets),
                Style::default(),
                width,
            ));
            if let Some(b) = &v.blocked_reason {
                lines.extend(hanging(
                    label("Blocked"),
                    b,
                    Style::default().fg(Color::Red),
                    width,
                ));
            }
            if let Some(why) = &p.run.why {
                let suspected = !why.suspects().is_empty();
                lines.extend(hanging(
                    label("Changes"),
                    &redact::redact(&why.changes_line(), &secrets),
                    if suspected {
                        Style::default().fg(Color::Yellow)
                    } else {
                        Style::default()
                    },
                    width,
                ));
                if let Some(h) = &why.history {
                    let (text, style) = if h.flaky {
                        (
                            format!("flaky: {}", h.summary()),
                            Style::default().fg(Color::Cyan),
                        )
                    } else {
                        (h.summary(), Style::default())
                    };
                    lines.extend(hanging(label("History"), &text, style, width));
                }
            }
            for j in &p.run.jobs {
                let step = j.analysis.failed_step.as_deref().unwrap_or("?");
                lines.push(Line::from(vec![
                    label("Failed"),
                    Span::styled(
                        format!("{} › {step}", j.job.name),
                        Style::default().fg(Color::Red),
                    ),
                ]));
                for m in j.analysis.matches.iter().take(4) {
                    lines.push(Line::from(vec![
                        Span::raw("  "),
                        Span::styled(
                            format!("{} ", m.pattern),
                            Style::default().fg(Color::Yellow),
                        ),
                        Span::styled(
                            format!("[{}] line {}", m.category, m.line),
                            Style::default().fg(Color::DarkGray),
                        ),
                    ]));
                    lines.extend(hanging(
                        Span::raw("    → "),
                        &redact::redact(&m.suggestion, &secrets),
                        Style::default(),
                        width,
                    ));
                }
                if let Some(e) = &j.log_error {
                    lines.push(Line::from(Span::styled(
                        format!("  log unavailable: {e}"),
                        Style::default().fg(Color::Red),
                    )));
                }
            }
        }
        (None, Some(e)) => lines.extend(hanging(
            label("Error"),
            e,
            Style::default().fg(Color::Red),
            width,
        )),
        (None, None) => lines.push(Line::from(Span::styled(
            "Analysing the failed jobs' logs…",
            Style::default().fg(Color::DarkGray),
        ))),
    }
    lines.push(Line::from(vec![
        label("Link"),
        Span::styled(r.html_url.clone(), Style::default().fg(Color::Blue)),
    ]));
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false })
            .scroll((app.details_scroll, 0)),
        area,
    );
}
