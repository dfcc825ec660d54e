//! Inbound sender authentication against a DNS server the test runs on
//! loopback: iprev, SPF results through the sender-check tool and through
//! SMTP, DKIM pass and fail, DMARC reject and quarantine, forged
//! Authentication-Results removed, settings validation.

mod common;

use std::net::Ipv4Addr;

use base64::Engine;
use common::TestServer;
use common::dns::Zone;
use common::smtp::SmtpClient;
use mail_auth::common::crypto::Ed25519Key;
use mail_auth::common::headers::HeaderWriter;
use mail_auth::dkim::DkimSigner;
use reqwest::Method;
use ring::signature::KeyPair;
use serde_json::{Value, json};

/// (domain, SPF record or None, expected SPF result for 127.0.0.1)
const SPF_CASES: &[(&str, Option<&str>, &str)] = &[
    ("pass.test", Some("v=spf1 ip4:127.0.0.0/8 -all"), "pass"),
    ("fail.test", Some("v=spf1 ip4:192.0.2.1 -all"), "fail"),
    ("softfail.test", Some("v=spf1 ~all"), "softfail"),
    ("neutral.test", Some("v=spf1 ?all"), "neutral"),
    ("none.test", None, "none"),
    (
        "permerror.test",
        Some("v=spf1 ip4:not-an-ip -all"),
        "permerror",
    ),
    ("temperror.test", None, "temperror"),
];

struct Fixture {
    s: TestServer,
    dkim_key: Vec<u8>,
}

async fn fixture() -> Fixture {
    let zone = Zone::default();
    // (The resolver answers PTR queries for 127.0.0.1 itself, with
    // `localhost`; iprev is shown with TEST-NET addresses below.)
    zone.ptr(Ipv4Addr::LOCALHOST, "client.sender.test");
    zone.a("client.sender.test", Ipv4Addr::LOCALHOST);
    zone.ptr(Ipv4Addr::new(192, 0, 2, 55), "mail.sender.test");
    zone.a("mail.sender.test", Ipv4Addr::new(192, 0, 2, 55));
    zone.ptr(Ipv4Addr::new(192, 0, 2, 66), "liar.sender.test");
    zone.a("liar.sender.test", Ipv4Addr::new(192, 0, 2, 1));
    for (domain, spf, _) in SPF_CASES {
        zone.a(domain, Ipv4Addr::new(192, 0, 2, 1));
        if let Some(spf) = spf {
            zone.txt(domain, spf);
        }
    }
    zone.unreachable("temperror.test");
    let pkcs8 =
        ring::signature::Ed25519KeyPair::generate_pkcs8(&ring::rand::SystemRandom::new()).unwrap();
    let pair = ring::signature::Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).unwrap();
    let public = base64::engine::general_purpose::STANDARD.encode(pair.public_key().as_ref());
    zone.a("sender.test", Ipv4Addr::new(192, 0, 2, 1));
    zone.txt("sender.test", "v=spf1 ip4:127.0.0.1 -all");
    zone.txt(
        "sel._domainkey.sender.test",
        &format!("v=DKIM1; k=ed25519; p={public}"),
    );
    zone.txt("_dmarc.sender.test", "v=DMARC1; p=reject");
    for (domain, policy) in [("reject.test", "reject"), ("quarantine.test", "quarantine")] {
        zone.a(domain, Ipv4Addr::new(192, 0, 2, 1));
        zone.txt(domain, "v=spf1 ip4:192.0.2.1 -all");
        zone.txt(
            &format!("_dmarc.{domain}"),
            &format!("v=DMARC1; p={policy}"),
        );
    }
    let dns = common::dns::start(zone).await;
    let s = TestServer::start_smtp(&format!(
        "[dns]\nnameservers = [\"{dns}\"]\ntimeout_ms = 300\n"
    ))
    .await;
    s.create_domain("example.test").await;
    s.create_account("alice@example.test", "alice password")
        .await;
    Fixture {
        s,
        dkim_key: pkcs8.as_ref().to_vec(),
    }
}

