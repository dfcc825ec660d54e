//! Bytes → frames: command lines, DATA bodies, BDAT chunks and SASL lines.
//! No I/O and no policy: the session decides what each frame means, and
//! tells the framer what to expect next (a body after `354`, a SASL line
//! after `334`).

use std::slice::Iter;

use smtp_proto::Request;
use smtp_proto::request::receiver::{BdatReceiver, DataReceiver, DummyDataReceiver};

/// RFC 5321 4.5.3.1.4: a command line is at most 512 octets with CRLF.
pub const MAX_COMMAND_LINE: usize = 512;
/// SASL responses carry base64 credentials; 4 KiB is plenty.
pub const MAX_AUTH_LINE: usize = 4096;

#[derive(Debug)]
pub enum Frame {
    Command(Request<String>),
    /// A command line that did not parse.
    Invalid(smtp_proto::Error),
    /// A command line over [`MAX_COMMAND_LINE`], refused before its end.
    LineTooLong,
    /// A complete DATA body, dot-unstuffed, without the final `.CRLF`.
    Message(Vec<u8>),
    /// A DATA body over the size limit; its bytes were discarded.
    MessageTooBig,
    /// A complete BDAT chunk (`data` is empty when it was over the limit).
    Chunk {
        data: Vec<u8>,
        last: bool,
        too_big: bool,
    },
    /// A SASL response line, without CRLF.
    AuthLine(String),
}

enum Mode {
    Command,
    Data(DataReceiver),
    DataDiscard(DummyDataReceiver),
    Bdat(BdatReceiver),
    BdatDiscard {
        receiver: DummyDataReceiver,
        last: bool,
    },
    AuthLine,
}

pub struct Framer {
    mode: Mode,
    line: Vec<u8>,
    body: Vec<u8>,
    max_message: usize,
}

impl Framer {
    pub fn new(max_message: usize) -> Self {
        Self {
            mode: Mode::Command,
            line: Vec::new(),
            body: Vec::new(),
            max_message,
        }
    }

    /// The session accepted DATA: what follows is a message body.
    pub fn expect_data(&mut self) {
        let mut receiver = DataReceiver::new();
        // The receiver looks for CRLF "." CRLF; the CRLF that ended the DATA
        // command counts, so that an empty body (".\r\n") and a first line
        // starting with ".." are recognised.
        let mut scratch = Vec::new();
        receiver.ingest(&mut b"\r\n".iter(), &mut scratch);
        self.body = Vec::new();
        self.mode = Mode::Data(receiver);
    }

    /// The session sent `334`: the next line is a SASL response.
    pub fn expect_auth_line(&mut self) {
        self.mode = Mode::AuthLine;
        self.line.clear();
    }

    /// Forgets everything buffered (after STARTTLS: nothing sent in clear
    /// text before the handshake may be acted on once it is done).
    pub fn reset(&mut self) {
        self.mode = Mode::Command;
        self.line.clear();
        self.body = Vec::new();
    }

    /// Octets of a command or SASL line received so far without its end.
    pub fn buffered_line(&self) -> usize {
        self.line.len()
    }

    /// Whether a message body is being received.
    pub fn in_body(&self) -> bool {
        matches!(
            self.mode,
            Mode::Data(_) | Mode::DataDiscard(_) | Mode::Bdat(_) | Mode::BdatDiscard { .. }
        )
    }

