//! The inbound pipeline: what happens to a message between the end of DATA
//! (or BDAT LAST) and the reply. The SMTP session frames, sequences and
//! replies; this decides, one stage at a time, each a small function with
//! explicit inputs and a typed [`Outcome`] when it ends the message early.
//!
//! Stages, in order (see [`receive`]):
//!
//! - [`checks`] — the message itself: line syntax, From against what the
//!   authenticated sender may use, sender authentication (SPF, DKIM, DMARC)
//!   and the headers that report it
//! - [`limits`] — replies that unfreeze accounts, sending limits (hijack
//!   detection), quotas
//! - [`commit`] — attachment links, routing, trace headers, blob staging,
//!   the durable commit and what follows it (DMARC rows, counters)

pub mod checks;
pub mod commit;
pub mod limits;

use std::net::SocketAddr;

use crate::address::EmailAddress;
use crate::app::AppState;
use crate::delivery::Committer;
use crate::events::{EventType, NewEvent, payloads};
use crate::screening::hijack::HijackSettings;
use crate::screening::relay::{Refusal, RelaySettings};
use crate::screening::sender::InboundScreening;
use crate::smtp::{ListenerKind, Reply};
use crate::store::delivery::LocalTarget;

/// An authenticated sender, as the session established it.
pub struct Sender {
    pub account_id: i64,
    pub address: String,
    /// Lookup keys of the addresses this account may send as.
    pub sendable: Vec<String>,
}

/// One accepted RCPT.
pub enum Rcpt {
    Local {
        address: EmailAddress,
        targets: Vec<LocalTarget>,
    },
    Remote(EmailAddress),
    /// The Reply-To of a freeze notification: unfreezes an account.
    Unfreeze {
        address: EmailAddress,
        token: String,
    },
}

impl Rcpt {
    pub fn address(&self) -> &EmailAddress {
        match self {
            Rcpt::Local { address, .. }
            | Rcpt::Remote(address)
            | Rcpt::Unfreeze { address, .. } => address,
        }
    }
}

/// One mail transaction's envelope.
pub struct Envelope {
    pub sender: Option<EmailAddress>,
    pub declared_size: u64,
    pub rcpts: Vec<Rcpt>,
}

impl Envelope {
    /// Recipients that receive the message (unfreeze replies do not).
    pub fn weight(&self) -> i64 {
        self.rcpts
            .iter()
            .filter(|r| !matches!(r, Rcpt::Unfreeze { .. }))
            .count() as i64
    }
}

/// What a stage needs to know of the session: read once, borrowed.
pub struct Context<'a> {
    pub state: &'a AppState,
    pub committer: &'a Committer,
    pub kind: ListenerKind,
    pub peer: SocketAddr,
    pub helo: Option<&'a str>,
    pub esmtp: bool,
    /// The TLS description for the Received header, when TLS is on.
    pub tls: Option<&'a str>,
    pub auth: Option<&'a Sender>,
    pub relay: &'a RelaySettings,
    /// Inbound sender checks and sending limits, read once per session.
    pub screening: &'a InboundScreening,
    pub hijack: &'a HijackSettings,
    /// The client is in `trusted_networks`.
    pub trusted: bool,
}

/// How the message ends, when a stage ends it or at the end.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Stored durably (or nothing to store): 250 with this text.
    Accept(String),
    /// Refused for good. `close` ends the session (a frozen account);
    /// `client_error` counts toward the session's error limit.
    Refuse {
        reply: Reply,
        close: bool,
        client_error: bool,
    },
    /// Not now: a 4xx the client retries.
    Tempfail(Reply),
}

/// A policy refusal (relay, sender rules) counts as a client error.
impl From<Refusal> for Outcome {
    fn from(refusal: Refusal) -> Self {
        Outcome::Refuse {
            reply: Reply::enhanced(refusal.code, refusal.enhanced, refusal.text),
            close: false,
            client_error: true,
        }
    }
}

