//! Failed logins (dynamic screening). Every protocol reports failures here
//! through [`super::login::login`] (and the API through its token check):
//! each becomes a record, a log line and an `auth.failed` event; an IP with
//! too many failures in the window is blocked everywhere; admins hear of
//! an account under attack and of each block.

use std::net::IpAddr;

use hmac::{Hmac, Mac};
use ipnet::IpNet;
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use utoipa::ToSchema;

use super::login::Protocol;
use super::relay::{RelaySettings, canonical};
use crate::app::AppState;
use crate::store::now_ms;

pub const SETTING: &str = "auth-failure-screening";

/// `/v1/settings/auth-failure-screening`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScreeningSettings {
    /// Block IPs (failures are recorded either way).
    pub enabled: bool,
    #[schema(minimum = 1, maximum = 1000000)]
    pub max_failures: u32,
    #[schema(minimum = 1, maximum = 2592000)]
    pub window_seconds: u32,
    /// First block; a repeat offender's next block lasts twice as long.
    #[schema(minimum = 1, maximum = 31536000)]
    pub block_seconds: u32,
    /// Email the admins when one account reaches this many failures in the window.
    #[schema(minimum = 1, maximum = 1000000)]
    pub notify_after_failures: u32,
    /// The same wrong password for the same user from the same IP counts once
    /// (a client retrying a stale password is not an attacker).
    pub ignore_repeated_password: bool,
    /// Networks never blocked (trusted networks never are either).
    #[serde(default)]
    #[schema(value_type = Vec<String>)]
    pub never_block: Vec<IpNet>,
}

impl Default for ScreeningSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            max_failures: 10,
            window_seconds: 600,
            block_seconds: 3600,
            notify_after_failures: 5,
            ignore_repeated_password: true,
            never_block: Vec::new(),
        }
    }
}

/// A keyed hash of one attempt (IP, user, password): equal attempts match,
/// and nothing about the password can be read back from it.
fn attempt_key(state: &AppState, ip: IpAddr, username: &str, secret: &str) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(&state.attempt_key).expect("HMAC takes any key length");
    mac.update(format!("{ip}\0{}\0{secret}", username.to_lowercase()).as_bytes());
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Records one failed login and acts on it.
pub async fn record(
    state: &AppState,
    protocol: Protocol,
    ip: IpAddr,
    username: &str,
    reason: &str,
    secret: Option<&str>,
) {
    let ip = canonical(ip);
    tracing::warn!(protocol = protocol.as_str(), %ip, username, reason, "login failed");
    let settings: ScreeningSettings = state.store.setting(SETTING).await.unwrap_or_default();
    let key = secret
        .filter(|_| settings.ignore_repeated_password)
        .map(|s| attempt_key(state, ip, username, s));
    let event_id = match state
        .store
        .record_auth_failure(
            &ip.to_string(),
            protocol.as_str(),
            username,
            reason,
            key.as_deref(),
        )
        .await
    {
        Ok(id) => id,
        Err(e) => {
            tracing::error!(error = %e, "recording a failed login failed");
            return;
        }
    };
    let now = now_ms();
    let since = now - i64::from(settings.window_seconds) * 1000;
    if !username.is_empty()
        && let Ok(n) = state.store.user_failures(username, since).await
        && n == i64::from(settings.notify_after_failures)
    {
        // Exactly at the threshold: once per window, not once per failure.
        let data = serde_json::json!({
            "username": username, "failures": n, "window_seconds": settings.window_seconds,
            "last_ip": ip.to_string(), "last_protocol": protocol.as_str(),
        });
        if let Err(e) = state
            .store
            .notify_admins(event_id, "auth.failures", Some(username), &data)
            .await
        {
            tracing::warn!(error = %e, "queueing the failed-login notification failed");
        }
    }
    if !settings.enabled || exempt(state, &settings, ip).await {
        return;
    }
    let failures = match state
        .store
        .ip_failures(&ip.to_string(), since, settings.ignore_repeated_password)
        .await
    {
        Ok(n) => n,
        Err(e) => {
            tracing::error!(error = %e, "counting failed logins failed");
            return;
        }
    };
    if failures >= i64::from(settings.max_failures) && !state.blocks.is_blocked(ip) {
        let reason = format!("{failures} failed logins in {} s", settings.window_seconds);
        match state
            .store
            .block_network(
                &IpNet::from(ip).to_string(),
                i64::from(settings.block_seconds),
                &reason,
                false,
            )
            .await
        {
            Ok(block) => {
                tracing::warn!(%ip, until = block.until_ms, offenses = block.offenses, "IP blocked");
                state.blocks.refresh(&state.store).await;
            }
            Err(e) => tracing::error!(error = %e, "blocking an IP failed"),
        }
    }
}

async fn exempt(state: &AppState, settings: &ScreeningSettings, ip: IpAddr) -> bool {
    if settings.never_block.iter().any(|n| n.contains(&ip)) {
        return true;
    }
    let relay: RelaySettings = state
        .store
        .setting(crate::api::v1::settings::RELAY)
        .await
        .unwrap_or_default();
    relay.is_trusted(ip)
}
