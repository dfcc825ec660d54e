//! Webhook subscriptions and their durable delivery outbox.
//!
//! Deliveries are created by [`fan_out`] in the same transaction as the
//! event they carry, so an event is never committed without its deliveries.
//! Workers claim due deliveries with a lease (and `SKIP LOCKED` on
//! PostgreSQL), so in a cluster each attempt is made by one node.

use sqlx::Row;

use super::{Backend, Page, Store, StoreError, StoreResult, decode_id_cursor, now_ms};
use crate::events::{EventType, NewEvent, payloads};

/// How long a claimed delivery stays leased to the node attempting it.
const LEASE_MS: i64 = 60_000;

#[derive(Debug, Clone)]
pub struct Webhook {
    pub id: i64,
    pub url: String,
    pub events: Vec<String>,
    pub description: Option<String>,
    pub enabled: bool,
    pub disabled_reason: Option<String>,
    pub domain: Option<String>,
    pub secret: String,
    pub previous_secret: Option<String>,
    pub previous_secret_expires_at_ms: Option<i64>,
    pub created_at_ms: i64,
}

impl Webhook {
    /// The secrets to sign with now: the current one, and the previous one
    /// during its grace period after a rotation.
    pub fn signing_secrets(&self, now_ms: i64) -> Vec<&str> {
        let mut out = vec![self.secret.as_str()];
        if let (Some(prev), Some(until)) =
            (&self.previous_secret, self.previous_secret_expires_at_ms)
            && until > now_ms
        {
            out.push(prev);
        }
        out
    }
}

/// A delivery claimed for an attempt.
#[derive(Debug, Clone)]
pub struct DueDelivery {
    pub id: i64,
    pub webhook_id: i64,
    pub message_id: String,
    pub payload: String,
    pub attempts: i64,
}

/// One recorded attempt.
#[derive(Debug, Clone)]
pub struct Attempt {
    pub id: i64,
    pub delivery_id: i64,
    pub message_id: String,
    pub event_type: String,
    pub at_ms: i64,
    pub status_code: Option<i64>,
    pub duration_ms: i64,
    pub error: Option<String>,
    pub delivery_status: String,
}

/// What an attempt's outcome does to its delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Succeeded,
    /// Try again at this time.
    Retry {
        at_ms: i64,
    },
    /// No more attempts.
    Failed,
}

