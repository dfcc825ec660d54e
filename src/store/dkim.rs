//! DKIM keys per domain. Private keys stay here: the API returns only the
//! public half and the record to publish.

use sqlx::Row;

use super::{Store, StoreError, StoreResult, is_unique_violation, now_ms};
use crate::address::Domain;

#[derive(Debug, Clone)]
pub struct DkimKeyRecord {
    pub domain: String,
    pub selector: String,
    pub algorithm: String,
    pub private_key: String,
    pub public_key: String,
    pub active: bool,
    pub created_at_ms: i64,
}

fn decode(r: &sqlx::any::AnyRow) -> Result<DkimKeyRecord, sqlx::Error> {
    Ok(DkimKeyRecord {
        domain: r.try_get("domain")?,
        selector: r.try_get("selector")?,
        algorithm: r.try_get("algorithm")?,
        private_key: r.try_get("private_key")?,
        public_key: r.try_get("public_key")?,
        active: r.try_get::<i64, _>("active")? != 0,
        created_at_ms: r.try_get("created_at")?,
    })
}

impl Store {
    pub async fn create_dkim_key(
        &self,
        domain: &Domain,
        selector: &str,
        algorithm: &str,
        private_key: &str,
        public_key: &str,
    ) -> StoreResult<DkimKeyRecord> {
        let domain_id: i64 = sqlx::query_scalar("SELECT id FROM domains WHERE name = $1")
            .bind(domain.as_str())
            .fetch_optional(self.reader())
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("domain {domain}")))?;
        let now = now_ms();
        // The first key signs at once; a later one waits (rotation) until it
        // is published and activated, so mail is never signed with a key
        // receivers cannot find.
        let inserted = sqlx::query_scalar::<_, i64>(
            "INSERT INTO dkim_keys (domain_id, selector, algorithm, private_key, public_key, active, created_at) \
             VALUES ($1, $2, $3, $4, $5, \
               CASE WHEN EXISTS (SELECT 1 FROM dkim_keys WHERE domain_id = $1 AND active = 1) THEN 0 ELSE 1 END, $6) \
             RETURNING active",
        )
        .bind(domain_id)
        .bind(selector)
        .bind(algorithm)
        .bind(private_key)
        .bind(public_key)
        .bind(now)
        .fetch_one(&self.write)
        .await;
        match inserted {
            Err(e) if is_unique_violation(&e) => Err(StoreError::Conflict(format!(
                "selector {selector} already exists for {domain}"
            ))),
            Err(e) => Err(e.into()),
            Ok(active) => Ok(DkimKeyRecord {
                domain: domain.to_string(),
                selector: selector.to_string(),
                algorithm: algorithm.to_string(),
                private_key: private_key.to_string(),
                public_key: public_key.to_string(),
                active: active != 0,
                created_at_ms: now,
            }),
        }
    }

    pub async fn dkim_keys(&self, domain: &Domain) -> StoreResult<Vec<DkimKeyRecord>> {
        let rows = sqlx::query(
            "SELECT d.name AS domain, k.selector, k.algorithm, k.private_key, k.public_key, k.active, k.created_at \
             FROM dkim_keys k JOIN domains d ON d.id = k.domain_id WHERE d.name = $1 ORDER BY k.created_at, k.selector",
        )
        .bind(domain.as_str())
        .fetch_all(self.reader())
        .await?;
        Ok(rows.iter().map(decode).collect::<Result<Vec<_>, _>>()?)
    }

    /// The newest active key of a domain, the one outbound mail is signed with.
    pub async fn dkim_signing_key(&self, domain: &str) -> StoreResult<Option<DkimKeyRecord>> {
        let row = sqlx::query(
            "SELECT d.name AS domain, k.selector, k.algorithm, k.private_key, k.public_key, k.active, k.created_at \
             FROM dkim_keys k JOIN domains d ON d.id = k.domain_id WHERE d.name = $1 AND k.active = 1 \
             ORDER BY k.created_at DESC, k.id DESC LIMIT 1",
        )
        .bind(domain)
        .fetch_optional(self.reader())
        .await?;
        Ok(row.as_ref().map(decode).transpose()?)
    }

    /// Makes `selector` the domain's signing key; the others stop signing
    /// (and stay listed, to be published until deleted).
    pub async fn activate_dkim_key(&self, domain: &Domain, selector: &str) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        let domain_id: i64 = sqlx::query_scalar("SELECT id FROM domains WHERE name = $1")
            .bind(domain.as_str())
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("domain {domain}")))?;
        let done =
            sqlx::query("UPDATE dkim_keys SET active = 1 WHERE domain_id = $1 AND selector = $2")
                .bind(domain_id)
                .bind(selector)
                .execute(&mut *tx)
                .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!(
                "DKIM key {selector} of {domain}"
            )));
        }
        sqlx::query("UPDATE dkim_keys SET active = 0 WHERE domain_id = $1 AND selector <> $2")
            .bind(domain_id)
            .bind(selector)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn delete_dkim_key(&self, domain: &Domain, selector: &str) -> StoreResult<()> {
        let done = sqlx::query(
            "DELETE FROM dkim_keys WHERE selector = $1 AND domain_id = (SELECT id FROM domains WHERE name = $2)",
        )
        .bind(selector)
        .bind(domain.as_str())
        .execute(&self.write)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!(
                "DKIM key {selector} of {domain}"
            )));
        }
        Ok(())
    }
}
