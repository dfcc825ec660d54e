//! API tokens: short-lived HS256 JWTs signed with the cluster's key.

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

const ISSUER: &str = "rampart";

/// Who a token speaks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// Everything.
    Admin,
    /// One domain's accounts and data.
    DomainAdmin,
    /// One account: its own events and attachment links.
    User,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::DomainAdmin => "domain-admin",
            Self::User => "user",
        }
    }
}

/// The signed claims. `domain` is set for domain admins and users, `account`
/// for users.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    pub sub: String,
    pub role: Role,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    pub iat: i64,
    pub exp: i64,
    pub jti: String,
}

/// Signs and verifies tokens with the shared secret.
#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
}

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("token has expired")]
    Expired,
    #[error("token is not valid")]
    Invalid,
}

impl TokenKeys {
    pub fn from_secret(secret: &[u8]) -> Self {
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
        }
    }

    /// Mints a token for `role`, valid `ttl_seconds` from now.
    pub fn mint(
        &self,
        role: Role,
        domain: Option<String>,
        account: Option<String>,
        ttl_seconds: u64,
    ) -> anyhow::Result<(String, Claims)> {
        let now = chrono::Utc::now().timestamp();
        let mut jti = [0u8; 16];
        rand::rngs::OsRng.fill_bytes(&mut jti);
        let sub = match (&account, &domain) {
            (Some(a), _) => a.clone(),
            (None, Some(d)) => d.clone(),
            (None, None) => "admin".into(),
        };
        let claims = Claims {
            iss: ISSUER.into(),
            sub,
            role,
            domain,
            account,
            iat: now,
            exp: now.saturating_add(i64::try_from(ttl_seconds).unwrap_or(i64::MAX)),
            jti: jti.iter().map(|b| format!("{b:02x}")).collect(),
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)?;
        Ok((token, claims))
    }

    pub fn verify(&self, token: &str) -> Result<Claims, TokenError> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_required_spec_claims(&["exp", "iss", "sub"]);
        validation.leeway = 0;
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &validation)
            .map(|data| data.claims)
            .map_err(|e| match e.kind() {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => TokenError::Expired,
                _ => TokenError::Invalid,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roundtrip_and_forgery() {
        let keys = TokenKeys::from_secret(b"0123456789abcdef0123456789abcdef");
        let (token, claims) = keys
            .mint(
                Role::User,
                Some("example.test".into()),
                Some("a@example.test".into()),
                60,
            )
            .unwrap();
        assert_eq!(keys.verify(&token).unwrap(), claims);
        let other = TokenKeys::from_secret(b"another secret, another cluster!");
        assert!(matches!(other.verify(&token), Err(TokenError::Invalid)));
        let (expired, _) = keys.mint(Role::Admin, None, None, 0).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(1100));
        assert!(matches!(keys.verify(&expired), Err(TokenError::Expired)));
    }
}
