//! Outbound delivery against a DNS server and remote MX hosts started by the
//! test: MX lookup, opportunistic TLS, DKIM signatures that mail-auth
//! verifies, retries after 4xx, DSNs after 5xx, null MX, the queue API and
//! a restart in the middle.

mod common;

use std::net::Ipv4Addr;
use std::time::Duration;

use common::TestServer;
use common::dns::Zone;
use common::smtp::SmtpClient;
use mail_auth::hickory_resolver::config::{
    ConnectionConfig, NameServerConfig, ResolverConfig, ResolverOpts,
};
use mail_auth::{AuthenticatedMessage, DkimResult, MessageAuthenticator};
use reqwest::Method;
use serde_json::{Value, json};

struct World {
    s: TestServer,
    zone: Zone,
    dns: std::net::SocketAddr,
    mx: common::mx::Mx,
}

/// A server whose DNS is the test's and whose remote MX port is `mx_port`.
async fn world_with(tls: bool, mx_listener: Option<tokio::net::TcpListener>) -> World {
    let zone = Zone::default();
    zone.mx("remote.test", 10, "mx.remote.test");
    zone.a("mx.remote.test", Ipv4Addr::LOCALHOST);
    zone.mx("nullmx.test", 0, ".");
    let dns = common::dns::start(zone.clone()).await;
    let (mx, mx_addr) = match mx_listener {
        Some(l) => {
            let addr = l.local_addr().unwrap();
            (common::mx::serve(l, tls), addr)
        }
        None => common::mx::start(tls).await,
    };
    let extra = format!(
        "[dns]\nnameservers = [\"{dns}\"]\ntimeout_ms = 1000\n\n[outbound]\nmx_port = {}\nretry_delays_seconds = [1]\n",
        mx_addr.port()
    );
    let s = TestServer::start_smtp(&extra).await;
    s.create_domain("example.test").await;
    s.create_account("alice@example.test", "alice password")
        .await;
    World { s, zone, dns, mx }
}

/// Submits a message as alice over 465 with AUTH.
async fn submit(s: &TestServer, rcpts: &[&str], body: &str) {
    let mut c = SmtpClient::connect_tls(s.submissions.unwrap(), s.dir.path()).await;
    c.cmd("EHLO client.test").await;
    assert_eq!(
        c.auth_plain("alice@example.test", "alice password")
            .await
            .code,
        235
    );
    assert_eq!(c.cmd("MAIL FROM:<alice@example.test>").await.code, 250);
    for r in rcpts {
        assert_eq!(c.cmd(&format!("RCPT TO:<{r}>")).await.code, 250, "{r}");
    }
    assert_eq!(c.cmd("DATA").await.code, 354);
    // Dot-stuffed on the wire, as every SMTP client must.
    let stuffed = body.replace("\r\n.", "\r\n..");
    c.send(format!("{stuffed}.\r\n").as_bytes()).await;
    assert_eq!(c.reply().await.code, 250);
    c.cmd("QUIT").await;
}

fn authenticator(dns: std::net::SocketAddr) -> MessageAuthenticator {
    let mut udp = ConnectionConfig::udp();
    udp.port = dns.port();
    let mut opts = ResolverOpts::default();
    opts.timeout = Duration::from_secs(2);
    opts.cache_size = 0;
    MessageAuthenticator::new(
        ResolverConfig::from_name_servers(vec![NameServerConfig::new(dns.ip(), true, vec![udp])]),
        opts,
    )
    .unwrap()
}

async fn inbox(s: &TestServer, account: &str) -> Vec<String> {
    let address = rampart::address::EmailAddress::parse(account).unwrap();
    let mut out = Vec::new();
    for m in s
        .state
        .store
        .mailbox_messages(&address, "INBOX")
        .await
        .unwrap()
    {
        out.push(String::from_utf8_lossy(&s.state.blobs.get(&m.blob).await.unwrap()).into_owned());
    }
    out
}

