//! Webhook delivery, per the Standard Webhooks specification: signed POSTs
//! of the outbox rows that [`crate::store::webhooks`] creates with each
//! event, retried on the configured schedule, one node per attempt.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;
use tokio_util::sync::CancellationToken;

use crate::app::AppState;
use crate::screening::relay::canonical;
use crate::store::now_ms;
use crate::store::webhooks::{DueDelivery, Outcome};

const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(15);
const MAX_RESPONSE_BYTES: usize = 64 * 1024;
/// Attempts in flight to one endpoint; the rest wait their turn, so a slow
/// endpoint can't take every slot.
const PER_ENDPOINT: usize = 4;
const CLAIM_BATCH: usize = 32;
const POLL: Duration = Duration::from_millis(250);
/// How long a rotated-out secret keeps signing.
pub const ROTATION_GRACE_MS: i64 = 24 * 3600 * 1000;

/// `whsec_` + base64 of 32 random bytes.
pub fn new_secret() -> String {
    let mut key = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut key);
    format!(
        "whsec_{}",
        base64::engine::general_purpose::STANDARD.encode(key)
    )
}

/// `v1,<base64 HMAC-SHA256 of "id.timestamp.body">` with one secret.
pub fn sign(secret: &str, message_id: &str, timestamp: i64, body: &str) -> Option<String> {
    let key = base64::engine::general_purpose::STANDARD
        .decode(secret.strip_prefix("whsec_")?)
        .ok()?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).ok()?;
    mac.update(format!("{message_id}.{timestamp}.{body}").as_bytes());
    Some(format!(
        "v1,{}",
        base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
    ))
}

/// Addresses a webhook must not reach unless private targets are allowed:
/// loopback, private, link-local, CGNAT, unique-local, unspecified, multicast.
pub fn is_private(ip: IpAddr) -> bool {
    match canonical(ip) {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || o[0] == 0
                || (o[0] == 100 && (64..128).contains(&o[1]))
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80
        }
    }
}

/// The parts of a webhook URL that may be used: http(s), no credentials,
/// a host and a port. No DNS: [`resolve_target`] does that.
pub fn parse_target(url: &str) -> Result<(reqwest::Url, String, u16), String> {
    let parsed = reqwest::Url::parse(url).map_err(|e| format!("not a URL: {e}"))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err("the URL must be http or https".into());
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err("the URL must not carry credentials".into());
    }
    let host = parsed
        .host_str()
        .ok_or("the URL has no host")?
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string();
    let port = parsed
        .port_or_known_default()
        .ok_or("the URL has no port")?;
    Ok((parsed, host, port))
}

/// Checks a webhook URL and resolves its host to an address it may reach.
/// Called at creation and again before every attempt, and the attempt goes
/// to the address checked here, so DNS rebinding can't redirect it.
pub async fn resolve_target(
    url: &str,
    allow_private: bool,
) -> Result<(reqwest::Url, String, SocketAddr), String> {
    let (parsed, host, port) = parse_target(url)?;
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), port))
        .await
        .map_err(|e| format!("cannot resolve {host}: {e}"))?
        .collect();
    let allowed = addrs
        .into_iter()
        .find(|a| allow_private || !is_private(a.ip()));
    match allowed {
        Some(addr) => Ok((parsed, host, addr)),
        None => Err(format!(
            "{host} resolves only to loopback, private or link-local addresses (set [webhooks] allow_private_targets to allow)"
        )),
    }
}

/// Runs the delivery loop until `shutdown`.
pub async fn run(state: AppState, shutdown: CancellationToken) {
    let in_flight: Arc<Mutex<HashMap<i64, usize>>> = Arc::default();
    let tasks = tokio_util::task::TaskTracker::new();
    loop {
        let busy: Vec<i64> = {
            let map = in_flight.lock().unwrap_or_else(|e| e.into_inner());
            map.iter()
                .filter(|(_, n)| **n >= PER_ENDPOINT)
                .map(|(id, _)| *id)
                .collect()
        };
        match state.store.claim_deliveries(CLAIM_BATCH, &busy).await {
            Ok(batch) => {
                for delivery in batch {
                    let admitted = {
                        let mut map = in_flight.lock().unwrap_or_else(|e| e.into_inner());
                        let n = map.entry(delivery.webhook_id).or_insert(0);
                        if *n < PER_ENDPOINT {
                            *n += 1;
                            true
                        } else {
                            false
                        }
                    };
                    if !admitted {
                        let _ = state.store.release_delivery(delivery.id).await;
                        continue;
                    }
                    let state = state.clone();
                    let in_flight = in_flight.clone();
                    tasks.spawn(async move {
                        let webhook_id = delivery.webhook_id;
                        attempt(&state, delivery).await;
                        let mut map = in_flight.lock().unwrap_or_else(|e| e.into_inner());
                        if let Some(n) = map.get_mut(&webhook_id) {
                            *n -= 1;
                        }
                    });
                }
            }
            Err(e) => tracing::warn!(error = %e, "claiming webhook deliveries failed"),
        }
        tokio::select! {
            _ = tokio::time::sleep(POLL) => {}
            _ = shutdown.cancelled() => break,
        }
    }
    tasks.close();
    let _ = tokio::time::timeout(ATTEMPT_TIMEOUT + Duration::from_secs(1), tasks.wait()).await;
}

