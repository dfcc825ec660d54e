//! SMTP: receiving as an MX (25), submission (587 STARTTLS, 465 TLS).
//!
//! Layers, bottom up: [`framing`] turns bytes into frames; [`session`] turns
//! frames into replies using policy from `screening` and the store, and
//! hands each message to the `inbound` pipeline;
//! [`connection`] moves bytes between a socket and a session (TLS, timeouts,
//! shutdown); [`server`] accepts connections within the limits.

pub mod connection;
pub mod framing;
pub mod message;
pub mod outbound;
pub mod server;
pub mod session;

/// Which listener a session arrived on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListenerKind {
    /// Port 25: mail from the world for local domains; STARTTLS offered.
    Mx,
    /// Port 587: STARTTLS, then AUTH before MAIL.
    Submission,
    /// Port 465: implicit TLS, then AUTH before MAIL.
    Submissions,
}

impl ListenerKind {
    pub fn name(self) -> &'static str {
        match self {
            Self::Mx => "smtp",
            Self::Submission => "submission",
            Self::Submissions => "submissions",
        }
    }

    pub fn is_submission(self) -> bool {
        !matches!(self, Self::Mx)
    }
}

/// One SMTP reply, possibly multi-line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub code: u16,
    pub lines: Vec<String>,
}

impl Reply {
    pub fn new(code: u16, text: String) -> Self {
        Self {
            code,
            lines: vec![text],
        }
    }

    /// A reply with an RFC 3463 enhanced status code.
    pub fn enhanced(code: u16, enhanced: &str, text: impl AsRef<str>) -> Self {
        Self {
            code,
            lines: vec![format!("{enhanced} {}", text.as_ref())],
        }
    }

    pub fn multi(code: u16, lines: Vec<String>) -> Self {
        Self { code, lines }
    }

    pub fn write_to(&self, out: &mut Vec<u8>) {
        let last = self.lines.len().saturating_sub(1);
        for (i, line) in self.lines.iter().enumerate() {
            let sep = if i == last { ' ' } else { '-' };
            // A reply text never carries a line break of its own.
            let clean: String = line.chars().filter(|c| *c != '\r' && *c != '\n').collect();
            if clean.is_empty() && i == last {
                out.extend_from_slice(format!("{}{}\r\n", self.code, sep).as_bytes());
            } else {
                out.extend_from_slice(format!("{}{}{}\r\n", self.code, sep, clean).as_bytes());
            }
        }
    }
}
