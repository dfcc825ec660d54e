//! The REST API: `/v1` resources, `/healthz`, `/openapi.json` and `/docs`.
//!
//! Handlers are thin: extract and authorise, call the same store functions
//! the mail protocols call, and map results to DTOs.

pub mod docs;
pub mod downloads;
pub mod error;
pub mod extract;
pub mod openapi;
pub mod v1;

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Serialize;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::trace::TraceLayer;
use utoipa::ToSchema;

use crate::app::AppState;
use error::{ApiError, ApiResult};

/// Largest request body the API reads (CONTRACT: 1 MiB, then 413).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

pub const DEFAULT_PAGE: u32 = 50;
pub const MAX_PAGE: u32 = 500;

pub fn router(state: AppState) -> Router {
    let v1 = Router::new()
        .merge(v1::tokens::router())
        .merge(v1::domains::router())
        .merge(v1::accounts::router())
        .merge(v1::aliases::router())
        .merge(v1::settings::router())
        .merge(v1::events::router())
        .merge(v1::webhooks::router())
        .merge(v1::dkim::router())
        .merge(v1::queue::router())
        .merge(v1::screening::router())
        .merge(v1::attachment_links::router())
        .merge(v1::sender_checks::router())
        .merge(v1::dmarc_reports::router())
        .merge(v1::domain_dns::router());
    Router::new()
        .nest("/v1", v1)
        .route("/healthz", get(healthz))
        .route("/openapi.json", get(openapi_json))
        .merge(docs::router())
        .merge(downloads::router())
        .merge(v1::domain_dns::well_known())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            refuse_blocked,
        ))
        .layer(TraceLayer::new_for_http())
        .layer(CatchPanicLayer::custom(|_| {
            ApiError::internal("handler panicked").into_response()
        }))
        .with_state(state)
}

/// A page of a list and the cursor that continues it.
#[derive(Debug, Serialize, ToSchema)]
pub struct Paginated<T: ToSchema> {
    pub items: Vec<T>,
    /// Pass as `cursor` for the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

impl<T: ToSchema> Paginated<T> {
    pub fn from_page<S>(page: crate::store::Page<S>, f: impl Fn(S) -> T) -> Self {
        Self {
            items: page.items.into_iter().map(f).collect(),
            next_cursor: page.next_cursor,
        }
    }
}

/// The page size asked for, checked against the contract's bounds.
pub fn page_limit(limit: Option<u32>) -> ApiResult<usize> {
    match limit.unwrap_or(DEFAULT_PAGE) {
        n @ 1..=MAX_PAGE => Ok(n as usize),
        n => Err(ApiError::bad_request(format!(
            "limit must be between 1 and {MAX_PAGE}, not {n}"
        ))),
    }
}

#[derive(Serialize, ToSchema)]
pub struct Health {
    /// `ok` when the database answers.
    pub status: String,
}

/// Liveness and database reachability; no token needed.
#[utoipa::path(get, path = "/healthz", tag = "meta",
    responses((status = 200, body = Health), (status = 503, body = error::Problem)))]
async fn healthz(State(state): State<AppState>) -> Response {
    match sqlx::query("SELECT 1").execute(state.store.reader()).await {
        Ok(_) => axum::Json(Health {
            status: "ok".into(),
        })
        .into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "health check: database unreachable");
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "the database does not answer",
            )
            .into_response()
        }
    }
}

/// The OpenAPI 3.1 document of this API.
#[utoipa::path(get, path = "/openapi.json", tag = "meta",
    responses((status = 200, description = "The OpenAPI document", content_type = "application/json")))]
async fn openapi_json() -> Response {
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        openapi::document_json(),
    )
        .into_response()
}

/// Blocked networks get nothing from the API either.
async fn refuse_blocked(
    State(state): State<AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    if let Some(axum::extract::ConnectInfo(peer)) = request
        .extensions()
        .get::<axum::extract::ConnectInfo<crate::net::tls_listener::PeerAddr>>()
        && state.blocks.is_blocked(peer.0.ip())
    {
        return ApiError::forbidden("your address is blocked after repeated failed logins")
            .into_response();
    }
    next.run(request).await
}

async fn not_found(uri: Uri) -> ApiError {
    ApiError::not_found(format!("no resource at {}", uri.path()))
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method-not-allowed",
        "this resource does not support that method",
    )
}
