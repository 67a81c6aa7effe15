//! Speed of the console: what one frame costs with a large list and a large log, how long a
//! key takes to show, and how long the demo takes to show its first frame.
//!
//! `cargo bench --bench console` starts the built-in demo simulator, analyses its failed runs
//! (`heal::prepare`, as the console's effects do), builds from them an [`App`] holding
//! `RUNS` (10,000) failed runs of one repository, every one analysed, and a full-log view of
//! `LOG_LINES` (100,000) lines made of the demo's job logs; then it measures, drawing with the
//! real `view` into a 200×50 ratatui `TestBackend`:
//!
//! - `frame_10k_runs`: one `terminal.draw` of the main screen, the highlighter warm (the steady
//!   state: a redraw on a tick, a poll, a key that changes nothing on screen);
//! - `frame_10k_runs_cold_highlight`: the same frame with a new `Highlighter` (built outside the
//!   timing), so the excerpt is highlighted from nothing: the first paint;
//! - `frame_10k_runs_grouped`: the main screen grouped by failure (`f`), the 10,000 runs being
//!   `KINDS` (2,000) different failures;
//! - `frame_100k_log`: one draw of the full-log view scrolled to the middle, warm;
//! - `frame_100k_log_page_down`: `update(PageDown)` then a draw, each page never seen before;
//! - `key_to_frame`: `update(Key('j'))` then a draw: the selection moves to the next (analysed,
//!   never drawn) run, so its excerpt is highlighted anew;
//! - `start_to_first_frame_demo`: from nothing to the first frame of the demo (the simulator
//!   started, the client, `Highlighter::new`, `App::new`, one draw: "Looking for failed runs…");
//! - `start_to_first_frame_demo_with_runs`: the same, then the four demo repositories polled
//!   concurrently through `scan::resolve_policy` and `scan::failed_runs` (as the console's
//!   pollers do), each result applied with `update`, and the frame drawn with every run listed.
//!
//! - `explain_300_runs`: an organisation of 10 repositories with 30 failed runs each (the
//!   demo's repositories and runs, repeated under new names and ids) behind the simulator;
//!   the console's pollers and explainers (`tui::effects::Runner`) on a 2-worker runtime, from
//!   the start to the moment every listed run has its analysis. Meanwhile a thread sends a
//!   message every millisecond, as the console's input reader sends keys, and the console's
//!   loop (the `block_on` future) records how long each took to arrive: the worst is how long
//!   a key would wait.
//!
//! Then it prints a summary: the median of each against the goals (a frame ≤ 2 ms, the first
//! frame of the demo ≤ 150 ms, 300 runs explained ≤ 10 s). There are no timed assertions: the
//! figures are for the README.

use std::collections::HashMap;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use autoheal::analysis::scanner::readable_lines;
use autoheal::forge::{GitHub, RepoRef, RetryPolicy, Secret, WorkflowRun};
use autoheal::heal::Prepared;
use autoheal::sim::{self, LoadedScenario, RunningSim, SimOptions};
use autoheal::tui::action::{Action, Effect};
use autoheal::tui::app::{App, Mode};
use autoheal::tui::highlight::{Highlighter, ThemeChoice};
use autoheal::tui::keymap::Keymap;
use autoheal::tui::update::update;
use autoheal::tui::view::view;
use chrono::TimeDelta;
use criterion::{BatchSize, Criterion};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

const GROUP: &str = "console";
const WIDTH: u16 = 200;
const HEIGHT: u16 = 50;
const RUNS: usize = 10_000;
const LOG_LINES: usize = 100_000;
/// The demo's console polls up to this many runs per repository (`Settings::default().limit`).
const POLL_LIMIT: usize = 30;
/// Goals from the console issue, in milliseconds.
const FRAME_GOAL_MS: f64 = 2.0;
const START_GOAL_MS: f64 = 150.0;

/// Kinds of failure (fingerprints) among the runs in `frame_10k_runs_grouped`.
const KINDS: usize = 2_000;

/// The organisation of `explain_300_runs`.
const ORG_REPOS: usize = 10;
const ORG_RUNS: usize = 30;
const EXPLAIN_GOAL_MS: f64 = 10_000.0;
/// The worst lateness of the runtime seen while explaining, in microseconds.
static WORST_STALL_US: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
/// Runs listed and explained in the last `explain_300_runs` iteration.
static EXPLAINED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

