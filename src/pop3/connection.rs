//! One POP3 connection: lines in, replies out, STLS, autologout, shutdown.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;

use super::framing::{Line, LineReader, MAX_AUTH_LINE, MAX_COMMAND_LINE};
use super::session::{After, Session};
use crate::app::AppState;
use crate::net::stream::{Stream, handshake};

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
    let mut reader = LineReader::default();
    let mut expect_auth_line = false;
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
        let mut input = buf[..n].iter();
        loop {
            let max = match expect_auth_line {
                true => MAX_AUTH_LINE,
                false => MAX_COMMAND_LINE,
            };
            let line = match reader.next(&mut input, max) {
                None => break,
                Some(Line::Complete(line)) => line,
                Some(Line::TooLong) => {
                    // Never buffered past the limit, and not read further.
                    tracing::info!(%peer, "POP3 line over {max} octets; closing");
                    out.extend_from_slice(b"-ERR Line too long\r\n");
                    let _ = stream.send(&mut out).await;
                    break 'connection;
                }
            };
            let text = String::from_utf8_lossy(&line).to_string();
            let (reply, after) = session.handle(&text).await;
            out.extend_from_slice(&reply);
            expect_auth_line = after == After::ExpectAuthLine;
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
                    reader.reset();
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
