//! Failed logins. Every protocol reports failures here (through
//! [`super::login::login`]); for now they are logged. Recording, admin
//! notification and IP blocking build on this one function.

use std::net::IpAddr;

use super::login::Protocol;
use crate::app::AppState;

pub async fn record(
    _state: &AppState,
    protocol: Protocol,
    ip: IpAddr,
    username: &str,
    reason: &str,
) {
    tracing::info!(protocol = protocol.as_str(), %ip, username, reason, "login failed");
}
