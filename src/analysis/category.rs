//! What kind of failure it is, from the failing lines: a pattern matched in the failing
//! block, else the block's shapes (a compile error, a failed test, a lint finding), then a
//! match or shape elsewhere among the failing lines, else what the innermost failed script or
//! the failed command is for, else `unknown`. A root cause printed among the failing lines
//! (a missing dependency, a host out of reach) outranks what it breaks.

use std::collections::HashSet;
use std::sync::LazyLock;

use regex::Regex;

use super::evidence;
use super::excerpt::{self, ExcerptLine, Focus};
use super::region::Region;
use super::scanner::Candidate;

/// The pattern match that names the failure, when one does.
#[derive(Debug, Clone, Copy)]
pub struct Named<'a> {
    pub category: &'a str,
    /// It decides before the shapes: it is in the failing block, or it decides safety.
    pub first: bool,
}

/// The failure's category.
pub fn decide(
    candidates: &[Candidate],
    excerpt: &[ExcerptLine],
    focus: &Focus<'_>,
    named: Option<Named<'_>>,
) -> String {
    let region = focus.region;
    let category = if region.timed_out {
        Some("timeout")
    } else if let Some(m) = named.filter(|m| m.first) {
        Some(m.category)
    } else {
        shape_category(candidates, excerpt, focus, true)
            .or_else(|| named.map(|m| m.category))
            .or_else(|| shape_category(candidates, excerpt, focus, false))
    }
    .or_else(|| {
        // The innermost step that failed (an npm script, a make target, a Gradle task)
        // says more than the command that ran it (`npm test`, `./build.sh`).
        failed_script(candidates, region)
            .as_deref()
            .and_then(command_category)
            .or_else(|| region.command.as_deref().and_then(command_category))
    })
    .unwrap_or("unknown");
    root_cause_beneath(candidates, focus, category)
        .unwrap_or(category)
        .to_string()
}

/// The category shown by the shapes of the excerpt's anchors (only those in the failing block
/// when `block_only`): the strongest anchor that names one (a failed test, a compiler error, a
/// lint finding) decides.
fn shape_category(
    candidates: &[Candidate],
    excerpt: &[ExcerptLine],
    focus: &Focus<'_>,
    block_only: bool,
) -> Option<&'static str> {
    let anchors: HashSet<usize> = excerpt
        .iter()
        .filter(|l| l.anchor)
        .map(|l| l.line)
        .collect();
    // A root cause named with confidence (a resolution error, a refused connection) explains
    // the failed tests or compile errors it causes; otherwise the strongest anchor decides.
    let root =
        |c: &Candidate| c.evidence >= 3.5 && c.shape_category.is_some_and(evidence::is_root_cause);
    candidates
        .iter()
        .filter(|c| anchors.contains(&c.line) && c.shape_category.is_some())
        .filter(|c| !block_only || focus.block.is_some_and(|(a, b)| (a..=b).contains(&c.line)))
        .max_by(|a, b| {
            root(a)
                .cmp(&root(b))
                .then(excerpt::score(a, focus).total_cmp(&excerpt::score(b, focus)))
                .then(a.line.cmp(&b.line))
        })
        .and_then(|c| c.shape_category)
}

/// The root cause printed among the failing lines when the failure is a compile
/// error, a failed test or a lint finding it explains: a missing dependency (`ImportError`
/// in a test's output, a class file of the wrong version) or, for a failed test, a remote host
/// that could not be reached in time or by name. (A refused connection to the test's own
/// server is the code under test failing, not the network.)
fn root_cause_beneath(
    candidates: &[Candidate],
    focus: &Focus<'_>,
    category: &str,
) -> Option<&'static str> {
    static UNREACHABLE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"(?i)\b(?:connect(?:ion)? timeout|connection timed out|TLS handshake timeout|could not resolve host|temporary failure in name resolution|name or service not known|EAI_AGAIN|ENOTFOUND|network is unreachable)\b",
        )
        .expect("valid")
    });
    static LOCAL: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"(?i)\b(?:localhost|127\.0\.0\.1)\b|\[::1\]").expect("valid"));
    if !matches!(category, "test" | "compile" | "lint") {
        return None;
    }
    let lines = |(first, last): (usize, usize)| {
        let start = candidates.partition_point(|c| c.line < first);
        candidates[start..]
            .iter()
            .take_while(move |c| c.line <= last)
    };
    // A missing dependency among the failing block's lines.
    if let Some(block) = focus.block
        && lines(block).any(|c| c.shape_category == Some("dependency") && c.evidence >= 3.0)
    {
        return Some("dependency");
    }
    // An unreachable host anywhere in the failed command's output: a test runner's summary
    // often stands apart from the error that caused it (`Connect timeout at t/net.t line
    // 17.`, then the harness's `Dubious, test returned 11`).
    let region = match (focus.region.terminal, focus.block) {
        (Some(_), _) => (focus.region.start, focus.region.end),
        (None, block) => block?,
    };
    let unreachable = lines(region).any(|c| {
        c.shape_category == Some("network")
            && UNREACHABLE.is_match(&c.text)
            && !LOCAL.is_match(&c.text)
    });
    (category == "test" && unreachable).then_some("network")
}

