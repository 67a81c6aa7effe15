//! The console's state: plain data that `update` changes and `view` draws. Nothing here does
//! I/O or waits on anything.

use std::time::Duration;

use tui_textarea::TextArea;

use super::action::{PrSnapshot, RunKey};
use super::cadence;
use super::keymap::Keymap;
use crate::forge::{self, Conclusion};
use crate::forge::{RepoRef, WorkflowRun};
use crate::heal::execute::Steps;
use crate::heal::{CopilotOutcome, Prepared};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    Runs,
    Details,
    Excerpt,
    Prompt,
}

impl Pane {
    pub const ORDER: [Pane; 4] = [Pane::Runs, Pane::Details, Pane::Excerpt, Pane::Prompt];
}

/// Where a run's heal stands, as the list's last column shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum HealStage {
    None,
    Issue,
    Branch,
    CopilotAsked,
    PrOpen,
    AwaitingApproval,
    ChecksPassing,
    Healed,
}

impl HealStage {
    pub fn label(self) -> &'static str {
        match self {
            HealStage::None => "—",
            HealStage::Issue => "issue",
            HealStage::Branch => "branch",
            HealStage::CopilotAsked => "Copilot asked",
            HealStage::PrOpen => "PR open",
            HealStage::AwaitingApproval => "awaiting approval",
            HealStage::ChecksPassing => "checks passing",
            HealStage::Healed => "healed",
        }
    }
}

/// What the console knows of one run's heal.
#[derive(Debug, Clone, Default)]
pub struct HealView {
    pub issue: Option<(u64, String)>,
    pub branch: Option<String>,
    pub copilot: Option<CopilotOutcome>,
    /// The last heal's result, for the details pane.
    pub result: Option<String>,
    /// Set while a request runs: what it is doing.
    pub busy: Option<String>,
    pub pr: Option<PrSnapshot>,
    pub pr_error: Option<String>,
    /// A re-run was sent: the row follows the new attempt even once it is no longer failed.
    pub rerun: bool,
}

/// The runs the list shows, in order, and (grouped) the size of each failure's group.
#[derive(Debug, Default)]
pub struct Listing {
    /// Indices into `App::rows`.
    pub rows: Vec<usize>,
    /// Per fingerprint: how many runs have it.
    seen: std::collections::HashMap<String, usize>,
}

impl Listing {
    /// How many runs share this fingerprint (0 when not grouped).
    pub fn seen(&self, fingerprint: &str) -> usize {
        self.seen.get(fingerprint).copied().unwrap_or(0)
    }
}

/// What a cached listing was computed from: the rows' version, the filter, the grouping.
type ListingKey = (u64, usize, String, bool);

/// One failed run in the list.
pub struct Row {
    pub key: RunKey,
    pub run: WorkflowRun,
    pub prepared: Option<Box<Prepared>>,
    pub explain_error: Option<String>,
    pub prompt: Option<TextArea<'static>>,
    /// Seconds since the prompt changed without its draft being synced to disk (it is
    /// written at once; the sync waits for a pause in typing).
    pub prompt_unsynced: Option<u32>,
    pub heal: HealView,
    /// Appeared after the first poll (marked until selected).
    pub is_new: bool,
    /// The failure's identity across runs, once analysed.
    pub fingerprint: Option<String>,
}

impl Row {
    /// Its failure passed on a re-run before, and no commit since the last green run points
    /// at it.
    pub fn flaky(&self) -> bool {
        self.prepared
            .as_ref()
            .and_then(|p| p.run.why.as_ref())
            .is_some_and(|w| w.flaky())
    }

    /// This row holds an explanation with the baseline compared, of the same state of the run
    /// (attempt, status, last update) as `other`'s.
    pub fn has_full_explanation_of(&self, other: &crate::heal::Prepared) -> bool {
        self.prepared.as_ref().is_some_and(|p| {
            let (a, b) = (&p.run.failed.run, &other.run.failed.run);
            p.complete
                && a.run_attempt == b.run_attempt
                && a.status == b.status
                && a.updated_at == b.updated_at
        })
    }

