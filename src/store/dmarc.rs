//! DMARC aggregate reporting rows: per-message results waiting for the
//! daily report, and aggregate reports received from other receivers.

use serde::Serialize;
use sqlx::Row;
use utoipa::ToSchema;

use super::{Page, Store, StoreError, StoreResult, decode_id_cursor, now_ms};

/// A checked message's DMARC result for a domain that asked for reports.
#[derive(Debug, Clone)]
pub struct PendingRecord {
    pub id: i64,
    pub domain: String,
    /// JSON array of report addresses (`rua`, without `mailto:`).
    pub rua: String,
    /// JSON of the published policy (mail-auth's `PolicyPublished`).
    pub policy: String,
    /// JSON of the report row (mail-auth's `Record`).
    pub record: String,
    pub created_at: i64,
}

/// A received aggregate report.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DmarcReport {
    pub id: i64,
    /// Who sent it.
    pub org_name: String,
    pub report_id: String,
    /// The domain it is about (one of ours).
    pub domain: String,
    /// Period covered, Unix seconds.
    pub date_begin: i64,
    pub date_end: i64,
    /// The address it was sent to.
    pub recipient: String,
    #[schema(value_type = String, format = DateTime)]
    pub received_at: chrono::DateTime<chrono::Utc>,
    /// The whole report (RFC 7489 appendix C, as JSON); only on
    /// `GET /v1/dmarc-reports/{id}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub report: Option<serde_json::Value>,
}

impl Store {
    pub async fn add_dmarc_record(
        &self,
        domain: &str,
        rua: &str,
        policy: &str,
        record: &str,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO dmarc_records (domain, rua, policy, record, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(domain)
        .bind(rua)
        .bind(policy)
        .bind(record)
        .bind(now_ms())
        .execute(&self.write)
        .await?;
        Ok(())
    }

    /// Takes (deletes and returns) the rows recorded before `before_ms`,
    /// grouped by domain. Taking rather than reading means two nodes sharing
    /// a database never report the same rows twice.
    pub async fn take_dmarc_records(&self, before_ms: i64) -> StoreResult<Vec<PendingRecord>> {
        let rows = sqlx::query(
            "DELETE FROM dmarc_records WHERE created_at < $1 \
             RETURNING id, domain, rua, policy, record, created_at",
        )
        .bind(before_ms)
        .fetch_all(&self.write)
        .await?;
        let mut rows = rows
            .iter()
            .map(|r| {
                Ok(PendingRecord {
                    id: r.try_get("id")?,
                    domain: r.try_get("domain")?,
                    rua: r.try_get("rua")?,
                    policy: r.try_get("policy")?,
                    record: r.try_get("record")?,
                    created_at: r.try_get("created_at")?,
                })
            })
            .collect::<StoreResult<Vec<_>>>()?;
        rows.sort_by(|a, b| a.domain.cmp(&b.domain).then(a.id.cmp(&b.id)));
        Ok(rows)
    }

    /// Puts taken rows back (their report could not be sent this time).
    pub async fn restore_dmarc_records(&self, rows: &[&PendingRecord]) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        for r in rows {
            sqlx::query(
                "INSERT INTO dmarc_records (domain, rua, policy, record, created_at) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(&r.domain)
            .bind(&r.rua)
            .bind(&r.policy)
            .bind(&r.record)
            .bind(r.created_at)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn add_dmarc_report(
        &self,
        org_name: &str,
        report_id: &str,
        domain: &str,
        date_begin: i64,
        date_end: i64,
        recipient: &str,
        report: &serde_json::Value,
    ) -> StoreResult<i64> {
        Ok(sqlx::query_scalar(
            "INSERT INTO dmarc_reports (org_name, report_id, domain, date_begin, date_end, recipient, received_at, report) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(org_name)
        .bind(report_id)
        .bind(domain)
        .bind(date_begin)
        .bind(date_end)
        .bind(recipient)
        .bind(now_ms())
        .bind(report.to_string())
        .fetch_one(&self.write)
        .await?)
    }

    pub async fn list_dmarc_reports(
        &self,
        domain: Option<&str>,
        cursor: Option<&str>,
        limit: usize,
    ) -> StoreResult<Page<DmarcReport>> {
        let before = match cursor.filter(|c| !c.is_empty()) {
            Some(c) => decode_id_cursor(c)?,
            None => i64::MAX,
        };
        let rows = sqlx::query(
            "SELECT id, org_name, report_id, domain, date_begin, date_end, recipient, received_at, report \
             FROM dmarc_reports WHERE id < $1 AND ($2 IS NULL OR domain = $2) ORDER BY id DESC LIMIT $3",
        )
        .bind(before)
        .bind(domain)
        .bind((limit + 1) as i64)
        .fetch_all(&self.read)
        .await?;
        let items = rows
            .iter()
            .map(|r| decode(r, false))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Page::from_rows(items, limit, |r| r.id.to_string()))
    }

    pub async fn dmarc_report(&self, id: i64) -> StoreResult<DmarcReport> {
        let row = sqlx::query(
            "SELECT id, org_name, report_id, domain, date_begin, date_end, recipient, received_at, report \
             FROM dmarc_reports WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.read)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("no DMARC report {id}")))?;
        decode(&row, true)
    }
}

fn decode(r: &sqlx::any::AnyRow, with_report: bool) -> StoreResult<DmarcReport> {
    let report: String = r.try_get("report")?;
    Ok(DmarcReport {
        id: r.try_get("id")?,
        org_name: r.try_get("org_name")?,
        report_id: r.try_get("report_id")?,
        domain: r.try_get("domain")?,
        date_begin: r.try_get("date_begin")?,
        date_end: r.try_get("date_end")?,
        recipient: r.try_get("recipient")?,
        received_at: super::from_ms(r.try_get("received_at")?),
        report: if with_report {
            serde_json::from_str(&report).ok()
        } else {
            None
        },
    })
}
