//! `/v1` resources, one module each.

pub mod accounts;
pub mod aliases;
pub mod attachment_links;
pub mod dkim;
pub mod dmarc_reports;
pub mod domain_dns;
pub mod domains;
pub mod events;
pub mod queue;
pub mod screening;
pub mod sender_checks;
pub mod settings;
pub mod tokens;
pub mod webhooks;

use crate::address::{Domain, EmailAddress};
use crate::api::error::{ApiError, ApiResult};

/// An address from a path or body, or a 422 that says what is wrong with it.
pub(crate) fn parse_address(input: &str) -> ApiResult<EmailAddress> {
    EmailAddress::parse(input.trim()).map_err(|e| ApiError::unprocessable(e.to_string()))
}

/// A domain from a path or body, or a 422 that says what is wrong with it.
pub(crate) fn parse_domain(input: &str) -> ApiResult<Domain> {
    Domain::parse(input.trim()).map_err(|e| ApiError::unprocessable(e.to_string()))
}

/// An address named in the URL: malformed means there is no such resource.
pub(crate) fn path_address(input: &str) -> ApiResult<EmailAddress> {
    EmailAddress::parse(input).map_err(|e| ApiError::not_found(format!("no such address: {e}")))
}

/// A domain named in the URL: malformed means there is no such resource.
pub(crate) fn path_domain(input: &str) -> ApiResult<Domain> {
    Domain::parse(input).map_err(|e| ApiError::not_found(format!("no such domain: {e}")))
}

/// For PATCH bodies: tells an absent field (`None`, keep) from `null`
/// (`Some(None)`, clear). Use with `#[serde(default, deserialize_with = ...)]`.
pub(crate) fn present<'de, T, D>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    T: serde::Deserialize<'de>,
    D: serde::Deserializer<'de>,
{
    <Option<T> as serde::Deserialize>::deserialize(d).map(Some)
}