const BENCHES: [(&str, f64); 9] = [
    ("frame_10k_runs", FRAME_GOAL_MS),
    ("frame_10k_runs_cold_highlight", FRAME_GOAL_MS),
    ("frame_10k_runs_grouped", FRAME_GOAL_MS),
    ("frame_100k_log", FRAME_GOAL_MS),
    ("frame_100k_log_page_down", FRAME_GOAL_MS),
    ("key_to_frame", FRAME_GOAL_MS),
    ("start_to_first_frame_demo", START_GOAL_MS),
    ("start_to_first_frame_demo_with_runs", START_GOAL_MS),
    ("explain_300_runs", EXPLAIN_GOAL_MS),
];

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--list") {
        for (name, _) in BENCHES {
            println!("{GROUP}/{name}: benchmark");
        }
        return;
    }
    // Drafts are looked up when a run is analysed: never the user's own.
    let scratch =
        std::env::temp_dir().join(format!("autoheal-bench-console-{}", std::process::id()));
    // SAFETY: set before any thread of this process reads the environment.
    unsafe { std::env::set_var("AUTOHEAL_DATA_DIR", &scratch) };

    let rt = tokio::runtime::Runtime::new().expect("a tokio runtime");
    let started = Instant::now();
    let demo = rt.block_on(Demo::load());
    let setup = started.elapsed();
    let started = Instant::now();
    let mut app = app_with_runs(&demo, RUNS);
    let built = started.elapsed();
    let lines = log_lines(LOG_LINES);
    eprintln!(
        "setup: demo analysed in {:.0} ms ({} failed runs in {} repositories, {} analysed); \
         App with {} rows built in {:.0} ms; log of {} lines",
        setup.as_secs_f64() * 1e3,
        demo.runs.len(),
        demo.repos.len(),
        demo.prepared.len(),
        app.rows.len(),
        built.as_secs_f64() * 1e3,
        lines.len(),
    );

    let mut criterion = Criterion::default().sample_size(20).configure_from_args();
    {
        let mut group = criterion.benchmark_group(GROUP);
        group
            .sample_size(20)
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(5));

        // ---- the main screen with 10,000 runs --------------------------------------------
        let mut terminal = terminal();
        let mut hl = highlighter();
        terminal.draw(|f| view(&app, f, &mut hl)).expect("draw");
        check_main_screen(&terminal);
        group.bench_function("frame_10k_runs", |b| {
            b.iter(|| {
                terminal.draw(|f| view(&app, f, &mut hl)).expect("draw");
            });
        });
        group.bench_function("frame_10k_runs_cold_highlight", |b| {
            b.iter_batched(
                highlighter,
                |mut fresh| {
                    terminal.draw(|f| view(&app, f, &mut fresh)).expect("draw");
                    fresh
                },
                BatchSize::PerIteration,
            );
        });

        // ---- the same runs grouped by failure ---------------------------------------------
        let mut grouped = app_with_runs(&demo, RUNS);
        for (i, row) in grouped.rows.iter_mut().enumerate() {
            row.fingerprint = Some(format!("{:016x}", i % KINDS));
        }
        update(
            &mut grouped,
            Action::Key(KeyEvent::new(KeyCode::Char('f'), KeyModifiers::NONE)),
        );
        assert!(grouped.grouped);
        assert_eq!(grouped.visible().len(), KINDS);
        group.bench_function("frame_10k_runs_grouped", |b| {
            b.iter(|| {
                terminal.draw(|f| view(&grouped, f, &mut hl)).expect("draw");
            });
        });
        drop(grouped);

        // ---- a key and the frame that shows it -------------------------------------------
        let j = || Action::Key(KeyEvent::new(KeyCode::Char('j'), KeyModifiers::NONE));
        let g = || Action::Key(KeyEvent::new(KeyCode::Char('g'), KeyModifiers::NONE));
        group.bench_function("key_to_frame", |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    if app.selected + 1 >= app.rows.len() {
                        update(&mut app, g());
                    }
                    let t = Instant::now();
                    black_box(update(&mut app, j()));
                    terminal.draw(|f| view(&app, f, &mut hl)).expect("draw");
                    total += t.elapsed();
                }
                total
            });
        });
        update(&mut app, g());

        // ---- the full log of 100,000 lines ----------------------------------------------
        open_full_log(&mut app, lines);
        let mut hl = highlighter();
        let middle = LOG_LINES / 2;
        set_log_top(&mut app, middle);
        terminal.draw(|f| view(&app, f, &mut hl)).expect("draw");
        check_log_screen(&terminal, middle);
        group.bench_function("frame_100k_log", |b| {
            b.iter(|| {
                terminal.draw(|f| view(&app, f, &mut hl)).expect("draw");
            });
        });
        // Each page down shows lines never highlighted before; near the end, a new
        // highlighter (warmed up on the log's first page) starts over from a tenth in.
        let page_down = || Action::Key(KeyEvent::new(KeyCode::PageDown, KeyModifiers::NONE));
        let mut hl = warm_highlighter(&mut app, &mut terminal, LOG_LINES / 10);
        group.bench_function("frame_100k_log_page_down", |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    if log_top(&app) + 2 * usize::from(HEIGHT) >= LOG_LINES {
                        hl = warm_highlighter(&mut app, &mut terminal, LOG_LINES / 10);
                    }
                    let t = Instant::now();
                    black_box(update(&mut app, page_down()));
                    terminal.draw(|f| view(&app, f, &mut hl)).expect("draw");
                    total += t.elapsed();
                }
                total
            });
        });
        drop(app);

        // ---- the demo's first frame -----------------------------------------------------
        group.bench_function("start_to_first_frame_demo", |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let (took, sim) = rt.block_on(first_frame(false));
                    total += took;
                    drop(sim);
                }
                total
            });
        });
        group.bench_function("start_to_first_frame_demo_with_runs", |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let (took, sim) = rt.block_on(first_frame(true));
                    total += took;
                    drop(sim);
                }
                total
            });
        });

        // ---- an organisation's failed runs, explained -----------------------------------
        group.sample_size(10);
        group.measurement_time(Duration::from_secs(40));
        let audit_dir = scratch.join("audit");
        group.bench_function("explain_300_runs", |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    total += explain_organisation(&audit_dir);
                }
                total
            });
        });
        group.finish();
    }
    criterion.final_summary();
    drop(demo);
    let _ = std::fs::remove_dir_all(&scratch);

    // `cargo bench` passes `--bench`; without it criterion only tests that each runs.
    if !args.iter().any(|a| a == "--bench") || args.iter().any(|a| a == "--profile-time") {
        return;
    }
    summary();
}