impl Outcome {
    fn refuse(code: u16, enhanced: &str, text: impl AsRef<str>) -> Self {
        Outcome::Refuse {
            reply: Reply::enhanced(code, enhanced, text),
            close: false,
            client_error: false,
        }
    }

    fn tempfail(enhanced: &str, text: impl AsRef<str>) -> Self {
        Outcome::Tempfail(Reply::enhanced(451, enhanced, text))
    }

    /// A database problem: logged, and the client retries.
    pub fn local_problem(ctx: &Context<'_>, error: impl std::fmt::Display) -> Self {
        tracing::error!(peer = %ctx.peer, %error, "database error in SMTP session");
        Self::tempfail("4.3.0", "Temporary local problem; try again later")
    }

    /// Storing failed: logged, and the client retries.
    pub fn storage_failure(ctx: &Context<'_>, error: impl std::fmt::Display) -> Self {
        tracing::error!(peer = %ctx.peer, %error, "could not store a message");
        Self::tempfail("4.3.0", "Temporary storage failure; try again later")
    }
}

/// Runs every stage on one message.
pub async fn receive(ctx: &Context<'_>, envelope: Envelope, body: Vec<u8>) -> Outcome {
    if let Err(end) = checks::syntax(ctx, &body).await {
        return end;
    }
    if let Err(end) = checks::from_header(ctx, &body).await {
        return end;
    }
    let screening = match checks::screen_sender(ctx, &envelope, &body).await {
        Ok(report) => report,
        Err(end) => return end,
    };
    let body = checks::with_findings(ctx, screening.as_ref(), body);
    let unfrozen = match limits::unfreeze_replies(ctx, &envelope).await {
        Ok(unfrozen) => unfrozen,
        Err(end) => return end,
    };
    let weight = envelope.weight();
    if weight == 0 {
        return Outcome::Accept(match unfrozen.is_empty() {
            true => "Nothing to do".to_string(),
            false => format!("Unfrozen: {}", unfrozen.join(", ")),
        });
    }
    let counted = match limits::sending_limit(ctx, weight).await {
        Ok(counted) => counted,
        Err(end) => return end,
    };
    let body = commit::link_attachments(ctx, body).await;
    let folder = checks::folder(screening.as_ref());
    let (local, remote) = commit::route(&envelope, folder);
    if let Err(end) = limits::quotas(&local, body.len() as u64) {
        return end;
    }
    let queue_id = commit::new_queue_id();
    let received = commit::trace(ctx, &envelope, &queue_id);
    let staged = commit::Staged {
        queue_id,
        received,
        local,
        remote,
    };
    let delivery =
        match commit::stage(ctx, &envelope, staged, &body, weight, screening.as_ref()).await {
            Ok(d) => d,
            Err(end) => return end,
        };
    let after = commit::After {
        aggregate: screening.and_then(|r| r.aggregate),
        report_mailboxes: commit::report_mailboxes(&envelope),
        counted,
    };
    commit::commit(ctx, delivery, after, &body).await
}

/// Records `message.rejected`. Failure to record is logged, never fatal.
pub async fn record_rejection(
    ctx: &Context<'_>,
    stage: &str,
    reason: &str,
    address: Option<&str>,
    score: Option<f64>,
) {
    let event = NewEvent {
        kind: EventType::MessageRejected,
        account: ctx.auth.map(|a| a.address.clone()),
        domain: None,
        data: payloads::to_data(&payloads::MessageRejected {
            stage: stage.into(),
            reason: reason.into(),
            address: address.map(str::to_string),
            client_ip: ctx.peer.ip().to_string(),
            listener: ctx.kind.name().into(),
            authenticated: ctx.auth.is_some(),
            score,
        }),
    };
    if let Err(e) = ctx.state.store.record_event(&event).await {
        tracing::warn!(error = %e, "could not record message.rejected");
    }
}
