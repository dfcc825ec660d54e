//! The append-only event log.

use sqlx::Row;

use super::{Page, Store, StoreError, StoreResult, decode_id_cursor, now_ms};
use crate::events::{Event, NewEvent};

/// Appends one event inside the caller's transaction.
pub async fn append(tx: &mut sqlx::AnyConnection, event: &NewEvent) -> StoreResult<i64> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO events (type, at, account, domain, data) VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(event.kind.as_str())
    .bind(now_ms())
    .bind(event.account.clone())
    .bind(event.domain.clone())
    .bind(event.data.to_string())
    .fetch_one(&mut *tx)
    .await?;
    super::webhooks::fan_out(tx, id, event).await?;
    super::notifications::enqueue(tx, id, event).await?;
    Ok(id)
}

/// Which events to list; `None` means no restriction.
#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    pub kind: Option<String>,
    pub account: Option<String>,
    pub domain: Option<String>,
    pub since_ms: Option<i64>,
}

impl Store {
    /// Appends one event in its own transaction.
    pub async fn record_event(&self, event: &NewEvent) -> StoreResult<i64> {
        let mut tx = self.begin().await?;
        let id = append(&mut tx, event).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Events in log order (oldest first), filtered, one page at a time.
    pub async fn list_events(
        &self,
        filter: &EventFilter,
        cursor: Option<&str>,
        limit: usize,
    ) -> StoreResult<Page<Event>> {
        let after: i64 = match cursor.filter(|c| !c.is_empty()) {
            Some(c) => decode_id_cursor(c)?,
            None => 0,
        };
        let rows = sqlx::query(
            "SELECT id, type, at, account, domain, data FROM events \
             WHERE id > $1 \
               AND ($2 IS NULL OR type = $2) \
               AND ($3 IS NULL OR account = $3) \
               AND ($4 IS NULL OR domain = $4) \
               AND ($5 IS NULL OR at >= $5) \
             ORDER BY id LIMIT $6",
        )
        .bind(after)
        .bind(filter.kind.clone())
        .bind(filter.account.clone())
        .bind(filter.domain.clone())
        .bind(filter.since_ms)
        .bind((limit + 1) as i64)
        .fetch_all(&self.read)
        .await?;
        let mut events = Vec::with_capacity(rows.len());
        for row in rows {
            let data: String = row.try_get("data")?;
            events.push(Event {
                id: row.try_get("id")?,
                kind: row.try_get("type")?,
                at_ms: row.try_get("at")?,
                account: row.try_get("account")?,
                domain: row.try_get("domain")?,
                data: serde_json::from_str(&data)
                    .map_err(|e| StoreError::Corrupt(format!("event data: {e}")))?,
            });
        }
        Ok(Page::from_rows(events, limit, |e| e.id.to_string()))
    }
}
