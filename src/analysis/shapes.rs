//! The shapes of failure, as data: each a regex with its weight, the kind of failure it
//! shows and the lines that belong to it ([`super::evidence`] explains and applies them).
//!
//! This file is plain data and stands alone, so the build script reads it too: it finds each
//! shape's required literals ([`super::literals`]) at build time, not in every process.

/// One failure shape.
pub struct Shape {
    pub regex: &'static str,
    pub weight: f32,
    /// What kind of failure the shape alone shows, when it shows one.
    pub category: Option<&'static str>,
    /// Lines after it that belong to it: a report header (`=== FAILURES ===`, `There was 1
    /// failure:`) or a failure whose details follow (a diff, a code snippet, a YAML block).
    pub after: usize,
    /// A test runner starts its account of a failure here: the first such line in the failed
    /// command's output is where its explanation begins.
    pub report: bool,
    /// The shape starts with a file location (`src/cart.js:12`, `x.py:3:1:`) and has no
    /// literal to search for: the scan finds its lines by their first word holding `:` and a
    /// digit.
    pub location: bool,
    /// The shape is a failure word on its own: weak evidence, on many lines that do not fail
    /// (`0 failed`, `error-handler.test.ts`). A large log's scan finds such lines by a search
    /// of their own and judges them by this shape alone (no other can match them there).
    pub word_alone: bool,
}

const fn shape(regex: &'static str, weight: f32, category: Option<&'static str>) -> Shape {
    Shape {
        regex,
        weight,
        category,
        after: 0,
        report: false,
        location: false,
        word_alone: false,
    }
}

/// A shape that starts with a file location (see [`Shape::location`]).
const fn location(regex: &'static str, weight: f32, category: Option<&'static str>) -> Shape {
    Shape {
        location: true,
        ..shape(regex, weight, category)
    }
}

/// A failure word on its own (see [`Shape::word_alone`]).
const fn word_alone(regex: &'static str, weight: f32) -> Shape {
    Shape {
        word_alone: true,
        ..shape(regex, weight, ANY)
    }
}

/// A shape whose details follow it for up to `after` lines.
const fn block(
    regex: &'static str,
    weight: f32,
    category: Option<&'static str>,
    after: usize,
) -> Shape {
    Shape {
        after,
        ..shape(regex, weight, category)
    }
}

/// A test runner's account of a failure, whose details follow for up to `after` lines.
const fn report(regex: &'static str, weight: f32, after: usize) -> Shape {
    Shape {
        after,
        report: true,
        ..shape(regex, weight, TEST)
    }
}

/// The longest block any shape opens.
pub const MAX_AFTER: usize = 24;

const COMPILE: Option<&str> = Some("compile");
const TEST: Option<&str> = Some("test");
const LINT: Option<&str> = Some("lint");
const DEPENDENCY: Option<&str> = Some("dependency");
const CONFIGURATION: Option<&str> = Some("configuration");
const NETWORK: Option<&str> = Some("network");

const ANY: Option<&str> = None;

