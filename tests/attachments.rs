//! Outbound attachment linking: real-world-shaped messages from an opted-in
//! account reach a remote MX with their large attachments replaced by
//! links; every link downloads the original bytes under the right name;
//! ranges, HEAD, revocation and expiry behave; small and inline parts stay.

mod common;

use std::net::Ipv4Addr;
use std::time::Duration;

use base64::Engine;
use common::TestServer;
use common::dns::Zone;
use common::smtp::SmtpClient;
use reqwest::Method;
use serde_json::{Value, json};

fn b64(bytes: &[u8]) -> String {
    let s = base64::engine::general_purpose::STANDARD.encode(bytes);
    s.as_bytes()
        .chunks(76)
        .map(|c| format!("{}\r\n", std::str::from_utf8(c).unwrap()))
        .collect()
}

/// Deterministic "file" content of `n` octets.
fn file(seed: u8, n: usize) -> Vec<u8> {
    (0..n)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

struct Case {
    name: &'static str,
    message: String,
    /// (file name as the recipient should see it, content) for each large attachment.
    files: Vec<(String, Vec<u8>)>,
    /// Strings that must survive unchanged.
    kept: Vec<String>,
}

fn corpus() -> Vec<Case> {
    let pdf = file(1, 300_000);
    let zip = file(2, 120_000);
    let docx = file(3, 90_000);
    let png_inline = file(4, 40_000);
    let small = b"tiny,csv\r\n1,2\r\n".to_vec();
    let forwarded = format!(
        "From: carol@example.test\r\nSubject: forwarded\r\n\r\n{}",
        "forwarded line\r\n".repeat(5000)
    );
    let head = "From: Alice <alice@example.test>\r\nTo: bob@remote.test\r\nMIME-Version: 1.0\r\n";
    vec![
        Case {
            name: "thunderbird: text + pdf with an RFC 2231 non-ASCII name",
            message: format!(
                "{head}Subject: report\r\nContent-Type: multipart/mixed; boundary=\"tb\"\r\n\r\nThis is a multi-part message in MIME format.\r\n\
--tb\r\nContent-Type: text/plain; charset=UTF-8; format=flowed\r\nContent-Transfer-Encoding: 7bit\r\n\r\nHere is the report.\r\n\r\n\
--tb\r\nContent-Type: application/pdf;\r\n name*=UTF-8''%C3%A4rger%20Bericht.pdf\r\nContent-Disposition: attachment;\r\n filename*=UTF-8''%C3%A4rger%20Bericht.pdf\r\n\
Content-Transfer-Encoding: base64\r\n\r\n{}\r\n--tb--\r\n",
                b64(&pdf)
            ),
            files: vec![("\u{e4}rger Bericht.pdf".into(), pdf.clone())],
            kept: vec!["Here is the report.".into()],
        },
        Case {
            name: "outlook: alternative bodies, an inline cid: image, a zip and a small csv",
            message: format!(
                "{head}Subject: quarterly\r\nContent-Type: multipart/mixed; boundary=\"ol_mixed\"\r\n\r\n\
--ol_mixed\r\nContent-Type: multipart/related; boundary=\"ol_rel\"; type=\"multipart/alternative\"\r\n\r\n\
--ol_rel\r\nContent-Type: multipart/alternative; boundary=\"ol_alt\"\r\n\r\n\
--ol_alt\r\nContent-Type: text/plain; charset=\"us-ascii\"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nNumbers attached=2E\r\n\
--ol_alt\r\nContent-Type: text/html; charset=\"us-ascii\"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n<p>Numbers <img src=3D\"cid:chart@x\"></p>\r\n\
--ol_alt--\r\n\r\n--ol_rel\r\nContent-Type: image/png; name=\"chart.png\"\r\nContent-Disposition: inline; filename=\"chart.png\"\r\nContent-ID: <chart@x>\r\n\
Content-Transfer-Encoding: base64\r\n\r\n{}\r\n--ol_rel--\r\n\r\n\
--ol_mixed\r\nContent-Type: application/x-zip-compressed; name=\"Q3 numbers.zip\"\r\nContent-Disposition: attachment; filename=\"Q3 numbers.zip\"; size=120000\r\n\
Content-Transfer-Encoding: base64\r\n\r\n{}\r\n--ol_mixed\r\nContent-Type: text/csv; name=\"small.csv\"\r\nContent-Disposition: attachment; filename=\"small.csv\"\r\n\r\n{}\r\n--ol_mixed--\r\n",
                b64(&png_inline),
                b64(&zip),
                String::from_utf8(small.clone()).unwrap().trim_end()
            ),
            files: vec![("Q3 numbers.zip".into(), zip.clone())],
            kept: vec![
                "Content-ID: <chart@x>".into(),
                "filename=\"small.csv\"".into(),
                "Numbers attached=2E".into(),
            ],
        },
        Case {
            name: "apple mail: an RFC 2047 name, quoted-printable, and an attached message",
            message: format!(
                "{head}Subject: =?utf-8?q?r=C3=A9sum=C3=A9?=\r\nContent-Type: multipart/mixed; boundary=\"Apple-Mail=_1\"\r\n\r\n\
--Apple-Mail=_1\r\nContent-Transfer-Encoding: 7bit\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nCV attached\r\n\
--Apple-Mail=_1\r\nContent-Disposition: attachment; filename=\"=?utf-8?Q?r=C3=A9sum=C3=A9=2Edocx?=\"\r\nContent-Type: application/vnd.openxmlformats-officedocument.wordprocessingml.document;\r\n name=\"=?utf-8?Q?r=C3=A9sum=C3=A9=2Edocx?=\"\r\n\
Content-Transfer-Encoding: base64\r\n\r\n{}\r\n--Apple-Mail=_1\r\nContent-Type: message/rfc822; name=\"fwd.eml\"\r\nContent-Disposition: attachment; filename=\"fwd.eml\"\r\n\r\n{}\r\n--Apple-Mail=_1--\r\n",
                b64(&docx),
                forwarded.trim_end()
            ),
            files: vec![
                ("r\u{e9}sum\u{e9}.docx".into(), docx.clone()),
                ("fwd.eml".into(), forwarded.trim_end().as_bytes().to_vec()),
            ],
            kept: vec!["CV attached".into()],
        },
    ]
}

/// Submits as alice over 465 and returns the message the remote MX got.
async fn send(s: &TestServer, mx: &common::mx::Mx, message: &str) -> String {
    let before = mx.messages().len();
    let mut c = SmtpClient::connect_tls(s.submissions.unwrap(), s.dir.path()).await;
    c.cmd("EHLO client.test").await;
    assert_eq!(
        c.auth_plain("alice@example.test", "alice password")
            .await
            .code,
        235
    );
    assert_eq!(c.cmd("MAIL FROM:<alice@example.test>").await.code, 250);
    assert_eq!(c.cmd("RCPT TO:<bob@remote.test>").await.code, 250);
    assert_eq!(c.cmd("DATA").await.code, 354);
    c.send(format!("{}.\r\n", message.replace("\r\n.", "\r\n..")).as_bytes())
        .await;
    let r = c.reply().await;
    assert_eq!(r.code, 250, "{r:?}");
    let got = mx.wait_for(before + 1).await;
    String::from_utf8(got[before].data.clone()).unwrap()
}

fn tokens(text: &str) -> Vec<String> {
    let decoded = mail_parser::MessageParser::default()
        .parse(text.as_bytes())
        .unwrap();
    let mut out = Vec::new();
    for part in decoded.parts.iter() {
        if let Some(t) = part.text_contents() {
            for word in t.split_whitespace() {
                if let Some(token) = word.split("/attachments/").nth(1) {
                    out.push(token.to_string());
                }
            }
        }
    }
    out
}

#[tokio::test]
async fn large_attachments_become_working_links() {
    let zone = Zone::default();
    zone.mx("remote.test", 10, "mx.remote.test");
    zone.a("mx.remote.test", Ipv4Addr::LOCALHOST);
    let dns = common::dns::start(zone).await;
    let (mx, mx_addr) = common::mx::start(false).await;
    let s = TestServer::start_smtp(&format!(
        "[dns]\nnameservers = [\"{dns}\"]\n\n[outbound]\nmx_port = {}\nretry_delays_seconds = [1]\n",
        mx_addr.port()
    ))
    .await;
    s.create_domain("example.test").await;
    s.create_account("alice@example.test", "alice password")
        .await;
    let r = s
        .admin(Method::PATCH, "/v1/accounts/alice@example.test")
        .json(&json!({"attachment_linking": {"enabled": true, "min_size_bytes": 20000, "expires_after_days": 7}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    let mut all_links = Vec::new();
    for case in corpus() {
        let received = send(&s, &mx, &case.message).await;
        assert!(
            received.len() < case.message.len() / 2,
            "{}: the large parts are gone",
            case.name
        );
        for kept in &case.kept {
            assert!(
                received.contains(kept.as_str()),
                "{}: {kept:?} kept",
                case.name
            );
        }
        let parsed = mail_parser::MessageParser::default()
            .parse(received.as_bytes())
            .expect("valid MIME");
        assert!(parsed.parts.len() > 1, "{}", case.name);
        let found = tokens(&received);
        assert_eq!(
            found.len(),
            case.files.len(),
            "{}: one link per large attachment",
            case.name
        );
        for (token, (name, content)) in found.iter().zip(&case.files) {
            let r = s
                .client
                .get(s.url(&format!("/attachments/{token}")))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200, "{}", case.name);
            assert_eq!(r.headers()["x-content-type-options"], "nosniff");
            assert!(
                r.headers()["content-security-policy"]
                    .to_str()
                    .unwrap()
                    .contains("default-src 'none'")
            );
            let disposition = r.headers()["content-disposition"]
                .to_str()
                .unwrap()
                .to_string();
            let expected: String = name
                .bytes()
                .map(|b| {
                    if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
                        (b as char).to_string()
                    } else {
                        format!("%{b:02X}")
                    }
                })
                .collect();
            assert!(
                disposition.contains(&format!("filename*=UTF-8''{expected}")),
                "{}: {disposition}",
                case.name
            );
            let body = r.bytes().await.unwrap();
            assert_eq!(
                &body[..],
                &content[..],
                "{}: {name} downloads byte for byte",
                case.name
            );
            all_links.push(token.clone());
        }
    }
    let first = &all_links[0];
    // Range requests and HEAD.
    let r = s
        .client
        .get(s.url(&format!("/attachments/{first}")))
        .header("range", "bytes=10-19")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 206);
    assert_eq!(r.headers()["content-range"], "bytes 10-19/300000");
    assert_eq!(&r.bytes().await.unwrap()[..], &file(1, 300_000)[10..20]);
    let r = s
        .client
        .get(s.url(&format!("/attachments/{first}")))
        .header("range", "bytes=400000-")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 416);
    let r = s
        .client
        .head(s.url(&format!("/attachments/{first}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-length"], "300000");
    // Unknown, revoked and expired links.
    let r = s
        .client
        .get(s.url("/attachments/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let links: Value = s
        .admin(
            Method::GET,
            "/v1/attachment-links?account=alice@example.test",
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let items = links["items"].as_array().unwrap();
    assert_eq!(items.len(), all_links.len());
    let first_link = items
        .iter()
        .find(|l| l["url"].as_str().unwrap().ends_with(first.as_str()))
        .unwrap();
    assert_eq!(first_link["file_name"], "\u{e4}rger Bericht.pdf");
    assert!(first_link["downloads"].as_i64().unwrap() >= 2);
    let id = first_link["id"].as_i64().unwrap();
    let r = s
        .admin(Method::DELETE, &format!("/v1/attachment-links/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = s
        .client
        .get(s.url(&format!("/attachments/{first}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 410);
    let second = &all_links[1];
    let second_id = items
        .iter()
        .find(|l| l["url"].as_str().unwrap().ends_with(second.as_str()))
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    sqlx::query("UPDATE attachment_links SET expires_at = 0 WHERE id = $1")
        .bind(second_id)
        .execute(s.state.store.reader())
        .await
        .unwrap();
    let r = s
        .client
        .get(s.url(&format!("/attachments/{second}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 410, "expired");
    assert!(s.state.store.purge_expired_attachments().await.unwrap() >= 1);
    // A user token sees its own links only.
    let user = s
        .token(json!({"role": "user", "account": "alice@example.test"}))
        .await;
    let own: Value = s
        .with_token(&user, Method::GET, "/v1/attachment-links")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(!own["items"].as_array().unwrap().is_empty());
    let events: Value = s
        .admin(Method::GET, "/v1/events?type=attachment.downloaded")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(!events["items"].as_array().unwrap().is_empty());
    tokio::time::sleep(Duration::from_millis(10)).await;
    s.stop().await;
}

#[tokio::test]
async fn accounts_not_opted_in_and_malformed_mime_are_left_alone() {
    let zone = Zone::default();
    zone.mx("remote.test", 10, "mx.remote.test");
    zone.a("mx.remote.test", Ipv4Addr::LOCALHOST);
    let dns = common::dns::start(zone).await;
    let (mx, mx_addr) = common::mx::start(false).await;
    let s = TestServer::start_smtp(&format!(
        "[dns]\nnameservers = [\"{dns}\"]\n\n[outbound]\nmx_port = {}\n",
        mx_addr.port()
    ))
    .await;
    s.create_domain("example.test").await;
    s.create_account("alice@example.test", "alice password")
        .await;
    let case = &corpus()[0];
    let received = send(&s, &mx, &case.message).await;
    assert!(
        received.ends_with(&case.message),
        "not opted in: sent unchanged"
    );
    // Opted in, but the MIME is broken (no closing boundary): unchanged too.
    s.admin(Method::PATCH, "/v1/accounts/alice@example.test")
        .json(&json!({"attachment_linking": {"enabled": true, "min_size_bytes": 10, "expires_after_days": 1}}))
        .send()
        .await
        .unwrap();
    let broken = "From: <alice@example.test>\r\nSubject: broken\r\nContent-Type: multipart/mixed; boundary=\"zz\"\r\n\r\n--zz\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!not base64!!!\r\n".to_string();
    let received = send(&s, &mx, &broken).await;
    assert!(received.contains("!!!not base64!!!"));
    s.stop().await;
}

/// `extract_inbound`: an account that opts in stores mail it receives with
/// the large attachments linked; another recipient of the same message
/// keeps the original, and the link downloads the original bytes.
#[tokio::test]
async fn inbound_extraction_rewrites_only_the_opted_in_recipients_copy() {
    let s = TestServer::start_smtp("").await;
    s.create_domain("example.test").await;
    s.create_account("carol@example.test", "carol password")
        .await;
    s.create_account("dave@example.test", "dave password").await;
    let r = s
        .admin(Method::PATCH, "/v1/accounts/carol@example.test")
        .json(
            &json!({"attachment_linking": {"enabled": true, "min_size_bytes": 20000,
            "expires_after_days": 3, "extract_inbound": true}}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let account: Value = r.json().await.unwrap();
    assert_eq!(account["attachment_linking"]["extract_inbound"], true);

    let case = &corpus()[0];
    let mut c = SmtpClient::connect(s.smtp.unwrap()).await;
    c.cmd("EHLO sender.test").await;
    assert_eq!(c.cmd("MAIL FROM:<alice@sender.test>").await.code, 250);
    assert_eq!(c.cmd("RCPT TO:<carol@example.test>").await.code, 250);
    assert_eq!(c.cmd("RCPT TO:<dave@example.test>").await.code, 250);
    assert_eq!(c.cmd("DATA").await.code, 354);
    c.send(format!("{}.\r\n", case.message).as_bytes()).await;
    assert_eq!(c.reply().await.code, 250);
    c.cmd("QUIT").await;

    let stored = |user: &'static str| {
        let s = &s;
        async move {
            let password = format!("{user} password");
            let inbox =
                common::imap::messages(s, &format!("{user}@example.test"), &password, "INBOX")
                    .await;
            inbox[0].clone()
        }
    };
    let dave = stored("dave").await;
    assert!(dave.ends_with(&case.message), "dave keeps the original");
    let carol = stored("carol").await;
    assert!(
        carol.len() < case.message.len() / 2,
        "carol's copy is small"
    );
    assert!(carol.starts_with("Return-Path: <alice@sender.test>\r\nReceived: "));
    assert!(carol.contains("Here is the report."));
    let parsed = mail_parser::MessageParser::default()
        .parse(carol.as_bytes())
        .unwrap();
    assert!(
        parsed
            .parts
            .iter()
            .filter_map(|p| p.text_contents())
            .any(|t| t.contains("was kept on the mail server")),
        "the notice says why"
    );
    let found = tokens(&carol);
    assert_eq!(found.len(), 1, "{carol}");
    let r = s
        .client
        .get(s.url(&format!("/attachments/{}", found[0])))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(&r.bytes().await.unwrap()[..], &case.files[0].1[..]);

    // The link is carol's, with her expiry.
    let links: Value = s
        .admin(
            Method::GET,
            "/v1/attachment-links?account=carol@example.test",
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(links["items"].as_array().unwrap().len(), 1, "{links}");
    assert_eq!(links["items"][0]["file_name"], "\u{e4}rger Bericht.pdf");
    s.stop().await;
}
