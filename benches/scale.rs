//! The console at organisation scale, within GitHub's real limits: `cargo bench --bench scale`.
//!
//! `autoheal sim --org acme` serves a generated organisation (`AUTOHEAL_SCALE_REPOS`
//! repositories, 200 by default, of `AUTOHEAL_SCALE_RUNS` failed runs each, 30 by default) in
//! a process of its own; the organisation's repositories are listed as `--org` lists them, and
//! the console's own parts run against them in this process for
//! `AUTOHEAL_SCALE_SECS` seconds (120): its pollers and explainers (the effect runner), its
//! `update` loop fed once a second with a tick, and a client paced as against github.com
//! (`forge::scheduler`'s defaults). The simulator counts every request it answers.
//!
//! It reports, each beside the goal: the first rows listed, every run listed, the
//! newest failure of every repository explained, a run the user selects (not yet explained)
//! explained after the key, the most requests in any minute, and the peak resident memory of
//! this process: the console's. Not a criterion benchmark: one long run, measured.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use autoheal::forge::{GitHub, RetryPolicy, Secret};
use autoheal::tui::action::Action;
use autoheal::tui::app::App;
use autoheal::tui::keymap::Keymap;
use autoheal::tui::update::update;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

#[path = "../tests/it/common/mod.rs"]
mod common;
use common::terminal::SimProcess;

/// The bytes the console holds on the heap, now and at most: what it keeps alive, apart from
/// what the allocator keeps around it (RSS).
mod heap {
    use std::alloc::{GlobalAlloc, Layout, System};
    use std::sync::atomic::{AtomicUsize, Ordering};

    pub struct Counting;
    static LIVE: AtomicUsize = AtomicUsize::new(0);
    static PEAK: AtomicUsize = AtomicUsize::new(0);

    unsafe impl GlobalAlloc for Counting {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            // SAFETY: the same contract as `System.alloc`.
            let p = unsafe { System.alloc(layout) };
            if !p.is_null() {
                let live = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
                PEAK.fetch_max(live, Ordering::Relaxed);
            }
            p
        }

        unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
            // SAFETY: the same contract as `System.dealloc`.
            unsafe { System.dealloc(ptr, layout) };
            LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        }
    }

    /// (now, peak) in MiB.
    pub fn mib() -> (f64, f64) {
        let m = |b: usize| b as f64 / (1024.0 * 1024.0);
        (
            m(LIVE.load(Ordering::Relaxed)),
            m(PEAK.load(Ordering::Relaxed)),
        )
    }
}

