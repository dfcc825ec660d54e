//! Aliases: extra addresses that deliver to one or more local accounts.

use sqlx::Row;

use super::{Page, Store, StoreError, StoreResult, decode_cursor, is_unique_violation, now_ms};
use crate::address::{Domain, EmailAddress};

#[derive(Debug, Clone)]
pub struct Alias {
    pub id: i64,
    pub address: String,
    pub address_key: String,
    pub domain: String,
    /// Target account addresses, sorted.
    pub targets: Vec<String>,
    pub created_at_ms: i64,
}

const SELECT_PAGE: &str = "SELECT al.id, al.address, al.address_key, d.name AS domain, al.created_at \
     FROM aliases al JOIN domains d ON d.id = al.domain_id \
     WHERE al.address_key > $1 AND ($2 IS NULL OR d.name = $2) ORDER BY al.address_key LIMIT $3";

const SELECT_BY_KEY: &str = "SELECT al.id, al.address, al.address_key, d.name AS domain, al.created_at \
     FROM aliases al JOIN domains d ON d.id = al.domain_id WHERE al.address_key = $1";

async fn targets(conn: &mut sqlx::AnyConnection, alias_id: i64) -> StoreResult<Vec<String>> {
    Ok(sqlx::query_scalar(
        "SELECT a.address FROM alias_targets t JOIN accounts a ON a.id = t.account_id \
         WHERE t.alias_id = $1 ORDER BY a.address_key",
    )
    .bind(alias_id)
    .fetch_all(&mut *conn)
    .await?)
}

async fn decode(conn: &mut sqlx::AnyConnection, row: &sqlx::any::AnyRow) -> StoreResult<Alias> {
    let id: i64 = row.try_get("id")?;
    Ok(Alias {
        id,
        address: row.try_get("address")?,
        address_key: row.try_get("address_key")?,
        domain: row.try_get("domain")?,
        targets: targets(conn, id).await?,
        created_at_ms: row.try_get("created_at")?,
    })
}

impl Store {
    /// Lookup keys of the addresses an account may send as: its own and
    /// those of the aliases that deliver to it.
    pub async fn sendable_addresses(&self, account_id: i64) -> StoreResult<Vec<String>> {
        Ok(sqlx::query_scalar(
            "SELECT address_key FROM accounts WHERE id = $1 \
             UNION SELECT al.address_key FROM aliases al JOIN alias_targets t ON t.alias_id = al.id \
             WHERE t.account_id = $1",
        )
        .bind(account_id)
        .fetch_all(self.reader())
        .await?)
    }

    /// Creates an alias of local accounts. The alias must be in a local
    /// domain, must not be an account, and every target must exist.
    pub async fn create_alias(
        &self,
        address: &EmailAddress,
        targets: &[EmailAddress],
    ) -> StoreResult<Alias> {
        if targets.is_empty() {
            return Err(StoreError::Invalid(
                "an alias needs at least one target".into(),
            ));
        }
        let key = address.key();
        let mut tx = self.begin().await?;
        let domain_id: i64 = sqlx::query_scalar("SELECT id FROM domains WHERE name = $1")
            .bind(address.domain().as_str())
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| {
                StoreError::Invalid(format!(
                    "{} is not a local domain; create the domain first",
                    address.domain()
                ))
            })?;
        let account: Option<i64> =
            sqlx::query_scalar("SELECT id FROM accounts WHERE address_key = $1")
                .bind(&key)
                .fetch_optional(&mut *tx)
                .await?;
        if account.is_some() {
            return Err(StoreError::Conflict(format!(
                "{address} is already an account"
            )));
        }
        let mut target_ids = Vec::with_capacity(targets.len());
        for target in targets {
            let id: i64 = sqlx::query_scalar("SELECT id FROM accounts WHERE address_key = $1")
                .bind(target.key())
                .fetch_optional(&mut *tx)
                .await?
                .ok_or_else(|| StoreError::Invalid(format!("target {target} is not an account")))?;
            if !target_ids.contains(&id) {
                target_ids.push(id);
            }
        }
        let inserted = sqlx::query_scalar::<_, i64>(
            "INSERT INTO aliases (domain_id, address, address_key, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(domain_id)
        .bind(address.to_string())
        .bind(&key)
        .bind(now_ms())
        .fetch_one(&mut *tx)
        .await;
        let alias_id = match inserted {
            Ok(id) => id,
            Err(e) if is_unique_violation(&e) => {
                return Err(StoreError::Conflict(format!(
                    "alias {address} already exists"
                )));
            }
            Err(e) => return Err(e.into()),
        };
        for id in target_ids {
            sqlx::query("INSERT INTO alias_targets (alias_id, account_id) VALUES ($1, $2)")
                .bind(alias_id)
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        let row = sqlx::query(SELECT_BY_KEY)
            .bind(&key)
            .fetch_one(&mut *tx)
            .await?;
        let alias = decode(&mut tx, &row).await?;
        tx.commit().await?;
        Ok(alias)
    }

    pub async fn alias(&self, address: &EmailAddress) -> StoreResult<Alias> {
        let mut conn = self.read.acquire().await?;
        let row = sqlx::query(SELECT_BY_KEY)
            .bind(address.key())
            .fetch_optional(&mut *conn)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("alias {address}")))?;
        decode(&mut conn, &row).await
    }

    pub async fn list_aliases(
        &self,
        domain: Option<&Domain>,
        cursor: Option<&str>,
        limit: usize,
    ) -> StoreResult<Page<Alias>> {
        let after = cursor.map(decode_cursor).transpose()?.unwrap_or_default();
        let mut conn = self.read.acquire().await?;
        let rows = sqlx::query(SELECT_PAGE)
            .bind(after)
            .bind(domain.map(|d| d.to_string()))
            .bind((limit + 1) as i64)
            .fetch_all(&mut *conn)
            .await?;
        let mut items = Vec::with_capacity(rows.len());
        for row in &rows {
            items.push(decode(&mut conn, row).await?);
        }
        Ok(Page::from_rows(items, limit, |a| a.address_key.clone()))
    }

    pub async fn delete_alias(&self, address: &EmailAddress) -> StoreResult<()> {
        let done = sqlx::query("DELETE FROM aliases WHERE address_key = $1")
            .bind(address.key())
            .execute(&self.write)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!("alias {address}")));
        }
        Ok(())
    }
}
