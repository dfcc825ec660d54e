//! A line-oriented client for raw protocol conversations over any stream
//! (plain TCP or TLS), with bounded reads.

use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// A line-oriented client over any stream.
pub struct Raw<S> {
    pub stream: S,
    buf: Vec<u8>,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Raw<S> {
    pub fn new(stream: S) -> Self {
        Self {
            stream,
            buf: Vec::new(),
        }
    }

    /// The next line, or `None` at end of stream (or a reset).
    pub async fn line(&mut self) -> Option<String> {
        loop {
            if let Some(i) = self.buf.iter().position(|b| *b == b'\n') {
                let line: Vec<u8> = self.buf.drain(..=i).collect();
                return Some(String::from_utf8_lossy(&line).trim_end().to_string());
            }
            let mut chunk = [0u8; 4096];
            let n = tokio::time::timeout(Duration::from_secs(10), self.stream.read(&mut chunk))
                .await
                .expect("the server answers within 10 s")
                .unwrap_or(0);
            if n == 0 {
                return None;
            }
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }

    /// Sends bytes; a write the server refuses by closing is not an error.
    pub async fn send(&mut self, bytes: &[u8]) {
        let _ = self.stream.write_all(bytes).await;
        let _ = self.stream.flush().await;
    }

    pub async fn cmd(&mut self, line: &str) -> String {
        self.send(format!("{line}\r\n").as_bytes()).await;
        self.line().await.expect("a reply")
    }

    /// Reads lines until one starts with `prefix`.
    pub async fn until(&mut self, prefix: &str) -> String {
        loop {
            let line = self.line().await.expect("a reply");
            if line.starts_with(prefix) {
                return line;
            }
        }
    }

    /// Sends `total` octets without a line ending, in chunks, stopping when
    /// the server stops taking them; returns what the server said.
    pub async fn flood(&mut self, total: usize) -> Vec<String> {
        let chunk = vec![b'A'; 64 * 1024];
        let mut sent = 0;
        while sent < total {
            let write = tokio::time::timeout(
                Duration::from_secs(2),
                self.stream
                    .write_all(&chunk[..chunk.len().min(total - sent)]),
            )
            .await;
            match write {
                Ok(Ok(())) => sent += chunk.len(),
                // Closed, reset, or no longer read: the server stopped.
                _ => break,
            }
        }
        let mut lines = Vec::new();
        while let Some(l) = self.line().await {
            lines.push(l);
        }
        lines
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> Raw<S> {
    /// Sends one tagged command and returns every line up to and including
    /// its tagged reply (responses without literals only).
    pub async fn exchange(&mut self, line: &str) -> Vec<String> {
        let tag = line.split(' ').next().unwrap_or_default().to_string();
        self.send(format!("{line}\r\n").as_bytes()).await;
        let mut lines = Vec::new();
        loop {
            let l = self.line().await.expect("a reply");
            let done = l.starts_with(&format!("{tag} "));
            lines.push(l);
            if done {
                return lines;
            }
        }
    }
}
