//! Admin notification emails: the second consumer of the event log. Events
//! in [`crate::store::notifications::NOTIFY`] become a plain-text email to
//! every address in `/v1/settings/notifications`, delivered to local
//! mailboxes or queued for remote ones.

use std::time::Duration;

use base64::Engine;
use tokio_util::sync::CancellationToken;

use crate::address::EmailAddress;
use crate::api::v1::settings::NotificationSettings;
use crate::app::AppState;
use crate::store::delivery::{Delivery, LocalRecipient};
use crate::store::notifications::PendingNotification;
use crate::store::{from_ms, now_ms};

const POLL: Duration = Duration::from_millis(500);

pub async fn run(state: AppState, shutdown: CancellationToken) {
    loop {
        match state.store.claim_notifications(16).await {
            Ok(batch) => {
                for n in batch {
                    let status = match send(&state, &n).await {
                        Ok(true) => "sent",
                        Ok(false) => "skipped",
                        Err(e) => {
                            // Left leased: it is tried again when the lease ends.
                            tracing::warn!(error = %e, notification = n.id, "admin notification not sent");
                            continue;
                        }
                    };
                    if let Err(e) = state.store.finish_notification(n.id, status).await {
                        tracing::warn!(error = %e, "recording a notification failed");
                    }
                }
            }
            Err(e) => tracing::warn!(error = %e, "claiming admin notifications failed"),
        }
        tokio::select! {
            _ = tokio::time::sleep(POLL) => {}
            _ = shutdown.cancelled() => return,
        }
    }
}

/// Subject and body text for one event.
fn compose(n: &PendingNotification) -> (String, String) {
    let account = n.account.as_deref().unwrap_or("-");
    let subject = match n.kind.as_str() {
        "account.frozen" => format!("Account frozen: {account}"),
        "ip.blocked" => format!(
            "IP address blocked: {}",
            n.data["network"].as_str().unwrap_or("-")
        ),
        "webhook.disabled" => format!("Webhook {} disabled", n.data["webhook_id"]),
        "auth.failures" => format!(
            "Failed logins for {}: {} in {} s",
            n.data["username"].as_str().unwrap_or("-"),
            n.data["failures"],
            n.data["window_seconds"]
        ),
        other => format!("Event {other}"),
    };
    let mut body = format!(
        "Rampart recorded this event:\r\n\r\n  Type:    {}\r\n  Time:    {}\r\n  Account: {account}\r\n  Event:   {}\r\n\r\nDetails:\r\n",
        n.kind,
        from_ms(n.created_at_ms).to_rfc2822(),
        n.event_id
    );
    if let Some(fields) = n.data.as_object() {
        for (k, v) in fields {
            let value = v
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|| v.to_string());
            body.push_str(&format!("  {k}: {value}\r\n"));
        }
    }
    (subject, body)
}

/// How long the Reply-To of a freeze notification can unfreeze the account.
const UNFREEZE_TTL_MS: i64 = 7 * 24 * 3600 * 1000;

/// For a frozen account: where it sent from in the window, how to unfreeze
/// it, and the single-use Reply-To address that does so.
async fn frozen_details(
    state: &AppState,
    n: &PendingNotification,
) -> anyhow::Result<Option<(String, String)>> {
    let Some(address) = n
        .account
        .as_deref()
        .and_then(|a| EmailAddress::parse(a).ok())
    else {
        return Ok(None);
    };
    let account = match state.store.account(&address).await {
        Ok(a) => a,
        Err(crate::store::StoreError::NotFound(_)) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let mut text = String::new();
    if let (Some(limit), Some(window), Some(count)) = (
        n.data["limit"].as_i64(),
        n.data["window_seconds"].as_i64(),
        n.data["count"].as_i64(),
    ) {
        text.push_str(&format!(
            "\r\nThe account sent {count} messages within {window} seconds; its limit is {limit}.\r\n"
        ));
        let sources = state
            .store
            .sending_sources(account.id, n.created_at_ms - window * 1000)
            .await?;
        if !sources.is_empty() {
            text.push_str("Sent from:\r\n");
            for (ip, protocol) in sources {
                text.push_str(&format!("  {ip} ({protocol})\r\n"));
            }
        }
    }
    let mut token = [0u8; 16];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut token);
    let token: String = token.iter().map(|b| format!("{b:02x}")).collect();
    state
        .store
        .create_unfreeze_token(account.id, &token, now_ms() + UNFREEZE_TTL_MS)
        .await?;
    let reply_to = format!("unfreeze+{token}@{}", state.config.hostname);
    text.push_str(&format!(
        "\r\nTo unfreeze the account, reply to this message from an administrator address \
         (authenticated submission); the reply goes to {reply_to}, which works once and for 7 days. \
         Or: POST /v1/accounts/{}/unfreeze.\r\n",
        account.address
    ));
    Ok(Some((text, reply_to)))
}

