//! Account hijack detection: a sending limit per account over a sliding
//! window, counted in the database so every node counts together. Over the
//! limit, the message is refused and (with `freeze_on_limit`) the account
//! frozen; admins are emailed and can unfreeze by replying.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::app::AppState;
use crate::store::accounts::{Account, FreezeDetails};
use crate::store::{StoreResult, now_ms};

pub const SETTING: &str = "hijack-detection";

/// `/v1/settings/hijack-detection`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HijackSettings {
    pub enabled: bool,
    /// Messages allowed per window (unless the account has its own `sending_limit`).
    #[schema(minimum = 1, maximum = 1000000)]
    pub max_messages: u32,
    #[schema(minimum = 1, maximum = 2592000)]
    pub window_seconds: u32,
    /// Freeze the account when it goes over the limit.
    pub freeze_on_limit: bool,
    /// Accounts never counted (e.g. a newsletter sender).
    pub exempt_accounts: Vec<String>,
    /// Count recipients instead of messages: a message to 50 people counts 50.
    #[serde(default)]
    pub count_recipients: bool,
}

impl Default for HijackSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            max_messages: 200,
            window_seconds: 3600,
            freeze_on_limit: true,
            exempt_accounts: Vec::new(),
            count_recipients: false,
        }
    }
}

/// The limit that applies to one account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    pub max: i64,
    pub window_seconds: i64,
}

/// Whether another message of `weight` (1, or its recipients) may go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Not counted (detection off, or the account is exempt).
    Unlimited,
    Allow,
    OverLimit {
        limit: Limit,
        count: i64,
    },
}

pub fn limit_for(settings: &HijackSettings, account: &Account) -> Option<Limit> {
    if !settings.enabled
        || settings
            .exempt_accounts
            .iter()
            .any(|a| a.eq_ignore_ascii_case(&account.address))
    {
        return None;
    }
    Some(match account.sending_limit {
        Some(l) => Limit {
            max: i64::from(l.max_messages),
            window_seconds: i64::from(l.window_seconds),
        },
        None => Limit {
            max: i64::from(settings.max_messages),
            window_seconds: i64::from(settings.window_seconds),
        },
    })
}

/// How long a count read from the store is reused (with this node's own
/// sends added): every node counts in the database, and each sees the
/// others' sends within this time.
const COUNT_TTL: Duration = Duration::from_secs(1);

/// Recent window counts per account, so that a busy sender costs one count
/// query per second rather than one per message.
#[derive(Clone, Default)]
pub struct Counts(Arc<Mutex<HashMap<i64, (Instant, i64)>>>);

impl Counts {
    /// Adds this node's accepted message to the cached count.
    pub fn add(&self, account_id: i64, weight: i64) {
        if let Some(entry) = self
            .0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get_mut(&account_id)
        {
            entry.1 += weight;
        }
    }

    fn get(&self, account_id: i64) -> Option<i64> {
        let map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        map.get(&account_id)
            .filter(|(at, _)| at.elapsed() < COUNT_TTL)
            .map(|(_, n)| *n)
    }

    fn put(&self, account_id: i64, count: i64) {
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() > 100_000 {
            map.retain(|_, (at, _)| at.elapsed() < COUNT_TTL);
        }
        map.insert(account_id, (Instant::now(), count));
    }
}

pub async fn check(
    state: &AppState,
    settings: &HijackSettings,
    account: &Account,
    weight: i64,
) -> StoreResult<Verdict> {
    let Some(limit) = limit_for(settings, account) else {
        return Ok(Verdict::Unlimited);
    };
    let count = match state.hijack_counts.get(account.id) {
        Some(n) => n,
        None => {
            let since = now_ms() - limit.window_seconds * 1000;
            let n = state
                .store
                .sending_count(account.id, since, settings.count_recipients)
                .await?;
            state.hijack_counts.put(account.id, n);
            n
        }
    };
    if count + weight > limit.max {
        Ok(Verdict::OverLimit { limit, count })
    } else {
        Ok(Verdict::Allow)
    }
}

/// The one way an account is frozen (hijack detector, REST API, PATCH):
/// records it with its event (which emails the admins), and closes the
/// account's IMAP and POP3 sessions on this node.
pub async fn freeze(
    state: &AppState,
    address: &crate::address::EmailAddress,
    reason: &str,
    details: Option<FreezeDetails>,
) -> StoreResult<Account> {
    let account = state.store.freeze_account(address, reason, details).await?;
    state.access.kick(account.id);
    Ok(account)
}
