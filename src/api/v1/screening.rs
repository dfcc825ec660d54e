//! Screening settings and records: hijack detection, failed-login
//! screening, the failed logins themselves and blocked networks.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{delete, get};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::parse_address;
use crate::api::error::{ApiError, ApiResult, Problem};
use crate::api::extract::{Auth, Json, Path, Query};
use crate::api::{Paginated, page_limit};
use crate::app::AppState;
use crate::screening::auth_failures::{self, ScreeningSettings};
use crate::screening::blocks::parse_network;
use crate::screening::hijack::{self, HijackSettings};
use crate::store::from_ms;
use crate::store::screening::{AuthFailure, AuthFailureFilter, BlockedIp};

const MAX_WINDOW: u32 = 30 * 24 * 3600;
/// Counts (messages, failures) a setting may name.
pub(crate) const MAX_COUNT: u32 = 1_000_000;
/// A block lasts at most a year.
const MAX_BLOCK: u32 = 365 * 24 * 3600;

#[derive(Debug, Serialize, ToSchema)]
pub struct AuthFailureDto {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub ip: String,
    /// `smtp`, `submission`, `imap`, `pop3` or `api`.
    pub protocol: String,
    pub username: String,
    pub reason: String,
}

impl From<AuthFailure> for AuthFailureDto {
    fn from(f: AuthFailure) -> Self {
        Self {
            id: f.id,
            at: from_ms(f.at_ms),
            ip: f.ip,
            protocol: f.protocol,
            username: f.username,
            reason: f.reason,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuthFailureQuery {
    /// Only failures for this username.
    pub account: Option<String>,
    pub ip: Option<String>,
    pub protocol: Option<String>,
    /// RFC 3339.
    #[param(format = DateTime)]
    pub since: Option<String>,
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    #[param(pattern = "^[0-9]{0,18}$")]
    pub cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BlockedIpDto {
    /// An address or CIDR network.
    pub network: String,
    pub until: DateTime<Utc>,
    pub reason: String,
    /// How many times it has been blocked; automatic blocks double each time.
    pub offenses: i64,
    pub manual: bool,
    pub created_at: DateTime<Utc>,
}

impl From<BlockedIp> for BlockedIpDto {
    fn from(b: BlockedIp) -> Self {
        Self {
            network: b.network,
            until: from_ms(b.until_ms),
            reason: b.reason,
            offenses: b.offenses,
            manual: b.manual,
            created_at: from_ms(b.created_at_ms),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BlockRequest {
    /// An address or CIDR network, e.g. `198.51.100.0/24`.
    pub network: String,
    /// How long; default one day, at most a year.
    #[serde(default)]
    #[schema(minimum = 1, maximum = 31536000)]
    pub seconds: Option<u32>,
    #[serde(default)]
    pub reason: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BlockedIpList {
    pub items: Vec<BlockedIpDto>,
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/settings/hijack-detection",
            get(get_hijack).put(put_hijack),
        )
        .route(
            "/settings/auth-failure-screening",
            get(get_screening).put(put_screening),
        )
        .route("/auth-failures", get(list_failures))
        .route("/blocked-ips", get(list_blocks).post(block))
        .route("/blocked-ips/{network}", delete(unblock))
}

/// Hijack detection settings.
#[utoipa::path(get, path = "/v1/settings/hijack-detection", tag = "settings", security(("bearer" = [])),
    responses((status = 200, body = HijackSettings), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn get_hijack(
    State(state): State<AppState>,
    auth: Auth,
) -> ApiResult<axum::Json<HijackSettings>> {
    auth.require_admin()?;
    Ok(axum::Json(state.store.setting(hijack::SETTING).await?))
}

/// Replace hijack detection settings.
#[utoipa::path(put, path = "/v1/settings/hijack-detection", tag = "settings", request_body = HijackSettings, security(("bearer" = [])),
    responses((status = 200, body = HijackSettings), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn put_hijack(
    State(state): State<AppState>,
    auth: Auth,
    Json(mut req): Json<HijackSettings>,
) -> ApiResult<axum::Json<HijackSettings>> {
    auth.require_admin()?;
    if !(1..=MAX_COUNT).contains(&req.max_messages)
        || req.window_seconds == 0
        || req.window_seconds > MAX_WINDOW
    {
        return Err(ApiError::unprocessable(format!(
            "max_messages must be between 1 and {MAX_COUNT} and window_seconds between 1 and {MAX_WINDOW}"
        )));
    }
    let mut exempt = Vec::with_capacity(req.exempt_accounts.len());
    for a in &req.exempt_accounts {
        exempt.push(parse_address(a)?.to_string());
    }
    req.exempt_accounts = exempt;
    state.store.put_setting(hijack::SETTING, &req).await?;
    Ok(axum::Json(req))
}

/// Failed-login screening settings.
#[utoipa::path(get, path = "/v1/settings/auth-failure-screening", tag = "settings", security(("bearer" = [])),
    responses((status = 200, body = ScreeningSettings), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn get_screening(
    State(state): State<AppState>,
    auth: Auth,
) -> ApiResult<axum::Json<ScreeningSettings>> {
    auth.require_admin()?;
    Ok(axum::Json(
        state.store.setting(auth_failures::SETTING).await?,
    ))
}

/// Replace failed-login screening settings.
#[utoipa::path(put, path = "/v1/settings/auth-failure-screening", tag = "settings", request_body = ScreeningSettings, security(("bearer" = [])),
    responses((status = 200, body = ScreeningSettings), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn put_screening(
    State(state): State<AppState>,
    auth: Auth,
    Json(mut req): Json<ScreeningSettings>,
) -> ApiResult<axum::Json<ScreeningSettings>> {
    auth.require_admin()?;
    if !(1..=MAX_COUNT).contains(&req.max_failures)
        || !(1..=MAX_COUNT).contains(&req.notify_after_failures)
        || !(1..=MAX_BLOCK).contains(&req.block_seconds)
    {
        return Err(ApiError::unprocessable(format!(
            "max_failures and notify_after_failures must be between 1 and {MAX_COUNT}, block_seconds between 1 and {MAX_BLOCK}"
        )));
    }
    if req.window_seconds == 0 || req.window_seconds > MAX_WINDOW {
        return Err(ApiError::unprocessable(format!(
            "window_seconds must be between 1 and {MAX_WINDOW}"
        )));
    }
    req.never_block = req.never_block.iter().map(|n| n.trunc()).collect();
    state
        .store
        .put_setting(auth_failures::SETTING, &req)
        .await?;
    Ok(axum::Json(req))
}

/// Failed logins, newest first.
#[utoipa::path(get, path = "/v1/auth-failures", tag = "screening", params(AuthFailureQuery), security(("bearer" = [])),
    responses((status = 200, body = Paginated<AuthFailureDto>), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn list_failures(
    State(state): State<AppState>,
    auth: Auth,
    Query(q): Query<AuthFailureQuery>,
) -> ApiResult<axum::Json<Paginated<AuthFailureDto>>> {
    let limit = page_limit(q.limit)?;
    super::check_cursor(q.cursor.as_deref(), true)?;
    // Failed logins keep the username as typed, address or not: an admin
    // may look up any of them.
    let username = match (
        super::account_filter(&auth, q.account.as_deref())?,
        auth.role(),
    ) {
        (super::Filter::Only(_), _) => q.account.as_deref().map(|a| a.trim().to_string()),
        (super::Filter::Nothing, _) => q.account.clone(),
        (super::Filter::All, crate::auth::token::Role::Admin) => None,
        (super::Filter::All, _) => {
            return Err(ApiError::forbidden(
                "give account= for one of your accounts",
            ));
        }
    };
    let since_ms = match q.since.as_deref() {
        None => None,
        Some(s) => Some(
            DateTime::parse_from_rfc3339(s)
                .map_err(|_| {
                    ApiError::bad_request(format!("since: {s:?} is not an RFC 3339 time"))
                })?
                .timestamp_millis(),
        ),
    };
    let filter = AuthFailureFilter {
        username,
        ip: q.ip,
        protocol: q.protocol,
        since_ms,
    };
    let page = state
        .store
        .list_auth_failures(&filter, q.cursor.as_deref(), limit)
        .await?;
    Ok(axum::Json(Paginated::from_page(page, AuthFailureDto::from)))
}

/// Blocks in force.
#[utoipa::path(get, path = "/v1/blocked-ips", tag = "screening", security(("bearer" = [])),
    responses((status = 200, body = BlockedIpList), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn list_blocks(
    State(state): State<AppState>,
    auth: Auth,
) -> ApiResult<axum::Json<BlockedIpList>> {
    auth.require_admin()?;
    let items = state
        .store
        .active_blocks()
        .await?
        .into_iter()
        .map(BlockedIpDto::from)
        .collect();
    Ok(axum::Json(BlockedIpList { items }))
}

/// Block a network on every protocol and the API.
#[utoipa::path(post, path = "/v1/blocked-ips", tag = "screening", request_body = BlockRequest, security(("bearer" = [])),
    responses((status = 201, body = BlockedIpDto), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn block(
    State(state): State<AppState>,
    auth: Auth,
    Json(req): Json<BlockRequest>,
) -> ApiResult<(StatusCode, axum::Json<BlockedIpDto>)> {
    auth.require_admin()?;
    let network = parse_network(req.network.trim()).ok_or_else(|| {
        ApiError::unprocessable(format!(
            "{:?} is not an address or CIDR network",
            req.network
        ))
    })?;
    let seconds = req.seconds.unwrap_or(86_400);
    if !(1..=MAX_BLOCK).contains(&seconds) {
        return Err(ApiError::unprocessable(format!(
            "seconds must be between 1 and {MAX_BLOCK}"
        )));
    }
    let seconds = i64::from(seconds);
    let reason = req
        .reason
        .unwrap_or_else(|| "blocked by an administrator".into());
    let blocked = state
        .store
        .block_network(&network.to_string(), seconds, &reason, true)
        .await?;
    state.blocks.refresh(&state.store).await;
    Ok((StatusCode::CREATED, axum::Json(blocked.into())))
}

/// Lift a block (the network is URL-encoded, e.g. `198.51.100.0%2F24`).
#[utoipa::path(delete, path = "/v1/blocked-ips/{network}", tag = "screening",
    params(("network" = String, Path, description = "Address or CIDR network, URL-encoded")), security(("bearer" = [])),
    responses((status = 204, description = "Unblocked"), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn unblock(
    State(state): State<AppState>,
    auth: Auth,
    Path(network): Path<String>,
) -> ApiResult<StatusCode> {
    auth.require_admin()?;
    let parsed = parse_network(network.trim())
        .ok_or_else(|| ApiError::not_found(format!("no block of {network}")))?;
    state.store.unblock_network(&parsed.to_string()).await?;
    state.blocks.refresh(&state.store).await;
    Ok(StatusCode::NO_CONTENT)
}
