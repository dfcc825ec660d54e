//! The API signing key: one HMAC secret for the whole cluster, created at the
//! first migration and read by every node.

use base64::Engine;
use rand::RngCore;

use super::{Store, StoreError, StoreResult, now_ms};

/// Creates the key unless one exists. Nodes racing here converge on
/// whichever insert lands first.
pub(super) async fn ensure_signing_key(store: &Store) -> StoreResult<()> {
    let mut secret = [0u8; 64];
    rand::rngs::OsRng.fill_bytes(&mut secret);
    let encoded = base64::engine::general_purpose::STANDARD.encode(secret);
    sqlx::query("INSERT INTO signing_keys (id, secret, created_at) VALUES (1, $1, $2) ON CONFLICT (id) DO NOTHING")
        .bind(encoded)
        .bind(now_ms())
        .execute(&store.write)
        .await?;
    Ok(())
}

impl Store {
    /// The secret that signs and verifies API tokens.
    pub async fn signing_key(&self) -> StoreResult<Vec<u8>> {
        let encoded: String = sqlx::query_scalar("SELECT secret FROM signing_keys WHERE id = 1")
            .fetch_optional(&self.read)
            .await?
            .ok_or_else(|| {
                StoreError::Corrupt("no API signing key; run `rampart migrate`".into())
            })?;
        base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .map_err(|_| StoreError::Corrupt("API signing key is not base64".into()))
    }
}