#[global_allocator]
static ALLOCATOR: heap::Counting = heap::Counting;

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A figure of `/proc/self/status` in MiB: `VmHWM` (the peak) or `VmRSS` (now).
fn status_mib(field: &str) -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// When each thing first happened, in seconds from the start.
#[derive(Default)]
struct Seen {
    first_rows: Option<f64>,
    all_listed: Option<f64>,
    newest_explained: Option<f64>,
    selected_after_key: Option<f64>,
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--list") || !args.iter().any(|a| a == "--bench") {
        // `cargo test --benches` runs benches once as tests: this one is too long for that.
        return;
    }
    let repos = env_or("AUTOHEAL_SCALE_REPOS", 200) as usize;
    let runs = env_or("AUTOHEAL_SCALE_RUNS", 30) as usize;
    let secs = env_or("AUTOHEAL_SCALE_SECS", 120);
    let scratch = std::env::temp_dir().join(format!("autoheal-bench-scale-{}", std::process::id()));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    // The simulator in a process of its own, so that this process's memory is the console's.
    std::fs::create_dir_all(&scratch).expect("a scratch directory");
    let sim = Arc::new(SimProcess::start_with(
        &scratch,
        &[
            "--org",
            "acme",
            "--repos",
            &repos.to_string(),
            "--failed-per-repo",
            &runs.to_string(),
        ],
    ));
    let seen = rt.block_on(async {
        // Paced as against github.com: the point of this benchmark.
        let gh = Arc::new(
            GitHub::new(&sim.url, Some(&Secret::new("t")), RetryPolicy::default()).expect("client"),
        );
        // The clock starts as the user's does: before the organisation is listed, as the
        // console's `--org acme` lists it (each repository's activity told by its first poll).
        let started = Instant::now();
        let names =
            autoheal::engine::scan::org_candidates(gh.as_ref(), "acme", &Default::default())
                .await
                .expect("the organisation's repositories");
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let runner = autoheal::tui::effects::Runner {
            limit: runs,
            unproven: Arc::new(std::sync::Mutex::new(names.iter().cloned().collect())),
            active_days: 30,
            ..autoheal::tui::effects::Runner::new(gh.clone(), tx.clone(), names.clone(), &scratch)
        };
        let (keymap, _) = Keymap::new(&Default::default());
        let mut app = App::new(names.clone(), keymap, Duration::from_secs(30));
        app.size = (200, 50);
        app.status.polling = names.len();
        runner.start_pollers(&names, Duration::from_secs(30));
        runner.start_explainers(autoheal::tui::effects::EXPLAINERS);
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        // GitHub's API, not the storage its log downloads are redirected to (nor the request
        // log itself): the count, and how many were answered 304.
        let api_requests = |sim: &SimProcess| {
            let all = sim.requests();
            let api: Vec<&serde_json::Value> = all
                .as_array()
                .into_iter()
                .flatten()
                .filter(|r| r["path"].as_str().is_some_and(|p| !p.starts_with("/_sim/")))
                .collect();
            let not_modified = api.iter().filter(|r| r["status"] == 304).count();
            (api.len(), not_modified)
        };
        let mut seen = Seen::default();
        let mut waiting_for: Option<(autoheal::tui::action::RunKey, Instant)> = None;
        while started.elapsed() < Duration::from_secs(secs) {
            let action = tokio::select! {
                Some(a) = rx.recv() => a,
                _ = tick.tick() => Action::Tick,
            };
            let mut effects = update(&mut app, action);
            while let Ok(a) = rx.try_recv() {
                effects.extend(update(&mut app, a));
            }
            for e in autoheal::tui::action::coalesce_drafts(effects) {
                runner.run(e);
            }
            let t = started.elapsed().as_secs_f64();
            if seen.first_rows.is_none() && !app.rows.is_empty() {
                seen.first_rows = Some(t);
            }
            if seen.all_listed.is_none() && app.polled_once.len() == names.len() {
                seen.all_listed = Some(t);
            }
            if seen.newest_explained.is_none() && seen.all_listed.is_some() {
                let mut newest = std::collections::HashMap::new();
                for row in &app.rows {
                    let entry = newest.entry(row.key.repo.clone()).or_insert(row);
                    if row.run.created_at > entry.run.created_at {
                        *entry = row;
                    }
                }
                if newest.len() == names.len() && newest.values().all(|r| r.prepared.is_some()) {
                    seen.newest_explained = Some(t);
                }
            }
            // Once every run is listed, the user moves onto a run not yet explained.
            if waiting_for.is_none()
                && seen.selected_after_key.is_none()
                && seen.all_listed.is_some()
            {
                let listing = app.listing();
                // Far down the list (the explainers start at its top), below a row to move from.
                let from = listing.rows.len() / 2;
                if let Some(pos) = (from.max(1)..listing.rows.len())
                    .find(|&p| app.rows[listing.rows[p]].prepared.is_none())
                {
                    app.selected = pos - 1;
                    app.touched = true;
                    let key = app.rows[listing.rows[pos]].key.clone();
                    drop(listing);
                    let effects = update(
                        &mut app,
                        Action::Key(KeyEvent::new(KeyCode::Char('j'), KeyModifiers::NONE)),
                    );
                    for e in effects {
                        runner.run(e);
                    }
                    waiting_for = Some((key, Instant::now()));
                }
            }
            if let Some((key, since)) = &waiting_for
                && app
                    .rows
                    .iter()
                    .any(|r| &r.key == key && (r.prepared.is_some() || r.explain_error.is_some()))
            {
                seen.selected_after_key = Some(since.elapsed().as_secs_f64());
                waiting_for = None;
            }
        }
        let explained = app.rows.iter().filter(|r| r.prepared.is_some()).count();
        let listed = app.rows.len();
        // The most requests that arrived within any minute, by the time each arrived (as
        // GitHub counts them; an answer can leave a busy simulator seconds later).
        let mut arrivals: Vec<i64> = sim
            .requests()
            .as_array()
            .into_iter()
            .flatten()
            .filter(|r| r["path"].as_str().is_some_and(|p| !p.starts_with("/_sim/")))
            .filter_map(|r| r["arrived_ms"].as_i64())
            .collect();
        arrivals.sort_unstable();
        let mut busiest = 0;
        let mut first = 0;
        for (last, at) in arrivals.iter().enumerate() {
            while at - arrivals[first] >= 60_000 {
                first += 1;
            }
            busiest = busiest.max(last + 1 - first);
        }
        let (total, not_modified) = api_requests(&sim);
        let distinct: HashSet<_> = app.rows.iter().map(|r| r.key.repo.clone()).collect();
        println!(
            "organisation: {} repositories x {runs} failed runs, {secs} s, paced as github.com",
            names.len()
        );
        println!(
            "  rows listed at the end: {listed} in {} repositories; runs explained: {explained}",
            distinct.len()
        );
        println!(
            "  requests: {total} ({not_modified} answered 304); the busiest minute: {busiest} \
             (goal <= 600)"
        );
        seen
    });
    let show = |what: &str, t: Option<f64>, goal: f64| {
        let figure = t.map_or("not within the run".to_string(), |t| format!("{t:.1} s"));
        let verdict = match t {
            Some(t) if t <= goal => "met",
            _ => "NOT MET",
        };
        println!("  {what:<48}{figure:>20}  (goal <= {goal} s: {verdict})");
    };
    show("first rows shown", seen.first_rows, 2.0);
    show("every repository listed", seen.all_listed, 30.0);
    show(
        "the newest failure of every repository explained",
        seen.newest_explained,
        60.0,
    );
    show(
        "a selected run explained after the key",
        seen.selected_after_key,
        1.0,
    );
    match status_mib("VmHWM:") {
        Some(peak) => println!(
            "  peak RSS of the console {peak:.0} MiB, the simulator in its own process \
             (goal <= 250 MiB: {})",
            if peak <= 250.0 { "met" } else { "NOT MET" }
        ),
        None => println!("  peak RSS: not available on this system"),
    }
    let (live, peak) = heap::mib();
    println!("  heap in use at the end {live:.0} MiB, at most {peak:.0} MiB");
    drop(sim);
    let _ = std::fs::remove_dir_all(&scratch);
}
