//! Facts about a message that FETCH and SEARCH need over and over — its
//! MIME tree with ENVELOPE and line counts, and its searchable headers —
//! computed once per content and kept in the database (`message_meta`,
//! keyed by the content-addressed blob, so an entry never goes stale and
//! every node shares it), and parsed in a bounded cache on each node. FETCH
//! of ENVELOPE/BODYSTRUCTURE and header SEARCH then read memory, or a few
//! rows in bulk, instead of every message's bytes.

use std::collections::HashMap;
use std::sync::Arc;

use super::mime::{self, Part};
use super::search::Headers;
use crate::app::AppState;
use crate::store::blobs::StagedBlob;

/// Bumped whenever what is computed changes, so old entries are redone.
const VERSION: u32 = 1;

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct MessageMeta {
    version: u32,
    pub tree: Part,
    pub headers: Headers,
    /// Approximate size in memory, for the cache's bound.
    #[serde(skip)]
    weight: u32,
}

impl MessageMeta {
    pub fn compute(raw: &[u8]) -> Self {
        Self {
            version: VERSION,
            tree: mime::parse(raw),
            headers: Headers::new(raw),
            weight: 0,
        }
    }

    /// Sets the weight from the length of the entry's JSON: the parsed form
    /// holds the same strings plus a few hundred bytes of vectors.
    fn weighed(mut self, json_len: usize) -> Self {
        self.weight = u32::try_from(json_len.saturating_add(256)).unwrap_or(u32::MAX);
        self
    }
}

/// Parsed facts shared by every session of this node, bounded by an
/// estimate of their size. Entries are keyed by the content-addressed blob,
/// so none ever goes stale, on this node or any other.
#[derive(Clone)]
pub struct FactsCache {
    inner: moka::sync::Cache<String, Arc<MessageMeta>>,
}

impl FactsCache {
    pub fn new(max_bytes: u64) -> Self {
        Self {
            inner: moka::sync::Cache::builder()
                .max_capacity(max_bytes)
                // The stored JSON's length stands in for the parsed size.
                .weigher(|_, m: &Arc<MessageMeta>| m.weight)
                .build(),
        }
    }
}

/// Readies a new message for storing: its blob prepared (a file flushed, or
/// the bytes to write with the rows) and its facts computed, cached on this
/// node and returned as the JSON to store with the message.
pub async fn stage_new(state: &AppState, bytes: Vec<u8>) -> std::io::Result<(StagedBlob, String)> {
    let meta = MessageMeta::compute(&bytes);
    let staged = state.blobs.prepare(bytes).await?;
    let json = serde_json::to_string(&meta).map_err(std::io::Error::other)?;
    let meta = meta.weighed(json.len());
    state
        .facts
        .inner
        .insert(staged.blob.hash.clone(), Arc::new(meta));
    Ok((staged, json))
}

/// The facts (MIME tree with envelopes, searchable headers) of each blob:
/// from this node's cache, else from the database where present and
/// current, else computed from the bytes and stored for next time. A blob
/// that cannot be read is left out (the caller answers without it).
pub async fn load(state: &AppState, blobs: &[&str]) -> HashMap<String, Arc<MessageMeta>> {
    let cache = &state.facts.inner;
    let mut out = HashMap::with_capacity(blobs.len());
    let mut wanted: Vec<String> = Vec::new();
    for blob in blobs {
        match cache.get(*blob) {
            Some(m) => {
                out.insert(blob.to_string(), m);
            }
            None => wanted.push(blob.to_string()),
        }
    }
    if wanted.is_empty() {
        return out;
    }
    wanted.sort_unstable();
    wanted.dedup();
    let stored = match state.store.message_meta(&wanted).await {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!(error = %e, "reading message facts failed");
            HashMap::new()
        }
    };
    let mut fresh = Vec::new();
    for blob in wanted {
        let known = stored.get(&blob).and_then(|json| {
            serde_json::from_str::<MessageMeta>(json)
                .ok()
                .filter(|m| m.version == VERSION)
                .map(|m| m.weighed(json.len()))
        });
        let meta = match known {
            Some(m) => m,
            None => match state.blobs.get(&blob).await {
                Ok(raw) => {
                    let m = MessageMeta::compute(&raw);
                    let json = serde_json::to_string(&m).unwrap_or_default();
                    let m = m.weighed(json.len());
                    if !json.is_empty() {
                        fresh.push((blob.clone(), json));
                    }
                    m
                }
                Err(e) => {
                    tracing::error!(error = %e, %blob, "message unreadable");
                    continue;
                }
            },
        };
        let meta = Arc::new(meta);
        cache.insert(blob.clone(), meta.clone());
        out.insert(blob, meta);
    }
    if !fresh.is_empty() {
        // Stored in the background: the answer does not wait for the
        // writer, and a lost write only means computing them again.
        let store = state.store.clone();
        tokio::spawn(async move {
            if let Err(e) = store.put_message_meta(&fresh).await {
                tracing::warn!(error = %e, "storing message facts failed");
            }
        });
    }
    out
}

/// The searchable body text (see [`super::search::body_text`]) of each
/// blob: from the database where stored, else computed from the bytes and
/// stored for next time. Not cached in memory: a BODY search reads each
/// text once, and texts are as large as the messages' text.
pub async fn search_texts(state: &AppState, blobs: &[&str]) -> HashMap<String, String> {
    let mut wanted: Vec<String> = blobs.iter().map(|b| b.to_string()).collect();
    wanted.sort_unstable();
    wanted.dedup();
    let mut out = match state.store.search_text(&wanted).await {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!(error = %e, "reading search texts failed");
            HashMap::new()
        }
    };
    let missing: Vec<String> = wanted
        .into_iter()
        .filter(|b| !out.contains_key(b))
        .collect();
    if missing.is_empty() {
        return out;
    }
    let mut raws = Vec::with_capacity(missing.len());
    for blob in missing {
        match state.blobs.get(&blob).await {
            Ok(raw) => raws.push((blob, raw)),
            Err(e) => tracing::error!(error = %e, %blob, "message unreadable"),
        }
    }
    // Parsing is the cost: off the async workers, in two halves at once.
    let half = raws.len().div_ceil(2);
    let second = raws.split_off(half);
    let parse = |part: Vec<(String, Vec<u8>)>| {
        tokio::task::spawn_blocking(move || {
            part.into_iter()
                .map(|(blob, raw)| (blob, super::search::body_text(&raw)))
                .collect::<Vec<_>>()
        })
    };
    let (a, b) = tokio::join!(parse(raws), parse(second));
    let fresh: Vec<(String, String)> = a
        .unwrap_or_default()
        .into_iter()
        .chain(b.unwrap_or_default())
        .collect();
    out.extend(fresh.iter().cloned());
    // Stored in the background, as the facts are.
    let store = state.store.clone();
    tokio::spawn(async move {
        if let Err(e) = store.put_search_text(&fresh).await {
            tracing::warn!(error = %e, "storing search texts failed");
        }
    });
    out
}
