//! Speed and memory of the streaming analysis, against ripgrep on the same file.
//!
//! `cargo bench --bench analysis` generates (once, cached under `target/bench-data/`) a
//! realistic raw GitHub job log of `AUTOHEAL_BENCH_MB` MiB (default 200), then measures:
//!
//! - `autoheal_analyze_<N>mb`: `Analyzer::analyze` over the file, the whole catalog;
//! - `ripgrep_count_<N>mb`: `rg -c -i -f patterns.txt FILE`, the catalog's regexes, one a line
//!   (skipped, with the reason printed, when `rg` is not installed);
//! - `autoheal_analyze_small`: a 100 KiB log, the common case;
//! - `ripgrep_count_small` and `autoheal_new_analyzer`: the fixed costs (ripgrep compiles
//!   its patterns in every run; autoheal builds its analyzer once per process).
//!
//! Then it prints a summary (MiB/s of each, the ratio autoheal/ripgrep) and the peak RSS of a
//! child process analysing a 20 MiB and the N MiB log, to show that memory does not grow with
//! the log. The child is this same binary, run with `AUTOHEAL_BENCH_RSS=FILE`.

use std::fs::File;
use std::hint::black_box;
use std::io::{BufRead, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use autoheal::analysis::{Analyzer, JobContext};
use criterion::{Criterion, SamplingMode, Throughput};

const MIB: u64 = 1 << 20;
/// Bump when the generator changes, so cached logs are made anew.
const GENERATOR_VERSION: u32 = 1;
const GROUP: &str = "analysis";

fn main() {
    if let Ok(path) = std::env::var("AUTOHEAL_BENCH_RSS") {
        // Child mode: analyse one file, report the peak resident set size.
        rss_child(Path::new(&path));
        return;
    }
    let args: Vec<String> = std::env::args().collect();
    let listing = args.iter().any(|a| a == "--list");
    let mb: u64 = std::env::var("AUTOHEAL_BENCH_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&n| n > 0)
        .unwrap_or(200);
    let big_name = format!("autoheal_analyze_{mb}mb");
    let rg_name = format!("ripgrep_count_{mb}mb");
    let mut criterion = Criterion::default().sample_size(10).configure_from_args();
    if listing {
        println!("{GROUP}/{big_name}: benchmark");
        println!("{GROUP}/{rg_name}: benchmark");
        for name in [
            "autoheal_analyze_small",
            "ripgrep_count_small",
            "autoheal_new_analyzer",
        ] {
            println!("{GROUP}/{name}: benchmark");
        }
        return;
    }

    let dir = data_dir();
    std::fs::create_dir_all(&dir).expect("create target/bench-data");
    let analyzer = Analyzer::new(&[]).expect("the built-in catalog compiles");
    let patterns = write_patterns(&analyzer, &dir.join("patterns.txt"));
    let big = cached_log(&dir, mb * MIB);
    let small = cached_log(&dir, 100 * 1024);
    let big_len = std::fs::metadata(&big).expect("stat").len();
    let small_len = std::fs::metadata(&small).expect("stat").len();
    let rg = ripgrep_usable(&patterns, &small);

    {
        let mut group = criterion.benchmark_group(GROUP);
        group
            .sample_size(10)
            .sampling_mode(SamplingMode::Flat)
            .warm_up_time(Duration::from_secs(2))
            .measurement_time(Duration::from_secs(10))
            .throughput(Throughput::Bytes(big_len));
        group.bench_function(&big_name, |b| {
            b.iter(|| analyze_file(&analyzer, &big));
        });
        match &rg {
            Ok(_) => {
                group.bench_function(&rg_name, |b| {
                    b.iter(|| black_box(ripgrep_count(&patterns, &big)));
                });
            }
            Err(reason) => println!("{GROUP}/{rg_name}: skipped: {reason}"),
        }
        group.throughput(Throughput::Bytes(small_len));
        group.sampling_mode(SamplingMode::Auto);
        group.measurement_time(Duration::from_secs(5));
        group.bench_function("autoheal_analyze_small", |b| {
            b.iter(|| analyze_file(&analyzer, &small));
        });
        // Fixed costs: ripgrep compiles the patterns on every run; autoheal builds its
        // analyzer once per process and reuses it for every log.
        if rg.is_ok() {
            group.bench_function("ripgrep_count_small", |b| {
                b.iter(|| black_box(ripgrep_count(&patterns, &small)));
            });
        }
        group.throughput(Throughput::Elements(1));
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
    summary(&big_name, &rg_name, big_len, &rg);
    composition(&big);
    memory(&dir, &big, mb);
}

// ---- the measured operations ----------------------------------------------------------------

fn analyze_file(analyzer: &Analyzer, path: &Path) {
    let file = File::open(path).expect("open the log");
    let analysis = analyzer
        .analyze(file, &JobContext::default())
        .expect("read the log");
    black_box(analysis);
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

fn summary(big_name: &str, rg_name: &str, bytes: u64, rg: &Result<String, String>) {
    let mib = bytes as f64 / MIB as f64;
    let ours = criterion_mean(big_name);
    let theirs = if rg.is_ok() {
        criterion_mean(rg_name)
    } else {
        None
    };
    let rate = |t: Option<f64>| t.map_or("n/a".to_string(), |t| format!("{:.0} MiB/s", mib / t));
    let ratio = match (ours, theirs) {
        (Some(a), Some(r)) => format!("{:.2}x ripgrep's time", a / r),
        _ => "n/a".into(),
    };
    let secs = |t: Option<f64>| t.map_or("n/a".into(), |t| format!("{t:.3} s"));
    println!();
    println!(
        "summary: {mib:.0} MiB log: autoheal {} ({}), ripgrep {} ({}), autoheal/ripgrep {ratio} (goal <= 1.5x); {}",
        rate(ours),
        secs(ours),
        rate(theirs),
        secs(theirs),
        rg.as_deref().unwrap_or("no ripgrep"),
    );
    // What each side pays once: rg compiles its patterns in every process (its time on a
    // 100 KiB log), autoheal builds the analyzer once and reuses it.
    let rg_fixed = rg
        .as_ref()
        .ok()
        .and_then(|_| criterion_mean("ripgrep_count_small"));
    let new = criterion_mean("autoheal_new_analyzer");
    let cold = match (ours, new, theirs) {
        (Some(a), Some(n), Some(r)) => format!("{:.2}x", (a + n) / r),
        _ => "n/a".into(),
    };
    let scan_only = match (ours, theirs, rg_fixed) {
        (Some(a), Some(r), Some(f)) if r > f => format!("{:.2}x", a / (r - f)),
        _ => "n/a".into(),
    };
    println!(
        "fixed costs: ripgrep's start-up {} per run, Analyzer::new {} once; autoheal/ripgrep with Analyzer::new counted {cold}, against ripgrep's scan alone {scan_only}",
        secs(rg_fixed),
        secs(new),
    );
}

/// Lines, coloured lines and failure-looking lines of the generated log, to judge its mix.
fn composition(path: &Path) {
    let mut reader = std::io::BufReader::new(File::open(path).expect("open the log"));
    let (mut lines, mut coloured, mut words) = (0u64, 0u64, 0u64);
    let weak = regex::bytes::Regex::new(r"(?i)\b(?:error|errors|failed|failure|fatal|exception)\b")
        .expect("valid");
    let mut line = Vec::new();
    while reader.read_until(b'\n', &mut line).expect("read the log") > 0 {
        lines += 1;
        coloured += u64::from(memchr::memchr(0x1b, &line).is_some());
        words += u64::from(weak.is_match(&line));
        line.clear();
    }
    let pct = |n: u64| 100.0 * n as f64 / lines.max(1) as f64;
    println!(
        "log: {lines} lines, {:.1}% with colour codes, {:.2}% with a failure word",
        pct(coloured),
        pct(words)
    );
}

/// Peak RSS of a child analysing a 20 MiB log and the big one.
fn memory(dir: &Path, big: &Path, mb: u64) {
    let exe = std::env::current_exe().expect("own path");
    let mut sizes = vec![(20, cached_log(dir, 20 * MIB))];
    if mb != 20 {
        sizes.push((mb, big.to_path_buf()));
    }
    for (size, path) in sizes {
        let out = Command::new(&exe)
            .env("AUTOHEAL_BENCH_RSS", &path)
            .stderr(Stdio::inherit())
            .output()
            .expect("run the memory child");
        let text = String::from_utf8_lossy(&out.stdout);
        println!("memory: {size} MiB log: {}", text.trim());
    }
}

fn rss_child(path: &Path) {
    let analyzer = Analyzer::new(&[]).expect("the built-in catalog compiles");
    let before = vm_hwm_kib();
    let start = Instant::now();
    let file = File::open(path).expect("open the log");
    let analysis = analyzer
        .analyze(file, &JobContext::default())
        .expect("read the log");
    let took = start.elapsed().as_secs_f64();
    let after = vm_hwm_kib();
    let bytes = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    println!(
        "peak RSS {} MiB (after building the analyzer {} MiB); {} lines, {} matches, {:.0} MiB/s",
        after.map_or("n/a".into(), |k| format!("{:.1}", k as f64 / 1024.0)),
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
fn cached_log(dir: &Path, bytes: u64) -> PathBuf {
    let name = if bytes % MIB == 0 {
        format!("github-log-v{GENERATOR_VERSION}-{}mb.log", bytes / MIB)
    } else {
        format!("github-log-v{GENERATOR_VERSION}-{}kb.log", bytes / 1024)
    };
    let path = dir.join(name);
    if std::fs::metadata(&path).is_ok_and(|m| m.len() >= bytes) {
        return path;
    }
    let started = Instant::now();
    let tmp = path.with_extension("tmp");
    let file = File::create(&tmp).expect("create the log");
    let mut out = BufWriter::with_capacity(1 << 20, file);
    LogGenerator::new(0x5EED_0FA1_1ED1_0600).write(&mut out, bytes);
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
/// Lines that mention failure words without being failures (they reach the precise checks).
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
    /// 100 ns ticks since 10:15:32.
    ticks: u64,
    line: String,
}

impl LogGenerator {
    fn new(seed: u64) -> Self {
        LogGenerator {
            rng: Rng(seed),
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
        self.failure(out);
    }

    /// A line of a step's output: now and then a benign failure word or a real failure line.
    fn body(&mut self, out: &mut impl Write, text: &str) -> u64 {
        let mut n = self.emit(out, text);
        if self.rng.chance(400) {
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
