//! Speed and memory of the analysis, each case beside ripgrep given the same catalog in the
//! same run, reported as ratios.
//!
//! `cargo bench --bench analysis` measures, with the release binary (`autoheal analyze --log
//! FILE --json`, one process per log, as a user or a workflow runs it) and `rg -c -i -f
//! patterns.txt FILE` (the catalog's regexes, one a line):
//!
//! - `start`: a 2-line log, where all there is to pay is starting (goal: autoheal ≤ 20 ms);
//! - `real_logs`: 40 real job logs of 10 KB–3 MB from `../shared/data` (a fixed spread of
//!   sizes), one process each (goal: total ≤ 0.5× ripgrep's); skipped, with the reason, when
//!   the data is absent;
//! - `generated`: a realistic raw GitHub job log of `AUTOHEAL_BENCH_MB` MiB (default 200);
//! - `near_misses`: as large, half of all lines near-misses (test names and messages that say
//!   "error" or "fail" without failing);
//! - `one_long_line`: as large, half of it one line of 100 MiB (a minified bundle echoed);
//!
//! (goal for the three large logs: ≤ 1.5× ripgrep's time, peak RSS < 64 MiB). The large logs
//! are generated once from fixed seeds and cached under `target/bench-data/`. Then it prints
//! the table of every case with its ratio and goal, and each large log's peak RSS (measured on
//! a child process: this bench binary run with `AUTOHEAL_BENCH_RSS=FILE`).

use std::fs::File;
use std::hint::black_box;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use autoheal::analysis::{Analyzer, JobContext};
use criterion::{Criterion, SamplingMode, Throughput};

const MIB: u64 = 1 << 20;
/// Bump when a generator changes, so cached logs are made anew.
const GENERATOR_VERSION: u32 = 2;
const GROUP: &str = "analysis";
/// The autoheal binary this bench was built with.
const AUTOHEAL: &str = env!("CARGO_BIN_EXE_autoheal");

/// One measured case: what autoheal and ripgrep each run, and the goal.
struct Case {
    name: String,
    what: String,
    files: Vec<PathBuf>,
    goal: Goal,
}

#[derive(Clone, Copy)]
enum Goal {
    /// autoheal's time per run at most this many seconds.
    Seconds(f64),
    /// autoheal's time at most this multiple of ripgrep's.
    Ratio(f64),
}

fn main() {
    if let Ok(path) = std::env::var("AUTOHEAL_BENCH_RSS") {
        // Child mode: analyse one file, report the peak resident set size.
        rss_child(Path::new(&path));
        return;
    }
    let args: Vec<String> = std::env::args().collect();
    let mb: u64 = std::env::var("AUTOHEAL_BENCH_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&n| n >= 4)
        .unwrap_or(200);
    let dir = data_dir();
    std::fs::create_dir_all(&dir).expect("create target/bench-data");
    // `autoheal analyze` without `--config` uses the default policy, whose
    // `failure_patterns` come before the catalog: ripgrep gets the same patterns.
    let defaults = autoheal::config::Policy::default().failure_patterns;
    let analyzer = Analyzer::new(&defaults).expect("the built-in catalog compiles");
    let patterns = write_patterns(&analyzer, &dir.join("patterns.txt"));
    let listing = args.iter().any(|a| a == "--list");

    let mut cases = Vec::new();
    let tiny = dir.join("two-lines.log");
    std::fs::write(&tiny, "Run make test\nmake: *** [test] Error 1\n").expect("write the log");
    cases.push(Case {
        name: "start".into(),
        what: "a 2-line log: the cost of starting".into(),
        files: vec![tiny],
        goal: Goal::Seconds(0.020),
    });
    let real = real_logs();
    match &real {
        Ok(files) => {
            let bytes: u64 = files.iter().map(|f| file_len(f)).sum();
            cases.push(Case {
                name: "real_logs".into(),
                what: format!(
                    "{} real job logs, 10 KB-3 MB ({:.1} MiB), one process each",
                    files.len(),
                    bytes as f64 / MIB as f64
                ),
                files: files.clone(),
                goal: Goal::Ratio(0.5),
            });
        }
        Err(reason) => println!("{GROUP}/real_logs: skipped: {reason}"),
    }
    if !listing {
        for (name, what, kind) in [
            ("generated", "a generated GitHub job log", Kind::Realistic),
            (
                "near_misses",
                "half the lines near-misses",
                Kind::NearMisses,
            ),
            (
                "one_long_line",
                "half of it one 100 MiB line",
                Kind::OneLongLine,
            ),
        ] {
            cases.push(Case {
                name: format!("{name}_{mb}mb"),
                what: format!("{mb} MiB, {what}"),
                files: vec![cached_log(&dir, mb * MIB, kind)],
                goal: Goal::Ratio(1.5),
            });
        }
    }
    let rg = ripgrep_usable(&patterns, &cases[0].files[0]);
    if let Err(reason) = &rg {
        println!("{GROUP}: the ripgrep side is skipped: {reason}");
    }

    let mut criterion = Criterion::default().sample_size(10).configure_from_args();
    if listing {
        for case in &cases {
            println!("{GROUP}/autoheal_{}: benchmark", case.name);
            println!("{GROUP}/ripgrep_{}: benchmark", case.name);
        }
        println!("{GROUP}/autoheal_new_analyzer: benchmark");
        return;
    }
    {
        let mut group = criterion.benchmark_group(GROUP);
        group
            .sample_size(10)
            .sampling_mode(SamplingMode::Flat)
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(8));
        for case in &cases {
            let bytes: u64 = case.files.iter().map(|f| file_len(f)).sum();
            group.throughput(Throughput::Bytes(bytes));
            group.bench_function(format!("autoheal_{}", case.name), |b| {
                b.iter(|| {
                    for file in &case.files {
                        autoheal_analyze(file);
                    }
                });
            });
            if rg.is_ok() {
                group.bench_function(format!("ripgrep_{}", case.name), |b| {
                    b.iter(|| {
                        for file in &case.files {
                            black_box(ripgrep_count(&patterns, file));
                        }
                    });
                });
            }
        }
        // In the console one analyzer serves every log: what building it costs.
        group.throughput(Throughput::Elements(1));
        group.sampling_mode(SamplingMode::Auto);
        group.bench_function("autoheal_new_analyzer", |b| {
            b.iter(|| black_box(Analyzer::new(&[]).expect("the catalog compiles")));
        });
        group.finish();
    }
    criterion.final_summary();

    // `cargo bench` passes `--bench`; without it criterion only tests that each runs.
    if !args.iter().any(|a| a == "--bench") || args.iter().any(|a| a == "--profile-time") {
        return;
    }
    summary(&cases, &rg);
    memory(&cases);
}

