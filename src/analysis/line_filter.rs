//! Which lines of a raw log are worth a look: the first, coarse pass of the scan.
//!
//! Like ripgrep, the scan does not visit every line in its own loop: this filter searches the
//! raw bytes of a large buffer for the literals some pattern, shape or CI marker requires
//! ([`super::literals`]), with one Aho-Corasick automaton, and the lines in between are only
//! counted. The few patterns without a useful literal form a small byte regex searched beside
//! it. What the filter passes is a superset of what the precise checks accept, and far
//! smaller than the log.
//!
//! The precise checks see a line's clean text, not its raw bytes: escapes and control
//! characters removed, tabs turned into spaces. So a literal is searched for in the form the
//! raw bytes must hold (its spaces at either end may have been a tab), and a line holding an
//! escape or a control character is always passed (one may split a word).

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};
use regex::bytes::{Regex as BytesRegex, RegexBuilder as BytesRegexBuilder};

use super::catalog::Catalog;
use super::line::{self, LogFormat};
use super::{evidence, literals, region};

/// Markers of the runner's own lines, looked at whatever their text.
const MARKERS: &[&str] = &[
    "##[group]",
    "##[error]",
    "##[endgroup]",
    "post job cleanup.",
    "cleaning up orphan processes",
];

/// The patterns requiring one literal.
#[derive(Debug, Clone, Default)]
struct Owners {
    patterns: Vec<u32>,
    shapes: Vec<u32>,
}

/// The patterns (of the catalog) and shapes whose literals a line holds.
#[derive(Debug, Default)]
pub struct Candidates {
    pub patterns: Vec<u32>,
    pub shapes: Vec<u32>,
}

/// The coarse pass over raw bytes.
#[derive(Debug, Clone)]
pub struct LineFilter {
    /// The literals searched for, in their raw forms: an automaton cheap to build (a few
    /// milliseconds), for the common log of a few MB. The same automaton, run on a line's
    /// clean text, names the patterns worth running there.
    nfa: AhoCorasick,
    /// For each literal: the catalog patterns and the shapes that require it.
    owners: Vec<Owners>,
    /// The patterns without a useful literal, rewritten for raw bytes.
    residual: Option<BytesRegex>,
    /// Some pattern starts with a file location: lines whose first word holds `:` and a
    /// digit are looked at too.
    locations: bool,
    /// Every pattern's and shape's source, for the large-log filter.
    sources: Vec<String>,
    /// For a large log: one byte regex of every pattern, shape and marker. It costs ~20 ms to
    /// build and warms up over the first megabytes, then runs faster than the literal search
    /// (whose automaton has hundreds of literals) and passes fewer lines.
    large: std::sync::OnceLock<Option<BytesRegex>>,
}

