//! Hostile input over real sockets: every line and literal limit with its
//! reply and the connection closed, ALPN and SNI refused where they are not
//! ours, the generated certificate, and the HTTP API's limits.

mod common;

use std::net::SocketAddr;
use std::sync::Arc;

use common::TestServer;
use common::raw::Raw;
use reqwest::Method;
use serde_json::json;
use tokio::net::TcpStream;

const USER: &str = "alice@example.test";
const PASSWORD: &str = "alice password";

async fn server(extra: &str) -> TestServer {
    let s = TestServer::start_smtp(extra).await;
    s.create_domain("example.test").await;
    s.create_account(USER, PASSWORD).await;
    s
}

async fn plain(addr: SocketAddr) -> Raw<TcpStream> {
    let mut c = Raw::new(TcpStream::connect(addr).await.unwrap());
    c.line().await.expect("greeting");
    c
}

fn client_config(s: &TestServer, alpn: &[&[u8]]) -> Arc<rustls::ClientConfig> {
    let pem = std::fs::read(s.dir.path().join("tls/self-signed-cert.pem")).unwrap();
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls_pemfile::certs(&mut pem.as_slice()) {
        roots.add(cert.unwrap()).unwrap();
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    Arc::new(config)
}

type TlsResult = std::io::Result<tokio_rustls::client::TlsStream<TcpStream>>;

async fn tls(s: &TestServer, addr: SocketAddr, name: &str, alpn: &[&[u8]]) -> TlsResult {
    let tcp = TcpStream::connect(addr).await.unwrap();
    let name = rustls::pki_types::ServerName::try_from(name.to_string()).unwrap();
    tokio_rustls::TlsConnector::from(client_config(s, alpn))
        .connect(name, tcp)
        .await
}

fn alert(result: &TlsResult) -> Option<rustls::AlertDescription> {
    let error = result.as_ref().err()?;
    match error.get_ref()?.downcast_ref::<rustls::Error>()? {
        rustls::Error::AlertReceived(a) => Some(*a),
        _ => None,
    }
}

async fn imaps_logged_in(s: &TestServer) -> Raw<tokio_rustls::client::TlsStream<TcpStream>> {
    let tls = tls(s, s.imaps.unwrap(), common::smtp::SERVER_NAME, &[])
        .await
        .unwrap();
    let mut c = Raw::new(tls);
    c.line().await.expect("greeting");
    let ok = c.cmd(&format!("l1 LOGIN {USER} \"{PASSWORD}\"")).await;
    assert!(ok.starts_with("l1 OK"), "{ok}");
    c
}

#[tokio::test]
async fn imap_before_login_takes_short_lines_and_small_literals_for_login_only() {
    let s = server("").await;
    let mut c = plain(s.imap.unwrap()).await;
    assert!(c.cmd("a1 NOOP").await.starts_with("a1 OK"));
    // A literal in anything but LOGIN/AUTHENTICATE: refused before it is sent.
    let r = c.cmd("a2 ID {5}").await;
    assert!(r.starts_with("a2 BAD"), "{r}");
    let r = c.cmd("a3 LOGIN {5000}").await;
    assert!(r.starts_with("a3 NO [TOOBIG]"), "{r}");
    assert!(c.cmd("a4 NOOP").await.starts_with("a4 OK"));
    // A line over 8 KiB: BAD, BYE, closed, before its end ever arrives.
    c.send(format!("a5 LOGIN {}", "x".repeat(9000)).as_bytes())
        .await;
    assert!(c.line().await.unwrap().starts_with("a5 BAD"));
    assert!(c.line().await.unwrap().starts_with("* BYE"));
    assert_eq!(c.line().await, None);

    // Megabytes with no line ending at all: refused at the limit.
    let mut c = plain(s.imap.unwrap()).await;
    let said = c.flood(8 << 20).await;
    assert!(said.first().is_some_and(|l| l.contains("BAD")), "{said:?}");
    // LITERAL+ over the limit cannot be skipped: BAD and closed.
    let mut c = plain(s.imap.unwrap()).await;
    c.send(b"a6 LOGIN {9000+}\r\n").await;
    assert!(c.line().await.unwrap().starts_with("a6 BAD"));
    assert!(c.line().await.unwrap().starts_with("* BYE"));
    assert_eq!(c.line().await, None);
    s.stop().await;
}

#[tokio::test]
async fn imap_after_login_lines_to_64k_and_literals_within_size_and_quota() {
    let s = server("[smtp]\nmax_message_size = 100000\n").await;
    let mut c = imaps_logged_in(&s).await;
    // Longer lines than before login are fine now.
    c.send(b"s1 SELECT INBOX\r\n").await;
    assert!(c.until("s1 ").await.starts_with("s1 OK"));
    c.send(format!("b1 SEARCH SUBJECT \"{}\"\r\n", "y".repeat(40_000)).as_bytes())
        .await;
    let r = c.until("b1 ").await;
    assert!(r.starts_with("b1 OK"), "{r}");
    // Over the message size: refused before the literal is sent.
    let r = c.cmd("b2 APPEND INBOX {100001}").await;
    assert!(r.starts_with("b2 NO [TOOBIG]"), "{r}");
    // Over the quota: likewise.
    let r = s
        .admin(Method::PATCH, &format!("/v1/accounts/{USER}"))
        .json(&json!({ "quota_bytes": 1000 }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = c.cmd("b3 APPEND INBOX {2000}").await;
    assert!(r.starts_with("b3 NO [OVERQUOTA]"), "{r}");
    let r = c.cmd("b4 APPEND INBOX {30}").await;
    assert!(r.starts_with("+"), "{r}");
    c.send(b"Subject: hi\r\n\r\nsmall message\r\n").await;
    c.send(b"\r\n").await;
    let r = c.until("b4 ").await;
    assert!(r.starts_with("b4 OK"), "{r}");
    // A line over 64 KiB: BAD and closed.
    c.send(format!("b5 NOOP {}", "z".repeat(70_000)).as_bytes())
        .await;
    let r = c.until("b5 ").await;
    assert!(r.starts_with("b5 BAD"), "{r}");
    assert!(c.line().await.unwrap().starts_with("* BYE"));
    assert_eq!(c.line().await, None);
    s.stop().await;
}

#[tokio::test]
async fn pop3_command_lines_are_255_octets() {
    let s = server("").await;
    let mut c = plain(s.pop3.unwrap()).await;
    // Exactly 255 octets with CRLF: an ordinary (if unwelcome) command.
    let r = c.cmd(&format!("NOOP {}", "a".repeat(255 - 7))).await;
    assert!(!r.contains("too long"), "{r}");
    assert!(c.cmd("CAPA").await.starts_with("+OK"));
    c.until(".").await;
    // One more: refused and closed.
    c.send(format!("NOOP {}\r\n", "a".repeat(255 - 6)).as_bytes())
        .await;
    assert_eq!(c.line().await.unwrap(), "-ERR Line too long");
    assert_eq!(c.line().await, None);
    // No line ending at all: the same, without waiting for one.
    let mut c = plain(s.pop3.unwrap()).await;
    let said = c.flood(8 << 20).await;
    assert_eq!(said, ["-ERR Line too long"]);
    s.stop().await;
}

#[tokio::test]
async fn smtp_command_lines_over_512_octets_end_the_session() {
    let s = server("").await;
    let mut c = plain(s.smtp.unwrap()).await;
    let said = c.flood(8 << 20).await;
    assert_eq!(said.len(), 1, "{said:?}");
    assert!(said[0].starts_with("500 5.5.2"), "{said:?}");
    s.stop().await;
}

#[tokio::test]
async fn each_tls_listener_takes_only_its_own_alpn_and_our_names() {
    let s = server("").await;
    let name = common::smtp::SERVER_NAME;
    for (addr, ours) in [
        (s.imaps.unwrap(), &b"imap"[..]),
        (s.pop3s.unwrap(), &b"pop3"[..]),
        (s.submissions.unwrap(), &b"smtp"[..]),
        (s.https, &b"http/1.1"[..]),
    ] {
        let other: &[u8] = if ours == b"http/1.1" {
            b"imap"
        } else {
            b"http/1.1"
        };
        let refused = tls(&s, addr, name, &[other]).await;
        assert_eq!(
            alert(&refused),
            Some(rustls::AlertDescription::NoApplicationProtocol),
            "{addr} with ALPN {:?}",
            String::from_utf8_lossy(other)
        );
        let agreed = tls(&s, addr, name, &[other, ours]).await.unwrap();
        assert_eq!(agreed.get_ref().1.alpn_protocol(), Some(ours));
        let without = tls(&s, addr, name, &[]).await.unwrap();
        assert_eq!(without.get_ref().1.alpn_protocol(), None);
        // A name that is not ours is refused outright.
        let elsewhere = tls(&s, addr, "www.example.org", &[]).await;
        assert!(elsewhere.is_err(), "{addr} served www.example.org");
    }
    // The HTTPS listener still serves over the negotiated ALPN.
    let mut c = Raw::new(tls(&s, s.https, name, &[b"http/1.1"]).await.unwrap());
    c.send(b"GET /healthz HTTP/1.1\r\nHost: mx.rampart.test\r\nConnection: close\r\n\r\n")
        .await;
    assert!(c.line().await.unwrap().starts_with("HTTP/1.1 200"));
    s.stop().await;
}

#[tokio::test]
async fn the_generated_certificate_names_the_host_and_follows_it() {
    let s = server("").await;
    let path = s.dir.path().join("tls/self-signed-cert.pem");
    let info = |pem: &[u8]| {
        let der = rustls_pemfile::certs(&mut &pem[..])
            .next()
            .unwrap()
            .unwrap();
        rampart::net::tls::CertificateInfo::parse(&der).unwrap()
    };
    let first = std::fs::read(&path).unwrap();
    let i = info(&first);
    assert_eq!(i.dns_names, [common::smtp::SERVER_NAME]);
    assert_eq!(i.common_name.as_deref(), Some(common::smtp::SERVER_NAME));
    let days = (i.not_after - chrono::Utc::now().timestamp()) / 86_400;
    assert!((364..=365).contains(&days), "valid for {days} days");
    // Same hostname: reused. Another hostname: a new certificate for it.
    let mut config = s.config.clone();
    rampart::net::tls::server_configs(&config).unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), first);
    config.hostname = "mail.other.test".into();
    rampart::net::tls::server_configs(&config).unwrap();
    assert_eq!(
        info(&std::fs::read(&path).unwrap()).dns_names,
        ["mail.other.test"]
    );
    s.stop().await;
}

#[tokio::test]
async fn http_headers_and_bodies_have_limits() {
    let s = server("").await;
    // hyper's header buffer (about 400 KiB): 431, not a growing buffer.
    let mut c = Raw::new(
        TcpStream::connect(
            s.url("")
                .trim_start_matches("http://")
                .trim_end_matches('/'),
        )
        .await
        .unwrap(),
    );
    c.send(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ").await;
    let said = c.flood(2 << 20).await;
    assert!(
        said.first().is_some_and(|l| l.starts_with("HTTP/1.1 431")),
        "{said:?}"
    );
    // Bodies over 1 MiB: 413 problem.
    let r = s
        .admin(Method::POST, "/v1/domains")
        .header("content-type", "application/json")
        .body(vec![b' '; 2 << 20])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
    s.stop().await;
}