async fn attempt(state: &AppState, delivery: DueDelivery) {
    let started = Instant::now();
    let webhook = match state.store.webhook(delivery.webhook_id).await {
        Ok(w) => w,
        Err(e) => {
            tracing::warn!(error = %e, webhook = delivery.webhook_id, "webhook vanished before delivery");
            return;
        }
    };
    let result = post(state, &webhook, &delivery).await;
    let elapsed = started.elapsed().as_millis() as i64;
    let attempts_made = delivery.attempts + 1;
    let delays = &state.config.webhooks.retry_delays_seconds;
    let scheduled = || match delays.get((attempts_made - 1) as usize) {
        Some(delay) => Outcome::Retry {
            at_ms: now_ms() + (*delay as i64) * 1000,
        },
        None => Outcome::Failed,
    };
    let (status, error, outcome) = match result {
        Ok((status, _)) if (200..300).contains(&status) => (Some(status), None, Outcome::Succeeded),
        Ok((410, _)) => {
            if let Err(e) = state
                .store
                .disable_webhook(webhook.id, "endpoint answered 410 Gone")
                .await
            {
                tracing::warn!(error = %e, "could not disable webhook");
            }
            (
                Some(410),
                Some("410 Gone: subscription disabled".to_string()),
                Outcome::Failed,
            )
        }
        Ok((status, retry_after)) => {
            let outcome = match (status, retry_after) {
                (429 | 503, Some(seconds)) if (attempts_made as usize) <= delays.len() => {
                    Outcome::Retry {
                        at_ms: now_ms() + (seconds.min(86_400) as i64) * 1000,
                    }
                }
                _ => scheduled(),
            };
            (Some(status), Some(format!("HTTP {status}")), outcome)
        }
        Err(e) => (None, Some(e), scheduled()),
    };
    tracing::debug!(webhook = webhook.id, message_id = %delivery.message_id, ?status, ?outcome, "webhook attempt");
    if let Err(e) = state
        .store
        .finish_attempt(&delivery, status, elapsed, error, outcome)
        .await
    {
        tracing::warn!(error = %e, "recording a webhook attempt failed");
    }
}

/// One POST; the status code and any `Retry-After` seconds.
async fn post(
    state: &AppState,
    webhook: &crate::store::webhooks::Webhook,
    delivery: &DueDelivery,
) -> Result<(u16, Option<u64>), String> {
    let (url, host, addr) =
        resolve_target(&webhook.url, state.config.webhooks.allow_private_targets).await?;
    let timestamp = chrono::Utc::now().timestamp();
    let signatures: Vec<String> = webhook
        .signing_secrets(now_ms())
        .into_iter()
        .filter_map(|s| sign(s, &delivery.message_id, timestamp, &delivery.payload))
        .collect();
    let client = reqwest::Client::builder()
        .timeout(ATTEMPT_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("Rampart-Webhooks/", env!("CARGO_PKG_VERSION")))
        .resolve(&host, addr)
        .build()
        .map_err(|e| e.to_string())?;
    let mut response = client
        .post(url)
        .header("content-type", "application/json")
        .header("webhook-id", &delivery.message_id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", signatures.join(" "))
        .body(delivery.payload.clone())
        .send()
        .await
        .map_err(|e| {
            if e.is_timeout() {
                "timed out after 15 s".to_string()
            } else {
                format!("request failed: {e}")
            }
        })?;
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    // Read (and discard) at most 64 KiB of the answer.
    let mut read = 0usize;
    while read < MAX_RESPONSE_BYTES {
        match response.chunk().await {
            Ok(Some(chunk)) => read += chunk.len(),
            _ => break,
        }
    }
    Ok((status, retry_after))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_matches_the_specification_example() {
        // The example from the Standard Webhooks specification.
        let sig = sign(
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1614265330,
            r#"{"test": 2432232314}"#,
        );
        assert_eq!(
            sig.as_deref(),
            Some("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
        );
    }

    #[test]
    fn private_ranges() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.1.1",
            "100.64.0.1",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
            "0.0.0.0",
        ] {
            assert!(is_private(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["192.0.2.1", "8.8.8.8", "2001:db8::1"] {
            assert!(!is_private(ip.parse().unwrap()), "{ip}");
        }
    }
}