impl LineFilter {
    /// The filter for a catalog, the evidence shapes and the CI's markers.
    pub fn new(catalog: &Catalog) -> Result<LineFilter, String> {
        // Each raw form, with the patterns and shapes whose literals take that form.
        let mut forms: std::collections::HashMap<Vec<u8>, Owners> = Default::default();
        let mut residual: Vec<String> = Vec::new();
        let mut locations = false;
        let mut sources = Vec::new();
        for (which, set) in [catalog.pattern_set(), evidence::pattern_set()]
            .into_iter()
            .enumerate()
        {
            for (i, literal) in set.literals().iter().enumerate() {
                for form in raw_forms(literal) {
                    let owners = forms.entry(form).or_default();
                    let list = if which == 0 {
                        &mut owners.patterns
                    } else {
                        &mut owners.shapes
                    };
                    list.extend_from_slice(set.owners(i));
                }
            }
            residual.extend(set.without_literals().map(String::from));
            locations |= set.has_located();
            sources.extend((0..set.len()).map(|i| set.source(i).to_string()));
        }
        sources.extend(region::FILTER_SOURCES.iter().map(|s| s.to_string()));
        for source in region::FILTER_SOURCES {
            match literals::required(source, 1) {
                Some(set) => {
                    for literal in &set {
                        for form in raw_forms(literal) {
                            forms.entry(form).or_default();
                        }
                    }
                }
                None => residual.push(source.to_string()),
            }
        }
        let mut controls: Vec<Vec<u8>> = MARKERS.iter().map(|m| m.as_bytes().to_vec()).collect();
        // Control characters (C0, DEL, and C1 in UTF-8) vanish from the clean text and may
        // join the pieces of a word: such a line is always looked at. (The scan has taken the
        // colour codes out already; other escapes stay.)
        controls.extend(
            (0u8..0x20)
                .filter(|b| !matches!(b, b'\t' | b'\n' | b'\r'))
                .map(|b| vec![b]),
        );
        controls.push(vec![0x7f]);
        controls.extend((0x80u8..0xa0).map(|b| vec![0xc2, b]));
        for control in controls {
            forms.entry(control).or_default();
        }
        let mut forms: Vec<(Vec<u8>, Owners)> = forms.into_iter().collect();
        forms.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        let (raw, owners): (Vec<Vec<u8>>, Vec<Owners>) = forms.into_iter().unzip();
        let nfa = automaton(&raw, AhoCorasickKind::NoncontiguousNFA)?;
        let residual = if residual.is_empty() {
            None
        } else {
            Some(residual_regex(&residual)?)
        };
        Ok(LineFilter {
            nfa,
            owners,
            residual,
            locations,
            sources,
            large: std::sync::OnceLock::new(),
        })
    }

    /// The catalog patterns and shapes whose literals `text` (a line's clean text) holds,
    /// ascending: the only ones worth running on it (besides those without literals, which
    /// the pattern sets add themselves).
    pub fn candidates(&self, text: &str, out: &mut Candidates) {
        out.patterns.clear();
        out.shapes.clear();
        for m in self.nfa.find_overlapping_iter(text.as_bytes()) {
            let owners = &self.owners[m.pattern().as_usize()];
            out.patterns.extend_from_slice(&owners.patterns);
            out.shapes.extend_from_slice(&owners.shapes);
        }
        for list in [&mut out.patterns, &mut out.shapes] {
            list.sort_unstable();
            list.dedup();
        }
    }

    /// The log is large: build the large-log filter now, its cost is small beside the scan.
    pub fn expect_large(&self) {
        self.large.get_or_init(|| large_filter(&self.sources).ok());
    }

    /// Where in `buf[from..]` the first line worth a look has a byte: a position inside
    /// that line (or on the line break ending it), or `None` when no line is. `format` says
    /// where a line's text starts (after its timestamp, say).
    pub fn find(&self, buf: &[u8], from: usize, format: LogFormat) -> Option<usize> {
        if let Some(Some(large)) = self.large.get() {
            // The match's last byte is on the line (a match may end on its line break).
            return large
                .shortest_match_at(buf, from)
                .map(|end| end.saturating_sub(1).max(from));
        }
        let input = aho_corasick::Input::new(buf).span(from..buf.len());
        let mut found = self.nfa.find(input).map(|m| m.start());
        // The other searches only need to look as far as that line.
        let limit = found.map_or(buf.len(), |p| {
            memchr::memchr2(b'\n', b'\r', &buf[p..]).map_or(buf.len(), |e| p + e)
        });
        if let Some(residual) = &self.residual
            && let Some(end) = residual.shortest_match_at(&buf[..limit], from)
        {
            let at = end.saturating_sub(1).max(from);
            found = Some(found.map_or(at, |f| f.min(at)));
        }
        if self.locations
            && let Some(at) = first_located_line(&buf[..limit], from, format)
        {
            found = Some(found.map_or(at, |f| f.min(at)));
        }
        found
    }