async fn wait_inbox(s: &TestServer, account: &str, n: usize) -> Vec<String> {
    for _ in 0..300 {
        let got = inbox(s, account).await;
        if got.len() >= n {
            return got;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{account} never received {n} messages");
}

async fn events(s: &TestServer, kind: &str) -> Vec<Value> {
    let v: Value = s
        .admin(Method::GET, &format!("/v1/events?type={kind}&limit=500"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    v["items"].as_array().unwrap().clone()
}

const BODY: &str = "From: Alice <alice@example.test>\r\nTo: bob@remote.test\r\nSubject: outbound\r\nDate: Sat, 28 Nov 2026 10:00:00 +0000\r\nMessage-ID: <out-1@example.test>\r\n\r\nHello remote.\r\n.leading dot\r\n";

#[tokio::test]
async fn delivers_over_tls_with_verifiable_dkim_signatures() {
    let w = world_with(true, None).await;
    for (selector, algorithm) in [("ed", "ed25519"), ("rs", "rsa-2048")] {
        let r =
            w.s.admin(Method::POST, "/v1/domains/example.test/dkim-keys")
                .json(&json!({"selector": selector, "algorithm": algorithm}))
                .send()
                .await
                .unwrap();
        assert_eq!(r.status(), 201);
        let key: Value = r.json().await.unwrap();
        assert_eq!(
            key["dns_name"],
            format!("{selector}._domainkey.example.test")
        );
        assert!(key.get("private_key").is_none());
        w.zone.txt(
            key["dns_name"].as_str().unwrap(),
            key["dns_value"].as_str().unwrap(),
        );
    }
    let keys: Value =
        w.s.admin(Method::GET, "/v1/domains/example.test/dkim-keys")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
    assert_eq!(keys["items"].as_array().unwrap().len(), 2);

    submit(&w.s, &["bob@remote.test"], BODY).await;
    let got = w.mx.wait_for(1).await;
    let m = &got[0];
    assert!(
        m.tls,
        "delivered over STARTTLS (self-signed certificate accepted opportunistically)"
    );
    assert_eq!(m.mail_from, "alice@example.test");
    assert_eq!(m.rcpt_to, vec!["bob@remote.test"]);
    let text = String::from_utf8_lossy(&m.data);
    assert!(text.starts_with("DKIM-Signature: "), "{text}");
    assert!(
        text.contains("\r\n.leading dot\r\n"),
        "dot-stuffing undone by the receiver"
    );
    // The newest active key signs; mail-auth verifies it against our DNS.
    let message = AuthenticatedMessage::parse(&m.data).unwrap();
    let results = authenticator(w.dns).verify_dkim(&message).await;
    assert!(!results.is_empty());
    assert!(
        results.iter().all(|r| r.result() == &DkimResult::Pass),
        "{results:?}"
    );
    // Tampering breaks it.
    let tampered = String::from_utf8_lossy(&m.data).replace("Hello remote.", "Hello evil.");
    let message = AuthenticatedMessage::parse(tampered.as_bytes()).unwrap();
    assert!(
        authenticator(w.dns)
            .verify_dkim(&message)
            .await
            .iter()
            .all(|r| r.result() != &DkimResult::Pass)
    );

    // The queue and the events say so.
    for _ in 0..50 {
        if !events(&w.s, "message.delivered").await.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let delivered = events(&w.s, "message.delivered").await;
    assert_eq!(delivered[0]["data"]["recipient"], "bob@remote.test");
    assert_eq!(delivered[0]["data"]["tls"], true);
    assert!(
        delivered[0]["data"]["reply"]
            .as_str()
            .unwrap()
            .starts_with("250")
    );
    let q: Value =
        w.s.admin(Method::GET, "/v1/queue?state=delivered")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
    assert_eq!(q["items"][0]["recipient"], "bob@remote.test");
    let r =
        w.s.admin(Method::DELETE, "/v1/domains/example.test/dkim-keys/ed")
            .send()
            .await
            .unwrap();
    assert_eq!(r.status(), 204);
    w.s.stop().await;
}

#[tokio::test]
async fn temporary_failures_are_retried_and_permanent_ones_bounce_once() {
    let w = world_with(false, None).await;
    submit(
        &w.s,
        &["temp@remote.test", "reject@remote.test", "ok@remote.test"],
        BODY,
    )
    .await;
    // ok arrives first; temp after its retry a second later.
    let got = w.mx.wait_for(2).await;
    assert_eq!(got[0].rcpt_to, vec!["ok@remote.test"]);
    assert_eq!(got[1].rcpt_to, vec!["temp@remote.test"]);
    // One DSN, once everything is settled, listing only the rejected recipient.
    let dsn = wait_inbox(&w.s, "alice@example.test", 1).await;
    assert!(dsn[0].starts_with("Return-Path: <>\r\n"), "{}", dsn[0]);
    assert!(dsn[0].contains("multipart/report; report-type=delivery-status"));
    assert!(dsn[0].contains("Final-Recipient: rfc822; reject@remote.test"));
    assert!(dsn[0].contains("Status: 5.1.1"));
    assert!(!dsn[0].contains("Final-Recipient: rfc822; temp@remote.test"));
    assert!(
        dsn[0].contains("Subject: outbound"),
        "original headers attached"
    );
    let deferred = events(&w.s, "message.deferred").await;
    assert_eq!(deferred.len(), 1);
    assert_eq!(deferred[0]["data"]["recipient"], "temp@remote.test");
    assert!(
        deferred[0]["data"]["reply"]
            .as_str()
            .unwrap()
            .starts_with("451")
    );
    assert_eq!(events(&w.s, "message.bounced").await.len(), 1);
    assert_eq!(events(&w.s, "message.delivered").await.len(), 2);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        inbox(&w.s, "alice@example.test").await.len(),
        1,
        "exactly one DSN"
    );
    w.s.stop().await;
}

#[tokio::test]
async fn null_mx_and_unknown_domains_bounce() {
    let w = world_with(false, None).await;
    submit(&w.s, &["x@nullmx.test"], BODY).await;
    let dsn = wait_inbox(&w.s, "alice@example.test", 1).await;
    assert!(dsn[0].contains("Final-Recipient: rfc822; x@nullmx.test"));
    assert!(dsn[0].contains("null MX"), "{}", dsn[0]);
    submit(&w.s, &["y@nowhere.test"], BODY).await;
    let dsn = wait_inbox(&w.s, "alice@example.test", 2).await;
    assert!(dsn[1].contains("Final-Recipient: rfc822; y@nowhere.test"));
    w.s.stop().await;
}

#[tokio::test]
async fn queue_survives_a_restart_and_the_api_controls_it() {
    // The remote MX is down: reserve its port and close it.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let mut w = world_with(false, None).await;
    // Point the server at the dead port instead of the running sink.
    w.s.stop().await;
    let dns = w.dns;
    let extra = format!(
        "[dns]\nnameservers = [\"{dns}\"]\ntimeout_ms = 1000\n\n[outbound]\nmx_port = {port}\nretry_delays_seconds = [1]\n"
    );
    let s = TestServer::start_smtp(&extra).await;
    s.create_domain("example.test").await;
    s.create_account("alice@example.test", "alice password")
        .await;
    submit(&s, &["bob@remote.test", "carol@remote.test"], BODY).await;
    let mut deferred = Vec::new();
    for _ in 0..100 {
        deferred = events(&s, "message.deferred").await;
        if deferred.len() >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(deferred.len() >= 2, "connection refused defers");
    let q: Value = s
        .admin(Method::GET, "/v1/queue?domain=remote.test")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let items = q["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    let carol = items
        .iter()
        .find(|i| i["recipient"] == "carol@remote.test")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    // Carol is taken out of the queue; Bob stays.
    assert_eq!(
        s.admin(Method::DELETE, &format!("/v1/queue/{carol}"))
            .send()
            .await
            .unwrap()
            .status(),
        204
    );
    assert_eq!(
        s.admin(Method::GET, &format!("/v1/queue/{carol}"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    let s = s.restart().await;
    w.mx = common::mx::serve(
        tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .unwrap(),
        false,
    );
    let bob = items
        .iter()
        .find(|i| i["recipient"] == "bob@remote.test")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let r = s
        .admin(Method::POST, &format!("/v1/queue/{bob}/retry"))
        .send()
        .await
        .unwrap();
    assert!(r.status() == 200 || r.status() == 409, "{}", r.status());
    let got = w.mx.wait_for(1).await;
    assert_eq!(got[0].rcpt_to, vec!["bob@remote.test"]);
    for _ in 0..50 {
        let e: Value = s
            .admin(Method::GET, &format!("/v1/queue/{bob}"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if e["status"] == "delivered" {
            assert!(e["attempts"].as_i64().unwrap() >= 2);
            let r = s
                .admin(Method::POST, &format!("/v1/queue/{bob}/retry"))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 409, "a delivered entry can't be retried");
            s.stop().await;
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("bob was never marked delivered");
}

/// `GET /v1/queue` lists what is waiting; finished entries are history
/// (`?status=`), each with its attempts, purged after `history_days`.
#[tokio::test]
async fn finished_entries_are_history_with_their_attempts_then_purged() {
    // A port nothing listens on: every attempt is refused.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let zone = Zone::default();
    zone.mx("remote.test", 10, "mx.remote.test");
    zone.a("mx.remote.test", Ipv4Addr::LOCALHOST);
    let dns = common::dns::start(zone).await;
    // Refused, and then past max_queue_seconds before the next try.
    let extra = format!(
        "[dns]\nnameservers = [\"{dns}\"]\ntimeout_ms = 1000\n\n[outbound]\nmx_port = {port}\n\
         retry_delays_seconds = [1]\nmax_queue_seconds = 2\n"
    );
    let s = TestServer::start_smtp(&extra).await;
    s.create_domain("example.test").await;
    s.create_account("alice@example.test", "alice password")
        .await;
    submit(&s, &["bob@remote.test", "carol@remote.test"], BODY).await;
    let list = |query: &'static str| {
        let s = &s;
        async move {
            let r = s
                .admin(Method::GET, &format!("/v1/queue{query}"))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200, "{query}");
            r.json::<Value>().await.unwrap()["items"]
                .as_array()
                .unwrap()
                .clone()
        }
    };
    // While waiting, both are listed by default and filter by recipient.
    let waiting = list("").await;
    assert_eq!(waiting.len(), 2, "{waiting:?}");
    let only_bob = list("?recipient=bob@remote.test").await;
    assert_eq!(only_bob.len(), 1);
    assert_eq!(only_bob[0]["recipient"], "bob@remote.test");
    let mut bounced = Vec::new();
    for _ in 0..100 {
        bounced = events(&s, "message.bounced").await;
        if bounced.len() >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(bounced.len(), 2, "both expire");
    // Nothing waits any more; the history has them as expired, with
    // every attempt (time, host, reply).
    assert!(list("").await.is_empty());
    assert!(list("?status=delivered").await.is_empty());
    let expired = list("?status=expired").await;
    assert_eq!(expired.len(), 2, "{expired:?}");
    for e in &expired {
        let log = e["attempt_log"].as_array().unwrap();
        assert_eq!(log.len() as i64, e["attempts"].as_i64().unwrap());
        let last = log.last().unwrap();
        assert_eq!(last["status"], "expired");
        assert!(
            last["reply"].as_str().unwrap().contains("gave up"),
            "{last}"
        );
        assert!(last["at"].as_str().is_some());
    }
    let id = expired[0]["id"].as_i64().unwrap();
    let one: Value = s
        .admin(Method::GET, &format!("/v1/queue/{id}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(one["attempt_log"], expired[0]["attempt_log"]);
    // The old name of the filter still works; an unknown state is a 400.
    assert_eq!(list("?state=expired").await.len(), 2);
    let r = s
        .admin(Method::GET, "/v1/queue?status=lost")
        .send()
        .await
        .unwrap();
    common::expect_problem(r, 400).await;
    // With history_days = 0, housekeeping (which runs at start) purges.
    let mut s = s;
    s.config.outbound.history_days = 0;
    let s = s.restart().await;
    for _ in 0..50 {
        let r = s
            .admin(Method::GET, "/v1/queue?status=expired")
            .send()
            .await
            .unwrap();
        let items: Value = r.json().await.unwrap();
        if items["items"].as_array().unwrap().is_empty() {
            let r = s
                .admin(Method::GET, &format!("/v1/queue/{id}"))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 404);
            s.stop().await;
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("finished entries were not purged");
}
