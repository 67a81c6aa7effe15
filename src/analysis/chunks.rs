//! The reading half of a scan: the log in chunks, its colour codes taken out, and in each
//! chunk the lines worth a look.
//!
//! Like ripgrep, it does not visit every line in its own loop. The [`LineFilter`] searches the
//! raw bytes of a large buffer for the literals the catalog's patterns, the evidence shapes
//! and the runner's markers require; the lines in between are only counted (memchr). The
//! buffer is refilled in chunks, keeping a few lines of the previous chunk for context, so
//! memory does not grow with the log; a line longer than [`MAX_LINE`] is cut.
//!
//! Each chunk leaves as a [`Batch`]: the buffer and the lines the filter hit in it, which the
//! scanner then looks at precisely. On a log of more than one chunk the two halves run on two
//! threads, reading the next chunk while the last is looked at (see `Scanner::scan`).

use std::io::Read;
use std::sync::mpsc;

use super::evidence;
use super::line::{self, LogFormat};
use super::line_breaks::{
    count_lines, find_break, last_line_start, line_start_before, next_line_start,
};
use super::line_filter::{Cursor, Found, LineFilter};

/// Bytes read per refill.
pub const CHUNK: usize = 4 << 20;
/// Longest line examined; the rest of a longer line is skipped (and counted as one line).
pub const MAX_LINE: usize = 64 * 1024;
/// Lines of the previous chunk kept for context.
const CARRY_LINES: usize = 16;

/// A line the filter hit: `buf[start..end]`, without its line break.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hit {
    pub start: usize,
    pub end: usize,
    pub line: usize,
    /// Any pattern may match the line; `false` when only a failure word alone can (see
    /// `LineFilter::next_line`).
    pub strong: bool,
}

/// One chunk of the log, read and filtered.
pub struct Batch {
    /// The chunk, with a few lines of the one before it (context) and a few after the last
    /// hit's line (its after-context).
    pub buf: Vec<u8>,
    /// The part of `buf` the lines' context may come from.
    pub visible: usize,
    pub hits: Vec<Hit>,
    pub format: LogFormat,
    /// On the last batch: the number of the log's last line (the tail is `buf`'s end).
    pub last_line: Option<usize>,
    /// The log is larger than one chunk.
    pub large: bool,
}

/// What the reading half counted over the whole log.
#[derive(Debug, Clone, Copy, Default)]
pub struct Totals {
    pub bytes: u64,
    pub lines: usize,
    pub long_lines_cut: usize,
}

/// The log, chunk after chunk.
pub struct Batches<'a, R> {
    reader: R,
    filter: &'a LineFilter,
    /// Complete lines kept after the last examined one, for its after-context.
    after: usize,
    buf: Vec<u8>,
    /// Buffers the scanner is done with, to refill without asking the allocator for pages.
    spare: Vec<Vec<u8>>,
    returned: Option<mpsc::Receiver<Vec<u8>>>,
    /// Bytes before `done` have been examined; `line_no` is the number of the line there.
    done: usize,
    line_no: usize,
    /// Bytes before `clean_to` have had their colour codes taken out.
    clean_to: usize,
    /// Inside an over-long line: its bytes are dropped up to its end.
    skipping: bool,
    format: Option<LogFormat>,
    finished: bool,
    /// More than one chunk has been read.
    large: bool,
    totals: Totals,
}

impl<'a, R: Read> Batches<'a, R> {
    pub fn new(reader: R, filter: &'a LineFilter, after: usize) -> Self {
        Batches {
            reader,
            filter,
            after: after.max(evidence::MAX_AFTER),
            buf: Vec::new(),
            spare: Vec::new(),
            returned: None,
            done: 0,
            line_no: 1,
            clean_to: 0,
            skipping: false,
            format: None,
            finished: false,
            large: false,
            totals: Totals::default(),
        }
    }

    /// Buffers sent back on `returned` are refilled instead of new ones.
    pub fn recycle_from(&mut self, returned: mpsc::Receiver<Vec<u8>>) {
        self.returned = Some(returned);
    }

    /// A buffer the scanner is done with, kept for a later chunk.
    pub fn recycle(&mut self, mut buf: Vec<u8>) {
        if self.spare.len() < 2 {
            buf.clear();
            self.spare.push(buf);
        }
    }

    pub fn totals(&self) -> Totals {
        self.totals
    }

    fn fresh_buffer(&mut self) -> Vec<u8> {
        if let Some(returned) = &self.returned {
            while let Ok(buf) = returned.try_recv() {
                if self.spare.len() >= 2 {
                    break;
                }
                self.spare.push(buf);
            }
        }
        let mut buf = self
            .spare
            .pop()
            .unwrap_or_else(|| Vec::with_capacity(CHUNK + MAX_LINE));
        buf.clear();
        buf
    }

