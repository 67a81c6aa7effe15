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

use super::byte_patterns::{asciify, relax_anchors, without_group_names};
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
    /// Every pattern's and shape's source but the failure words alone, for the large-log
    /// filter.
    sources: Vec<String>,
    /// The shapes that are a failure word alone (`shapes::Shape::word_alone`).
    words_alone: Vec<String>,
    /// For a large log: byte regexes of every pattern, shape and marker. They cost ~20 ms to
    /// build and warm up over the first megabytes, then run faster than the literal search
    /// (whose automaton has hundreds of literals) and pass fewer lines.
    large: std::sync::OnceLock<Option<Large>>,
}

/// The large-log filter: the lines that need every pattern, and those a failure word alone
/// may describe, found apart. In a log of near-misses (test names and messages that say
/// "error" without failing) most lines are only the latter, and only one shape is run there.
#[derive(Debug, Clone)]
struct Large {
    strong: BytesRegex,
    words: Option<BytesRegex>,
}

/// Where a scan of one buffer stands: the next line each part of the large-log filter found,
/// kept while it is ahead of the scan, so neither search starts again for the other's lines.
#[derive(Debug, Default)]
pub struct Cursor {
    strong: Option<Option<usize>>,
    words: Option<Option<usize>>,
}

/// A line worth a look: where it has a byte, and whether any pattern may match it (`false`:
/// only a failure word alone can).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Found {
    pub at: usize,
    pub strong: bool,
}

impl LineFilter {
    /// The filter for a catalog, the evidence shapes and the CI's markers.
    pub fn new(catalog: &Catalog) -> Result<LineFilter, String> {
        // Each raw form, with the patterns and shapes whose literals take that form.
        let mut forms: std::collections::HashMap<Vec<u8>, Owners> = Default::default();
        let mut residual: Vec<String> = Vec::new();
        let mut locations = false;
        let mut sources = Vec::new();
        let mut words_alone = Vec::new();
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
            for i in 0..set.len() {
                let source = set.source(i).to_string();
                if which == 1 && evidence::is_word_alone(i) {
                    words_alone.push(source);
                } else {
                    sources.push(source);
                }
            }
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
            words_alone,
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
        self.large.get_or_init(|| {
            let strong = large_filter(&self.sources).ok()?;
            // The words are built-in shapes, tested to compile; should their search fail, the
            // large filter would miss their lines, so the literal filter stays instead.
            let words = if self.words_alone.is_empty() {
                None
            } else {
                Some(residual_regex(&self.words_alone).ok()?)
            };
            Some(Large { strong, words })
        });
    }

    /// The next line worth a look in `buf[from..]`, and whether any pattern may match it;
    /// `cursor` carries what the searches found ahead between calls on one buffer.
    pub fn next_line(
        &self,
        buf: &[u8],
        from: usize,
        format: LogFormat,
        cursor: &mut Cursor,
    ) -> Option<Found> {
        let Some(Some(large)) = self.large.get() else {
            return self
                .find(buf, from, format)
                .map(|at| Found { at, strong: true });
        };
        let ahead = |kept: &mut Option<Option<usize>>, regex: &BytesRegex| -> Option<usize> {
            match *kept {
                Some(found) if found.is_none_or(|at| at >= from) => found,
                _ => *kept.insert(last_byte_of_match(regex, buf, from)),
            }
        };
        let strong = ahead(&mut cursor.strong, &large.strong);
        let words = match &large.words {
            Some(words) => ahead(&mut cursor.words, words),
            None => None,
        };
        match (strong, words) {
            (None, None) => None,
            (Some(at), None) => Some(Found { at, strong: true }),
            (None, Some(at)) => Some(Found { at, strong: false }),
            (Some(s), Some(w)) if s <= w => Some(Found {
                at: s,
                strong: true,
            }),
            (Some(s), Some(w)) => {
                // The word comes first; the strong match may still be on the same line.
                let line_end =
                    memchr::memchr2(b'\n', b'\r', &buf[w..]).map_or(buf.len(), |e| w + e);
                Some(Found {
                    at: w,
                    strong: s <= line_end,
                })
            }
        }
    }

    /// Where in `buf[from..]` the first line worth a look has a byte: a position inside
    /// that line (or on the line break ending it), or `None` when no line is. `format` says
    /// where a line's text starts (after its timestamp, say).
    pub fn find(&self, buf: &[u8], from: usize, format: LogFormat) -> Option<usize> {
        if let Some(Some(large)) = self.large.get() {
            let strong = last_byte_of_match(&large.strong, buf, from);
            let words = large
                .words
                .as_ref()
                .and_then(|words| last_byte_of_match(words, buf, from));
            return match (strong, words) {
                (Some(s), Some(w)) => Some(s.min(w)),
                (s, w) => s.or(w),
            };
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

/// The last byte of the first match in `buf[from..]`: a byte of the line it is on (a match
/// may end on its line break).
fn last_byte_of_match(regex: &BytesRegex, buf: &[u8], from: usize) -> Option<usize> {
    regex
        .shortest_match_at(buf, from)
        .map(|end| end.saturating_sub(1).max(from))
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
            let s = without_group_names(&s);
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

#[cfg(test)]
mod tests {
    use super::*;

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
    fn a_large_log_tells_the_lines_of_a_word_alone_from_the_rest() {
        let catalog = Catalog::builtin().unwrap();
        let filter = LineFilter::new(&catalog).unwrap();
        filter.expect_large();
        let buf = b"Downloading serde v1.0.215\n\
            INFO error budget remaining (0 failed requests)\n\
            npm ERR! code ELIFECYCLE\n\
            all good here\n\
            retry after transient error: No space left on device\n\
            ErrorMapperTest passed\n";
        let mut cursor = Cursor::default();
        let mut pos = 0;
        let mut found = Vec::new();
        while let Some(hit) = filter.next_line(buf, pos, LogFormat::Plain, &mut cursor) {
            let start = buf[..hit.at]
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |p| p + 1);
            let end = memchr::memchr(b'\n', &buf[hit.at..]).map_or(buf.len(), |p| hit.at + p);
            found.push((
                String::from_utf8_lossy(&buf[start..end]).into_owned(),
                hit.strong,
            ));
            pos = end + 1;
            if pos >= buf.len() {
                break;
            }
        }
        let found: Vec<(&str, bool)> = found.iter().map(|(l, s)| (l.as_str(), *s)).collect();
        assert_eq!(
            found,
            vec![
                ("INFO error budget remaining (0 failed requests)", false),
                ("npm ERR! code ELIFECYCLE", true),
                // A word first, a pattern later on the same line: the line is strong.
                ("retry after transient error: No space left on device", true),
            ]
        );
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
