//! Patterns written for a line's clean text, rewritten for other haystacks: raw log bytes
//! (anchors that allow the runner's prefixes, non-ASCII characters as their UTF-8 bytes) and
//! ASCII-only lines (a byte regex without Unicode tables, which is smaller and faster).
//!
//! Every rewrite accepts at least what the original accepts on the haystack it is meant for,
//! and on an ASCII line exactly what it accepts: the line filter and the pattern sets rely on
//! both.

static NAMED_GROUP: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    regex::Regex::new(r"\(\?P?<[A-Za-z_][A-Za-z0-9_]*>").expect("valid")
});

/// The pattern with its named groups made plain (`(?P<subject>` becomes `(?:`): one combined
/// regex cannot repeat a name, and a filter needs no captures.
pub fn without_group_names(pattern: &str) -> std::borrow::Cow<'_, str> {
    NAMED_GROUP.replace_all(pattern, "(?:")
}

/// Rewrites a pattern for the byte-oriented, ASCII-only filter: non-ASCII characters become
/// their UTF-8 bytes, and classes holding them become alternations. The result accepts at
/// least what the original accepts, which is all a filter needs.
pub fn asciify(pattern: &str) -> String {
    fn bytes_of(c: char) -> String {
        let mut buf = [0u8; 4];
        c.encode_utf8(&mut buf)
            .bytes()
            .map(|b| format!("\\x{b:02X}"))
            .collect()
    }
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = String::with_capacity(pattern.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\\' {
            out.push(c);
            if let Some(&n) = chars.get(i + 1) {
                out.push(n);
            }
            i += 2;
            continue;
        }
        if c == '[' {
            // Find the class's end: a `]` that is not escaped and not its first member.
            let mut j = i + 1;
            if chars.get(j) == Some(&'^') {
                j += 1;
            }
            if chars.get(j) == Some(&']') {
                j += 1;
            }
            while j < chars.len() && chars[j] != ']' {
                j += if chars[j] == '\\' { 2 } else { 1 };
            }
            let class: String = chars[i..=j.min(chars.len() - 1)].iter().collect();
            if class.is_ascii() {
                out.push_str(&class);
            } else {
                let negated = class.starts_with("[^");
                let inner = &class[if negated { 2 } else { 1 }..class.len() - 1];
                let ascii: String = inner.chars().filter(char::is_ascii).collect();
                let wide: Vec<String> = inner
                    .chars()
                    .filter(|c| !c.is_ascii())
                    .map(bytes_of)
                    .collect();
                if negated {
                    // Excluding fewer characters accepts more: fine for a filter.
                    out.push_str(&format!("[^{ascii}\\n]"));
                } else if ascii.is_empty() {
                    out.push_str(&format!("(?:{})", wide.join("|")));
                } else {
                    out.push_str(&format!("(?:[{ascii}]|{})", wide.join("|")));
                }
            }
            i = j + 1;
            continue;
        }
        if c.is_ascii() {
            out.push(c);
        } else {
            out.push_str(&format!("(?:{})", bytes_of(c)));
        }
        i += 1;
    }
    out
}

/// Where a line's text can begin in the raw bytes: at a line start, after a lone `\r`, after
/// a timestamp prefix (`…Z `), a tab (the step column of `gh run view --log`) or a runner
/// marker (`##[error]`, `[command]`).
const TEXT_START: &str = r"(?:^|[\r\t\]]|Z )";
/// Where a line's text can end: before `\n` or the `\r` of a `\r\n` or a lone `\r`.
const TEXT_END: &str = r"(?:$|\r)";

/// A pattern written for a line's clean text, rewritten for the raw bytes: `^` and `$` (outside
/// character classes) become [`TEXT_START`] and [`TEXT_END`]. The result accepts at least what
/// the original accepts, and far fewer lines than a pattern with its anchors dropped.
pub fn relax_anchors(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len());
    let mut chars = pattern.chars().peekable();
    let mut in_class = false;
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                out.push(c);
                if let Some(n) = chars.next() {
                    out.push(n);
                }
            }
            '[' if !in_class => {
                in_class = true;
                out.push(c);
                // A `^` or `]` right after the opening bracket belongs to the class.
                if chars.peek() == Some(&'^') {
                    out.push(chars.next().unwrap_or('^'));
                }
                if chars.peek() == Some(&']') {
                    out.push(chars.next().unwrap_or(']'));
                }
            }
            ']' if in_class => {
                in_class = false;
                out.push(c);
            }
            '^' if !in_class => out.push_str(TEXT_START),
            '$' if !in_class => out.push_str(TEXT_END),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use regex::bytes::RegexBuilder as BytesRegexBuilder;

    #[test]
    fn non_ascii_patterns_become_byte_patterns_that_still_match() {
        for (pattern, line) in [
            ("(?:FAILED|✗)\\s", "  ✗ should add numbers"),
            ("[│|]\\s*CVE", "│ CVE-2024-1"),
            ("[│|]\\s*CVE", "| CVE-2024-1"),
            ("● (?:[^›]+› .+)$", "● Cart › adds"),
        ] {
            let rewritten = asciify(pattern);
            assert!(rewritten.is_ascii(), "{rewritten}");
            let re = BytesRegexBuilder::new(&rewritten)
                .unicode(false)
                .build()
                .unwrap();
            assert!(
                re.is_match(line.as_bytes()),
                "{pattern} -> {rewritten} on {line}"
            );
        }
    }

    #[test]
    fn anchors_fit_raw_lines_and_classes_stay() {
        let (start, end) = (TEXT_START, TEXT_END);
        assert_eq!(
            relax_anchors(r"^FAIL$|^ok [^^$]\$"),
            format!(r"{start}FAIL{end}|{start}ok [^^$]\$")
        );
        assert_eq!(relax_anchors(r"a[]^]b"), r"a[]^]b");
        let filter = BytesRegexBuilder::new(&relax_anchors(r"^--- FAIL: \S+$"))
            .multi_line(true)
            .unicode(false)
            .build()
            .unwrap();
        for raw in [
            &b"--- FAIL: TestA\r\n"[..],
            b"2025-11-20T10:00:00.0000000Z --- FAIL: TestA\n",
            b"progress\r--- FAIL: TestA\rmore",
            b"##[error]--- FAIL: TestA",
        ] {
            assert!(filter.is_match(raw), "{raw:?}");
        }
        assert!(!filter.is_match(b"echo '--- FAIL: TestA'"));
    }
}
