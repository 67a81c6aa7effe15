//! What every match of a regex must contain: the literal strings a line needs before the regex
//! can match it at all.
//!
//! Compiling hundreds of regexes into one automaton costs tens of milliseconds per process, and
//! the lazy DFA of such an automaton spends most of a real log's scan building states. Nearly
//! every failure shape leads with words (`Could not resolve dependencies`, `--- FAIL:`,
//! `error[E`), so a line that holds none of a pattern's required words cannot match it: an
//! Aho-Corasick search for those words finds the few lines worth a regex, and only the regexes
//! whose words are on the line run there (the way Hyperscan and ripgrep's inner-literal
//! optimisation decompose a pattern).
//!
//! The extraction is conservative: when it cannot prove a requirement it says so (`None`), and
//! the caller keeps that pattern on the slow path. Literals are ASCII-lowercased, for a search
//! that ignores ASCII case; like the old byte filter, Unicode-only case pairs (the Kelvin sign
//! for `k`) are not followed.

use regex_syntax::hir::{Class, Hir, HirKind};

/// Shortest literal worth a search: shorter ones are on nearly every line.
pub const MIN_LITERAL: usize = 3;
/// Most strings an exact set may grow to before it is cut (cross products grow fast).
const MAX_EXACT: usize = 64;
/// Most characters a class may hold to count as a set of literals.
const MAX_CLASS: usize = 10;
/// Most copies of a repeated piece unrolled.
const MAX_UNROLL: u32 = 8;
/// A literal this rare ([`rarity`]) is rare enough: rarer ones are not worth more strings to
/// search for.
const RARE_ENOUGH: usize = 12;

/// What a piece of a regex says about the text it matches.
#[derive(Debug, Clone, PartialEq)]
enum Lits {
    /// It matches exactly one of these strings.
    Exact(Vec<Vec<u8>>),
    /// Every match contains one of these strings.
    Contains(Vec<Vec<u8>>),
    /// Nothing is known.
    Unknown,
}

/// The literals at least one of which every match of `pattern` contains, lowercased (ASCII),
/// or `None` when no such set of useful literals (each at least `min_len` bytes) exists. A
/// leading `(?i)` is allowed; the pattern must parse (callers compile it too).
pub fn required(pattern: &str, min_len: usize) -> Option<Vec<Vec<u8>>> {
    let hir = regex_syntax::ParserBuilder::new()
        .case_insensitive(false)
        .build()
        .parse(pattern.strip_prefix("(?i)").unwrap_or(pattern))
        .ok()?;
    let set = match lits(&hir) {
        Lits::Exact(set) | Lits::Contains(set) => set,
        Lits::Unknown => return None,
    };
    (!set.is_empty() && set.iter().all(|l| useful(l, min_len))).then_some(set)
}

/// Long enough to be worth a search: `min_len` bytes, or one non-ASCII character (`×`, `✗`:
/// two or three bytes that seldom occur in a log).
fn useful(literal: &[u8], min_len: usize) -> bool {
    literal.len() >= min_len || (literal.len() >= 2 && !literal.is_ascii())
}

fn lits(hir: &Hir) -> Lits {
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => Lits::Exact(vec![Vec::new()]),
        HirKind::Literal(lit) => Lits::Exact(vec![lit.0.to_ascii_lowercase()]),
        HirKind::Class(class) => class_lits(class),
        HirKind::Capture(capture) => lits(&capture.sub),
        HirKind::Repetition(rep) => match (rep.min, rep.max, lits(&rep.sub)) {
            // `x?` is `x` or nothing.
            (0, Some(1), Lits::Exact(mut set)) if set.len() < MAX_EXACT => {
                set.push(Vec::new());
                Lits::Exact(dedup(set))
            }
            (0, _, _) => Lits::Unknown,
            (1, Some(1), inner) => inner,
            (_, _, Lits::Exact(set) | Lits::Contains(set)) => Lits::Contains(set),
            (_, _, Lits::Unknown) => Lits::Unknown,
        },
        HirKind::Alternation(branches) => {
            let mut exact = true;
            let mut union = Vec::new();
            for branch in branches {
                match lits(branch) {
                    Lits::Exact(set) => union.extend(set),
                    Lits::Contains(set) => {
                        exact = false;
                        union.extend(set);
                    }
                    Lits::Unknown => return Lits::Unknown,
                }
            }
            let union = dedup(union);
            if exact && union.len() <= MAX_EXACT {
                Lits::Exact(union)
            } else {
                Lits::Contains(union)
            }
        }
        HirKind::Concat(parts) => {
            let mut pieces = Vec::with_capacity(parts.len());
            for part in parts {
                unroll(part, &mut pieces);
            }
            concat(pieces)
        }
    }
}