/// The shapes. Where two match one line, the heavier wins, then the earlier.
pub const SHAPES: &[Shape] = &[
    // ── compilers: `file:line[:col]: error: ...` and each compiler's own form ──
    block(
        r"^\s*\S+?:[0-9]+(?::[0-9]+)?:? (?:fatal )?error(?:\[[A-Z]*[0-9]+\])?:",
        3.5,
        COMPILE,
        6,
    ),
    block(r"^\s*error\[E[0-9]{4}\]", 3.5, COMPILE, 12),
    shape(
        r"^\s*error: (?:could not compile|aborting due to|linking with)",
        3.0,
        COMPILE,
    ),
    shape(r"\S\([0-9]+,[0-9]+\): error [A-Z]+[0-9]+:", 3.5, COMPILE),
    shape(r"\berror (?:TS|CS|FS|BC)[0-9]{4}\b", 3.5, COMPILE),
    shape(
        r"^\s*\[ERROR\] \S+\.(?:java|kt|scala|groovy):\[[0-9]+,[0-9]+\]",
        3.5,
        COMPILE,
    ),
    shape(r"^\s*\[error\] \S+\.(?:scala|java):[0-9]+:", 3.5, COMPILE),
    shape(r"^e: \S+\.kts?:", 3.5, COMPILE),
    shape(
        r"^\s*\S+\.(?:hs|lhs|purs|elm|idr|agda):[0-9]+:[0-9]+",
        3.0,
        COMPILE,
    ),
    shape(r"^\s*\S+\.(?:erl|hrl):[0-9]+:", 3.0, COMPILE),
    shape(r"^\s*\.?\.?/?\S+\.go:[0-9]+:[0-9]+: ", 2.5, COMPILE),
    shape(
        r"(?i)\b(?:COMPILATION ERROR|Compilation failure|compilation failed|Compilation error|compile error)\b",
        3.0,
        COMPILE,
    ),
    shape(
        r"\bundefined reference to\b|\bld returned [1-9] exit status\b|symbol\(s\) not found for architecture|\bunresolved external symbol\b",
        3.0,
        COMPILE,
    ),
    shape(
        r"^\*\* (?:TEST )?(?:BUILD|ARCHIVE) FAILED \*\*",
        3.5,
        COMPILE,
    ),
    shape(r"^FAIL\s+\S+\s+\[(?:build|setup) failed\]", 3.0, COMPILE),
    shape(
        r"(?i)^\s*(?:SyntaxError|IndentationError|TabError):",
        2.5,
        COMPILE,
    ),
    shape(
        r"^\s*\*\* \((?:CompileError|SyntaxError|TokenMissingError)\)",
        3.5,
        COMPILE,
    ),
    shape(
        r"^\s*Error: \S+\.s[ac]ss\b|^\s*Error: Invalid CSS after",
        3.0,
        COMPILE,
    ),
    shape(r"(?i)warnings being treated as errors", 2.5, COMPILE),
    // ── test runners ──
    report(r"^\s*--- FAIL: ", 3.5, 10),
    shape(r"^FAIL\s+\S+\s+[0-9.]+s$", 3.0, TEST),
    // Go's last word on a failed run: a summary of the failures above it.
    shape(r"^FAIL$", 2.0, TEST),
    shape(r"^\s+\S+_test\.go:[0-9]+: ", 3.0, TEST),
    report(r"^---- \S+ stdout ----$", 3.5, 12),
    shape(r"^test \S+ \.\.\. FAILED$", 3.5, TEST),
    shape(r"^test result: FAILED\b", 3.0, TEST),
    // The test harness names a test's thread after the test; `'main'` is a program that
    // panicked (a build script, a tool), not a failed test.
    shape(
        r"\bthread '(?:[^'m][^']*|m(?:[^'a][^']*)?|ma(?:[^'i][^']*)?|mai(?:[^'n][^']*)?|main[^']+)' panicked at\b",
        3.0,
        TEST,
    ),
    shape(r"\bpanicked at\b", 3.0, ANY),
    shape(r"^FAILED \S+::\S+", 3.5, TEST),
    report(r"^(?:FAIL|ERROR): \S+ \([A-Za-z0-9_.]+\)", 3.5, 16),
    shape(r"^FAILED \((?:failures|errors)=[0-9]+", 3.0, TEST),
    report(r"^_{3,} \S.* _{3,}$", 3.0, 24),
    report(r"^=+ (?:FAILURES|ERRORS) =+$", 3.0, 24),
    shape(r"^=+ short test summary info =+$", 3.0, TEST),
    shape(r"^E {3,}\S", 2.5, TEST),
    shape(
        r"^=+ .*\b[1-9][0-9]* (?:failed|errors?)\b.* in [0-9.]+s",
        3.0,
        TEST,
    ),
    report(r"^\s*● ", 3.5, 16),
    shape(r"^\s*(?:FAIL|✕) \S+\.(?:[cm]?[jt]sx?|coffee)\b", 3.5, TEST),
    shape(r"^\s*Tests?:\s+[1-9][0-9]* failed", 3.0, TEST),
    report(r"^\s*[1-9][0-9]* failing$", 3.5, 20),
    shape(r"^\s*[0-9]+\) (?:\S+::\S+|test[ _]|\S+Test\b)", 3.0, TEST),
    report(r"^\s*[0-9]+\) (?:Failure|Error):", 3.5, 12),
    block(r"^\s*Failure/Error: ", 3.5, TEST, 10),
    report(r"^Failures:$", 3.0, 20),
    shape(r"^rspec \./\S+:[0-9]+", 3.0, TEST),
    shape(
        r"\b[0-9]+ (?:examples?|tests?|runs?|specs?|properties),.* [1-9][0-9]* (?:failures?|errors?)\b",
        3.0,
        TEST,
    ),
    block(
        r"^There (?:was|were) [0-9]+ (?:failures?|errors?):",
        3.5,
        TEST,
        20,
    ),
    block(r"\bFailed asserting that\b", 3.5, TEST, 10),
    shape(r"^FAILURES!$|^ERRORS!$", 3.0, TEST),
    shape(r"\bTests run:.*(?:Failures|Errors): [1-9]", 3.0, TEST),
    report(r"<<< (?:FAILURE|ERROR)!", 3.5, 24),
    shape(r"^(?:Tests in error|Failed tests):", 3.0, TEST),
    block(r"^\S.* > \S.* FAILED$", 3.5, TEST, 8),
    report(r"^not ok [0-9]+", 3.0, 12),
    report(r"^#\s+Failed test\b", 3.5, 6),
    shape(
        r"\bDubious, test returned\b|^Failed [0-9]+/[0-9]+ (?:test programs|subtests)|^Result: FAIL",
        3.0,
        TEST,
    ),
    report(r"^\s+[0-9]+\) test .* \(\S+\)$", 3.5, 12),
    report(r"^(?:FAIL|ERROR) in \(", 3.5, 10),
    report(r"^(?:Failure|Error) → ", 3.5, 10),
    shape(r"[0-9]+ success(?:es)? / [1-9][0-9]* failures?", 3.0, TEST),
    report(r"^\s*\[-\] ", 3.0, 24),
    // R CMD check: `Running the tests in 'tests/testthat.R' failed.`
    shape(r"\bRunning the tests in '\S+' failed\b", 3.0, TEST),
    shape(r"\bTests Passed: [0-9]+,? Failed: [1-9]", 3.0, TEST),
    shape(r"^\s*Failed\s+\S+\s+\[[0-9.]+ ?m?s\]", 3.5, TEST),
    shape(
        r"\bTotal tests: .*\bFailed: [1-9]|^Failed!\s+- Failed:\s+[1-9]",
        3.0,
        TEST,
    ),
    shape(
        r"\bExecuted [0-9]+ of [0-9]+ .*\([1-9][0-9]* FAILED\)",
        3.0,
        TEST,
    ),
    shape(r"\) .* FAILED$", 3.0, TEST),
    shape(r"\bXCTAssert\w* failed\b|\*\* TEST FAILED \*\*", 3.5, TEST),
    shape(r"^# fail +[1-9]", 3.0, TEST),
    shape(r"\bfailed on line [0-9]+\b", 3.0, TEST),
    shape(r"(?i)\bassert(?:ion)?(?:Error| failed)\b", 3.0, TEST),
    shape(
        r"(?i)\bexpected[:< ].*\b(?:but was|got|actual|found)\b",
        2.5,
        TEST,
    ),
    shape(r"^\s*(?:expected|actual|got):? ", 1.5, TEST),
    shape(r"(?i)\bline [0-9]+ failed\b", 2.0, ANY),
    shape(r"(?i)\b[1-9][0-9]* (?:tests? )?failed\b", 3.0, TEST),
    shape(r"(?i)\bThere (?:are|were) (?:test )?failures\b", 3.0, TEST),
    shape(
        r"^\s*\(?[0-9]+/[0-9]+\)? \[?\s*(?:FAILED|FAIL|ERROR)\b",
        3.0,
        TEST,
    ),
    report(r"^(?:Failure|Error):$", 3.5, 10),
    report(r":\s+FAIL(?: \([0-9.]+s\))?$", 3.5, 16),
    report(r"^[0-9]+ FAILED:?$|^Found errors in \S+\(\):$", 3.5, 12),
    report(r"^failures:$", 2.5, 16),
    // ── linters and formatters ──
    shape(r"^\s+[0-9]+:[0-9]+\s+(?:error|✖)\s", 3.5, LINT),
    shape(r"✖ [0-9]+ problems? \([1-9][0-9]* errors?", 3.5, LINT),
    shape(r"^\S+\.py:[0-9]+:[0-9]+: [EWFCN][0-9]{3}\b", 3.5, LINT),
    shape(r"^\S+\.py:[0-9]+:(?:[0-9]+:)? [CRWEF][0-9]{4}\b", 3.5, LINT),
    shape(r"^\S+\.py:[0-9]+: error: ", 3.5, LINT),
    shape(r"^\S+\.rb:[0-9]+:[0-9]+: [CWEF]: ", 3.5, LINT),
    shape(
        r"\b[0-9]+ files? inspected, [1-9][0-9]* offenses? detected",
        3.0,
        LINT,
    ),
    shape(r"^Diff in \S+ at line [0-9]+", 3.5, LINT),
    shape(
        r"^would reformat \S|^Oh no! .* would be reformatted",
        3.5,
        LINT,
    ),
    shape(
        r"(?i)\b(?:code style issues found|not (?:properly )?formatted|files? (?:were|was|would be) reformatted|formatting (?:issues|errors|check failed)|needs? formatting|run .*fmt)\b",
        3.0,
        LINT,
    ),
    shape(r"^In \S+ line [0-9]+:$|\bSC[0-9]{4}\b", 3.0, LINT),
    shape(r"^(?:ERROR|WARNING): \S+\[[0-9]+, [0-9]+\]: ", 3.5, LINT),
    shape(
        r"^\S+\.(?:md|markdown): ?[0-9]+(?::[0-9]+)?:? MD[0-9]{3}\b",
        3.5,
        LINT,
    ),
    // SwiftLint's last word, tslint's prose format, xmllint's validity errors.
    shape(r"^Done linting! Found [1-9][0-9]* violations?", 3.5, LINT),
    shape(r"^ERROR: \S+:[0-9]+:[0-9]+ +[a-z][\w-]+ ", 3.5, LINT),
    shape(
        r"^\S+\.xml:[0-9]+: .*\b(?:validity|parser) error :",
        3.0,
        LINT,
    ),
    // API and binary compatibility checkers (MiMa, animal-sniffer): a build check, not a
    // compiler's error.
    shape(
        r"\bBinary compatibility check failed\b|\bfilter with: ProblemFilters\.exclude\[|\bSignature errors found\b|^\[ERROR\] \S+\.java:[0-9]+: Undefined reference: ",
        3.5,
        LINT,
    ),
    // A YAML front matter that does not parse, in a document (a site's page, a post): the
    // document's syntax. (In a configuration file it is the configuration's.)
    shape(
        r"\(\S+\.(?:md|markdown|html|textile|adoc|rst)\): (?:found character that cannot start any token|did not find expected|mapping values are not allowed|could not find expected)",
        3.0,
        LINT,
    ),
    shape(
        r"^\[(?:ERROR|WARN)\] \S+:[0-9]+(?::[0-9]+)?: .*\[[A-Z]\w+\]$",
        3.5,
        LINT,
    ),
    shape(
        r"(?i)\bHTML-Proofer found [0-9]+ failures?|\bIssues :-\(|\bdead links? found\b|\bbroken links?\b",
        3.0,
        LINT,
    ),
    shape(r"^\s*\S+\.(?:vim|lua|sh|bash):[0-9]+:[0-9]+: ", 3.0, LINT),
    shape(
        r"\bTotal: [0-9]+ warnings? / [1-9][0-9]* errors?|\b[1-9][0-9]* (?:errors?|warnings?|problems?) (?:found|detected)\b",
        3.0,
        LINT,
    ),
    shape(
        r"(?i)^\s*(?:lint|linting|style|format|formatting) (?:errors?|failed|failure)",
        3.0,
        LINT,
    ),
    // A linter's finding with its rule's code: `x.py:3:1: E302`, `README.md:4 MD013`.
    location(
        r"^\s*\S+:[0-9]+(?::[0-9]+)?:? \[?[A-Z]{1,6}[0-9]{2,4}\]?\b",
        3.5,
        LINT,
    ),
    shape(
        r"(?i)\b(?:line too long|line longer than [0-9]+|trailing whitespace|missing (?:final )?newline|wrong indentation|mixed (?:tabs and spaces|indentation))\b",
        3.0,
        LINT,
    ),
    // ── package managers ──
    shape(
        r"^npm ERR! (?:code E(?:404|RESOLVE|NOTARGET|INTEGRITY)|404|peer dep|notarget)",
        3.5,
        DEPENDENCY,
    ),
    shape(
        r"(?i)\b(?:could not resolve dependencies|unresolved dependenc(?:y|ies)|could not find artifact|failed to resolve|no matching distribution found|could not find a version that satisfies|packagesnotfounderror|unable to resolve dependency|version solving failed|could not find gem|dependency resolution failed|no version of \S+ (?:is )?available)\b",
        3.5,
        DEPENDENCY,
    ),
    shape(
        r"(?i)\b(?:ModuleNotFoundError|ImportError|Cannot find module|cannot load such file|Can't locate \S+ in @INC|package \S+ is not in (?:GOROOT|std)|no required module provides package)\b",
        3.0,
        DEPENDENCY,
    ),
    shape(r"\berror NU1[0-9]{3}\b", 3.5, DEPENDENCY),
    // R: a package that is not installed, or not available to install.
    shape(
        r"\bthere is no package called\b|\bPackages? required but not available:",
        3.5,
        DEPENDENCY,
    ),
    // A download that is not there (a package, an archive, a pinned file). Not curl's
    // `returned error: 404`: installers probe with it and go on to another mirror.
    shape(
        r"^\W*Failure:? 404 Not Found\b|\bERROR 404: Not Found\b|\b404 Client Error\b",
        3.5,
        DEPENDENCY,
    ),
    // A crate's build script (a -sys crate building its C library) failed.
    shape(
        r"\bfailed to run custom build command for\b",
        3.5,
        DEPENDENCY,
    ),
    // CMake's find_package found nothing.
    shape(r"\bCould NOT find \S+", 3.5, DEPENDENCY),
    // A lockfile that no longer matches its manifest.
    shape(
        r"(?i)\b(?:go\.(?:mod|sum)|lock ?file|package-lock\.json|yarn\.lock|Gemfile\.lock|Cargo\.lock|poetry\.lock|composer\.lock)\b.*\b(?:not up[ -]to[ -]date|out of (?:date|sync)|needs to be updated|is not consistent|would be (?:modified|updated))|\bgo mod tidy\b",
        3.5,
        DEPENDENCY,
    ),
    shape(
        r"\b(?:NoSuchMethodError|NoClassDefFoundError|UnsupportedClassVersionError)\b|\bclass file has wrong version\b|\bhas been compiled by a more recent version of the Java Runtime\b",
        3.5,
        DEPENDENCY,
    ),
    shape(
        r"(?i)\bpackage [`'\x22]?\S+?[`'\x22]? is unavailable\b|\bunable to locate package\b|\bno package \S+ available\b",
        3.5,
        DEPENDENCY,
    ),
    // ── the network ──
    shape(
        r"(?i)\b(?:connection (?:refused|reset(?: by peer)?|timed out|error)|connect(?:ion)? timeout|could not (?:create|establish|open) (?:a )?connection|TLS handshake timeout|could not resolve host|temporary failure in name resolution|name or service not known|network is unreachable|ECONNRESET|ECONNREFUSED|ETIMEDOUT|EAI_AGAIN|ENOTFOUND|socket hang up|ssl: certificate_verify_failed|read timed out)\b",
        3.5,
        NETWORK,
    ),
    // ── configuration and the shell ──
    shape(
        r"(?i)\bflag provided but not defined\b|\bunrecognized (?:arguments?|options?)\b|\bunknown (?:option|flag|command)\b|\binvalid option\b|^usage: ",
        3.0,
        CONFIGURATION,
    ),
    block(r"^CMake Error\b", 3.0, CONFIGURATION, 8),
    shape(
        r"(?i)\bcommand not found\b|\bThe program '\S+' is currently not installed\b|\bNo such file or directory\b|\bNo Rakefile found\b|\bPermission denied\b",
        2.5,
        CONFIGURATION,
    ),
    // ── headlines of failure in any tool ──
    block(r"^[A-Za-z][\w.-]*: (?:fatal )?error: ", 3.0, ANY, 6),
    shape(
        r"^\s*(?:\[ERROR\]|ERROR:|ERROR\s*\[|FATAL:|FATAL ERROR|error:|\[error\]|ERROR!|Error:|Fatal error:|fatal:)",
        3.0,
        ANY,
    ),
    shape(
        r"(?i)\b(?:BUILD FAILED|BUILD FAILURE|FAILURE: Build failed|build failed)\b",
        3.0,
        ANY,
    ),
    shape(r"(?i)\bfailed to execute goal\b", 3.0, ANY),
    shape(
        r"(?i)^\s*(?:FAILED|FAIL:|\[FAIL\]|FAIL|✗|×|✕|❌|✘)\s",
        3.0,
        ANY,
    ),
    shape(r"(?i)(?:^|\s)> Task \S+ FAILED", 3.0, ANY),
    shape(r"(?i)\bexecution failed for task\b", 3.0, ANY),
    shape(r"(?i)\bwhat went wrong\b", 2.0, ANY),
    shape(r"^npm ERR! ", 2.0, ANY),
    shape(r"^make(?:\[[0-9]+\])?: \*\*\* ", 2.0, ANY),
    shape(
        r"(?i)^\s*error Command failed with exit code [1-9]",
        2.0,
        ANY,
    ),
    // A message about a line of a file (`src/cart.js:12 Missing semicolon`): how compilers,
    // linters and test frameworks point at a problem.
    location(
        r"^\s*\.{0,2}/?[\w./-]+\.[A-Za-z]{1,5}:[0-9]+(?::[0-9]+)?:? +[A-Za-z`'\x22]",
        2.5,
        ANY,
    ),
    // xcpretty and other reporters mark each failure with a cross, wherever the line starts.
    shape(r"❌\s*\S|✘ \S", 3.5, ANY),
    // xcpretty's compile error: the cross, then the source file and position.
    shape(
        r"❌\s*\S+\.(?:swift|m|mm|h|c|cc|cpp):[0-9]+:[0-9]+: ",
        3.5,
        COMPILE,
    ),
    // ── exceptions and crashes ──
    block(r"(?i)\bTraceback \(most recent call last\)", 3.0, ANY, 16),
    shape(
        r"\b[A-Z][A-Za-z0-9_$.]*(?:Exception|Error)\b(?::|$)",
        2.5,
        ANY,
    ),
    shape(r"^\s*\*\* \([A-Z]\w+\)", 3.0, ANY),
    shape(r"^panic: ", 3.0, ANY),
    shape(
        r"(?i)\bsegmentation fault\b|\bcore dumped\b|\bkilled\b",
        2.0,
        ANY,
    ),
    shape(r"^\s*Error in ", 2.5, ANY),
    // ── exit statuses ──
    shape(
        r"(?i)\b(?:exit(?:ed)? (?:code|status)|returned (?:a )?non-zero exit status|status code) [1-9][0-9]*",
        2.0,
        ANY,
    ),
    shape(r"(?i)\bmarked build as failure\b", 1.5, ANY),
    shape(r"(?i)\bstep '.*' failed\b|\bfailed:", 1.5, ANY),
    // ── the word alone: weak evidence ──
    word_alone(
        r"(?i)\b(?:error|errors|failed|failure|fatal|exception)\b",
        1.0,
    ),
];
