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

/// What a list's filter names. Filters are lenient: an empty value is no
/// filter, and for an admin a value that cannot be a name is a filter no
/// row matches (an empty page, not an error); other roles may only name
/// what they may see.
pub(crate) enum Filter<T> {
    All,
    Only(T),
    Nothing,
}

/// `?domain=` on a list.
pub(crate) fn domain_filter(
    auth: &crate::api::extract::Auth,
    raw: Option<&str>,
) -> ApiResult<Filter<Domain>> {
    filter(
        auth,
        raw,
        Domain::parse,
        |d| auth.require_domain(d.as_str()),
        "domain",
    )
}

/// `?account=` on a list: the address as stored (`EmailAddress` display).
pub(crate) fn account_filter(
    auth: &crate::api::extract::Auth,
    raw: Option<&str>,
) -> ApiResult<Filter<EmailAddress>> {
    filter(
        auth,
        raw,
        EmailAddress::parse,
        |a| auth.require_account(a),
        "account",
    )
}

/// One filter value: parsed, then checked against what the token may see.
fn filter<T>(
    auth: &crate::api::extract::Auth,
    raw: Option<&str>,
    parse: impl Fn(&str) -> Result<T, crate::address::AddressError>,
    allowed: impl Fn(&T) -> ApiResult<()>,
    name: &str,
) -> ApiResult<Filter<T>> {
    let Some(raw) = raw.map(str::trim).filter(|r| !r.is_empty()) else {
        return Ok(Filter::All);
    };
    match parse(raw) {
        Ok(value) => {
            allowed(&value)?;
            Ok(Filter::Only(value))
        }
        Err(_) if auth.role() == crate::auth::token::Role::Admin => Ok(Filter::Nothing),
        Err(e) => Err(ApiError::forbidden(format!("{name}: {e}"))),
    }
}

/// Checks a list's cursor before anything else answers (an empty page for
/// a filter that matches nothing still refuses a cursor this server could
/// not have issued). `ids`: a list paged by numeric id.
pub(crate) fn check_cursor(cursor: Option<&str>, ids: bool) -> ApiResult<()> {
    let Some(c) = cursor.filter(|c| !c.is_empty()) else {
        return Ok(());
    };
    let valid = if ids {
        crate::store::decode_id_cursor(c).is_ok()
    } else {
        crate::store::decode_cursor(c).is_ok()
    };
    if valid {
        Ok(())
    } else {
        Err(ApiError::bad_request(
            "cursor is not one this server issued",
        ))
    }
}

/// An empty page, for a filter that matches nothing.
pub(crate) fn empty_page<T: utoipa::ToSchema>() -> axum::Json<crate::api::Paginated<T>> {
    axum::Json(crate::api::Paginated {
        items: Vec::new(),
        next_cursor: None,
    })
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
