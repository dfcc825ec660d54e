//! Outbound delivery: the queue worker. Due recipients are claimed from the
//! store, grouped by destination domain, and delivered over one connection
//! per host where possible; each outcome is recorded with its event, failed
//! messages get one DSN, and retries are scheduled (computed, not slept, so
//! a restart keeps the schedule).

pub mod client;
pub mod dsn;
pub mod route;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

use self::client::{Client, Reply};
use self::route::{Hop, RouteError};
use crate::address::EmailAddress;
use crate::app::AppState;
use crate::store::delivery::{Delivery, LocalRecipient};
use crate::store::now_ms;
use crate::store::queue::{QueuedRecipient, RecipientOutcome};

const CLAIM_BATCH: usize = 256;
const POLL: Duration = Duration::from_millis(500);
/// Connections open at once, over all destinations.
const PARALLEL_CONNECTIONS: usize = 32;
/// Connections to one destination at once (Postfix's default is 20).
const CONNECTIONS_PER_DESTINATION: usize = 8;
/// A connection carries at most this many messages before the next one
/// is opened, so a big batch spreads over several connections.
const MESSAGES_PER_CONNECTION: usize = 32;

/// Runs the worker until `shutdown`; attempts in progress finish first.
pub async fn run(state: AppState, shutdown: CancellationToken) {
    let slots = Arc::new(Semaphore::new(PARALLEL_CONNECTIONS));
    let tasks = tokio_util::task::TaskTracker::new();
    loop {
        let claimed = match state.store.claim_recipients(CLAIM_BATCH).await {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(error = %e, "claiming queued recipients failed");
                Vec::new()
            }
        };
        let mut by_domain: BTreeMap<String, Vec<QueuedRecipient>> = BTreeMap::new();
        for item in claimed {
            let key = if state.config.outbound.relay_host.is_empty() {
                item.domain.clone()
            } else {
                String::new()
            };
            by_domain.entry(key).or_default().push(item);
        }
        let busy = !by_domain.is_empty();
        for (domain, items) in by_domain {
            for chunk in split(items) {
                let Ok(permit) = slots.clone().acquire_owned().await else {
                    break;
                };
                let state = state.clone();
                let domain = domain.clone();
                tasks.spawn(async move {
                    let _permit = permit;
                    deliver_domain(&state, &domain, chunk).await;
                });
            }
        }
        // A full queue is worked without pause; an idle one is polled.
        if busy && !shutdown.is_cancelled() {
            continue;
        }
        tokio::select! {
            _ = tokio::time::sleep(POLL) => {}
            _ = shutdown.cancelled() => break,
        }
    }
    tasks.close();
    tasks.wait().await;
}

/// Splits one destination's recipients into groups for separate
/// connections, keeping each message's recipients together.
fn split(items: Vec<QueuedRecipient>) -> Vec<Vec<QueuedRecipient>> {
    let mut messages: BTreeMap<i64, Vec<QueuedRecipient>> = BTreeMap::new();
    for item in items {
        messages.entry(item.message_id).or_default().push(item);
    }
    let connections = messages
        .len()
        .div_ceil(MESSAGES_PER_CONNECTION)
        .clamp(1, CONNECTIONS_PER_DESTINATION);
    let mut chunks: Vec<Vec<QueuedRecipient>> = vec![Vec::new(); connections];
    for (i, (_, recipients)) in messages.into_iter().enumerate() {
        chunks[i % connections].extend(recipients);
    }
    chunks.retain(|c| !c.is_empty());
    chunks
}

/// When to try again after `attempts` attempts, or `None` when the message
/// has been queued too long and must bounce.
fn next_attempt(state: &AppState, item: &QueuedRecipient) -> Option<i64> {
    let delays = &state.config.outbound.retry_delays_seconds;
    let made = (item.attempts + 1) as usize;
    let delay = delays
        .get(made - 1)
        .or(delays.last())
        .copied()
        .unwrap_or(3600);
    let next = now_ms() + (delay as i64) * 1000;
    let deadline = item.created_at_ms + (state.config.outbound.max_queue_seconds as i64) * 1000;
    (next <= deadline).then_some(next)
}