fn sign(key: &[u8], message: &str) -> String {
    let key = Ed25519Key::from_pkcs8_der(key).unwrap();
    let signature = DkimSigner::from_key(key)
        .domain("sender.test")
        .selector("sel")
        .headers(["From", "To", "Subject"])
        .sign(message.as_bytes())
        .unwrap();
    format!("{}{message}", signature.to_header())
}

/// Sends one message over port 25 from 127.0.0.1; returns the final reply.
async fn send(s: &TestServer, mail_from: &str, message: &str) -> common::smtp::Reply {
    let mut c = SmtpClient::connect(s.smtp.unwrap()).await;
    c.cmd("EHLO client.sender.test").await;
    assert_eq!(c.cmd(&format!("MAIL FROM:<{mail_from}>")).await.code, 250);
    assert_eq!(c.cmd("RCPT TO:<alice@example.test>").await.code, 250);
    assert_eq!(c.cmd("DATA").await.code, 354);
    c.send(format!("{message}.\r\n").as_bytes()).await;
    let reply = c.reply().await;
    c.cmd("QUIT").await;
    reply
}

/// Every message in alice's `mailbox`, as text.
async fn mailbox(s: &TestServer, name: &str) -> Vec<String> {
    common::imap::messages(s, "alice@example.test", "alice password", name).await
}

