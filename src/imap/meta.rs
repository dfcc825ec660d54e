//! Facts about a message that FETCH and SEARCH need over and over — its
//! MIME tree with ENVELOPE and line counts, and its searchable headers —
//! computed once per content and kept in the database (`message_meta`,
//! keyed by the content-addressed blob, so an entry never goes stale and
//! every node shares it). FETCH of ENVELOPE/BODYSTRUCTURE and header SEARCH
//! then read a few rows in bulk instead of every message's bytes.

use std::collections::HashMap;

use super::mime::{self, Part};
use super::search::Headers;
use crate::app::AppState;

/// Bumped whenever what is computed changes, so old entries are redone.
const VERSION: u32 = 1;

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct MessageMeta {
    version: u32,
    pub tree: Part,
    pub headers: Headers,
}

impl MessageMeta {
    pub fn compute(raw: &[u8]) -> Self {
        Self {
            version: VERSION,
            tree: mime::parse(raw),
            headers: Headers::new(raw),
        }
    }
}

/// Just the searchable headers of a stored entry: deserializing this skips
/// the MIME tree without building it.
#[derive(serde::Deserialize)]
struct HeadersView {
    version: u32,
    headers: Headers,
}

/// Just the MIME tree of a stored entry (skipping the headers).
#[derive(serde::Deserialize)]
struct TreeView {
    version: u32,
    tree: Part,
}

/// The MIME tree (with envelopes) of each blob: from the database where
/// present and current, else computed from the bytes and stored for next
/// time. A blob that cannot be read is left out (the caller answers
/// without it).
pub async fn load_trees(state: &AppState, blobs: &[&str]) -> HashMap<String, Part> {
    load_as(
        state,
        blobs,
        |json| {
            serde_json::from_str::<TreeView>(json)
                .ok()
                .filter(|m| m.version == VERSION)
                .map(|m| m.tree)
        },
        |m| m.tree,
    )
    .await
}

/// The searchable headers of each blob (as [`load_trees`]).
pub async fn load_headers(state: &AppState, blobs: &[&str]) -> HashMap<String, Headers> {
    load_as(
        state,
        blobs,
        |json| {
            serde_json::from_str::<HeadersView>(json)
                .ok()
                .filter(|m| m.version == VERSION)
                .map(|m| m.headers)
        },
        |m| m.headers,
    )
    .await
}

async fn load_as<T>(
    state: &AppState,
    blobs: &[&str],
    decode: impl Fn(&str) -> Option<T>,
    from_full: impl Fn(MessageMeta) -> T,
) -> HashMap<String, T> {
    let mut wanted: Vec<String> = blobs.iter().map(|b| b.to_string()).collect();
    wanted.sort_unstable();
    wanted.dedup();
    let stored = match state.store.message_meta(&wanted).await {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!(error = %e, "reading message facts failed");
            HashMap::new()
        }
    };
    let mut out = HashMap::with_capacity(wanted.len());
    let mut fresh = Vec::new();
    for blob in wanted {
        if let Some(known) = stored.get(&blob).and_then(|json| decode(json)) {
            out.insert(blob, known);
            continue;
        }
        match state.blobs.get(&blob).await {
            Ok(raw) => {
                let m = MessageMeta::compute(&raw);
                if let Ok(json) = serde_json::to_string(&m) {
                    fresh.push((blob.clone(), json));
                }
                out.insert(blob, from_full(m));
            }
            Err(e) => tracing::error!(error = %e, %blob, "message unreadable"),
        }
    }
    if !fresh.is_empty()
        && let Err(e) = state.store.put_message_meta(&fresh).await
    {
        tracing::warn!(error = %e, "storing message facts failed");
    }
    out
}