    /// The next complete frame in `input`, or `None` when more bytes are
    /// needed (everything in `input` has then been consumed).
    pub fn next(&mut self, input: &mut Iter<'_, u8>) -> Option<Frame> {
        loop {
            match &mut self.mode {
                Mode::Command => return self.next_command(input),
                Mode::AuthLine => {
                    let line = self.next_line(input, MAX_AUTH_LINE)?;
                    self.mode = Mode::Command;
                    return Some(match line {
                        Some(l) => {
                            Frame::AuthLine(String::from_utf8_lossy(&l).trim_end().to_string())
                        }
                        None => Frame::LineTooLong,
                    });
                }
                Mode::Data(receiver) => {
                    let done = receiver.ingest(input, &mut self.body);
                    if done {
                        self.mode = Mode::Command;
                        let body = std::mem::take(&mut self.body);
                        if body.len() > self.max_message {
                            return Some(Frame::MessageTooBig);
                        }
                        return Some(Frame::Message(body));
                    }
                    if self.body.len() > self.max_message {
                        self.mode = Mode::DataDiscard(DummyDataReceiver::new_data(receiver));
                        self.body = Vec::new();
                        continue;
                    }
                    return None;
                }
                Mode::DataDiscard(receiver) => {
                    if receiver.ingest(input) {
                        self.mode = Mode::Command;
                        return Some(Frame::MessageTooBig);
                    }
                    return None;
                }
                Mode::Bdat(receiver) => {
                    if receiver.ingest(input, &mut self.body) {
                        let last = receiver.is_last;
                        self.mode = Mode::Command;
                        return Some(Frame::Chunk {
                            data: std::mem::take(&mut self.body),
                            last,
                            too_big: false,
                        });
                    }
                    return None;
                }
                Mode::BdatDiscard { receiver, last } => {
                    if receiver.ingest(input) {
                        let last = *last;
                        self.mode = Mode::Command;
                        return Some(Frame::Chunk {
                            data: Vec::new(),
                            last,
                            too_big: true,
                        });
                    }
                    return None;
                }
            }
        }
    }

    fn next_command(&mut self, input: &mut Iter<'_, u8>) -> Option<Frame> {
        let line = match self.next_line(input, MAX_COMMAND_LINE)? {
            Some(line) => line,
            None => return Some(Frame::LineTooLong),
        };
        let parsed = Request::parse(&mut line.iter()).map(|r| r.into_owned());
        match parsed {
            Ok(Request::Bdat {
                chunk_size,
                is_last,
            }) => {
                // The chunk follows the command unconditionally; collect it
                // now and let the session decide what it is worth.
                if chunk_size > self.max_message {
                    self.mode = Mode::BdatDiscard {
                        receiver: DummyDataReceiver::new_bdat(chunk_size),
                        last: is_last,
                    };
                } else {
                    self.body = Vec::with_capacity(chunk_size.min(1 << 20));
                    self.mode = Mode::Bdat(BdatReceiver::new(chunk_size, is_last));
                }
                self.next(input)
            }
            Ok(request) => Some(Frame::Command(request)),
            Err(e) => Some(Frame::Invalid(e)),
        }
    }

