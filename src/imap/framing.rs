//! Bytes → IMAP messages within limits: imap-codec's Fragmentizer splits
//! lines and literals; this wrapper refuses a line, a literal or a whole
//! message over the limits of the session's state *while it arrives*, so a
//! client can never make the server buffer more than the limit (plus one
//! read) before or after login. No I/O: the connection feeds bytes in and
//! acts on the events.

use imap_codec::fragmentizer::{FragmentInfo, Fragmentizer, LiteralAnnouncement};
use imap_codec::imap_types::IntoStatic;
use imap_codec::imap_types::core::{LiteralMode, Tag};

/// Command lines before authentication (RFC 9051 leaves the size to the
/// server; LOGIN with two quoted strings fits many times over).
pub const LINE_BEFORE_LOGIN: usize = 8 * 1024;
/// Command lines once authenticated (long UID sets, SEARCH with many keys).
pub const LINE_AFTER_LOGIN: usize = 64 * 1024;
/// Literals before authentication: a user name or password.
pub const LITERAL_BEFORE_LOGIN: usize = 4 * 1024;
/// A whole command before authentication: lines and literals together.
pub const MESSAGE_BEFORE_LOGIN: usize = 16 * 1024;
/// Once a message this large has passed, its buffer is given back.
const RELEASE_ABOVE: usize = 1 << 20;

/// What the connection may receive in its current state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub line: usize,
    pub literal: usize,
    pub message: usize,
    /// Before login only LOGIN and AUTHENTICATE may carry literals.
    pub literals_only_for_login: bool,
}

impl Limits {
    pub fn before_login() -> Self {
        Self {
            line: LINE_BEFORE_LOGIN,
            literal: LITERAL_BEFORE_LOGIN,
            message: MESSAGE_BEFORE_LOGIN,
            literals_only_for_login: true,
        }
    }

    /// `max_message`: the largest message APPEND may bring.
    pub fn after_login(max_message: usize) -> Self {
        Self {
            line: LINE_AFTER_LOGIN,
            literal: max_message,
            message: max_message + LINE_AFTER_LOGIN,
            literals_only_for_login: false,
        }
    }
}

#[derive(Debug)]
pub enum Event {
    /// A complete message is ready: decode it from [`Reader::fragmentizer`].
    Message,
    /// A literal within the limits was announced; a synchronizing one needs
    /// a `+` continuation before the client sends it.
    Literal { length: u32, sync: bool },
    /// A synchronizing literal refused before it was sent: answer the tag
    /// with `NO` (the message has been skipped; the connection goes on).
    LiteralRefused {
        tag: Option<Tag<'static>>,
        too_big: bool,
        text: &'static str,
    },
    /// Over a limit where the input cannot be resynchronised: answer `BAD`
    /// and close the connection.
    Fatal {
        tag: Option<Tag<'static>>,
        text: &'static str,
    },
}

pub struct Reader {
    frag: Fragmentizer,
    limits: Limits,
    /// The fragmentizer's own cap: above the largest limits this reader
    /// will be given, so that ours always fire first.
    cap: u32,
    /// Offset in the current message where the line being received starts.
    line_start: usize,
    /// The largest message seen since the buffer was last renewed.
    largest: usize,
    /// Set once a fatal event was reported: nothing more is parsed.
    failed: bool,
    /// An accepted literal is being received.
    in_literal: bool,
}

impl Reader {
    /// `limits` now; `largest` the most generous limits it will be given.
    pub fn new(limits: Limits, largest: Limits) -> Self {
        let cap =
            (largest.message.max(limits.message) + largest.line + 1).min(u32::MAX as usize) as u32;
        Self {
            frag: Fragmentizer::new(cap),
            limits,
            cap,
            line_start: 0,
            largest: 0,
            failed: false,
            in_literal: false,
        }
    }

    /// Limits for what follows (checked on every event, so a change right
    /// after LOGIN applies to commands pipelined behind it).
    pub fn set_limits(&mut self, limits: Limits) {
        self.limits = limits;
    }

    pub fn enqueue(&mut self, bytes: &[u8]) {
        if !self.failed {
            self.frag.enqueue_bytes(bytes);
        }
    }

