//! Evidence of failure by its shape: the way compilers, test runners, linters and package
//! managers of any language print a failure, whatever the project. Each shape has a weight
//! (`[ERROR] Failed to execute goal` says more than the word "error" in a file name) and, when
//! the shape alone says what kind of failure it is, a category: `--- FAIL:` is a failed test,
//! `src/cart.ts(4,2): error TS2345` a compile error, `would reformat x.py` a lint finding.
//!
//! A rule belongs here only when a maintainer of any project using that tool would recognise
//! it as the tool's failure shape. Matched against a line's clean text (prefix, runner marker
//! and escapes removed).

use std::sync::LazyLock;

use regex::{Regex, RegexSet};

use super::builtin;
use super::pattern_set::{Literals, PatternSet};
pub use super::shapes::MAX_AFTER;
use super::shapes::SHAPES;

/// Categories of root causes: a failing line that shows one explains the compile errors or
/// failed tests around it. (Not the network: a test that talks to a server prints connection
/// errors when the code under test is what broke.)
pub fn is_root_cause(category: &str) -> bool {
    matches!(
        category,
        "dependency" | "configuration" | "resources" | "timeout"
    )
}

/// Stack frames and other continuation lines: context, never an anchor by themselves.
const CONTINUATION: &str = r"^\s+(?:at |File |\.\.\. [0-9]+ more|Caused by:)|^Caused by:|^\s+#[0-9]+ |^\s+from \S+:[0-9]+:in ";

/// `\b` made ASCII: a Unicode word boundary sends every line with a non-ASCII character (a
/// progress bar, a `✓`) from the lazy DFA to the much slower PikeVM, and failure shapes are
/// ASCII words anyway.
fn ascii_word_boundaries(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len() + 16);
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('b') => out.push_str("(?-u:\\b)"),
            Some(n) => {
                out.push(c);
                out.push(n);
            }
            None => out.push(c),
        }
    }
    out
}

fn compile(pattern: &str) -> Regex {
    Regex::new(&ascii_word_boundaries(pattern)).expect("a built-in shape is valid (tested)")
}

/// The shapes, matched through the literals they require; each compiled on first use.
static SET: LazyLock<PatternSet> = LazyLock::new(|| {
    PatternSet::new(
        SHAPES
            .iter()
            .zip(builtin::SHAPE_LITERALS)
            .map(|(s, &found)| {
                let literals = match found {
                    None if s.location => Literals::Location,
                    found => Literals::Known(found),
                };
                (ascii_word_boundaries(s.regex), None, literals)
            }),
        false,
    )
});

/// The shapes as matched (word boundaries made ASCII), for a filter over raw bytes.
pub fn pattern_set() -> &'static PatternSet {
    &SET
}

static CONT: LazyLock<Regex> = LazyLock::new(|| compile(CONTINUATION));

/// Counts of zero ("Failures: 0", "0 failed") are success summaries, not evidence.
const ZERO_SUMMARY_SOURCE: &str =
    r"(?i)\b(?:failures|errors|failed|failure|fatal)\b:? 0\b|\b0 (?:failed|failures?|errors?)\b";
static ZERO_SUMMARY: LazyLock<Regex> = LazyLock::new(|| compile(ZERO_SUMMARY_SOURCE));

/// What a line's shape says.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Evidence {
    pub weight: f32,
    pub category: Option<&'static str>,
    /// Lines after it that belong to it.
    pub after: usize,
    /// A test runner's account of a failure starts here.
    pub report: bool,
}

impl Evidence {
    pub const NONE: Evidence = Evidence {
        weight: 0.0,
        category: None,
        after: 0,
        report: false,
    };
}

/// The strongest evidence of failure on this line (weight 0 when none), and the category of
/// the strongest shape that names one.
pub fn of(text: &str) -> Evidence {
    thread_local! {
        static MATCHED: std::cell::RefCell<Vec<u32>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    MATCHED.with_borrow_mut(|matched| {
        SET.matches(text, matched);
        judge(text, matched)
    })
}

/// The same, given the shapes whose literals an automaton found on the line.
pub fn of_among(text: &str, candidates: &[u32], matched: &mut Vec<u32>) -> Evidence {
    SET.matches_among(text, candidates, matched);
    judge(text, matched)
}

/// Is shape `i` (of [`pattern_set`]) a failure word on its own?
pub fn is_word_alone(i: usize) -> bool {
    SHAPES[i].word_alone
}

/// What a line of a failure word alone says.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WordAlone {
    pub evidence: Evidence,
    /// A stack frame or another continuation of an error above (see [`is_continuation`]).
    pub continuation: bool,
}

