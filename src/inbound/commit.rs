//! Stages that store: attachment links for opted-in senders, routing to
//! local mailboxes and the outbound queue, trace headers, blob staging, the
//! durable commit (a 250 only after it), and what follows a commit.

use super::{Context, Envelope, Outcome, Rcpt};
use crate::address::EmailAddress;
use crate::screening::sender::SenderReport;
use crate::smtp::message::{self, Trace};
use crate::store::delivery::{Delivery, LocalRecipient};
use crate::store::screening::SendingRecord;

/// Opted-in senders' large attachments become download links.
pub async fn link_attachments(ctx: &Context<'_>, body: Vec<u8>) -> Vec<u8> {
    let Some(address) = ctx.auth.and_then(|a| EmailAddress::parse(&a.address).ok()) else {
        return body;
    };
    match ctx.state.store.account(&address).await {
        Ok(account) => crate::attachments::link(ctx.state, &account, body).await,
        Err(_) => body,
    }
}

/// Local recipients (one per account, in `folder`) and remote ones.
pub fn route(
    envelope: &Envelope,
    folder: &'static str,
) -> (Vec<LocalRecipient>, Vec<EmailAddress>) {
    let mut local: Vec<LocalRecipient> = Vec::new();
    let mut remote = Vec::new();
    for rcpt in &envelope.rcpts {
        match rcpt {
            Rcpt::Local { targets, .. } => {
                for t in targets {
                    if !local.iter().any(|l| l.target.account_id == t.account_id) {
                        local.push(LocalRecipient {
                            target: t.clone(),
                            mailbox: folder,
                            own_blob: None,
                        });
                    }
                }
            }
            Rcpt::Remote(address) => remote.push(address.clone()),
            Rcpt::Unfreeze { .. } => {}
        }
    }
    (local, remote)
}

pub fn new_queue_id() -> String {
    format!("{:016X}", rand::random::<u64>())
}

/// The Received header (RFC 5321 4.4, with RFC 3848 protocol names).
pub fn trace(ctx: &Context<'_>, envelope: &Envelope, queue_id: &str) -> String {
    let single_rcpt = match envelope.rcpts.as_slice() {
        [Rcpt::Local { address, .. }] | [Rcpt::Remote(address)] => Some(address.to_string()),
        _ => None,
    };
    let protocol = match (ctx.esmtp, ctx.tls.is_some(), ctx.auth.is_some()) {
        (false, _, _) => "SMTP",
        (true, false, false) => "ESMTP",
        (true, true, false) => "ESMTPS",
        (true, false, true) => "ESMTPA",
        (true, true, true) => "ESMTPSA",
    };
    message::received_header(&Trace {
        helo: ctx.helo.unwrap_or("unknown"),
        ip: ctx.peer.ip(),
        hostname: &ctx.state.config.hostname,
        protocol,
        queue_id,
        tls: ctx.tls,
        authenticated: ctx.auth.map(|a| a.address.as_str()),
        recipient: single_rcpt.as_deref(),
    })
}

/// What routing and tracing decided, for staging.
pub struct Staged {
    pub queue_id: String,
    pub received: String,
    pub local: Vec<LocalRecipient>,
    pub remote: Vec<EmailAddress>,
}

/// Writes the copies the commit will reference: the local copy (with
/// Return-Path and Received), an own copy for accounts that extract
/// inbound attachments, and the queue copy (Received only).
pub async fn stage(
    ctx: &Context<'_>,
    envelope: &Envelope,
    staged: Staged,
    body: &[u8],
    weight: i64,
    screening: Option<&SenderReport>,
) -> Result<Delivery, Outcome> {
    let Staged {
        queue_id,
        received,
        mut local,
        remote,
    } = staged;
    let sender = envelope
        .sender
        .as_ref()
        .map(|s| s.to_string())
        .unwrap_or_default();
    let blobs = &ctx.state.blobs;
    let local_copy = |body: &[u8]| {
        let mut copy = Vec::with_capacity(body.len() + received.len() + sender.len() + 20);
        copy.extend_from_slice(format!("Return-Path: <{sender}>\r\n").as_bytes());
        copy.extend_from_slice(received.as_bytes());
        copy.extend_from_slice(body);
        copy
    };
    for l in &mut local {
        let Some(linking) = l.target.extract_inbound else {
            continue;
        };
        let Some(rewritten) = crate::attachments::extract_inbound(
            ctx.state,
            l.target.account_id,
            &l.target.address,
            linking,
            body,
        )
        .await
        else {
            continue;
        };
        match blobs.stage(local_copy(&rewritten)).await {
            Ok(b) => l.own_blob = Some(b),
            Err(e) => return Err(Outcome::storage_failure(ctx, e)),
        }
    }
    let local_blob = match local.iter().all(|l| l.own_blob.is_some()) {
        true => None,
        false => match blobs.stage(local_copy(body)).await {
            Ok(b) => Some(b),
            Err(e) => return Err(Outcome::storage_failure(ctx, e)),
        },
    };
    let queue_blob = match remote.is_empty() {
        true => None,
        false => {
            let mut copy = Vec::with_capacity(body.len() + received.len());
            copy.extend_from_slice(received.as_bytes());
            copy.extend_from_slice(body);
            match blobs.stage(copy).await {
                Ok(b) => Some(b),
                Err(e) => return Err(Outcome::storage_failure(ctx, e)),
            }
        }
    };
    Ok(Delivery {
        queue_id,
        sender,
        client_ip: ctx.peer.ip().to_string(),
        account: ctx.auth.map(|a| a.address.clone()),
        local_blob,
        local,
        queue_blob,
        remote,
        sent_by: ctx.auth.map(|a| SendingRecord {
            account_id: a.account_id,
            recipients: weight,
            client_ip: ctx.peer.ip().to_string(),
            protocol: match ctx.kind.is_submission() {
                true => "submission",
                false => "smtp",
            }
            .into(),
        }),
        score: screening.map(|r| r.score),
    })
}

/// Local recipients that are a domain's DMARC report address.
pub fn report_mailboxes(envelope: &Envelope) -> Vec<String> {
    envelope
        .rcpts
        .iter()
        .filter_map(|r| match r {
            Rcpt::Local { address, .. }
                if address
                    .local_part()
                    .eq_ignore_ascii_case(crate::dmarc_reports::REPORT_LOCAL_PART) =>
            {
                Some(address.to_string())
            }
            _ => None,
        })
        .collect()
}

/// What follows a commit.
pub struct After {
    /// This message's row for our DMARC aggregate reports.
    pub aggregate: Option<crate::screening::sender::AggregateRow>,
    /// DMARC report addresses it was delivered to (reports are parsed).
    pub report_mailboxes: Vec<String>,
    /// What the sending limit counted (0 for strangers).
    pub counted: i64,
}

/// The durable commit (group-committed with other sessions' messages);
/// then the DMARC bookkeeping and the node's sending counter.
pub async fn commit(ctx: &Context<'_>, delivery: Delivery, after: After, body: &[u8]) -> Outcome {
    let queue_id = delivery.queue_id.clone();
    if let Err(e) = ctx.committer.commit(delivery).await {
        return Outcome::storage_failure(ctx, e);
    }
    if let Some(row) = &after.aggregate {
        crate::dmarc_reports::record(ctx.state, row).await;
    }
    for mailbox in &after.report_mailboxes {
        crate::dmarc_reports::receive(ctx.state, mailbox, body).await;
    }
    if let Some(a) = ctx.auth {
        ctx.state.hijack_counts.add(a.account_id, after.counted);
    }
    Outcome::Accept(format!("Ok: queued as {queue_id}"))
}
