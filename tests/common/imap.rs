//! Reading a mailbox over IMAPS with a real client library (async-imap).

use futures_util::TryStreamExt;

use super::TestServer;

/// A TLS connection to the IMAPS listener, trusting the test certificate.
pub async fn tls(s: &TestServer) -> tokio_rustls::client::TlsStream<tokio::net::TcpStream> {
    let tcp = tokio::net::TcpStream::connect(s.imaps.unwrap())
        .await
        .unwrap();
    let name = rustls::pki_types::ServerName::try_from(super::smtp::SERVER_NAME).unwrap();
    super::smtp::connector(&s.config.data_dir)
        .connect(name, tcp)
        .await
        .unwrap()
}

/// Every message in `mailbox` of `user`, as text, in UID order.
pub async fn messages(s: &TestServer, user: &str, password: &str, mailbox: &str) -> Vec<String> {
    let tls = tls(s).await;
    let mut client = async_imap::Client::new(tls);
    client.read_response().await.unwrap().expect("greeting");
    let mut imap = client
        .login(user, password)
        .await
        .map_err(|(e, _)| e)
        .expect("login");
    let selected = imap.select(mailbox).await.unwrap();
    let mut out = Vec::new();
    if selected.exists > 0 {
        let fetched: Vec<_> = imap
            .fetch("1:*", "BODY.PEEK[]")
            .await
            .unwrap()
            .try_collect()
            .await
            .unwrap();
        for f in &fetched {
            out.push(String::from_utf8(f.body().unwrap().to_vec()).unwrap());
        }
    }
    imap.logout().await.unwrap();
    out
}

/// A raw IMAPS conversation, logged in as `user`.
pub async fn raw_session(
    s: &TestServer,
    user: &str,
    password: &str,
) -> super::raw::Raw<tokio_rustls::client::TlsStream<tokio::net::TcpStream>> {
    let tls = tls(s).await;
    let mut c = super::raw::Raw::new(tls);
    c.line().await.expect("greeting");
    let r = c.exchange(&format!("l LOGIN {user} \"{password}\"")).await;
    assert!(r.last().unwrap().starts_with("l OK"), "{r:?}");
    c
}
