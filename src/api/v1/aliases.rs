//! `/v1/aliases`: addresses that deliver to one or more local accounts.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{parse_address, path_address, path_domain};
use crate::api::error::{ApiError, ApiResult, Problem};
use crate::api::extract::{Auth, Json, Path, Query};
use crate::api::{Paginated, page_limit};
use crate::app::AppState;
use crate::auth::token::Role;
use crate::store::aliases::Alias;
use crate::store::from_ms;

/// At most this many targets per alias; larger fan-out is a mailing list.
const MAX_TARGETS: usize = 100;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAliasRequest {
    /// The alias address, in a local domain.
    pub address: String,
    /// Existing accounts that receive the alias's mail (1 to 100).
    pub targets: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AliasDto {
    pub address: String,
    pub domain: String,
    pub targets: Vec<String>,
    pub created_at: DateTime<Utc>,
}

impl From<Alias> for AliasDto {
    fn from(a: Alias) -> Self {
        Self {
            address: a.address,
            domain: a.domain,
            targets: a.targets,
            created_at: from_ms(a.created_at_ms),
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Only aliases of this domain (a domain admin sees only its own).
    pub domain: Option<String>,
    /// Page size, 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    #[param(pattern = "^[A-Za-z0-9_-]{0,1024}$")]
    pub cursor: Option<String>,
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/aliases", get(list_aliases).post(create_alias))
        .route("/aliases/{address}", get(get_alias).delete(delete_alias))
}

/// Create an alias.
#[utoipa::path(post, path = "/v1/aliases", tag = "aliases", request_body = CreateAliasRequest,
    security(("bearer" = [])),
    responses((status = 201, body = AliasDto), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn create_alias(
    State(state): State<AppState>,
    auth: Auth,
    Json(req): Json<CreateAliasRequest>,
) -> ApiResult<(StatusCode, axum::Json<AliasDto>)> {
    let address = parse_address(&req.address)?;
    auth.require_domain(address.domain().as_str())?;
    if req.targets.is_empty() || req.targets.len() > MAX_TARGETS {
        return Err(ApiError::unprocessable(format!(
            "targets must list 1 to {MAX_TARGETS} accounts"
        )));
    }
    let mut targets = Vec::with_capacity(req.targets.len());
    for t in &req.targets {
        let target = parse_address(t)?;
        // A domain admin routes mail only within its own domain.
        auth.require_domain(target.domain().as_str())?;
        targets.push(target);
    }
    let alias = state.store.create_alias(&address, &targets).await?;
    Ok((StatusCode::CREATED, axum::Json(alias.into())))
}

/// List aliases.
#[utoipa::path(get, path = "/v1/aliases", tag = "aliases", params(ListQuery),
    security(("bearer" = [])),
    responses((status = 200, body = Paginated<AliasDto>), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn list_aliases(
    State(state): State<AppState>,
    auth: Auth,
    Query(q): Query<ListQuery>,
) -> ApiResult<axum::Json<Paginated<AliasDto>>> {
    let limit = page_limit(q.limit)?;
    super::check_cursor(q.cursor.as_deref(), false)?;
    if auth.role() == Role::User {
        return Err(ApiError::forbidden("a user token cannot list aliases"));
    }
    let domain = match super::domain_filter(&auth, q.domain.as_deref())? {
        super::Filter::Nothing => return Ok(super::empty_page()),
        super::Filter::Only(d) => Some(d),
        super::Filter::All => auth.domain_scope().map(path_domain).transpose()?,
    };
    let page = state
        .store
        .list_aliases(domain.as_ref(), q.cursor.as_deref(), limit)
        .await?;
    Ok(axum::Json(Paginated::from_page(page, AliasDto::from)))
}

/// One alias.
#[utoipa::path(get, path = "/v1/aliases/{address}", tag = "aliases",
    params(("address" = String, Path, description = "Alias address")),
    security(("bearer" = [])),
    responses((status = 200, body = AliasDto), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn get_alias(
    State(state): State<AppState>,
    auth: Auth,
    Path(address): Path<String>,
) -> ApiResult<axum::Json<AliasDto>> {
    let address = path_address(&address)?;
    auth.require_domain(address.domain().as_str())?;
    Ok(axum::Json(state.store.alias(&address).await?.into()))
}

/// Delete an alias.
#[utoipa::path(delete, path = "/v1/aliases/{address}", tag = "aliases",
    params(("address" = String, Path, description = "Alias address")),
    security(("bearer" = [])),
    responses((status = 204, description = "Deleted"), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn delete_alias(
    State(state): State<AppState>,
    auth: Auth,
    Path(address): Path<String>,
) -> ApiResult<StatusCode> {
    let address = path_address(&address)?;
    auth.require_domain(address.domain().as_str())?;
    state.store.delete_alias(&address).await?;
    Ok(StatusCode::NO_CONTENT)
}
