//! Outbound attachment linking: large attachments of opted-in accounts are
//! kept on the server and replaced in the message by a secure, expiring
//! download link. [`rewrite`] finds and replaces the parts; [`link`] stores
//! the files and creates the links; downloads are served by
//! `api::downloads`.

pub mod rewrite;

use base64::Engine;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::app::AppState;
use crate::store::accounts::{Account, AttachmentLinking};
use crate::store::attachments::NewLink;
use crate::store::now_ms;

pub const SETTING: &str = "attachment-linking";

/// `/v1/settings/attachment-linking`: the server-wide switch and the
/// setting new accounts start with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkingSettings {
    /// Off: no account's attachments are linked, whatever its own setting.
    pub enabled: bool,
    /// `attachment_linking` of accounts created without one.
    pub new_account_default: AttachmentLinking,
}

impl Default for LinkingSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            new_account_default: AttachmentLinking::default(),
        }
    }
}

/// A link token: 256 bits from the OS's CSPRNG, URL-safe base64.
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Human sizes for the notice: `1.5 MiB`.
fn human_size(n: usize) -> String {
    const UNITS: [&str; 4] = ["bytes", "KiB", "MiB", "GiB"];
    let mut size = n as f64;
    let mut unit = 0;
    while size >= 1024.0 && unit < UNITS.len() - 1 {
        size /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} bytes")
    } else {
        format!("{size:.1} {}", UNITS[unit])
    }
}

/// Which way the message is going: the notice says why the file is not
/// in the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Submitted by the account: the link replaces the attachment for the
    /// recipients.
    Outbound,
    /// Received by the account (`extract_inbound`): its stored copy links.
    Inbound,
}

/// Replaces the account's large attachments in `message` by links. Any
/// problem leaves the message as it was (and is logged): linking is a
/// convenience, never a reason to lose or mangle mail.
pub async fn link(state: &AppState, account: &Account, message: Vec<u8>) -> Vec<u8> {
    if !account.attachment_linking.enabled {
        return message;
    }
    link_for(
        state,
        account.id,
        &account.address,
        account.attachment_linking,
        message,
        Direction::Outbound,
    )
    .await
    .unwrap_or_else(|original| original)
}

/// The stored copy for a recipient account that extracts inbound
/// attachments: `Some(rewritten)` when something was linked, `None` when
/// the message stays as it was.
pub async fn extract_inbound(
    state: &AppState,
    account_id: i64,
    address: &str,
    linking: AttachmentLinking,
    message: &[u8],
) -> Option<Vec<u8>> {
    if !linking.enabled || !linking.extract_inbound {
        return None;
    }
    link_for(
        state,
        account_id,
        address,
        linking,
        message.to_vec(),
        Direction::Inbound,
    )
    .await
    .ok()
}

/// Stores the large attachments of `message` as links owned by the account
/// and returns the rewritten message; `Err(message)` gives the original
/// back when nothing was (or could be) linked.
async fn link_for(
    state: &AppState,
    account_id: i64,
    address: &str,
    own: AttachmentLinking,
    message: Vec<u8>,
    direction: Direction,
) -> Result<Vec<u8>, Vec<u8>> {
    let settings: LinkingSettings = state.store.setting(SETTING).await.unwrap_or_default();
    if !settings.enabled {
        return Err(message);
    }
    let candidates = match rewrite::find(&message, own.min_size_bytes as usize) {
        Ok(c) if !c.is_empty() => c,
        Ok(_) => return Err(message),
        Err(why) => {
            tracing::info!(account = %address, %why, "attachments left in place");
            return Err(message);
        }
    };
    let expires = now_ms() + i64::from(own.expires_after_days) * 86_400_000;
    let expires_text = crate::store::from_ms(expires)
        .format("%Y-%m-%d %H:%M UTC")
        .to_string();
    let base = state.config.public_url();
    let mut replacements = Vec::with_capacity(candidates.len());
    for c in &candidates {
        let link = NewLink {
            token: new_token(),
            account_id,
            account: address.to_string(),
            file_name: c.file_name.clone(),
            content_type: c.content_type.clone(),
            expires_at_ms: expires,
        };
        match state.store.create_attachment_link(&link, &c.bytes).await {
            Ok(stored) => {
                let url = format!("{base}/attachments/{}", stored.token);
                let notice = rewrite::notice_part(
                    &c.file_name,
                    &human_size(c.bytes.len()),
                    &expires_text,
                    &url,
                    direction,
                );
                replacements.push((c.range.clone(), notice));
            }
            Err(e) => {
                tracing::error!(error = %e, "storing a linked attachment failed; message left unchanged");
                return Err(message);
            }
        }
    }
    tracing::info!(account = %address, linked = replacements.len(), ?direction, "attachments replaced by links");
    Ok(rewrite::splice(&message, replacements))
}
