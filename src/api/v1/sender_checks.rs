//! Inbound sender authentication: `/v1/settings/inbound-screening` (weights,
//! thresholds, switches) and `POST /v1/tools/sender-check`, which runs the
//! checks inbound SMTP runs for any client IP, HELO and sender.

use axum::Router;
use axum::extract::State;
use axum::routing::{get, post};

use crate::api::error::{ApiError, ApiResult, Problem};
use crate::api::extract::{Auth, Json};
use crate::app::AppState;
use crate::screening::sender::{self, InboundScreening, SenderCheckRequest, SenderReport};

/// Largest message the tool checks (the API body cap is 1 MiB anyway).
const MAX_MESSAGE: usize = 1024 * 1024;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/settings/inbound-screening",
            get(get_settings).put(put_settings),
        )
        .route("/tools/sender-check", post(sender_check))
}

/// Inbound sender checks: weights, thresholds and switches.
#[utoipa::path(get, path = "/v1/settings/inbound-screening", tag = "settings", security(("bearer" = [])),
    responses((status = 200, body = InboundScreening), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn get_settings(
    State(state): State<AppState>,
    auth: Auth,
) -> ApiResult<axum::Json<InboundScreening>> {
    auth.require_admin()?;
    Ok(axum::Json(state.store.setting(sender::SETTING).await?))
}

/// Replace the inbound sender-check settings. Missing fields take their
/// defaults.
#[utoipa::path(put, path = "/v1/settings/inbound-screening", tag = "settings", request_body = InboundScreening, security(("bearer" = [])),
    responses((status = 200, body = InboundScreening), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn put_settings(
    State(state): State<AppState>,
    auth: Auth,
    Json(req): Json<InboundScreening>,
) -> ApiResult<axum::Json<InboundScreening>> {
    auth.require_admin()?;
    let w = &req.weights;
    let weights = [
        w.spf_fail,
        w.spf_softfail,
        w.spf_neutral,
        w.spf_none,
        w.spf_permerror,
        w.spf_temperror,
        w.dkim_fail,
        w.dkim_none,
        w.dmarc_fail,
        w.ptr_missing,
        w.helo_invalid,
        w.arc_fail,
    ];
    if weights
        .iter()
        .chain([&req.junk_score, &req.reject_score])
        .any(|v| !v.is_finite() || *v < 0.0 || *v > 1000.0)
    {
        return Err(ApiError::unprocessable(
            "weights and scores must be numbers between 0 and 1000",
        ));
    }
    state.store.put_setting(sender::SETTING, &req).await?;
    Ok(axum::Json(req))
}

/// Run the inbound sender checks (iprev, HELO, SPF, and with `message`
/// DKIM, ARC and DMARC) exactly as SMTP would for this client, and return
/// every result, the score and the verdict. Uses the current settings even
/// when they are switched off.
#[utoipa::path(post, path = "/v1/tools/sender-check", tag = "tools", request_body = SenderCheckRequest, security(("bearer" = [])),
    responses((status = 200, body = SenderReport), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn sender_check(
    State(state): State<AppState>,
    auth: Auth,
    Json(req): Json<SenderCheckRequest>,
) -> ApiResult<axum::Json<SenderReport>> {
    auth.require_admin()?;
    if req.helo.trim().is_empty() || req.helo.chars().count() > 255 {
        return Err(ApiError::unprocessable("helo must be 1 to 255 characters"));
    }
    // Deliberately loose: the tool must reproduce what odd senders send
    // (an empty local part, quoted strings); SPF copes with them.
    if req.mail_from.chars().count() > 320
        || req.mail_from.chars().any(char::is_control)
        || (!req.mail_from.is_empty() && !req.mail_from.contains('@'))
    {
        return Err(ApiError::unprocessable(
            "mail_from must be an address (at most 320 characters) or empty (the null sender)",
        ));
    }
    // Messages pasted from files often have bare LF line ends.
    let message = req.message.as_ref().map(|m| {
        if m.contains("\r\n") {
            m.clone().into_bytes()
        } else {
            m.replace('\n', "\r\n").into_bytes()
        }
    });
    if message.as_ref().is_some_and(|m| m.len() > MAX_MESSAGE) {
        return Err(ApiError::unprocessable("message larger than 1 MiB"));
    }
    let settings: InboundScreening = state.store.setting(sender::SETTING).await?;
    let report = sender::check_sender(
        &state,
        &settings,
        req.ip,
        req.helo.trim(),
        &req.mail_from,
        message.as_deref(),
    )
    .await;
    Ok(axum::Json(report))
}
