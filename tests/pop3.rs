//! POP3 over real sockets: STLS, USER/PASS and AUTH PLAIN only after TLS,
//! STAT/LIST/UIDL/TOP/RETR/DELE/RSET/QUIT with deletions at QUIT, frozen
//! accounts refused; and Python's poplib and curl as real clients.

mod common;

use common::TestServer;
use common::smtp::SmtpClient;
use reqwest::Method;
use serde_json::{Value, json};

async fn server() -> TestServer {
    let s = TestServer::start_smtp("").await;
    s.create_domain("example.test").await;
    s.create_account("alice@example.test", "alice password")
        .await;
    s
}

/// Delivers a message to `rcpt` through the MX listener.
async fn deliver(s: &TestServer, rcpt: &str, body: &str) {
    let mut c = SmtpClient::connect(s.smtp.unwrap()).await;
    c.cmd("EHLO sender.test").await;
    c.cmd("MAIL FROM:<someone@sender.test>").await;
    assert_eq!(c.cmd(&format!("RCPT TO:<{rcpt}>")).await.code, 250);
    c.cmd("DATA").await;
    c.send(format!("{body}.\r\n").as_bytes()).await;
    assert_eq!(c.reply().await.code, 250);
    c.cmd("QUIT").await;
}

#[tokio::test]
async fn pop3_session_with_stls() {
    let s = server().await;
    deliver(
        &s,
        "alice@example.test",
        "Subject: one\r\n\r\nfirst line\r\n..dotted\r\nlast\r\n",
    )
    .await;
    deliver(&s, "alice@example.test", "Subject: two\r\n\r\nsecond\r\n").await;
    let dir = s.dir.path().to_path_buf();

    let mut c = SmtpClient::connect_raw(s.pop3.unwrap()).await;
    assert!(c.read_line().await.unwrap().starts_with("+OK"));
    c.send(b"CAPA\r\n").await;
    assert!(c.read_line().await.unwrap().starts_with("+OK"));
    let caps = c.read_multiline().await;
    assert!(
        caps.contains(&"STLS".to_string()) && !caps.contains(&"USER".to_string()),
        "{caps:?}"
    );
    assert!(
        c.line_cmd("USER alice@example.test")
            .await
            .starts_with("-ERR"),
        "USER before TLS"
    );
    assert!(c.line_cmd("STAT").await.starts_with("-ERR"));
    assert!(c.line_cmd("STLS").await.starts_with("+OK"));
    c.upgrade_tls(&dir).await;
    c.send(b"CAPA\r\n").await;
    c.read_line().await;
    let caps = c.read_multiline().await;
    for cap in [
        "USER",
        "SASL PLAIN",
        "TOP",
        "UIDL",
        "PIPELINING",
        "RESP-CODES",
    ] {
        assert!(caps.contains(&cap.to_string()), "{cap} in {caps:?}");
    }
    assert!(
        c.line_cmd("USER alice@example.test")
            .await
            .starts_with("+OK")
    );
    assert!(c.line_cmd("PASS wrong").await.starts_with("-ERR [AUTH]"));
    assert!(
        c.line_cmd("USER alice@example.test")
            .await
            .starts_with("+OK")
    );
    assert_eq!(c.line_cmd("PASS alice password").await, "+OK 2 messages");
    let stat = c.line_cmd("STAT").await;
    let parts: Vec<&str> = stat.split(' ').collect();
    assert_eq!(parts[..2], ["+OK", "2"]);
    c.send(b"UIDL\r\n").await;
    c.read_line().await;
    let uidl = c.read_multiline().await;
    assert_eq!(uidl.len(), 2);
    c.send(b"RETR 1\r\n").await;
    assert!(c.read_line().await.unwrap().starts_with("+OK"));
    let message = c.read_multiline().await;
    assert!(
        message.contains(&".dotted".to_string()),
        "stored \".dotted\", stuffed on the wire and unstuffed here: {message:?}"
    );
    assert!(message.contains(&"Subject: one".to_string()));
    c.send(b"TOP 2 0\r\n").await;
    c.read_line().await;
    let head = c.read_multiline().await;
    assert!(head.contains(&"Subject: two".to_string()) && !head.contains(&"second".to_string()));
    assert!(c.line_cmd("DELE 1").await.starts_with("+OK"));
    assert!(c.line_cmd("RETR 1").await.starts_with("-ERR"), "deleted");
    assert!(c.line_cmd("RSET").await.starts_with("+OK 2"));
    assert!(c.line_cmd("DELE 1").await.starts_with("+OK"));
    assert!(c.line_cmd("DELE 9").await.starts_with("-ERR"));
    let before: Value = s
        .admin(Method::GET, "/v1/accounts/alice@example.test")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(c.line_cmd("QUIT").await.starts_with("+OK"));
    // Deleted at QUIT; the survivor keeps its UIDL; the quota is given back.
    let mut c = SmtpClient::connect_raw_tls(s.pop3s.unwrap(), &dir).await;
    c.read_line().await;
    let token = {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode("\0alice@example.test\0alice password")
    };
    assert_eq!(
        c.line_cmd(&format!("AUTH PLAIN {token}")).await,
        "+OK 1 messages"
    );
    c.send(b"UIDL\r\n").await;
    c.read_line().await;
    let after = c.read_multiline().await;
    assert_eq!(after[0].split(' ').nth(1), uidl[1].split(' ').nth(1));
    c.line_cmd("QUIT").await;
    let account: Value = s
        .admin(Method::GET, "/v1/accounts/alice@example.test")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(account["used_bytes"].as_i64().unwrap() < before["used_bytes"].as_i64().unwrap());
    // Closing without QUIT deletes nothing.
    let mut c = SmtpClient::connect_raw_tls(s.pop3s.unwrap(), &dir).await;
    c.read_line().await;
    c.line_cmd("USER alice@example.test").await;
    c.line_cmd("PASS alice password").await;
    assert!(c.line_cmd("DELE 1").await.starts_with("+OK"));
    drop(c);
    let alice = rampart::address::EmailAddress::parse("alice@example.test").unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(
        s.state
            .store
            .mailbox_messages(&alice, "INBOX")
            .await
            .unwrap()
            .len(),
        1
    );
    s.stop().await;
}