/// The checks [`judge`] makes beyond the shapes, in this order in [`WORD_ALONE_CHECKS`].
#[derive(Debug, Clone, Copy)]
enum Check {
    ZeroSummary,
    Warning,
    ErrorWord,
    AptWarning,
    Continuation,
}

/// Everything a line of a failure word alone is asked, in one pass over it: the checks, then
/// the word-alone shapes (their indices in [`SHAPES`] alongside).
static WORD_ALONE_CHECKS: LazyLock<(RegexSet, Vec<u32>)> = LazyLock::new(|| {
    let shapes: Vec<u32> = (0..SHAPES.len() as u32)
        .filter(|&i| SHAPES[i as usize].word_alone)
        .collect();
    let sources = [
        ZERO_SUMMARY_SOURCE,
        WARNING_SOURCE,
        ERROR_WORD_SOURCE,
        APT_WARNING_SOURCE,
        CONTINUATION,
    ]
    .into_iter()
    .chain(shapes.iter().map(|&i| SHAPES[i as usize].regex))
    .map(ascii_word_boundaries);
    let set = RegexSet::new(sources).expect("a built-in shape is valid (tested)");
    (set, shapes)
});

/// The evidence on a line where no shape but a failure word alone can match (a large log's
/// scan knows such lines from its filter), and whether it continues an error above: one pass
/// over the line, where [`of`] and [`is_continuation`] would make several.
pub fn of_word_alone(text: &str, matched: &mut Vec<u32>) -> WordAlone {
    let (set, shapes) = &*WORD_ALONE_CHECKS;
    let found = set.matches(text);
    let checks = Check::Continuation as usize + 1;
    matched.clear();
    matched.extend(
        shapes
            .iter()
            .enumerate()
            .filter(|&(k, _)| found.matched(checks + k))
            .map(|(_, &i)| i),
    );
    WordAlone {
        evidence: judge_by(matched, |check| found.matched(check as usize)),
        continuation: found.matched(Check::Continuation as usize),
    }
}

fn judge(text: &str, matched: &[u32]) -> Evidence {
    judge_by(matched, |check| match check {
        Check::ZeroSummary => ZERO_SUMMARY.is_match(text),
        Check::Warning => WARNING.is_match(text),
        Check::ErrorWord => ERROR_WORD.is_match(text),
        Check::AptWarning => APT_WARNING.is_match(text),
        Check::Continuation => CONT.is_match(text),
    })
}

/// The evidence of the shapes `matched` on a line of which `holds` answers the checks.
fn judge_by(matched: &[u32], holds: impl Fn(Check) -> bool) -> Evidence {
    if matched.is_empty() {
        return Evidence::NONE;
    }
    let mut best = Evidence::NONE;
    let mut categorised = 0.0f32;
    for &i in matched {
        let s = &SHAPES[i as usize];
        best.weight = best.weight.max(s.weight);
        best.after = best.after.max(s.after);
        best.report |= s.report;
        if let Some(c) = s.category
            && s.weight > categorised
        {
            categorised = s.weight;
            best.category = Some(c);
        }
    }
    if best.weight <= 1.5 && holds(Check::ZeroSummary) {
        return Evidence::NONE;
    }
    // A compiler's or linter's warning (`x.erl:39: Warning: …`, `a.c:3:1: warning: …`) did not
    // fail the build by itself: a mention, not a failure.
    if (holds(Check::Warning) && !holds(Check::ErrorWord)) || holds(Check::AptWarning) {
        return Evidence {
            weight: best.weight.min(1.0),
            category: None,
            after: 0,
            report: false,
        };
    }
    best
}

