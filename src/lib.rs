#![recursion_limit = "256"]
//! autoheal: a triage console and headless engine for failed GitHub Actions runs.
//!
//! One engine with three faces: the console (`autoheal`), the command line (`autoheal scan`,
//! `heal`, `status`, ...) and the headless healer a `workflow_run` workflow starts. Each area
//! is a folder, and each uses only the areas drawn below it:
//!
//! ```text
//!   cli ─────────────────────────────┬──────────────────────────────┐
//!    │ commands, flags, exit codes   │                              │
//!   tui  the console (Elm loop)      │                             sim
//!    │                               │                              │ GitHub on loopback,
//!   watch  heal PRs to their end     │                              │ for the demo and tests
//!   heal   issue, branch, Copilot    │                              │
//!   engine scan, triage, report, fingerprint, cleanup, audit        │
//!   history  why now: suspects, recurrence, flakiness               │
//!   analysis  a log's failure: excerpt, category, verdict (pure)    │
//!   config  the policy file and the user's settings                 │
//!   forge  the one door to GitHub ◄─────────────────────────────────┘
//!   text  sanitize, redact, humanize        platform  paths, logging
//! ```
//!
//! The rules the picture keeps, checked by `tests/it/architecture.rs` (which also keeps any
//! two files from using each other):
//!
//! - [`analysis`] is pure: bytes in, an explanation out. It knows no forge and no screen.
//! - [`forge`] is the one door to GitHub (octocrab over HTTP, conditional requests, retries,
//!   rate limits) and decides nothing.
//! - [`engine`] (and [`heal`], [`watch`] above it) knows no screen: the console, the command
//!   line and the headless healer share it.
//! - [`tui`] reaches the simulator only over HTTP, as it reaches GitHub; only [`cli`] starts a
//!   [`sim`].
//! - [`text`] and [`platform`] depend on nothing else here, so any area may use them.
//!
//! Where to look: a key's effect in `tui::keymap` and `tui::update::input`, a screen in
//! `tui::view`; what a log says in `analysis` (its module doc walks the pipeline); what is
//! written to GitHub, once, in `heal::execute`; a GitHub endpoint in `forge::github` and its
//! simulated twin in `sim::routes`.

pub mod analysis;
pub mod cli;
pub mod config;
pub mod engine;
pub mod forge;
pub mod heal;
pub mod history;
pub mod platform;
pub mod sim;
pub mod text;
pub mod tui;
pub mod watch;
