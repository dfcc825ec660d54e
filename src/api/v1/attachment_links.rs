//! `/v1/attachment-links`: links that replaced attachments, and their
//! revocation; `/v1/settings/attachment-linking`.

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::address::EmailAddress;
use crate::api::error::{ApiError, ApiResult, Problem};
use crate::api::extract::{Auth, Json, Path, Query};
use crate::api::{Paginated, page_limit};
use crate::app::AppState;
use crate::attachments::{LinkingSettings, SETTING};
use crate::auth::token::Role;
use crate::store::attachments::AttachmentLink;
use crate::store::from_ms;

#[derive(Debug, Serialize, ToSchema)]
pub struct AttachmentLinkDto {
    pub id: i64,
    pub account: String,
    pub file_name: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    /// The download link sent in place of the attachment.
    pub url: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub downloads: i64,
    pub last_download_at: Option<DateTime<Utc>>,
}

fn dto(state: &AppState, l: AttachmentLink) -> AttachmentLinkDto {
    AttachmentLinkDto {
        url: format!("{}/attachments/{}", state.config.public_url(), l.token),
        id: l.id,
        account: l.account,
        file_name: l.file_name,
        content_type: l.content_type,
        size: l.size,
        sha256: l.sha256,
        created_at: from_ms(l.created_at_ms),
        expires_at: from_ms(l.expires_at_ms),
        revoked_at: l.revoked_at_ms.map(from_ms),
        downloads: l.downloads,
        last_download_at: l.last_download_at_ms.map(from_ms),
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LinkQuery {
    /// Only this account's links (a user token sees only its own).
    pub account: Option<String>,
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    #[param(pattern = "^[0-9]{0,18}$")]
    pub cursor: Option<String>,
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/attachment-links", get(list_links))
        .route("/attachment-links/{id}", get(get_link).delete(revoke_link))
        .route(
            "/settings/attachment-linking",
            get(get_settings).put(put_settings),
        )
}

/// Links, newest first.
#[utoipa::path(get, path = "/v1/attachment-links", tag = "attachments", params(LinkQuery), security(("bearer" = [])),
    responses((status = 200, body = Paginated<AttachmentLinkDto>), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn list_links(
    State(state): State<AppState>,
    auth: Auth,
    Query(q): Query<LinkQuery>,
) -> ApiResult<axum::Json<Paginated<AttachmentLinkDto>>> {
    let limit = page_limit(q.limit)?;
    super::check_cursor(q.cursor.as_deref(), true)?;
    let account = match (
        super::account_filter(&auth, q.account.as_deref())?,
        auth.role(),
    ) {
        (super::Filter::Nothing, _) => return Ok(super::empty_page()),
        (super::Filter::Only(address), _) => Some(address.to_string()),
        (super::Filter::All, Role::User) => auth.0.account.clone(),
        (super::Filter::All, _) => None,
    };
    let domain = if auth.role() == Role::DomainAdmin {
        auth.domain_scope()
    } else {
        None
    };
    let page = state
        .store
        .list_attachment_links(account.as_deref(), domain, q.cursor.as_deref(), limit)
        .await?;
    let items = page.items.into_iter().map(|l| dto(&state, l)).collect();
    Ok(axum::Json(Paginated {
        items,
        next_cursor: page.next_cursor,
    }))
}

async fn visible(state: &AppState, auth: &Auth, id: i64) -> ApiResult<AttachmentLink> {
    let link = state.store.attachment_link(id).await?;
    let owner = EmailAddress::parse(&link.account).map_err(ApiError::internal)?;
    auth.require_account(&owner)
        .map_err(|_| ApiError::not_found(format!("attachment link {id} not found")))?;
    Ok(link)
}

/// One link.
#[utoipa::path(get, path = "/v1/attachment-links/{id}", tag = "attachments",
    params(("id" = i64, Path, description = "Link id")), security(("bearer" = [])),
    responses((status = 200, body = AttachmentLinkDto), (status = 401, body = Problem), (status = 404, body = Problem)))]
pub async fn get_link(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
) -> ApiResult<axum::Json<AttachmentLinkDto>> {
    let link = visible(&state, &auth, id).await?;
    Ok(axum::Json(dto(&state, link)))
}

/// Revoke a link: downloads answer 410 from now on.
#[utoipa::path(delete, path = "/v1/attachment-links/{id}", tag = "attachments",
    params(("id" = i64, Path, description = "Link id")), security(("bearer" = [])),
    responses((status = 200, body = AttachmentLinkDto), (status = 401, body = Problem), (status = 404, body = Problem)))]
pub async fn revoke_link(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
) -> ApiResult<axum::Json<AttachmentLinkDto>> {
    visible(&state, &auth, id).await?;
    let link = state.store.revoke_attachment_link(id).await?;
    Ok(axum::Json(dto(&state, link)))
}

/// The server-wide switch and the default for new accounts.
#[utoipa::path(get, path = "/v1/settings/attachment-linking", tag = "settings", security(("bearer" = [])),
    responses((status = 200, body = LinkingSettings), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn get_settings(
    State(state): State<AppState>,
    auth: Auth,
) -> ApiResult<axum::Json<LinkingSettings>> {
    auth.require_admin()?;
    Ok(axum::Json(state.store.setting(SETTING).await?))
}

/// Replace the attachment-linking settings.
#[utoipa::path(put, path = "/v1/settings/attachment-linking", tag = "settings", request_body = LinkingSettings, security(("bearer" = [])),
    responses((status = 200, body = LinkingSettings), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn put_settings(
    State(state): State<AppState>,
    auth: Auth,
    Json(req): Json<LinkingSettings>,
) -> ApiResult<axum::Json<LinkingSettings>> {
    auth.require_admin()?;
    // The same bounds as an account's own (PATCH would refuse what new
    // accounts inherit otherwise).
    super::accounts::check_linking(&Some(req.new_account_default))?;
    state.store.put_setting(SETTING, &req).await?;
    Ok(axum::Json(req))
}