    /// Is anything in `text` (one line, without its prefix) worth a look?
    pub fn is_match(&self, text: &[u8]) -> bool {
        self.find(text, 0, LogFormat::Plain).is_some()
    }
}

/// The start of the first line in `buf[from..]` whose text starts with a word holding `:`
/// and a digit (`src/cart.js:12`, `x.py:3:1:`): the lines a location shape may match.
fn first_located_line(buf: &[u8], from: usize, format: LogFormat) -> Option<usize> {
    let mut start = from;
    while start < buf.len() {
        let end = memchr::memchr2(b'\n', b'\r', &buf[start..]).map_or(buf.len(), |e| start + e);
        if starts_with_location(line::split_prefix(&buf[start..end], format).body) {
            return Some(start);
        }
        start = end + 1;
    }
    None
}

/// Does the first word of a line's text (after a runner marker and spaces) hold `:` followed
/// by a digit? A superset of what `^\s*\S+:[0-9]` accepts on the clean text.
fn starts_with_location(body: &[u8]) -> bool {
    let mut text = body;
    if text.starts_with(b"##[") || text.starts_with(b"[command]") {
        // The runner's marker is not part of the text the shapes see.
        let close = memchr::memchr(b']', text).map_or(0, |p| p + 1);
        text = &text[close..];
    }
    let word_start = text
        .iter()
        .position(|b| !matches!(b, b' ' | b'\t'))
        .unwrap_or(text.len());
    let word = &text[word_start..];
    let word_end = word
        .iter()
        .position(|b| matches!(b, b' ' | b'\t'))
        .unwrap_or(word.len());
    word[..word_end]
        .windows(2)
        .any(|w| w[0] == b':' && w[1].is_ascii_digit())
}

fn automaton(literals: &[Vec<u8>], kind: AhoCorasickKind) -> Result<AhoCorasick, String> {
    AhoCorasickBuilder::new()
        .ascii_case_insensitive(true)
        .match_kind(MatchKind::Standard)
        .kind(Some(kind))
        .build(literals)
        .map_err(|e| format!("cannot build the line filter: {e}"))
}

/// The forms a literal of the clean text takes in the raw bytes. Inside a literal a space is
/// a space (a tab becomes four), except in a run of four or more, which splits the literal
/// (its longest piece is kept). A run of spaces at either end may end (or start) with a tab's
/// four: so `E   ` is searched for as `E   `, `E\t`, `E \t` and `E  \t`.
fn raw_forms(literal: &[u8]) -> Vec<Vec<u8>> {
    let text = String::from_utf8_lossy(literal);
    let piece = text
        .split("    ")
        .max_by_key(|piece| piece.trim_matches(' ').len())
        .unwrap_or_default();
    let core = piece.trim_matches(' ');
    if core.is_empty() {
        return Vec::new();
    }
    let lead = piece.len() - piece.trim_start_matches(' ').len();
    let trail = piece.len() - piece.trim_end_matches(' ').len();
    // `k` spaces before the text: as they are, or a tab then fewer spaces.
    let leads: Vec<String> = std::iter::once(" ".repeat(lead))
        .chain((0..lead).map(|j| format!("\t{}", " ".repeat(j))))
        .collect();
    let trails: Vec<String> = std::iter::once(" ".repeat(trail))
        .chain((0..trail).map(|j| format!("{}\t", " ".repeat(j))))
        .collect();
    let mut forms = Vec::new();
    for l in &leads {
        for t in &trails {
            forms.push(format!("{l}{core}{t}").into_bytes());
        }
    }
    forms.sort_unstable();
    forms.dedup();
    forms
}

/// Every pattern, shape and marker as one regex over raw bytes (see [`LineFilter::large`]).
fn large_filter(sources: &[String]) -> Result<BytesRegex, String> {
    let mut alternatives = vec![
        r"##\[(?:group|error|endgroup)\]".to_string(),
        r"Post job cleanup\.|Cleaning up orphan processes".to_string(),
        // Escapes and control characters vanish from the clean text and may join a word.
        r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]|\xc2[\x80-\x9f]".to_string(),
    ];
    alternatives.extend(sources.iter().cloned());
    residual_regex(&alternatives)
}

