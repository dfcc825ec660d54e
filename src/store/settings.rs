//! Cluster-wide settings: one JSON document per name, read and replaced whole
//! through the REST API.

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{Store, StoreError, StoreResult, now_ms};

impl Store {
    /// The stored document, or `T::default()` when it was never set.
    pub async fn setting<T: DeserializeOwned + Default>(&self, name: &str) -> StoreResult<T> {
        let value: Option<String> =
            sqlx::query_scalar("SELECT value FROM settings WHERE name = $1")
                .bind(name)
                .fetch_optional(&self.read)
                .await?;
        match value {
            None => Ok(T::default()),
            Some(v) => serde_json::from_str(&v)
                .map_err(|e| StoreError::Corrupt(format!("setting {name}: {e}"))),
        }
    }

    /// Replaces the document.
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
        Ok(())
    }
}
