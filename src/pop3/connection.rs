//! One POP3 connection: lines in, replies out, STLS, autologout, shutdown.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;

use super::session::{After, Session};
use crate::app::AppState;
use crate::net::stream::{Stream, handshake};

/// RFC 2449 4: commands are at most 255 octets; SASL lines may be longer.
const MAX_LINE: usize = 4096;

pub async fn serve(
    tcp: TcpStream,
    peer: SocketAddr,
    implicit_tls: bool,
    state: AppState,
    tls: Arc<rustls::ServerConfig>,
    shutdown: CancellationToken,
) {
    let _ = tcp.set_nodelay(true);
    let acceptor = TlsAcceptor::from(tls);
    let mut stream = if implicit_tls {
        match handshake(&acceptor, tcp).await {
            Ok(s) => Stream::Tls(Box::new(s)),
            Err(e) => {
                tracing::debug!(%peer, error = %e, "POP3 TLS handshake failed");
                return;
            }
        }
    } else {
        Stream::Plain(tcp)
    };
    let mut session = Session::new(state.clone(), peer, implicit_tls);
    let idle = Duration::from_secs(state.config.access.pop3_idle_timeout_seconds);
    let mut out = session.greeting();
    if stream.send(&mut out).await.is_err() {
        return;
    }
    let mut line = Vec::new();
    let mut skipping = false;
    let mut buf = vec![0u8; 16 * 1024];
    let mut kicks = state.access.kicks();
    'connection: loop {
        let n = tokio::select! {
            Ok(kicked) = kicks.recv() => {
                if Some(kicked) == session.account_id() {
                    // Frozen or disabled: no UPDATE state, nothing is deleted.
                    let mut bye = b"-ERR [AUTH] Account is frozen or disabled; contact your administrator\r\n".to_vec();
                    let _ = stream.send(&mut bye).await;
                    break;
                }
                continue;
            }
            r = tokio::time::timeout(idle, stream.read(&mut buf)) => match r {
                Ok(Ok(0)) | Ok(Err(_)) => break,
                Ok(Ok(n)) => n,
                Err(_) => {
                    let mut bye = b"-ERR Autologout: idle too long\r\n".to_vec();
                    let _ = stream.send(&mut bye).await;
                    break;
                }
            },
            _ = shutdown.cancelled() => {
                let mut bye = b"-ERR [SYS/TEMP] Server shutting down\r\n".to_vec();
                let _ = stream.send(&mut bye).await;
                break;
            }
        };
        for &b in &buf[..n] {
            if b != b'\n' {
                if line.len() >= MAX_LINE {
                    skipping = true;
                    line.clear();
                } else if !skipping {
                    line.push(b);
                }
                continue;
            }
            if skipping {
                skipping = false;
                out.extend_from_slice(b"-ERR Line too long\r\n");
                continue;
            }
            let text = String::from_utf8_lossy(&line)
                .trim_end_matches('\r')
                .to_string();
            line.clear();
            let (reply, after) = session.handle(&text).await;
            out.extend_from_slice(&reply);
            match after {
                After::Continue | After::ExpectAuthLine => {}
                After::Close => {
                    let _ = stream.send(&mut out).await;
                    break 'connection;
                }
                After::StartTls => {
                    if stream.send(&mut out).await.is_err() {
                        break 'connection;
                    }
                    // Nothing sent before the handshake is acted on after it.
                    line.clear();
                    let Stream::Plain(tcp) = stream else {
                        break 'connection;
                    };
                    match handshake(&acceptor, tcp).await {
                        Ok(tls) => {
                            stream = Stream::Tls(Box::new(tls));
                            session.tls_started();
                        }
                        Err(e) => {
                            tracing::debug!(%peer, error = %e, "POP3 STLS handshake failed");
                            return;
                        }
                    }
                    continue 'connection;
                }
            }
        }
        if stream.send(&mut out).await.is_err() {
            break;
        }
    }
    let _ = stream.shutdown().await;
}
