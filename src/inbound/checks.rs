//! Stages that look at the message itself: its line syntax, its From
//! against what an authenticated sender may use, and sender authentication
//! for strangers (SPF, DKIM, DMARC) with the headers that report it.

use super::{Context, Envelope, Outcome, record_rejection};
use crate::screening::relay;
use crate::screening::sender::{self, SenderReport, Verdict};
use crate::smtp::message::{self, BodyProblem};

/// Bare CR or LF (what SMTP smuggling is made of) and over-long lines are
/// refused, not repaired.
pub async fn syntax(ctx: &Context<'_>, body: &[u8]) -> Result<(), Outcome> {
    let (reason, text) = match message::check_body(body) {
        Ok(()) => return Ok(()),
        Err(BodyProblem::BareLineEnding) => (
            "bare_line_ending",
            "Message contains a bare CR or LF; lines must end with CRLF",
        ),
        Err(BodyProblem::LineTooLong) => (
            "line_too_long",
            "Message has a line longer than 1000 octets",
        ),
    };
    record_rejection(ctx, "data", reason, None, None).await;
    Err(Outcome::refuse(554, "5.6.0", text))
}

/// An authenticated sender may only put its own addresses in From.
pub async fn from_header(ctx: &Context<'_>, body: &[u8]) -> Result<(), Outcome> {
    let Some(auth) = ctx.auth else {
        return Ok(());
    };
    let from = message::from_addresses(body);
    let Err(refusal) = relay::check_from_header(&auth.sendable, &from, ctx.relay) else {
        return Ok(());
    };
    record_rejection(ctx, "data", refusal.reason, None, None).await;
    Err(Outcome::from(refusal))
}

/// Sender authentication for strangers (not authenticated, not trusted):
/// refuse, delay, or a report to deliver with (in Junk or the inbox).
pub async fn screen_sender(
    ctx: &Context<'_>,
    envelope: &Envelope,
    body: &[u8],
) -> Result<Option<SenderReport>, Outcome> {
    if ctx.auth.is_some() || ctx.trusted {
        return Ok(None);
    }
    let settings = ctx.screening;
    if !settings.enabled {
        return Ok(None);
    }
    let mail_from = envelope
        .sender
        .as_ref()
        .map(|s| s.to_string())
        .unwrap_or_default();
    let report = sender::check_sender(
        ctx.state,
        settings,
        ctx.peer.ip(),
        ctx.helo.unwrap_or_default(),
        &mail_from,
        Some(body),
    )
    .await;
    match report.verdict {
        Verdict::Reject => {
            record_rejection(ctx, "data", "sender_checks", None, Some(report.score)).await;
            Err(Outcome::refuse(550, "5.7.1", report.reason))
        }
        Verdict::Tempfail => Err(Outcome::Tempfail(crate::smtp::Reply::enhanced(
            451,
            "4.7.0",
            report.reason,
        ))),
        Verdict::Junk | Verdict::Deliver => Ok(Some(report)),
    }
}

/// The message with the findings' headers on top and forged
/// Authentication-Results claiming our name removed.
pub fn with_findings(ctx: &Context<'_>, report: Option<&SenderReport>, body: Vec<u8>) -> Vec<u8> {
    let Some(report) = report else {
        return body;
    };
    let stripped = sender::strip_forged_results(&body, &ctx.state.config.hostname);
    let mut out = Vec::with_capacity(report.headers.len() + stripped.len());
    out.extend_from_slice(report.headers.as_bytes());
    out.extend_from_slice(&stripped);
    out
}

/// Where local recipients get it: Junk when the checks said so.
pub fn folder(report: Option<&SenderReport>) -> &'static str {
    match report {
        Some(r) if r.verdict == Verdict::Junk => "Junk",
        _ => "INBOX",
    }
}
