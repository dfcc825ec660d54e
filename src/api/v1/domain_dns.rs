//! `/v1/domains/{name}/dns-records` (what to publish) and
//! `/v1/domains/{name}/dns-check` (what is published, compared), plus the
//! MTA-STS policy file at `/.well-known/mta-sts.txt`.

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::path_domain;
use crate::api::error::{ApiError, ApiResult, Problem};
use crate::api::extract::{Auth, Path, Query};
use crate::app::AppState;
use crate::domain_dns::{self, CheckStatus, DnsCheckResult, ExpectedRecord};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RecordsQuery {
    /// `json` (default) or `zone` for a zone-file snippet (text/plain).
    #[param(pattern = "^(json|zone)$")]
    pub format: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DnsRecords {
    pub domain: String,
    pub records: Vec<ExpectedRecord>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DnsCheck {
    pub domain: String,
    /// `ok` when every result is `ok` or `warning`.
    pub status: CheckStatus,
    pub results: Vec<DnsCheckResult>,
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/domains/{name}/dns-records", get(dns_records))
        .route("/domains/{name}/dns-check", post(dns_check))
}

/// The MTA-STS policy route (outside `/v1`).
pub fn well_known() -> Router<AppState> {
    Router::new().route("/.well-known/mta-sts.txt", get(mta_sts))
}

/// Every record the domain needs: type, name, value, TTL and why. With
/// `format=zone`, the same as a zone-file snippet.
#[utoipa::path(get, path = "/v1/domains/{name}/dns-records", tag = "domains",
    params(("name" = String, Path, description = "Domain name"), RecordsQuery),
    security(("bearer" = [])),
    responses((status = 200, description = "JSON, or with format=zone a zone-file snippet",
            content((DnsRecords = "application/json"), (String = "text/plain"))),
        (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn dns_records(
    State(state): State<AppState>,
    auth: Auth,
    Path(name): Path<String>,
    Query(q): Query<RecordsQuery>,
) -> ApiResult<Response> {
    let name = path_domain(&name)?;
    auth.require_domain(name.as_str())?;
    state.store.domain(&name).await?;
    let records = domain_dns::expected(&state, name.as_str()).await?;
    match q.format.as_deref() {
        None | Some("json") => Ok(axum::Json(DnsRecords {
            domain: name.to_string(),
            records,
        })
        .into_response()),
        Some("zone") => Ok((
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            domain_dns::zone_snippet(&records),
        )
            .into_response()),
        Some(other) => Err(ApiError::bad_request(format!(
            "format must be json or zone, not {other}"
        ))),
    }
}

/// Look up every record the domain needs through the configured resolver
/// and compare: `ok`, `missing`, `mismatch`, `warning` or `error`, each with
/// what was expected, what was found and how to fix it.
#[utoipa::path(post, path = "/v1/domains/{name}/dns-check", tag = "domains",
    params(("name" = String, Path, description = "Domain name")),
    security(("bearer" = [])),
    responses((status = 200, body = DnsCheck), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn dns_check(
    State(state): State<AppState>,
    auth: Auth,
    Path(name): Path<String>,
) -> ApiResult<axum::Json<DnsCheck>> {
    let name = path_domain(&name)?;
    auth.require_domain(name.as_str())?;
    state.store.domain(&name).await?;
    let results = domain_dns::check(&state, name.as_str()).await?;
    let status = if results
        .iter()
        .all(|r| matches!(r.status, CheckStatus::Ok | CheckStatus::Warning))
    {
        CheckStatus::Ok
    } else {
        CheckStatus::Error
    };
    Ok(axum::Json(DnsCheck {
        domain: name.to_string(),
        status,
        results,
    }))
}

/// `https://mta-sts.<domain>/.well-known/mta-sts.txt` for our domains
/// (RFC 8461 3.2): the policy for the domain named by the `Host` header.
#[utoipa::path(get, path = "/.well-known/mta-sts.txt", tag = "domains",
    responses(
        (status = 200, description = "The MTA-STS policy", content_type = "text/plain", body = String),
        (status = 404, description = "The host is not mta-sts.<one of our domains>", content_type = "text/plain", body = String)))]
pub async fn mta_sts(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(|h| h.split(':').next().unwrap_or(h).to_ascii_lowercase())
        .unwrap_or_default();
    let local = match host
        .strip_prefix("mta-sts.")
        .and_then(|d| crate::address::Domain::parse(d).ok())
    {
        Some(domain) => state.store.is_local_domain(&domain).await.unwrap_or(false),
        None => false,
    };
    if !local {
        return (StatusCode::NOT_FOUND, "no MTA-STS policy for this host\n").into_response();
    }
    (
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        domain_dns::mta_sts_policy(&state.config.hostname),
    )
        .into_response()
}