const WARNING_SOURCE: &str = r"(?i)(?:^|[\s:\]])warn(?:ing)?(?:\[[\w-]+\])?: |^\s*\[WARN(?:ING)?\]";
static WARNING: LazyLock<Regex> = LazyLock::new(|| compile(WARNING_SOURCE));

/// An error word on its own, not inside a path or a name (`reporting-error-handler.ts`).
const ERROR_WORD_SOURCE: &str =
    r"(?i)(?:^|[\s:\[(])(?:error|errors|fatal|failed|failure)\b(?:$|[^-_./\w])";
static ERROR_WORD: LazyLock<Regex> = LazyLock::new(|| compile(ERROR_WORD_SOURCE));

/// apt's warnings (`W: Failed to fetch …`): apt says `E:` when it fails.
const APT_WARNING_SOURCE: &str = r"^W: ";
static APT_WARNING: LazyLock<Regex> = LazyLock::new(|| compile(APT_WARNING_SOURCE));

/// The strongest evidence of failure on this line (0 when none).
pub fn weight(text: &str) -> f32 {
    of(text).weight
}

/// Lines that report success or progress: a passing test or subtest, `=== RUN`, a tick.
static SUCCESS: LazyLock<Regex> = LazyLock::new(|| {
    compile(
        r"^\s*(?:--- (?:PASS|SKIP): |=== (?:RUN|PAUSE|CONT|NAME) |ok\s+\S|PASS(?:ED)?:? |✓|✔|√|\[\+\] )|^\S.* \.\.\. ok$",
    )
});

/// Does this line report a success (a passing test, progress), not a failure?
pub fn is_success(text: &str) -> bool {
    SUCCESS.is_match(text)
}

/// Is this a stack frame or similar continuation of an error above it?
pub fn is_continuation(text: &str) -> bool {
    CONT.is_match(text)
}