    pub fn new(repo: RepoRef, run: WorkflowRun, is_new: bool) -> Row {
        Row {
            key: RunKey::new(repo, run.id),
            run,
            prepared: None,
            explain_error: None,
            prompt: None,
            prompt_unsynced: None,
            heal: HealView::default(),
            is_new,
            fingerprint: None,
        }
    }

    pub fn stage(&self) -> HealStage {
        let h = &self.heal;
        if let Some(pr) = &h.pr {
            if pr.pull.merged_at.is_some() {
                return HealStage::Healed;
            }
            if !pr.waiting_runs.is_empty() {
                return HealStage::AwaitingApproval;
            }
            let done = !pr.checks.is_empty()
                && pr
                    .checks
                    .iter()
                    .all(|c| c.status == forge::Status::Completed);
            let green = pr
                .checks
                .iter()
                .all(|c| c.conclusion.as_ref().is_some_and(Conclusion::passes));
            return if done && green {
                HealStage::ChecksPassing
            } else {
                HealStage::PrOpen
            };
        }
        if h.copilot.is_some() {
            HealStage::CopilotAsked
        } else if h.branch.is_some() {
            HealStage::Branch
        } else if h.issue.is_some() {
            HealStage::Issue
        } else {
            HealStage::None
        }
    }

    pub fn category(&self) -> &str {
        self.prepared
            .as_ref()
            .map_or("…", |p| p.run.verdict.category.as_str())
    }

    /// The most useful link: the heal PR, else the issue, else the run.
    pub fn best_url(&self) -> &str {
        if let Some(pr) = &self.heal.pr {
            return &pr.pull.html_url;
        }
        if let Some((_, url)) = &self.heal.issue {
            return url;
        }
        &self.run.html_url
    }

    pub fn prompt_text(&self) -> Option<String> {
        self.prompt.as_ref().map(|t| t.lines().join("\n"))
    }

    /// Does the filter text match this row (repository, workflow, branch, category, title)?
    pub fn matches(&self, filter: &str) -> bool {
        if filter.is_empty() {
            return true;
        }
        let hay = format!(
            "{} {} {} {} {} {}",
            self.key.repo,
            self.run.workflow_name(),
            self.run.branch(),
            self.category(),
            self.run.display_title.as_deref().unwrap_or(""),
            self.run.event
        )
        .to_lowercase();
        filter
            .to_lowercase()
            .split_whitespace()
            .all(|word| hay.contains(word))
    }
}

/// What a confirmation is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfirmAction {
    Heal(Steps),
    Rerun,
    Approve,
    MarkReady,
}

/// A pending confirmation before a write to GitHub.
#[derive(Debug, Clone, PartialEq)]
pub struct Confirm {
    pub key: RunKey,
    pub action: ConfirmAction,
    /// What will be created, one line each.
    pub lines: Vec<String>,
    /// Why the policy blocks it; the user must type `heal` to go ahead.
    pub blocked: Option<String>,
    pub typed: String,
}

/// The full-log view.
#[derive(Debug, Clone, Default)]
pub struct LogView {
    pub key: Option<RunKey>,
    pub job_id: u64,
    pub title: String,
    pub lines: Option<Vec<String>>,
    pub error: Option<String>,
    pub top: usize,
    pub search: String,
    pub searching: bool,
    pub hits: Vec<usize>,
    pub hit: usize,
}

pub enum Mode {
    Normal,
    EditPrompt,
    Filter,
    Help,
    Confirm(Confirm),
    Log(Box<LogView>),
    /// Heal statistics (`None` while they load).
    Stats(Option<Box<crate::watch::stats::Stats>>),
    /// Stale heal branches (`None` while they load).
    Cleanup(Option<Vec<crate::engine::cleanup::CleanupPlan>>),
}

/// The status bar's facts.
#[derive(Debug, Clone, Default)]
pub struct Status {
    /// The one message shown; see [`Status::say`].
    pub note: Option<Note>,
    pub budget: Option<crate::forge::Budget>,
    /// A request being retried or waiting out a rate limit, and why.
    pub trouble: Option<String>,
    pub seconds_to_refresh: u64,
    pub polling: usize,
}

