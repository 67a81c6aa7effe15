//! Drawing: `view(&App, &mut Frame, &mut Highlighter)` draws. It never waits, highlights only
//! the lines it shows (the highlighter caches them), and changes nothing in the app but the
//! geometry it records for the mouse ([`super::app::Screen`]), as a ratatui widget's state does.
//!
//! Layout, on a terminal of at least [`MIN_WIDTH`]×[`MIN_HEIGHT`]:
//!
//! ```text
//! ┌ Failed runs ───────────────────────┐┌ Details ─────────────────┐
//! │                                    ││                          │
//! ├ Failure excerpt ───────────────────┤├ Copilot prompt ──────────┤
//! │                                    ││                          │
//! └────────────────────────────────────┘└──────────────────────────┘
//!  status bar
//! ```

mod details;
mod excerpt;
mod overlays;
mod pr;
mod prompt;
mod runs;
mod status;

use ratatui::Frame;
use ratatui::layout::{Constraint, Direction, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::widgets::{Block, BorderType, Borders};

use super::app::{App, Mode, Pane};
use super::highlight::Highlighter;

pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 20;

pub fn view(app: &App, frame: &mut Frame, hl: &mut Highlighter) {
    let area = frame.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        overlays::too_small(frame, area);
        return;
    }
    if let Mode::Log(log) = &app.mode {
        overlays::full_log(frame, area, log, hl);
        return;
    }
    let [main, bar] = Layout::vertical([Constraint::Min(0), Constraint::Length(1)]).areas(area);
    let [left, right] =
        Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(main);
    let [list, excerpt_area] =
        Layout::vertical([Constraint::Percentage(45), Constraint::Percentage(55)]).areas(left);
    let [details_area, pr_area, prompt_area] = Layout::vertical([
        Constraint::Percentage(40),
        Constraint::Percentage(25),
        Constraint::Percentage(35),
    ])
    .areas(right);

    // Filtering every run is the costly part of a frame with many runs: it is done once
    // here, and the panes get the list and the selected row.
    let mut screen = app.screen.get();
    screen.details = details_area;
    screen.excerpt = excerpt_area;
    screen.prompt = prompt_area;
    app.screen.set(screen);
    let listing = app.listing();
    let selected = listing.rows.get(app.selected).map(|&i| &app.rows[i]);
    runs::draw(app, &listing, frame, list);
    details::draw(app, selected, frame, details_area);
    pr::draw(app, selected, frame, pr_area);
    excerpt::draw(app, selected, frame, excerpt_area, hl);
    prompt::draw(app, selected, frame, prompt_area);
    status::draw(app, frame, bar);

    match &app.mode {
        Mode::Help => overlays::help(app, frame, area),
        Mode::Confirm(c) => overlays::confirm(frame, area, c),
        Mode::Stats(s) => overlays::stats(frame, area, s.as_deref()),
        Mode::Cleanup(p) => overlays::cleanup(frame, area, p.as_deref()),
        _ => {}
    }
}

/// Text from GitHub shown as it is read (branch names are refs, kept raw in the model): no
/// escape sequence, control character or bidi override of it reaches the screen.
pub(crate) fn shown(text: &str) -> std::borrow::Cow<'_, str> {
    crate::text::sanitize::clean(text.as_bytes())
}

/// A field label in the details and heal panes, padded so values line up.
pub(crate) fn label(text: &str) -> ratatui::text::Span<'static> {
    ratatui::text::Span::styled(
        format!("{text:<10}"),
        Style::default()
            .fg(Color::Gray)
            .add_modifier(Modifier::BOLD),
    )
}

/// A labelled value, wrapped under its own text: continuation lines start below the value,
/// not at the pane's edge, so the labels stay a column of their own.
pub(crate) fn hanging(
    label: ratatui::text::Span<'static>,
    text: &str,
    style: Style,
    width: u16,
) -> Vec<ratatui::text::Line<'static>> {
    use ratatui::text::{Line, Span};
    let indent = label.width();
    let room = usize::from(width).saturating_sub(indent).max(10);
    wrap_words(text, room)
        .into_iter()
        .enumerate()
        .map(|(i, piece)| {
            let head = if i == 0 {
                label.clone()
            } else {
                Span::raw(" ".repeat(indent))
            };
            Line::from(vec![head, Span::styled(piece, style)])
        })
        .collect()
}

/// `text` in pieces of at most `room` columns, cut at spaces (a word wider than a line is cut
/// where it must be).
fn wrap_words(text: &str, room: usize) -> Vec<String> {
    use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};
    let mut pieces = Vec::new();
    let mut line = String::new();
    let mut used = 0;
    for word in text.split(' ') {
        let w = word.width();
        if used > 0 && used + 1 + w > room {
            pieces.push(std::mem::take(&mut line));
            used = 0;
        }
        if used > 0 {
            line.push(' ');
            used += 1;
        }
        if w <= room {
            line.push_str(word);
            used += w;
            continue;
        }
        for ch in word.chars() {
            let cw = ch.width().unwrap_or(0);
            if used + cw > room {
                pieces.push(std::mem::take(&mut line));
                used = 0;
            }
            line.push(ch);
            used += cw;
        }
    }
    pieces.push(line);
    pieces
}

/// A pane's frame: highlighted when it has the focus.
pub(crate) fn pane_block(title: &str, pane: Pane, app: &App) -> Block<'static> {
    let focused = app.focus == pane && matches!(app.mode, Mode::Normal | Mode::EditPrompt);
    let style = if focused {
        Style::default().fg(Color::Cyan)
    } else {
        Style::default().fg(Color::DarkGray)
    };
    Block::default()
        .borders(Borders::ALL)
        .border_type(if focused {
            BorderType::Thick
        } else {
            BorderType::Rounded
        })
        .border_style(style)
        .title(ratatui::text::Span::styled(
            format!(" {title} "),
            if focused {
                Style::default()
                    .fg(Color::Cyan)
                    .add_modifier(Modifier::BOLD)
            } else {
                Style::default()
            },
        ))
}

/// A rectangle of `w`×`h` centred in `area` (clamped to it).
pub(crate) fn centred(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    let [_, middle, _] = Layout::default()
        .direction(Direction::Vertical)
        .constraints([
            Constraint::Length((area.height - h) / 2),
            Constraint::Length(h),
            Constraint::Min(0),
        ])
        .areas(area);
    let [_, centre, _] = Layout::default()
        .direction(Direction::Horizontal)
        .constraints([
            Constraint::Length((area.width - w) / 2),
            Constraint::Length(w),
            Constraint::Min(0),
        ])
        .areas(middle);
    centre
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_value_wraps_under_itself() {
        let lines = hanging(
            label("Why"),
            "the failure looks transient and a re-run usually passes",
            Style::default(),
            30,
        );
        let text: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
        assert_eq!(
            text,
            [
                "Why       the failure looks",
                "          transient and a",
                "          re-run usually",
                "          passes",
            ]
        );
        assert!(lines.iter().all(|l| l.width() <= 30));
    }

    #[test]
    fn a_word_wider_than_the_line_is_cut_and_wide_characters_count_twice() {
        assert_eq!(wrap_words("abcdefghijkl", 5), ["abcde", "fghij", "kl"]);
        assert_eq!(
            wrap_words("日本語のテキスト", 6),
            ["日本語", "のテキ", "スト"]
        );
        assert_eq!(wrap_words("", 5), [""]);
    }
}