/// The shapes as plain regex sources, for the fast filter that finds candidate lines.
pub fn sources() -> impl Iterator<Item = &'static str> {
    SHAPES.iter().map(|s| s.regex)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failure_shapes_weigh_more_than_the_bare_word() {
        assert_eq!(weight("[ERROR] Failed to execute goal x"), 3.0);
        assert_eq!(weight("FAILED tests/test_cart.py::test_total"), 3.5);
        assert_eq!(weight("Tests run: 10, Failures: 1, Errors: 0"), 3.0);
        assert_eq!(weight("java.lang.IllegalStateException: boom"), 2.5);
        assert_eq!(weight("copying error_pages/404.html"), 0.0);
        assert_eq!(weight("retrying after error"), 1.0);
        assert_eq!(weight("Tests run: 10, Failures: 0, Errors: 0"), 0.0);
        assert_eq!(weight("all good"), 0.0);
    }

    #[test]
    fn a_shape_names_its_kind_of_failure() {
        for (line, category) in [
            ("src/cart.rs:41:9: error: mismatched types", "compile"),
            ("error[E0308]: mismatched types", "compile"),
            (
                "src/cart.ts(4,2): error TS2345: Argument of type",
                "compile",
            ),
            (
                "[ERROR] /src/main/java/Cart.java:[12,5] cannot find symbol",
                "compile",
            ),
            ("--- FAIL: TestTotal (0.00s)", "test"),
            (
                "FAILED tests/test_cart.py::test_total - assert 1 == 2",
                "test",
            ),
            ("  3 failing", "test"),
            ("Failure/Error: expect(x).to eq(10)", "test"),
            ("not ok 3 - adds numbers", "test"),
            ("There was 1 failure:", "test"),
            ("  12:5  error  'x' is not defined  no-undef", "lint"),
            (
                "app/cart.py:3:1: E302 expected 2 blank lines, found 1",
                "lint",
            ),
            ("would reformat src/cart.py", "lint"),
            ("Diff in /src/cart.rs at line 4:", "lint"),
            ("npm ERR! code E404", "dependency"),
            (
                "pages/common/tar.md:3: TLDR004 Command descriptions",
                "lint",
            ),
            ("README.md:2186:Line longer than 80 characters.", "lint"),
            (
                "error: failed to run custom build command for `jemalloc-sys v0.1.8`",
                "dependency",
            ),
            (
                "  Could NOT find Halide (missing: HALIDE_LIBRARIES)",
                "dependency",
            ),
            (
                "go.mod or go.sum is not up to date: run go mod tidy",
                "dependency",
            ),
            ("FAIL\tgithub.com/shop/cart [build failed]", "compile"),
            (
                "react/README.md: 29: MD012/no-multiple-blanks Multiple consecutive blank lines",
                "lint",
            ),
            (
                "Done linting! Found 1 violation, 0 serious in 48 files.",
                "lint",
            ),
            (
                "[error] cart-core: Binary compatibility check failed!",
                "lint",
            ),
            (
                "Error in library(x) : there is no package called 'testthat'",
                "dependency",
            ),
            ("* Failure 404 Not Found", "dependency"),
            ("ERROR 404: Not Found.", "dependency"),
            (
                "ERROR: No matching distribution found for requests==99",
                "dependency",
            ),
        ] {
            assert_eq!(of(line).category, Some(category), "{line}");
        }
        assert_eq!(of("Error: boom").category, None);
        // A warning is a mention, not a failure; an error that mentions warnings is not.
        assert!(of("test/q.erl:39: Warning: behaviour undefined").weight <= 1.0);
        assert!(of("src/a.c:3:1: warning: unused variable 'x'").weight <= 1.0);
        assert_eq!(
            of("cc1: all warnings being treated as errors").category,
            Some("compile")
        );
        // An error word inside a path is no error; apt's warnings never fail a job.
        assert!(
            of("WARNING: src/reporting-error-handler.spec.ts[17, 22]: X is deprecated").weight
                <= 1.0
        );
        assert!(of("W: Failed to fetch http://ppa.example.org/x  Could not connect").weight <= 1.0);
        // A summary of warnings alone failed nothing.
        assert_eq!(of("✖ 1 problem (0 errors, 1 warning)").category, None);
        assert_eq!(
            of("✖ 3 problems (2 errors, 1 warning)").category,
            Some("lint")
        );
        // A test's thread panicking is a failed test; `main` panicking is a program's crash.
        assert_eq!(
            of("thread 'cart::adds' panicked at src/cart.rs:4:5:").category,
            Some("test")
        );
        assert_eq!(
            of("curl: (22) The requested URL returned error: 404").category,
            None
        );
        assert_eq!(
            of("thread 'main' panicked at 'called `Result::unwrap()`'").category,
            None
        );
    }

    #[test]
    fn word_boundaries_become_ascii_and_escapes_stay() {
        assert_eq!(ascii_word_boundaries(r"\bfail\b"), r"(?-u:\b)fail(?-u:\b)");
        assert_eq!(ascii_word_boundaries(r"a\\b\s"), r"a\\b\s");
        // Every shape still compiles, and a non-ASCII line is still read.
        assert!(SET.len() == SHAPES.len());
        for i in 0..SET.len() {
            assert!(SET.regex(i).is_some(), "shape {:?} compiles", SET.source(i));
        }
        assert_eq!(of("✗ 2 tests failed ✓").category, Some("test"));
    }

    #[test]
    fn a_word_alone_in_one_pass_is_judged_as_every_check_would() {
        let mut matched = Vec::new();
        for text in [
            "INFO  error budget remaining: 99.2% (0 failed requests)",
            "Tests run: 12, Failures: 0, Errors: 0",
            "DEBUG retry after transient error",
            "    at process (node:internal/errors:478:14)",
            "src/cart.c:3:1: warning: unused variable 'failed'",
            "W: Failed to fetch http://archive.ubuntu.com/ubuntu/dists/jammy/InRelease",
            "warning: the handler returned an error, retrying",
            "ErrorMapperTest passed",
            "\u{2713} shows an error when the request fails",
        ] {
            let word = of_word_alone(text, &mut matched);
            assert_eq!(word.evidence, of(text), "{text}");
            assert_eq!(word.continuation, is_continuation(text), "{text}");
        }
    }

    #[test]
    fn stack_frames_are_continuations() {
        assert!(is_continuation(
            "\tat java.base/java.lang.Thread.run(Thread.java:834)"
        ));
        assert!(is_continuation("  File \"app.py\", line 3, in <module>"));
        assert!(!is_continuation("at least one test failed"));
    }
}
