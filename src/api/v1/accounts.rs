//! `/v1/accounts`: mailboxes, their limits, and freezing.

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{parse_address, path_address, path_domain};
use crate::api::error::{ApiError, ApiResult, Problem};
use crate::api::extract::{Auth, Json, Path, Query};
use crate::api::{Paginated, page_limit};
use crate::app::AppState;
use crate::auth::password;
use crate::auth::token::Role;
use crate::store::accounts::{
    Account, AccountChanges, AccountStatus, AttachmentLinking, NewAccount, SendingLimit,
};
use crate::store::from_ms;

const MAX_DISPLAY_NAME: usize = 256;
const MAX_WINDOW_SECONDS: u32 = 30 * 24 * 3600;
const MAX_EXPIRY_DAYS: u32 = 3650;

#[derive(Debug, Serialize, ToSchema)]
pub struct AccountDto {
    pub address: String,
    pub domain: String,
    pub display_name: Option<String>,
    pub status: AccountStatus,
    pub frozen_reason: Option<String>,
    pub frozen_at: Option<DateTime<Utc>>,
    /// `null`: no quota.
    pub quota_bytes: Option<i64>,
    pub used_bytes: i64,
    /// `null`: the global hijack-detection limit applies.
    pub sending_limit: Option<SendingLimit>,
    pub attachment_linking: AttachmentLinking,
    pub created_at: DateTime<Utc>,
}

impl From<Account> for AccountDto {
    fn from(a: Account) -> Self {
        Self {
            address: a.address,
            domain: a.domain,
            display_name: a.display_name,
            status: a.status,
            frozen_reason: a.frozen_reason,
            frozen_at: a.frozen_at_ms.map(from_ms),
            quota_bytes: a.quota_bytes,
            used_bytes: a.used_bytes,
            sending_limit: a.sending_limit,
            attachment_linking: a.attachment_linking,
            created_at: from_ms(a.created_at_ms),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAccountRequest {
    /// `local@domain`; the domain must exist.
    pub address: String,
    /// At least 8 characters.
    pub password: String,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub quota_bytes: Option<u64>,
    #[serde(default)]
    pub sending_limit: Option<SendingLimit>,
    /// Defaults to off, 1 MiB, 30 days.
    #[serde(default)]
    pub attachment_linking: Option<AttachmentLinking>,
}

/// Fields to change; absent fields stay as they are, `null` clears.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateAccountRequest {
    #[serde(default)]
    pub password: Option<String>,
    #[serde(default, deserialize_with = "super::present")]
    #[schema(value_type = Option<String>)]
    pub display_name: Option<Option<String>>,
    #[serde(default, deserialize_with = "super::present")]
    #[schema(value_type = Option<u64>)]
    pub quota_bytes: Option<Option<u64>>,
    #[serde(default, deserialize_with = "super::present")]
    #[schema(value_type = Option<SendingLimit>)]
    pub sending_limit: Option<Option<SendingLimit>>,
    #[serde(default)]
    pub attachment_linking: Option<AttachmentLinking>,
    /// `frozen` and `active` have the same effect as freeze and unfreeze.
    #[serde(default)]
    pub status: Option<AccountStatus>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FreezeRequest {
    /// Why; shown to admins and recorded with the event.
    #[serde(default)]
    pub reason: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Only accounts of this domain (a domain admin sees only its own).
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
        .route("/accounts", get(list_accounts).post(create_account))
        .route(
            "/accounts/{address}",
            get(get_account)
                .patch(update_account)
                .delete(delete_account),
        )
        .route("/accounts/{address}/freeze", post(freeze_account))
        .route("/accounts/{address}/unfreeze", post(unfreeze_account))
}

fn check_display_name(name: &Option<String>) -> ApiResult<Option<String>> {
    match name {
        None => Ok(None),
        Some(n) if n.chars().count() > MAX_DISPLAY_NAME => Err(ApiError::unprocessable(format!(
            "display_name is longer than {MAX_DISPLAY_NAME} characters"
        ))),
        Some(n) if n.chars().any(char::is_control) => Err(ApiError::unprocessable(
            "display_name must not contain control characters",
        )),
        Some(n) => Ok(Some(n.trim().to_string()).filter(|n| !n.is_empty())),
    }
}

fn check_quota(quota: Option<u64>) -> ApiResult<Option<i64>> {
    quota
        .map(|q| i64::try_from(q).map_err(|_| ApiError::unprocessable("quota_bytes is too large")))
        .transpose()
}

fn check_limit(limit: &Option<SendingLimit>) -> ApiResult<()> {
    if let Some(l) = limit {
        let most = super::screening::MAX_COUNT;
        if !(1..=most).contains(&l.max_messages) {
            return Err(ApiError::unprocessable(format!(
                "sending_limit.max_messages must be between 1 and {most}"
            )));
        }
        if l.window_seconds == 0 || l.window_seconds > MAX_WINDOW_SECONDS {
            return Err(ApiError::unprocessable(format!(
                "sending_limit.window_seconds must be between 1 and {MAX_WINDOW_SECONDS}"
            )));
        }
    }
    Ok(())
}

/// Attachments this large are linked at the most (1 GiB).
const MAX_LINK_SIZE: u64 = 1 << 30;

pub(crate) fn check_linking(linking: &Option<AttachmentLinking>) -> ApiResult<()> {
    let Some(l) = linking else {
        return Ok(());
    };
    if l.expires_after_days == 0 || l.expires_after_days > MAX_EXPIRY_DAYS {
        return Err(ApiError::unprocessable(format!(
            "attachment_linking.expires_after_days must be between 1 and {MAX_EXPIRY_DAYS}"
        )));
    }
    if l.min_size_bytes > MAX_LINK_SIZE {
        return Err(ApiError::unprocessable(format!(
            "attachment_linking.min_size_bytes must be at most {MAX_LINK_SIZE}"
        )));
    }
    Ok(())
}

async fn hash_password(password: String) -> ApiResult<String> {
    password::check_policy(&password).map_err(ApiError::unprocessable)?;
    password::hash(password).await.map_err(ApiError::internal)
}

/// Create an account in a local domain.
#[utoipa::path(post, path = "/v1/accounts", tag = "accounts", request_body = CreateAccountRequest,
    security(("bearer" = [])),
    responses((status = 201, body = AccountDto), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 409, body = Problem, description = "The address is taken"), (status = 422, body = Problem)))]
