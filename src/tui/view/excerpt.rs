//! The failure excerpt of the selected run, syntax-highlighted, with matched pattern spans
//! emphasised on top of the syntax colours. Only the lines on screen are highlighted.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::pane_block;
use crate::text::redact;
use crate::tui::app::{App, Pane, Row};
use crate::tui::highlight::Highlighter;

/// One line to show: the gutter, the text, and the byte range to emphasise.
enum Item {
    Header(String),
    Gap,
    Text {
        line: usize,
        key: u64,
        text: String,
        emphasis: Option<(usize, usize)>,
        repeated: Option<usize>,
        anchor: bool,
    },
}

fn key_of(run: u64, job: u64, line: usize) -> u64 {
    run.wrapping_mul(0x9E37_79B9_7F4A_7C15)
        ^ job.rotate_left(17)
        ^ (line as u64).wrapping_mul(0x0100_0000_01b3)
}

/// Applies `style` on top of a byte range of the line's text.
pub fn emphasize(line: Line<'static>, range: (usize, usize), style: Style) -> Line<'static> {
    let mut out: Vec<Span<'static>> = Vec::with_capacity(line.spans.len() + 2);
    let mut pos = 0usize;
    for span in line.spans {
        let text = span.content.into_owned();
        let (start, end) = (pos, pos + text.len());
        pos = end;
        let a = range.0.clamp(start, end) - start;
        let b = range.1.clamp(start, end) - start;
        if a >= b || !text.is_char_boundary(a) || !text.is_char_boundary(b) {
            out.push(Span::styled(text, span.style));
            continue;
        }
        if a > 0 {
            out.push(Span::styled(text[..a].to_string(), span.style));
        }
        out.push(Span::styled(
            text[a..b].to_string(),
            span.style.patch(style),
        ));
        if b < text.len() {
            out.push(Span::styled(text[b..].to_string(), span.style));
        }
    }
    Line::from(out)
}

pub fn draw(
    app: &App,
    selected: Option<&Row>,
    frame: &mut Frame,
    area: Rect,
    hl: &mut Highlighter,
) {
    let block = pane_block("Failure excerpt", Pane::Excerpt, app);
    let Some(row) = selected else {
        frame.render_widget(Paragraph::new("").block(block), area);
        return;
    };
    let Some(prepared) = &row.prepared else {
        let text = row
            .explain_error
            .clone()
            .unwrap_or_else(|| "Reading the log…".into());
        frame.render_widget(Paragraph::new(text).block(block), area);
        return;
    };
    let secrets: Vec<&str> = app.secrets.iter().map(String::as_str).collect();
    let mut items = Vec::new();
    for j in &prepared.run.jobs {
        let step = j.analysis.failed_step.as_deref().unwrap_or("?");
        items.push(Item::Header(format!(
            "{} › {step}  ({} lines)",
            j.job.name, j.analysis.total_lines
        )));
        let mut last = 0usize;
        for l in &j.analysis.excerpt {
            if last != 0 && l.line > last + 1 {
                items.push(Item::Gap);
            }
            let emphasis = j
                .analysis
                .matches
                .iter()
                .find(|m| m.line == l.line)
                .map(|m| m.span);
            let text = redact::redact(&l.text, &secrets);
            // Masking moves bytes: emphasis only where the text is unchanged.
            let emphasis = emphasis.filter(|_| text.len() == l.text.len());
            items.push(Item::Text {
                line: l.line,
                key: key_of(row.key.run_id, j.job.id, l.line),
                text: text.into_owned(),
                emphasis,
                repeated: l.repeated,
                anchor: l.anchor,
            });
            last = l.line + l.repeated.unwrap_or(1) - 1;
        }
        if j.analysis.excerpt.is_empty() {
            items.push(Item::Header(
                "  (no line of this log looks like a failure)".into(),
            ));
        }
    }
    let inner_height = area.height.saturating_sub(2) as usize;
    // The pane opens a few lines above the first anchor; the user scrolls from there.
    let first_anchor = items
        .iter()
        .position(|i| matches!(i, Item::Text { anchor: true, .. }))
        .unwrap_or(0);
    let base = first_anchor.saturating_sub(3) as i64;
    let start = (base + i64::from(app.excerpt_offset))
        .clamp(0, items.len().saturating_sub(1) as i64) as usize;
    let gutter = Style::default().fg(Color::DarkGray);
    let lines: Vec<Line> = items
        .iter()
        .skip(start)
        .take(inner_height)
        .map(|item| match item {
            Item::Header(h) => Line::from(Span::styled(
                h.clone(),
                Style::default().fg(Color::Red).add_modifier(Modifier::BOLD),
            )),
            Item::Gap => Line::from(Span::styled("      ┆", gutter)),
            Item::Text {
                line,
                key,
                text,
                emphasis,
                repeated,
                ..
            } => {
                let mut body = hl.line(*key, text);
                if let Some(range) = emphasis {
                    body = emphasize(
                        body,
                        *range,
                        Style::default()
                            .add_modifier(Modifier::BOLD | Modifier::UNDERLINED)
                            .fg(Color::LightRed),
                    );
                }
                let mut spans = vec![Span::styled(format!("{line:>6} │ "), gutter)];
                spans.extend(body.spans);
                if let Some(n) = repeated {
                    spans.push(Span::styled(format!("  ×{n}"), gutter));
                }
                Line::from(spans)
            }
        })
        .collect();
    frame.render_widget(Paragraph::new(lines).block(block), area);
}