// ---- the data --------------------------------------------------------------------------------

/// The demo simulator with its failed runs, each analysed as the console does it.
struct Demo {
    _sim: RunningSim,
    repos: Vec<RepoRef>,
    runs: Vec<WorkflowRun>,
    prepared: HashMap<u64, Prepared>,
}

impl Demo {
    async fn load() -> Demo {
        let options = SimOptions::demo().expect("the demo scenario loads");
        let repos = demo_repos(&options.scenario);
        let sim = sim::start(([127, 0, 0, 1], 0).into(), options)
            .await
            .expect("the demo simulator starts");
        let gh = client(&sim);
        let mut runs = Vec::new();
        let mut prepared = HashMap::new();
        for repo in &repos {
            let policy = autoheal::engine::scan::resolve_policy(&gh, repo, None)
                .await
                .expect("policy");
            let failed = autoheal::engine::scan::failed_runs(&gh, repo, &policy, POLL_LIMIT)
                .await
                .expect("failed runs");
            for f in failed {
                if let Ok(p) = autoheal::heal::prepare(
                    &gh,
                    repo,
                    f.run.id,
                    None,
                    None,
                    &[],
                    autoheal::heal::Fetch::full(),
                )
                .await
                {
                    prepared.insert(f.run.id, p);
                }
                runs.push(f.run);
            }
        }
        assert!(!runs.is_empty(), "the demo has failed runs");
        // Newest first, as the console lists them.
        runs.sort_by_key(|r| std::cmp::Reverse((r.created_at, r.id)));
        Demo {
            _sim: sim,
            repos,
            runs,
            prepared,
        }
    }
}

fn demo_repos(scenario: &LoadedScenario) -> Vec<RepoRef> {
    scenario
        .scenario
        .repositories
        .iter()
        .map(|r| RepoRef::new(&r.owner, &r.name))
        .collect()
}