/// The outcome of a reply for one recipient.
fn outcome(
    state: &AppState,
    item: &QueuedRecipient,
    reply: &Reply,
    host: &str,
    tls: &Option<String>,
) -> RecipientOutcome {
    // The host that answered, when one did (not for DNS failures).
    let remote = Some(host.to_string()).filter(|h| !h.is_empty());
    if reply.is_positive() {
        return RecipientOutcome::Delivered {
            remote_host: host.to_string(),
            tls: tls.clone(),
            reply: reply.line(),
        };
    }
    if reply.is_permanent() {
        return RecipientOutcome::Bounced {
            reply: reply.line(),
            remote_host: remote,
            expired: false,
        };
    }
    match next_attempt(state, item) {
        Some(at) => RecipientOutcome::Deferred {
            reply: reply.line(),
            next_attempt_at_ms: at,
            remote_host: remote,
        },
        None => RecipientOutcome::Bounced {
            remote_host: remote,
            expired: true,
            reply: format!(
                "{} (gave up: in the queue longer than {} s)",
                reply.line(),
                state.config.outbound.max_queue_seconds
            ),
        },
    }
}

async fn deliver_domain(state: &AppState, domain: &str, items: Vec<QueuedRecipient>) {
    let span = tracing::info_span!("outbound", domain);
    let _enter = span.enter();
    let route = if domain.is_empty() {
        route::route(&state.resolver, &state.config.outbound, "").await
    } else {
        route::route(&state.resolver, &state.config.outbound, domain).await
    };
    // Messages in arrival order, each with its recipients here.
    let mut messages: BTreeMap<i64, Vec<QueuedRecipient>> = BTreeMap::new();
    for item in items {
        messages.entry(item.message_id).or_default().push(item);
    }
    let hops = match route {
        Ok(h) => h,
        Err(RouteError::Permanent(why)) => {
            let reply = Reply::local(550, format!("5.1.2 {why}"));
            return settle_all(
                state,
                messages.into_values().flatten().collect(),
                &reply,
                None,
            )
            .await;
        }
        Err(RouteError::Temporary(why)) => {
            let reply = Reply::local(451, format!("4.4.3 {why}"));
            return settle_all(
                state,
                messages.into_values().flatten().collect(),
                &reply,
                None,
            )
            .await;
        }
    };
    let mut last_error = Reply::local(451, "4.4.1 no mail host answered");
    for hop in &hops {
        if messages.is_empty() {
            break;
        }
        for addr in &hop.addrs {
            match session(state, hop, *addr, &mut messages).await {
                Ok(()) => break,
                Err(reply) => last_error = reply,
            }
            if messages.is_empty() {
                break;
            }
        }
    }
    if !messages.is_empty() {
        settle_all(
            state,
            messages.into_values().flatten().collect(),
            &last_error,
            None,
        )
        .await;
    }
}

/// Records the same reply for every item (DNS or connection failures).
async fn settle_all(
    state: &AppState,
    items: Vec<QueuedRecipient>,
    reply: &Reply,
    host: Option<&str>,
) {
    let mut touched = Vec::new();
    for item in items {
        let o = outcome(state, &item, reply, host.unwrap_or(""), &None);
        record(state, &item, &o).await;
        touched.push((
            item.message_id,
            item.sender.clone(),
            item.queue_id.clone(),
            item.blob.clone(),
        ));
    }
    touched.dedup_by_key(|t| t.0);
    for (message_id, sender, queue_id, blob) in touched {
        maybe_dsn(state, message_id, &sender, &queue_id, &blob).await;
    }
}

async fn record(state: &AppState, item: &QueuedRecipient, outcome: &RecipientOutcome) {
    if let Err(e) = state.store.finish_recipient(item, outcome).await {
        // The lease runs out and the item is tried again: nothing is lost.
        tracing::error!(error = %e, recipient = %item.recipient, "recording a delivery outcome failed");
    }
    match outcome {
        RecipientOutcome::Delivered { remote_host, .. } => {
            tracing::info!(queue_id = %item.queue_id, recipient = %item.recipient, %remote_host, "delivered")
        }
        RecipientOutcome::Deferred { reply, .. } => {
            tracing::info!(queue_id = %item.queue_id, recipient = %item.recipient, %reply, "deferred")
        }
        RecipientOutcome::Bounced { reply, expired, .. } => {
            tracing::info!(queue_id = %item.queue_id, recipient = %item.recipient, %reply, expired, "bounced")
        }
    }
}

