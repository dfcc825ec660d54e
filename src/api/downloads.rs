//! `GET`/`HEAD /attachments/{token}`: linked attachments for whoever holds
//! the link. The token is the capability; no API token is needed. Files are
//! streamed a chunk at a time, so memory does not grow with their size.

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::error::{ApiError, Problem};
use crate::app::AppState;
use crate::net::tls_listener::PeerAddr;
use crate::store::attachments::{AttachmentLink, CHUNK_SIZE};
use crate::store::now_ms;

pub fn router() -> Router<AppState> {
    Router::new().route(
        "/attachments/{token}",
        get(download_get).head(download_head),
    )
}

/// `attachment; filename="…"; filename*=UTF-8''…` (RFC 6266): an ASCII
/// fallback for old clients and the exact name for the rest.
fn content_disposition(name: &str) -> String {
    let fallback: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded: String = name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    format!("attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
}

/// A single `bytes=` range within `size`: `Ok(None)` for the whole file,
/// `Err(())` when unsatisfiable.
fn range(headers: &HeaderMap, size: u64) -> Result<Option<(u64, u64)>, ()> {
    let Some(value) = headers.get(header::RANGE).and_then(|v| v.to_str().ok()) else {
        return Ok(None);
    };
    let Some(spec) = value.trim().strip_prefix("bytes=") else {
        return Ok(None);
    };
    if spec.contains(',') {
        // Several ranges: answer with the whole file, which RFC 9110 allows.
        return Ok(None);
    }
    let (start, end) = spec.split_once('-').ok_or(())?;
    let (start, end) = match (start.trim(), end.trim()) {
        ("", suffix) => {
            let n: u64 = suffix.parse().map_err(|_| ())?;
            if n == 0 {
                return Err(());
            }
            (size.saturating_sub(n), size.saturating_sub(1))
        }
        (s, "") => (s.parse().map_err(|_| ())?, size.saturating_sub(1)),
        (s, e) => (
            s.parse().map_err(|_| ())?,
            e.parse::<u64>()
                .map_err(|_| ())?
                .min(size.saturating_sub(1)),
        ),
    };
    if start > end || start >= size {
        return Err(());
    }
    Ok(Some((start, end)))
}

/// Downloads a linked attachment. No API token: the link's token is the
/// capability. One `bytes=` range may be asked for (`Range`).
#[utoipa::path(get, path = "/attachments/{token}", tag = "attachment-links",
    params(
        ("token" = String, Path, description = "The link's token"),
        ("Range" = Option<String>, Header, description = "One `bytes=` range"),
    ),
    responses(
        (status = 200, description = "The file", content_type = "application/octet-stream", body = Vec<u8>),
        (status = 206, description = "The requested range", content_type = "application/octet-stream", body = Vec<u8>),
        (status = 404, body = Problem), (status = 410, body = Problem),
        (status = 416, description = "The range lies outside the file"),
        (status = 500, body = Problem)))]
pub async fn download_get(
    state: State<AppState>,
    peer: ConnectInfo<PeerAddr>,
    headers: HeaderMap,
    token: Path<String>,
) -> Response {
    download(state, peer, Method::GET, headers, token).await
}

/// A linked attachment's headers (size, type, ETag) without the file.
#[utoipa::path(head, path = "/attachments/{token}", tag = "attachment-links",
    operation_id = "download_head",
    params(
        ("token" = String, Path, description = "The link's token"),
        ("Range" = Option<String>, Header, description = "One `bytes=` range"),
    ),
    responses(
        (status = 200, description = "The file's headers"),
        (status = 206, description = "The range's headers"),
        (status = 404, body = Problem), (status = 410, body = Problem),
        (status = 416, description = "The range lies outside the file"),
        (status = 500, body = Problem)))]
pub async fn download_head(
    state: State<AppState>,
    peer: ConnectInfo<PeerAddr>,
    headers: HeaderMap,
    token: Path<String>,
) -> Response {
    download(state, peer, Method::HEAD, headers, token).await
}

