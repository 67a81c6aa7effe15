//! Making log text safe to show and to match.
//!
//! A log is written by whoever controls the job, including a pull request from a fork. Its
//! bytes must never drive the user's terminal: every escape sequence (OSC 52 clipboard
//! writes, title changes, cursor moves, screen clears, bracketed-paste markers) and every
//! control character is removed here, before text goes anywhere. SGR colour sequences are
//! the one thing worth keeping, as styling data ([`spans`]), never as bytes.

use std::borrow::Cow;

/// Text without escape sequences and control characters (tabs become spaces), for matching,
/// for JSON and for anything shown or sent.
pub fn clean(raw: &[u8]) -> Cow<'_, str> {
    let needs_work = raw.iter().any(|&b| b < 0x20 || b == 0x7f || b >= 0x80);
    if !needs_work {
        // Pure printable ASCII: nothing to do (the common case, and the fast one).
        return Cow::Borrowed(std::str::from_utf8(raw).unwrap_or_default());
    }
    let text = String::from_utf8_lossy(raw);
    let mut out = String::with_capacity(text.len());
    walk(&text, |piece| match piece {
        Piece::Text(t) => push_visible(&mut out, t),
        Piece::Sgr(_) => {}
    });
    Cow::Owned(out)
}

/// A run of text and the SGR parameters in force for it (e.g. `"1;31"`), for display.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StyledSpan {
    pub text: String,
    pub sgr: String,
}

/// The line as styled spans: colours kept as data, everything else removed.
pub fn spans(raw: &[u8]) -> Vec<StyledSpan> {
    let text = String::from_utf8_lossy(raw);
    let mut spans: Vec<StyledSpan> = Vec::new();
    let mut current = String::new();
    walk(&text, |piece| match piece {
        Piece::Text(t) => {
            let mut visible = String::new();
            push_visible(&mut visible, t);
            if visible.is_empty() {
                return;
            }
            match spans.last_mut() {
                Some(last) if last.sgr == current => last.text.push_str(&visible),
                _ => spans.push(StyledSpan {
                    text: visible,
                    sgr: current.clone(),
                }),
            }
        }
        Piece::Sgr(params) => {
            if params.is_empty() || params == "0" {
                current.clear();
            } else if current.is_empty() {
                current = params.to_string();
            } else {
                current = format!("{current};{params}");
            }
        }
    });
    spans
}

