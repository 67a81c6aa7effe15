//! The machine autoheal runs on: where its files live ([`paths`]) and where its logs go
//! ([`logging`]).

pub mod logging;
pub mod paths;
