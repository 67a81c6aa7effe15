//! The integration tests, one binary: each module is one area of the product, driven from
//! outside the library (the simulator over HTTP, the real binary, the console's screens).
//! One binary links the library once, where a binary per file linked it a dozen times.
//!
//! `cargo test --test it quality -- --nocapture` runs one area (here the analysis quality
//! figures); `common` holds the helpers every area shares.

mod common;

mod architecture;
mod beyond;
mod cli;
mod console;
mod console_e2e;
mod engine;
mod fuzz_regressions;
mod hardening;
mod heal;
mod line_filter;
mod properties;
mod quality;
mod sim_conformance;
mod watch;
