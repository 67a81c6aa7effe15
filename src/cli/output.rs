//! What the commands print: text for a person, JSON for a program.
//!
//! Text for a person goes through [`Safe`]. Names, titles and messages come from GitHub and
//! from logs, and a fork's pull request title (a run's `display_title`) can carry an OSC 52
//! clipboard write or a title change as easily as a log line can. Every line printed is
//! cleaned by the sanitizer the analysis uses, so nothing we print can drive the terminal.
//! JSON is not filtered again: serde escapes control characters, and a program wants the
//! data as it was read (names and titles were cleaned on the way in; refs are kept raw).

use std::io::{self, Write};

use serde::Serialize;

use super::Failure;
use crate::text::sanitize;

/// A writer that cleans each line before passing it on: escape sequences, control
/// characters and bidirectional overrides never get through. Lines are kept whole, so a
/// sequence split across two `write` calls is caught too.
pub struct Safe<W: Write> {
    inner: W,
    line: Vec<u8>,
}

impl<W: Write> Safe<W> {
    pub fn new(inner: W) -> Self {
        Safe {
            inner,
            line: Vec::new(),
        }
    }

    fn emit_line(&mut self, end: usize) -> io::Result<()> {
        let cleaned = sanitize::clean(&self.line[..end]);
        self.inner.write_all(cleaned.as_bytes())
    }
}

impl<W: Write> Write for Safe<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut rest = buf;
        while let Some(nl) = memchr::memchr(b'\n', rest) {
            self.line.extend_from_slice(&rest[..nl]);
            self.emit_line(self.line.len())?;
            self.inner.write_all(b"\n")?;
            self.line.clear();
            rest = &rest[nl + 1..];
        }
        self.line.extend_from_slice(rest);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if !self.line.is_empty() {
            self.emit_line(self.line.len())?;
            self.line.clear();
        }
        self.inner.flush()
    }
}

impl<W: Write> Drop for Safe<W> {
    fn drop(&mut self) {
        let _ = self.flush();
    }
}

/// Prints text for a person on standard output, through [`Safe`].
pub fn text(write: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> Result<(), Failure> {
    let mut out = Safe::new(io::stdout().lock());
    finish(write(&mut out).and_then(|()| out.flush()))
}

/// Prints a document as pretty JSON on standard output.
pub fn json(doc: &impl Serialize) -> Result<(), Failure> {
    let mut out = io::stdout().lock();
    finish(
        serde_json::to_writer_pretty(&mut out, doc)
            .map_err(io::Error::from)
            .and_then(|()| writeln!(out)),
    )
}

/// Prints a document as JSON on one line (for `--watch`, a document a line).
pub fn json_line(doc: &impl Serialize) -> Result<(), Failure> {
    let mut out = io::stdout().lock();
    finish(
        serde_json::to_writer(&mut out, doc)
            .map_err(io::Error::from)
            .and_then(|()| writeln!(out))
            .and_then(|()| out.flush()),
    )
}

/// One line for a person on standard output.
pub fn line(text: &str) {
    let _ = self::text(|out| writeln!(out, "{text}"));
}

/// A warning on standard error.
pub fn warning(text: &str) {
    to_stderr(&format!("warning: {text}"));
}

/// A notice, warning or error on standard error, cleaned like everything else.
pub fn to_stderr(text: &str) {
    let mut err = Safe::new(io::stderr().lock());
    let _ = writeln!(err, "{text}").and_then(|()| err.flush());
}

/// A closed pipe (`| head`) is not an error worth a message.
fn finish(written: io::Result<()>) -> Result<(), Failure> {
    match written {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => {
            Err(Failure::internal(format!("cannot write the output: {e}")))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn through_safe(pieces: &[&[u8]]) -> String {
        let mut out = Vec::new();
        {
            let mut safe = Safe::new(&mut out);
            for p in pieces {
                safe.write_all(p).unwrap();
            }
        }
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn escape_sequences_in_printed_text_are_removed_line_by_line() {
        let printed = through_safe(&[
            b"run 1  \x1b]52;c;cm0gLXJmIH4=\x07Fix prices\n",
            b"\x1b]0;owned\x07title\n",
            b"plain \xe2\x80\xae rtl\n",
        ]);
        assert_eq!(printed, "run 1  Fix prices\ntitle\nplain \u{fffd} rtl\n");
    }

    #[test]
    fn a_sequence_split_across_writes_is_still_caught() {
        let printed = through_safe(&[b"a \x1b]5", b"2;c;eA==", b"\x07b\nlast \x1b[2", b"J"]);
        assert_eq!(printed, "a b\nlast ");
        assert!(!printed.contains('\x1b'));
    }

    #[test]
    fn ordinary_text_passes_unchanged() {
        let text = "acme/webshop  CI  run 12  main · push · 3m ago\n    ✗ test: Run pytest\n";
        assert_eq!(through_safe(&[text.as_bytes()]), text);
    }
}
