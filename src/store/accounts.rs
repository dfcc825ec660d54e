//! Accounts: mailboxes that can log in, send and receive.
//!
//! [`Store::freeze_account`] is the one function that freezes an account,
//! whoever asks (the REST API now; the hijack detector and admin replies
//! later), so every freeze is recorded the same way.

use serde::{Deserialize, Serialize};
use sqlx::Row;
use utoipa::ToSchema;

use super::events::append;
use super::{Page, Store, StoreError, StoreResult, decode_cursor, is_unique_violation, now_ms};
use crate::address::{Domain, EmailAddress};
use crate::events::{EventType, NewEvent, payloads};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum AccountStatus {
    /// Sends, receives and reads mail.
    Active,
    /// Suspected hijack: receives mail, cannot send nor read it.
    Frozen,
    /// Switched off by an administrator: cannot log in at all.
    Disabled,
}

impl AccountStatus {
    fn parse(s: &str) -> StoreResult<Self> {
        match s {
            "active" => Ok(Self::Active),
            "frozen" => Ok(Self::Frozen),
            "disabled" => Ok(Self::Disabled),
            other => Err(StoreError::Corrupt(format!("account status {other:?}"))),
        }
    }
}

/// A per-account sending limit that overrides the global hijack-detection limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SendingLimit {
    /// Messages allowed in one window.
    #[schema(minimum = 1, maximum = 1000000)]
    pub max_messages: u32,
    /// Length of the sliding window, in seconds.
    #[schema(minimum = 1, maximum = 2592000)]
    pub window_seconds: u32,
}

/// Outbound attachment linking for one account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AttachmentLinking {
    pub enabled: bool,
    /// Attachments at or above this size are replaced by a link.
    #[schema(maximum = 1073741824)]
    pub min_size_bytes: u64,
    /// Links and their files are removed this many days after sending.
    #[schema(minimum = 1, maximum = 3650)]
    pub expires_after_days: u32,
    /// Also replace large attachments of mail this account receives by
    /// links (in its stored copy), with the same size and expiry.
    #[serde(default)]
    pub extract_inbound: bool,
}