/// A piece of a concatenation, with a repetition unrolled into its required copies (`_{3,}`
/// is `___` and then anything, `[0-9]{2}` two digits), so they multiply with their neighbours.
fn unroll(part: &Hir, pieces: &mut Vec<Lits>) {
    if let HirKind::Repetition(rep) = part.kind()
        && (1..=MAX_UNROLL).contains(&rep.min)
    {
        let copy = lits(&rep.sub);
        let open = rep.max != Some(rep.min);
        // `x{n,}` is both `x{n}x*` and `x*x{n}`: the copies go beside the neighbour they can
        // join, the one before when it is a literal, else the one after.
        let joins_before = matches!(pieces.last(), Some(Lits::Exact(set)) if min_len(set) > 0);
        if open && !joins_before {
            pieces.push(Lits::Unknown);
        }
        for _ in 0..rep.min {
            pieces.push(copy.clone());
        }
        if open && joins_before {
            pieces.push(Lits::Unknown);
        }
        return;
    }
    pieces.push(lits(part));
}

/// A concatenation: adjacent exact pieces multiply into longer literals; the best run or
/// requirement found is what the whole requires.
fn concat(parts: Vec<Lits>) -> Lits {
    let mut run: Vec<Vec<u8>> = vec![Vec::new()];
    let mut all_exact = true;
    let mut best: Option<Vec<Vec<u8>>> = None;
    let consider = |set: Vec<Vec<u8>>, best: &mut Option<Vec<Vec<u8>>>| {
        if best.as_ref().is_none_or(|b| better(&set, b)) {
            *best = Some(set);
        }
    };
    for part in parts {
        match part {
            // Multiply while the product stays small and the run is still too common: `.py:`
            // × ten digits is worth it (every pytest line holds `.py::`), `connect to ` × 40
            // addresses is not.
            Lits::Exact(set)
                if run.len() * set.len() <= MAX_EXACT
                    && (set.len() == 1 || min_rarity(&run) < RARE_ENOUGH) =>
            {
                run = run
                    .iter()
                    .flat_map(|a| {
                        set.iter().map(move |b| {
                            let mut s = a.clone();
                            s.extend_from_slice(b);
                            s
                        })
                    })
                    .collect();
                run = dedup(run);
            }
            Lits::Exact(set) => {
                all_exact = false;
                consider(std::mem::replace(&mut run, set), &mut best);
            }
            Lits::Contains(set) => {
                all_exact = false;
                consider(std::mem::replace(&mut run, vec![Vec::new()]), &mut best);
                consider(set, &mut best);
            }
            Lits::Unknown => {
                all_exact = false;
                consider(std::mem::replace(&mut run, vec![Vec::new()]), &mut best);
            }
        }
    }
    if all_exact {
        return Lits::Exact(run);
    }
    consider(run, &mut best);
    match best {
        Some(set) if min_len(&set) > 0 => Lits::Contains(set),
        _ => Lits::Unknown,
    }
}

/// Is `a` a better requirement than `b`? Its most common literal is rarer, up to
/// [`RARE_ENOUGH`]; past that, fewer literals are better.
fn better(a: &[Vec<u8>], b: &[Vec<u8>]) -> bool {
    let key = |set: &[Vec<u8>]| {
        let rarity = min_rarity(set);
        (
            rarity.min(RARE_ENOUGH),
            std::cmp::Reverse(set.len()),
            rarity,
        )
    };
    key(a) > key(b)
}

/// How rare a literal is in logs, roughly: each byte counts by how seldom such bytes occur in
/// logs. The letters of common English words, spaces, and the punctuation of paths, versions
/// and times (`./-_:`) count least; brackets, quotes and operators most. So `> task ` is
/// rarer than `test`, and `error ` than `.py` (every pytest line names a `.py` file).
pub fn rarity(literal: &[u8]) -> usize {
    literal
        .iter()
        .map(|&b| match b.to_ascii_lowercase() {
            b' ' | b'e' | b't' | b'a' | b'o' | b'i' | b'n' | b's' | b'r' | b'h' | b'l' | b'd'
            | b'c' | b'u' | b'.' | b'/' | b'-' | b'_' | b':' => 1,
            b'a'..=b'z' | b'0'..=b'9' => 2,
            _ => 3,
        })
        .sum()
}

fn min_rarity(set: &[Vec<u8>]) -> usize {
    set.iter().map(|l| rarity(l)).min().unwrap_or(0)
}

fn min_len(set: &[Vec<u8>]) -> usize {
    set.iter().map(Vec::len).min().unwrap_or(0)
}

