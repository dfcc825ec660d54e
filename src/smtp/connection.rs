//! One SMTP connection: bytes from the socket into the framer, frames into
//! the session, replies back. Handles the STARTTLS upgrade, the idle
//! timeout and server shutdown.

use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;
use tokio_util::sync::CancellationToken;

use super::framing::Framer;
use super::session::{After, Session, TlsInfo};
use super::{ListenerKind, Reply};
use crate::app::AppState;

const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(30);
const READ_BUFFER: usize = 64 * 1024;

/// A socket before or after STARTTLS.
pub enum Stream {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_flush(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

fn tls_info(stream: &TlsStream<TcpStream>) -> TlsInfo {
    let (_, conn) = stream.get_ref();
    let version = conn
        .protocol_version()
        .map(|v| format!("{v:?}"))
        .unwrap_or_else(|| "TLS".into());
    let cipher = conn
        .negotiated_cipher_suite()
        .map(|c| format!("{:?}", c.suite()))
        .unwrap_or_default();
    TlsInfo {
        description: format!("using {} with cipher {cipher}", version.replace('_', ".")),
    }
}

async fn handshake(
    acceptor: &TlsAcceptor,
    tcp: TcpStream,
) -> std::io::Result<TlsStream<TcpStream>> {
    tokio::time::timeout(TLS_HANDSHAKE_TIMEOUT, acceptor.accept(tcp))
        .await
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "TLS handshake timed out"))?
}

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
                let info = tls_info(&s);
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
                            session.tls_started(tls_info(&tls));
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
    if out.is_empty() {
        return Ok(());
    }
    stream.write_all(out).await?;
    stream.flush().await?;
    out.clear();
    Ok(())
}
