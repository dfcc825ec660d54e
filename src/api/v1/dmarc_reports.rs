//! `/v1/dmarc-reports`: aggregate reports other receivers sent about our
//! domains, and sending our own pending aggregate reports now.

use axum::Router;
use axum::extract::State;
use axum::routing::{get, post};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::api::error::{ApiError, ApiResult, Problem};
use crate::api::extract::{Auth, Path, Query};
use crate::api::{Paginated, page_limit};
use crate::app::AppState;
use crate::dmarc_reports::SendSummary;
use crate::store::dmarc::DmarcReport;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// Only reports about this domain.
    pub domain: Option<String>,
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    #[param(pattern = "^[0-9]{0,18}$")]
    pub cursor: Option<String>,
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/dmarc-reports", get(list_reports))
        .route("/dmarc-reports/{id}", get(get_report))
        .route("/dmarc-reports/send", post(send_reports))
}

/// Received aggregate reports, newest first (without their records).
#[utoipa::path(get, path = "/v1/dmarc-reports", tag = "dmarc", params(ReportQuery), security(("bearer" = [])),
    responses((status = 200, body = Paginated<DmarcReport>), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn list_reports(
    State(state): State<AppState>,
    auth: Auth,
    Query(q): Query<ReportQuery>,
) -> ApiResult<axum::Json<Paginated<DmarcReport>>> {
    auth.require_admin()?;
    let limit = page_limit(q.limit)?;
    super::check_cursor(q.cursor.as_deref(), true)?;
    let domain = match super::domain_filter(&auth, q.domain.as_deref())? {
        super::Filter::All => None,
        super::Filter::Only(d) => Some(d.to_string()),
        super::Filter::Nothing => return Ok(super::empty_page()),
    };
    let page = state
        .store
        .list_dmarc_reports(domain.as_deref(), q.cursor.as_deref(), limit)
        .await?;
    Ok(axum::Json(Paginated {
        items: page.items,
        next_cursor: page.next_cursor,
    }))
}

/// One received report with all its records.
#[utoipa::path(get, path = "/v1/dmarc-reports/{id}", tag = "dmarc",
    params(("id" = i64, Path, description = "Report id")), security(("bearer" = [])),
    responses((status = 200, body = DmarcReport), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn get_report(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
) -> ApiResult<axum::Json<DmarcReport>> {
    auth.require_admin()?;
    Ok(axum::Json(state.store.dmarc_report(id).await?))
}

/// Send every pending aggregate report now instead of at the next daily
/// run (each domain's rows up to this moment).
#[utoipa::path(post, path = "/v1/dmarc-reports/send", tag = "dmarc", security(("bearer" = [])),
    responses((status = 200, body = SendSummary), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn send_reports(
    State(state): State<AppState>,
    auth: Auth,
) -> ApiResult<axum::Json<SendSummary>> {
    auth.require_admin()?;
    let summary = crate::dmarc_reports::send_pending(&state, crate::store::now_ms() + 1)
        .await
        .map_err(ApiError::internal)?;
    Ok(axum::Json(summary))
}
