//! Webhooks: every event type signed and verifiable with an independent
//! Standard Webhooks implementation, retries with a stable webhook-id,
//! 410 disabling, secret rotation, restarts, and target safety.

mod common;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::{HeaderMap, StatusCode};
use common::TestServer;
use common::smtp::SmtpClient;
use reqwest::Method;
use serde_json::{Value, json};

#[derive(Clone, Debug)]
struct Received {
    headers: HeaderMap,
    body: String,
    answered: u16,
}

/// A webhook endpoint: answers `fail_first` failures (with `failure`) per
/// webhook-id, then 200, and records everything.
#[derive(Clone)]
struct Receiver {
    log: Arc<Mutex<Vec<Received>>>,
    seen: Arc<Mutex<HashMap<String, u32>>>,
    fail_first: u32,
    failure: u16,
}

impl Receiver {
    async fn start(fail_first: u32, failure: u16) -> (Self, SocketAddr) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        (Self::serve(listener, fail_first, failure), addr)
    }

    fn serve(listener: tokio::net::TcpListener, fail_first: u32, failure: u16) -> Self {
        let r = Self {
            log: Arc::default(),
            seen: Arc::default(),
            fail_first,
            failure,
        };
        let app = axum::Router::new().route(
            "/hook",
            axum::routing::post({
                let r = r.clone();
                move |headers: HeaderMap, body: String| {
                    let r = r.clone();
                    async move {
                        let id = headers
                            .get("webhook-id")
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or("")
                            .to_string();
                        let n = {
                            let mut seen = r.seen.lock().unwrap();
                            let n = seen.entry(id).or_insert(0);
                            *n += 1;
                            *n
                        };
                        let status = if n <= r.fail_first { r.failure } else { 200 };
                        r.log.lock().unwrap().push(Received {
                            headers,
                            body,
                            answered: status,
                        });
                        StatusCode::from_u16(status).unwrap()
                    }
                }
            }),
        );
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        r
    }

    fn successes(&self) -> Vec<Received> {
        self.log
            .lock()
            .unwrap()
            .iter()
            .filter(|r| r.answered == 200)
            .cloned()
            .collect()
    }

    async fn wait_for(&self, pred: impl Fn(&[Received]) -> bool) {
        for _ in 0..300 {
            if pred(&self.log.lock().unwrap()) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "receiver never saw what was expected: {:#?}",
            self.log
                .lock()
                .unwrap()
                .iter()
                .map(|r| (&r.body, r.answered))
                .collect::<Vec<_>>()
        );
    }
}

const FAST: &str = "[webhooks]\nallow_private_targets = true\nretry_delays_seconds = [1, 1, 1]\n";

