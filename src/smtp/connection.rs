//! One SMTP connection: bytes from the socket into the framer, frames into
//! the session, replies back. Handles the STARTTLS upgrade, the idle
//! timeout and server shutdown.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;

use super::framing::Framer;
use super::session::{After, Session, TlsInfo};
use super::{ListenerKind, Reply};
use crate::app::AppState;
use crate::net::stream::{Stream, handshake, tls_description};

const READ_BUFFER: usize = 64 * 1024;

/// Serves one connection to its end.
pub async fn serve(
    tcp: TcpStream,
    peer: SocketAddr,
    kind: ListenerKind,
    state: AppState,
    tls: Arc<rustls::ServerConfig>,
    shutdown: CancellationToken,
) {
    let _ = tcp.set_nodelay(true);
    let acceptor = TlsAcceptor::from(tls);
    let (mut stream, info) = if kind == ListenerKind::Submissions {
        match handshake(&acceptor, tcp).await {
            Ok(s) => {
                let info = TlsInfo {
                    description: tls_description(&s),
                };
                (Stream::Tls(Box::new(s)), Some(info))
            }
            Err(e) => {
                tracing::debug!(%peer, error = %e, "implicit TLS handshake failed");
                return;
            }
        }
    } else {
        (Stream::Plain(tcp), None)
    };
    let mut session = Session::new(state.clone(), state.committer.clone(), kind, peer, info).await;
    let idle = Duration::from_secs(state.config.smtp.idle_timeout_seconds);
    let mut framer = Framer::new(state.config.smtp.max_message_size as usize);
    let mut out = Vec::with_capacity(1024);
    if shutdown.is_cancelled() {
        let _ = write_reply(
            &mut stream,
            &Reply::enhanced(
                421,
                "4.3.0",
                format!("{} shutting down", state.config.hostname),
            ),
        )
        .await;
        return;
    }
    if write_reply(&mut stream, &session.greeting()).await.is_err() {
        return;
    }
    let mut buf = vec![0u8; READ_BUFFER];
    'connection: loop {
        let read = tokio::select! {
            r = tokio::time::timeout(idle, stream.read(&mut buf)) => r,
            _ = shutdown.cancelled() => {
                // Mid-message: say nothing, so nothing unfinished looks accepted.
                if !framer.in_body() {
                    let _ = write_reply(&mut stream, &Reply::enhanced(421, "4.3.0", "Server shutting down")).await;
                }
                break;
            }
        };
        let n = match read {
            Err(_) => {
                let _ = write_reply(
                    &mut stream,
                    &Reply::enhanced(421, "4.4.2", "Idle timeout; closing connection"),
                )
                .await;
                break;
            }
            Ok(Err(_)) | Ok(Ok(0)) => break,
            Ok(Ok(n)) => n,
        };
        let mut input = buf[..n].iter();
        while let Some(frame) = framer.next(&mut input) {
            let (reply, after) = session.handle(frame).await;
            reply.write_to(&mut out);
            match after {
                After::Continue => {}
                After::ExpectData => framer.expect_data(),
                After::ExpectAuthLine => framer.expect_auth_line(),
                After::Close => {
                    let _ = flush(&mut stream, &mut out).await;
                    break 'connection;
                }
                After::StartTls => {
                    if flush(&mut stream, &mut out).await.is_err() {
                        break 'connection;
                    }
                    // Anything pipelined after STARTTLS was sent in clear
                    // text: drop it (the CVE-2011-0411 class of injection).
                    framer.reset();
                    let Stream::Plain(tcp) = stream else {
                        break 'connection;
                    };
                    match handshake(&acceptor, tcp).await {
                        Ok(tls) => {
                            session.tls_started(TlsInfo {
                                description: tls_description(&tls),
                            });
                            stream = Stream::Tls(Box::new(tls));
                        }
                        Err(e) => {
                            tracing::debug!(%peer, error = %e, "STARTTLS handshake failed");
                            return;
                        }
                    }
                    continue 'connection;
                }
            }
        }
        if flush(&mut stream, &mut out).await.is_err() {
            break;
        }
    }
    let _ = stream.shutdown().await;
}

async fn write_reply(stream: &mut Stream, reply: &Reply) -> std::io::Result<()> {
    let mut out = Vec::new();
    reply.write_to(&mut out);
    flush(stream, &mut out).await
}

async fn flush(stream: &mut Stream, out: &mut Vec<u8>) -> std::io::Result<()> {
    stream.send(out).await
}