enum Piece<'a> {
    Text(&'a str),
    Sgr(&'a str),
}

/// Splits text into visible text and SGR sequences; every other escape sequence is skipped.
fn walk<'a>(text: &'a str, mut emit: impl FnMut(Piece<'a>)) {
    let bytes = text.as_bytes();
    let mut i = 0;
    let mut start = 0;
    while i < bytes.len() {
        let b = bytes[i];
        // ESC, or the 8-bit CSI (U+009B, UTF-8 C2 9B) and OSC (U+009D) introducers.
        let is_c1_introducer =
            b == 0xc2 && matches!(bytes.get(i + 1), Some(0x9b | 0x9d | 0x90 | 0x9e | 0x9f));
        if b != 0x1b && !is_c1_introducer {
            i += 1;
            continue;
        }
        // ESC, or the 8-bit CSI (U+009B, UTF-8 C2 9B) and OSC (U+009D) introducers: the
        // sequence's kind is the byte after.
        let (seq_start, body) = (i, i + 1);
        if start < seq_start {
            emit(Piece::Text(&text[start..seq_start]));
        }
        let kind = bytes.get(body).copied();
        let end = match kind {
            // CSI: ESC [ params intermediates final(0x40..0x7e)
            Some(b'[') | Some(0x9b) => {
                let params_start = body + 1;
                let mut j = params_start;
                while j < bytes.len() && (0x20..0x40).contains(&bytes[j]) {
                    j += 1;
                }
                let end = if j < bytes.len() && (0x40..0x7f).contains(&bytes[j]) {
                    j + 1
                } else {
                    j
                };
                if kind == Some(b'[') && bytes.get(j) == Some(&b'm') {
                    let params = &text[params_start..j];
                    if params
                        .bytes()
                        .all(|c| c.is_ascii_digit() || c == b';' || c == b':')
                    {
                        emit(Piece::Sgr(params));
                    }
                }
                end
            }
            // OSC, DCS, SOS, PM, APC: up to BEL or ST (ESC \), or the end of the line.
            Some(b']' | b'P' | b'X' | b'^' | b'_' | 0x9d | 0x90 | 0x9e | 0x9f) => {
                let mut j = body + 1;
                loop {
                    match bytes.get(j) {
                        None => break j,
                        Some(0x07) => break j + 1,
                        Some(0x1b) if bytes.get(j + 1) == Some(&b'\\') => break j + 2,
                        Some(0xc2) if bytes.get(j + 1) == Some(&0x9c) => break j + 2,
                        _ => j += 1,
                    }
                }
            }
            // Two-byte sequences (ESC c, ESC 7, ESC =, ...) and charset selections (ESC ( B).
            Some(b'(' | b')' | b'*' | b'+' | b'#' | b'%') => (body + 2).min(bytes.len()),
            Some(c) if c < 0x80 => body + 1,
            _ => body,
        };
        // Never split a UTF-8 character: move to the next boundary.
        let mut end = end.min(bytes.len());
        while end < bytes.len() && !text.is_char_boundary(end) {
            end += 1;
        }
        i = end;
        start = end;
    }
    if start < bytes.len() {
        emit(Piece::Text(&text[start..]));
    }
}

/// Appends text minus control characters; a tab becomes spaces to the next multiple of 4 is
/// overkill for logs, so one tab is four spaces.
fn push_visible(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '\t' => out.push_str("    "),
            c if c.is_control() => {}
            // Bidirectional overrides can reorder what a reader sees ("Trojan Source"):
            // shown as visible markers rather than obeyed.
            '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_ascii_is_borrowed() {
        assert!(matches!(
            clean(b"hello world"),
            Cow::Borrowed("hello world")
        ));
    }

    #[test]
    fn colours_are_removed_for_matching_and_kept_as_spans() {
        let raw = b"\x1b[1;31mERROR\x1b[0m: build failed";
        assert_eq!(clean(raw), "ERROR: build failed");
        let s = spans(raw);
        assert_eq!(
            s,
            vec![
                StyledSpan {
                    text: "ERROR".into(),
                    sgr: "1;31".into()
                },
                StyledSpan {
                    text: ": build failed".into(),
                    sgr: "".into()
                },
            ]
        );
    }

    #[test]
    fn terminal_control_sequences_never_survive() {
        let hostile: &[&[u8]] = &[
            b"\x1b]52;c;ZWNobyBoYWNrZWQ=\x07copied", // OSC 52 clipboard write
            b"\x1b]0;pwned title\x1b\\title",        // window title
            b"\x1b[2J\x1b[Hclear",                   // clear screen, home
            b"\x1b[10;10Hmove",                      // cursor position
            b"\x1b[200~paste\x1b[201~",              // bracketed paste markers
            b"\xc2\x9b31mc1 csi",                    // 8-bit CSI
            b"\x1b]8;;http://evil\x1b\\link\x1b]8;;\x1b\\", // hyperlink
            b"bell\x07 back\x08space \x00nul",
            b"\x1bPdcs payload\x1b\\dcs",
            b"\x1b[?1049h\x1b[?25lalt screen",
        ];
        for raw in hostile {
            let c = clean(raw);
            assert!(
                !c.chars().any(|ch| ch.is_control()),
                "{raw:?} left a control character: {c:?}"
            );
            assert!(
                !c.contains("pwned") && !c.contains("ZWNobyBoYWNrZWQ"),
                "{c:?}"
            );
            for span in spans(raw) {
                assert!(!span.text.chars().any(|ch| ch.is_control()), "{span:?}");
            }
        }
    }

    #[test]
    fn invalid_utf8_becomes_replacement_characters() {
        assert_eq!(clean(b"bad \xff byte"), "bad \u{fffd} byte");
    }

    #[test]
    fn wide_and_rtl_text_is_kept() {
        assert_eq!(
            clean("错误: 失败 🚨 שגיאה".as_bytes()),
            "错误: 失败 🚨 שגיאה"
        );
        assert_eq!(clean("a\u{202e}b".as_bytes()), "a\u{fffd}b");
    }

    #[test]
    fn an_unterminated_escape_at_the_end_is_dropped() {
        assert_eq!(clean(b"text\x1b["), "text");
        assert_eq!(clean(b"text\x1b]52;c;abc"), "text");
    }
}