/// A client for the loopback simulator with no pacing: these benchmarks measure the console's
/// own work (analysis, frames), not the rate GitHub's limits allow (see `forge::scheduler`).
fn client(sim: &RunningSim) -> GitHub {
    GitHub::new(
        &sim.url(),
        Some(&Secret::new("demo-token")),
        RetryPolicy {
            pace: autoheal::forge::Limits::unpaced(),
            ..RetryPolicy::default()
        },
    )
    .expect("client")
}

fn new_app(repos: Vec<RepoRef>) -> App {
    let (keymap, _) = Keymap::new(&Default::default());
    let mut app = App::new(repos, keymap, Duration::from_secs(30));
    app.size = (WIDTH, HEIGHT);
    app.notice = Some("demo".into());
    app
}

/// `n` failed runs of the demo's first repository, one a minute, newest first: copies of the
/// demo's runs (cycling through them) with their own ids, each analysed with its original's
/// analysis. They arrive as one poll and one `Explained` each, through `update`.
fn app_with_runs(demo: &Demo, n: usize) -> App {
    let repo = demo.repos[0].clone();
    let mut app = new_app(demo.repos.clone());
    let newest = demo.runs[0].created_at;
    let mut source = HashMap::new();
    let runs: Vec<WorkflowRun> = (0..n)
        .map(|i| {
            let original = &demo.runs[i % demo.runs.len()];
            let mut run = original.clone();
            run.id = 90_000_000 + i as u64;
            run.run_number = (n - i) as u64;
            run.created_at = newest - TimeDelta::minutes(i as i64);
            run.updated_at = run.created_at;
            run.html_url = format!("https://github.com/{repo}/actions/runs/{}", run.id);
            source.insert(run.id, original.id);
            run
        })
        .collect();
    let effects = update(
        &mut app,
        Action::Polled {
            repo: repo.clone(),
            complete: true,
            result: Ok(runs),
            budget: Some(autoheal::forge::Budget {
                remaining: 4999,
                limit: Some(5000),
            }),
        },
    );
    for e in effects {
        let (Effect::Explain(key) | Effect::ExplainLater(key)) = e else {
            continue;
        };
        let Some(p) = source.get(&key.run_id).and_then(|id| demo.prepared.get(id)) else {
            continue;
        };
        let next = update(
            &mut app,
            Action::Explained {
                key,
                result: Ok(Box::new(p.clone())),
            },
        );
        // No draft saved: the prompt starts from the template, as the draft store answers.
        for e in next {
            if let Effect::LoadDraft(key) = e {
                update(&mut app, Action::DraftLoaded { key, text: None });
            }
        }
    }
    // The other repositories have been polled too (nothing failed there).
    for other in &demo.repos[1..] {
        update(
            &mut app,
            Action::Polled {
                repo: other.clone(),
                complete: true,
                result: Ok(Vec::new()),
                budget: Some(autoheal::forge::Budget {
                    remaining: 4999,
                    limit: Some(5000),
                }),
            },
        );
    }
    assert_eq!(app.rows.len(), n);
    app
}

/// `n` lines of the demo's job logs (cycled), cleaned as the console's log loader cleans them.
fn log_lines(n: usize) -> Vec<String> {
    let scenario = LoadedScenario::demo().expect("the demo scenario loads");
    let pool: Vec<String> = scenario
        .logs
        .values()
        .flat_map(|bytes| readable_lines(bytes))
        .collect();
    pool.iter().cycle().take(n).cloned().collect()
}

/// Presses the full-log key on the selected run and delivers its log.
fn open_full_log(app: &mut App, lines: Vec<String>) {
    let effects = update(
        app,
        Action::Key(KeyEvent::new(KeyCode::Char('L'), KeyModifiers::SHIFT)),
    );
    let Some(Effect::LoadLog { key, job_id }) = effects.into_iter().next() else {
        panic!("L did not ask for the log: the selected run is not analysed");
    };
    update(
        app,
        Action::LogLoaded {
            key,
            job_id,
            result: Ok(lines),
        },
    );
    assert!(matches!(&app.mode, Mode::Log(v) if v.lines.is_some()));
}

fn set_log_top(app: &mut App, top: usize) {
    if let Mode::Log(v) = &mut app.mode {
        v.top = top;
    }
}

fn log_top(app: &App) -> usize {
    match &app.mode {
        Mode::Log(v) => v.top,
        _ => 0,
    }
}

fn terminal() -> Terminal<TestBackend> {
    Terminal::new(TestBackend::new(WIDTH, HEIGHT)).expect("terminal")
}

