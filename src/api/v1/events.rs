//! `GET /v1/events`: the event log, oldest first, filtered and paginated.

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::path_domain;
use crate::api::error::{ApiError, ApiResult, Problem};
use crate::api::extract::{Auth, Query};
use crate::api::{Paginated, page_limit};
use crate::app::AppState;
use crate::auth::token::Role;
use crate::events::{Event, EventType};
use crate::store::events::EventFilter;
use crate::store::from_ms;

#[derive(Debug, Serialize, ToSchema)]
pub struct EventDto {
    /// Position in the log; strictly increasing.
    pub id: i64,
    #[serde(rename = "type")]
    #[schema(value_type = EventType)]
    pub kind: String,
    pub timestamp: DateTime<Utc>,
    pub account: Option<String>,
    pub domain: Option<String>,
    /// Type-specific details.
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
}

impl From<Event> for EventDto {
    fn from(e: Event) -> Self {
        Self {
            id: e.id,
            kind: e.kind,
            timestamp: from_ms(e.at_ms),
            account: e.account,
            domain: e.domain,
            data: e.data,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EventQuery {
    /// Only events of this type, e.g. `account.created`.
    #[serde(rename = "type")]
    #[param(rename = "type", value_type = Option<EventType>)]
    pub kind: Option<String>,
    /// Only events about this account.
    pub account: Option<String>,
    /// Only events at or after this time (RFC 3339).
    #[param(format = DateTime)]
    pub since: Option<String>,
    /// Page size, 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    #[param(pattern = "^[0-9]{0,18}$")]
    pub cursor: Option<String>,
}

pub fn router() -> Router<AppState> {
    Router::new().route("/events", get(list_events))
}

/// Events, oldest first. Domain admins see their domain's events, users their own.
#[utoipa::path(get, path = "/v1/events", tag = "events", params(EventQuery),
    security(("bearer" = [])),
    responses((status = 200, body = Paginated<EventDto>), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn list_events(
    State(state): State<AppState>,
    auth: Auth,
    Query(q): Query<EventQuery>,
) -> ApiResult<axum::Json<Paginated<EventDto>>> {
    let limit = page_limit(q.limit)?;
    super::check_cursor(q.cursor.as_deref(), true)?;
    let kind = match q.kind.as_deref() {
        None => None,
        Some(k) => Some(
            EventType::parse(k)
                .ok_or_else(|| ApiError::bad_request(format!("unknown event type {k:?}")))?
                .as_str()
                .to_string(),
        ),
    };
    let account = match super::account_filter(&auth, q.account.as_deref())? {
        super::Filter::All => None,
        super::Filter::Only(a) => Some(a.to_string()),
        super::Filter::Nothing => return Ok(super::empty_page()),
    };
    let since_ms = match q.since.as_deref() {
        None => None,
        Some(s) => Some(
            DateTime::parse_from_rfc3339(s)
                .map_err(|_| {
                    ApiError::bad_request(format!("since: {s:?} is not an RFC 3339 time"))
                })?
                .timestamp_millis(),
        ),
    };
    let mut filter = EventFilter {
        kind,
        account,
        domain: None,
        since_ms,
    };
    match auth.role() {
        Role::Admin => {}
        Role::DomainAdmin => {
            filter.domain = auth
                .domain_scope()
                .map(|d| path_domain(d).map(|d| d.to_string()))
                .transpose()?
        }
        Role::User => filter.account = auth.0.account.clone(),
    }
    let page = state
        .store
        .list_events(&filter, q.cursor.as_deref(), limit)
        .await?;
    Ok(axum::Json(Paginated::from_page(page, EventDto::from)))
}
