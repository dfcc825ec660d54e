//! A remote MX for tests: an SMTP server on 127.0.0.1 that records what it
//! receives and answers each recipient as the test scripts it: local parts
//! starting `reject` get 550, `temp` get 451 on the first attempt, others
//! 250. Optionally offers STARTTLS with a self-signed certificate.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

#[derive(Debug, Clone)]
pub struct Received {
    pub mail_from: String,
    pub rcpt_to: Vec<String>,
    pub data: Vec<u8>,
    pub tls: bool,
}

#[derive(Clone, Default)]
pub struct Mx {
    pub received: Arc<Mutex<Vec<Received>>>,
    temp_seen: Arc<Mutex<HashMap<String, u32>>>,
}

impl Mx {
    pub fn messages(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    /// Waits until `n` messages arrived (30 s at most).
    pub async fn wait_for(&self, n: usize) -> Vec<Received> {
        for _ in 0..300 {
            let got = self.messages();
            if got.len() >= n {
                return got;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!(
            "the MX received {} messages, expected {n}",
            self.messages().len()
        );
    }
}

pub async fn start(tls: bool) -> (Mx, SocketAddr) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    (serve(listener, tls), addr)
}

/// Serves on an already bound listener (to come back on the same port).
pub fn serve(listener: TcpListener, tls: bool) -> Mx {
    let mx = Mx::default();
    let acceptor = tls.then(|| {
        let cert = rcgen::generate_simple_self_signed(vec!["mx.remote.test".to_string()]).unwrap();
        let key = rustls::pki_types::PrivateKeyDer::Pkcs8(cert.key_pair.serialize_der().into());
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert.cert.der().clone()], key)
        .unwrap();
        tokio_rustls::TlsAcceptor::from(Arc::new(config))
    });
    let server = mx.clone();
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                break;
            };
            let mx = server.clone();
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let mut plain = BufReader::new(tcp);
                plain
                    .get_mut()
                    .write_all(b"220 mx.remote.test ESMTP test\r\n")
                    .await
                    .ok();
                if session(&mx, &mut plain, acceptor.is_some(), false).await == Some(true)
                    && let Some(acceptor) = acceptor
                {
                    let tls = acceptor.accept(plain.into_inner()).await.unwrap();
                    let mut tls = BufReader::new(tls);
                    session(&mx, &mut tls, false, true).await;
                }
            });
        }
    });
    mx
}

/// Runs SMTP until QUIT; `Some(true)` when the client asked for STARTTLS.
async fn session<S: AsyncRead + AsyncWrite + Unpin>(
    mx: &Mx,
    io: &mut BufReader<S>,
    offer_tls: bool,
    tls: bool,
) -> Option<bool> {
    let mut mail_from = String::new();
    let mut rcpts: Vec<String> = Vec::new();
    loop {
        let mut line = String::new();
        if io.read_line(&mut line).await.ok()? == 0 {
            return None;
        }
        let upper = line.to_ascii_uppercase();
        let reply: String = if upper.starts_with("EHLO") {
            let tls_line = if offer_tls { "250-STARTTLS\r\n" } else { "" };
            format!(
                "250-mx.remote.test\r\n{tls_line}250-PIPELINING\r\n250-8BITMIME\r\n250-SIZE 10000000\r\n250 SMTPUTF8\r\n"
            )
        } else if upper.starts_with("STARTTLS") {
            io.get_mut().write_all(b"220 go ahead\r\n").await.ok()?;
            return Some(true);
        } else if upper.starts_with("MAIL FROM:") {
            mail_from = line[10..]
                .trim()
                .trim_start_matches('<')
                .split('>')
                .next()
                .unwrap_or("")
                .to_string();
            rcpts.clear();
            "250 2.1.0 ok\r\n".into()
        } else if upper.starts_with("RCPT TO:") {
            let rcpt = line[8..]
                .trim()
                .trim_start_matches('<')
                .split('>')
                .next()
                .unwrap_or("")
                .to_string();
            if rcpt.starts_with("reject") {
                "550 5.1.1 no such user here\r\n".into()
            } else if rcpt.starts_with("temp") && {
                let mut seen = mx.temp_seen.lock().unwrap();
                let n = seen.entry(rcpt.clone()).or_insert(0);
                *n += 1;
                *n == 1
            } {
                "451 4.3.0 try again later\r\n".into()
            } else {
                rcpts.push(rcpt);
                "250 2.1.5 ok\r\n".into()
            }
        } else if upper.starts_with("DATA") {
            io.get_mut().write_all(b"354 go\r\n").await.ok()?;
            let mut data = Vec::new();
            loop {
                let mut l = Vec::new();
                if io.read_until(b'\n', &mut l).await.ok()? == 0 {
                    return None;
                }
                if l == b".\r\n" {
                    break;
                }
                let l = if l.starts_with(b"..") {
                    l[1..].to_vec()
                } else {
                    l
                };
                data.extend_from_slice(&l);
            }
            mx.received.lock().unwrap().push(Received {
                mail_from: mail_from.clone(),
                rcpt_to: rcpts.clone(),
                data,
                tls,
            });
            "250 2.0.0 queued remotely\r\n".into()
        } else if upper.starts_with("QUIT") {
            io.get_mut().write_all(b"221 bye\r\n").await.ok()?;
            return None;
        } else {
            "250 ok\r\n".into()
        };
        io.get_mut().write_all(reply.as_bytes()).await.ok()?;
    }
}