async fn check(s: &TestServer, body: Value) -> Value {
    let r = s
        .admin(Method::POST, "/v1/tools/sender-check")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

#[tokio::test]
async fn spf_results_through_the_tool_and_through_smtp() {
    let f = fixture().await;
    let s = &f.s;
    for (domain, _, expected) in SPF_CASES {
        let report = check(
            s,
            json!({"ip": "127.0.0.1", "helo": "client.sender.test", "mail_from": format!("x@{domain}")}),
        )
        .await;
        assert_eq!(report["spf"]["result"], *expected, "{domain}: {report}");
        assert_eq!(report["iprev"]["result"], "pass", "{report}");
        assert_eq!(report["helo"]["result"], "pass", "{report}");
    }
    // iprev: forward-confirmed, not confirmed, absent.
    for (ip, expected) in [
        ("192.0.2.55", "pass"),
        ("192.0.2.66", "fail"),
        ("192.0.2.77", "none-or-error"),
    ] {
        let report = check(
            s,
            json!({"ip": ip, "helo": "mail.sender.test", "mail_from": "x@none.test"}),
        )
        .await;
        let got = report["iprev"]["result"].as_str().unwrap();
        if expected == "none-or-error" {
            assert!(
                ["none", "permerror", "temperror", "fail"].contains(&got) && got != "pass",
                "{ip}: {report}"
            );
        } else {
            assert_eq!(got, expected, "{ip}: {report}");
        }
        let scored = report["score_parts"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["check"] == "iprev");
        assert_eq!(scored, expected != "pass", "{ip}: {report}");
    }
    // An IP the PTR does not cover, and a HELO that claims to be us.
    let report = check(
        s,
        json!({"ip": "192.0.2.77", "helo": "mx.rampart.test", "mail_from": "x@pass.test"}),
    )
    .await;
    assert_eq!(report["spf"]["result"], "fail", "{report}");
    assert_ne!(report["iprev"]["result"], "pass", "{report}");
    assert_eq!(report["helo"]["result"], "fail", "{report}");
    assert!(
        report["score"].as_f64().unwrap() >= 5.0 + 2.0 + 3.0,
        "{report}"
    );

    // The same results through SMTP, in the stored headers.
    for (domain, _, _) in SPF_CASES {
        let message = format!(
            "From: <x@{domain}>\r\nTo: <alice@example.test>\r\nSubject: spf {domain}\r\n\r\nhello\r\n"
        );
        let reply = send(s, &format!("x@{domain}"), &message).await;
        assert_eq!(reply.code, 250, "{domain}: {reply:?}");
    }
    let mut stored = mailbox(s, "INBOX").await;
    let junk = mailbox(s, "Junk").await;
    stored.extend(junk.iter().cloned());
    for (domain, _, expected) in SPF_CASES {
        let m = stored
            .iter()
            .find(|m| m.contains(&format!("Subject: spf {domain}\r\n")))
            .unwrap_or_else(|| panic!("{domain} stored"));
        assert!(
            m.contains(&format!("Received-SPF: {expected} ")),
            "{domain}: {m}"
        );
        assert!(m.contains(&format!("spf={expected} ")), "{domain}: {m}");
        assert!(
            m.contains("Authentication-Results: mx.rampart.test;"),
            "{m}"
        );
        assert!(m.contains("iprev=pass"), "{m}");
        assert!(m.contains("X-Rampart-Score: "), "{m}");
    }
    // SPF fail (5) plus no DKIM signature (0.5) is over the junk score (5).
    assert!(
        junk.iter()
            .any(|m| m.contains("Subject: spf fail.test\r\n")),
        "SPF fail goes to Junk"
    );
    s.admin(Method::GET, "/healthz").send().await.unwrap();
    f.s.stop().await;
}

#[tokio::test]
async fn dkim_dmarc_and_forged_results() {
    let f = fixture().await;
    let s = &f.s;
    let message = "From: Sender <news@sender.test>\r\nTo: <alice@example.test>\r\nSubject: signed\r\n\
Authentication-Results: mx.rampart.test; dkim=pass header.d=bank.test\r\n\
Authentication-Results: elsewhere.test; spf=pass\r\n\r\nThe signed body.\r\n";
    let signed = sign(&f.dkim_key, message);
    let reply = send(s, "news@sender.test", &signed).await;
    assert_eq!(reply.code, 250, "{reply:?}");
    let inbox = mailbox(s, "INBOX").await;
    let m = &inbox[0];
    assert!(m.contains("dkim=pass"), "{m}");
    assert!(m.contains("spf=pass"), "{m}");
    assert!(m.contains("dmarc=pass"), "{m}");
    assert!(
        !m.contains("header.d=bank.test"),
        "forged results removed: {m}"
    );
    assert!(
        m.contains("Authentication-Results: elsewhere.test; spf=pass"),
        "others kept"
    );
    assert_eq!(
        m.matches("Authentication-Results: mx.rampart.test").count(),
        1,
        "{m}"
    );

    // Altered after signing: DKIM fails (SPF still aligns, so DMARC passes).
    let altered = signed.replace("The signed body.", "The altered body.");
    let report = check(
        s,
        json!({"ip": "127.0.0.1", "helo": "client.sender.test", "mail_from": "news@sender.test", "message": altered}),
    )
    .await;
    // A body-hash mismatch is a PERMFAIL (RFC 6376 6.1.3): `fail` (RFC 8601),
    // in the report and in the header.
    assert_eq!(report["dkim"][0]["result"], "fail", "{report}");
    assert!(
        report["headers"]
            .as_str()
            .is_some_and(|h| h.contains("dkim=fail (body hash did not verify)")),
        "{report}"
    );
    assert!(
        report["score_parts"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["check"] == "dkim"),
        "{report}"
    );
    assert_eq!(report["dmarc"]["result"], "pass", "{report}");
    let report = check(
        s,
        json!({"ip": "127.0.0.1", "helo": "client.sender.test", "mail_from": "news@sender.test", "message": signed}),
    )
    .await;
    assert_eq!(report["dkim"][0]["result"], "pass", "{report}");
    assert_eq!(report["verdict"], "deliver", "{report}");

    // DMARC p=reject: refused at the end of DATA, with an event.
    let reply = send(
        s,
        "x@reject.test",
        "From: <ceo@reject.test>\r\nTo: <alice@example.test>\r\nSubject: wire money\r\n\r\nnow\r\n",
    )
    .await;
    assert_eq!(reply.code, 550, "{reply:?}");
    assert!(reply.is(550, "5.7.1"), "{reply:?}");
    let events: Value = s
        .admin(Method::GET, "/v1/events?type=message.rejected")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let rejected = &events["items"][0]["data"];
    assert_eq!(rejected["reason"], "sender_checks", "{events}");
    assert!(rejected["score"].as_f64().is_some(), "{events}");

    // DMARC p=quarantine: delivered to Junk.
    let reply = send(
        s,
        "x@quarantine.test",
        "From: <billing@quarantine.test>\r\nTo: <alice@example.test>\r\nSubject: invoice\r\n\r\npay\r\n",
    )
    .await;
    assert_eq!(reply.code, 250, "{reply:?}");
    let junk = mailbox(s, "Junk").await;
    assert!(
        junk.iter().any(|m| m.contains("Subject: invoice")),
        "{junk:?}"
    );
    assert!(junk.iter().any(|m| m.contains("dmarc=fail")), "{junk:?}");
    let received: Value = s
        .admin(Method::GET, "/v1/events?type=message.received")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        received["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["data"]["score"].as_f64().is_some()),
        "{received}"
    );

    // Policy switched off: the same message is delivered to INBOX.
    let r = s
        .admin(Method::PUT, "/v1/settings/inbound-screening")
        .json(&json!({"honor_dmarc_reject": false, "honor_dmarc_quarantine": false, "junk_score": 50, "reject_score": 100}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let reply = send(
        s,
        "x@reject.test",
        "From: <ceo@reject.test>\r\nTo: <alice@example.test>\r\nSubject: let through\r\n\r\nnow\r\n",
    )
    .await;
    assert_eq!(reply.code, 250, "{reply:?}");
    let inbox = mailbox(s, "INBOX").await;
    assert!(inbox.iter().any(|m| m.contains("Subject: let through")));

    // Bad settings and bad tool input are refused.
    let r = s
        .admin(Method::PUT, "/v1/settings/inbound-screening")
        .json(&json!({"weights": {"spf_fail": -1}}))
        .send()
        .await
        .unwrap();
    common::expect_problem(r, 422).await;
    let r = s
        .admin(Method::POST, "/v1/tools/sender-check")
        .json(&json!({"ip": "not an ip", "helo": "x.test"}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_client_error());
    f.s.stop().await;
}

/// DMARC aggregate reports: rows recorded for a domain with `rua`, one
/// merged report mailed to its MX (XML parsed back), and that report,
/// received at our `dmarc-reports@` mailbox, listed by the API.
#[tokio::test]
async fn dmarc_aggregate_reports_are_sent_and_received() {
    let zone = Zone::default();
    zone.ptr(Ipv4Addr::LOCALHOST, "client.sender.test");
    zone.a("client.sender.test", Ipv4Addr::LOCALHOST);
    zone.a("rua.test", Ipv4Addr::new(192, 0, 2, 1));
    zone.txt("rua.test", "v=spf1 ip4:127.0.0.1 -all");
    zone.txt(
        "_dmarc.rua.test",
        "v=DMARC1; p=none; rua=mailto:reports@rua.test",
    );
    zone.mx("rua.test", 10, "mx.rua.test");
    zone.a("mx.rua.test", Ipv4Addr::LOCALHOST);
    let dns = common::dns::start(zone).await;
    let (mx, mx_addr) = common::mx::start(false).await;
    let s = TestServer::start_smtp(&format!(
        "[dns]\nnameservers = [\"{dns}\"]\ntimeout_ms = 300\n\n[outbound]\nmx_port = {}\nretry_delays_seconds = [1]\n",
        mx_addr.port()
    ))
    .await;
    s.create_domain("example.test").await;
    s.create_account("alice@example.test", "alice password")
        .await;
    s.create_account("dmarc-reports@example.test", "reports password")
        .await;
    for n in 0..2 {
        let reply = send(
            &s,
            "news@rua.test",
            &format!(
                "From: <news@rua.test>\r\nTo: <alice@example.test>\r\nSubject: n{n}\r\n\r\nhi\r\n"
            ),
        )
        .await;
        assert_eq!(reply.code, 250);
    }
    let summary: Value = s
        .admin(Method::POST, "/v1/dmarc-reports/send")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(summary["reports"], 1, "{summary}");
    assert_eq!(summary["rows"], 2, "{summary}");
    let got = mx.wait_for(1).await;
    assert_eq!(got[0].rcpt_to, vec!["reports@rua.test".to_string()]);
    let report = mail_auth::report::Report::parse_rfc5322(&got[0].data, 1 << 20)
        .expect("a valid aggregate report with gzip XML");
    assert_eq!(report.domain(), "rua.test");
    assert_eq!(report.org_name(), "mx.rampart.test");
    assert_eq!(report.records().len(), 1, "identical rows merged");
    let record = &report.records()[0];
    assert_eq!(record.count(), 2);
    assert_eq!(record.source_ip(), Some("127.0.0.1".parse().unwrap()));
    assert_eq!(
        record.dmarc_spf_result(),
        mail_auth::report::DmarcResult::Pass
    );
    let again: Value = s
        .admin(Method::POST, "/v1/dmarc-reports/send")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(again["reports"], 0, "rows are sent once");

    // The same report, arriving for one of our domains.
    let mut c = SmtpClient::connect(s.smtp.unwrap()).await;
    c.cmd("EHLO client.sender.test").await;
    assert_eq!(c.cmd("MAIL FROM:<news@rua.test>").await.code, 250);
    assert_eq!(
        c.cmd("RCPT TO:<dmarc-reports@example.test>").await.code,
        250
    );
    assert_eq!(c.cmd("DATA").await.code, 354);
    let data = String::from_utf8(got[0].data.clone()).unwrap();
    c.send(format!("{}.\r\n", data.replace("\r\n.", "\r\n..")).as_bytes())
        .await;
    assert_eq!(c.reply().await.code, 250);
    c.cmd("QUIT").await;
    let list: Value = s
        .admin(Method::GET, "/v1/dmarc-reports?domain=rua.test")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 1, "{list}");
    assert_eq!(list["items"][0]["org_name"], "mx.rampart.test");
    let id = list["items"][0]["id"].as_i64().unwrap();
    let one: Value = s
        .admin(Method::GET, &format!("/v1/dmarc-reports/{id}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        one["report"]["record"].as_array().map(|r| r.len()),
        Some(1),
        "{one}"
    );
    let r = s
        .admin(Method::GET, "/v1/dmarc-reports/999999")
        .send()
        .await
        .unwrap();
    common::expect_problem(r, 404).await;
    s.stop().await;
}

/// A sender whose DNS never answers costs one message at most its DNS
/// budget (`[dns] message_budget_ms`), not a resolver timeout per lookup:
/// the lookups run at once and what is unanswered becomes temperror.
#[tokio::test]
async fn unanswered_dns_costs_at_most_the_message_budget() {
    let zone = Zone::default();
    zone.unreachable("slow.test");
    zone.unreachable("_dmarc.slow.test");
    let dns = common::dns::start(zone).await;
    // Each lookup alone would wait 2 attempts × 3 s.
    let s = TestServer::start_smtp(&format!(
        "[dns]\nnameservers = [\"{dns}\"]\ntimeout_ms = 3000\nmessage_budget_ms = 700\n"
    ))
    .await;
    s.create_domain("example.test").await;
    s.create_account("alice@example.test", "alice password")
        .await;
    let started = std::time::Instant::now();
    let reply = send(
        &s,
        "x@slow.test",
        "From: x@slow.test\r\nTo: alice@example.test\r\nSubject: slow\r\n\r\nbody\r\n",
    )
    .await;
    let waited = started.elapsed();
    assert_eq!(reply.code, 250, "{reply:?}");
    assert!(
        waited < std::time::Duration::from_millis(700 + 1000),
        "the message waited {waited:?}, more than its budget plus a second"
    );
    let inbox = mailbox(&s, "INBOX").await;
    assert_eq!(inbox.len(), 1);
    assert!(inbox[0].contains("spf=temperror"), "{}", inbox[0]);
    assert!(inbox[0].contains("dmarc=temperror"), "{}", inbox[0]);
    s.stop().await;
}
