//! An SMTP client for delivering to remote MX hosts and smarthosts:
//! greeting, EHLO (HELO fallback), opportunistic STARTTLS, PIPELINING,
//! SIZE/8BITMIME/SMTPUTF8 when offered, and DATA with dot-stuffing that
//! normalises every line ending to CRLF so nothing can be smuggled through.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

/// RFC 5321 4.5.3.2 suggests 5 minutes for most replies, 10 for the end of data.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(300);
const DATA_END_TIMEOUT: Duration = Duration::from_secs(600);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);
/// Replies longer than this are cut; a peer can't make us buffer without end.
const MAX_REPLY: usize = 64 * 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub code: u16,
    /// The text of every line, joined with a space.
    pub text: String,
}

impl Reply {
    pub fn is_positive(&self) -> bool {
        (200..400).contains(&self.code)
    }

    pub fn is_permanent(&self) -> bool {
        self.code >= 500
    }

    /// `code text`, as recorded in events and DSNs.
    pub fn line(&self) -> String {
        format!("{} {}", self.code, self.text)
    }

    /// A failure of our own (connection, DNS), worded like a reply.
    pub fn local(code: u16, text: impl Into<String>) -> Self {
        Self {
            code,
            text: text.into(),
        }
    }
}

/// What the peer offered in its EHLO reply.
#[derive(Debug, Clone, Default)]
pub struct Extensions {
    pub starttls: bool,
    pub pipelining: bool,
    pub eight_bit_mime: bool,
    pub smtputf8: bool,
    pub size: Option<u64>,
}

enum Stream {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
    /// Only while STARTTLS moves the socket into TLS.
    Upgrading,
}

pub struct Client {
    stream: Stream,
    buf: Vec<u8>,
    pub extensions: Extensions,
    /// `TLSv1.3 TLS13_AES_256_GCM_SHA384` once STARTTLS succeeded.
    pub tls: Option<String>,
    pub peer: SocketAddr,
}

/// Opportunistic TLS (RFC 3207, RFC 7435): encrypt whenever the peer offers
/// it, accepting any certificate; without a policy that requires TLS for
/// the domain, refusing a self-signed certificate would only make the
/// message travel in clear text instead.
#[derive(Debug)]
struct Opportunistic(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for Opportunistic {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

fn tls_connector() -> Result<TlsConnector, rustls::Error> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(Opportunistic(provider)))
        .with_no_client_auth();
    Ok(TlsConnector::from(Arc::new(config)))
}

fn io_err(e: impl std::fmt::Display) -> std::io::Error {
    std::io::Error::other(e.to_string())
}

