//! Linked attachments: their files, in fixed-size chunks (downloads stream
//! one chunk at a time, on SQLite and PostgreSQL alike), and the links.

use sqlx::Row;

use super::events::append;
use super::{Page, Store, StoreError, StoreResult, decode_id_cursor, now_ms};
use crate::events::{EventType, NewEvent, payloads};

/// Chunk size of stored files: a download holds one chunk in memory.
pub const CHUNK_SIZE: usize = 256 * 1024;

#[derive(Debug, Clone)]
pub struct AttachmentLink {
    pub id: i64,
    pub token: String,
    pub account_id: i64,
    pub account: String,
    pub file_name: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub created_at_ms: i64,
    pub expires_at_ms: i64,
    pub revoked_at_ms: Option<i64>,
    pub downloads: i64,
    pub last_download_at_ms: Option<i64>,
}

/// A link about to be created.
#[derive(Debug, Clone)]
pub struct NewLink {
    pub token: String,
    pub account_id: i64,
    pub account: String,
    pub file_name: String,
    pub content_type: String,
    pub expires_at_ms: i64,
}

const COLUMNS: &str = "id, token, account_id, account, file_name, content_type, size, sha256, created_at, expires_at, \
     revoked_at, downloads, last_download_at";

fn decode(r: &sqlx::any::AnyRow) -> Result<AttachmentLink, sqlx::Error> {
    Ok(AttachmentLink {
        id: r.try_get("id")?,
        token: r.try_get("token")?,
        account_id: r.try_get("account_id")?,
        account: r.try_get("account")?,
        file_name: r.try_get("file_name")?,
        content_type: r.try_get("content_type")?,
        size: r.try_get("size")?,
        sha256: r.try_get("sha256")?,
        created_at_ms: r.try_get("created_at")?,
        expires_at_ms: r.try_get("expires_at")?,
        revoked_at_ms: r.try_get("revoked_at")?,
        downloads: r.try_get("downloads")?,
        last_download_at_ms: r.try_get("last_download_at")?,
    })
}

fn domain_of(account: &str) -> Option<String> {
    account.rsplit_once('@').map(|(_, d)| d.to_string())
}