    /// The next chunk with the lines worth a look in it; `None` after the last.
    pub fn next_batch(&mut self) -> std::io::Result<Option<Batch>> {
        while !self.finished {
            if self.buf.capacity() == 0 {
                self.buf = self.fresh_buffer();
            }
            let start_len = self.buf.len();
            self.buf.resize(start_len + CHUNK, 0);
            let n = read_full(&mut self.reader, &mut self.buf[start_len..])?;
            self.buf.truncate(start_len + n);
            self.totals.bytes += n as u64;
            let eof = n == 0;
            if self.format.is_some() && !eof {
                // A second chunk: the log is large enough to pay for the fastest filter. (The
                // pattern sets' own are built on another thread: see `Scanner::scan`.)
                self.large = true;
                self.filter.expect_large();
            }
            if self.skipping {
                match find_break(&self.buf[self.done..]) {
                    Some(p) => {
                        self.buf.drain(self.done..self.done + p);
                        self.skipping = false;
                    }
                    None => {
                        self.buf.truncate(self.done);
                        self.clean_to = self.clean_to.min(self.done);
                        continue;
                    }
                }
                self.clean_to = self.clean_to.min(self.done);
            }
            let from = self.clean_to.min(self.buf.len());
            self.clean_to = strip_csi(&mut self.buf, from);
            let format = *self.format.get_or_insert_with(|| {
                line::detect_format(&self.buf[..self.buf.len().min(64 * 1024)])
            });
            let done = self.done;
            let end = if eof {
                self.buf.len()
            } else {
                // Leave the last few complete lines (and any partial one) for the next
                // round, so every examined line has its after-context in the buffer.
                let mut e = last_line_start(&self.buf, self.buf.len());
                for _ in 0..self.after {
                    if e <= done {
                        break;
                    }
                    e = last_line_start(&self.buf, e - 1);
                }
                e.max(done)
            };
            if end == done && !eof && self.buf.len() - done > MAX_LINE * 16 {
                // One line longer than we will ever look at: examine its head, skip the rest.
                let cut = done + MAX_LINE;
                let mut hits = Vec::new();
                let mut copy = self.fresh_buffer();
                let view = &self.buf[..cut];
                examine(
                    self.filter,
                    format,
                    view,
                    done,
                    cut,
                    self.line_no,
                    true,
                    &mut hits,
                );
                copy.extend_from_slice(view);
                self.totals.long_lines_cut += 1;
                self.line_no += 1;
                self.buf.truncate(done);
                self.clean_to = self.clean_to.min(done);
                self.skipping = true;
                return Ok(Some(Batch {
                    visible: copy.len(),
                    buf: copy,
                    hits,
                    format,
                    large: self.large,
                    last_line: None,
                }));
            }
            let mut hits = Vec::new();
            self.line_no = examine(
                self.filter,
                format,
                &self.buf,
                done,
                end,
                self.line_no,
                eof,
                &mut hits,
            );
            if eof {
                self.finished = true;
                self.totals.lines = self.line_no.saturating_sub(1);
                let buf = std::mem::take(&mut self.buf);
                return Ok(Some(Batch {
                    visible: buf.len(),
                    buf,
                    hits,
                    format,
                    large: self.large,
                    last_line: Some(self.totals.lines),
                }));
            }
            // Keep some lines before `end` as context for the next round, and everything
            // after it; the rest of this buffer leaves with the batch.
            let mut keep = end;
            for _ in 0..CARRY_LINES {
                if keep == 0 {
                    break;
                }
                keep = last_line_start(&self.buf, keep - 1);
            }
            let mut next = self.fresh_buffer();
            next.extend_from_slice(&self.buf[keep..]);
            let buf = std::mem::replace(&mut self.buf, next);
            self.done = end - keep;
            self.clean_to = self.clean_to.saturating_sub(keep);
            if hits.is_empty() {
                self.recycle(buf);
                continue;
            }
            return Ok(Some(Batch {
                visible: buf.len(),
                buf,
                hits,
                format,
                large: self.large,
                last_line: None,
            }));
        }
        Ok(None)
    }
}

