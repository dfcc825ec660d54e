//! Cluster-wide settings: one JSON document per name, read and replaced whole
//! through the REST API.

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{Store, StoreError, StoreResult, now_ms};

const SETTINGS_TTL: std::time::Duration = std::time::Duration::from_secs(1);

impl Store {
    /// The stored document, or `T::default()` when it was never set.
    /// Settings are read on every message and login, so the text is kept
    /// for a second (other nodes' changes show within it; ours at once).
    pub async fn setting<T: DeserializeOwned + Default>(&self, name: &str) -> StoreResult<T> {
        let cached = {
            let cache = self.settings.lock().unwrap_or_else(|e| e.into_inner());
            cache
                .get(name)
                .filter(|(at, _)| at.elapsed() < SETTINGS_TTL)
                .map(|(_, v)| v.clone())
        };
        let value = match cached {
            Some(v) => v,
            None => {
                let v: Option<String> =
                    sqlx::query_scalar("SELECT value FROM settings WHERE name = $1")
                        .bind(name)
                        .fetch_optional(&self.read)
                        .await?;
                let mut cache = self.settings.lock().unwrap_or_else(|e| e.into_inner());
                cache.insert(name.to_string(), (std::time::Instant::now(), v.clone()));
                v
            }
        };
        match value {
            None => Ok(T::default()),
            Some(v) => serde_json::from_str(&v)
                .map_err(|e| StoreError::Corrupt(format!("setting {name}: {e}"))),
        }
    }

    /// Replaces the document.
    /// For work every node schedules but only one should do per period
    /// (nodes sharing PostgreSQL): true for the one caller that claims
    /// `name` when it was last claimed at least `period_ms` ago.
    pub async fn claim_period(&self, name: &str, period_ms: i64) -> StoreResult<bool> {
        let now = now_ms();
        let claimed: Option<String> = sqlx::query_scalar(
            "INSERT INTO settings (name, value, updated_at) VALUES ($1, 'null', $2) \
             ON CONFLICT (name) DO UPDATE SET updated_at = excluded.updated_at \
             WHERE settings.updated_at <= $3 RETURNING name",
        )
        .bind(name)
        .bind(now)
        .bind(now - period_ms)
        .fetch_optional(&self.write)
        .await?;
        Ok(claimed.is_some())
    }

    pub async fn put_setting<T: Serialize>(&self, name: &str, value: &T) -> StoreResult<()> {
        let text = serde_json::to_string(value).map_err(|e| StoreError::Invalid(e.to_string()))?;
        sqlx::query(
            "INSERT INTO settings (name, value, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
        )
        .bind(name)
        .bind(text)
        .bind(now_ms())
        .execute(&self.write)
        .await?;
        self.settings
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(name);
        Ok(())
    }
}