async fn download(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<PeerAddr>,
    method: Method,
    headers: HeaderMap,
    Path(token): Path<String>,
) -> Response {
    let link = match state.store.attachment_link_by_token(&token).await {
        Ok(Some(l)) => l,
        Ok(None) => return ApiError::not_found("no such attachment link").into_response(),
        Err(e) => return ApiError::from(e).into_response(),
    };
    if link.revoked_at_ms.is_some() || link.expires_at_ms <= now_ms() {
        return ApiError::new(
            StatusCode::GONE,
            "gone",
            "this attachment link has expired or was revoked",
        )
        .into_response();
    }
    let size = link.size as u64;
    let etag = format!("\"{}\"", link.sha256);
    let mut response_headers = HeaderMap::new();
    let set = |h: &mut HeaderMap, name: header::HeaderName, value: &str| {
        if let Ok(v) = HeaderValue::from_str(value) {
            h.insert(name, v);
        }
    };
    set(
        &mut response_headers,
        header::CONTENT_TYPE,
        &link.content_type,
    );
    set(
        &mut response_headers,
        header::CONTENT_DISPOSITION,
        &content_disposition(&link.file_name),
    );
    set(&mut response_headers, header::ETAG, &etag);
    set(&mut response_headers, header::ACCEPT_RANGES, "bytes");
    set(
        &mut response_headers,
        header::X_CONTENT_TYPE_OPTIONS,
        "nosniff",
    );
    set(
        &mut response_headers,
        header::CONTENT_SECURITY_POLICY,
        "default-src 'none'; sandbox",
    );
    set(
        &mut response_headers,
        header::CACHE_CONTROL,
        "private, no-transform",
    );
    set(
        &mut response_headers,
        header::REFERRER_POLICY,
        "no-referrer",
    );
    let (status, start, end) = match range(&headers, size) {
        Ok(None) => (StatusCode::OK, 0, size.saturating_sub(1)),
        Ok(Some((s, e))) => {
            set(
                &mut response_headers,
                header::CONTENT_RANGE,
                &format!("bytes {s}-{e}/{size}"),
            );
            (StatusCode::PARTIAL_CONTENT, s, e)
        }
        Err(()) => {
            set(
                &mut response_headers,
                header::CONTENT_RANGE,
                &format!("bytes */{size}"),
            );
            return (StatusCode::RANGE_NOT_SATISFIABLE, response_headers).into_response();
        }
    };
    let length = if size == 0 { 0 } else { end - start + 1 };
    set(
        &mut response_headers,
        header::CONTENT_LENGTH,
        &length.to_string(),
    );
    if method == Method::HEAD {
        return (status, response_headers).into_response();
    }
    let user_agent = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    if let Err(e) = state
        .store
        .record_download(&link, &peer.0.ip().to_string(), &user_agent, length as i64)
        .await
    {
        tracing::warn!(error = %e, "recording a download failed");
    }
    let body = if length == 0 {
        Body::empty()
    } else {
        Body::from_stream(chunks(state, link, start, end))
    };
    (status, response_headers, body).into_response()
}

/// The bytes `start..=end` of a link's file, one stored chunk at a time.
fn chunks(
    state: AppState,
    link: AttachmentLink,
    start: u64,
    end: u64,
) -> impl futures_util::Stream<Item = Result<Bytes, std::io::Error>> {
    let chunk = CHUNK_SIZE as u64;
    futures_util::stream::unfold(start, move |at| {
        let state = state.clone();
        let hash = link.sha256.clone();
        async move {
            if at > end {
                return None;
            }
            let seq = at / chunk;
            let data = match state.store.file_chunk(&hash, seq as i64).await {
                Ok(Some(d)) => d,
                Ok(None) => {
                    return Some((Err(std::io::Error::other("file chunk missing")), end + 1));
                }
                Err(e) => return Some((Err(std::io::Error::other(e.to_string())), end + 1)),
            };
            let from = (at - seq * chunk) as usize;
            let to = ((end - seq * chunk + 1) as usize).min(data.len());
            if from >= to {
                return Some((
                    Err(std::io::Error::other("file shorter than recorded")),
                    end + 1,
                ));
            }
            let piece = Bytes::copy_from_slice(&data[from..to]);
            Some((Ok(piece), seq * chunk + to as u64))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_and_names() {
        let mut h = HeaderMap::new();
        assert_eq!(range(&h, 10), Ok(None));
        h.insert(header::RANGE, HeaderValue::from_static("bytes=2-4"));
        assert_eq!(range(&h, 10), Ok(Some((2, 4))));
        h.insert(header::RANGE, HeaderValue::from_static("bytes=-3"));
        assert_eq!(range(&h, 10), Ok(Some((7, 9))));
        h.insert(header::RANGE, HeaderValue::from_static("bytes=8-"));
        assert_eq!(range(&h, 10), Ok(Some((8, 9))));
        h.insert(header::RANGE, HeaderValue::from_static("bytes=10-12"));
        assert_eq!(range(&h, 10), Err(()));
        assert_eq!(
            content_disposition("\u{e4}rger \"x\".pdf"),
            "attachment; filename=\"_rger _x_.pdf\"; filename*=UTF-8''%C3%A4rger%20%22x%22.pdf"
        );
    }
}
