//! Many regexes matched against one line, through the literals each requires: a
//! `RegexSet` that costs almost nothing to build and nothing for the patterns a log never
//! needs.
//!
//! Building one `RegexSet` of the whole catalog costs ~20 ms in every process, and compiling
//! each pattern for its capture ~30 ms more, before the first byte of a log is read. Here each
//! pattern contributes the literals it requires ([`super::literals`]) to one Aho-Corasick
//! automaton (built in about a millisecond); a line is searched for those literals, and only
//! the patterns whose literals it holds are compiled (once, on first use) and run. The few
//! patterns without a useful literal run on every line given.

use std::sync::OnceLock;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};
use regex::bytes::{RegexSet as BytesRegexSet, RegexSetBuilder as BytesRegexSetBuilder};
use regex::{Regex, RegexBuilder, RegexSet, RegexSetBuilder};

use super::byte_patterns::asciify;
use super::literals;

pub use super::literals::MIN_LITERAL;
/// Compiled patterns are bounded, so a pathological one fails clearly.
const SIZE_LIMIT: usize = 8 << 20;

/// One pattern: its source, and its compiled form once something needed it.
#[derive(Debug, Clone)]
struct Entry {
    source: String,
    /// `None` when the pattern does not compile (a built-in one always does: tested).
    regex: OnceLock<Option<Regex>>,
}

/// A set of patterns matched line by line.
#[derive(Debug, Clone)]
pub struct PatternSet {
    entries: Vec<Entry>,
    case_insensitive: bool,
    /// Every required literal of every pattern (lowercased).
    literals: Vec<Vec<u8>>,
    /// The patterns requiring each literal (indices into `entries`).
    owners: Vec<Vec<u32>>,
    /// The literals' automaton, built on first use: the scan passes candidates found by its
    /// own automaton (one for every set), so only other callers need this one.
    /// `None` if it cannot be built: then every pattern is a candidate on every line.
    finder: OnceLock<Option<AhoCorasick>>,
    /// For a large log: all the patterns in one `RegexSet`. It costs ~20 ms to build and
    /// warms up over the first megabytes, then matches a line in one pass, faster than the
    /// literal search and the few regexes it leads to.
    large: OnceLock<Option<LargeSet>>,
    /// Patterns with no useful literal: tried on every line given.
    always: Vec<u32>,
    /// Of those, the ones whose lines a coarser filter must find by a regex of them.
    residual: Vec<u32>,
    /// Some pattern starts with a file location instead of a literal.
    located: bool,
}

/// A pattern's required literals: known already (found by the build script), or to find.
#[derive(Debug, Clone, Copy)]
pub enum Literals {
    Known(Option<&'static [&'static [u8]]>),
    Find,
    /// None, but the pattern starts with a file location (see `shapes::Shape::location`).
    Location,
}

impl PatternSet {
    /// A set of patterns, each with its compiled form when the caller already has it (a
    /// repository's patterns are compiled when the policy is read, to report errors there)
    /// and its literals when they are known. Sources without a compiled form must compile
    /// (built-in patterns, tested).
    pub fn new(
        patterns: impl IntoIterator<Item = (String, Option<Regex>, Literals)>,
        case_insensitive: bool,
    ) -> PatternSet {
        let mut entries = Vec::new();
        let mut literals: Vec<Vec<u8>> = Vec::new();
        let mut owners: Vec<Vec<u32>> = Vec::new();
        let mut index: std::collections::HashMap<Vec<u8>, usize> = Default::default();
        let mut always = Vec::new();
        let mut residual = Vec::new();
        let mut located = false;
        for (i, (source, compiled, known)) in patterns.into_iter().enumerate() {
            let id = i as u32;
            let required = match known {
                Literals::Known(set) => set.map(|set| set.iter().map(|l| l.to_vec()).collect()),
                Literals::Find => literals::required(&source, MIN_LITERAL),
                Literals::Location => {
                    located = true;
                    None
                }
            };
            if required.is_none() && !matches!(known, Literals::Location) {
                residual.push(id);
            }
            match required {
                Some(set) => {
                    for literal in set {
                        let slot = *index.entry(literal.clone()).or_insert_with(|| {
                            literals.push(literal);
                            owners.push(Vec::new());
                            literals.len() - 1
                        });
                        owners[slot].push(id);
                    }
                }
                None => always.push(id),
            }
            let regex = OnceLock::new();
            if let Some(r) = compiled {
                let _ = regex.set(Some(r));
            }
            entries.push(Entry { source, regex });
        }
        PatternSet {
            entries,
            case_insensitive,
            literals,
            owners,
            finder: OnceLock::new(),
            large: OnceLock::new(),
            always,
            residual,
            located,
        }
    }