impl Store {
    /// Stores a file (once per content) and a link to it, with the
    /// `attachment.linked` event, in one transaction.
    pub async fn create_attachment_link(
        &self,
        link: &NewLink,
        bytes: &[u8],
    ) -> StoreResult<AttachmentLink> {
        let hash = super::blobs::hash_of(bytes);
        let now = now_ms();
        let mut tx = self.begin().await?;
        let exists: Option<i64> = sqlx::query_scalar("SELECT size FROM files WHERE hash = $1")
            .bind(hash.as_str())
            .fetch_optional(&mut *tx)
            .await?;
        if exists.is_none() {
            sqlx::query(
                "INSERT INTO files (hash, size, chunk_size, created_at) VALUES ($1, $2, $3, $4)",
            )
            .bind(hash.as_str())
            .bind(bytes.len() as i64)
            .bind(CHUNK_SIZE as i64)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            for (seq, chunk) in bytes.chunks(CHUNK_SIZE).enumerate() {
                sqlx::query("INSERT INTO file_chunks (hash, seq, data) VALUES ($1, $2, $3)")
                    .bind(hash.as_str())
                    .bind(seq as i64)
                    .bind(chunk.to_vec())
                    .execute(&mut *tx)
                    .await?;
            }
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO attachment_links (token, account_id, account, file_name, content_type, size, sha256, created_at, expires_at, downloads) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 0) RETURNING id",
        )
        .bind(link.token.as_str())
        .bind(link.account_id)
        .bind(link.account.as_str())
        .bind(link.file_name.as_str())
        .bind(link.content_type.as_str())
        .bind(bytes.len() as i64)
        .bind(hash.as_str())
        .bind(now)
        .bind(link.expires_at_ms)
        .fetch_one(&mut *tx)
        .await?;
        append(
            &mut tx,
            &NewEvent {
                kind: EventType::AttachmentLinked,
                account: Some(link.account.clone()),
                domain: domain_of(&link.account),
                data: payloads::to_data(&payloads::AttachmentLinked {
                    link_id: id,
                    account: link.account.clone(),
                    file_name: link.file_name.clone(),
                    size: bytes.len() as i64,
                    sha256: hash.clone(),
                    expires_at: super::from_ms(link.expires_at_ms).to_rfc3339(),
                }),
            },
        )
        .await?;
        tx.commit().await?;
        self.attachment_link(id).await
    }

    pub async fn attachment_link(&self, id: i64) -> StoreResult<AttachmentLink> {
        let sql = format!("SELECT {COLUMNS} FROM attachment_links WHERE id = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(&self.read)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("attachment link {id}")))?;
        Ok(decode(&row)?)
    }

    pub async fn attachment_link_by_token(
        &self,
        token: &str,
    ) -> StoreResult<Option<AttachmentLink>> {
        let sql = format!("SELECT {COLUMNS} FROM attachment_links WHERE token = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(token)
            .fetch_optional(&self.read)
            .await?;
        Ok(row.as_ref().map(decode).transpose()?)
    }

    /// Links, newest first, optionally one account's or one domain's.
    pub async fn list_attachment_links(
        &self,
        account: Option<&str>,
        domain: Option<&str>,
        cursor: Option<&str>,
        limit: usize,
    ) -> StoreResult<Page<AttachmentLink>> {
        let before = match cursor.filter(|c| !c.is_empty()) {
            Some(c) => decode_id_cursor(c)?,
            None => i64::MAX,
        };
        let sql = format!(
            "SELECT {COLUMNS} FROM attachment_links WHERE id < $1 AND ($2 IS NULL OR account = $2) \
             AND ($3 IS NULL OR account LIKE $3) ORDER BY id DESC LIMIT $4"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(before)
            .bind(account)
            .bind(domain.map(|d| format!("%@{d}")))
            .bind((limit + 1) as i64)
            .fetch_all(&self.read)
            .await?;
        let items = rows.iter().map(decode).collect::<Result<Vec<_>, _>>()?;
        Ok(Page::from_rows(items, limit, |l| l.id.to_string()))
    }

    pub async fn revoke_attachment_link(&self, id: i64) -> StoreResult<AttachmentLink> {
        sqlx::query(
            "UPDATE attachment_links SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
        )
        .bind(now_ms())
        .bind(id)
        .execute(&self.write)
        .await?;
        self.attachment_link(id).await
    }

    /// One chunk of a stored file.
    pub async fn file_chunk(&self, hash: &str, seq: i64) -> StoreResult<Option<Vec<u8>>> {
        Ok(
            sqlx::query_scalar("SELECT data FROM file_chunks WHERE hash = $1 AND seq = $2")
                .bind(hash)
                .bind(seq)
                .fetch_optional(&self.read)
                .await?,
        )
    }

    /// Counts a download and records `attachment.downloaded`.
    pub async fn record_download(
        &self,
        link: &AttachmentLink,
        ip: &str,
        user_agent: &str,
        bytes: i64,
    ) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        let now = now_ms();
        sqlx::query("UPDATE attachment_links SET downloads = downloads + 1, last_download_at = $1 WHERE id = $2")
            .bind(now)
            .bind(link.id)
            .execute(&mut *tx)
            .await?;
        append(
            &mut tx,
            &NewEvent {
                kind: EventType::AttachmentDownloaded,
                account: Some(link.account.clone()),
                domain: domain_of(&link.account),
                data: payloads::to_data(&payloads::AttachmentDownloaded {
                    link_id: link.id,
                    account: link.account.clone(),
                    file_name: link.file_name.clone(),
                    ip: ip.into(),
                    user_agent: user_agent.into(),
                    bytes,
                }),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Deletes links past their expiry and the files no link uses any more.
    pub async fn purge_expired_attachments(&self) -> StoreResult<u64> {
        let now = now_ms();
        let done = sqlx::query("DELETE FROM attachment_links WHERE expires_at < $1")
            .bind(now)
            .execute(&self.write)
            .await?;
        sqlx::query("DELETE FROM files WHERE NOT EXISTS (SELECT 1 FROM attachment_links l WHERE l.sha256 = files.hash)")
            .execute(&self.write)
            .await?;
        Ok(done.rows_affected())
    }
}