/// The lines starting in `buf[from..to]` that the filter hits, into `hits`; returns the
/// number of the line at `to`.
#[allow(clippy::too_many_arguments)]
fn examine(
    filter: &LineFilter,
    format: LogFormat,
    buf: &[u8],
    from: usize,
    to: usize,
    mut line_no: usize,
    eof: bool,
    hits: &mut Vec<Hit>,
) -> usize {
    let mut pos = from;
    let mut cursor = Cursor::default();
    while pos < to {
        let Some(Found { at: hit, strong }) =
            filter.next_line(&buf[..to], pos, format, &mut cursor)
        else {
            line_no += count_lines(&buf[pos..to], eof && to == buf.len());
            return line_no;
        };
        // The line of the hit (which may be on the line break ending it).
        let start = line_start_before(buf, hit.max(pos), pos);
        line_no += count_lines(&buf[pos..start], false);
        let end = find_break(&buf[start..]).map_or(buf.len(), |p| start + p);
        hits.push(Hit {
            start,
            end: end.min(start + MAX_LINE),
            line: line_no,
            strong,
        });
        let next = next_line_start(buf, end);
        line_no += 1;
        if next >= to {
            // The line ran past `to` (only possible at the end of the data).
            return line_no;
        }
        pos = next;
    }
    line_no
}

/// Takes the CSI sequences (`ESC [ parameters final`: colours, cursor moves, line erases) out
/// of `buf[from..]`, in place, and returns where an unfinished one at the end begins (or the
/// end). With them gone, a word that colour codes split (`ER\x1b[0mROR`) is whole again for
/// the literal search, and a coloured line is looked at only when it holds a literal. No line
/// break is ever inside one, so lines and their numbers stay as they were; and a line's clean
/// text (`sanitize::clean`) never had them. Other escapes stay (the filter looks at every
/// line that holds one).
fn strip_csi(buf: &mut Vec<u8>, from: usize) -> usize {
    let len = buf.len();
    let (mut read, mut write) = (from, from);
    let mut unfinished = len;
    while let Some(at) = memchr::memchr(0x1b, &buf[read..len]).map(|p| read + p) {
        if at + 1 >= len {
            unfinished = at;
            break;
        }
        let mut end = at + 2;
        if buf[at + 1] == b'[' {
            while end < len && (0x20..0x40).contains(&buf[end]) {
                end += 1;
            }
            if end >= len {
                unfinished = at;
                break;
            }
        }
        if buf[at + 1] != b'[' || !(0x40..0x7f).contains(&buf[end]) {
            // Not a CSI sequence: keep the escape byte, go on after it.
            buf.copy_within(read..at + 1, write);
            write += at + 1 - read;
            read = at + 1;
            continue;
        }
        // A lone `\r` then the sequence then `\n` are two line breaks; without the sequence
        // they would be one (`\r\n`). Such a sequence stays (and waits for the byte after it
        // when that has not been read yet).
        let before = if at > read {
            Some(buf[at - 1])
        } else if write > 0 {
            Some(buf[write - 1])
        } else {
            None
        };
        if before == Some(b'\r') {
            match buf.get(end + 1) {
                None => {
                    unfinished = at;
                    break;
                }
                Some(b'\n') => {
                    buf.copy_within(read..end + 1, write);
                    write += end + 1 - read;
                    read = end + 1;
                    continue;
                }
                Some(_) => {}
            }
        }
        buf.copy_within(read..at, write);
        write += at - read;
        read = end + 1;
    }
    buf.copy_within(read..len, write);
    let kept = write + (len - read);
    buf.truncate(kept);
    kept - (len - unfinished.max(read))
}

/// Reads until `buf` is full or the reader is exhausted.
fn read_full(reader: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_codes_leave_the_buffer_and_lines_stay_where_they_were() {
        let mut buf = b"a\x1b[1mER\x1b[0mROR\r\nb\x1b]0;t\x07c\n\x1b[".to_vec();
        let resume = strip_csi(&mut buf, 0);
        assert_eq!(buf, b"aERROR\r\nb\x1b]0;t\x07c\n\x1b[");
        // The unfinished sequence at the end waits for the rest of it.
        assert_eq!(resume, buf.len() - 2);
        buf.extend_from_slice(b"31mx\x1b[0m\n");
        let resume = strip_csi(&mut buf, resume);
        assert_eq!(buf, b"aERROR\r\nb\x1b]0;t\x07c\nx\n");
        assert_eq!(resume, buf.len());
        // A malformed sequence keeps its bytes; a line break is never swallowed.
        let mut odd = b"x\x1b[12\ny".to_vec();
        strip_csi(&mut odd, 0);
        assert_eq!(odd, b"x\x1b[12\ny");
        // `\r`, a sequence, `\n` are two line breaks, and stay two.
        let mut progress = b"50%\r\x1b[0K\x1b[1m\ndone\r\x1b[2K".to_vec();
        let resume = strip_csi(&mut progress, 0);
        assert_eq!(progress, b"50%\r\x1b[1m\ndone\r\x1b[2K");
        assert_eq!(
            resume,
            progress.len() - 4,
            "the last waits for the byte after it"
        );
        assert_eq!(
            count_lines(&progress, true),
            count_lines(b"50%\r\x1b[0K\x1b[1m\ndone\r\x1b[2K", true)
        );
    }
}