/// The last frame's geometry.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Screen {
    /// Where the run list draws its rows (inside its border, below its header).
    pub run_rows: ratatui::layout::Rect,
    pub details: ratatui::layout::Rect,
    pub excerpt: ratatui::layout::Rect,
    pub prompt: ratatui::layout::Rect,
    /// The first run on screen (an index into the listing).
    pub list_start: usize,
}

/// How much a status message matters, which decides what replaces what.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// Routine: "refreshing…", "3 new failed runs".
    Info,
    /// Something the user asked for happened: "created issue #12".
    Done,
    Error,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Note {
    pub severity: Severity,
    pub text: String,
}

impl Status {
    /// Shows a message in the status bar's one slot. The next message replaces it, except
    /// that an error stays until something succeeds or a key is pressed: a routine message
    /// cannot hide it, and it cannot hide a success for ever.
    pub fn say(&mut self, severity: Severity, text: impl Into<String>) {
        let error_shown = self
            .note
            .as_ref()
            .is_some_and(|n| n.severity == Severity::Error);
        if severity == Severity::Info && error_shown {
            return;
        }
        self.note = Some(Note {
            severity,
            text: text.into(),
        });
    }

    pub fn info(&mut self, text: impl Into<String>) {
        self.say(Severity::Info, text);
    }

    pub fn done(&mut self, text: impl Into<String>) {
        self.say(Severity::Done, text);
    }

    pub fn error(&mut self, text: impl Into<String>) {
        self.say(Severity::Error, text);
    }

    /// The error shown, if any.
    pub fn shown_error(&self) -> Option<&str> {
        self.note
            .as_ref()
            .filter(|n| n.severity == Severity::Error)
            .map(|n| n.text.as_str())
    }

    /// The user pressed a key: the error shown has been seen.
    pub fn acknowledge(&mut self) {
        if self.shown_error().is_some() {
            self.note = None;
        }
    }
}

/// A background look the console has asked for and not yet heard back from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum InFlight {
    /// A run's heal PR and its checks.
    Pr(RunKey),
    /// A run read again while its new attempt runs.
    Run(RunKey),
}

pub struct App {
    /// The user asked to quit while writes to GitHub were on their way: the console quits
    /// when they have answered (or at a second `q`, recording them as unfinished).
    pub quitting: bool,
    /// Stale heal branches are being deleted.
    pub cleanup_running: bool,
    /// At most one look at each PR and each run is on its way at a time.
    pub in_flight: std::collections::HashSet<InFlight>,
    pub repos: Vec<RepoRef>,
    pub rows: Vec<Row>,
    /// Index into [`App::visible`].
    pub selected: usize,
    pub focus: Pane,
    pub mode: Mode,
    /// The run whose prompt the user asked to edit before it was ready: the editor opens
    /// when it is, if the run is still selected.
    pub edit_when_ready: Option<RunKey>,
    pub filter: String,
    pub keymap: Keymap,
    pub status: Status,
    pub poll_interval: Duration,
    pub notice: Option<String>,
    pub bell: bool,
    pub size: (u16, u16),
    pub quit: bool,
    /// Lines scrolled from where the excerpt opens (its first anchor); may be negative.
    pub excerpt_offset: i32,
    pub details_scroll: u16,
    /// Seconds since start, for things done every few ticks.
    pub ticks: u64,
    /// The user has moved the selection (until then the newest run stays selected).
    pub touched: bool,
    /// Repositories polled at least once (later arrivals are "new").
    pub polled_once: Vec<RepoRef>,
    /// One row per failure fingerprint instead of one per run.
    pub grouped: bool,
    /// Where the last frame put each pane and which run the list showed first. Written by
    /// the view (like a ratatui widget's state), read by `update`: a click is read against
    /// the frame the user clicked on, and the list keeps its scroll offset between frames.
    pub screen: std::cell::Cell<Screen>,
    /// Secrets to mask in anything shown (the token).
    pub secrets: Vec<String>,
    /// Bumped whenever rows may have changed (a poll, an analysis, a run's new state): the
    /// listing is computed again only then, not on every frame or key.
    pub rows_version: u64,
    listing_cache: std::cell::RefCell<Option<(ListingKey, std::sync::Arc<Listing>)>>,
}

