//! Analyses one log file with the built-in catalog and prints what it found, how fast, and
//! the process's peak resident set size (`VmHWM`), which must not grow with the log.
//!
//! ```sh
//! cargo run --release --example analyze_file -- target/bench-data/github-log-v1-200mb.log
//! ```

use std::fs::File;
use std::time::Instant;

use autoheal::analysis::{Analyzer, JobContext};

fn main() -> anyhow::Result<()> {
    let Some(path) = std::env::args().nth(1) else {
        anyhow::bail!("usage: analyze_file LOG");
    };
    let analyzer = Analyzer::new(&[]).map_err(anyhow::Error::msg)?;
    let ready = vm_hwm_kib();
    let started = Instant::now();
    let analysis = analyzer.analyze(File::open(&path)?, &JobContext::default())?;
    let took = started.elapsed().as_secs_f64();
    let mib = std::fs::metadata(&path)?.len() as f64 / f64::from(1 << 20);
    println!(
        "{path}: {mib:.1} MiB, {} lines, {} matches, category {}, primary {}",
        analysis.total_lines,
        analysis.matches_total,
        analysis.category,
        analysis.primary.as_ref().map_or("none".into(), |m| format!(
            "{} (line {})",
            m.pattern, m.line
        )),
    );
    println!("time: {took:.3} s, {:.0} MiB/s", mib / took);
    let show = |k: Option<u64>| k.map_or("n/a".into(), |k| format!("{:.1} MiB", k as f64 / 1024.0));
    println!(
        "peak RSS (VmHWM): {} (after building the analyzer: {})",
        show(vm_hwm_kib()),
        show(ready)
    );
    Ok(())
}

/// `VmHWM` (peak resident set size) from `/proc/self/status`, in KiB (Linux only).
fn vm_hwm_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
