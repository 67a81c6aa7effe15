//! General evidence of failure, beyond the catalog: the shapes error output takes in any
//! language or CI. Weighted, because `[ERROR]` in a Maven summary says more than the word
//! "error" in a file name.

use std::sync::LazyLock;

use regex::{Regex, RegexSet};

/// Each shape with its weight; matched against a line's clean text.
const SHAPES: &[(&str, f32)] = &[
    // Summaries and headlines of failure.
    (
        r"^\s*(?:\[ERROR\]|ERROR:|ERROR\s*\[|FATAL:|FATAL ERROR|error:|error\[)",
        3.0,
    ),
    (
        r"(?i)\b(?:BUILD FAILED|BUILD FAILURE|FAILURE: Build failed|Compilation failure|COMPILATION ERROR)\b",
        3.0,
    ),
    (r"(?i)\bfailed to execute goal\b", 3.0),
    (r"(?i)^\s*(?:FAILED|FAIL:|--- FAIL:|\[FAIL\]|✗|×|✕)\s", 3.0),
    (
        r"(?i)\b(?:Tests run:.*(?:Failures|Errors): [1-9]|Tests in error|Failed tests:|There (?:are|were) (?:test )?failures|[1-9]\d* (?:tests? )?failed)\b",
        3.0,
    ),
    (r"(?i)(?:^|\s)> Task \S+ FAILED", 3.0),
    (r"(?i)\bexecution failed for task\b", 3.0),
    (r"(?i)\bwhat went wrong\b", 2.0),
    // Exceptions and crashes.
    (r"(?i)\bTraceback \(most recent call last\)", 3.0),
    (r"\b[A-Z][A-Za-z0-9_$.]*(?:Exception|Error)\b(?::|$)", 2.5),
    (r"(?i)\bpanicked at\b", 3.0),
    (r"(?i)\bassert(?:ion)?(?:Error| failed)\b", 3.0),
    (
        r"(?i)\bexpected[:< ].*\b(?:but was|got|actual|found)\b",
        2.5,
    ),
    (
        r"(?i)\bsegmentation fault\b|\bcore dumped\b|\bkilled\b",
        2.0,
    ),
    // Exit statuses.
    (
        r"(?i)\b(?:exit(?:ed)? (?:code|status)|returned (?:a )?non-zero exit status|status code) [1-9]\d*",
        2.0,
    ),
    (r"(?i)\bmarked build as failure\b", 1.5),
    (r"(?i)\bstep '.*' failed\b|\bfailed:", 1.5),
    // The word alone: weak evidence.
    (
        r"(?i)\b(?:error|errors|failed|failure|fatal|exception)\b",
        1.0,
    ),
];

/// Stack frames and other continuation lines: context, never an anchor by themselves.
const CONTINUATION: &str = r"^\s+(?:at |File |\.\.\. \d+ more|Caused by:)|^Caused by:";

static SET: LazyLock<RegexSet> = LazyLock::new(|| {
    RegexSet::new(SHAPES.iter().map(|(p, _)| *p)).expect("evidence shapes are valid")
});

static CONT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(CONTINUATION).expect("continuation shape is valid"));

/// Counts of zero ("Failures: 0", "0 failed") are success summaries, not evidence.
static ZERO_SUMMARY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(?:failures|errors|failed|failure|fatal)\b:? 0\b|\b0 (?:failed|failures?|errors?)\b")
        .expect("zero summary shape is valid")
});

/// The strongest evidence of failure on this line (0 when none).
pub fn weight(text: &str) -> f32 {
    let w = SET
        .matches(text)
        .iter()
        .map(|i| SHAPES[i].1)
        .fold(0.0, f32::max);
    if w <= 1.0 && ZERO_SUMMARY.is_match(text) {
        return 0.0;
    }
    w
}

/// Is this a stack frame or similar continuation of an error above it?
pub fn is_continuation(text: &str) -> bool {
    CONT.is_match(text)
}

/// The shapes as plain regex sources, for the fast filter that finds candidate lines.
pub fn sources() -> impl Iterator<Item = &'static str> {
    SHAPES.iter().map(|(p, _)| *p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failure_shapes_weigh_more_than_the_bare_word() {
        assert_eq!(weight("[ERROR] Failed to execute goal x"), 3.0);
        assert_eq!(weight("FAILED tests/test_cart.py::test_total"), 3.0);
        assert_eq!(weight("Tests run: 10, Failures: 1, Errors: 0"), 3.0);
        assert_eq!(weight("java.lang.IllegalStateException: boom"), 2.5);
        assert_eq!(weight("copying error_pages/404.html"), 0.0);
        assert_eq!(weight("retrying after error"), 1.0);
        assert_eq!(weight("Tests run: 10, Failures: 0, Errors: 0"), 0.0);
        assert_eq!(weight("all good"), 0.0);
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
