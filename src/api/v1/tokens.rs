//! `POST /v1/tokens`: scoped API tokens. A token can mint tokens of its own
//! scope or narrower, never wider.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{parse_address, parse_domain};
use crate::api::error::{ApiError, ApiResult, Problem};
use crate::api::extract::{Auth, Json};
use crate::app::AppState;
use crate::auth::token::Role;
use crate::store::accounts::AccountStatus;

pub const DEFAULT_TTL_SECONDS: u64 = 3600;
/// Tokens are meant to be short-lived; 30 days is the longest we mint.
pub const MAX_TTL_SECONDS: u64 = 30 * 24 * 3600;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTokenRequest {
    pub role: Role,
    /// Required for `domain-admin`.
    #[serde(default)]
    pub domain: Option<String>,
    /// Required for `user`.
    #[serde(default)]
    pub account: Option<String>,
    /// Lifetime; default 3600, at most 2592000 (30 days).
    #[serde(default)]
    #[schema(minimum = 1, maximum = 2592000)]
    pub ttl_seconds: Option<u64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenResponse {
    pub token: String,
    pub expires_at: DateTime<Utc>,
}

pub fn router() -> Router<AppState> {
    Router::new().route("/tokens", post(create_token))
}

/// Mint a scoped token.
#[utoipa::path(post, path = "/v1/tokens", tag = "tokens", request_body = CreateTokenRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, body = TokenResponse),
        (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 409, body = Problem, description = "the account is not active"),
        (status = 422, body = Problem),
    ))]
pub async fn create_token(
    State(state): State<AppState>,
    auth: Auth,
    Json(req): Json<CreateTokenRequest>,
) -> ApiResult<(StatusCode, axum::Json<TokenResponse>)> {
    let ttl = req.ttl_seconds.unwrap_or(DEFAULT_TTL_SECONDS);
    if !(1..=MAX_TTL_SECONDS).contains(&ttl) {
        return Err(ApiError::unprocessable(format!(
            "ttl_seconds must be between 1 and {MAX_TTL_SECONDS}"
        )));
    }
    let (domain, account) =
        match req.role {
            Role::Admin => {
                if req.domain.is_some() || req.account.is_some() {
                    return Err(ApiError::unprocessable(
                        "an admin token takes neither domain nor account",
                    ));
                }
                auth.require_admin()?;
                (None, None)
            }
            Role::DomainAdmin => {
                if req.account.is_some() {
                    return Err(ApiError::unprocessable(
                        "a domain-admin token takes no account",
                    ));
                }
                let name = req.domain.as_deref().ok_or_else(|| {
                    ApiError::unprocessable("a domain-admin token needs `domain`")
                })?;
                let domain = parse_domain(name)?;
                auth.require_domain(domain.as_str())?;
                state.store.domain(&domain).await.map_err(|_| {
                    ApiError::unprocessable(format!("domain {domain} does not exist"))
                })?;
                (Some(domain.to_string()), None)
            }
            Role::User => {
                let name = req
                    .account
                    .as_deref()
                    .ok_or_else(|| ApiError::unprocessable("a user token needs `account`"))?;
                let address = parse_address(name)?;
                if let Some(d) = &req.domain
                    && parse_domain(d)? != *address.domain()
                {
                    return Err(ApiError::unprocessable(
                        "`domain` does not match the account's domain",
                    ));
                }
                auth.require_account(&address)?;
                let account = state.store.account(&address).await.map_err(|_| {
                    ApiError::unprocessable(format!("account {address} does not exist"))
                })?;
                if account.status != AccountStatus::Active {
                    return Err(ApiError::conflict(format!(
                        "account {} is not active",
                        account.address
                    )));
                }
                (Some(account.domain), Some(account.address))
            }
        };
    let (token, claims) = state
        .tokens
        .mint(req.role, domain, account, ttl)
        .map_err(ApiError::internal)?;
    let expires_at = DateTime::from_timestamp(claims.exp, 0).unwrap_or_default();
    Ok((
        StatusCode::CREATED,
        axum::Json(TokenResponse { token, expires_at }),
    ))
}
