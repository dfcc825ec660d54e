//! Bytes → POP3 lines within limits. A line over its limit is refused as
//! soon as it passes the limit, without waiting for (or buffering up to)
//! its end: the connection answers `-ERR` and closes.

/// RFC 2449 4: a command line is at most 255 octets, CRLF included.
pub const MAX_COMMAND_LINE: usize = 255;
/// A SASL response line (RFC 5034): base64 of a PLAIN response with a
/// password of the longest length we accept, with room to spare.
pub const MAX_AUTH_LINE: usize = 4096;

#[derive(Debug, PartialEq, Eq)]
pub enum Line {
    /// A line without its CRLF (or bare LF).
    Complete(Vec<u8>),
    /// Longer than the limit; what was received of it is dropped.
    TooLong,
}

#[derive(Default)]
pub struct LineReader {
    line: Vec<u8>,
}

impl LineReader {
    /// The next line of at most `max` octets with its ending, or `None` when
    /// everything in `input` has been consumed without finishing one.
    pub fn next(&mut self, input: &mut std::slice::Iter<'_, u8>, max: usize) -> Option<Line> {
        for &b in input.by_ref() {
            self.line.push(b);
            if b == b'\n' {
                let mut line = std::mem::take(&mut self.line);
                line.pop();
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                return Some(Line::Complete(line));
            }
            // `max` counts the line ending: without its LF the line may be
            // one octet shorter at most.
            if self.line.len() >= max {
                self.line = Vec::new();
                return Some(Line::TooLong);
            }
        }
        None
    }

    /// Forgets a partial line (after STLS).
    pub fn reset(&mut self) {
        self.line = Vec::new();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(r: &mut LineReader, bytes: &[u8], max: usize) -> Vec<Line> {
        let mut it = bytes.iter();
        let mut out = Vec::new();
        while let Some(l) = r.next(&mut it, max) {
            out.push(l);
        }
        out
    }

    #[test]
    fn lines_up_to_the_limit_pass_and_longer_ones_fail_early() {
        let mut r = LineReader::default();
        let max = format!("USER {}\r\n", "a".repeat(MAX_COMMAND_LINE - 7));
        assert_eq!(max.len(), MAX_COMMAND_LINE);
        assert_eq!(
            lines(&mut r, max.as_bytes(), MAX_COMMAND_LINE),
            [Line::Complete(max.trim_end().as_bytes().to_vec())]
        );
        let over = format!("USER {}\r\n", "a".repeat(MAX_COMMAND_LINE - 6));
        assert_eq!(
            lines(&mut r, over.as_bytes(), MAX_COMMAND_LINE),
            [Line::TooLong, Line::Complete(Vec::new())]
        );
        // No line ending at all: refused once the limit passes.
        assert_eq!(
            lines(&mut r, &[b'x'; 10_000], MAX_COMMAND_LINE),
            [const { Line::TooLong }; 39]
        );
        assert!(r.line.len() < MAX_COMMAND_LINE);
    }
}