/// The innermost script, target or task that failed, as the tool that ran it reports it:
/// npm's `npm ERR! pkg@1.0.0 lint: `eslint .``, npm-run-all's `ERROR: "lint" exited with 1.`,
/// make's `make: *** [Makefile:12: lint] Error 1`, Gradle's `Execution failed for task
/// ':app:lint'`, sbt's `[error] - core/mimaReportBinaryIssues failed`. Nested runs print the
/// innermost first.
fn failed_script(candidates: &[Candidate], region: &Region) -> Option<String> {
    static SCRIPT: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r#"^npm ERR! \S+@\S+ (?P<npm>[^\s:]+): `(?P<cmd>[^`]*)`|^ERROR: "(?P<run_all>[^"]+)" exited with [1-9]|^make(?:\[[0-9]+\])?: \*\*\* \[(?:[^\]]*: )?(?P<make>[^\]:]+)\] Error [1-9]|Execution failed for task '(?P<gradle>[^']+)'|^\[error\] (?:- )?\(?(?P<sbt>[\w./:-]+)\)? (?:failed\b|sbt\.\w+Exception)|'(?P<gulp>[^']+)' errored after"#,
        )
        .expect("valid")
    });
    let start = candidates.partition_point(|c| c.line < region.start);
    candidates[start..]
        .iter()
        .take_while(|c| c.line <= region.end)
        .find_map(|c| {
            let found = SCRIPT.captures(&c.text)?;
            let names: Vec<&str> = ["npm", "cmd", "run_all", "make", "gradle", "sbt", "gulp"]
                .iter()
                .filter_map(|n| found.name(n).map(|m| m.as_str()))
                .collect();
            Some(names.join(" "))
        })
}

/// What a failed command is for, from the words any project uses for it (`npm test`,
/// `make lint`, `cargo build`, `pip install`): the category when the output shows nothing
/// more precise.
fn command_category(command: &str) -> Option<&'static str> {
    static WORDS: std::sync::LazyLock<[(regex::Regex, &'static str); 4]> = LazyLock::new(|| {
        let re = |p: &str| Regex::new(p).expect("valid");
        [
            (
                re(
                    r"(?i)\b(?:\w*lint\w*|standard|rubocop|flake8|pylint|clippy|fmt|format\w*|prettier|black|isort|stylelint|shellcheck|vint|luacheck|checkstyle|spotless|ktlint|detekt|style)\b",
                ),
                "lint",
            ),
            (
                re(
                    r"(?i)(?:\b|_)(?:test\w*|spec|specs|rspec|pytest|jest|mocha|karma|phpunit|ctest|prove|tox|nosetests|unittest)\b",
                ),
                "test",
            ),
            (
                re(
                    r"(?i)\b(?:install|restore|fetch|deps(?:\.get)?|dependencies)\b|\b(?:npm|pnpm) ci\b|^bundle$",
                ),
                "dependency",
            ),
            (
                re(r"(?i)\b(?:build|compile|tsc|javac|gcc|cmake|msbuild|xcodebuild|assemble)\b"),
                "compile",
            ),
        ]
    });
    WORDS
        .iter()
        .find(|(re, _)| re.is_match(command))
        .map(|(_, category)| *category)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_command_says_what_it_is_for_only_by_its_verb() {
        for (command, category) in [
            ("npm ci", Some("dependency")),
            ("pip install -r requirements.txt", Some("dependency")),
            ("bundle exec rake", None),
            ("make check", None),
            ("cargo build --release", Some("compile")),
            ("npm run lint", Some("lint")),
            ("go test ./...", Some("test")),
            ("./ci-tool.sh run_tests", Some("test")),
            ("./build.sh verify-swiftlint", Some("lint")),
        ] {
            assert_eq!(command_category(command), category, "{command}");
        }
    }
}
