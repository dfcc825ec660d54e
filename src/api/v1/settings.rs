//! `/v1/settings/*`: cluster-wide settings, each a whole document that GET
//! returns and PUT replaces.

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::parse_address;
use crate::api::error::{ApiError, ApiResult, Problem};
use crate::api::extract::{Auth, Json};
use crate::app::AppState;

const NOTIFICATIONS: &str = "notifications";
const MAX_ADMIN_ADDRESSES: usize = 50;

/// Who receives the server's notification emails (frozen accounts, failed
/// logins, blocked IPs).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NotificationSettings {
    pub admin_addresses: Vec<String>,
}

pub fn router() -> Router<AppState> {
    Router::new().route(
        "/settings/notifications",
        get(get_notifications).put(put_notifications),
    )
}

/// Notification recipients.
#[utoipa::path(get, path = "/v1/settings/notifications", tag = "settings",
    security(("bearer" = [])),
    responses((status = 200, body = NotificationSettings), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn get_notifications(
    State(state): State<AppState>,
    auth: Auth,
) -> ApiResult<axum::Json<NotificationSettings>> {
    auth.require_admin()?;
    Ok(axum::Json(state.store.setting(NOTIFICATIONS).await?))
}

/// Replace the notification recipients.
#[utoipa::path(put, path = "/v1/settings/notifications", tag = "settings", request_body = NotificationSettings,
    security(("bearer" = [])),
    responses((status = 200, body = NotificationSettings), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn put_notifications(
    State(state): State<AppState>,
    auth: Auth,
    Json(req): Json<NotificationSettings>,
) -> ApiResult<axum::Json<NotificationSettings>> {
    auth.require_admin()?;
    if req.admin_addresses.len() > MAX_ADMIN_ADDRESSES {
        return Err(ApiError::unprocessable(format!(
            "at most {MAX_ADMIN_ADDRESSES} admin_addresses"
        )));
    }
    let mut addresses: Vec<String> = Vec::with_capacity(req.admin_addresses.len());
    for a in &req.admin_addresses {
        let parsed = parse_address(a)?.to_string();
        if !addresses.contains(&parsed) {
            addresses.push(parsed);
        }
    }
    let settings = NotificationSettings {
        admin_addresses: addresses,
    };
    state.store.put_setting(NOTIFICATIONS, &settings).await?;
    Ok(axum::Json(settings))
}