impl Client {
    /// Connects and reads the greeting; a non-2xx greeting is returned as
    /// the error reply.
    pub async fn connect(addr: SocketAddr) -> Result<(Self, Reply), std::io::Error> {
        let tcp = tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(addr))
            .await
            .map_err(|_| {
                std::io::Error::new(std::io::ErrorKind::TimedOut, "connection timed out")
            })??;
        let _ = tcp.set_nodelay(true);
        let mut client = Self {
            stream: Stream::Plain(tcp),
            buf: Vec::new(),
            extensions: Extensions::default(),
            tls: None,
            peer: addr,
        };
        let greeting = client.reply(COMMAND_TIMEOUT).await?;
        Ok((client, greeting))
    }

    async fn write(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        match &mut self.stream {
            Stream::Plain(s) => {
                s.write_all(bytes).await?;
                s.flush().await
            }
            Stream::Tls(s) => {
                s.write_all(bytes).await?;
                s.flush().await
            }
            Stream::Upgrading => Err(io_err("connection lost during STARTTLS")),
        }
    }

    async fn read_more(&mut self) -> std::io::Result<()> {
        let mut chunk = [0u8; 8192];
        let n = match &mut self.stream {
            Stream::Plain(s) => s.read(&mut chunk).await?,
            Stream::Tls(s) => s.read(&mut chunk).await?,
            Stream::Upgrading => return Err(io_err("connection lost during STARTTLS")),
        };
        if n == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "connection closed by peer",
            ));
        }
        self.buf.extend_from_slice(&chunk[..n]);
        if self.buf.len() > MAX_REPLY {
            return Err(io_err("reply too long"));
        }
        Ok(())
    }

    /// Reads one (possibly multi-line) reply.
    pub async fn reply(&mut self, timeout: Duration) -> std::io::Result<Reply> {
        tokio::time::timeout(timeout, self.reply_inner())
            .await
            .map_err(|_| {
                std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    "timed out waiting for a reply",
                )
            })?
    }

    async fn reply_inner(&mut self) -> std::io::Result<Reply> {
        let mut texts: Vec<String> = Vec::new();
        loop {
            let Some(pos) = self.buf.iter().position(|b| *b == b'\n') else {
                self.read_more().await?;
                continue;
            };
            let line: Vec<u8> = self.buf.drain(..=pos).collect();
            let line = String::from_utf8_lossy(&line).trim_end().to_string();
            let code: u16 = line
                .get(..3)
                .and_then(|c| c.parse().ok())
                .ok_or_else(|| io_err(format!("malformed reply {line:?}")))?;
            texts.push(line.get(4..).unwrap_or("").to_string());
            if line.as_bytes().get(3) != Some(&b'-') {
                return Ok(Reply {
                    code,
                    text: texts.join(" "),
                });
            }
        }
    }

    pub async fn command(&mut self, line: &str) -> std::io::Result<Reply> {
        self.write(format!("{line}\r\n").as_bytes()).await?;
        self.reply(COMMAND_TIMEOUT).await
    }

    /// EHLO, falling back to HELO; records the extensions offered.
    pub async fn hello(&mut self, hostname: &str) -> std::io::Result<Reply> {
        self.write(format!("EHLO {hostname}\r\n").as_bytes())
            .await?;
        let mut lines = Vec::new();
        let code = loop {
            let Some(pos) = self.buf.iter().position(|b| *b == b'\n') else {
                tokio::time::timeout(COMMAND_TIMEOUT, self.read_more())
                    .await
                    .map_err(io_err)??;
                continue;
            };
            let line: Vec<u8> = self.buf.drain(..=pos).collect();
            let line = String::from_utf8_lossy(&line).trim_end().to_string();
            let code: u16 = line
                .get(..3)
                .and_then(|c| c.parse().ok())
                .ok_or_else(|| io_err("malformed EHLO reply"))?;
            lines.push(line.get(4..).unwrap_or("").to_string());
            if line.as_bytes().get(3) != Some(&b'-') {
                break code;
            }
        };
        if code != 250 {
            return self.command(&format!("HELO {hostname}")).await;
        }
        let mut ext = Extensions::default();
        for l in lines.iter().skip(1) {
            let mut words = l.split_whitespace();
            match words.next().map(|w| w.to_ascii_uppercase()).as_deref() {
                Some("STARTTLS") => ext.starttls = true,
                Some("PIPELINING") => ext.pipelining = true,
                Some("8BITMIME") => ext.eight_bit_mime = true,
                Some("SMTPUTF8") => ext.smtputf8 = true,
                Some("SIZE") => {
                    ext.size = words.next().and_then(|n| n.parse().ok()).filter(|n| *n > 0)
                }
                _ => {}
            }
        }
        self.extensions = ext;
        Ok(Reply {
            code,
            text: lines.join(" "),
        })
    }

    /// STARTTLS and a new EHLO. Returns `Ok(false)` when the peer refused
    /// STARTTLS (the session goes on in clear text).
    pub async fn starttls(&mut self, server_name: &str, hostname: &str) -> std::io::Result<bool> {
        let reply = self.command("STARTTLS").await?;
        if reply.code != 220 {
            return Ok(false);
        }
        // Bytes the peer sent before the handshake are not trusted.
        self.buf.clear();
        let Stream::Plain(tcp) = std::mem::replace(&mut self.stream, Stream::Upgrading) else {
            return Err(io_err("STARTTLS on a connection that is not plain TCP"));
        };
        let name = ServerName::try_from(server_name.to_string())
            .or_else(|_| ServerName::try_from(self.peer.ip().to_string()))
            .map_err(io_err)?;
        let connector = tls_connector().map_err(io_err)?;
        let tls = tokio::time::timeout(CONNECT_TIMEOUT, connector.connect(name, tcp))
            .await
            .map_err(io_err)??;
        let (_, conn) = tls.get_ref();
        let version = conn
            .protocol_version()
            .map(|v| format!("{v:?}").replace('_', "."))
            .unwrap_or_default();
        let cipher = conn
            .negotiated_cipher_suite()
            .map(|c| format!("{:?}", c.suite()))
            .unwrap_or_default();
        self.tls = Some(format!("{version} {cipher}"));
        self.stream = Stream::Tls(Box::new(tls));
        self.hello(hostname).await?;
        Ok(true)
    }

    /// Sends several commands at once (PIPELINING) or one by one, and
    /// returns their replies in order.
    pub async fn commands(&mut self, lines: &[String]) -> std::io::Result<Vec<Reply>> {
        let mut replies = Vec::with_capacity(lines.len());
        if self.extensions.pipelining {
            let mut batch = String::new();
            for l in lines {
                batch.push_str(l);
                batch.push_str("\r\n");
            }
            self.write(batch.as_bytes()).await?;
            for _ in lines {
                replies.push(self.reply(COMMAND_TIMEOUT).await?);
            }
        } else {
            for l in lines {
                replies.push(self.command(l).await?);
            }
        }
        Ok(replies)
    }

    /// DATA, the dot-stuffed message, and the final reply.
    pub async fn data(&mut self, message: &[u8]) -> std::io::Result<Reply> {
        let go = self.command("DATA").await?;
        if go.code != 354 {
            return Ok(go);
        }
        let wire = dot_stuff(message);
        self.write(&wire).await?;
        self.reply(DATA_END_TIMEOUT).await
    }

    pub async fn quit(mut self) {
        let _ = tokio::time::timeout(Duration::from_secs(5), self.command("QUIT")).await;
    }
}