/// The patterns without a useful literal, as one regex over raw bytes.
fn residual_regex(sources: &[String]) -> Result<BytesRegex, String> {
    let alternatives: Vec<String> = sources
        .iter()
        .map(|source| {
            // Anchors refer to the line's text without its prefix and line break.
            let s = relax_anchors(source.trim_start_matches("(?i)"));
            // One combined regex cannot repeat a group name; the filter needs no captures.
            let s = NAMED_GROUP.replace_all(&s, "(?:");
            format!("(?:{})", asciify(&s))
        })
        .collect();
    BytesRegexBuilder::new(&alternatives.join("|"))
        .case_insensitive(true)
        .unicode(false)
        .multi_line(true)
        .size_limit(64 << 20)
        .dfa_size_limit(64 << 20)
        .build()
        .map_err(|e| format!("cannot build the line filter: {e}"))
}

static NAMED_GROUP: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    regex::Regex::new(r"\(\?P?<[A-Za-z_][A-Za-z0-9_]*>").expect("valid")
});

/// Rewrites a pattern for the byte-oriented, ASCII-only filter: non-ASCII characters become
/// their UTF-8 bytes, and classes holding them become alternations. The result accepts at
/// least what the original accepts, which is all a filter needs.
fn asciify(pattern: &str) -> String {
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
fn relax_anchors(pattern: &str) -> String {
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

    #[test]
    fn a_literal_is_searched_for_as_raw_bytes_hold_it() {
        let forms = |l: &str| -> Vec<String> {
            raw_forms(l.as_bytes())
                .into_iter()
                .map(|f| String::from_utf8(f).unwrap())
                .collect()
        };
        assert_eq!(forms("exited with"), vec!["exited with"]);
        assert_eq!(
            forms(" failed "),
            vec!["\tfailed\t", "\tfailed ", " failed\t", " failed "]
        );
        assert_eq!(forms("a    long piece"), vec!["long piece"]);
        assert_eq!(forms("$ "), vec!["$\t", "$ "]);
        assert_eq!(forms("E   "), vec!["E\t", "E \t", "E  \t", "E   "]);
    }

    #[test]
    fn every_line_the_precise_checks_accept_passes_the_filter() {
        let catalog = Catalog::builtin().unwrap();
        let literal = LineFilter::new(&catalog).unwrap();
        let large = LineFilter::new(&catalog).unwrap();
        large.expect_large();
        for filter in [literal, large] {
            lines_the_checks_accept_pass(&filter);
        }
    }

    fn lines_the_checks_accept_pass(filter: &LineFilter) {
        for raw in [
            &b"2025-11-20T10:00:00.0000000Z ##[error]Process completed with exit code 1."[..],
            b"npm ERR! code\tE404",
            b"\x1b[31mFA\x1b[0mILED tests/test_a.py::test_b",
            b"FAIL\tgithub.com/shop/cart\t0.01s",
            b"src/app.py:3:1: E302 expected 2 blank lines",
            b"E       assert 1 == 2",
            b"$ make test",
            b"The command \"make\" exited with 2.",
        ] {
            assert!(filter.is_match(raw), "{}", String::from_utf8_lossy(raw));
        }
        assert!(!filter.is_match(b"Downloading serde v1.0.215"));
        // A location at the start of the text, after the runner's timestamp.
        let github = b"2025-11-20T10:00:00.0000000Z src/app.py:3:1: E302 expected\n";
        assert!(filter.find(github, 0, LogFormat::RawGithub).is_some());
        assert_eq!(
            filter.find(
                b"2025-11-20T10:00:00.0000000Z all good\n",
                0,
                LogFormat::RawGithub
            ),
            None
        );
    }
}