impl App {
    /// How often this console polls (see [`cadence::poll_every`]), slower while GitHub's
    /// hourly budget is low (the status bar says so).
    pub fn refresh_interval(&self) -> Duration {
        let low = self.status.budget.is_some_and(|b| b.is_low());
        cadence::poll_every(self.poll_interval, self.repos.len(), low)
    }

    pub fn new(repos: Vec<RepoRef>, keymap: Keymap, poll_interval: Duration) -> App {
        let every = cadence::refresh_interval(poll_interval, repos.len());
        App {
            quitting: false,
            cleanup_running: false,
            in_flight: Default::default(),
            repos,
            rows: Vec::new(),
            selected: 0,
            focus: Pane::Runs,
            mode: Mode::Normal,
            edit_when_ready: None,
            filter: String::new(),
            keymap,
            status: Status {
                seconds_to_refresh: every.as_secs(),
                ..Status::default()
            },
            poll_interval,
            notice: None,
            bell: false,
            size: (80, 24),
            quit: false,
            excerpt_offset: 0,
            details_scroll: 0,
            ticks: 0,
            touched: false,
            polled_once: Vec::new(),
            grouped: false,
            screen: Default::default(),
            secrets: Vec::new(),
            rows_version: 0,
            listing_cache: std::cell::RefCell::new(None),
        }
    }

    /// Indices into `rows` of the rows the filter lets through, newest first; when grouped,
    /// only the newest run of each fingerprint.
    pub fn visible(&self) -> Vec<usize> {
        self.listing().rows.clone()
    }

    /// [`App::visible`], and when grouped how many runs each failure has (all of them, the
    /// filter aside): the list's part of every frame. Computed in one pass over the rows when
    /// they, the filter or the grouping changed since the last call; otherwise the same.
    pub fn listing(&self) -> std::sync::Arc<Listing> {
        let key: ListingKey = (
            self.rows_version,
            self.rows.len(),
            self.filter.clone(),
            self.grouped,
        );
        if let Some((cached, listing)) = self.listing_cache.borrow().as_ref()
            && *cached == key
        {
            return listing.clone();
        }
        let listing = std::sync::Arc::new(self.compute_listing());
        *self.listing_cache.borrow_mut() = Some((key, listing.clone()));
        listing
    }

    fn compute_listing(&self) -> Listing {
        // `rows` is kept newest first (see `sort_rows`): no sorting on the render path.
        let mut listing = Listing::default();
        let mut listed: std::collections::HashSet<&str> = Default::default();
        for (i, row) in self.rows.iter().enumerate() {
            let shown = row.matches(&self.filter);
            match row.fingerprint.as_deref().filter(|_| self.grouped) {
                Some(f) => {
                    *listing.seen.entry(f.to_string()).or_insert(0) += 1;
                    if shown && listed.insert(f) {
                        listing.rows.push(i);
                    }
                }
                None if shown => listing.rows.push(i),
                None => {}
            }
        }
        listing
    }

    /// The rows sharing `row`'s fingerprint (itself included), newest first.
    pub fn group_of<'a>(&'a self, row: &'a Row) -> Vec<&'a Row> {
        let mut g: Vec<&Row> = match &row.fingerprint {
            Some(f) => self
                .rows
                .iter()
                .filter(|r| r.fingerprint.as_ref() == Some(f))
                .collect(),
            None => vec![row],
        };
        g.sort_by_key(|r| std::cmp::Reverse(r.run.created_at));
        g
    }

    /// Keeps `rows` newest first; called whenever rows are added.
    pub fn sort_rows(&mut self) {
        self.rows_version += 1;
        self.rows
            .sort_by_key(|r| std::cmp::Reverse((r.run.created_at, r.run.id)));
    }

    pub fn selected_index(&self) -> Option<usize> {
        self.listing().rows.get(self.selected).copied()
    }

    pub fn selected_row(&self) -> Option<&Row> {
        self.selected_index().map(|i| &self.rows[i])
    }

    /// A row to change: the listing is computed again (its run, analysis or fingerprint may
    /// change what the list shows).
    pub fn row_mut(&mut self, key: &RunKey) -> Option<&mut Row> {
        self.rows_version += 1;
        self.rows.iter_mut().find(|r| &r.key == key)
    }
}