async fn subscribe(s: &TestServer, addr: SocketAddr, events: Value) -> (i64, String) {
    let r = s
        .admin(Method::POST, "/v1/webhooks")
        .json(
            &json!({"url": format!("http://{addr}/hook"), "events": events, "description": "test"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let v: Value = r.json().await.unwrap();
    let secret = v["secret"].as_str().unwrap().to_string();
    assert!(secret.starts_with("whsec_"));
    (v["id"].as_i64().unwrap(), secret)
}

fn verify(secret: &str, r: &Received) {
    standardwebhooks::Webhook::new(secret)
        .unwrap()
        .verify(r.body.as_bytes(), &r.headers)
        .expect("signature verifies");
}

#[tokio::test]
async fn every_event_type_arrives_signed_and_retried() {
    let s = TestServer::start_smtp(FAST).await;
    let (receiver, addr) = Receiver::start(2, 500).await;
    let (id, secret) = subscribe(&s, addr, json!(["*"])).await;

    // Produce every event type the server emits.
    s.create_domain("example.test").await;
    s.create_account("alice@example.test", "alice password")
        .await;
    s.create_account("temp@example.test", "temp password").await;
    s.admin(Method::POST, "/v1/accounts/alice@example.test/freeze")
        .send()
        .await
        .unwrap();
    s.admin(Method::POST, "/v1/accounts/alice@example.test/unfreeze")
        .send()
        .await
        .unwrap();
    s.admin(Method::DELETE, "/v1/accounts/temp@example.test")
        .send()
        .await
        .unwrap();
    s.admin(Method::PUT, "/v1/settings/relay")
        .json(&json!({"trusted_networks": ["127.0.0.0/8"], "require_auth_for_local_senders": true, "sender_must_match_auth": true}))
        .send()
        .await
        .unwrap();
    let mut c = SmtpClient::connect(s.smtp.unwrap()).await;
    c.cmd("EHLO a.test").await;
    c.cmd("MAIL FROM:<x@outside.test>").await;
    assert_eq!(c.cmd("RCPT TO:<alice@example.test>").await.code, 250);
    assert_eq!(c.cmd("RCPT TO:<friend@elsewhere.test>").await.code, 250);
    assert_eq!(c.cmd("RCPT TO:<nobody@example.test>").await.code, 550);
    c.cmd("DATA").await;
    c.send(b"Subject: hi\r\n\r\nhello\r\n.\r\n").await;
    assert_eq!(c.reply().await.code, 250);
    let r = s
        .admin(Method::POST, &format!("/v1/webhooks/{id}/test"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);

    let expected = [
        "account.created",
        "account.frozen",
        "account.unfrozen",
        "account.deleted",
        "message.received",
        "message.rejected",
        "message.queued",
        "webhook.test",
    ];
    receiver
        .wait_for(|log| {
            let ok: Vec<String> = log
                .iter()
                .filter(|r| r.answered == 200)
                .map(|r| {
                    serde_json::from_str::<Value>(&r.body).unwrap()["type"]
                        .as_str()
                        .unwrap()
                        .to_string()
                })
                .collect();
            expected.iter().all(|t| ok.iter().any(|o| o == t))
        })
        .await;

    let log = receiver.log.lock().unwrap().clone();
    let mut attempts: HashMap<String, Vec<u16>> = HashMap::new();
    for r in &log {
        verify(&secret, r);
        assert_eq!(r.headers["content-type"], "application/json");
        assert!(
            r.headers["user-agent"]
                .to_str()
                .unwrap()
                .starts_with("Rampart")
        );
        let body: Value = serde_json::from_str(&r.body).unwrap();
        assert!(
            body["type"].is_string() && body["timestamp"].is_string() && body["data"].is_object(),
            "{body}"
        );
        attempts
            .entry(r.headers["webhook-id"].to_str().unwrap().to_string())
            .or_default()
            .push(r.answered);
    }
    // Every delivered payload has the fields its documented schema requires.
    let doc: Value = serde_json::from_str(&rampart::api::openapi::document_json()).unwrap();
    for r in log.iter().filter(|r| r.answered == 200) {
        let body: Value = serde_json::from_str(&r.body).unwrap();
        let kind = rampart::events::EventType::parse(body["type"].as_str().unwrap()).unwrap();
        let schema = &doc["components"]["schemas"][kind.payload_schema().expect("documented")];
        assert!(
            doc["webhooks"][kind.as_str()]["post"].is_object(),
            "{kind:?} in the webhooks section"
        );
        for field in schema["required"].as_array().unwrap() {
            assert!(
                body["data"].get(field.as_str().unwrap()).is_some(),
                "{kind:?} lacks {field}: {body}"
            );
        }
    }
    // Each event: two failures then success, always under the same webhook-id.
    for (id, statuses) in &attempts {
        if statuses.contains(&200) {
            assert_eq!(statuses, &[500, 500, 200], "{id}");
        }
    }
    // The attempts are visible through the API.
    let d: Value = s
        .admin(
            Method::GET,
            &format!("/v1/webhooks/{id}/deliveries?limit=500"),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let items = d["items"].as_array().unwrap();
    assert!(
        items
            .iter()
            .any(|a| a["status_code"] == 500 && a["delivery_status"] == "succeeded")
    );
    assert!(
        items
            .iter()
            .any(|a| a["status_code"] == 200 && a["duration_ms"].is_i64())
    );
    s.stop().await;
}

#[tokio::test]
async fn gone_disables_the_subscription() {
    let s = TestServer::start_smtp(FAST).await;
    let (receiver, addr) = Receiver::start(u32::MAX, 410).await;
    let (id, _) = subscribe(&s, addr, json!(["account.created"])).await;
    let (watcher, watcher_addr) = Receiver::start(0, 200).await;
    let (_, watcher_secret) = subscribe(&s, watcher_addr, json!(["webhook.disabled"])).await;
    s.create_domain("example.test").await;
    s.create_account("alice@example.test", "alice password")
        .await;
    watcher.wait_for(|log| !log.is_empty()).await;
    let w: Value = s
        .admin(Method::GET, &format!("/v1/webhooks/{id}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(w["enabled"], false);
    assert!(w["disabled_reason"].as_str().unwrap().contains("410"));
    let event = &watcher.successes()[0];
    verify(&watcher_secret, event);
    assert_eq!(
        serde_json::from_str::<Value>(&event.body).unwrap()["data"]["webhook_id"],
        id
    );
    // No more attempts to a disabled subscription.
    s.create_account("bob@example.test", "bob password").await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(receiver.log.lock().unwrap().len(), 1);
    s.stop().await;
}

#[tokio::test]
async fn deliveries_survive_a_restart_and_secrets_rotate() {
    let s = TestServer::start_smtp(FAST).await;
    // An endpoint that is down: reserve a port and close it.
    let addr = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let (id, old_secret) = subscribe(&s, addr, json!(["account.created"])).await;
    s.create_domain("example.test").await;
    s.create_account("alice@example.test", "alice password")
        .await;
    // Wait for a failed attempt to be recorded, then restart.
    for _ in 0..100 {
        let d: Value = s
            .admin(Method::GET, &format!("/v1/webhooks/{id}/deliveries"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if !d["items"].as_array().unwrap().is_empty() {
            assert_eq!(d["items"][0]["status_code"], Value::Null);
            assert!(d["items"][0]["error"].is_string());
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let s = s.restart().await;
    let r = s
        .admin(Method::POST, &format!("/v1/webhooks/{id}/rotate-secret"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let new_secret = r.json::<Value>().await.unwrap()["secret"]
        .as_str()
        .unwrap()
        .to_string();
    assert_ne!(new_secret, old_secret);
    let receiver = Receiver::serve(tokio::net::TcpListener::bind(addr).await.unwrap(), 0, 200);
    receiver.wait_for(|log| !log.is_empty()).await;
    let got = receiver.successes()[0].clone();
    assert_eq!(
        serde_json::from_str::<Value>(&got.body).unwrap()["type"],
        "account.created"
    );
    // Signed with both secrets during the grace period.
    verify(&new_secret, &got);
    verify(&old_secret, &got);
    assert_eq!(
        got.headers["webhook-signature"]
            .to_str()
            .unwrap()
            .split(' ')
            .count(),
        2
    );
    s.stop().await;
}

#[tokio::test]
async fn subscriptions_are_validated_and_scoped() {
    let s = TestServer::start().await;
    // Private targets are refused by default.
    for (url, why) in [
        ("http://127.0.0.1:9/hook", "loopback"),
        ("ftp://example.test/x", "scheme"),
        ("not a url", "url"),
    ] {
        let r = s
            .admin(Method::POST, "/v1/webhooks")
            .json(&json!({"url": url, "events": ["*"]}))
            .send()
            .await
            .unwrap();
        common::expect_problem(r, 422).await;
        let _ = why;
    }
    let r = s
        .admin(Method::POST, "/v1/webhooks")
        .json(&json!({"url": "http://[::1]/x", "events": ["no.such"]}))
        .send()
        .await
        .unwrap();
    common::expect_problem(r, 422).await;
    let r = s
        .admin(Method::POST, "/v1/webhooks")
        .json(&json!({"url": "http://[::1]/x", "events": []}))
        .send()
        .await
        .unwrap();
    common::expect_problem(r, 422).await;
    s.create_domain("one.test").await;
    s.create_account("u@one.test", "user password").await;
    let user = s
        .token(json!({"role": "user", "account": "u@one.test"}))
        .await;
    let r = s
        .with_token(&user, Method::GET, "/v1/webhooks")
        .send()
        .await
        .unwrap();
    common::expect_problem(r, 403).await;
    let r = s
        .admin(Method::GET, "/v1/webhooks/999")
        .send()
        .await
        .unwrap();
    common::expect_problem(r, 404).await;
    s.stop().await;
}

#[tokio::test]
async fn admins_are_emailed_when_an_account_is_frozen() {
    let s = TestServer::start().await;
    s.create_domain("example.test").await;
    s.create_account("admin@example.test", "admin password")
        .await;
    s.create_account("alice@example.test", "alice password")
        .await;
    let r = s
        .admin(Method::PUT, "/v1/settings/notifications")
        .json(&json!({"admin_addresses": ["admin@example.test", "ops@elsewhere.test"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    s.admin(Method::POST, "/v1/accounts/alice@example.test/freeze")
        .json(&json!({"reason": "sent 500 messages in 2 minutes"}))
        .send()
        .await
        .unwrap();
    let admin = rampart::address::EmailAddress::parse("admin@example.test").unwrap();
    let mut found = None;
    for _ in 0..100 {
        let messages = s
            .state
            .store
            .mailbox_messages(&admin, "INBOX")
            .await
            .unwrap();
        if let Some(m) = messages.first() {
            found = Some(String::from_utf8(s.state.blobs.get(&m.blob).await.unwrap()).unwrap());
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let email = found.expect("the admin was emailed");
    assert!(
        email.contains("Subject: [Rampart] Account frozen: alice@example.test"),
        "{email}"
    );
    assert!(
        email.contains("reason: sent 500 messages in 2 minutes"),
        "{email}"
    );
    assert!(email.contains("Auto-Submitted: auto-generated"));
    // The remote admin's copy is queued outbound, with the null sender.
    let queued = s.state.store.queued_recipients().await.unwrap();
    assert_eq!(
        queued.iter().map(|q| q.0.as_str()).collect::<Vec<_>>(),
        ["ops@elsewhere.test"]
    );
    s.stop().await;
}