// ---- the measured operations ----------------------------------------------------------------

/// `autoheal analyze --log FILE --json`, as a user or a workflow runs it.
fn autoheal_analyze(file: &Path) {
    let out = Command::new(AUTOHEAL)
        .args(["analyze", "--json", "--log"])
        .arg(file)
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .output()
        .expect("run autoheal");
    assert!(
        out.status.success(),
        "autoheal analyze failed: {}",
        out.status
    );
    black_box(out.stdout.len());
}

fn file_len(path: &Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

/// 40 real job logs of 10 KB-3 MB from `../shared/data`: every failed log of that size,
/// sorted by size, taken at even steps, so small and large logs both count.
fn real_logs() -> Result<Vec<PathBuf>, String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data");
    if !root.is_dir() {
        return Err("../shared/data is absent".into());
    }
    let mut logs: Vec<(u64, PathBuf)> = Vec::new();
    let mut add = |path: PathBuf| {
        let len = file_len(&path);
        if (10_000..=3_000_000).contains(&len) {
            logs.push((len, path));
        }
    };
    for set in ["cidiff-breakages", "cidiff-terraform"] {
        for entry in std::fs::read_dir(root.join(set)).map_err(|e| e.to_string())? {
            let entry = entry.map_err(|e| e.to_string())?;
            add(entry.path().join("fail.log"));
        }
    }
    for entry in std::fs::read_dir(root.join("logchunks/logs")).map_err(|e| e.to_string())? {
        add(entry.map_err(|e| e.to_string())?.path());
    }
    logs.sort();
    if logs.len() < 40 {
        return Err(format!("only {} logs of 10 KB-3 MB", logs.len()));
    }
    let step = logs.len() as f64 / 40.0;
    Ok((0..40)
        .map(|i| logs[(i as f64 * step) as usize].1.clone())
        .collect())
}
/// `rg -c -i -f patterns FILE`: the count of lines any catalog regex matches.
fn ripgrep_count(patterns: &Path, file: &Path) -> u64 {
    let out = Command::new("rg")
        .args(["-c", "-i", "-f"])
        .arg(patterns)
        .arg(file)
        .stderr(Stdio::inherit())
        .output()
        .expect("run rg");
    // Exit 1 is "no match", 2 an error.
    assert!(
        out.status.code().is_some_and(|c| c < 2),
        "rg failed: {}",
        out.status
    );
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .unwrap_or(0)
}

