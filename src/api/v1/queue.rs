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
use crate::store::queue::{self, Attempt, QueueFilter, QueuedRecipient};

#[derive(Debug, Serialize, ToSchema)]
pub struct QueueEntryDto {
    pub id: i64,
    /// Our id for the message (in its Received: header).
    pub message_id: String,
    /// Envelope sender; empty for bounces.
    pub sender: String,
    pub recipient: String,
    pub domain: String,
    /// Waiting: `scheduled`, `in_flight`, `deferred`. History: `delivered`,
    /// `bounced`, `expired` (given up after `[outbound] max_queue_seconds`).
    pub status: String,
    pub attempts: i64,
    pub next_attempt_at: DateTime<Utc>,
    pub last_reply: Option<String>,
    pub remote_host: Option<String>,
    pub size: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Every delivery attempt so far, oldest first.
    pub attempt_log: Vec<QueueAttemptDto>,
}

/// One delivery attempt.
#[derive(Debug, Serialize, ToSchema)]
pub struct QueueAttemptDto {
    pub at: DateTime<Utc>,
    /// The state the attempt left the entry in (`deferred`, `delivered`,
    /// `bounced`, `expired`).
    pub status: String,
    /// The mail host that answered; absent when none did (DNS failure,
    /// no connection).
    pub remote_host: Option<String>,
    /// Its reply, or our own reason.
    pub reply: String,
}

impl QueueEntryDto {
    fn new(q: QueuedRecipient, attempts: &[Attempt]) -> Self {
        let attempt_log = attempts
            .iter()
            .filter(|a| a.recipient_id == q.id)
            .map(|a| QueueAttemptDto {
                at: from_ms(a.at_ms),
                status: a.status.clone(),
                remote_host: a.remote_host.clone(),
                reply: a.reply.clone(),
            })
            .collect();
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
            attempt_log,
        }
    }
}

/// An entry with its attempts.
async fn entry(state: &AppState, q: QueuedRecipient) -> ApiResult<QueueEntryDto> {
    let attempts = state.store.queue_attempts(&[q.id]).await?;
    Ok(QueueEntryDto::new(q, &attempts))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct QueueQuery {
    /// Only entries in this state; without it, the waiting ones
    /// (`scheduled`, `in_flight`, `deferred`).
    pub status: Option<QueueStatus>,
    /// Former name of `status` (deprecated; `status` wins when both are
    /// given).
    pub state: Option<QueueStatus>,
    /// Only entries for this recipient domain.
    pub domain: Option<String>,
    /// Only entries with this envelope sender.
    pub sender: Option<String>,
    /// Only entries for this recipient address.
    pub recipient: Option<String>,
    /// Page size, 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    #[param(pattern = "^[0-9]{0,18}$")]
    pub cursor: Option<String>,
}

/// A queue entry's state.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum QueueStatus {
    Scheduled,
    InFlight,
    Deferred,
    Delivered,
    Bounced,
    Expired,
}

impl QueueStatus {
    fn as_str(self) -> &'static str {
        match self {
            Self::Scheduled => queue::SCHEDULED,
            Self::InFlight => queue::IN_FLIGHT,
            Self::Deferred => queue::DEFERRED,
            Self::Delivered => queue::DELIVERED,
            Self::Bounced => queue::BOUNCED,
            Self::Expired => queue::EXPIRED,
        }
    }
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/queue", get(list_queue))
        .route("/queue/{id}", get(get_entry).delete(delete_entry))
        .route("/queue/{id}/retry", post(retry_entry))
}

/// The outbound queue, newest first: what is waiting, or with `status`
/// one state, history included (kept `[outbound] history_days`).
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
    let filter = QueueFilter {
        status: q.status.or(q.state).map(|s| s.as_str().to_string()),
        domain: q.domain.map(|d| d.to_ascii_lowercase()),
        sender: q.sender,
        recipient: q.recipient,
    };
    let page = state
        .store
        .list_queue(&filter, q.cursor.as_deref(), limit)
        .await?;
    let ids: Vec<i64> = page.items.iter().map(|q| q.id).collect();
    let attempts = state.store.queue_attempts(&ids).await?;
    Ok(axum::Json(Paginated::from_page(page, |q| {
        QueueEntryDto::new(q, &attempts)
    })))
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
    let found = state
        .store
        .queue_item(id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("queue entry {id} not found")))?;
    Ok(axum::Json(entry(&state, found).await?))
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
        (status = 404, body = Problem), (status = 409, body = Problem, description = "Already delivered, bounced or expired")))]
pub async fn retry_entry(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
) -> ApiResult<axum::Json<QueueEntryDto>> {
    auth.require_admin()?;
    let retried = state.store.retry_queue_item(id).await?;
    Ok(axum::Json(entry(&state, retried).await?))
}