pub async fn create_account(
    State(state): State<AppState>,
    auth: Auth,
    Json(req): Json<CreateAccountRequest>,
) -> ApiResult<(StatusCode, axum::Json<AccountDto>)> {
    let address = parse_address(&req.address)?;
    auth.require_domain(address.domain().as_str())?;
    let display_name = check_display_name(&req.display_name)?;
    let quota_bytes = check_quota(req.quota_bytes)?;
    check_limit(&req.sending_limit)?;
    check_linking(&req.attachment_linking)?;
    let password_hash = hash_password(req.password).await?;
    let account = state
        .store
        .create_account(NewAccount {
            address,
            password_hash,
            display_name,
            quota_bytes,
            sending_limit: req.sending_limit,
            attachment_linking: match req.attachment_linking {
                Some(l) => l,
                None => {
                    state
                        .store
                        .setting::<crate::attachments::LinkingSettings>(crate::attachments::SETTING)
                        .await?
                        .new_account_default
                }
            },
        })
        .await?;
    tracing::info!(account = %account.address, "account created");
    Ok((StatusCode::CREATED, axum::Json(account.into())))
}

/// List accounts.
#[utoipa::path(get, path = "/v1/accounts", tag = "accounts", params(ListQuery),
    security(("bearer" = [])),
    responses((status = 200, body = Paginated<AccountDto>), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn list_accounts(
    State(state): State<AppState>,
    auth: Auth,
    Query(q): Query<ListQuery>,
) -> ApiResult<axum::Json<Paginated<AccountDto>>> {
    let limit = page_limit(q.limit)?;
    super::check_cursor(q.cursor.as_deref(), false)?;
    if auth.role() == Role::User {
        return Err(ApiError::forbidden("a user token cannot list accounts"));
    }
    let domain = match super::domain_filter(&auth, q.domain.as_deref())? {
        super::Filter::Nothing => return Ok(super::empty_page()),
        super::Filter::Only(d) => Some(d),
        super::Filter::All => auth.domain_scope().map(path_domain).transpose()?,
    };
    let page = state
        .store
        .list_accounts(domain.as_ref(), q.cursor.as_deref(), limit)
        .await?;
    Ok(axum::Json(Paginated::from_page(page, AccountDto::from)))
}

/// One account.
#[utoipa::path(get, path = "/v1/accounts/{address}", tag = "accounts",
    params(("address" = String, Path, description = "Account address")),
    security(("bearer" = [])),
    responses((status = 200, body = AccountDto), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn get_account(
    State(state): State<AppState>,
    auth: Auth,
    Path(address): Path<String>,
) -> ApiResult<axum::Json<AccountDto>> {
    let address = path_address(&address)?;
    auth.require_account(&address)?;
    Ok(axum::Json(state.store.account(&address).await?.into()))
}

/// Change an account. A user may change its own password and display name.
#[utoipa::path(patch, path = "/v1/accounts/{address}", tag = "accounts", request_body = UpdateAccountRequest,
    params(("address" = String, Path, description = "Account address")),
    security(("bearer" = [])),
    responses((status = 200, body = AccountDto), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn update_account(
    State(state): State<AppState>,
    auth: Auth,
    Path(address): Path<String>,
    Json(req): Json<UpdateAccountRequest>,
) -> ApiResult<axum::Json<AccountDto>> {
    let address = path_address(&address)?;
    auth.require_account(&address)?;
    let admin_fields = req.quota_bytes.is_some()
        || req.sending_limit.is_some()
        || req.attachment_linking.is_some()
        || req.status.is_some();
    if auth.role() == Role::User && admin_fields {
        return Err(ApiError::forbidden(
            "a user may change only its password and display_name; quota, limits, linking and status need an admin",
        ));
    }
    let mut changes = AccountChanges::default();
    if let Some(name) = &req.display_name {
        changes.display_name = Some(check_display_name(name)?);
    }
    if let Some(quota) = req.quota_bytes {
        changes.quota_bytes = Some(check_quota(quota)?);
    }
    if let Some(limit) = req.sending_limit {
        check_limit(&limit)?;
        changes.sending_limit = Some(limit);
    }
    check_linking(&req.attachment_linking)?;
    changes.attachment_linking = req.attachment_linking;
    changes.status = req.status;
    if let Some(password) = req.password {
        changes.password_hash = Some(hash_password(password).await?);
    }
    let account = state.store.update_account(&address, changes).await?;
    if account.status != crate::store::accounts::AccountStatus::Active {
        state.access.kick(account.id);
    }
    Ok(axum::Json(account.into()))
}

/// Delete an account and its mail.
#[utoipa::path(delete, path = "/v1/accounts/{address}", tag = "accounts",
    params(("address" = String, Path, description = "Account address")),
    security(("bearer" = [])),
    responses((status = 204, description = "Deleted"), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn delete_account(
    State(state): State<AppState>,
    auth: Auth,
    Path(address): Path<String>,
) -> ApiResult<StatusCode> {
    let address = path_address(&address)?;
    auth.require_domain(address.domain().as_str())?;
    state.store.delete_account(&address).await?;
    tracing::info!(account = %address, "account deleted");
    Ok(StatusCode::NO_CONTENT)
}

/// Freeze an account: it still receives mail but can neither send nor read it.
/// The body (`{"reason": ...}`) is optional.
#[utoipa::path(post, path = "/v1/accounts/{address}/freeze", tag = "accounts", request_body(content = Option<FreezeRequest>),
    params(("address" = String, Path, description = "Account address")),
    security(("bearer" = [])),
    responses((status = 200, body = AccountDto), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem, description = "The account is disabled"), (status = 422, body = Problem)))]
pub async fn freeze_account(
    State(state): State<AppState>,
    auth: Auth,
    Path(address): Path<String>,
    body: Bytes,
) -> ApiResult<axum::Json<AccountDto>> {
    let address = path_address(&address)?;
    auth.require_domain(address.domain().as_str())?;
    let req: FreezeRequest = if body.iter().all(u8::is_ascii_whitespace) {
        FreezeRequest::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| ApiError::unprocessable(format!("body: {e}")))?
    };
    let reason =
        check_display_name(&req.reason)?.unwrap_or_else(|| "frozen by an administrator".into());
    let account = crate::screening::hijack::freeze(&state, &address, &reason, None).await?;
    tracing::info!(account = %account.address, %reason, "account frozen");
    Ok(axum::Json(account.into()))
}

/// Unfreeze a frozen account.
#[utoipa::path(post, path = "/v1/accounts/{address}/unfreeze", tag = "accounts",
    params(("address" = String, Path, description = "Account address")),
    security(("bearer" = [])),
    responses((status = 200, body = AccountDto), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem, description = "The account is disabled")))]
pub async fn unfreeze_account(
    State(state): State<AppState>,
    auth: Auth,
    Path(address): Path<String>,
) -> ApiResult<axum::Json<AccountDto>> {
    let address = path_address(&address)?;
    auth.require_domain(address.domain().as_str())?;
    let by = auth
        .0
        .account
        .clone()
        .unwrap_or_else(|| format!("{} token", auth.role().as_str()));
    let account = state.store.unfreeze_account(&address, Some(&by)).await?;
    tracing::info!(account = %account.address, "account unfrozen");
    Ok(axum::Json(account.into()))
}