/// ripgrep's version, when it is installed and accepts the patterns.
fn ripgrep_usable(patterns: &Path, sample: &Path) -> Result<String, String> {
    let version = match Command::new("rg").arg("--version").output() {
        Ok(v) if v.status.success() => String::from_utf8_lossy(&v.stdout)
            .lines()
            .next()
            .unwrap_or("ripgrep")
            .to_string(),
        _ => return Err("rg (ripgrep) is not installed: apt-get install ripgrep".into()),
    };
    let out = Command::new("rg")
        .args(["-c", "-i", "-f"])
        .arg(patterns)
        .arg(sample)
        .output()
        .map_err(|e| format!("cannot run rg: {e}"))?;
    if out.status.code().is_some_and(|c| c < 2) {
        Ok(version)
    } else {
        Err(format!(
            "rg rejects the patterns: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// The catalog's regexes, one a line, in a syntax every ripgrep accepts: named groups become
/// plain groups (older ripgrep knows no `(?<name>`, and one combined regex cannot repeat a
/// name).
fn write_patterns(analyzer: &Analyzer, path: &Path) -> PathBuf {
    let named = regex::Regex::new(r"\(\?P?<[A-Za-z_][A-Za-z0-9_]*>").expect("valid");
    let mut out = String::new();
    for source in analyzer.catalog().regex_sources() {
        out.push_str(&named.replace_all(source, "(?:"));
        out.push('\n');
    }
    std::fs::write(path, out).expect("write patterns.txt");
    path.to_path_buf()
}

// ---- the summary ------------------------------------------------------------------------------

/// The mean time of one iteration, in seconds, from criterion's saved estimates.
fn criterion_mean(bench: &str) -> Option<f64> {
    let path = target_dir()
        .join("criterion")
        .join(GROUP)
        .join(bench)
        .join("new")
        .join("estimates.json");
    let text = std::fs::read_to_string(path).ok()?;
    let json: serde_json::Value = serde_json::from_str(&text).ok()?;
    Some(json["mean"]["point_estimate"].as_f64()? / 1e9)
}

fn summary(cases: &[Case], rg: &Result<String, String>) {
    println!();
    println!(
        "summary ({}; autoheal {}, one process a log):",
        rg.as_deref().unwrap_or("no ripgrep"),
        env!("CARGO_PKG_VERSION")
    );
    println!(
        "{:<24} {:>10} {:>10} {:>7}  {:<22} case",
        "", "autoheal", "ripgrep", "ratio", "goal"
    );
    let secs = |t: Option<f64>| match t {
        Some(t) if t < 1.0 => format!("{:.1} ms", t * 1000.0),
        Some(t) => format!("{t:.2} s"),
        None => "n/a".into(),
    };
    for case in cases {
        let ours = criterion_mean(&format!("autoheal_{}", case.name));
        let theirs = rg
            .as_ref()
            .ok()
            .and_then(|_| criterion_mean(&format!("ripgrep_{}", case.name)));
        let ratio = match (ours, theirs) {
            (Some(a), Some(r)) => Some(a / r),
            _ => None,
        };
        let (goal, met) = match case.goal {
            Goal::Seconds(limit) => (
                format!("autoheal <= {:.0} ms", limit * 1000.0),
                ours.map(|t| t <= limit),
            ),
            Goal::Ratio(limit) => (format!("<= {limit}x ripgrep"), ratio.map(|r| r <= limit)),
        };
        let verdict = match met {
            Some(true) => "met",
            Some(false) => "NOT MET",
            None => "n/a",
        };
        println!(
            "{:<24} {:>10} {:>10} {:>7}  {:<22} {}",
            case.name,
            secs(ours),
            secs(theirs),
            ratio.map_or("n/a".into(), |r| format!("{r:.2}x")),
            format!("{goal}: {verdict}"),
            case.what,
        );
    }
    if let Some(t) = criterion_mean("autoheal_new_analyzer") {
        println!(
            "Analyzer::new (once per process or policy): {}",
            secs(Some(t))
        );
    }
}

/// Peak RSS of a child analysing each large log (goal < 64 MiB).
fn memory(cases: &[Case]) {
    let exe = std::env::current_exe().expect("own path");
    for case in cases
        .iter()
        .filter(|c| matches!(c.goal, Goal::Ratio(r) if r > 1.0))
    {
        let out = Command::new(&exe)
            .env("AUTOHEAL_BENCH_RSS", &case.files[0])
            .stderr(Stdio::inherit())
            .output()
            .expect("run the memory child");
        let text = String::from_utf8_lossy(&out.stdout);
        println!("memory: {}: {}", case.name, text.trim());
    }
}

fn rss_child(path: &Path) {
    let defaults = autoheal::config::Policy::default().failure_patterns;
    let analyzer = Analyzer::new(&defaults).expect("the built-in catalog compiles");
    let before = vm_hwm_kib();
    let start = Instant::now();
    let file = File::open(path).expect("open the log");
    let analysis = analyzer
        .analyze(file, &JobContext::default())
        .expect("read the log");
    let took = start.elapsed().as_secs_f64();
    let after = vm_hwm_kib();
    let bytes = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    let peak = after.map(|k| k as f64 / 1024.0);
    println!(
        "peak RSS {} MiB, goal < 64 MiB: {} (after building the analyzer {} MiB); {} lines, {} matches, {:.0} MiB/s",
        peak.map_or("n/a".into(), |m| format!("{m:.1}")),
        match peak {
            Some(m) if m < 64.0 => "met",
            Some(_) => "NOT MET",
            None => "n/a",
        },
        before.map_or("n/a".into(), |k| format!("{:.1}", k as f64 / 1024.0)),
        analysis.total_lines,
        analysis.matches_total,
        bytes as f64 / MIB as f64 / took,
    );
}

/// `VmHWM` (peak resident set size) from `/proc/self/status`, in KiB.
fn vm_hwm_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

// ---- the generated log ------------------------------------------------------------------------

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"))
}

fn data_dir() -> PathBuf {
    target_dir().join("bench-data")
}

/// The log of (at least) `bytes` bytes, generated once.
/// What a generated log is made of.
#[derive(Clone, Copy)]
enum Kind {
    /// pip, npm, cargo, pytest, jest, cmake and docker output; a failure now and then.
    Realistic,
    /// The same, with a near-miss after every line.
    NearMisses,
    /// Half realistic, half one line (a minified bundle a step echoed).
    OneLongLine,
}

fn cached_log(dir: &Path, bytes: u64, kind: Kind) -> PathBuf {
    let kind_name = match kind {
        Kind::Realistic => "github",
        Kind::NearMisses => "near-misses",
        Kind::OneLongLine => "one-long-line",
    };
    let name = format!("{kind_name}-v{GENERATOR_VERSION}-{}mb.log", bytes / MIB);
    let path = dir.join(name);
    if std::fs::metadata(&path).is_ok_and(|m| m.len() >= bytes) {
        return path;
    }
    let started = Instant::now();
    let tmp = path.with_extension("tmp");
    let file = File::create(&tmp).expect("create the log");
    let mut out = BufWriter::with_capacity(1 << 20, file);
    match kind {
        Kind::Realistic => LogGenerator::new(0x5EED_0FA1_1ED1_0600, 400).write(&mut out, bytes),
        Kind::NearMisses => LogGenerator::new(0x5EED_0FA1_1ED1_0601, 1).write(&mut out, bytes),
        Kind::OneLongLine => {
            let mut generator = LogGenerator::new(0x5EED_0FA1_1ED1_0602, 400);
            let n = generator.steps(&mut out, bytes / 2);
            generator.long_line(&mut out, bytes.saturating_sub(n + 4096));
            generator.failure(&mut out);
        }
    }
    out.flush().expect("write the log");
    drop(out);
    std::fs::rename(&tmp, &path).expect("rename the log");
    eprintln!(
        "generated {} ({:.1} MiB) in {:.1} s",
        path.display(),
        bytes as f64 / MIB as f64,
        started.elapsed().as_secs_f64()
    );
    path
}

/// splitmix64: small, fast, deterministic.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn chance(&mut self, one_in: u64) -> bool {
        self.below(one_in) == 0
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
}

const PY_PACKAGES: &[&str] = &[
    "requests",
    "urllib3",
    "certifi",
    "idna",
    "charset-normalizer",
    "pytest",
    "pluggy",
    "iniconfig",
    "packaging",
    "exceptiongroup",
    "tomli",
    "numpy",
    "pandas",
    "python-dateutil",
    "pytz",
    "six",
    "attrs",
    "pydantic",
    "pydantic-core",
    "typing-extensions",
    "sqlalchemy",
    "greenlet",
    "jinja2",
    "markupsafe",
    "click",
    "flask",
    "werkzeug",
    "itsdangerous",
    "coverage",
    "pytest-cov",
];
const NPM_PACKAGES: &[&str] = &[
    "inflight@1.0.6: This module is not supported, and leaks memory. Do not use it.",
    "glob@7.2.3: Glob versions prior to v9 are no longer supported",
    "rimraf@3.0.2: Rimraf versions prior to v4 are no longer supported",
    "abab@2.0.6: Use your platform's native atob() and btoa() methods instead",
    "domexception@4.0.0: Use your platform's native DOMException instead",
    "w3c-hr-time@1.0.2: Use your platform's native performance.now() and performance.timeOrigin.",
    "@humanwhocodes/config-array@0.11.14: Use @eslint/config-array instead",
];
const CRATES: &[&str] = &[
    "proc-macro2",
    "unicode-ident",
    "quote",
    "syn",
    "serde",
    "serde_derive",
    "libc",
    "memchr",
    "regex-syntax",
    "aho-corasick",
    "regex-automata",
    "regex",
    "thiserror",
    "thiserror-impl",
    "anyhow",
    "tokio",
    "mio",
    "bytes",
    "itoa",
    "ryu",
    "serde_json",
    "log",
    "cfg-if",
    "once_cell",
    "hashbrown",
    "indexmap",
    "clap_lex",
    "clap_builder",
    "clap",
    "shop-core",
];
const TEST_FILES: &[&str] = &[
    "tests/test_cart.py",
    "tests/test_checkout.py",
    "tests/test_fetch.py",
    "tests/api/test_orders.py",
    "tests/api/test_users.py",
    "tests/unit/test_pricing.py",
    "tests/unit/test_tax.py",
    "tests/integration/test_db.py",
];
const TEST_NAMES: &[&str] = &[
    "test_total",
    "test_add_item",
    "test_remove_item",
    "test_discount_applies",
    "test_empty_cart",
    "test_rounding",
    "test_fetch_price",
    "test_retry_on_timeout",
    "test_handles_missing_sku",
    "test_serialises_order",
];
const JS_TESTS: &[&str] = &[
    "src/components/Cart.test.tsx",
    "src/components/Checkout.test.tsx",
    "src/lib/price.test.ts",
    "src/lib/errors.test.ts",
    "src/api/orders.test.ts",
    "src/hooks/useCart.test.ts",
];
/// Lines that mention failure words without being failures (they reach the precise checks):
/// test names and messages that say "error" or "fail", passing.
const NEAR_MISSES: &[&str] = &[
    "tests/test_errors.py::test_error_page_renders PASSED                     [ 42%]",
    "tests/api/test_retry.py::test_fails_over_to_replica PASSED               [ 43%]",
    "--- PASS: TestParseError (0.00s)",
    "--- PASS: TestFailFast/invalid_input (0.01s)",
    "test parser::tests::reports_error_on_eof ... ok",
    "test retry::tests::gives_up_after_failure ... ok",
    "  ✓ shows an error when the request fails (31 ms)",
    "  ✓ does not fail on empty input (2 ms)",
    " PASS  src/lib/errors.test.ts (2.114 s)",
    "ok 17 - error handler returns 500 for a failed upstream",
    "[INFO] Tests run: 12, Failures: 0, Errors: 0, Skipped: 0, Time elapsed: 0.412 s - in com.acme.ErrorMapperTest",
    "DEBUG retry: attempt 1 of 3 after transient error, waiting 0.5s",
    "INFO  error budget remaining: 99.2% (0 failed requests)",
    "checking whether to enable fatal warnings... no",
    "   Compiling error-chain v0.12.4",
    "  Downloading error_prone_annotations-2.23.0.jar",
    "-- Performing Test COMPILER_SUPPORTS_AVX512 - Failed",
    "Test Suites: 0 failed, 48 passed, 48 total",
    "PASSED: test_handles_connection_failure_gracefully",
    "TestErrorHandling > returnsFailureResult() PASSED",
];
/// A few of them, sprinkled through a realistic log.
const BENIGN_WORDS: &[&str] = &[
    "  Downloading error-stack-parser-2.1.4.tgz",
    "  --> src/error.rs:41:9",
    "-- Performing Test COMPILER_SUPPORTS_AVX512 - Failed",
    " PASS  src/lib/errors.test.ts (2.114 s)",
    "  ✓ shows an error message when the request fails (31 ms)",
    "tests/test_errors.py::test_error_page_renders PASSED",
    "DEBUG retry: attempt 1 of 3 after transient error, waiting 0.5s",
    "checking whether to enable fatal warnings... no",
    "Test Suites: 0 failed, 48 passed, 48 total",
];
/// Failure lines sprinkled through the log (most are catalog hits).
const FAILURES: &[&str] = &[
    "npm ERR! code ECONNRESET",
    "npm ERR! network request to https://registry.npmjs.org/left-pad failed, reason: read ECONNRESET",
    "curl: (28) Operation timed out after 30001 milliseconds with 0 out of 0 bytes received",
    "E   ModuleNotFoundError: No module named 'requests'",
    "ImportError: cannot import name 'soft_unicode' from 'markupsafe'",
    "error[E0425]: cannot find value `total` in this scope",
    "error: could not compile `shop-core` (lib) due to 1 previous error",
    "FAILED tests/test_cart.py::test_total - AssertionError: assert 41 == 42",
    "WARNING: Retrying (Retry(total=4, connect=None, read=None, redirect=None, status=None)) after connection broken by 'ReadTimeoutError(\"HTTPSConnectionPool(host='pypi.org', port=443): Read timed out. (read timeout=15)\")': /simple/requests/",
    "fatal: unable to access 'https://github.com/acme/shop/': The requested URL returned error: 429",
    "Error: Cannot find module 'left-pad'",
    "java.lang.OutOfMemoryError: Java heap space",
    "Traceback (most recent call last):",
    "  File \"/home/runner/work/shop/shop/app.py\", line 3, in <module>",
    "ERROR: failed to solve: process \"/bin/sh -c npm ci\" did not complete successfully: exit code: 1",
    "Error response from daemon: toomanyrequests: You have reached your pull rate limit.",
    "##[warning]Node.js 16 actions are deprecated. Please update the following actions to use Node.js 20: actions/checkout@v3.",
    "src/cart.ts(12,7): error TS2322: Type 'string' is not assignable to type 'number'.",
    "thread 'main' panicked at src/main.rs:12:5:",
    "E       AssertionError: assert 41 == 42",
    "Error: The operation was canceled.",
    "No space left on device",
];

struct LogGenerator {
    rng: Rng,
    /// A near-miss follows one body line in this many.
    near_miss_one_in: u64,
    /// 100 ns ticks since 10:15:32.
    ticks: u64,
    line: String,
}

impl LogGenerator {
    fn new(seed: u64, near_miss_one_in: u64) -> Self {
        LogGenerator {
            rng: Rng(seed),
            near_miss_one_in,
            ticks: 1_234_567,
            line: String::with_capacity(512),
        }
    }

    /// Writes one line with its timestamp; returns its length.
    fn emit(&mut self, out: &mut impl Write, text: &str) -> u64 {
        // Lines come in bursts: mostly microseconds apart, sometimes seconds.
        self.ticks += if self.rng.chance(1000) {
            self.rng.below(20_000_000)
        } else {
            self.rng.below(2_000)
        };
        let t = self.ticks;
        let secs = 10 * 3600 + 15 * 60 + 32 + t / 10_000_000;
        let (h, m, s) = ((secs / 3600) % 24, (secs / 60) % 60, secs % 60);
        let frac = t % 10_000_000;
        self.line.clear();
        use std::fmt::Write as _;
        let _ = writeln!(
            self.line,
            "2025-11-20T{h:02}:{m:02}:{s:02}.{frac:07}Z {text}"
        );
        out.write_all(self.line.as_bytes()).expect("write the log");
        self.line.len() as u64
    }

    fn write(&mut self, out: &mut impl Write, target: u64) {
        self.steps(out, target);
        self.failure(out);
    }

    /// The runner's header and steps, up to `target` bytes; returns the bytes written.
    fn steps(&mut self, out: &mut impl Write, target: u64) -> u64 {
        let mut n = self.header(out);
        while n < target {
            let block = self.rng.below(100);
            n += match block {
                0..=17 => self.pip(out),
                18..=29 => self.npm(out),
                30..=49 => self.cargo(out),
                50..=74 => self.pytest(out),
                75..=84 => self.jest(out),
                85..=94 => self.cmake(out),
                _ => self.docker(out),
            };
        }
        n
    }

    /// One line of `bytes` bytes: a minified JavaScript bundle a step printed, with the
    /// words such code is full of (`Error`, `fail`), and no line break until its end.
    fn long_line(&mut self, out: &mut impl Write, bytes: u64) {
        const PIECES: &[&str] = &[
            "function(e,t){if(!e)throw new Error(\"invalid state\");return t(e)}",
            ",onError:function(n){return n.failed?r.reject(n):r.resolve(n)}",
            ";var a=Object.assign({},o,{retries:3,timeout:3e4});",
            ",e.exports={name:\"fetch\",version:\"2.6.7\"}",
            ";try{u()}catch(x){console.error(x)}finally{c=!1}",
        ];
        let mut line = String::with_capacity(1 << 16);
        line.push_str("2025-11-20T10:15:32.0000000Z ");
        let mut written = 0u64;
        while written < bytes {
            while line.len() < 1 << 16 {
                line.push_str(self.rng.pick(PIECES));
            }
            out.write_all(line.as_bytes()).expect("write the log");
            written += line.len() as u64;
            line.clear();
        }
        out.write_all(b"\n").expect("write the log");
    }

    /// A line of a step's output: now and then a benign failure word or a real failure line.
    fn body(&mut self, out: &mut impl Write, text: &str) -> u64 {
        let mut n = self.emit(out, text);
        if self.near_miss_one_in == 1 {
            let t = self.rng.pick(NEAR_MISSES);
            n += self.emit(out, t);
        } else if self.rng.chance(self.near_miss_one_in) {
            let t = self.rng.pick(BENIGN_WORDS);
            n += self.emit(out, t);
        }
        if self.rng.chance(8_000) {
            let t = self.rng.pick(FAILURES);
            n += self.emit(out, t);
        }
        n
    }

    fn group(&mut self, out: &mut impl Write, run: &str, env: &[&str]) -> u64 {
        let mut n = self.emit(out, &format!("##[group]Run {run}"));
        for e in env {
            n += self.emit(out, e);
        }
        n + self.emit(out, "##[endgroup]")
    }

    fn header(&mut self, out: &mut impl Write) -> u64 {
        let mut n = 0;
        for l in [
            "Current runner version: '2.321.0'",
            "##[group]Operating System",
            "Ubuntu",
            "22.04.5",
            "LTS",
            "##[endgroup]",
            "##[group]Runner Image",
            "Image: ubuntu-22.04",
            "Version: 20241117.1.0",
            "Included Software: https://github.com/actions/runner-images/blob/ubuntu22/20241117.1/images/ubuntu/Ubuntu2204-Readme.md",
            "##[endgroup]",
            "##[group]GITHUB_TOKEN Permissions",
            "Contents: read",
            "Metadata: read",
            "##[endgroup]",
            "Secret source: Actions",
            "Prepare workflow directory",
            "Prepare all required actions",
            "Getting action download info",
            "Download action repository 'actions/checkout@v4' (SHA:11bd71901bbe5b1630ceea73d27597364c9af683)",
            "Download action repository 'actions/setup-python@v5' (SHA:0b93645e9fea7318ecaed2b359559ac225c90a2b)",
            "Complete job name: test (3.12)",
            "##[group]Run actions/checkout@v4",
            "with:",
            "  repository: acme/shop",
            "  token: ***",
            "  ssh-strict: true",
            "  fetch-depth: 1",
            "##[endgroup]",
            "Syncing repository: acme/shop",
            "##[group]Getting Git version info",
            "Working directory is '/home/runner/work/shop/shop'",
            "[command]/usr/bin/git version",
            "git version 2.47.0",
            "##[endgroup]",
            "[command]/usr/bin/git init /home/runner/work/shop/shop",
            "Initialized empty Git repository in /home/runner/work/shop/shop/.git/",
            "[command]/usr/bin/git -c protocol.version=2 fetch --no-tags --prune --no-recurse-submodules --depth=1 origin +3f2a9c1d0e5b7a8c9d0e1f2a3b4c5d6e7f8a9b0c:refs/remotes/origin/main",
            "From https://github.com/acme/shop",
            " * [new ref]         3f2a9c1d0e5b7a8c9d0e1f2a3b4c5d6e7f8a9b0c -> origin/main",
        ] {
            n += self.emit(out, l);
        }
        n
    }

    fn pip(&mut self, out: &mut impl Write) -> u64 {
        let mut n = self.group(
            out,
            "pip install -r requirements.txt",
            &[
                "shell: /usr/bin/bash -e {0}",
                "env:",
                "  pythonLocation: /opt/hostedtoolcache/Python/3.12.7/x64",
                "  LD_LIBRARY_PATH: /opt/hostedtoolcache/Python/3.12.7/x64/lib",
            ],
        );
        let count = 5 + self.rng.below(25);
        for _ in 0..count {
            let p = self.rng.pick(PY_PACKAGES);
            let (a, b, c) = (self.rng.below(9), self.rng.below(30), self.rng.below(12));
            if self.rng.chance(3) {
                let t = format!(
                    "Requirement already satisfied: {p}>={a}.{b} in /opt/hostedtoolcache/Python/3.12.7/x64/lib/python3.12/site-packages (from -r requirements.txt (line {c})) ({a}.{b}.{c})"
                );
                n += self.body(out, &t);
                continue;
            }
            n += self.body(
                out,
                &format!("Collecting {p}=={a}.{b}.{c} (from -r requirements.txt (line {c}))"),
            );
            let kb = 10 + self.rng.below(9000);
            n += self.body(
                out,
                &format!("  Downloading {p}-{a}.{b}.{c}-py3-none-any.whl.metadata ({kb} kB)"),
            );
            // pip's progress bar: colour codes and box drawing, as with FORCE_COLOR.
            if self.rng.chance(4) {
                n += self.body(
                    out,
                    &format!("     \x1b[90m━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━\x1b[0m \x1b[32m{kb}.0/{kb}.0 kB\x1b[0m \x1b[31m45.3 MB/s\x1b[0m eta \x1b[36m0:00:00\x1b[0m"),
                );
            }
        }
        n += self.body(out, "Installing collected packages: urllib3, idna, charset-normalizer, certifi, requests, pytest");
        n + self.body(out, "Successfully installed certifi-2024.8.30 charset-normalizer-3.4.0 idna-3.10 requests-2.32.3 urllib3-2.2.3 pytest-8.3.3")
    }

    fn npm(&mut self, out: &mut impl Write) -> u64 {
        let mut n = self.group(out, "npm ci", &["shell: /usr/bin/bash -e {0}"]);
        let count = 3 + self.rng.below(8);
        for _ in 0..count {
            let d = self.rng.pick(NPM_PACKAGES);
            n += self.body(out, &format!("npm warn deprecated {d}"));
        }
        let pkgs = 800 + self.rng.below(900);
        n += self.body(
            out,
            &format!(
                "added {pkgs} packages, and audited {} packages in 23s",
                pkgs + 1
            ),
        );
        n += self.body(out, "");
        n += self.body(
            out,
            &format!("{} packages are looking for funding", pkgs / 6),
        );
        n += self.body(out, "  run `npm fund` for details");
        n += self.body(out, "");
        n + self.body(out, "found 0 vulnerabilities")
    }

    fn cargo(&mut self, out: &mut impl Write) -> u64 {
        let mut n = self.group(
            out,
            "cargo build --release --locked",
            &[
                "shell: /usr/bin/bash -e {0}",
                "env:",
                "  CARGO_TERM_COLOR: always",
            ],
        );
        let count = 10 + self.rng.below(40);
        for _ in 0..count {
            let c = self.rng.pick(CRATES);
            let (a, b) = (self.rng.below(3), self.rng.below(200));
            n += self.body(
                out,
                &format!("\x1b[1m\x1b[92m   Compiling\x1b[0m {c} v{a}.{b}.0"),
            );
            if self.rng.chance(30) {
                n += self.body(out, "\x1b[0m\x1b[1m\x1b[33mwarning\x1b[0m\x1b[0m\x1b[1m: unused variable: `item`\x1b[0m");
                n += self.body(out, "\x1b[0m  \x1b[0m\x1b[0m\x1b[1m\x1b[38;5;12m--> \x1b[0m\x1b[0msrc/cart.rs:41:9\x1b[0m");
                n += self.body(out, "\x1b[0m   \x1b[0m\x1b[0m\x1b[1m\x1b[38;5;12m|\x1b[0m");
                n += self.body(out, "\x1b[0m   \x1b[0m\x1b[0m\x1b[1m\x1b[38;5;12m= \x1b[0m\x1b[0m\x1b[1mnote\x1b[0m\x1b[0m: `#[warn(unused_variables)]` on by default");
            }
        }
        n + self.body(
            out,
            "\x1b[1m\x1b[92m    Finished\x1b[0m `release` profile [optimized] target(s) in 1m 02s",
        )
    }

    fn pytest(&mut self, out: &mut impl Write) -> u64 {
        let mut n = self.group(
            out,
            "pytest -v",
            &[
                "shell: /usr/bin/bash -e {0}",
                "env:",
                "  pythonLocation: /opt/hostedtoolcache/Python/3.12.7/x64",
            ],
        );
        n += self.body(
            out,
            "============================= test session starts ==============================",
        );
        n += self.body(out, "platform linux -- Python 3.12.7, pytest-8.3.3, pluggy-1.5.0 -- /opt/hostedtoolcache/Python/3.12.7/x64/bin/python");
        n += self.body(out, "rootdir: /home/runner/work/shop/shop");
        let count = 50 + self.rng.below(400);
        n += self.body(out, &format!("collecting ... collected {count} items"));
        n += self.body(out, "");
        let colour = self.rng.chance(3);
        for i in 0..count {
            let f = self.rng.pick(TEST_FILES);
            let t = self.rng.pick(TEST_NAMES);
            let case = self.rng.below(64);
            let pct = (i + 1) * 100 / count;
            let outcome = if self.rng.chance(50) {
                "SKIPPED"
            } else {
                "PASSED"
            };
            let line = if colour {
                format!(
                    "{f}::{t}[case-{case}] \x1b[32m{outcome}\x1b[0m\x1b[32m                              [{pct:3}%]\x1b[0m"
                )
            } else {
                format!("{f}::{t}[case-{case}] {outcome}                              [{pct:3}%]")
            };
            n += self.body(out, &line);
        }
        n += self.body(out, "");
        n + self.body(
            out,
            &format!("============================= {count} passed in 42.17s ============================="),
        )
    }

    fn jest(&mut self, out: &mut impl Write) -> u64 {
        let mut n = self.group(out, "npx jest --ci", &["shell: /usr/bin/bash -e {0}"]);
        let files = 3 + self.rng.below(12);
        for _ in 0..files {
            let f = self.rng.pick(JS_TESTS);
            let (secs, ms) = (self.rng.below(9), self.rng.below(1000));
            n += self.body(out, &format!("PASS {f} ({secs}.{ms:03} s)"));
            for _ in 0..(2 + self.rng.below(10)) {
                let t = self.rng.pick(TEST_NAMES);
                let ms = self.rng.below(300);
                n += self.body(out, &format!("  ✓ {t} ({ms} ms)"));
            }
        }
        n += self.body(out, "");
        n += self.body(out, &format!("Test Suites: {files} passed, {files} total"));
        n + self.body(out, "Tests:       184 passed, 184 total")
    }

    fn cmake(&mut self, out: &mut impl Write) -> u64 {
        let mut n = self.group(
            out,
            "cmake --build build -j 2",
            &["shell: /usr/bin/bash -e {0}"],
        );
        let count = 20 + self.rng.below(80);
        for i in 0..count {
            let pct = i * 100 / count;
            let src = self
                .rng
                .pick(&["cart", "checkout", "price", "tax", "order", "user", "db"]);
            n += match self.rng.below(4) {
                0 => self.body(out, &format!("[{pct:3}%] Building CXX object src/CMakeFiles/shop.dir/{src}.cpp.o")),
                1 => self.body(out, &format!("/usr/bin/c++ -DNDEBUG -I/home/runner/work/shop/shop/include -O3 -Wall -Wextra -std=gnu++17 -o CMakeFiles/shop.dir/{src}.cpp.o -c /home/runner/work/shop/shop/src/{src}.cpp")),
                2 => self.body(out, "make[2]: Entering directory '/home/runner/work/shop/shop/build'"),
                _ => self.body(out, &format!("-- Looking for {src}.h - found")),
            };
        }
        n + self.body(out, "[100%] Built target shop")
    }

    fn docker(&mut self, out: &mut impl Write) -> u64 {
        let mut n = self.group(
            out,
            "docker build -t shop:ci .",
            &["shell: /usr/bin/bash -e {0}"],
        );
        let step = 1 + self.rng.below(20);
        n += self.body(out, &format!("#{step} [builder 4/9] RUN apt-get update && apt-get install -y --no-install-recommends build-essential"));
        for i in 0..(5 + self.rng.below(40)) {
            let (kb, secs, ms) = (
                self.rng.below(9000),
                self.rng.below(60),
                self.rng.below(1000),
            );
            n += self.body(out, &format!("#{step} {secs}.{ms:03} Get:{i} http://archive.ubuntu.com/ubuntu jammy-updates/main amd64 libc6-dev amd64 2.35-0ubuntu3.8 [{kb} kB]"));
        }
        let (secs, tenths) = (self.rng.below(60), self.rng.below(10));
        n + self.body(out, &format!("#{step} DONE {secs}.{tenths}s"))
    }

    /// The real failure, near the end, and the runner's epilogue.
    fn failure(&mut self, out: &mut impl Write) {
        for l in [
            "##[group]Run pytest",
            "pytest",
            "shell: /usr/bin/bash -e {0}",
            "##[endgroup]",
            "============================= test session starts ==============================",
            "collected 812 items",
            "",
            "tests/test_fetch.py F                                                    [  1%]",
            "",
            "=================================== FAILURES ===================================",
            "_______________________________ test_fetch_price _______________________________",
            "",
            "    def test_fetch_price():",
            ">       assert fetch_price(\"sku-1\") == 42",
            "E       ModuleNotFoundError: No module named 'requests'",
            "",
            "tests/test_fetch.py:12: ModuleNotFoundError",
            "=========================== short test summary info ============================",
            "FAILED tests/test_fetch.py::test_fetch_price - ModuleNotFoundError: No module named 'requests'",
            "========================= 1 failed, 811 passed in 42.17s =========================",
            "##[error]Process completed with exit code 1.",
            "Post job cleanup.",
            "[command]/usr/bin/git version",
            "git version 2.47.0",
            "Cleaning up orphan processes",
        ] {
            self.emit(out, l);
        }
    }
}
