//! DMARC aggregate reports (RFC 7489 section 7.2): each checked message
//! whose From: domain publishes `rua` leaves a row; once a day the rows are
//! merged into one report per domain (XML, gzip) and mailed to the `rua`
//! addresses that accept them (external destinations must authorise us
//! with `<domain>._report._dmarc.<destination>`). Reports other receivers
//! send to `dmarc-reports@<our domain>` are parsed and kept for the API.

use mail_auth::Txt;
use mail_auth::common::cache::NoCache;
use mail_auth::report::{PolicyPublished, Record, Report};

use crate::app::AppState;
use crate::screening::sender::AggregateRow;
use crate::store::now_ms;

/// The local part of our domains' report mailbox.
pub const REPORT_LOCAL_PART: &str = "dmarc-reports";
/// Largest report message parsed.
const MAX_REPORT: usize = 5 * 1024 * 1024;

/// Keeps one message's row for the next report.
pub async fn record(state: &AppState, row: &AggregateRow) {
    let (Ok(rua), Ok(policy), Ok(record)) = (
        serde_json::to_string(&row.rua),
        serde_json::to_string(&row.policy),
        serde_json::to_string(&row.record),
    ) else {
        return;
    };
    if let Err(e) = state
        .store
        .add_dmarc_record(&row.domain, &rua, &policy, &record)
        .await
    {
        tracing::warn!(error = %e, domain = %row.domain, "recording a DMARC report row failed");
    }
}

/// What a report run did.
#[derive(Debug, Default, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct SendSummary {
    /// Reports queued (one per domain with rows).
    pub reports: usize,
    /// Message rows they covered.
    pub rows: usize,
    /// Domains skipped because no `rua` address accepted reports from us.
    pub unauthorised: usize,
}

/// Sends reports for every row recorded before `before_ms`.
pub async fn send_pending(state: &AppState, before_ms: i64) -> anyhow::Result<SendSummary> {
    let rows = state.store.take_dmarc_records(before_ms).await?;
    let mut summary = SendSummary::default();
    let hostname = state.config.hostname.clone();
    let mut at = 0;
    while at < rows.len() {
        let domain = rows[at].domain.clone();
        let group: Vec<_> = rows[at..]
            .iter()
            .take_while(|r| r.domain == domain)
            .collect();
        at += group.len();
        let policy: PolicyPublished = match serde_json::from_str(&group[group.len() - 1].policy) {
            Ok(p) => p,
            Err(e) => {
                tracing::warn!(error = %e, %domain, "unreadable DMARC rows dropped");
                continue;
            }
        };
        let rua: Vec<String> =
            serde_json::from_str(&group[group.len() - 1].rua).unwrap_or_default();
        let authorised = state
            .resolver
            .verify_dmarc_report_address(&domain, &rua, None::<&NoCache<Box<str>, Txt>>)
            .await;
        let Some(authorised) = authorised else {
            // DNS trouble: keep the rows for the next run.
            tracing::info!(%domain, "DMARC report destinations could not be verified; retrying later");
            state.store.restore_dmarc_records(&group).await?;
            continue;
        };
        let destinations: Vec<String> = authorised.into_iter().cloned().collect();
        if destinations.is_empty() {
            summary.unauthorised += 1;
            continue;
        }
        let mut records: Vec<Record> = Vec::new();
        for row in &group {
            let Ok(record) = serde_json::from_str::<Record>(&row.record) else {
                continue;
            };
            // Identical rows are one record with a count.
            match records
                .iter_mut()
                .find(|r| (*r).clone().with_count(1) == record.clone().with_count(1))
            {
                Some(existing) => {
                    let count = existing.count() + record.count();
                    *existing = existing.clone().with_count(count);
                }
                None => records.push(record),
            }
        }
        let begin = group
            .iter()
            .map(|r| r.created_at)
            .min()
            .unwrap_or(before_ms)
            / 1000;
        let mut report = Report::new()
            .with_org_name(hostname.clone())
            .with_email(format!("postmaster@{hostname}"))
            .with_report_id(format!("{domain}.{begin}.{}", rand::random::<u32>()))
            .with_date_range_begin(begin as u64)
            .with_date_range_end((before_ms / 1000) as u64)
            .with_domain(domain.clone())
            .with_policy_published(policy);
        for r in records {
            report.add_record(r);
        }
        let from = format!("postmaster@{hostname}");
        let message = report.to_rfc5322(
            &hostname,
            from.as_str(),
            destinations.iter().map(String::as_str),
        )?;
        if let Err(e) =
            crate::events::notify::deliver_generated(state, &destinations, message, 'R').await
        {
            state.store.restore_dmarc_records(&group).await?;
            return Err(e);
        }
        summary.reports += 1;
        summary.rows += group.len();
        tracing::info!(%domain, rows = group.len(), to = ?destinations, "DMARC aggregate report queued");
    }
    Ok(summary)
}

/// Start of the current UTC day: the daily run reports everything before it.
pub fn start_of_day_ms() -> i64 {
    let now = now_ms();
    now - now.rem_euclid(86_400_000)
}

/// An aggregate report from a message (zipped, gzipped or plain XML
/// attachment), within [`MAX_REPORT`] once uncompressed.
pub fn parse(message: &[u8]) -> Result<Report, mail_auth::report::Error> {
    Report::parse_rfc5322(message, MAX_REPORT)
}

/// Stores an aggregate report addressed to one of our report mailboxes.
/// Anything that is not a parseable report is ignored (it is still
/// delivered like any other message).
pub async fn receive(state: &AppState, recipient: &str, message: &[u8]) {
    let report = match parse(message) {
        Ok(r) => r,
        Err(e) => {
            tracing::info!(%recipient, error = ?e, "message to the DMARC report mailbox is not a report");
            return;
        }
    };
    let json = serde_json::to_value(&report).unwrap_or_default();
    match state
        .store
        .add_dmarc_report(
            report.org_name(),
            report.report_id(),
            &report.domain().to_ascii_lowercase(),
            report.date_range_begin() as i64,
            report.date_range_end() as i64,
            recipient,
            &json,
        )
        .await
    {
        Ok(id) => tracing::info!(
            id,
            org = report.org_name(),
            domain = report.domain(),
            "DMARC aggregate report received"
        ),
        Err(e) => tracing::warn!(error = %e, "storing a DMARC report failed"),
    }
}
