//! Screening state: the sending log (hijack detection), unfreeze tokens,
//! failed logins and blocked networks.

use sqlx::Row;

use super::events::append;
use super::{Page, Store, StoreError, StoreResult, decode_id_cursor, now_ms};
use crate::events::{EventType, NewEvent, payloads};

/// One message sent by an authenticated account, for the sliding window.
#[derive(Debug, Clone)]
pub struct SendingRecord {
    pub account_id: i64,
    pub recipients: i64,
    pub client_ip: String,
    pub protocol: String,
}

pub(super) async fn log_sending(
    tx: &mut sqlx::AnyConnection,
    r: &SendingRecord,
    at: i64,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO sending_counters (account_id, minute, messages, recipients) VALUES ($1, $2, 1, $3) \
         ON CONFLICT (account_id, minute) DO UPDATE SET messages = sending_counters.messages + 1, \
         recipients = sending_counters.recipients + excluded.recipients",
    )
    .bind(r.account_id)
    .bind(at / 60_000)
    .bind(r.recipients)
    .execute(&mut *tx)
    .await?;
    // Where it sent from, for the freeze notification.
    sqlx::query("INSERT INTO sending_log (account_id, at, recipients, client_ip, protocol) VALUES ($1, $2, $3, $4, $5)")
        .bind(r.account_id)
        .bind(at)
        .bind(r.recipients)
        .bind(r.client_ip.clone())
        .bind(r.protocol.clone())
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// A failed login, as recorded.
#[derive(Debug, Clone)]
pub struct AuthFailure {
    pub id: i64,
    pub at_ms: i64,
    pub ip: String,
    pub protocol: String,
    pub username: String,
    pub reason: String,
}

#[derive(Debug, Clone, Default)]
pub struct AuthFailureFilter {
    pub username: Option<String>,
    pub ip: Option<String>,
    pub protocol: Option<String>,
    pub since_ms: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct BlockedIp {
    pub network: String,
    pub until_ms: i64,
    pub reason: String,
    pub offenses: i64,
    pub created_at_ms: i64,
    pub manual: bool,
}

fn decode_block(r: &sqlx::any::AnyRow) -> Result<BlockedIp, sqlx::Error> {
    Ok(BlockedIp {
        network: r.try_get("network")?,
        until_ms: r.try_get("blocked_until")?,
        reason: r.try_get("reason")?,
        offenses: r.try_get("offenses")?,
        created_at_ms: r.try_get("created_at")?,
        manual: r.try_get::<i64, _>("manual")? != 0,
    })
}

/// Longest automatic block, however often an address offends.
const MAX_BLOCK_SECONDS: i64 = 30 * 24 * 3600;

impl Store {
    /// Messages (or recipients) an account sent since `since_ms`, counted in
    /// whole minutes (the window may reach up to a minute further back).
    pub async fn sending_count(
        &self,
        account_id: i64,
        since_ms: i64,
        count_recipients: bool,
    ) -> StoreResult<i64> {
        let sql = if count_recipients {
            "SELECT CAST(COALESCE(SUM(recipients), 0) AS BIGINT) FROM sending_counters WHERE account_id = $1 AND minute >= $2"
        } else {
            "SELECT CAST(COALESCE(SUM(messages), 0) AS BIGINT) FROM sending_counters WHERE account_id = $1 AND minute >= $2"
        };
        Ok(sqlx::query_scalar(sql)
            .bind(account_id)
            .bind(since_ms / 60_000)
            .fetch_one(&self.read)
            .await?)
    }