/// The message as DATA sends it: every line ending made CRLF (a bare CR or
/// LF never reaches the peer, so no SMTP smuggling through us), leading
/// dots doubled, and the final `.` line.
pub fn dot_stuff(message: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(message.len() + message.len() / 64 + 8);
    let mut at_line_start = true;
    let mut i = 0;
    while i < message.len() {
        let b = message[i];
        match b {
            b'\r' | b'\n' => {
                out.extend_from_slice(b"\r\n");
                if b == b'\r' && message.get(i + 1) == Some(&b'\n') {
                    i += 1;
                }
                at_line_start = true;
            }
            _ => {
                if at_line_start && b == b'.' {
                    out.push(b'.');
                }
                out.push(b);
                at_line_start = false;
            }
        }
        i += 1;
    }
    if !at_line_start {
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b".\r\n");
    out
}

#[cfg(test)]
mod tests {
    use super::dot_stuff;

    #[test]
    fn every_line_ending_becomes_crlf_and_dots_are_doubled() {
        assert_eq!(dot_stuff(b"a\r\n.b\r\n"), b"a\r\n..b\r\n.\r\n");
        assert_eq!(
            dot_stuff(b"a\n.\nMAIL FROM:<x>\r\n"),
            b"a\r\n..\r\nMAIL FROM:<x>\r\n.\r\n"
        );
        assert_eq!(dot_stuff(b"a\r.\rb"), b"a\r\n..\r\nb\r\n.\r\n");
        assert_eq!(dot_stuff(b""), b".\r\n");
        assert_eq!(dot_stuff(b".\r\n"), b"..\r\n.\r\n");
    }
}
