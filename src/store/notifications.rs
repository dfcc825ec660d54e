//! The outbox of admin notification emails.

use sqlx::Row;

use super::{Backend, Store, StoreResult, now_ms};
use crate::events::{EventType, NewEvent};

const LEASE_MS: i64 = 60_000;

/// Events that warrant an email to the admins.
pub const NOTIFY: &[EventType] = &[
    EventType::AccountFrozen,
    EventType::IpBlocked,
    EventType::WebhookDisabled,
];

#[derive(Debug, Clone)]
pub struct PendingNotification {
    pub id: i64,
    pub event_id: i64,
    pub kind: String,
    pub account: Option<String>,
    pub data: serde_json::Value,
    pub created_at_ms: i64,
}

pub(super) async fn enqueue(
    tx: &mut sqlx::AnyConnection,
    event_id: i64,
    event: &NewEvent,
) -> StoreResult<()> {
    if !NOTIFY.contains(&event.kind) {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO admin_notifications (event_id, type, account, data, status, created_at) VALUES ($1, $2, $3, $4, 'pending', $5)",
    )
    .bind(event_id)
    .bind(event.kind.as_str())
    .bind(event.account.clone())
    .bind(event.data.to_string())
    .bind(now_ms())
    .execute(&mut *tx)
    .await?;
    Ok(())
}

impl Store {
    /// Queues an admin email of `kind` (beyond the event types in [`NOTIFY`]).
    pub async fn notify_admins(
        &self,
        event_id: i64,
        kind: &str,
        account: Option<&str>,
        data: &serde_json::Value,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO admin_notifications (event_id, type, account, data, status, created_at) VALUES ($1, $2, $3, $4, 'pending', $5)",
        )
        .bind(event_id)
        .bind(kind)
        .bind(account)
        .bind(data.to_string())
        .bind(now_ms())
        .execute(&self.write)
        .await?;
        Ok(())
    }

    /// Leases pending notifications, oldest first.
    pub async fn claim_notifications(&self, limit: usize) -> StoreResult<Vec<PendingNotification>> {
        let now = now_ms();
        let sql = match self.backend {
            Backend::Sqlite => {
                "UPDATE admin_notifications SET lease_until = $1 WHERE id IN ( \
                   SELECT id FROM admin_notifications WHERE status = 'pending' AND (lease_until IS NULL OR lease_until < $2) \
                   ORDER BY id LIMIT $3) RETURNING id, event_id, type, account, data, created_at"
            }
            Backend::Postgres => {
                "UPDATE admin_notifications SET lease_until = $1 WHERE id IN ( \
                   SELECT id FROM admin_notifications WHERE status = 'pending' AND (lease_until IS NULL OR lease_until < $2) \
                   ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED) RETURNING id, event_id, type, account, data, created_at"
            }
        };
        let rows = sqlx::query(sql)
            .bind(now + LEASE_MS)
            .bind(now)
            .bind(limit as i64)
            .fetch_all(&self.write)
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let data: String = r.try_get("data")?;
            out.push(PendingNotification {
                id: r.try_get("id")?,
                event_id: r.try_get("event_id")?,
                kind: r.try_get("type")?,
                account: r.try_get("account")?,
                data: serde_json::from_str(&data).unwrap_or(serde_json::Value::Null),
                created_at_ms: r.try_get("created_at")?,
            });
        }
        Ok(out)
    }

    /// Marks a notification `sent` (or `skipped` when no admin was set).
    pub async fn finish_notification(&self, id: i64, status: &str) -> StoreResult<()> {
        sqlx::query("UPDATE admin_notifications SET status = $1, lease_until = NULL WHERE id = $2")
            .bind(status)
            .bind(id)
            .execute(&self.write)
            .await?;
        Ok(())
    }
}
