//! Where lines begin and end. A line ends at `\n`, `\r\n` or a lone `\r` (a progress bar's
//! redraw): the same rule everywhere, so that every part of the analysis and the console
//! numbers a log's lines alike.

/// Offset of the first line break in `s` (the `\r` of a `\r\n`).
pub fn find_break(s: &[u8]) -> Option<usize> {
    memchr::memchr2(b'\n', b'\r', s)
}

/// Where the line after the break at `end` starts.
pub fn next_line_start(buf: &[u8], end: usize) -> usize {
    match buf.get(end) {
        Some(b'\r') if buf.get(end + 1) == Some(&b'\n') => end + 2,
        Some(b'\r' | b'\n') => end + 1,
        _ => end,
    }
}

/// Start of the line containing offset `at` (not before `floor`).
pub fn line_start_before(buf: &[u8], at: usize, floor: usize) -> usize {
    match memchr::memrchr2(b'\n', b'\r', &buf[floor..at]) {
        Some(p) => floor + p + 1,
        None => floor,
    }
}

/// Start of the line that contains offset `at` (a break belongs to the line it ends).
pub fn last_line_start(buf: &[u8], at: usize) -> usize {
    let at = at.min(buf.len());
    // The `\n` of a `\r\n` belongs to the same line as its `\r`.
    let limit = if at > 0 && at < buf.len() && buf[at] == b'\n' && buf[at - 1] == b'\r' {
        at - 1
    } else {
        at
    };
    memchr::memrchr2(b'\n', b'\r', &buf[..limit]).map_or(0, |q| q + 1)
}

/// End of the line's content (before its break) for a line starting at `start` and whose
/// successor starts at `next`.
pub fn line_content_end(buf: &[u8], start: usize, next: usize) -> usize {
    find_break(&buf[start..next]).map_or(next, |p| start + p)
}

/// Number of line breaks in `s` (`\r\n` counts once); plus one for a final unterminated
/// line when `final_part`.
pub fn count_lines(s: &[u8], final_part: bool) -> usize {
    let mut n = 0;
    let mut iter = memchr::memchr2_iter(b'\n', b'\r', s).peekable();
    while let Some(p) = iter.next() {
        if s[p] == b'\r' && s.get(p + 1) == Some(&b'\n') {
            iter.next();
        }
        n += 1;
    }
    if final_part && !s.is_empty() && !matches!(s[s.len() - 1], b'\n' | b'\r') {
        n += 1;
    }
    n
}

/// The lines of an in-memory log, split the same way the scanner counts them.
pub fn split_lines(bytes: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut pos = 0;
    std::iter::from_fn(move || {
        if pos >= bytes.len() {
            return None;
        }
        let start = pos;
        let end = find_break(&bytes[start..]).map_or(bytes.len(), |p| start + p);
        pos = next_line_start(bytes, end);
        if pos == end {
            pos = bytes.len();
        }
        Some(&bytes[start..end])
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_split_on_lf_crlf_and_lone_cr() {
        let lines: Vec<&[u8]> = split_lines(b"a\nb\r\nc\rd").collect();
        assert_eq!(lines, vec![&b"a"[..], b"b", b"c", b"d"]);
        assert_eq!(count_lines(b"a\nb\r\nc\rd", true), 4);
        assert_eq!(count_lines(b"a\nb\n", true), 2);
    }

    #[test]
    fn line_starts_are_found_backwards() {
        let buf = b"one\r\ntwo\nthree";
        assert_eq!(last_line_start(buf, buf.len()), 9);
        assert_eq!(last_line_start(buf, 8), 5);
        assert_eq!(last_line_start(buf, 4), 0);
        assert_eq!(last_line_start(buf, 3), 0);
    }
}