    /// The log is large: build the large-log set now, its cost is small beside the scan.
    pub fn expect_large(&self) {
        self.large.get_or_init(|| {
            let sources = || self.entries.iter().map(|e| e.source.as_str());
            let unicode = RegexSetBuilder::new(sources())
                .case_insensitive(self.case_insensitive)
                .size_limit(SIZE_LIMIT * 4)
                .dfa_size_limit(SIZE_LIMIT * 4)
                .build()
                .ok()?;
            // Without Unicode's tables the automaton is smaller and warms up sooner; on an
            // ASCII line it matches exactly what the Unicode set matches. A pattern that needs
            // Unicode (`\p{L}`) leaves every line to the Unicode set.
            let ascii = BytesRegexSetBuilder::new(sources().map(asciify))
                .unicode(false)
                .case_insensitive(self.case_insensitive)
                .size_limit(SIZE_LIMIT * 4)
                .dfa_size_limit(SIZE_LIMIT * 4)
                .build()
                .ok();
            Some(LargeSet { unicode, ascii })
        });
    }

    /// Does the large-log set answer for every pattern (so that candidates are not needed)?
    pub fn is_large(&self) -> bool {
        matches!(self.large.get(), Some(Some(_)))
    }

    /// Does some pattern start with a file location instead of a literal?
    pub fn has_located(&self) -> bool {
        self.located
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn source(&self, i: usize) -> &str {
        &self.entries[i].source
    }

    /// Every literal some pattern requires (lowercased), for a coarser filter over raw bytes.
    pub fn literals(&self) -> &[Vec<u8>] {
        &self.literals
    }

    /// The patterns that require literal `i` (of [`PatternSet::literals`]).
    pub fn owners(&self, i: usize) -> &[u32] {
        &self.owners[i]
    }

    /// The sources of the patterns without a useful literal (and without a location).
    pub fn without_literals(&self) -> impl Iterator<Item = &str> {
        self.residual.iter().map(|&i| self.source(i as usize))
    }

    /// Pattern `i`, compiled on first use; `None` (and a logged error) if it does not compile.
    pub fn regex(&self, i: usize) -> Option<&Regex> {
        let entry = &self.entries[i];
        entry
            .regex
            .get_or_init(|| {
                RegexBuilder::new(&entry.source)
                    .case_insensitive(self.case_insensitive)
                    .size_limit(SIZE_LIMIT)
                    .build()
                    .inspect_err(|e| {
                        tracing::error!("pattern {:?} does not compile: {e}", entry.source)
                    })
                    .ok()
            })
            .as_ref()
    }

    /// Does pattern `i` match `text`?
    fn is_match(&self, i: u32, text: &str) -> bool {
        self.regex(i as usize).is_some_and(|r| r.is_match(text))
    }

    /// The patterns that may match `text` (a superset of those that do), ascending, into `out`.
    pub fn candidates(&self, text: &str, out: &mut Vec<u32>) {
        out.clear();
        out.extend_from_slice(&self.always);
        let finder = self
            .finder
            .get_or_init(|| automaton(&self.literals, AhoCorasickKind::ContiguousNFA));
        match finder {
            Some(finder) => {
                for m in finder.find_overlapping_iter(text.as_bytes()) {
                    out.extend_from_slice(&self.owners[m.pattern().as_usize()]);
                }
            }
            None => out.extend(0..self.entries.len() as u32),
        }
        out.sort_unstable();
        out.dedup();
    }

    /// The patterns that match `text`, ascending, into `out`, given `candidates`: the patterns
    /// whose literals some automaton found on the line (ascending; a superset is fine).
    pub fn matches_among(&self, text: &str, candidates: &[u32], out: &mut Vec<u32>) {
        out.clear();
        if let Some(Some(set)) = self.large.get() {
            set.matches(text, out);
            return;
        }
        out.extend_from_slice(&self.always);
        out.extend_from_slice(candidates);
        out.sort_unstable();
        out.dedup();
        out.retain(|&i| self.is_match(i, text));
    }

    /// The patterns that match `text`, ascending, into `out`.
    pub fn matches(&self, text: &str, out: &mut Vec<u32>) {
        if let Some(Some(set)) = self.large.get() {
            set.matches(text, out);
            return;
        }
        self.candidates(text, out);
        out.retain(|&i| self.is_match(i, text));
    }

    /// The first pattern (lowest index) matching `text`.
    pub fn first_match(&self, text: &str, scratch: &mut Vec<u32>) -> Option<usize> {
        if let Some(Some(set)) = self.large.get() {
            set.matches(text, scratch);
            return scratch.first().map(|&i| i as usize);
        }
        self.candidates(text, scratch);
        scratch
            .iter()
            .map(|&i| i as usize)
            .find(|&i| self.is_match(i as u32, text))
    }
}

/// Every pattern of a set at once, for a large log.
#[derive(Debug, Clone)]
struct LargeSet {
    unicode: RegexSet,
    /// The same patterns for ASCII lines (most lines of most logs), when all compile so.
    ascii: Option<BytesRegexSet>,
}

impl LargeSet {
    /// The patterns matching `text`, ascending, into `out`.
    fn matches(&self, text: &str, out: &mut Vec<u32>) {
        out.clear();
        match &self.ascii {
            Some(ascii) if text.is_ascii() => {
                let found = ascii.matches(text.as_bytes());
                if found.matched_any() {
                    out.extend(found.iter().map(|i| i as u32));
                }
            }
            _ => {
                let found = self.unicode.matches(text);
                if found.matched_any() {
                    out.extend(found.iter().map(|i| i as u32));
                }
            }
        }
    }
}

fn automaton(literals: &[Vec<u8>], kind: AhoCorasickKind) -> Option<AhoCorasick> {
    AhoCorasickBuilder::new()
        .ascii_case_insensitive(true)
        .match_kind(MatchKind::Standard)
        .kind(Some(kind))
        .build(literals)
        .inspect_err(|e| tracing::error!("cannot build the literal automaton: {e}"))
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(patterns: &[&str]) -> PatternSet {
        PatternSet::new(
            patterns
                .iter()
                .map(|p| (p.to_string(), None, Literals::Find)),
            true,
        )
    }

    fn matching(set: &PatternSet, text: &str) -> Vec<u32> {
        let mut out = Vec::new();
        set.matches(text, &mut out);
        out
    }

    #[test]
    fn a_line_matches_what_a_regex_set_would_match() {
        let patterns = [
            r"No space left on device",
            r"Tests run: [0-9]+, Failures: [1-9]",
            r"^\s*[0-9]+:[0-9]+\s+error",
            r"(?:^|[^A-Za-z0-9_])AssertionError(?:[^A-Za-z0-9_]|$)",
            r"^E {3,}\S",
        ];
        let s = set(&patterns);
        let reference = regex::RegexSetBuilder::new(patterns)
            .case_insensitive(true)
            .build()
            .unwrap();
        for line in [
            "OSError: [Errno 28] no SPACE left on device",
            "Tests run: 4, Failures: 1, Errors: 0",
            "Tests run: 4, Failures: 0, Errors: 0",
            "  12:5  error  'x' is not defined",
            "E       AssertionError: boom",
            "NotAnAssertionError",
            "",
        ] {
            let expected: Vec<u32> = reference.matches(line).iter().map(|i| i as u32).collect();
            assert_eq!(matching(&s, line), expected, "{line}");
        }
        let mut scratch = Vec::new();
        assert_eq!(
            s.first_match("E       AssertionError: boom", &mut scratch),
            Some(3)
        );
        // A large log's `RegexSet` finds the same.
        s.expect_large();
        for line in [
            "Tests run: 4, Failures: 1, Errors: 0",
            "E       AssertionError: x",
            "ok",
        ] {
            let expected: Vec<u32> = reference.matches(line).iter().map(|i| i as u32).collect();
            assert_eq!(matching(&s, line), expected, "{line}");
        }
    }

    #[test]
    fn only_the_patterns_a_line_needs_are_compiled() {
        let s = set(&["alpha beta", "gamma delta", "^[0-9]+$"]);
        assert_eq!(matching(&s, "ALPHA BETA"), vec![0]);
        assert!(s.entries[0].regex.get().is_some());
        assert!(s.entries[1].regex.get().is_none(), "no line held its words");
        assert_eq!(s.without_literals().collect::<Vec<_>>(), vec!["^[0-9]+$"]);
    }

    #[test]
    fn a_pattern_that_does_not_compile_matches_nothing_and_panics_nowhere() {
        // Over the size limit: `\w` is large in Unicode mode, repeated it is huge.
        let s = set(&["huge \\w{1000}\\w{1000}\\w{1000}", "plain words"]);
        assert!(s.regex(0).is_none());
        assert!(matching(&s, "huge words everywhere").is_empty());
        assert_eq!(matching(&s, "plain words"), vec![1]);
    }

    #[test]
    fn a_precompiled_pattern_is_used_as_given() {
        let exact = Regex::new("Timeout").unwrap();
        let s = PatternSet::new([("timeout".to_string(), Some(exact), Literals::Find)], true);
        // The given regex is case-sensitive: it decides, not the set's default.
        assert!(matching(&s, "timeout").is_empty());
        assert_eq!(matching(&s, "Timeout"), vec![0]);
    }
}