/// One SMTP session to one address, delivering as many of `messages` as it
/// can; delivered or settled messages are removed from the map. Returns the
/// failure that ended the session early, if any.
async fn session(
    state: &AppState,
    hop: &Hop,
    addr: std::net::SocketAddr,
    messages: &mut BTreeMap<i64, Vec<QueuedRecipient>>,
) -> Result<(), Reply> {
    let conn_err = |e: std::io::Error| Reply::local(451, format!("4.4.1 {}: {e}", hop.host));
    let hostname = state.config.hostname.clone();
    let (mut client, greeting) = Client::connect(addr).await.map_err(conn_err)?;
    if !greeting.is_positive() {
        client.quit().await;
        return Err(Reply::local(
            greeting.code.max(400),
            format!("{} greeted with: {}", hop.host, greeting.line()),
        ));
    }
    client.hello(&hostname).await.map_err(conn_err)?;
    if client.extensions.starttls {
        match client.starttls(&hop.host, &hostname).await {
            Ok(_) => {}
            Err(e) => {
                // A failed handshake leaves the connection unusable: go on in
                // clear text on a new one rather than not delivering at all.
                tracing::warn!(host = %hop.host, error = %e, "STARTTLS failed; retrying without TLS");
                let (c, g) = Client::connect(addr).await.map_err(conn_err)?;
                client = c;
                if !g.is_positive() {
                    return Err(Reply::local(
                        451,
                        format!("4.4.1 {} greeted with: {}", hop.host, g.line()),
                    ));
                }
                client.hello(&hostname).await.map_err(conn_err)?;
            }
        }
    }
    let remote = format!("{}[{}]", hop.host, addr);
    let ids: Vec<i64> = messages.keys().copied().collect();
    let mut first = true;
    for id in ids {
        let Some(items) = messages.get(&id) else {
            continue;
        };
        if !first {
            let rset = client.command("RSET").await.map_err(conn_err)?;
            if !rset.is_positive() {
                break;
            }
        }
        first = false;
        let items = items.clone();
        let results = match deliver_message(state, &mut client, &items).await {
            Ok(r) => r,
            Err(e) => return Err(conn_err(e)),
        };
        for (item, reply) in items.iter().zip(results) {
            let o = outcome(state, item, &reply, &remote, &client.tls);
            record(state, item, &o).await;
        }
        messages.remove(&id);
        let item = &items[0];
        maybe_dsn(
            state,
            item.message_id,
            &item.sender,
            &item.queue_id,
            &item.blob,
        )
        .await;
    }
    client.quit().await;
    Ok(())
}

/// MAIL, RCPT for each recipient, DATA: one reply per recipient.
async fn deliver_message(
    state: &AppState,
    client: &mut Client,
    items: &[QueuedRecipient],
) -> std::io::Result<Vec<Reply>> {
    let first = &items[0];
    let raw = match state.blobs.get(&first.blob).await {
        Ok(r) => r,
        Err(e) => {
            tracing::error!(error = %e, blob = %first.blob, "queued message unreadable");
            return Ok(vec![
                Reply::local(
                    451,
                    "4.3.0 local error: message unreadable"
                );
                items.len()
            ]);
        }
    };
    let message = sign(state, &raw).await;
    let ext = client.extensions.clone();
    let utf8 = !first.sender.is_ascii() || items.iter().any(|i| !i.recipient.is_ascii());
    if utf8 && !ext.smtputf8 {
        return Ok(vec![
            Reply::local(
                553,
                "5.6.7 the receiving server does not support SMTPUTF8 addresses"
            );
            items.len()
        ]);
    }
    if let Some(limit) = ext.size
        && message.len() as u64 > limit
    {
        return Ok(vec![
            Reply::local(
                552,
                format!("5.3.4 message is larger than the {limit} octets the server accepts")
            );
            items.len()
        ]);
    }
    let mut mail = format!("MAIL FROM:<{}>", first.sender);
    if ext.size.is_some() {
        mail.push_str(&format!(" SIZE={}", message.len()));
    }
    if ext.eight_bit_mime && message.iter().any(|b| *b >= 0x80) {
        mail.push_str(" BODY=8BITMIME");
    }
    if utf8 {
        mail.push_str(" SMTPUTF8");
    }
    let mut commands = vec![mail];
    commands.extend(items.iter().map(|i| format!("RCPT TO:<{}>", i.recipient)));
    let replies = client.commands(&commands).await?;
    let mail_reply = replies[0].clone();
    if !mail_reply.is_positive() {
        return Ok(vec![mail_reply; items.len()]);
    }
    let rcpt: Vec<Reply> = replies[1..].to_vec();
    if !rcpt.iter().any(Reply::is_positive) {
        return Ok(rcpt);
    }
    let data = client.data(&message).await?;
    Ok(rcpt
        .into_iter()
        .map(|r| if r.is_positive() { data.clone() } else { r })
        .collect())
}

