//! A raw SMTP client for protocol edge cases: it sends exactly the bytes a
//! test gives it and parses replies, with STARTTLS and implicit TLS that
//! trust the server's generated certificate.

use std::net::SocketAddr;
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

pub enum ClientStream {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
    Closed,
}

impl AsyncRead for ClientStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Self::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Self::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
            Self::Closed => Poll::Ready(Ok(())),
        }
    }
}

impl AsyncWrite for ClientStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        match self.get_mut() {
            Self::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Self::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
            Self::Closed => Poll::Ready(Err(std::io::ErrorKind::NotConnected.into())),
        }
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Self::Plain(s) => Pin::new(s).poll_flush(cx),
            Self::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
            Self::Closed => Poll::Ready(Ok(())),
        }
    }
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Self::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Self::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
            Self::Closed => Poll::Ready(Ok(())),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Reply {
    pub code: u16,
    /// All lines' texts, joined with '\n'.
    pub text: String,
}

impl Reply {
    pub fn is(&self, code: u16, fragment: &str) -> bool {
        self.code == code && self.text.contains(fragment)
    }
}

pub struct SmtpClient {
    pub stream: ClientStream,
    buf: Vec<u8>,
    pub greeting: Reply,
}

/// TLS trusting the test server's self-signed certificate for its hostname.
pub fn connector(data_dir: &Path) -> TlsConnector {
    let pem = std::fs::read(data_dir.join("tls/self-signed-cert.pem")).expect("server certificate");
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls_pemfile::certs(&mut pem.as_slice()) {
        roots.add(cert.expect("PEM")).expect("trust anchor");
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    TlsConnector::from(Arc::new(config))
}

pub const SERVER_NAME: &str = "mx.rampart.test";

impl SmtpClient {
    pub async fn connect(addr: SocketAddr) -> Self {
        let tcp = TcpStream::connect(addr).await.expect("connect");
        let mut c = Self {
            stream: ClientStream::Plain(tcp),
            buf: Vec::new(),
            greeting: Reply {
                code: 0,
                text: String::new(),
            },
        };
        c.greeting = c.reply().await;
        c
    }

    pub async fn connect_tls(addr: SocketAddr, data_dir: &Path) -> Self {
        let tcp = TcpStream::connect(addr).await.expect("connect");
        let name = rustls::pki_types::ServerName::try_from(SERVER_NAME).unwrap();
        let tls = connector(data_dir)
            .connect(name, tcp)
            .await
            .expect("TLS handshake");
        let mut c = Self {
            stream: ClientStream::Tls(Box::new(tls)),
            buf: Vec::new(),
            greeting: Reply {
                code: 0,
                text: String::new(),
            },
        };
        c.greeting = c.reply().await;
        c
    }

    pub async fn send(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).await.expect("write");
        self.stream.flush().await.expect("flush");
    }

    /// Sends one command line and reads its reply.
    pub async fn cmd(&mut self, line: &str) -> Reply {
        self.send(format!("{line}\r\n").as_bytes()).await;
        self.reply().await
    }

    /// Reads one (possibly multi-line) reply; code 0 if the server closed.
    pub async fn reply(&mut self) -> Reply {
        let mut texts = Vec::new();
        loop {
            let line = match self.line().await {
                Some(l) => l,
                None => {
                    return Reply {
                        code: 0,
                        text: texts.join("\n"),
                    };
                }
            };
            let code: u16 = line
                .get(..3)
                .and_then(|c| c.parse().ok())
                .unwrap_or_else(|| panic!("bad reply line {line:?}"));
            texts.push(line.get(4..).unwrap_or("").to_string());
            if line.as_bytes().get(3) != Some(&b'-') {
                return Reply {
                    code,
                    text: texts.join("\n"),
                };
            }
        }
    }

    /// Connects from a chosen loopback address (127.0.0.x), to play a
    /// different client than the test's own API calls.
    pub async fn connect_from(addr: SocketAddr, local: std::net::IpAddr) -> Self {
        let socket = tokio::net::TcpSocket::new_v4().expect("socket");
        socket
            .bind(SocketAddr::new(local, 0))
            .expect("bind local address");
        let tcp = socket.connect(addr).await.expect("connect");
        let mut c = Self::from_stream(tcp);
        c.greeting = c.reply().await;
        c
    }

    /// The same, then implicit TLS.
    pub async fn connect_tls_from(
        addr: SocketAddr,
        local: std::net::IpAddr,
        data_dir: &Path,
    ) -> Self {
        let mut c = Self::connect_raw_tls_from(addr, local, data_dir).await;
        c.greeting = c.reply().await;
        c
    }

    /// From a chosen address over implicit TLS, reading no greeting.
    pub async fn connect_raw_tls_from(
        addr: SocketAddr,
        local: std::net::IpAddr,
        data_dir: &Path,
    ) -> Self {
        let socket = tokio::net::TcpSocket::new_v4().expect("socket");
        socket
            .bind(SocketAddr::new(local, 0))
            .expect("bind local address");
        let tcp = socket.connect(addr).await.expect("connect");
        let name = rustls::pki_types::ServerName::try_from(SERVER_NAME).unwrap();
        let tls = connector(data_dir)
            .connect(name, tcp)
            .await
            .expect("TLS handshake");
        Self {
            stream: ClientStream::Tls(Box::new(tls)),
            buf: Vec::new(),
            greeting: Reply {
                code: 0,
                text: String::new(),
            },
        }
    }

    /// A client over an already connected socket; reads nothing yet.
    pub fn from_stream(tcp: TcpStream) -> Self {
        Self {
            stream: ClientStream::Plain(tcp),
            buf: Vec::new(),
            greeting: Reply {
                code: 0,
                text: String::new(),
            },
        }
    }

    /// A client that reads no greeting (for line protocols other than SMTP).
    pub async fn connect_raw(addr: SocketAddr) -> Self {
        let tcp = TcpStream::connect(addr).await.expect("connect");
        Self {
            stream: ClientStream::Plain(tcp),
            buf: Vec::new(),
            greeting: Reply {
                code: 0,
                text: String::new(),
            },
        }
    }

    /// The same over implicit TLS.
    pub async fn connect_raw_tls(addr: SocketAddr, data_dir: &Path) -> Self {
        let mut c = Self::connect_raw(addr).await;
        c.upgrade_tls(data_dir).await;
        c
    }

    /// Starts TLS on the connection (after the protocol's STARTTLS/STLS).
    pub async fn upgrade_tls(&mut self, data_dir: &Path) {
        assert!(
            self.buf.is_empty(),
            "server sent bytes before the handshake"
        );
        let ClientStream::Plain(tcp) = std::mem::replace(&mut self.stream, ClientStream::Closed)
        else {
            panic!("already TLS");
        };
        let name = rustls::pki_types::ServerName::try_from(SERVER_NAME).unwrap();
        let tls = connector(data_dir)
            .connect(name, tcp)
            .await
            .expect("TLS handshake");
        self.stream = ClientStream::Tls(Box::new(tls));
    }

    /// One line without its line ending; `None` when the server closed.
    pub async fn read_line(&mut self) -> Option<String> {
        self.line().await
    }

    /// Lines up to (not including) a lone ".", un-dot-stuffed.
    pub async fn read_multiline(&mut self) -> Vec<String> {
        let mut lines = Vec::new();
        loop {
            let line = self.line().await.expect("multi-line body");
            if line == "." {
                return lines;
            }
            lines.push(line.strip_prefix('.').map(str::to_string).unwrap_or(line));
        }
    }

    /// Sends a line and returns the one-line answer.
    pub async fn line_cmd(&mut self, line: &str) -> String {
        self.send(format!("{line}\r\n").as_bytes()).await;
        self.line().await.unwrap_or_default()
    }

    async fn line(&mut self) -> Option<String> {
        loop {
            if let Some(pos) = self.buf.iter().position(|b| *b == b'\n') {
                let line: Vec<u8> = self.buf.drain(..=pos).collect();
                return Some(String::from_utf8_lossy(&line).trim_end().to_string());
            }
            let mut chunk = [0u8; 4096];
            let n = tokio::time::timeout(Duration::from_secs(30), self.stream.read(&mut chunk))
                .await
                .expect("server answers within 30 s")
                .unwrap_or(0);
            if n == 0 {
                return None;
            }
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }

    /// STARTTLS and the handshake; returns the 220 reply.
    pub async fn starttls(&mut self, data_dir: &Path) -> Reply {
        let reply = self.cmd("STARTTLS").await;
        assert_eq!(reply.code, 220, "{reply:?}");
        assert!(
            self.buf.is_empty(),
            "server sent bytes after 220 before the handshake"
        );
        let ClientStream::Plain(tcp) = std::mem::replace(&mut self.stream, ClientStream::Closed)
        else {
            panic!("already TLS");
        };
        let name = rustls::pki_types::ServerName::try_from(SERVER_NAME).unwrap();
        let tls = connector(data_dir)
            .connect(name, tcp)
            .await
            .expect("TLS handshake");
        self.stream = ClientStream::Tls(Box::new(tls));
        reply
    }

    /// AUTH PLAIN with an initial response.
    pub async fn auth_plain(&mut self, user: &str, password: &str) -> Reply {
        use base64::Engine;
        let token =
            base64::engine::general_purpose::STANDARD.encode(format!("\0{user}\0{password}"));
        self.cmd(&format!("AUTH PLAIN {token}")).await
    }

    /// Whether the server has closed the connection (nothing more to read).
    pub async fn is_closed(&mut self) -> bool {
        self.line().await.is_none()
    }
}
