//! Text as autoheal reads and writes it, for every other part: log text made safe for a
//! terminal ([`sanitize`]), secrets masked ([`redact`]), times and sizes for people
//! ([`humanize`]). It depends on nothing else in the crate, so the forge's models and the
//! analysis can both use it.

pub mod humanize;
pub mod redact;
pub mod sanitize;
