//! `/v1/queue`: the outbound queue, one entry per remote recipient.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::error::{ApiError, ApiResult, Problem};
use crate::api::extract::{Auth, Path, Query};
use crate::api::{Paginated, page_limit};
use crate::app::AppState;
use crate::store::from_ms;
use crate::store::queue::{QueueFilter, QueuedRecipient};

#[derive(Debug, Serialize, ToSchema)]
pub struct QueueEntryDto {
    pub id: i64,
    /// Our id for the message (in its Received: header).
    pub message_id: String,
    /// Envelope sender; empty for bounces.
    pub sender: String,
    pub recipient: String,
    pub domain: String,
    /// `scheduled`, `in_flight`, `deferred`, `delivered` or `bounced`.
    pub status: String,
    pub attempts: i64,
    pub next_attempt_at: DateTime<Utc>,
    pub last_reply: Option<String>,
    pub remote_host: Option<String>,
    pub size: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<QueuedRecipient> for QueueEntryDto {
    fn from(q: QueuedRecipient) -> Self {
        Self {
            id: q.id,
            message_id: q.queue_id,
            sender: q.sender,
            recipient: q.recipient,
            domain: q.domain,
            status: q.status,
            attempts: q.attempts,
            next_attempt_at: from_ms(q.next_attempt_at_ms),
            last_reply: q.last_reply,
            remote_host: q.remote_host,
            size: q.size,
            created_at: from_ms(q.created_at_ms),
            updated_at: from_ms(q.updated_at_ms),
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct QueueQuery {
    /// Only entries in this state.
    pub state: Option<String>,
    /// Only entries for this recipient domain.
    pub domain: Option<String>,
    /// Only entries with this envelope sender.
    pub sender: Option<String>,
    /// Page size, 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

const STATES: [&str; 5] = ["scheduled", "in_flight", "deferred", "delivered", "bounced"];

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/queue", get(list_queue))
        .route("/queue/{id}", get(get_entry).delete(delete_entry))
        .route("/queue/{id}/retry", post(retry_entry))
}

/// The outbound queue, newest first.
#[utoipa::path(get, path = "/v1/queue", tag = "queue", params(QueueQuery),
    security(("bearer" = [])),
    responses((status = 200, body = Paginated<QueueEntryDto>), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn list_queue(
    State(state): State<AppState>,
    auth: Auth,
    Query(q): Query<QueueQuery>,
) -> ApiResult<axum::Json<Paginated<QueueEntryDto>>> {
    auth.require_admin()?;
    let limit = page_limit(q.limit)?;
    if let Some(s) = &q.state
        && !STATES.contains(&s.as_str())
    {
        return Err(ApiError::bad_request(format!(
            "state must be one of {}",
            STATES.join(", ")
        )));
    }
    let filter = QueueFilter {
        status: q.state,
        domain: q.domain.map(|d| d.to_ascii_lowercase()),
        sender: q.sender,
    };
    let page = state
        .store
        .list_queue(&filter, q.cursor.as_deref(), limit)
        .await?;
    Ok(axum::Json(Paginated::from_page(page, QueueEntryDto::from)))
}

/// One queue entry.
#[utoipa::path(get, path = "/v1/queue/{id}", tag = "queue",
    params(("id" = i64, Path, description = "Queue entry id")),
    security(("bearer" = [])),
    responses((status = 200, body = QueueEntryDto), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn get_entry(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
) -> ApiResult<axum::Json<QueueEntryDto>> {
    auth.require_admin()?;
    let entry = state
        .store
        .queue_item(id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("queue entry {id} not found")))?;
    Ok(axum::Json(entry.into()))
}

/// Remove an entry: it is not delivered and no bounce is sent.
#[utoipa::path(delete, path = "/v1/queue/{id}", tag = "queue",
    params(("id" = i64, Path, description = "Queue entry id")),
    security(("bearer" = [])),
    responses((status = 204, description = "Removed"), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn delete_entry(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    auth.require_admin()?;
    state.store.delete_queue_item(id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Try a waiting entry now.
#[utoipa::path(post, path = "/v1/queue/{id}/retry", tag = "queue",
    params(("id" = i64, Path, description = "Queue entry id")),
    security(("bearer" = [])),
    responses((status = 200, body = QueueEntryDto), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem, description = "Already delivered or bounced")))]
pub async fn retry_entry(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
) -> ApiResult<axum::Json<QueueEntryDto>> {
    auth.require_admin()?;
    Ok(axum::Json(state.store.retry_queue_item(id).await?.into()))
}