/// Creates one delivery per matching enabled subscription, inside the
/// event's transaction. `webhook.test` goes only where it is sent explicitly.
pub(super) async fn fan_out(
    tx: &mut sqlx::AnyConnection,
    event_id: i64,
    event: &NewEvent,
) -> StoreResult<()> {
    if event.kind == EventType::WebhookTest {
        return Ok(());
    }
    let now = now_ms();
    let payload = payload(event, now);
    sqlx::query(
        "INSERT INTO webhook_deliveries (webhook_id, event_id, message_id, payload, status, attempts, next_attempt_at, created_at) \
         SELECT w.id, $1, $2, $3, 'pending', 0, $4, $4 FROM webhooks w \
         WHERE w.enabled = 1 AND (w.domain IS NULL OR w.domain = $5) \
           AND EXISTS (SELECT 1 FROM webhook_event_types t WHERE t.webhook_id = w.id AND (t.type = '*' OR t.type = $6))",
    )
    .bind(event_id)
    .bind(message_id(event_id))
    .bind(payload)
    .bind(now)
    .bind(event.domain.clone())
    .bind(event.kind.as_str())
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// The Standard Webhooks body: `{"type", "timestamp", "data"}`.
fn payload(event: &NewEvent, now_ms: i64) -> String {
    serde_json::json!({
        "type": event.kind.as_str(),
        "timestamp": super::from_ms(now_ms).to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "data": event.data,
    })
    .to_string()
}

/// The `webhook-id` of an event: the same for every retry.
fn message_id(event_id: i64) -> String {
    format!("msg_{event_id}")
}

async fn decode(conn: &mut sqlx::AnyConnection, row: &sqlx::any::AnyRow) -> StoreResult<Webhook> {
    let id: i64 = row.try_get("id")?;
    let events: Vec<String> = sqlx::query_scalar(
        "SELECT type FROM webhook_event_types WHERE webhook_id = $1 ORDER BY type",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(Webhook {
        id,
        url: row.try_get("url")?,
        events,
        description: row.try_get("description")?,
        enabled: row.try_get::<i64, _>("enabled")? != 0,
        disabled_reason: row.try_get("disabled_reason")?,
        domain: row.try_get("domain")?,
        secret: row.try_get("secret")?,
        previous_secret: row.try_get("previous_secret")?,
        previous_secret_expires_at_ms: row.try_get("previous_secret_expires_at")?,
        created_at_ms: row.try_get("created_at")?,
    })
}

async fn set_types(tx: &mut sqlx::AnyConnection, id: i64, events: &[String]) -> StoreResult<()> {
    sqlx::query("DELETE FROM webhook_event_types WHERE webhook_id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    for t in events {
        sqlx::query("INSERT INTO webhook_event_types (webhook_id, type) VALUES ($1, $2) ON CONFLICT DO NOTHING")
            .bind(id)
            .bind(t.clone())
            .execute(&mut *tx)
            .await?;
    }
    Ok(())
}

/// Changes to a subscription; `None` keeps a field.
#[derive(Debug, Default)]
pub struct WebhookChanges {
    pub url: Option<String>,
    pub events: Option<Vec<String>>,
    pub description: Option<Option<String>>,
    pub enabled: Option<bool>,
}

impl Store {
    pub async fn create_webhook(
        &self,
        url: &str,
        events: &[String],
        description: Option<String>,
        domain: Option<String>,
        secret: &str,
    ) -> StoreResult<Webhook> {
        let mut tx = self.begin().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO webhooks (url, description, enabled, domain, secret, created_at) VALUES ($1, $2, 1, $3, $4, $5) RETURNING id",
        )
        .bind(url)
        .bind(description)
        .bind(domain)
        .bind(secret)
        .bind(now_ms())
        .fetch_one(&mut *tx)
        .await?;
        set_types(&mut tx, id, events).await?;
        let row = sqlx::query(WHERE_ID).bind(id).fetch_one(&mut *tx).await?;
        let webhook = decode(&mut tx, &row).await?;
        tx.commit().await?;
        Ok(webhook)
    }

    pub async fn webhook(&self, id: i64) -> StoreResult<Webhook> {
        let mut conn = self.reader().acquire().await?;
        let row = sqlx::query(WHERE_ID)
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("webhook {id}")))?;
        decode(&mut conn, &row).await
    }

    /// Subscriptions, optionally only one domain's, by id.
    pub async fn list_webhooks(
        &self,
        domain: Option<&str>,
        cursor: Option<&str>,
        limit: usize,
    ) -> StoreResult<Page<Webhook>> {
        let after: i64 = match cursor.filter(|c| !c.is_empty()) {
            Some(c) => decode_id_cursor(c)?,
            None => 0,
        };
        let mut conn = self.reader().acquire().await?;
        let rows = sqlx::query(LIST)
            .bind(after)
            .bind(domain)
            .bind((limit + 1) as i64)
            .fetch_all(&mut *conn)
            .await?;
        let mut items = Vec::with_capacity(rows.len());
        for row in &rows {
            items.push(decode(&mut conn, row).await?);
        }
        Ok(Page::from_rows(items, limit, |w| w.id.to_string()))
    }

    pub async fn update_webhook(&self, id: i64, changes: WebhookChanges) -> StoreResult<Webhook> {
        let mut tx = self.begin().await?;
        let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM webhooks WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
        if exists.is_none() {
            return Err(StoreError::NotFound(format!("webhook {id}")));
        }
        if let Some(url) = &changes.url {
            sqlx::query("UPDATE webhooks SET url = $1 WHERE id = $2")
                .bind(url.clone())
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        if let Some(description) = &changes.description {
            sqlx::query("UPDATE webhooks SET description = $1 WHERE id = $2")
                .bind(description.clone())
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        if let Some(enabled) = changes.enabled {
            sqlx::query("UPDATE webhooks SET enabled = $1, disabled_reason = NULL WHERE id = $2")
                .bind(i64::from(enabled))
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        if let Some(events) = &changes.events {
            set_types(&mut tx, id, events).await?;
        }
        let row = sqlx::query(WHERE_ID).bind(id).fetch_one(&mut *tx).await?;
        let webhook = decode(&mut tx, &row).await?;
        tx.commit().await?;
        Ok(webhook)
    }

    pub async fn delete_webhook(&self, id: i64) -> StoreResult<()> {
        let done = sqlx::query("DELETE FROM webhooks WHERE id = $1")
            .bind(id)
            .execute(&self.write)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!("webhook {id}")));
        }
        Ok(())
    }

    /// Replaces the secret; the old one keeps signing until `grace_ms` from now.
    pub async fn rotate_webhook_secret(
        &self,
        id: i64,
        secret: &str,
        grace_ms: i64,
    ) -> StoreResult<Webhook> {
        let done = sqlx::query(
            "UPDATE webhooks SET previous_secret = secret, previous_secret_expires_at = $1, secret = $2 WHERE id = $3",
        )
        .bind(now_ms() + grace_ms)
        .bind(secret)
        .bind(id)
        .execute(&self.write)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!("webhook {id}")));
        }
        self.webhook(id).await
    }

    /// Records a `webhook.test` event and a delivery of it to one subscription only.
    pub async fn enqueue_test(&self, webhook: &Webhook) -> StoreResult<i64> {
        let mut tx = self.begin().await?;
        let event = NewEvent {
            kind: EventType::WebhookTest,
            account: None,
            domain: webhook.domain.clone(),
            data: payloads::to_data(&payloads::WebhookTest {
                webhook_id: webhook.id,
                message: "This is a test event from Rampart.".into(),
            }),
        };
        let event_id = super::events::append(&mut tx, &event).await?;
        let now = now_ms();
        sqlx::query(
            "INSERT INTO webhook_deliveries (webhook_id, event_id, message_id, payload, status, attempts, next_attempt_at, created_at) \
             VALUES ($1, $2, $3, $4, 'pending', 0, $5, $5)",
        )
        .bind(webhook.id)
        .bind(event_id)
        .bind(message_id(event_id))
        .bind(payload(&event, now))
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(event_id)
    }

    /// Leases up to `limit` due deliveries of enabled subscriptions, except
    /// those of `busy` subscriptions (already at their concurrency limit).
    pub async fn claim_deliveries(
        &self,
        limit: usize,
        busy: &[i64],
    ) -> StoreResult<Vec<DueDelivery>> {
        let now = now_ms();
        // Integers only, so building the list into the statement is safe.
        let exclude = if busy.is_empty() {
            String::new()
        } else {
            let ids: Vec<String> = busy.iter().map(i64::to_string).collect();
            format!("AND d.webhook_id NOT IN ({})", ids.join(","))
        };
        let lock = match self.backend {
            Backend::Sqlite => "",
            Backend::Postgres => "FOR UPDATE OF d SKIP LOCKED",
        };
        let sql = format!(
            "UPDATE webhook_deliveries SET lease_until = $1 WHERE id IN ( \
               SELECT d.id FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id \
               WHERE d.status = 'pending' AND d.next_attempt_at <= $2 AND w.enabled = 1 \
                 AND (d.lease_until IS NULL OR d.lease_until < $2) {exclude} \
               ORDER BY d.next_attempt_at LIMIT $3 {lock}) \
             RETURNING id, webhook_id, message_id, payload, attempts"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(now + LEASE_MS)
            .bind(now)
            .bind(limit as i64)
            .fetch_all(&self.write)
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            out.push(DueDelivery {
                id: r.try_get("id")?,
                webhook_id: r.try_get("webhook_id")?,
                message_id: r.try_get("message_id")?,
                payload: r.try_get("payload")?,
                attempts: r.try_get("attempts")?,
            });
        }
        Ok(out)
    }

    /// Gives a claimed delivery back without an attempt.
    pub async fn release_delivery(&self, id: i64) -> StoreResult<()> {
        sqlx::query("UPDATE webhook_deliveries SET lease_until = NULL WHERE id = $1")
            .bind(id)
            .execute(&self.write)
            .await?;
        Ok(())
    }

    /// Records an attempt and moves its delivery on.
    pub async fn finish_attempt(
        &self,
        delivery: &DueDelivery,
        status_code: Option<u16>,
        duration_ms: i64,
        error: Option<String>,
        outcome: Outcome,
    ) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        let now = now_ms();
        sqlx::query(
            "INSERT INTO webhook_attempts (delivery_id, webhook_id, at, status_code, duration_ms, error) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(delivery.id)
        .bind(delivery.webhook_id)
        .bind(now)
        .bind(status_code.map(i64::from))
        .bind(duration_ms)
        .bind(error)
        .execute(&mut *tx)
        .await?;
        let (status, next) = match outcome {
            Outcome::Succeeded => ("succeeded", now),
            Outcome::Retry { at_ms } => ("pending", at_ms),
            Outcome::Failed => ("failed", now),
        };
        sqlx::query(
            "UPDATE webhook_deliveries SET status = $1, attempts = attempts + 1, next_attempt_at = $2, lease_until = NULL WHERE id = $3",
        )
        .bind(status)
        .bind(next)
        .bind(delivery.id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Disables a subscription (its endpoint answered 410) and records why.
    pub async fn disable_webhook(&self, id: i64, reason: &str) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        let domain: Option<Option<String>> =
            sqlx::query_scalar("SELECT domain FROM webhooks WHERE id = $1 AND enabled = 1")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
        let Some(domain) = domain else {
            return Ok(());
        };
        sqlx::query("UPDATE webhooks SET enabled = 0, disabled_reason = $1 WHERE id = $2")
            .bind(reason)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        super::events::append(
            &mut tx,
            &NewEvent {
                kind: EventType::WebhookDisabled,
                account: None,
                domain,
                data: payloads::to_data(&payloads::WebhookDisabled {
                    webhook_id: id,
                    reason: reason.into(),
                }),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Attempts for one subscription, newest first.
    pub async fn webhook_attempts(
        &self,
        webhook_id: i64,
        cursor: Option<&str>,
        limit: usize,
    ) -> StoreResult<Page<Attempt>> {
        let before: i64 = match cursor.filter(|c| !c.is_empty()) {
            Some(c) => decode_id_cursor(c)?,
            None => i64::MAX,
        };
        let rows = sqlx::query(
            "SELECT a.id, a.delivery_id, d.message_id, d.payload, a.at, a.status_code, a.duration_ms, a.error, d.status \
             FROM webhook_attempts a JOIN webhook_deliveries d ON d.id = a.delivery_id \
             WHERE a.webhook_id = $1 AND a.id < $2 ORDER BY a.id DESC LIMIT $3",
        )
        .bind(webhook_id)
        .bind(before)
        .bind((limit + 1) as i64)
        .fetch_all(self.reader())
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let payload: String = r.try_get("payload")?;
            let event_type = serde_json::from_str::<serde_json::Value>(&payload)
                .ok()
                .and_then(|v| v["type"].as_str().map(str::to_string))
                .unwrap_or_default();
            out.push(Attempt {
                id: r.try_get("id")?,
                delivery_id: r.try_get("delivery_id")?,
                message_id: r.try_get("message_id")?,
                event_type,
                at_ms: r.try_get("at")?,
                status_code: r.try_get("status_code")?,
                duration_ms: r.try_get("duration_ms")?,
                error: r.try_get("error")?,
                delivery_status: r.try_get("status")?,
            });
        }
        Ok(Page::from_rows(out, limit, |a| a.id.to_string()))
    }
}

const WHERE_ID: &str = "SELECT id, url, description, enabled, disabled_reason, domain, secret, previous_secret, \
     previous_secret_expires_at, created_at FROM webhooks WHERE id = $1";
const LIST: &str = "SELECT id, url, description, enabled, disabled_reason, domain, secret, previous_secret, \
     previous_secret_expires_at, created_at FROM webhooks WHERE id > $1 AND ($2 IS NULL OR domain = $2) ORDER BY id LIMIT $3";