impl Default for AttachmentLinking {
    fn default() -> Self {
        Self {
            enabled: false,
            min_size_bytes: 1024 * 1024,
            expires_after_days: 30,
            extract_inbound: false,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Account {
    pub id: i64,
    pub address: String,
    /// The lookup form of the address (see [`EmailAddress::key`]).
    pub address_key: String,
    pub domain: String,
    pub display_name: Option<String>,
    pub status: AccountStatus,
    pub frozen_reason: Option<String>,
    pub frozen_at_ms: Option<i64>,
    pub quota_bytes: Option<i64>,
    pub used_bytes: i64,
    pub sending_limit: Option<SendingLimit>,
    pub attachment_linking: AttachmentLinking,
    pub created_at_ms: i64,
    pub password_hash: String,
}

/// A new account, validated and with its password already hashed.
#[derive(Debug, Clone)]
pub struct NewAccount {
    pub address: EmailAddress,
    pub password_hash: String,
    pub display_name: Option<String>,
    pub quota_bytes: Option<i64>,
    pub sending_limit: Option<SendingLimit>,
    pub attachment_linking: AttachmentLinking,
}

/// Changes to an account; `None` leaves a field as it is, `Some(None)` clears
/// a nullable one.
#[derive(Debug, Clone, Default)]
pub struct AccountChanges {
    pub password_hash: Option<String>,
    pub display_name: Option<Option<String>>,
    pub quota_bytes: Option<Option<i64>>,
    pub sending_limit: Option<Option<SendingLimit>>,
    pub attachment_linking: Option<AttachmentLinking>,
    pub status: Option<AccountStatus>,
}

const SELECT_BY_KEY: &str = "SELECT a.id, a.address, d.name AS domain, a.display_name, a.status, a.frozen_reason, \
     a.frozen_at, a.quota_bytes, a.used_bytes, a.sending_limit, a.attachment_linking, a.created_at, \
     a.password_hash, a.address_key FROM accounts a JOIN domains d ON d.id = a.domain_id WHERE a.address_key = $1";

const SELECT_PAGE: &str = "SELECT a.id, a.address, d.name AS domain, a.display_name, a.status, a.frozen_reason, \
     a.frozen_at, a.quota_bytes, a.used_bytes, a.sending_limit, a.attachment_linking, a.created_at, \
     a.password_hash, a.address_key FROM accounts a JOIN domains d ON d.id = a.domain_id \
     WHERE a.address_key > $1 AND ($2 IS NULL OR d.name = $2) ORDER BY a.address_key LIMIT $3";

fn decode(row: &sqlx::any::AnyRow) -> StoreResult<Account> {
    let sending_limit: Option<String> = row.try_get("sending_limit")?;
    let linking: String = row.try_get("attachment_linking")?;
    let corrupt =
        |what: &str, e: serde_json::Error| StoreError::Corrupt(format!("account {what}: {e}"));
    Ok(Account {
        id: row.try_get("id")?,
        address: row.try_get("address")?,
        address_key: row.try_get("address_key")?,
        domain: row.try_get("domain")?,
        display_name: row.try_get("display_name")?,
        status: AccountStatus::parse(&row.try_get::<String, _>("status")?)?,
        frozen_reason: row.try_get("frozen_reason")?,
        frozen_at_ms: row.try_get("frozen_at")?,
        quota_bytes: row.try_get("quota_bytes")?,
        used_bytes: row.try_get("used_bytes")?,
        sending_limit: sending_limit
            .map(|s| serde_json::from_str(&s))
            .transpose()
            .map_err(|e| corrupt("sending_limit", e))?,
        attachment_linking: serde_json::from_str(&linking)
            .map_err(|e| corrupt("attachment_linking", e))?,
        created_at_ms: row.try_get("created_at")?,
        password_hash: row.try_get("password_hash")?,
    })
}

fn to_json<T: Serialize>(value: &T) -> String {
    // Serialising these plain structs cannot fail.
    serde_json::to_string(value).unwrap_or_else(|_| "null".into())
}

async fn fetch_for_update(tx: &mut sqlx::AnyConnection, key: &str) -> StoreResult<Account> {
    let row = sqlx::query(SELECT_BY_KEY)
        .bind(key)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("account {key}")))?;
    decode(&row)
}

fn account_event(kind: EventType, account: &Account, data: serde_json::Value) -> NewEvent {
    NewEvent {
        kind,
        account: Some(account.address.clone()),
        domain: Some(account.domain.clone()),
        data,
    }
}

impl Store {
    pub async fn create_account(&self, new: NewAccount) -> StoreResult<Account> {
        let key = new.address.key();
        let mut tx = self.begin().await?;
        let domain_id: i64 = sqlx::query_scalar("SELECT id FROM domains WHERE name = $1")
            .bind(new.address.domain().as_str())
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| {
                StoreError::Invalid(format!(
                    "{} is not a local domain; create the domain first",
                    new.address.domain()
                ))
            })?;
        let alias: Option<i64> =
            sqlx::query_scalar("SELECT id FROM aliases WHERE address_key = $1")
                .bind(&key)
                .fetch_optional(&mut *tx)
                .await?;
        if alias.is_some() {
            return Err(StoreError::Conflict(format!(
                "{} is already an alias",
                new.address
            )));
        }
        let now = now_ms();
        let inserted = sqlx::query(
            "INSERT INTO accounts (domain_id, address, address_key, display_name, password_hash, status, \
             quota_bytes, used_bytes, sending_limit, attachment_linking, created_at) \
             VALUES ($1, $2, $3, $4, $5, 'active', $6, 0, $7, $8, $9)",
        )
        .bind(domain_id)
        .bind(new.address.to_string())
        .bind(&key)
        .bind(new.display_name.clone())
        .bind(new.password_hash.clone())
        .bind(new.quota_bytes)
        .bind(new.sending_limit.as_ref().map(to_json))
        .bind(to_json(&new.attachment_linking))
        .bind(now)
        .execute(&mut *tx)
        .await;
        match inserted {
            Err(e) if is_unique_violation(&e) => {
                return Err(StoreError::Conflict(format!(
                    "account {} already exists",
                    new.address
                )));
            }
            other => {
                other?;
            }
        }
        let account = fetch_for_update(&mut tx, &key).await?;
        super::mailboxes::create_defaults(&mut tx, account.id, now).await?;
        append(
            &mut tx,
            &account_event(
                EventType::AccountCreated,
                &account,
                payloads::to_data(&payloads::AccountCreated {
                    address: account.address.clone(),
                    domain: account.domain.clone(),
                }),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(account)
    }

    pub async fn account(&self, address: &EmailAddress) -> StoreResult<Account> {
        let row = sqlx::query(SELECT_BY_KEY)
            .bind(address.key())
            .fetch_optional(&self.read)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("account {address}")))?;
        decode(&row)
    }

