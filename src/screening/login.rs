//! The one way every protocol checks a password: the same timing whether
//! or not the account exists, the account's status revealed only to someone
//! who knows its password, and every failure reported to
//! [`super::auth_failures::record`].

use std::net::IpAddr;

use crate::address::EmailAddress;
use crate::app::AppState;
use crate::auth::password;
use crate::store::StoreError;
use crate::store::accounts::{Account, AccountStatus};

/// Where a login was attempted (the contract's auth-failure `protocol`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    Smtp,
    Submission,
    Imap,
    Pop3,
    Api,
}

impl Protocol {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Smtp => "smtp",
            Self::Submission => "submission",
            Self::Imap => "imap",
            Self::Pop3 => "pop3",
            Self::Api => "api",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginError {
    /// Unknown user or wrong password (indistinguishable on purpose).
    BadCredentials,
    /// Right password, frozen account.
    Frozen,
    /// Right password, disabled account.
    Disabled,
    /// The store failed; try again.
    Temporary,
}

impl LoginError {
    fn reason(self) -> &'static str {
        match self {
            Self::BadCredentials => "bad_credentials",
            Self::Frozen => "account_frozen",
            Self::Disabled => "account_disabled",
            Self::Temporary => "temporary",
        }
    }
}

/// A hash that never matches, checked when the user does not exist so a
/// wrong address costs as long as a wrong password.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$0lD5HC1E8W8LZy/9NCfG7pDQkVw2xq08rJ8bGJhUqJ8";

pub async fn login(
    state: &AppState,
    protocol: Protocol,
    ip: IpAddr,
    username: &str,
    secret: String,
) -> Result<Account, LoginError> {
    if state.blocks.is_blocked(ip) {
        // Connections from blocked networks are refused at accept; this
        // catches a block made while the session was already open.
        super::auth_failures::record(state, protocol, ip, username, "blocked_ip", None).await;
        return Err(LoginError::BadCredentials);
    }
    let attempt = secret.clone();
    let result = check(state, username, secret).await;
    if let Err(error) = result
        && error != LoginError::Temporary
    {
        super::auth_failures::record(
            state,
            protocol,
            ip,
            username,
            error.reason(),
            Some(&attempt),
        )
        .await;
    }
    result
}

async fn check(state: &AppState, username: &str, secret: String) -> Result<Account, LoginError> {
    let account = match EmailAddress::parse(username.trim()) {
        Ok(address) => match state.store.account(&address).await {
            Ok(a) => Some(a),
            Err(StoreError::NotFound(_)) => None,
            Err(e) => {
                tracing::error!(error = %e, "login: account lookup failed");
                return Err(LoginError::Temporary);
            }
        },
        Err(_) => None,
    };
    let hash = account
        .as_ref()
        .map(|a| a.password_hash.clone())
        .unwrap_or_else(|| DUMMY_HASH.to_string());
    let matches = match password::verify(secret, hash).await {
        Ok(m) => m,
        Err(password::Busy) => {
            tracing::warn!("login refused for now: the password-check queue is full");
            return Err(LoginError::Temporary);
        }
    };
    let Some(account) = account.filter(|_| matches) else {
        return Err(LoginError::BadCredentials);
    };
    match account.status {
        AccountStatus::Active => Ok(account),
        AccountStatus::Frozen => Err(LoginError::Frozen),
        AccountStatus::Disabled => Err(LoginError::Disabled),
    }
}