    /// The client IPs and protocols an account sent from since `since_ms`.
    pub async fn sending_sources(
        &self,
        account_id: i64,
        since_ms: i64,
    ) -> StoreResult<Vec<(String, String)>> {
        let rows = sqlx::query(
            "SELECT DISTINCT client_ip, protocol FROM sending_log WHERE account_id = $1 AND at > $2 ORDER BY client_ip, protocol",
        )
        .bind(account_id)
        .bind(since_ms)
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("client_ip")?, r.try_get("protocol")?)))
            .collect::<Result<_, sqlx::Error>>()
            .map_err(Into::into)
    }

    /// A single-use token that unfreezes `account_id` until `expires_at_ms`.
    pub async fn create_unfreeze_token(
        &self,
        account_id: i64,
        token: &str,
        expires_at_ms: i64,
    ) -> StoreResult<()> {
        sqlx::query("INSERT INTO unfreeze_tokens (token, account_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
            .bind(token)
            .bind(account_id)
            .bind(now_ms())
            .bind(expires_at_ms)
            .execute(&self.write)
            .await?;
        Ok(())
    }

    /// Whether a token is valid (unused, unexpired); returns its account.
    pub async fn unfreeze_token_account(&self, token: &str) -> StoreResult<Option<i64>> {
        Ok(sqlx::query_scalar("SELECT account_id FROM unfreeze_tokens WHERE token = $1 AND used_at IS NULL AND expires_at > $2")
            .bind(token)
            .bind(now_ms())
            .fetch_optional(&self.read)
            .await?)
    }

    /// Uses a token up; `None` if it was not valid (or already used).
    pub async fn consume_unfreeze_token(&self, token: &str) -> StoreResult<Option<String>> {
        let now = now_ms();
        let account_id: Option<i64> = sqlx::query_scalar(
            "UPDATE unfreeze_tokens SET used_at = $1 WHERE token = $2 AND used_at IS NULL AND expires_at > $1 RETURNING account_id",
        )
        .bind(now)
        .bind(token)
        .fetch_optional(&self.write)
        .await?;
        let Some(account_id) = account_id else {
            return Ok(None);
        };
        Ok(
            sqlx::query_scalar("SELECT address FROM accounts WHERE id = $1")
                .bind(account_id)
                .fetch_optional(&self.read)
                .await?,
        )
    }

    /// Records a failed login and its `auth.failed` event; returns the event's id.
    pub async fn record_auth_failure(
        &self,
        ip: &str,
        protocol: &str,
        username: &str,
        reason: &str,
        attempt_key: Option<&str>,
    ) -> StoreResult<i64> {
        let mut tx = self.begin().await?;
        let at = now_ms();
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO auth_failures (at, ip, protocol, username, reason, attempt_key) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(at)
        .bind(ip)
        .bind(protocol)
        .bind(username)
        .bind(reason)
        .bind(attempt_key)
        .fetch_one(&mut *tx)
        .await?;
        let _ = id;
        let domain = username
            .rsplit_once('@')
            .map(|(_, d)| d.to_ascii_lowercase());
        let event_id = append(
            &mut tx,
            &NewEvent {
                kind: EventType::AuthFailed,
                account: if username.is_empty() {
                    None
                } else {
                    Some(username.to_string())
                },
                domain,
                data: payloads::to_data(&payloads::AuthFailed {
                    ip: ip.into(),
                    protocol: protocol.into(),
                    username: username.into(),
                    reason: reason.into(),
                }),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(event_id)
    }

    /// Failures from `ip` since `since_ms`; the same attempt repeated (same
    /// user and password) counts once when `distinct_attempts`.
    pub async fn ip_failures(
        &self,
        ip: &str,
        since_ms: i64,
        distinct_attempts: bool,
    ) -> StoreResult<i64> {
        let sql = if distinct_attempts {
            "SELECT COUNT(*) FROM (SELECT DISTINCT COALESCE(attempt_key, CAST(id AS TEXT)) AS k FROM auth_failures WHERE ip = $1 AND at > $2) t"
        } else {
            "SELECT COUNT(*) FROM auth_failures WHERE ip = $1 AND at > $2"
        };
        Ok(sqlx::query_scalar(sql)
            .bind(ip)
            .bind(since_ms)
            .fetch_one(&self.read)
            .await?)
    }

    /// Failures for `username` since `since_ms` (repeats counted once).
    pub async fn user_failures(&self, username: &str, since_ms: i64) -> StoreResult<i64> {
        Ok(sqlx::query_scalar(
            "SELECT COUNT(*) FROM (SELECT DISTINCT COALESCE(attempt_key, CAST(id AS TEXT)) AS k FROM auth_failures WHERE username = $1 AND at > $2) t",
        )
        .bind(username)
        .bind(since_ms)
        .fetch_one(&self.read)
        .await?)
    }

    pub async fn list_auth_failures(
        &self,
        filter: &AuthFailureFilter,
        cursor: Option<&str>,
        limit: usize,
    ) -> StoreResult<Page<AuthFailure>> {
        let before = match cursor.filter(|c| !c.is_empty()) {
            Some(c) => decode_id_cursor(c)?,
            None => i64::MAX,
        };
        let rows = sqlx::query(
            "SELECT id, at, ip, protocol, username, reason FROM auth_failures \
             WHERE id < $1 AND ($2 IS NULL OR username = $2) AND ($3 IS NULL OR ip = $3) AND ($4 IS NULL OR protocol = $4) \
               AND ($5 IS NULL OR at >= $5) ORDER BY id DESC LIMIT $6",
        )
        .bind(before)
        .bind(filter.username.clone())
        .bind(filter.ip.clone())
        .bind(filter.protocol.clone())
        .bind(filter.since_ms)
        .bind((limit + 1) as i64)
        .fetch_all(&self.read)
        .await?;
        let items = rows
            .iter()
            .map(|r| {
                Ok(AuthFailure {
                    id: r.try_get("id")?,
                    at_ms: r.try_get("at")?,
                    ip: r.try_get("ip")?,
                    protocol: r.try_get("protocol")?,
                    username: r.try_get("username")?,
                    reason: r.try_get("reason")?,
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()?;
        Ok(Page::from_rows(items, limit, |f| f.id.to_string()))
    }

    /// Blocks a network. An automatic block of a repeat offender lasts
    /// twice as long as its previous one (capped at 30 days).
    pub async fn block_network(
        &self,
        network: &str,
        seconds: i64,
        reason: &str,
        manual: bool,
    ) -> StoreResult<BlockedIp> {
        let mut tx = self.begin().await?;
        let now = now_ms();
        let previous: Option<i64> =
            sqlx::query_scalar("SELECT offenses FROM blocked_ips WHERE network = $1")
                .bind(network)
                .fetch_optional(&mut *tx)
                .await?;
        let offenses = previous.unwrap_or(0) + 1;
        let factor = if manual {
            1
        } else {
            1i64 << (offenses - 1).min(20)
        };
        let duration = seconds.saturating_mul(factor).min(if manual {
            i64::MAX / 4000
        } else {
            MAX_BLOCK_SECONDS
        });
        let until = now.saturating_add(duration.saturating_mul(1000));
        sqlx::query(
            "INSERT INTO blocked_ips (network, blocked_until, reason, offenses, created_at, manual) VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (network) DO UPDATE SET blocked_until = excluded.blocked_until, reason = excluded.reason, \
             offenses = excluded.offenses, created_at = excluded.created_at, manual = excluded.manual",
        )
        .bind(network)
        .bind(until)
        .bind(reason)
        .bind(offenses)
        .bind(now)
        .bind(i64::from(manual))
        .execute(&mut *tx)
        .await?;
        append(
            &mut tx,
            &NewEvent {
                kind: EventType::IpBlocked,
                account: None,
                domain: None,
                data: payloads::to_data(&payloads::IpBlocked {
                    network: network.into(),
                    until: super::from_ms(until).to_rfc3339(),
                    reason: reason.into(),
                    offenses,
                    manual,
                }),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(BlockedIp {
            network: network.into(),
            until_ms: until,
            reason: reason.into(),
            offenses,
            created_at_ms: now,
            manual,
        })
    }

    pub async fn unblock_network(&self, network: &str) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        let done = sqlx::query(
            "UPDATE blocked_ips SET blocked_until = $1 WHERE network = $2 AND blocked_until > $1",
        )
        .bind(now_ms())
        .bind(network)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!("block of {network}")));
        }
        append(
            &mut tx,
            &NewEvent {
                kind: EventType::IpUnblocked,
                account: None,
                domain: None,
                data: payloads::to_data(&payloads::IpUnblocked {
                    network: network.into(),
                }),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Blocks in force now.
    pub async fn active_blocks(&self) -> StoreResult<Vec<BlockedIp>> {
        let rows = sqlx::query(
            "SELECT network, blocked_until, reason, offenses, created_at, manual FROM blocked_ips WHERE blocked_until > $1 ORDER BY network",
        )
        .bind(now_ms())
        .fetch_all(&self.read)
        .await?;
        Ok(rows
            .iter()
            .map(decode_block)
            .collect::<Result<Vec<_>, _>>()?)
    }

    /// Forgets failures and sending records older than `before_ms`.
    pub async fn prune_screening(&self, before_ms: i64) -> StoreResult<()> {
        for sql in [
            "DELETE FROM auth_failures WHERE at < $1",
            "DELETE FROM sending_log WHERE at < $1",
            "DELETE FROM sending_counters WHERE minute < $1 / 60000",
            "DELETE FROM unfreeze_tokens WHERE expires_at < $1",
        ] {
            sqlx::query(sql)
                .bind(before_ms)
                .execute(&self.write)
                .await?;
        }
        Ok(())
    }
}