/// RFC 2047 for non-ASCII header text.
fn header_text(text: &str) -> String {
    if text.is_ascii() {
        text.to_string()
    } else {
        format!(
            "=?UTF-8?B?{}?=",
            base64::engine::general_purpose::STANDARD.encode(text)
        )
    }
}

/// Sends one notification; `Ok(false)` when nobody is to be notified.
async fn send(state: &AppState, n: &PendingNotification) -> anyhow::Result<bool> {
    let settings: NotificationSettings = state.store.setting("notifications").await?;
    if settings.admin_addresses.is_empty() {
        return Ok(false);
    }
    let hostname = &state.config.hostname;
    let (subject, mut body) = compose(n);
    let mut reply_to = String::new();
    if n.kind == "account.frozen"
        && let Some(extra) = frozen_details(state, n).await?
    {
        body.push_str(&extra.0);
        reply_to = format!("Reply-To: {}\r\n", extra.1);
    }
    let message_id = format!("<notify-{}-{}@{hostname}>", n.event_id, now_ms());
    let message = format!(
        "From: Rampart <postmaster@{hostname}>\r\nTo: {}\r\n{reply_to}Subject: {}\r\nDate: {}\r\nMessage-ID: {message_id}\r\n\
         Auto-Submitted: auto-generated\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\
         Content-Transfer-Encoding: 8bit\r\n\r\n{body}",
        settings.admin_addresses.join(", "),
        header_text(&format!("[Rampart] {subject}")),
        chrono::Utc::now().to_rfc2822(),
    );
    deliver_generated(state, &settings.admin_addresses, message, 'N').await?;
    Ok(true)
}

/// Delivers a message the server wrote itself (notifications, reports)
/// from the null sender: local addresses to their INBOX, others through the
/// outbound queue. Unparseable addresses are skipped.
pub async fn deliver_generated(
    state: &AppState,
    addresses: &[String],
    message: String,
    id_prefix: char,
) -> anyhow::Result<()> {
    let mut local = Vec::new();
    let mut remote = Vec::new();
    for address in addresses {
        let Ok(address) = EmailAddress::parse(address) else {
            continue;
        };
        if state.store.is_local_domain(address.domain()).await? {
            for target in state
                .store
                .resolve_recipient(&address)
                .await?
                .unwrap_or_default()
            {
                if !local
                    .iter()
                    .any(|l: &LocalRecipient| l.target.account_id == target.account_id)
                {
                    local.push(LocalRecipient {
                        target,
                        mailbox: "INBOX",
                        own_blob: None,
                    });
                }
            }
        } else {
            remote.push(address);
        }
    }
    let local_blob = if local.is_empty() {
        None
    } else {
        Some(
            state
                .blobs
                .stage(format!("Return-Path: <>\r\n{message}").into_bytes())
                .await?,
        )
    };
    let queue_blob = if remote.is_empty() {
        None
    } else {
        Some(state.blobs.stage(message.into_bytes()).await?)
    };
    let delivery = Delivery {
        queue_id: format!("{id_prefix}{:016X}", rand::random::<u64>()),
        // The null sender: a notification must never cause a bounce loop.
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
    state
        .committer
        .commit(delivery)
        .await
        .map_err(|e| anyhow::anyhow!(e))?;
    Ok(())
}
