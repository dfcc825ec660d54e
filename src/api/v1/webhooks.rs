//! `/v1/webhooks`: subscriptions to the event log, delivered as signed
//! Standard Webhooks POSTs.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::error::{ApiError, ApiResult, Problem};
use crate::api::extract::{Auth, Json, Path, Query};
use crate::api::{Paginated, page_limit};
use crate::app::AppState;
use crate::auth::token::Role;
use crate::events::EventType;
use crate::events::webhooks::{ROTATION_GRACE_MS, new_secret, resolve_target};
use crate::store::from_ms;
use crate::store::webhooks::{Attempt, Webhook, WebhookChanges};

const MAX_URL: usize = 2048;
const MAX_DESCRIPTION: usize = 512;

#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookDto {
    pub id: i64,
    pub url: String,
    /// Event types, or `"*"` for all.
    pub events: Vec<String>,
    pub description: Option<String>,
    pub enabled: bool,
    /// Why the server disabled it (an endpoint answering 410 Gone).
    pub disabled_reason: Option<String>,
    /// Set for a domain admin's subscription: only that domain's events.
    pub domain: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl From<Webhook> for WebhookDto {
    fn from(w: Webhook) -> Self {
        Self {
            id: w.id,
            url: w.url,
            events: w.events,
            description: w.description,
            enabled: w.enabled,
            disabled_reason: w.disabled_reason,
            domain: w.domain,
            created_at: from_ms(w.created_at_ms),
        }
    }
}

