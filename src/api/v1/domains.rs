//! `/v1/domains`: the domains this server receives mail for.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{parse_domain, path_domain};
use crate::api::error::{ApiError, ApiResult, Problem};
use crate::api::extract::{Auth, Json, Path, Query};
use crate::api::{Paginated, page_limit};
use crate::app::AppState;
use crate::store::domains::{DeleteDomain, DomainRecord};
use crate::store::from_ms;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateDomainRequest {
    /// The domain name; stored in lower case.
    #[schema(
        max_length = 253,
        pattern = "^([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\\.)*[A-Za-z]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\\.?$"
    )]
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DomainDto {
    pub name: String,
    pub account_count: i64,
    pub created_at: DateTime<Utc>,
}

impl From<DomainRecord> for DomainDto {
    fn from(d: DomainRecord) -> Self {
        Self {
            name: d.name,
            account_count: d.account_count,
            created_at: from_ms(d.created_at_ms),
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Page size, 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    #[param(pattern = "^[A-Za-z0-9_-]{0,1024}$")]
    pub cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeleteQuery {
    /// Also delete the domain's accounts and aliases.
    #[serde(default)]
    pub force: bool,
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/domains", get(list_domains).post(create_domain))
        .route("/domains/{name}", get(get_domain).delete(delete_domain))
}

/// Add a local domain.
#[utoipa::path(post, path = "/v1/domains", tag = "domains", request_body = CreateDomainRequest,
    security(("bearer" = [])),
    responses((status = 201, body = DomainDto), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn create_domain(
    State(state): State<AppState>,
    auth: Auth,
    Json(req): Json<CreateDomainRequest>,
) -> ApiResult<(StatusCode, axum::Json<DomainDto>)> {
    auth.require_admin()?;
    let name = parse_domain(&req.name)?;
    let domain = state.store.create_domain(&name).await?;
    tracing::info!(domain = %domain.name, "domain created");
    Ok((StatusCode::CREATED, axum::Json(domain.into())))
}

/// List local domains (a domain admin sees its own).
#[utoipa::path(get, path = "/v1/domains", tag = "domains", params(ListQuery),
    security(("bearer" = [])),
    responses((status = 200, body = Paginated<DomainDto>), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn list_domains(
    State(state): State<AppState>,
    auth: Auth,
    Query(q): Query<ListQuery>,
) -> ApiResult<axum::Json<Paginated<DomainDto>>> {
    let limit = page_limit(q.limit)?;
    match auth.role() {
        crate::auth::token::Role::Admin => {
            let page = state.store.list_domains(q.cursor.as_deref(), limit).await?;
            Ok(axum::Json(Paginated::from_page(page, DomainDto::from)))
        }
        crate::auth::token::Role::DomainAdmin => {
            let own = auth.domain_scope().map(path_domain).transpose()?;
            let items = match (own, q.cursor) {
                (Some(d), None) => vec![state.store.domain(&d).await?.into()],
                _ => Vec::new(),
            };
            Ok(axum::Json(Paginated {
                items,
                next_cursor: None,
            }))
        }
        crate::auth::token::Role::User => {
            Err(ApiError::forbidden("a user token cannot list domains"))
        }
    }
}

/// One domain.
#[utoipa::path(get, path = "/v1/domains/{name}", tag = "domains",
    params(("name" = String, Path, description = "Domain name")),
    security(("bearer" = [])),
    responses((status = 200, body = DomainDto), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn get_domain(
    State(state): State<AppState>,
    auth: Auth,
    Path(name): Path<String>,
) -> ApiResult<axum::Json<DomainDto>> {
    let name = path_domain(&name)?;
    auth.require_domain(name.as_str())?;
    Ok(axum::Json(state.store.domain(&name).await?.into()))
}

/// Delete a domain. Refused with 409 while it has accounts, unless `force=true`.
#[utoipa::path(delete, path = "/v1/domains/{name}", tag = "domains",
    params(("name" = String, Path, description = "Domain name"), DeleteQuery),
    security(("bearer" = [])),
    responses((status = 204, description = "Deleted"), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem, description = "The domain still has accounts")))]
pub async fn delete_domain(
    State(state): State<AppState>,
    auth: Auth,
    Path(name): Path<String>,
    Query(q): Query<DeleteQuery>,
) -> ApiResult<StatusCode> {
    auth.require_admin()?;
    let name = path_domain(&name)?;
    match state.store.delete_domain(&name, q.force).await? {
        DeleteDomain::Deleted { accounts_deleted } => {
            tracing::info!(domain = %name, accounts_deleted, "domain deleted");
            Ok(StatusCode::NO_CONTENT)
        }
        DeleteDomain::HasAccounts(n) => Err(ApiError::conflict(format!(
            "domain {name} has {n} account(s); delete them first or pass force=true"
        ))),
    }
}