#[tokio::test]
async fn frozen_accounts_cannot_log_in() {
    let s = server().await;
    let dir = s.dir.path().to_path_buf();
    s.admin(Method::POST, "/v1/accounts/alice@example.test/freeze")
        .json(&json!({"reason": "test"}))
        .send()
        .await
        .unwrap();
    deliver(
        &s,
        "alice@example.test",
        "Subject: still arrives\r\n\r\nx\r\n",
    )
    .await;
    let mut c = SmtpClient::connect_raw_tls(s.pop3s.unwrap(), &dir).await;
    c.read_line().await;
    c.line_cmd("USER alice@example.test").await;
    let r = c.line_cmd("PASS alice password").await;
    assert!(r.starts_with("-ERR [AUTH]") && r.contains("frozen"), "{r}");
    s.stop().await;
}

#[tokio::test]
async fn python_poplib_and_curl_read_and_delete() {
    let s = server().await;
    deliver(
        &s,
        "alice@example.test",
        "Subject: for poplib\r\n\r\nhello from the test\r\n",
    )
    .await;
    deliver(
        &s,
        "alice@example.test",
        "Subject: for curl\r\n\r\nsecond message\r\n",
    )
    .await;
    let port = s.pop3s.unwrap().port();
    let script = format!(
        r#"
import poplib, ssl
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
p = poplib.POP3_SSL("127.0.0.1", {port}, context=ctx)
p.user("alice@example.test")
p.pass_("alice password")
count, size = p.stat()
assert count == 2, count
resp, lines, octets = p.retr(1)
assert b"hello from the test" in lines, lines
p.dele(1)
p.quit()
print("ok")
"#
    );
    let out = tokio::process::Command::new("python3")
        .arg("-c")
        .arg(&script)
        .output()
        .await
        .expect("python3");
    assert!(
        out.status.success(),
        "poplib: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = tokio::process::Command::new("curl")
        .args([
            "-s",
            "-k",
            "--max-time",
            "20",
            "-u",
            "alice@example.test:alice password",
        ])
        .arg(format!("pop3s://127.0.0.1:{port}/1"))
        .output()
        .await
        .expect("curl");
    assert!(
        out.status.success(),
        "curl: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("second message"), "{text}");
    // pop3:// with STLS required.
    let out = tokio::process::Command::new("curl")
        .args([
            "-s",
            "-k",
            "--ssl-reqd",
            "--max-time",
            "20",
            "-u",
            "alice@example.test:alice password",
        ])
        .arg(format!("pop3://127.0.0.1:{}/1", s.pop3.unwrap().port()))
        .output()
        .await
        .expect("curl");
    assert!(
        out.status.success(),
        "curl STLS: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("second message"));
    s.stop().await;
}