fn highlighter() -> Highlighter {
    Highlighter::new(ThemeChoice::Dark, None, false).expect("the built-in theme loads")
}

/// A new highlighter that has highlighted the log's first page (its regexes compiled), the
/// view then put at `top`.
fn warm_highlighter(
    app: &mut App,
    terminal: &mut Terminal<TestBackend>,
    top: usize,
) -> Highlighter {
    let mut hl = highlighter();
    set_log_top(app, 0);
    terminal.draw(|f| view(app, f, &mut hl)).expect("draw");
    set_log_top(app, top);
    hl
}

fn screen(terminal: &Terminal<TestBackend>) -> String {
    let buffer = terminal.backend().buffer();
    let mut out = String::new();
    for y in 0..buffer.area.height {
        for x in 0..buffer.area.width {
            out.push_str(buffer[(x, y)].symbol());
        }
        out.push('\n');
    }
    out
}

/// What is measured is the screen a user sees, not an empty one.
fn check_main_screen(terminal: &Terminal<TestBackend>) {
    let s = screen(terminal);
    assert!(s.contains(&format!("Failed runs ({RUNS})")), "{s}");
    assert!(s.contains(" │ "), "the excerpt shows log lines: {s}");
    assert!(s.contains("Verdict"), "the details show the verdict: {s}");
}

fn check_log_screen(terminal: &Terminal<TestBackend>, top: usize) {
    let s = screen(terminal);
    assert!(s.contains(&format!("{} │ ", top + 1)), "{s}");
}

// ---- an organisation ---------------------------------------------------------------------------

/// The demo's repositories and runs, repeated: `ORG_REPOS` repositories of `ORG_RUNS` failed
/// runs each (with each template's passing runs, which serve as baselines), new ids for all.
fn organisation() -> LoadedScenario {
    LoadedScenario::organisation("octo", ORG_REPOS, ORG_RUNS).expect("the organisation")
}

/// From the start to every listed run explained, as the console does it: pollers list the
/// failed runs, each becomes an `Explain` effect, the explainers work through the queue.
/// Runs on its own 2-worker runtime, as the console does.
fn explain_organisation(audit_dir: &Path) -> Duration {
    use std::sync::atomic::{AtomicBool, Ordering};
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let scenario = organisation();
    let repos = demo_repos(&scenario);
    rt.block_on(async {
        let options = SimOptions {
            scenario,
            ..SimOptions::demo().expect("the demo loads")
        };
        let sim = sim::start(([127, 0, 0, 1], 0).into(), options)
            .await
            .expect("the simulator starts");
        let gh = Arc::new(client(&sim));
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let runner = autoheal::tui::effects::Runner {
            limit: POLL_LIMIT,
            ..autoheal::tui::effects::Runner::new(gh, tx.clone(), repos.clone(), audit_dir)
        };
        // How long a key would wait: like the console's input reader, a thread sends a
        // message every millisecond; the console's loop (this `block_on`) takes it.
        let stop = Arc::new(AtomicBool::new(false));
        let (keys, mut pressed) = tokio::sync::mpsc::unbounded_channel::<Instant>();
        let presser = std::thread::spawn({
            let stop = stop.clone();
            move || {
                while !stop.load(Ordering::Relaxed) {
                    std::thread::sleep(Duration::from_millis(1));
                    if keys.send(Instant::now()).is_err() {
                        break;
                    }
                }
            }
        });
        let ticker = async {
            let mut worst = Duration::ZERO;
            while let Some(sent) = pressed.recv().await {
                worst = worst.max(sent.elapsed());
                if stop.load(Ordering::Relaxed) {
                    break;
                }
            }
            worst
        };
        let work = async {
            let started = Instant::now();
            runner.start_pollers(&repos, Duration::from_secs(3600));
            runner.start_explainers(autoheal::tui::effects::EXPLAINERS);
            let (mut polled, mut listed, mut explained) = (0, 0, 0);
            while polled < repos.len() || explained < listed {
                match rx.recv().await.expect("the runner is alive") {
                    Action::Polled { repo, result, .. } => {
                        polled += 1;
                        for run in result.expect("the repository is listed") {
                            listed += 1;
                            runner.run(Effect::Explain(autoheal::tui::action::RunKey::new(
                                repo.clone(),
                                run.id,
                            )));
                        }
                    }
                    Action::Explained { result, .. } => {
                        result.expect("the run is explained");
                        explained += 1;
                    }
                    _ => {}
                }
            }
            let took = started.elapsed();
            stop.store(true, Ordering::Relaxed);
            (took, explained)
        };
        let ((took, explained), worst) = tokio::join!(work, ticker);
        let _ = presser.join();
        WORST_STALL_US.fetch_max(worst.as_micros() as u64, Ordering::Relaxed);
        EXPLAINED.store(explained, Ordering::Relaxed);
        drop(sim);
        took
    })
}

