//! The machine autoheal runs on: where its files live ([`paths`]), how they are replaced
//! whole ([`atomic`]), and where its logs go ([`logging`]).

pub mod atomic;
pub mod logging;
pub mod paths;