    /// Bytes the account may still store: `None` when it has no quota.
    pub async fn quota_room(&self, account_id: i64) -> StoreResult<Option<i64>> {
        let (quota, used) = self.quota_usage(account_id).await?;
        Ok(quota.map(|q| (q - used).max(0)))
    }

    /// The account's quota (`None`: unlimited) and the bytes it uses.
    pub async fn quota_usage(&self, account_id: i64) -> StoreResult<(Option<i64>, i64)> {
        let row = sqlx::query("SELECT quota_bytes, used_bytes FROM accounts WHERE id = $1")
            .bind(account_id)
            .fetch_optional(&self.read)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("account {account_id}")))?;
        Ok((row.try_get("quota_bytes")?, row.try_get("used_bytes")?))
    }

    pub async fn list_accounts(
        &self,
        domain: Option<&Domain>,
        cursor: Option<&str>,
        limit: usize,
    ) -> StoreResult<Page<Account>> {
        let after = cursor.map(decode_cursor).transpose()?.unwrap_or_default();
        let rows = sqlx::query(SELECT_PAGE)
            .bind(after)
            .bind(domain.map(|d| d.to_string()))
            .bind((limit + 1) as i64)
            .fetch_all(&self.read)
            .await?;
        let mut items = Vec::with_capacity(rows.len());
        for row in &rows {
            items.push(decode(row)?);
        }
        Ok(Page::from_rows(items, limit, |a| a.address_key.clone()))
    }

    pub async fn update_account(
        &self,
        address: &EmailAddress,
        changes: AccountChanges,
    ) -> StoreResult<Account> {
        let key = address.key();
        let mut tx = self.begin().await?;
        let before = fetch_for_update(&mut tx, &key).await?;
        if let Some(hash) = &changes.password_hash {
            sqlx::query("UPDATE accounts SET password_hash = $1 WHERE id = $2")
                .bind(hash.clone())
                .bind(before.id)
                .execute(&mut *tx)
                .await?;
        }
        if let Some(name) = &changes.display_name {
            sqlx::query("UPDATE accounts SET display_name = $1 WHERE id = $2")
                .bind(name.clone())
                .bind(before.id)
                .execute(&mut *tx)
                .await?;
        }
        if let Some(quota) = changes.quota_bytes {
            sqlx::query("UPDATE accounts SET quota_bytes = $1 WHERE id = $2")
                .bind(quota)
                .bind(before.id)
                .execute(&mut *tx)
                .await?;
        }
        if let Some(limit) = &changes.sending_limit {
            sqlx::query("UPDATE accounts SET sending_limit = $1 WHERE id = $2")
                .bind(limit.as_ref().map(to_json))
                .bind(before.id)
                .execute(&mut *tx)
                .await?;
        }
        if let Some(linking) = &changes.attachment_linking {
            sqlx::query("UPDATE accounts SET attachment_linking = $1 WHERE id = $2")
                .bind(to_json(linking))
                .bind(before.id)
                .execute(&mut *tx)
                .await?;
        }
        match changes.status {
            Some(AccountStatus::Frozen) => {
                set_frozen(&mut tx, &before, "frozen by an administrator", None).await?;
            }
            Some(AccountStatus::Active) => set_active(&mut tx, &before, None).await?,
            Some(AccountStatus::Disabled) => {
                sqlx::query(
                    "UPDATE accounts SET status = 'disabled', frozen_reason = NULL, frozen_at = NULL WHERE id = $1",
                )
                .bind(before.id)
                .execute(&mut *tx)
                .await?;
            }
            None => {}
        }
        let after = fetch_for_update(&mut tx, &key).await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Deletes an account; aliases left without any target go with it.
    pub async fn delete_account(&self, address: &EmailAddress) -> StoreResult<()> {
        let key = address.key();
        let mut tx = self.begin().await?;
        let account = fetch_for_update(&mut tx, &key).await?;
        sqlx::query("DELETE FROM accounts WHERE id = $1")
            .bind(account.id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM aliases WHERE NOT EXISTS (SELECT 1 FROM alias_targets t WHERE t.alias_id = aliases.id)")
            .execute(&mut *tx)
            .await?;
        append(
            &mut tx,
            &account_event(
                EventType::AccountDeleted,
                &account,
                payloads::to_data(&payloads::AccountDeleted {
                    address: account.address.clone(),
                    reason: None,
                }),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Freezes an account: it keeps receiving mail but can neither send nor
    /// read it. Freezing a frozen account changes nothing and records nothing.
    pub async fn freeze_account(
        &self,
        address: &EmailAddress,
        reason: &str,
        details: Option<FreezeDetails>,
    ) -> StoreResult<Account> {
        let key = address.key();
        let mut tx = self.begin().await?;
        let before = fetch_for_update(&mut tx, &key).await?;
        set_frozen(&mut tx, &before, reason, details).await?;
        let after = fetch_for_update(&mut tx, &key).await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Returns a frozen account to active; `by` names who did it.
    pub async fn unfreeze_account(
        &self,
        address: &EmailAddress,
        by: Option<&str>,
    ) -> StoreResult<Account> {
        let key = address.key();
        let mut tx = self.begin().await?;
        let before = fetch_for_update(&mut tx, &key).await?;
        if before.status == AccountStatus::Disabled {
            return Err(StoreError::Conflict(format!(
                "account {} is disabled, not frozen; set its status to active instead",
                before.address
            )));
        }
        set_active(&mut tx, &before, by).await?;
        let after = fetch_for_update(&mut tx, &key).await?;
        tx.commit().await?;
        Ok(after)
    }
}

/// Why the hijack detector froze an account, for the event and the email.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FreezeDetails {
    pub max_messages: i64,
    pub window_seconds: i64,
    pub count: i64,
}

async fn set_frozen(
    tx: &mut sqlx::AnyConnection,
    account: &Account,
    reason: &str,
    details: Option<FreezeDetails>,
) -> StoreResult<()> {
    match account.status {
        AccountStatus::Frozen => return Ok(()),
        AccountStatus::Disabled => {
            return Err(StoreError::Conflict(format!(
                "account {} is disabled; it cannot be frozen",
                account.address
            )));
        }
        AccountStatus::Active => {}
    }
    let now = now_ms();
    sqlx::query(
        "UPDATE accounts SET status = 'frozen', frozen_reason = $1, frozen_at = $2 WHERE id = $3",
    )
    .bind(reason)
    .bind(now)
    .bind(account.id)
    .execute(&mut *tx)
    .await?;
    append(
        tx,
        &account_event(
            EventType::AccountFrozen,
            account,
            payloads::to_data(&payloads::AccountFrozen {
                address: account.address.clone(),
                reason: reason.into(),
                limit: details.map(|d| d.max_messages),
                window_seconds: details.map(|d| d.window_seconds),
                count: details.map(|d| d.count),
            }),
        ),
    )
    .await?;
    Ok(())
}

async fn set_active(
    tx: &mut sqlx::AnyConnection,
    account: &Account,
    by: Option<&str>,
) -> StoreResult<()> {
    if account.status == AccountStatus::Active {
        return Ok(());
    }
    sqlx::query("UPDATE accounts SET status = 'active', frozen_reason = NULL, frozen_at = NULL WHERE id = $1")
        .bind(account.id)
        .execute(&mut *tx)
        .await?;
    if account.status == AccountStatus::Frozen {
        append(
            tx,
            &account_event(
                EventType::AccountUnfrozen,
                account,
                payloads::to_data(&payloads::AccountUnfrozen {
                    address: account.address.clone(),
                    by: by.map(str::to_string),
                }),
            ),
        )
        .await?;
    }
    Ok(())
}