/// A small class (`[│|]`, `[Ee]`, `[!=]`) is a set of one-character literals.
fn class_lits(class: &Class) -> Lits {
    let mut chars: Vec<Vec<u8>> = Vec::new();
    match class {
        Class::Unicode(c) => {
            for range in c.ranges() {
                let (start, end) = (range.start() as u32, range.end() as u32);
                if end - start >= MAX_CLASS as u32 {
                    return Lits::Unknown;
                }
                for code in start..=end {
                    let Some(ch) = char::from_u32(code) else {
                        return Lits::Unknown;
                    };
                    chars.push(ch.to_string().into_bytes().to_ascii_lowercase());
                }
                if chars.len() > MAX_CLASS * 2 {
                    return Lits::Unknown;
                }
            }
        }
        Class::Bytes(c) => {
            for range in c.ranges() {
                if range.end() - range.start() >= MAX_CLASS as u8 {
                    return Lits::Unknown;
                }
                for b in range.start()..=range.end() {
                    chars.push(vec![b.to_ascii_lowercase()]);
                }
            }
        }
    }
    let chars = dedup(chars);
    if chars.is_empty() || chars.len() > MAX_CLASS {
        return Lits::Unknown;
    }
    Lits::Exact(chars)
}

fn dedup(mut set: Vec<Vec<u8>>) -> Vec<Vec<u8>> {
    set.sort_unstable();
    set.dedup();
    set
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(pattern: &str) -> Option<Vec<String>> {
        required(pattern, 3).map(|set| {
            set.into_iter()
                .map(|l| String::from_utf8(l).unwrap())
                .collect()
        })
    }

    fn strings(items: &[&str]) -> Option<Vec<String>> {
        Some(items.iter().map(|s| s.to_string()).collect())
    }

    #[test]
    fn plain_words_and_their_alternatives_are_required() {
        assert_eq!(
            req("No space left on device"),
            strings(&["no space left on device"])
        );
        assert_eq!(
            req(r"(?i)\b(?:error|errors|fatal)\b"),
            strings(&["error", "errors", "fatal"])
        );
        assert_eq!(
            req(r"##\[(?:group|error)\]"),
            strings(&["##[error]", "##[group]"])
        );
    }

    #[test]
    fn the_longest_piece_of_a_concatenation_wins() {
        // A class breaks the run; the words after it are longer than those before.
        assert_eq!(
            req(r"Tests run: [0-9]+, Failures: [1-9]"),
            strings(&[", failures: "])
        );
        // Digits multiply when the run is short, and repetitions unroll to join them.
        assert_eq!(
            req(r"\bSC[0-9]{4}\b"),
            strings(&[
                "sc0", "sc1", "sc2", "sc3", "sc4", "sc5", "sc6", "sc7", "sc8", "sc9"
            ])
        );
        assert_eq!(req(r"^_{3,} \S"), strings(&["___ "]));
        assert_eq!(
            req(r"^\s*[0-9]+\) \S"),
            strings(&[
                "0) ", "1) ", "2) ", "3) ", "4) ", "5) ", "6) ", "7) ", "8) ", "9) "
            ])
        );
        assert_eq!(
            req(r"(?:^|[^A-Za-z0-9_])(?:AssertionError|ComparisonFailure)(?:[^A-Za-z0-9_]|$)"),
            strings(&["assertionerror", "comparisonfailure"])
        );
        // An optional piece multiplies: both spellings are required alternatives.
        assert_eq!(
            req(r#"" (?:failed and )?exited with"#),
            strings(&["\" exited with", "\" failed and exited with"])
        );
        // A run already long enough to be rare stops multiplying: one string beats two.
        assert_eq!(
            req(r"assertion `left [!=]= right` failed"),
            strings(&["assertion `left "])
        );
    }

    #[test]
    fn a_pattern_without_a_useful_literal_says_so() {
        assert_eq!(req(r"^\s*[0-9]+:[0-9]+\s+\S+$"), None);
        // One branch without a requirement leaves the whole without one.
        assert_eq!(req(r"error: |\S+ x"), None);
        // A repeated piece that may be absent requires nothing.
        assert_eq!(req(r"(?:failed)*[0-9]+"), None);
        // Too short to be worth a search.
        assert_eq!(req(r"E\s+[0-9]"), None);
    }

    #[test]
    fn required_literals_are_found_in_every_matching_line() {
        for (pattern, line) in [
            (
                r"Tests run: [0-9]+, Failures: [1-9]",
                "Tests run: 3, Failures: 1",
            ),
            (r"(?i)\bfail(?:ed|ure)?\b", "Build FAILED."),
            (r"[│|]\s*CVE-[0-9]{4}", "│ CVE-2024-1"),
            (
                r"thread '(?P<subject>[^']+)' panicked at",
                "thread 'a' panicked at x",
            ),
        ] {
            let set = required(pattern, 1).unwrap_or_else(|| panic!("{pattern}"));
            let lower = line.to_ascii_lowercase();
            assert!(
                set.iter()
                    .any(|l| lower.as_bytes().windows(l.len()).any(|w| w == l.as_slice())),
                "{pattern}: {set:?} not in {line}"
            );
        }
    }
}