    /// Starts over with an empty buffer (after STARTTLS nothing received in
    /// clear text may be acted on).
    pub fn reset(&mut self) {
        self.frag = Fragmentizer::new(self.cap);
        self.line_start = 0;
        self.largest = 0;
        self.in_literal = false;
    }

    pub fn fragmentizer(&self) -> &Fragmentizer {
        &self.frag
    }

    /// Drops the rest of the current message (a refused literal).
    fn skip(&mut self) {
        self.frag.skip_message();
        self.line_start = 0;
        self.in_literal = false;
    }

    fn tag(&self) -> Option<Tag<'static>> {
        self.frag.decode_tag().map(|t| t.into_static())
    }

    fn fatal(&mut self, text: &'static str) -> Option<Event> {
        self.failed = true;
        Some(Event::Fatal {
            tag: self.tag(),
            text,
        })
    }

    /// The next event, or `None` when more bytes are needed.
    pub fn next_event(&mut self) -> Option<Event> {
        if self.failed {
            return None;
        }
        let Some(info) = self.frag.progress() else {
            return self.check_partial();
        };
        let received = self.frag.message_bytes().len();
        self.largest = self.largest.max(received);
        if received > self.limits.message || self.frag.is_max_message_size_exceeded() {
            return self.fatal("Command too long");
        }
        match info {
            FragmentInfo::Line {
                start,
                end,
                announcement,
                ..
            } => {
                self.line_start = end;
                self.in_literal = false;
                if end - start > self.limits.line {
                    return self.fatal("Command line too long");
                }
                match announcement {
                    Some(announcement) => self.literal(announcement),
                    None => {
                        self.line_start = 0;
                        Some(Event::Message)
                    }
                }
            }
            FragmentInfo::Literal { end, .. } => {
                self.line_start = end;
                self.in_literal = false;
                self.next_event()
            }
        }
    }

    fn literal(
        &mut self,
        LiteralAnnouncement { mode, length }: LiteralAnnouncement,
    ) -> Option<Event> {
        let sync = mode == LiteralMode::Sync;
        let refusal = if self.limits.literals_only_for_login && !self.may_carry_literal() {
            Some((false, "Literals are not accepted before login but in LOGIN"))
        } else if length as usize > self.limits.literal {
            Some((true, "Literal exceeds the size limit"))
        } else if self.frag.message_bytes().len() + length as usize > self.limits.message {
            Some((true, "Command exceeds the size limit"))
        } else {
            None
        };
        match refusal {
            None => {
                self.in_literal = true;
                Some(Event::Literal { length, sync })
            }
            // The client waits for our `+`, so nothing of it is on the way.
            Some((too_big, text)) if sync => {
                let tag = self.tag();
                self.skip();
                Some(Event::LiteralRefused { tag, too_big, text })
            }
            // LITERAL+: the bytes are already coming and cannot be told
            // apart from commands; RFC 7888 4 has the server close.
            Some((_, text)) => self.fatal(text),
        }
    }

    /// Whether the message being received is the command `name` (`UID`
    /// prefixes aside, which no literal-carrying check needs).
    pub fn command_is(&self, name: &[u8]) -> bool {
        let bytes = self.frag.message_bytes();
        let mut words = bytes.split(|b| *b == b' ');
        let _tag = words.next();
        words.next().is_some_and(|c| c.eq_ignore_ascii_case(name))
    }

    /// Refuses the synchronizing literal just announced (the connection
    /// answers the returned tag); the message is skipped.
    pub fn refuse_literal(&mut self) -> Option<Tag<'static>> {
        let tag = self.tag();
        self.skip();
        tag
    }

    fn may_carry_literal(&self) -> bool {
        self.command_is(b"LOGIN") || self.command_is(b"AUTHENTICATE")
    }

    /// Everything enqueued has been parsed without completing a fragment:
    /// refuse a line that is already too long, and give back the buffer of
    /// a large message once it is done.
    fn check_partial(&mut self) -> Option<Event> {
        let received = self.frag.message_bytes().len();
        if received == 0 {
            if self.largest > RELEASE_ABOVE {
                // The fragmentizer keeps its buffer's capacity; a 50 MiB
                // APPEND would otherwise stay allocated for the session.
                self.frag = Fragmentizer::new(self.cap);
                self.line_start = 0;
            }
            self.largest = 0;
            return None;
        }
        if received > self.limits.message || self.frag.is_max_message_size_exceeded() {
            return self.fatal("Command too long");
        }
        // Inside an accepted literal the announced length was checked.
        if !self.in_literal && received.saturating_sub(self.line_start) > self.limits.line {
            return self.fatal("Command line too long");
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events(reader: &mut Reader, bytes: &[u8]) -> Vec<String> {
        reader.enqueue(bytes);
        let mut out = Vec::new();
        while let Some(e) = reader.next_event() {
            out.push(match e {
                Event::Message => "message".to_string(),
                Event::Literal { length, sync } => format!("literal {length} {sync}"),
                Event::LiteralRefused { text, .. } => format!("refused {text}"),
                Event::Fatal { text, .. } => format!("fatal {text}"),
            });
        }
        out
    }

    #[test]
    fn a_long_line_is_refused_before_its_end_arrives() {
        let mut r = Reader::new(Limits::before_login(), Limits::after_login(1 << 20));
        assert_eq!(events(&mut r, b"a NOOP\r\n"), ["message"]);
        let mut e = Vec::new();
        for _ in 0..4 {
            e.extend(events(&mut r, &[b'x'; 4096]));
        }
        assert_eq!(e, ["fatal Command line too long"]);
        // Nothing more is taken in.
        assert!(events(&mut r, b"\r\nb NOOP\r\n").is_empty());
        assert!(r.fragmentizer().message_bytes().len() <= MESSAGE_BEFORE_LOGIN);
    }

    #[test]
    fn literals_before_login_only_for_login_and_small() {
        let mut r = Reader::new(Limits::before_login(), Limits::after_login(1 << 20));
        assert_eq!(events(&mut r, b"a LOGIN {5}\r\n"), ["literal 5 true"]);
        assert_eq!(events(&mut r, b"alice {3}\r\n"), ["literal 3 true"]);
        assert_eq!(events(&mut r, b"pwd\r\n"), ["message"]);
        assert_eq!(
            events(&mut r, b"b SELECT {5}\r\n"),
            ["refused Literals are not accepted before login but in LOGIN"]
        );
        assert_eq!(
            events(&mut r, b"c LOGIN {5000}\r\n"),
            ["refused Literal exceeds the size limit"]
        );
        assert_eq!(events(&mut r, b"d NOOP\r\n"), ["message"]);
        assert_eq!(
            events(&mut r, b"e LOGIN {5000+}\r\n"),
            ["fatal Literal exceeds the size limit"]
        );
    }

    #[test]
    fn after_login_literals_up_to_the_message_size() {
        let mut r = Reader::new(Limits::before_login(), Limits::after_login(1 << 20));
        r.set_limits(Limits::after_login(1 << 20));
        assert_eq!(
            events(&mut r, b"a APPEND INBOX {100000}\r\n"),
            ["literal 100000 true"]
        );
        let mut e = Vec::new();
        for _ in 0..10 {
            e.extend(events(&mut r, &[b'y'; 10_000]));
        }
        assert!(e.is_empty(), "{e:?}");
        assert_eq!(events(&mut r, b"\r\n"), ["message"]);
        assert_eq!(
            events(&mut r, b"b APPEND INBOX {2000000}\r\n"),
            ["refused Literal exceeds the size limit"]
        );
    }

    #[test]
    fn many_small_literals_cannot_grow_a_command_past_the_limit() {
        let mut r = Reader::new(Limits::before_login(), Limits::after_login(1 << 20));
        let mut e = events(&mut r, b"a LOGIN {4000+}\r\n");
        for _ in 0..5 {
            e.extend(events(&mut r, &[b'z'; 4000]));
            e.extend(events(&mut r, b" {4000+}\r\n"));
        }
        assert!(e.iter().any(|x| x.starts_with("fatal")), "{e:?}");
    }
}
