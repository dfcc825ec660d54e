//! Hijack detection and failed-login screening, over real sockets on every
//! protocol: the limit, the freeze, the admin's email and the reply that
//! unfreezes; failed logins recorded, IPs blocked and unblocked.

mod common;

use std::net::IpAddr;
use std::time::Duration;

use common::TestServer;
use common::smtp::SmtpClient;
use reqwest::Method;
use serde_json::{Value, json};

async fn server() -> TestServer {
    let s = TestServer::start_smtp("").await;
    s.create_domain("example.test").await;
    for (a, p) in [
        ("alice@example.test", "alice password"),
        ("admin@example.test", "admin password"),
        ("bob@example.test", "bob password!"),
    ] {
        s.create_account(a, p).await;
    }
    let r = s
        .admin(Method::PUT, "/v1/settings/notifications")
        .json(&json!({"admin_addresses": ["admin@example.test"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    s
}

/// Submits over 465 with AUTH; returns the reply to MAIL (or to the end of
/// data when MAIL and RCPT pass).
async fn submit(
    s: &TestServer,
    user: &str,
    password: &str,
    to: &str,
    subject: &str,
) -> common::smtp::Reply {
    let mut c = SmtpClient::connect_tls(s.submissions.unwrap(), s.dir.path()).await;
    c.cmd("EHLO client.test").await;
    assert_eq!(
        c.auth_plain(user, password).await.code,
        235,
        "{user} logs in"
    );
    let mail = c.cmd(&format!("MAIL FROM:<{user}>")).await;
    if mail.code != 250 {
        return mail;
    }
    let rcpt = c.cmd(&format!("RCPT TO:<{to}>")).await;
    if rcpt.code != 250 {
        return rcpt;
    }
    assert_eq!(c.cmd("DATA").await.code, 354);
    c.send(format!("From: <{user}>\r\nSubject: {subject}\r\n\r\nbody\r\n.\r\n").as_bytes())
        .await;
    c.reply().await
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

async fn wait_for_mail(s: &TestServer, account: &str, containing: &str) -> String {
    for _ in 0..100 {
        if let Some(m) = inbox(s, account)
            .await
            .into_iter()
            .find(|m| m.contains(containing))
        {
            return m;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{account} never got a message containing {containing:?}");
}

async fn account(s: &TestServer, address: &str) -> Value {
    s.admin(Method::GET, &format!("/v1/accounts/{address}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn over_the_limit_freezes_and_a_reply_unfreezes() {
    let s = server().await;
    let r = s
        .admin(Method::PUT, "/v1/settings/hijack-detection")
        .json(&json!({"enabled": true, "max_messages": 3, "window_seconds": 3600, "freeze_on_limit": true, "exempt_accounts": []}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // An IMAP session of alice's is open when the freeze comes.
    let dir = s.dir.path().to_path_buf();
    let mut imap = SmtpClient::connect_raw_tls(s.imaps.unwrap(), &dir).await;
    imap.read_line().await;
    assert!(
        imap.line_cmd("l LOGIN alice@example.test \"alice password\"")
            .await
            .starts_with("l OK")
    );

    for i in 0..3 {
        assert_eq!(
            submit(
                &s,
                "alice@example.test",
                "alice password",
                "bob@example.test",
                &format!("m{i}")
            )
            .await
            .code,
            250
        );
    }
    let over = submit(
        &s,
        "alice@example.test",
        "alice password",
        "bob@example.test",
        "m3",
    )
    .await;
    assert!(
        over.is(550, "5.7.1") && over.text.contains("frozen"),
        "{over:?}"
    );
    let a = account(&s, "alice@example.test").await;
    assert_eq!(a["status"], "frozen");
    assert!(
        a["frozen_reason"]
            .as_str()
            .unwrap()
            .contains("sending limit")
    );
    assert!(a["frozen_at"].is_string());
    assert_eq!(
        inbox(&s, "bob@example.test").await.len(),
        3,
        "the message over the limit was refused"
    );

    // Frozen: no SMTP AUTH, no IMAP, no POP3; the open IMAP session is closed.
    assert!(
        imap.read_line()
            .await
            .unwrap_or_default()
            .starts_with("* BYE"),
        "open session closed"
    );
    let mut c = SmtpClient::connect_tls(s.submissions.unwrap(), &dir).await;
    c.cmd("EHLO x").await;
    assert!(
        c.auth_plain("alice@example.test", "alice password")
            .await
            .text
            .contains("frozen")
    );
    let mut i = SmtpClient::connect_raw_tls(s.imaps.unwrap(), &dir).await;
    i.read_line().await;
    assert!(
        i.line_cmd("l LOGIN alice@example.test \"alice password\"")
            .await
            .starts_with("l NO [CONTACTADMIN]")
    );
    let mut p = SmtpClient::connect_raw_tls(s.pop3s.unwrap(), &dir).await;
    p.read_line().await;
    p.line_cmd("USER alice@example.test").await;
    assert!(
        p.line_cmd("PASS alice password")
            .await
            .starts_with("-ERR [AUTH]")
    );
    // Mail to her still arrives.
    let mut mx = SmtpClient::connect(s.smtp.unwrap()).await;
    mx.cmd("EHLO outside.test").await;
    mx.cmd("MAIL FROM:<x@outside.test>").await;
    assert_eq!(mx.cmd("RCPT TO:<alice@example.test>").await.code, 250);

    // The admin is told, with what to do about it.
    let mail = wait_for_mail(
        &s,
        "admin@example.test",
        "Account frozen: alice@example.test",
    )
    .await;
    assert!(
        mail.contains("sent 4 messages within 3600 seconds; its limit is 3"),
        "{mail}"
    );
    assert!(mail.contains("127.0.0.1 (submission)"), "{mail}");
    let reply_to = mail
        .lines()
        .find_map(|l| l.strip_prefix("Reply-To: "))
        .expect("Reply-To")
        .trim()
        .to_string();
    assert!(
        reply_to.starts_with("unfreeze+") && reply_to.ends_with("@mx.rampart.test"),
        "{reply_to}"
    );

    // Bob can't use it; the admin can, once.
    let refused = submit(
        &s,
        "bob@example.test",
        "bob password!",
        &reply_to,
        "unfreeze please",
    )
    .await;
    assert!(refused.is(550, "5.7.1"), "{refused:?}");
    assert_eq!(account(&s, "alice@example.test").await["status"], "frozen");
    let done = submit(
        &s,
        "admin@example.test",
        "admin password",
        &reply_to,
        "Re: frozen",
    )
    .await;
    assert!(done.is(250, "Unfrozen: alice@example.test"), "{done:?}");
    assert_eq!(account(&s, "alice@example.test").await["status"], "active");
    let again = submit(
        &s,
        "admin@example.test",
        "admin password",
        &reply_to,
        "Re: frozen",
    )
    .await;
    assert!(again.is(550, "5.1.1"), "single use: {again:?}");
    let events: Value = s
        .admin(Method::GET, "/v1/events?type=account.unfrozen")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(events["items"][0]["data"]["by"], "admin@example.test");
    let frozen: Value = s
        .admin(Method::GET, "/v1/events?type=account.frozen")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(frozen["items"][0]["data"]["limit"], 3);
    s.stop().await;
}

#[tokio::test]
async fn per_account_limits_exemptions_and_no_freeze() {
    let s = server().await;
    s.admin(Method::PUT, "/v1/settings/hijack-detection")
        .json(&json!({"enabled": true, "max_messages": 100, "window_seconds": 3600, "freeze_on_limit": false, "exempt_accounts": ["Admin@example.test"]}))
        .send()
        .await
        .unwrap();
    s.admin(Method::PATCH, "/v1/accounts/bob@example.test")
        .json(&json!({"sending_limit": {"max_messages": 1, "window_seconds": 60}}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        submit(
            &s,
            "bob@example.test",
            "bob password!",
            "alice@example.test",
            "one"
        )
        .await
        .code,
        250
    );
    let over = submit(
        &s,
        "bob@example.test",
        "bob password!",
        "alice@example.test",
        "two",
    )
    .await;
    assert!(
        over.is(451, "4.7.1"),
        "without freeze_on_limit the refusal is temporary: {over:?}"
    );
    assert_eq!(account(&s, "bob@example.test").await["status"], "active");
    s.stop().await;
}

const ATTACKER: [u8; 4] = [127, 0, 0, 2];
const CLIENT: [u8; 4] = [127, 0, 0, 3];

#[tokio::test]
async fn failed_logins_are_recorded_and_block_the_ip() {
    let s = server().await;
    s.admin(Method::PUT, "/v1/settings/auth-failure-screening")
        .json(&json!({"enabled": true, "max_failures": 4, "window_seconds": 600, "block_seconds": 3600,
                      "notify_after_failures": 2, "ignore_repeated_password": true}))
        .send()
        .await
        .unwrap();
    let dir = s.dir.path().to_path_buf();
    let attacker = IpAddr::from(ATTACKER);
    // SMTP AUTH, IMAP LOGIN, POP3 PASS: one failure each, different passwords.
    let mut c = SmtpClient::connect_tls_from(s.submissions.unwrap(), attacker, &dir).await;
    c.cmd("EHLO x").await;
    assert_eq!(
        c.auth_plain("alice@example.test", "guess-1").await.code,
        535
    );
    let mut i = SmtpClient::connect_raw_tls_from(s.imaps.unwrap(), attacker, &dir).await;
    i.read_line().await;
    assert!(
        i.line_cmd("l LOGIN alice@example.test guess-2")
            .await
            .starts_with("l NO [AUTHENTICATIONFAILED]")
    );
    let mut pop = SmtpClient::connect_raw_tls_from(s.pop3s.unwrap(), attacker, &dir).await;
    pop.read_line().await;
    pop.line_cmd("USER nobody@example.test").await;
    assert!(
        pop.line_cmd("PASS guess-3")
            .await
            .starts_with("-ERR [AUTH]")
    );

    let failures: Value = s
        .admin(Method::GET, "/v1/auth-failures?ip=127.0.0.2")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let protocols: Vec<&str> = failures["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["protocol"].as_str().unwrap())
        .collect();
    assert_eq!(protocols, ["pop3", "imap", "submission"], "newest first");
    assert_eq!(failures["items"][2]["username"], "alice@example.test");
    assert_eq!(failures["items"][0]["reason"], "bad_credentials");
    // alice reached notify_after_failures (2): the admin is told.
    wait_for_mail(
        &s,
        "admin@example.test",
        "Failed logins for alice@example.test",
    )
    .await;

    // The fourth failure blocks the address on every protocol and the API.
    assert_eq!(
        c.auth_plain("alice@example.test", "guess-4").await.code,
        535
    );
    let blocked = SmtpClient::connect_from(s.smtp.unwrap(), attacker).await;
    assert!(
        blocked.greeting.is(421, "blocked"),
        "{:?}",
        blocked.greeting
    );
    let mut i = SmtpClient::connect_raw(s.imap.unwrap()).await;
    assert!(
        i.read_line().await.unwrap().starts_with("* OK"),
        "others are not blocked"
    );
    let list: Value = s
        .admin(Method::GET, "/v1/blocked-ips")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"][0]["network"], "127.0.0.2/32");
    let events: Value = s
        .admin(Method::GET, "/v1/events?type=ip.blocked")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(events["items"].as_array().unwrap().len(), 1);
    wait_for_mail(&s, "admin@example.test", "IP address blocked: 127.0.0.2/32").await;

    // Unblocked through the API, it can connect again.
    let r = s
        .admin(Method::DELETE, "/v1/blocked-ips/127.0.0.2%2F32")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let again = SmtpClient::connect_from(s.smtp.unwrap(), attacker).await;
    assert_eq!(again.greeting.code, 220);
    // Manual blocks work too, and are listed.
    let r = s
        .admin(Method::POST, "/v1/blocked-ips")
        .json(&json!({"network": "198.51.100.0/24", "seconds": 60}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let r = s
        .admin(Method::POST, "/v1/blocked-ips")
        .json(&json!({"network": "not a network"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    s.stop().await;
}

#[tokio::test]
async fn the_same_wrong_password_counts_once_and_api_failures_count() {
    let s = server().await;
    s.admin(Method::PUT, "/v1/settings/auth-failure-screening")
        .json(&json!({"enabled": true, "max_failures": 3, "window_seconds": 600, "block_seconds": 3600,
                      "notify_after_failures": 100, "ignore_repeated_password": true}))
        .send()
        .await
        .unwrap();
    let dir = s.dir.path().to_path_buf();
    let client = IpAddr::from(CLIENT);
    let mut c = SmtpClient::connect_tls_from(s.submissions.unwrap(), client, &dir).await;
    c.cmd("EHLO x").await;
    for _ in 0..6 {
        assert_eq!(
            c.auth_plain("alice@example.test", "old stale password")
                .await
                .code,
            535
        );
    }
    let fresh = SmtpClient::connect_from(s.smtp.unwrap(), client).await;
    assert_eq!(
        fresh.greeting.code, 220,
        "a client retrying one stale password is not blocked"
    );
    let failures: Value = s
        .admin(Method::GET, "/v1/auth-failures?protocol=submission")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        failures["items"].as_array().unwrap().len(),
        6,
        "every attempt is on record"
    );
    // A forged API token is a failed login on the API.
    let r = s
        .with_token("forged.token.value", Method::GET, "/v1/domains")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let api: Value = s
        .admin(Method::GET, "/v1/auth-failures?protocol=api")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(api["items"][0]["reason"], "bad_token");
    s.stop().await;
}