/// Signs with the From: domain's active DKIM key when it is one of ours.
async fn sign(state: &AppState, raw: &[u8]) -> Vec<u8> {
    let from = crate::smtp::message::from_addresses(raw);
    let Some(domain) = from
        .first()
        .and_then(|a| EmailAddress::parse(a).ok())
        .map(|a| a.domain().to_string())
    else {
        return raw.to_vec();
    };
    let key = match state.store.dkim_signing_key(&domain).await {
        Ok(Some(k)) => k,
        Ok(None) => return raw.to_vec(),
        Err(e) => {
            tracing::warn!(error = %e, %domain, "DKIM key lookup failed; sending unsigned");
            return raw.to_vec();
        }
    };
    let Some(algorithm) = crate::dkim::Algorithm::parse(&key.algorithm) else {
        return raw.to_vec();
    };
    match crate::dkim::sign(raw, &domain, &key.selector, algorithm, &key.private_key) {
        Ok(header) => {
            let mut out = header.into_bytes();
            out.extend_from_slice(raw);
            out
        }
        Err(e) => {
            tracing::warn!(error = %e, %domain, "DKIM signing failed; sending unsigned");
            raw.to_vec()
        }
    }
}

/// Sends the one DSN of a message once all its recipients are settled and
/// some failed. Never for the null sender.
async fn maybe_dsn(state: &AppState, message_id: i64, sender: &str, queue_id: &str, blob: &str) {
    if sender.is_empty() {
        return;
    }
    let failed = match state.store.claim_dsn(message_id).await {
        Ok(Some(f)) => f,
        Ok(None) => return,
        Err(e) => {
            tracing::warn!(error = %e, "DSN bookkeeping failed");
            return;
        }
    };
    let original = state.blobs.get(blob).await.unwrap_or_default();
    let failures: Vec<dsn::Failure> = failed
        .into_iter()
        .map(|(recipient, reply)| dsn::Failure {
            recipient,
            reply,
            remote_host: None,
        })
        .collect();
    let message = dsn::build(
        &state.config.hostname,
        sender,
        queue_id,
        &failures,
        &original,
    );
    let Ok(to) = EmailAddress::parse(sender) else {
        return;
    };
    let mut local = Vec::new();
    let mut remote = Vec::new();
    match state.store.resolve_recipient(&to).await {
        Ok(Some(targets)) => local.extend(targets.into_iter().map(|target| LocalRecipient {
            target,
            mailbox: "INBOX",
            own_blob: None,
        })),
        Ok(None) => match state.store.is_local_domain(to.domain()).await {
            Ok(false) => remote.push(to.clone()),
            _ => {
                tracing::info!(%sender, "DSN sender is not a local recipient; dropped");
                return;
            }
        },
        Err(e) => {
            tracing::warn!(error = %e, "DSN recipient lookup failed");
            return;
        }
    }
    let stage = |bytes: Vec<u8>| state.blobs.stage(bytes);
    let local_blob = if local.is_empty() {
        None
    } else {
        stage([b"Return-Path: <>\r\n".as_slice(), &message].concat())
            .await
            .ok()
    };
    let queue_blob = if remote.is_empty() {
        None
    } else {
        stage(message).await.ok()
    };
    let delivery = Delivery {
        queue_id: format!("D{:016X}", rand::random::<u64>()),
        sender: String::new(),
        client_ip: "127.0.0.1".into(),
        account: None,
        local_blob,
        local,
        queue_blob,
        remote,
        sent_by: None,
        score: None,
    };
    if let Err(e) = state.committer.commit(delivery).await {
        tracing::error!(error = %e, "storing a DSN failed");
    }
}
