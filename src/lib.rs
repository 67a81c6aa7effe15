#![recursion_limit = "256"]
//! autoheal: a triage console and headless engine for failed GitHub Actions runs.
//!
//! The crate is one engine with three faces (the console, the CLI, and the headless workflow):
//! `config` reads the repository's policy, `forge` talks to GitHub, `sim` is a GitHub-compatible
//! server for the demo and the tests, and `scan` finds what failed.

pub mod analysis;
pub mod cleanup;
pub mod cli;
pub mod config;
pub mod drafts;
pub mod forge;
pub mod heal;
pub mod history;
pub mod humanize;
pub mod logging;
pub mod paths;
pub mod scan;
pub mod settings;
pub mod sim;
pub mod triage;
pub mod tui;
pub mod watch;