/// A new subscription, with its secret: shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedWebhook {
    #[serde(flatten)]
    pub webhook: WebhookDto,
    /// `whsec_...`: verify `webhook-signature` with it. Not shown again.
    pub secret: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateWebhookRequest {
    /// http(s) URL that receives the POSTs.
    pub url: String,
    /// Event types, or `["*"]` for all.
    pub events: Vec<String>,
    #[serde(default)]
    pub description: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateWebhookRequest {
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub events: Option<Vec<String>>,
    #[serde(default, deserialize_with = "super::present")]
    #[schema(value_type = Option<String>)]
    pub description: Option<Option<String>>,
    /// Re-enabling a disabled subscription resumes its pending deliveries.
    #[serde(default)]
    pub enabled: Option<bool>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RotatedSecret {
    /// The new secret; the old one also signs until `previous_secret_expires_at`.
    pub secret: String,
    pub previous_secret_expires_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TestSent {
    /// The `webhook.test` event's id; its `webhook-id` is `msg_<event_id>`.
    pub event_id: i64,
}

/// One delivery attempt.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryAttemptDto {
    pub id: i64,
    pub delivery_id: i64,
    /// The `webhook-id` header, the same on every retry.
    pub message_id: String,
    pub event_type: String,
    pub at: DateTime<Utc>,
    /// HTTP status, or `null` when no answer came (timeout, refused, ...).
    pub status_code: Option<i64>,
    pub duration_ms: i64,
    pub error: Option<String>,
    /// The delivery's state now: `pending`, `succeeded` or `failed`.
    pub delivery_status: String,
}

impl From<Attempt> for DeliveryAttemptDto {
    fn from(a: Attempt) -> Self {
        Self {
            id: a.id,
            delivery_id: a.delivery_id,
            message_id: a.message_id,
            event_type: a.event_type,
            at: from_ms(a.at_ms),
            status_code: a.status_code,
            duration_ms: a.duration_ms,
            error: a.error,
            delivery_status: a.delivery_status,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Page size, 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    #[param(pattern = "^[0-9]{0,18}$")]
    pub cursor: Option<String>,
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/webhooks", get(list_webhooks).post(create_webhook))
        .route(
            "/webhooks/{id}",
            get(get_webhook)
                .patch(update_webhook)
                .delete(delete_webhook),
        )
        .route("/webhooks/{id}/deliveries", get(list_deliveries))
        .route("/webhooks/{id}/test", post(test_webhook))
        .route("/webhooks/{id}/rotate-secret", post(rotate_secret))
}

fn check_events(events: &[String]) -> ApiResult<Vec<String>> {
    if events.is_empty() {
        return Err(ApiError::unprocessable(
            "events must list event types or \"*\"",
        ));
    }
    let mut out = Vec::new();
    for e in events {
        if e != "*" && EventType::parse(e).is_none() {
            return Err(ApiError::unprocessable(format!("unknown event type {e:?}")));
        }
        if !out.contains(e) {
            out.push(e.clone());
        }
    }
    out.sort();
    Ok(out)
}

async fn check_url(state: &AppState, url: &str) -> ApiResult<String> {
    if url.chars().count() > MAX_URL {
        return Err(ApiError::unprocessable(format!(
            "url is longer than {MAX_URL} characters"
        )));
    }
    resolve_target(url, state.config.webhooks.allow_private_targets)
        .await
        .map_err(|e| ApiError::unprocessable(format!("url: {e}")))?;
    Ok(url.to_string())
}

fn check_description(d: Option<String>) -> ApiResult<Option<String>> {
    match d {
        Some(d) if d.chars().count() > MAX_DESCRIPTION => Err(ApiError::unprocessable(format!(
            "description is longer than {MAX_DESCRIPTION} characters"
        ))),
        other => Ok(other),
    }
}

/// Loads a subscription the caller may manage.
async fn owned(state: &AppState, auth: &Auth, id: i64) -> ApiResult<Webhook> {
    if auth.role() == Role::User {
        return Err(ApiError::forbidden("a user token cannot manage webhooks"));
    }
    let webhook = state.store.webhook(id).await?;
    if let Some(scope) = auth.domain_scope()
        && webhook.domain.as_deref() != Some(scope)
    {
        return Err(ApiError::not_found(format!("webhook {id} not found")));
    }
    Ok(webhook)
}

/// Subscribe to events. The response carries the signing secret, once.
#[utoipa::path(post, path = "/v1/webhooks", tag = "webhooks", request_body = CreateWebhookRequest,
    security(("bearer" = [])),
    responses((status = 201, body = CreatedWebhook), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn create_webhook(
    State(state): State<AppState>,
    auth: Auth,
    Json(req): Json<CreateWebhookRequest>,
) -> ApiResult<(StatusCode, axum::Json<CreatedWebhook>)> {
    let domain = match auth.role() {
        Role::Admin => None,
        Role::DomainAdmin => auth.domain_scope().map(str::to_string),
        Role::User => return Err(ApiError::forbidden("a user token cannot manage webhooks")),
    };
    let events = check_events(&req.events)?;
    let url = check_url(&state, &req.url).await?;
    let description = check_description(req.description)?;
    let secret = new_secret();
    let webhook = state
        .store
        .create_webhook(&url, &events, description, domain, &secret)
        .await?;
    tracing::info!(webhook = webhook.id, url = %webhook.url, "webhook created");
    Ok((
        StatusCode::CREATED,
        axum::Json(CreatedWebhook {
            webhook: webhook.into(),
            secret,
        }),
    ))
}

/// List subscriptions (a domain admin sees its own).
#[utoipa::path(get, path = "/v1/webhooks", tag = "webhooks", params(ListQuery),
    security(("bearer" = [])),
    responses((status = 200, body = Paginated<WebhookDto>), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn list_webhooks(
    State(state): State<AppState>,
    auth: Auth,
    Query(q): Query<ListQuery>,
) -> ApiResult<axum::Json<Paginated<WebhookDto>>> {
    if auth.role() == Role::User {
        return Err(ApiError::forbidden("a user token cannot manage webhooks"));
    }
    let limit = page_limit(q.limit)?;
    let page = state
        .store
        .list_webhooks(auth.domain_scope(), q.cursor.as_deref(), limit)
        .await?;
    Ok(axum::Json(Paginated::from_page(page, WebhookDto::from)))
}

/// One subscription.
#[utoipa::path(get, path = "/v1/webhooks/{id}", tag = "webhooks",
    params(("id" = i64, Path, description = "Webhook id")),
    security(("bearer" = [])),
    responses((status = 200, body = WebhookDto), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn get_webhook(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
) -> ApiResult<axum::Json<WebhookDto>> {
    Ok(axum::Json(owned(&state, &auth, id).await?.into()))
}

/// Change a subscription.
#[utoipa::path(patch, path = "/v1/webhooks/{id}", tag = "webhooks", request_body = UpdateWebhookRequest,
    params(("id" = i64, Path, description = "Webhook id")),
    security(("bearer" = [])),
    responses((status = 200, body = WebhookDto), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn update_webhook(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    Json(req): Json<UpdateWebhookRequest>,
) -> ApiResult<axum::Json<WebhookDto>> {
    owned(&state, &auth, id).await?;
    let mut changes = WebhookChanges {
        enabled: req.enabled,
        ..Default::default()
    };
    if let Some(url) = &req.url {
        changes.url = Some(check_url(&state, url).await?);
    }
    if let Some(events) = &req.events {
        changes.events = Some(check_events(events)?);
    }
    if let Some(description) = req.description {
        changes.description = Some(check_description(description)?);
    }
    Ok(axum::Json(
        state.store.update_webhook(id, changes).await?.into(),
    ))
}

/// Delete a subscription and its pending deliveries.
#[utoipa::path(delete, path = "/v1/webhooks/{id}", tag = "webhooks",
    params(("id" = i64, Path, description = "Webhook id")),
    security(("bearer" = [])),
    responses((status = 204, description = "Deleted"), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn delete_webhook(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    owned(&state, &auth, id).await?;
    state.store.delete_webhook(id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Delivery attempts, newest first.
#[utoipa::path(get, path = "/v1/webhooks/{id}/deliveries", tag = "webhooks",
    params(("id" = i64, Path, description = "Webhook id"), ListQuery),
    security(("bearer" = [])),
    responses((status = 200, body = Paginated<DeliveryAttemptDto>), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn list_deliveries(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    Query(q): Query<ListQuery>,
) -> ApiResult<axum::Json<Paginated<DeliveryAttemptDto>>> {
    owned(&state, &auth, id).await?;
    let limit = page_limit(q.limit)?;
    let page = state
        .store
        .webhook_attempts(id, q.cursor.as_deref(), limit)
        .await?;
    Ok(axum::Json(Paginated::from_page(
        page,
        DeliveryAttemptDto::from,
    )))
}

/// Send a `webhook.test` event to this subscription now.
#[utoipa::path(post, path = "/v1/webhooks/{id}/test", tag = "webhooks",
    params(("id" = i64, Path, description = "Webhook id")),
    security(("bearer" = [])),
    responses((status = 202, body = TestSent), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn test_webhook(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
) -> ApiResult<(StatusCode, axum::Json<TestSent>)> {
    let webhook = owned(&state, &auth, id).await?;
    let event_id = state.store.enqueue_test(&webhook).await?;
    Ok((StatusCode::ACCEPTED, axum::Json(TestSent { event_id })))
}

/// Issue a new secret; the old one keeps signing for 24 hours.
#[utoipa::path(post, path = "/v1/webhooks/{id}/rotate-secret", tag = "webhooks",
    params(("id" = i64, Path, description = "Webhook id")),
    security(("bearer" = [])),
    responses((status = 200, body = RotatedSecret), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn rotate_secret(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
) -> ApiResult<axum::Json<RotatedSecret>> {
    owned(&state, &auth, id).await?;
    let secret = new_secret();
    let webhook = state
        .store
        .rotate_webhook_secret(id, &secret, ROTATION_GRACE_MS)
        .await?;
    let expires = webhook
        .previous_secret_expires_at_ms
        .map(from_ms)
        .unwrap_or_default();
    Ok(axum::Json(RotatedSecret {
        secret,
        previous_secret_expires_at: expires,
    }))
}