    /// One line up to and including LF. `Some(None)`: the line grew past
    /// `max` before its end; it is dropped at once, never buffered further
    /// (the session then closes the connection).
    fn next_line(&mut self, input: &mut Iter<'_, u8>, max: usize) -> Option<Option<Vec<u8>>> {
        for &byte in input.by_ref() {
            self.line.push(byte);
            if byte == b'\n' {
                return Some(Some(std::mem::take(&mut self.line)));
            }
            if self.line.len() >= max {
                self.line = Vec::new();
                return Some(None);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(framer: &mut Framer, bytes: &[u8]) -> Vec<Frame> {
        let mut it = bytes.iter();
        let mut out = Vec::new();
        while let Some(f) = framer.next(&mut it) {
            out.push(f);
        }
        out
    }

    #[test]
    fn pipelined_commands_split_anywhere() {
        let input = b"EHLO a.test\r\nMAIL FROM:<x@a.test>\r\nRCPT TO:<y@b.test>\r\n";
        for split in 0..input.len() {
            let mut f = Framer::new(1000);
            let mut all = frames(&mut f, &input[..split]);
            all.extend(frames(&mut f, &input[split..]));
            assert_eq!(all.len(), 3, "split at {split}");
            assert!(
                matches!(&all[2], Frame::Command(Request::Rcpt { to }) if to.address == "y@b.test")
            );
        }
    }

    #[test]
    fn long_command_lines_are_refused_before_their_end() {
        let mut f = Framer::new(1000);
        let mut input = b"NOOP ".to_vec();
        input.extend(std::iter::repeat_n(b'x', 600));
        let mut it = input.iter();
        assert!(matches!(f.next(&mut it), Some(Frame::LineTooLong)));
        // Refused at the limit: the rest was not taken in.
        assert_eq!(it.len(), input.len() - MAX_COMMAND_LINE);
        assert!(f.line.is_empty());
        // A line of exactly the limit, CRLF included, passes.
        let line = format!("NOOP {}\r\n", "y".repeat(MAX_COMMAND_LINE - 7));
        assert!(matches!(
            frames(&mut f, line.as_bytes()).as_slice(),
            [Frame::Command(_)]
        ));
    }

    #[test]
    fn data_ends_only_at_crlf_dot_crlf() {
        let mut f = Framer::new(1000);
        f.expect_data();
        let out = frames(&mut f, b"a\n.\nb\r.\r\nc\r\n..d\r\n.\r\nQUIT\r\n");
        let Frame::Message(body) = &out[0] else {
            panic!("{out:?}")
        };
        assert_eq!(body, b"a\n.\nb\r.\r\nc\r\n.d\r\n");
        assert!(matches!(out[1], Frame::Command(Request::Quit)));
        let mut f = Framer::new(1000);
        f.expect_data();
        let out = frames(&mut f, b".\r\n");
        assert!(matches!(&out[0], Frame::Message(b) if b.is_empty()));
    }

    #[test]
    fn oversize_data_is_discarded() {
        let mut f = Framer::new(10);
        f.expect_data();
        let out = frames(&mut f, b"0123456789abcdef\r\nmore\r\n.\r\nNOOP\r\n");
        assert!(matches!(out[0], Frame::MessageTooBig));
        assert!(matches!(out[1], Frame::Command(Request::Noop { .. })));
    }

    /// Arbitrary bytes in every mode never panic and are always consumed.
    #[test]
    fn random_input_never_panics() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(0x5eed);
        let alphabet: &[u8] = b"\r\n.:<>@ BDATMAILRCPTEHLO0123456789LAST\x00\xff";
        for round in 0..2000 {
            let mut f = Framer::new(256);
            match round % 3 {
                1 => f.expect_data(),
                2 => f.expect_auth_line(),
                _ => {}
            }
            let len = rng.gen_range(0..600);
            let input: Vec<u8> = (0..len)
                .map(|_| alphabet[rng.gen_range(0..alphabet.len())])
                .collect();
            let mut it = input.iter();
            let mut guard = 0;
            while f.next(&mut it).is_some() {
                guard += 1;
                assert!(guard <= input.len() + 1, "frames without consuming input");
            }
            assert_eq!(it.len(), 0, "input left unconsumed");
        }
    }

    #[test]
    fn bdat_chunks() {
        let mut f = Framer::new(100);
        let out = frames(&mut f, b"BDAT 5\r\nhelloBDAT 3 LAST\r\nabcQUIT\r\n");
        assert!(
            matches!(&out[0], Frame::Chunk { data, last: false, too_big: false } if data == b"hello")
        );
        assert!(matches!(&out[1], Frame::Chunk { data, last: true, .. } if data == b"abc"));
        assert!(matches!(out[2], Frame::Command(Request::Quit)));
        let out = frames(&mut f, b"BDAT 0 LAST\r\n");
        assert!(matches!(&out[0], Frame::Chunk { data, last: true, .. } if data.is_empty()));
        let out = frames(
            &mut f,
            &[b"BDAT 200 LAST\r\n".as_slice(), &[b'x'; 200], b"NOOP\r\n"].concat(),
        );
        assert!(matches!(
            &out[0],
            Frame::Chunk {
                too_big: true,
                last: true,
                ..
            }
        ));
        assert!(matches!(out[1], Frame::Command(Request::Noop { .. })));
    }
}