// ---- the demo's start ------------------------------------------------------------------------

/// From nothing to the first frame of the demo; with `with_runs`, on to the frame listing every
/// failed run of its four repositories. Returns the time and the simulator (to stop untimed).
async fn first_frame(with_runs: bool) -> (Duration, RunningSim) {
    let started = Instant::now();
    let options = SimOptions::demo().expect("the demo scenario loads");
    let repos = demo_repos(&options.scenario);
    let sim = sim::start(([127, 0, 0, 1], 0).into(), options)
        .await
        .expect("the demo simulator starts");
    let gh = Arc::new(client(&sim));
    let mut hl = highlighter();
    let mut app = new_app(repos.clone());
    app.status.polling = repos.len();
    let mut terminal = terminal();
    terminal.draw(|f| view(&app, f, &mut hl)).expect("draw");
    if !with_runs {
        let took = started.elapsed();
        let s = screen(&terminal);
        assert!(s.contains("Looking for failed runs"), "{s}");
        return (took, sim);
    }
    // The console's pollers: one task per repository, results back as actions.
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    for repo in repos.iter().cloned() {
        let gh = gh.clone();
        let tx = tx.clone();
        tokio::spawn(async move {
            let result = async {
                let policy = autoheal::engine::scan::resolve_policy(gh.as_ref(), &repo, None)
                    .await
                    .map_err(|e| e.to_string())?;
                // The console's first poll of a repository: the whole failure list.
                autoheal::engine::scan::poll(gh.as_ref(), &repo, &policy, POLL_LIMIT, true)
                    .await
                    .map(|poll| poll.runs)
                    .map_err(|e| e.to_string())
            }
            .await;
            let _ = tx.send(Action::Polled {
                repo,
                result,
                complete: true,
                budget: gh.stats().budget(),
            });
        });
    }
    drop(tx);
    // The console's loop: take what arrived, update, draw, until every repository answered.
    while app.polled_once.len() < repos.len() {
        let Some(action) = rx.recv().await else {
            panic!("a poller failed")
        };
        black_box(update(&mut app, action));
        while let Ok(action) = rx.try_recv() {
            black_box(update(&mut app, action));
        }
        terminal.draw(|f| view(&app, f, &mut hl)).expect("draw");
    }
    let took = started.elapsed();
    assert!(
        app.status.shown_error().is_none(),
        "{:?}",
        app.status.shown_error()
    );
    assert!(!app.rows.is_empty());
    (took, sim)
}

// ---- the summary -----------------------------------------------------------------------------

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"))
}

/// The median time of one iteration, in milliseconds, from criterion's saved estimates.
fn criterion_median_ms(bench: &str) -> Option<f64> {
    let path = target_dir()
        .join("criterion")
        .join(GROUP)
        .join(bench)
        .join("new")
        .join("estimates.json");
    let text = std::fs::read_to_string(path).ok()?;
    let json: serde_json::Value = serde_json::from_str(&text).ok()?;
    Some(json["median"]["point_estimate"].as_f64()? / 1e6)
}

fn summary() {
    println!();
    println!(
        "summary: {WIDTH}x{HEIGHT} TestBackend, {RUNS} runs listed, a {LOG_LINES}-line log open"
    );
    for (name, goal) in BENCHES {
        let line = match criterion_median_ms(name) {
            Some(ms) => format!(
                "{ms:>9.3} ms median  (goal <= {goal} ms: {})",
                if ms <= goal { "met" } else { "MISSED" }
            ),
            None => "      n/a".into(),
        };
        println!("  {name:<38}{line}");
    }
    println!(
        "  explain_300_runs: {} runs explained each time; the console's loop was never \
         late by more than {:.1} ms (a frame at 60 Hz is 16.7 ms)",
        EXPLAINED.load(std::sync::atomic::Ordering::Relaxed),
        WORST_STALL_US.load(std::sync::atomic::Ordering::Relaxed) as f64 / 1000.0
    );
}
