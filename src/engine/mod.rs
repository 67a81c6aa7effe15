//! The engine: what failed and why, for the console, the command line and the headless
//! workflow alike. It knows GitHub only through [`crate::forge`] and knows no screen.
//!
//! - [`scan`]: the failed, monitored runs of each repository, with their failed jobs.
//! - [`triage`]: a failed run explained: each job's log analysed, the verdict, why now.
//! - [`fingerprint`]: a failure's identity, the same in every run it recurs in.
//! - [`report`]: a failed run and its analysis as reports show them, secrets masked.
//! - [`cleanup`]: stale heal branches found and deleted.
//! - [`audit`]: the books: every write autoheal made, one JSON line each.

pub mod audit;
pub mod cleanup;
pub mod fingerprint;
pub mod report;
pub mod scan;
pub mod triage;

pub use audit::AuditLog;
