//! Stages that count: replies that unfreeze accounts, the sending limit of
//! an authenticated account (hijack detection), and mailbox quotas.

use super::{Context, Envelope, Outcome, Rcpt, record_rejection};
use crate::address::EmailAddress;
use crate::screening::hijack::{self, Verdict};
use crate::smtp::Reply;
use crate::store::accounts::{AccountStatus, FreezeDetails};
use crate::store::delivery::LocalRecipient;

/// Replies to freeze notifications unfreeze their accounts (they are not
/// stored). Returns the addresses unfrozen.
pub async fn unfreeze_replies(
    ctx: &Context<'_>,
    envelope: &Envelope,
) -> Result<Vec<String>, Outcome> {
    let mut unfrozen = Vec::new();
    for rcpt in &envelope.rcpts {
        let Rcpt::Unfreeze { token, .. } = rcpt else {
            continue;
        };
        let by = ctx.auth.map(|a| a.address.clone());
        let address = match ctx.state.store.consume_unfreeze_token(token).await {
            Ok(Some(address)) => address,
            Ok(None) => continue,
            Err(e) => return Err(Outcome::local_problem(ctx, e)),
        };
        if let Ok(parsed) = EmailAddress::parse(&address)
            && let Err(e) = ctx
                .state
                .store
                .unfreeze_account(&parsed, by.as_deref())
                .await
        {
            return Err(Outcome::local_problem(ctx, e));
        }
        tracing::info!(account = %address, by = ?by, "account unfrozen by a reply to its notification");
        unfrozen.push(address);
    }
    Ok(unfrozen)
}

/// The weight the sending limit counts for a message to `recipients`
/// recipients (one per message unless the settings count recipients), after
/// checking it fits; see [`account_gate`].
pub async fn sending_limit(ctx: &Context<'_>, recipients: i64) -> Result<i64, Outcome> {
    if ctx.auth.is_none() {
        return Ok(0);
    }
    let weight = match ctx.hijack.count_recipients {
        true => recipients,
        false => 1,
    };
    account_gate(ctx, weight).await?;
    Ok(weight)
}

/// For an authenticated sender: refuses when the account is no longer
/// active, or when `weight` more would exceed its sending limit (which
/// freezes it when `freeze_on_limit`). MAIL asks with weight 0 (status
/// only); the end of data asks with the message's weight.
pub async fn account_gate(ctx: &Context<'_>, weight: i64) -> Result<(), Outcome> {
    let settings = ctx.hijack;
    let Some(auth) = ctx.auth else {
        return Ok(());
    };
    let Ok(address) = EmailAddress::parse(&auth.address) else {
        return Ok(());
    };
    let account = match ctx.state.store.account(&address).await {
        Ok(a) => a,
        Err(e) => return Err(Outcome::local_problem(ctx, e)),
    };
    if account.status != AccountStatus::Active {
        return Err(Outcome::Refuse {
            reply: Reply::enhanced(
                550,
                "5.7.1",
                "Account is frozen; contact your administrator",
            ),
            close: true,
            client_error: false,
        });
    }
    if weight == 0 {
        return Ok(());
    }
    let verdict = match hijack::check(ctx.state, settings, &account, weight).await {
        Ok(v) => v,
        Err(e) => return Err(Outcome::local_problem(ctx, e)),
    };
    let Verdict::OverLimit { limit, count } = verdict else {
        return Ok(());
    };
    record_rejection(ctx, "data", "sending_limit", None, None).await;
    let text = format!(
        "Sending limit of {} messages per {} s reached",
        limit.max, limit.window_seconds
    );
    if !settings.freeze_on_limit {
        return Err(Outcome::Tempfail(Reply::enhanced(
            451,
            "4.7.1",
            format!("{text}; try again later"),
        )));
    }
    let details = FreezeDetails {
        max_messages: limit.max,
        window_seconds: limit.window_seconds,
        count: count + weight,
    };
    let reason = format!(
        "sending limit exceeded: {} messages in {} s",
        count + weight,
        limit.window_seconds
    );
    if let Err(e) = hijack::freeze(ctx.state, &address, &reason, Some(details)).await {
        tracing::error!(error = %e, "freezing an account over its limit failed");
    }
    tracing::warn!(account = %address, count = count + weight, limit = limit.max, "sending limit exceeded; account frozen");
    Err(Outcome::Refuse {
        reply: Reply::enhanced(
            550,
            "5.7.1",
            format!("{text}; the account is frozen and its administrators notified"),
        ),
        close: true,
        client_error: false,
    })
}

/// A message larger than a recipient's whole quota is refused for good; one
/// that does not fit what is left now is refused for now.
pub fn quotas(local: &[LocalRecipient], size: u64) -> Result<(), Outcome> {
    for l in local {
        let Some(quota) = l.target.quota_bytes else {
            continue;
        };
        if size as i64 > quota {
            return Err(Outcome::refuse(
                552,
                "5.2.2",
                format!("<{}>: message exceeds the mailbox quota", l.target.address),
            ));
        }
        if l.target.used_bytes.saturating_add(size as i64) > quota {
            return Err(Outcome::Tempfail(Reply::enhanced(
                452,
                "4.2.2",
                format!("<{}>: mailbox full", l.target.address),
            )));
        }
    }
    Ok(())
}
