//! Extractors that turn every malformed request into a problem document:
//! JSON bodies, query strings, path segments, and the bearer token.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use super::error::{ApiError, ApiResult};
use crate::address::EmailAddress;
use crate::app::AppState;
use crate::auth::token::{Claims, Role, TokenError};
use crate::store::StoreError;
use crate::store::accounts::AccountStatus;

/// A JSON body; wrong types, unknown fields, bad syntax, a missing content
/// type and oversize bodies each get their own status.
pub struct Json<T>(pub T);

impl<S, T> FromRequest<S> for Json<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let mut value = match axum::Json::<serde_json::Value>::from_request(req, state).await {
            Ok(axum::Json(value)) => value,
            Err(rejection) => return Err(json_rejection(rejection)),
        };
        // A struct deserialises from an array too (fields by position);
        // every body this API takes is an object.
        if !value.is_object() {
            return Err(ApiError::unprocessable("the body must be a JSON object"));
        }
        integral_numbers(&mut value);
        serde_path_to_error::deserialize(value)
            .map(Self)
            .map_err(|e| {
                ApiError::unprocessable(format!(
                    "Failed to deserialize the JSON body into the target type: {e}"
                ))
            })
    }
}

/// JSON Schema counts `326.0` as an integer (a number with no fraction), so
/// a body that sends it for an integer field is valid by the document;
/// serde would refuse it for a `u32`. Such numbers become integers first
/// (within 2^53, where a double holds every integer exactly).
fn integral_numbers(value: &mut serde_json::Value) {
    const EXACT: f64 = 9_007_199_254_740_992.0;
    match value {
        serde_json::Value::Number(n) => {
            if let Some(f) = n.as_f64().filter(|_| n.is_f64())
                && f.fract() == 0.0
                && f.abs() <= EXACT
            {
                *n = if f >= 0.0 {
                    (f as u64).into()
                } else {
                    (f as i64).into()
                };
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(integral_numbers),
        serde_json::Value::Object(fields) => fields.values_mut().for_each(integral_numbers),
        _ => {}
    }
}

fn json_rejection(rejection: JsonRejection) -> ApiError {
    let status = rejection.status();
    let detail = rejection.body_text();
    match status {
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::new(
            status,
            "body-too-large",
            "request body is larger than 1 MiB",
        ),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ApiError::new(
            status,
            "unsupported-media-type",
            "send the body as JSON with `Content-Type: application/json`",
        ),
        StatusCode::UNPROCESSABLE_ENTITY => ApiError::unprocessable(detail),
        _ => ApiError::new(status, "bad-request", detail),
    }
}

/// Query parameters.
pub struct Query<T>(pub T);

impl<S, T> FromRequestParts<S> for Query<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| Self(q.0))
            .map_err(|r: QueryRejection| ApiError::bad_request(r.body_text()))
    }
}

/// Path parameters.
pub struct Path<T>(pub T);

impl<S, T> FromRequestParts<S> for Path<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| Self(p.0))
            .map_err(|r: PathRejection| match r {
                // Named in the URL: a segment that cannot be an id names
                // nothing (as `v1::path_address` does for addresses).
                PathRejection::FailedToDeserializePathParams(e) => {
                    ApiError::not_found(format!("no such resource: {}", e.body_text()))
                }
                other => ApiError::bad_request(other.body_text()),
            })
    }
}

/// The verified caller. Extracting it answers 401 for a missing, forged or
/// expired token, and 403 for a user whose account is frozen or disabled.
#[derive(Debug, Clone)]
pub struct Auth(pub Claims);

impl FromRequestParts<AppState> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let header = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .ok_or_else(|| ApiError::unauthorized("send `Authorization: Bearer <token>`"))?;
        let token = header
            .to_str()
            .ok()
            .and_then(|h| {
                h.strip_prefix("Bearer ")
                    .or_else(|| h.strip_prefix("bearer "))
            })
            .map(str::trim)
            .ok_or_else(|| {
                ApiError::unauthorized("the Authorization header must be `Bearer <token>`")
            })?;
        let claims = match state.tokens.verify(token) {
            Ok(c) => c,
            Err(e) => {
                // A presented but bad token is a failed login on the API.
                let reason = if matches!(e, TokenError::Expired) {
                    "expired_token"
                } else {
                    "bad_token"
                };
                if let Some(axum::extract::ConnectInfo(peer)) =
                    parts
                        .extensions
                        .get::<axum::extract::ConnectInfo<crate::net::tls_listener::PeerAddr>>()
                {
                    crate::screening::auth_failures::record(
                        state,
                        crate::screening::login::Protocol::Api,
                        peer.0.ip(),
                        "",
                        reason,
                        None,
                    )
                    .await;
                }
                return Err(match e {
                    TokenError::Expired => ApiError::unauthorized("the token has expired"),
                    TokenError::Invalid => ApiError::unauthorized("the token is not valid"),
                });
            }
        };
        if claims.role == Role::User {
            let address = claims
                .account
                .as_deref()
                .and_then(|a| EmailAddress::parse(a).ok())
                .ok_or_else(|| ApiError::unauthorized("the token is not valid"))?;
            match state.store.account(&address).await {
                Ok(account) if account.status == AccountStatus::Active => {}
                Ok(account) => {
                    let status = if account.status == AccountStatus::Frozen {
                        "frozen"
                    } else {
                        "disabled"
                    };
                    return Err(ApiError::forbidden(format!(
                        "account {} is {status}",
                        account.address
                    )));
                }
                Err(StoreError::NotFound(_)) => {
                    return Err(ApiError::unauthorized(
                        "the token's account no longer exists",
                    ));
                }
                Err(e) => return Err(e.into()),
            }
        }
        Ok(Self(claims))
    }
}

impl Auth {
    pub fn role(&self) -> Role {
        self.0.role
    }

    pub fn require_admin(&self) -> ApiResult<()> {
        match self.0.role {
            Role::Admin => Ok(()),
            _ => Err(ApiError::forbidden("this needs an admin token")),
        }
    }

    /// Admins, and the domain admin of `domain`.
    pub fn require_domain(&self, domain: &str) -> ApiResult<()> {
        match self.0.role {
            Role::Admin => Ok(()),
            Role::DomainAdmin if self.0.domain.as_deref() == Some(domain) => Ok(()),
            _ => Err(ApiError::forbidden(format!(
                "this token may not manage domain {domain}"
            ))),
        }
    }

    /// Admins, the domain admin of the account's domain, and the account itself.
    pub fn require_account(&self, address: &EmailAddress) -> ApiResult<()> {
        if self.0.role == Role::User {
            let own = self
                .0
                .account
                .as_deref()
                .and_then(|a| EmailAddress::parse(a).ok());
            if own.is_some_and(|own| own.key() == address.key()) {
                return Ok(());
            }
            return Err(ApiError::forbidden(format!(
                "this token may not act for {address}"
            )));
        }
        self.require_domain(address.domain().as_str())
    }

    /// The one domain this token is confined to, if any.
    pub fn domain_scope(&self) -> Option<&str> {
        match self.0.role {
            Role::Admin => None,
            _ => self.0.domain.as_deref(),
        }
    }
}
