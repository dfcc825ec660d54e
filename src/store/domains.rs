//! Local domains: the mail this server accepts as final destination.

use sqlx::Row;

use super::events::append;
use super::{Page, Store, StoreError, StoreResult, decode_cursor, is_unique_violation, now_ms};
use crate::address::Domain;

const DOMAIN_CACHE_TTL: std::time::Duration = std::time::Duration::from_secs(1);
use crate::events::{EventType, NewEvent, payloads};

#[derive(Debug, Clone)]
pub struct DomainRecord {
    pub id: i64,
    pub name: String,
    pub created_at_ms: i64,
    pub account_count: i64,
}

/// Why deleting a domain stopped.
#[derive(Debug)]
pub enum DeleteDomain {
    Deleted { accounts_deleted: usize },
    HasAccounts(i64),
}

const SELECT_BY_NAME: &str = "SELECT d.id, d.name, d.created_at, \
     (SELECT COUNT(*) FROM accounts a WHERE a.domain_id = d.id) AS account_count FROM domains d \
     WHERE d.name = $1";
const SELECT_PAGE: &str = "SELECT d.id, d.name, d.created_at, \
     (SELECT COUNT(*) FROM accounts a WHERE a.domain_id = d.id) AS account_count FROM domains d \
     WHERE d.name > $1 ORDER BY d.name LIMIT $2";

fn decode(row: &sqlx::any::AnyRow) -> StoreResult<DomainRecord> {
    Ok(DomainRecord {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        created_at_ms: row.try_get("created_at")?,
        account_count: row.try_get("account_count")?,
    })
}

impl Store {
    pub async fn create_domain(&self, name: &Domain) -> StoreResult<DomainRecord> {
        let now = now_ms();
        let result = sqlx::query_scalar::<_, i64>(
            "INSERT INTO domains (name, created_at) VALUES ($1, $2) RETURNING id",
        )
        .bind(name.as_str())
        .bind(now)
        .fetch_one(&self.write)
        .await;
        self.forget_domains();
        match result {
            Ok(id) => Ok(DomainRecord {
                id,
                name: name.to_string(),
                created_at_ms: now,
                account_count: 0,
            }),
            Err(e) if is_unique_violation(&e) => Err(StoreError::Conflict(format!(
                "domain {name} already exists"
            ))),
            Err(e) => Err(e.into()),
        }
    }

    pub async fn domain(&self, name: &Domain) -> StoreResult<DomainRecord> {
        let row = sqlx::query(SELECT_BY_NAME)
            .bind(name.as_str())
            .fetch_optional(&self.read)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("domain {name}")))?;
        decode(&row)
    }

    /// Whether `name` is one of ours.
    /// Whether `name` is one of ours. Asked for every MAIL and RCPT, so the
    /// answer comes from a set of names re-read at most once a second (other
    /// nodes' changes show within that second; this node's at once).
    pub async fn is_local_domain(&self, name: &Domain) -> StoreResult<bool> {
        {
            let cache = self.domains.read().unwrap_or_else(|e| e.into_inner());
            if let Some((at, names)) = cache.as_ref()
                && at.elapsed() < DOMAIN_CACHE_TTL
            {
                return Ok(names.contains(name.as_str()));
            }
        }
        let names: Vec<String> = sqlx::query_scalar("SELECT name FROM domains")
            .fetch_all(&self.read)
            .await?;
        let names: std::collections::HashSet<String> = names.into_iter().collect();
        let local = names.contains(name.as_str());
        *self.domains.write().unwrap_or_else(|e| e.into_inner()) =
            Some((std::time::Instant::now(), names.into()));
        Ok(local)
    }

    /// Every local domain's name.
    pub async fn local_domain_names(&self) -> StoreResult<Vec<String>> {
        Ok(sqlx::query_scalar("SELECT name FROM domains ORDER BY name")
            .fetch_all(&self.read)
            .await?)
    }

    /// Forgets the cached domain names (after this node changed them).
    fn forget_domains(&self) {
        *self.domains.write().unwrap_or_else(|e| e.into_inner()) = None;
    }

    pub async fn list_domains(
        &self,
        cursor: Option<&str>,
        limit: usize,
    ) -> StoreResult<Page<DomainRecord>> {
        let after = cursor.map(decode_cursor).transpose()?.unwrap_or_default();
        let rows = sqlx::query(SELECT_PAGE)
            .bind(after)
            .bind((limit + 1) as i64)
            .fetch_all(&self.read)
            .await?;
        let items = rows.iter().map(decode).collect::<StoreResult<Vec<_>>>()?;
        Ok(Page::from_rows(items, limit, |d| d.name.clone()))
    }

    /// Deletes a domain. With accounts present, refuses unless `force`, in
    /// which case the accounts (and their aliases) go too, each with its
    /// `account.deleted` event.
    pub async fn delete_domain(&self, name: &Domain, force: bool) -> StoreResult<DeleteDomain> {
        let mut tx = self.begin().await?;
        let id: i64 = sqlx::query_scalar("SELECT id FROM domains WHERE name = $1")
            .bind(name.as_str())
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("domain {name}")))?;
        let accounts: Vec<String> = sqlx::query_scalar(
            "SELECT address FROM accounts WHERE domain_id = $1 ORDER BY address_key",
        )
        .bind(id)
        .fetch_all(&mut *tx)
        .await?;
        if !accounts.is_empty() && !force {
            return Ok(DeleteDomain::HasAccounts(accounts.len() as i64));
        }
        for address in &accounts {
            append(
                &mut tx,
                &NewEvent {
                    kind: EventType::AccountDeleted,
                    account: Some(address.clone()),
                    domain: Some(name.to_string()),
                    data: payloads::to_data(&payloads::AccountDeleted {
                        address: address.clone(),
                        reason: Some("domain deleted".into()),
                    }),
                },
            )
            .await?;
        }
        // Foreign keys cascade to accounts, aliases and their targets.
        sqlx::query("DELETE FROM domains WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        self.forget_domains();
        Ok(DeleteDomain::Deleted {
            accounts_deleted: accounts.len(),
        })
    }
}
