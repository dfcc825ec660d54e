//! `/v1/domains/{name}/dkim-keys`: DKIM keys per domain. The private half
//! never leaves the server; responses carry the record to publish.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{delete, get};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::path_domain;
use crate::api::Paginated;
use crate::api::error::{ApiError, ApiResult, Problem};
use crate::api::extract::{Auth, Json, Path, Query};
use crate::app::AppState;
use crate::dkim::{self, Algorithm};
use crate::store::dkim::DkimKeyRecord;
use crate::store::from_ms;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateDkimKeyRequest {
    /// DNS label; default `r<YYYYMMDD>`.
    #[serde(default)]
    #[schema(pattern = "^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")]
    pub selector: Option<String>,
    /// `ed25519` or `rsa-2048` (default; the one every receiver verifies).
    #[serde(default)]
    #[schema(example = "rsa-2048", pattern = "^(ed25519|rsa-2048)$")]
    pub algorithm: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DkimKeyDto {
    pub selector: String,
    pub algorithm: String,
    /// Where to publish the TXT record.
    pub dns_name: String,
    /// The TXT record's value.
    pub dns_value: String,
    /// Whether this key signs outbound mail (one per domain; a newer key
    /// waits until it is published and activated).
    pub active: bool,
    pub created_at: DateTime<Utc>,
}

impl From<DkimKeyRecord> for DkimKeyDto {
    fn from(k: DkimKeyRecord) -> Self {
        let algorithm = Algorithm::parse(&k.algorithm).unwrap_or(Algorithm::Rsa2048);
        Self {
            dns_name: dkim::dns_name(&k.selector, &k.domain),
            dns_value: dkim::dns_value(algorithm, &k.public_key),
            selector: k.selector,
            algorithm: k.algorithm,
            active: k.active,
            created_at: from_ms(k.created_at_ms),
        }
    }
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/domains/{name}/dkim-keys", get(list_keys).post(create_key))
        .route("/domains/{name}/dkim-keys/{selector}", delete(delete_key))
        .route(
            "/domains/{name}/dkim-keys/{selector}/activate",
            axum::routing::post(activate_key),
        )
}

fn valid_selector(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

/// Create a DKIM key; publish `dns_value` at `dns_name`.
#[utoipa::path(post, path = "/v1/domains/{name}/dkim-keys", tag = "domains", request_body = CreateDkimKeyRequest,
    params(("name" = String, Path, description = "Domain name")),
    security(("bearer" = [])),
    responses((status = 201, body = DkimKeyDto), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn create_key(
    State(state): State<AppState>,
    auth: Auth,
    Path(name): Path<String>,
    Json(req): Json<CreateDkimKeyRequest>,
) -> ApiResult<(StatusCode, axum::Json<DkimKeyDto>)> {
    let domain = path_domain(&name)?;
    auth.require_domain(domain.as_str())?;
    let algorithm = match req.algorithm.as_deref() {
        None => Algorithm::Rsa2048,
        Some(a) => Algorithm::parse(a)
            .ok_or_else(|| ApiError::unprocessable("algorithm must be ed25519 or rsa-2048"))?,
    };
    let selector = req
        .selector
        .unwrap_or_else(|| format!("r{}", Utc::now().format("%Y%m%d")))
        .to_ascii_lowercase();
    if !valid_selector(&selector) {
        return Err(ApiError::unprocessable(
            "selector must be a DNS label: letters, digits and '-', at most 63",
        ));
    }
    state.store.domain(&domain).await?;
    let key = dkim::generate(algorithm)
        .await
        .map_err(ApiError::internal)?;
    let record = state
        .store
        .create_dkim_key(
            &domain,
            &selector,
            algorithm.as_str(),
            &key.private_key,
            &key.public_key,
        )
        .await?;
    tracing::info!(%domain, %selector, algorithm = algorithm.as_str(), "DKIM key created");
    Ok((StatusCode::CREATED, axum::Json(record.into())))
}

/// A domain's DKIM keys (public parts only), by selector, paginated like
/// every other list.
#[utoipa::path(get, path = "/v1/domains/{name}/dkim-keys", tag = "domains",
    params(("name" = String, Path, description = "Domain name"), KeysQuery),
    security(("bearer" = [])),
    responses((status = 200, body = Paginated<DkimKeyDto>), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn list_keys(
    State(state): State<AppState>,
    auth: Auth,
    Path(name): Path<String>,
    Query(q): Query<KeysQuery>,
) -> ApiResult<axum::Json<Paginated<DkimKeyDto>>> {
    let domain = path_domain(&name)?;
    auth.require_domain(domain.as_str())?;
    let limit = crate::api::page_limit(q.limit)?;
    super::check_cursor(q.cursor.as_deref(), false)?;
    state.store.domain(&domain).await?;
    let mut keys: Vec<DkimKeyDto> = state
        .store
        .dkim_keys(&domain)
        .await?
        .into_iter()
        .map(DkimKeyDto::from)
        .collect();
    // A domain has a handful of keys: the page is cut here, the cursor is
    // the last selector shown.
    keys.sort_by(|a, b| a.selector.cmp(&b.selector));
    if let Some(after) = &q.cursor {
        keys.retain(|k| k.selector.as_str() > after.as_str());
    }
    let more = keys.len() > limit;
    keys.truncate(limit);
    let next_cursor = more
        .then(|| keys.last().map(|k| k.selector.clone()))
        .flatten();
    Ok(axum::Json(Paginated {
        items: keys,
        next_cursor,
    }))
}

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct KeysQuery {
    /// Page size, 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    #[param(pattern = "^[A-Za-z0-9_-]{0,1024}$")]
    pub cursor: Option<String>,
}

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ActivateQuery {
    /// Switch even when the record is not (yet) visible in DNS.
    #[serde(default)]
    pub force: bool,
}

/// Rotation: make this key the signing key once its TXT record is
/// published (checked through the configured resolver; 409 when it is not,
/// unless `force=true`). The previous key stops signing and stays listed,
/// to be deleted once mail signed with it has been delivered. The periodic
/// DNS check does the same by itself for a key newer than the signing one.
#[utoipa::path(post, path = "/v1/domains/{name}/dkim-keys/{selector}/activate", tag = "domains",
    params(("name" = String, Path, description = "Domain name"), ("selector" = String, Path, description = "Selector"), ActivateQuery),
    security(("bearer" = [])),
    responses((status = 200, body = DkimKeyDto), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn activate_key(
    State(state): State<AppState>,
    auth: Auth,
    Path((name, selector)): Path<(String, String)>,
    crate::api::extract::Query(q): crate::api::extract::Query<ActivateQuery>,
) -> ApiResult<axum::Json<DkimKeyDto>> {
    let domain = path_domain(&name)?;
    auth.require_domain(domain.as_str())?;
    let selector = selector.to_ascii_lowercase();
    let key = state
        .store
        .dkim_keys(&domain)
        .await?
        .into_iter()
        .find(|k| k.selector == selector)
        .ok_or_else(|| ApiError::not_found(format!("DKIM key {selector} of {domain}")))?;
    if !q.force {
        let dns_name = dkim::dns_name(&selector, domain.as_str());
        let (status, found) = crate::domain_dns::dkim_published(&state, &dns_name, &key.public_key)
            .await
            .map_err(|e| ApiError::conflict(format!("{dns_name}: lookup failed: {e}")))?;
        if status != crate::domain_dns::CheckStatus::Ok {
            return Err(ApiError::conflict(format!(
                "{dns_name} does not publish this key yet (found: {}); publish it first",
                if found.is_empty() { "nothing" } else { &found }
            )));
        }
    }
    state.store.activate_dkim_key(&domain, &selector).await?;
    tracing::info!(%domain, %selector, "DKIM key activated");
    let mut key = key;
    key.active = true;
    Ok(axum::Json(key.into()))
}

/// Delete a DKIM key.
#[utoipa::path(delete, path = "/v1/domains/{name}/dkim-keys/{selector}", tag = "domains",
    params(("name" = String, Path, description = "Domain name"), ("selector" = String, Path, description = "Selector")),
    security(("bearer" = [])),
    responses((status = 204, description = "Deleted"), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn delete_key(
    State(state): State<AppState>,
    auth: Auth,
    Path((name, selector)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let domain = path_domain(&name)?;
    auth.require_domain(domain.as_str())?;
    state.store.delete_dkim_key(&domain, &selector).await?;
    Ok(StatusCode::NO_CONTENT)
}
