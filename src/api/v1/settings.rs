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
use crate::screening::relay::{IpShieldSettings, RelaySettings};

const NOTIFICATIONS: &str = "notifications";
pub const RELAY: &str = "relay";
pub const IP_SHIELD: &str = "ip-shield";
const MAX_ADMIN_ADDRESSES: usize = 50;

/// Who receives the server's notification emails (frozen accounts, failed
/// logins, blocked IPs).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NotificationSettings {
    pub admin_addresses: Vec<String>,
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/settings/notifications",
            get(get_notifications).put(put_notifications),
        )
        .route("/settings/relay", get(get_relay).put(put_relay))
        .route("/settings/ip-shield", get(get_ip_shield).put(put_ip_shield))
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

/// Relay control and sender rules.
#[utoipa::path(get, path = "/v1/settings/relay", tag = "settings",
    security(("bearer" = [])),
    responses((status = 200, body = RelaySettings), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn get_relay(
    State(state): State<AppState>,
    auth: Auth,
) -> ApiResult<axum::Json<RelaySettings>> {
    auth.require_admin()?;
    Ok(axum::Json(state.store.setting(RELAY).await?))
}

/// Replace relay control and sender rules. Every SMTP session started after
/// this uses the new settings.
#[utoipa::path(put, path = "/v1/settings/relay", tag = "settings", request_body = RelaySettings,
    security(("bearer" = [])),
    responses((status = 200, body = RelaySettings), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn put_relay(
    State(state): State<AppState>,
    auth: Auth,
    Json(req): Json<RelaySettings>,
) -> ApiResult<axum::Json<RelaySettings>> {
    auth.require_admin()?;
    let mut settings = req;
    settings.trusted_networks = settings
        .trusted_networks
        .iter()
        .map(|n| n.trunc())
        .collect();
    settings.trusted_networks.dedup();
    state.store.put_setting(RELAY, &settings).await?;
    Ok(axum::Json(settings))
}

/// The IP shield: domains whose mail may come only from listed networks.
#[utoipa::path(get, path = "/v1/settings/ip-shield", tag = "settings",
    security(("bearer" = [])),
    responses((status = 200, body = IpShieldSettings), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn get_ip_shield(
    State(state): State<AppState>,
    auth: Auth,
) -> ApiResult<axum::Json<IpShieldSettings>> {
    auth.require_admin()?;
    Ok(axum::Json(state.store.setting(IP_SHIELD).await?))
}

/// Replace the IP shield.
#[utoipa::path(put, path = "/v1/settings/ip-shield", tag = "settings", request_body = IpShieldSettings,
    security(("bearer" = [])),
    responses((status = 200, body = IpShieldSettings), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn put_ip_shield(
    State(state): State<AppState>,
    auth: Auth,
    Json(req): Json<IpShieldSettings>,
) -> ApiResult<axum::Json<IpShieldSettings>> {
    auth.require_admin()?;
    let mut settings = req;
    for entry in &mut settings.entries {
        entry.domain = super::parse_domain(&entry.domain)?.to_string();
        if entry.networks.is_empty() {
            return Err(ApiError::unprocessable(format!(
                "ip-shield entry {} lists no networks",
                entry.domain
            )));
        }
        entry.networks = entry.networks.iter().map(|n| n.trunc()).collect();
    }
    state.store.put_setting(IP_SHIELD, &settings).await?;
    Ok(axum::Json(settings))
}
