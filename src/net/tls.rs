//! TLS material: the configured certificate, or a self-signed one for
//! `hostname` kept in `data_dir` (renewed when the hostname changes or it
//! nears expiry), and one rustls configuration per protocol.
//!
//! Each protocol's configuration accepts only that protocol's ALPN
//! identifiers, so a client that offers ALPN and none of ours gets the
//! `no_application_protocol` alert (RFC 7301 3.2) instead of, say, an IMAP
//! server answering a browser's HTTP request (the ALPACA attack). A client
//! that offers no ALPN at all is served, as mail clients mostly do not.
//! Likewise an SNI name the certificate is not valid for is refused.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use rustls::ServerConfig;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;

use crate::config::Config;

/// How long a generated self-signed certificate is valid.
const SELF_SIGNED_DAYS: i64 = 365;
/// A generated certificate with less than this left is replaced at start.
const RENEW_BEFORE_DAYS: i64 = 30;

/// The protocols served over TLS, each with its ALPN identifiers (IANA
/// "TLS Application-Layer Protocol Negotiation (ALPN) Protocol IDs").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    Https,
    Imap,
    Pop3,
    Smtp,
}

impl Protocol {
    pub fn alpn(self) -> &'static [&'static [u8]] {
        match self {
            // Only HTTP/1.1 is served (no h2).
            Protocol::Https => &[b"http/1.1"],
            Protocol::Imap => &[b"imap"],
            Protocol::Pop3 => &[b"pop3"],
            Protocol::Smtp => &[b"smtp"],
        }
    }
}

/// One server configuration per protocol, sharing one certificate.
#[derive(Clone)]
pub struct TlsConfigs {
    https: Arc<ServerConfig>,
    imap: Arc<ServerConfig>,
    pop3: Arc<ServerConfig>,
    smtp: Arc<ServerConfig>,
}

impl TlsConfigs {
    pub fn get(&self, protocol: Protocol) -> Arc<ServerConfig> {
        match protocol {
            Protocol::Https => self.https.clone(),
            Protocol::Imap => self.imap.clone(),
            Protocol::Pop3 => self.pop3.clone(),
            Protocol::Smtp => self.smtp.clone(),
        }
    }
}

/// Where the generated certificate and key live.
fn generated_paths(data_dir: &Path) -> (PathBuf, PathBuf) {
    let dir = data_dir.join("tls");
    (
        dir.join("self-signed-cert.pem"),
        dir.join("self-signed-key.pem"),
    )
}

/// Builds the rustls server configurations of every TLS listener.
pub fn server_configs(config: &Config) -> anyhow::Result<TlsConfigs> {
    let (cert_path, key_path) = match (&config.tls.cert, &config.tls.key) {
        (Some(c), Some(k)) => (c.clone(), k.clone()),
        _ => ensure_self_signed(&config.data_dir, &config.hostname)?,
    };
    let certs = read_certs(&cert_path)?;
    let key = read_key(&key_path)?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let signing_key = provider
        .key_provider
        .load_private_key(key)
        .with_context(|| format!("tls.key: {} is not a usable key", key_path.display()))?;
    let certified = CertifiedKey::new(certs, signing_key);
    certified.keys_match().with_context(|| {
        format!(
            "tls: {} does not match {}",
            cert_path.display(),
            key_path.display()
        )
    })?;
    let names = CertificateInfo::parse(&certified.cert[0])
        .with_context(|| format!("tls.cert: cannot read {}", cert_path.display()))?
        .dns_names;
    let resolver = Arc::new(OurNames {
        key: Arc::new(certified),
        names,
    });
    let mut base = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .context("TLS protocol versions")?
        .with_no_client_auth()
        .with_cert_resolver(resolver);
    // The provider lists its suites strongest first; use that order rather
    // than whatever the client prefers.
    base.ignore_client_order = true;
    let with_alpn = |protocol: Protocol| {
        let mut c = base.clone();
        c.alpn_protocols = protocol.alpn().iter().map(|p| p.to_vec()).collect();
        Arc::new(c)
    };
    Ok(TlsConfigs {
        https: with_alpn(Protocol::Https),
        imap: with_alpn(Protocol::Imap),
        pop3: with_alpn(Protocol::Pop3),
        smtp: with_alpn(Protocol::Smtp),
    })
}

/// Serves the one certificate, but only to clients that ask for no name or
/// for a name it is valid for: an SNI of someone else's host is refused.
#[derive(Debug)]
struct OurNames {
    key: Arc<CertifiedKey>,
    /// DNS names of the certificate; empty means it names no host, and then
    /// every SNI is served.
    names: Vec<String>,
}

impl ResolvesServerCert for OurNames {
    fn resolve(&self, hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        match hello.server_name() {
            Some(sni) if !self.names.is_empty() => {
                if self.names.iter().any(|n| name_matches(n, sni)) {
                    Some(self.key.clone())
                } else {
                    tracing::debug!(sni, "TLS handshake for a name we do not serve refused");
                    None
                }
            }
            _ => Some(self.key.clone()),
        }
    }
}

/// RFC 6125 6.4: exact match, or a `*.` wildcard standing for exactly one
/// left-most label. Case-insensitive; a trailing dot is ignored.
fn name_matches(pattern: &str, name: &str) -> bool {
    let name = name.trim_end_matches('.');
    let pattern = pattern.trim_end_matches('.');
    if let Some(suffix) = pattern.strip_prefix("*.") {
        return match name.split_once('.') {
            Some((first, rest)) => !first.is_empty() && rest.eq_ignore_ascii_case(suffix),
            None => false,
        };
    }
    pattern.eq_ignore_ascii_case(name)
}

/// What a certificate says about itself that the server needs.
#[derive(Debug)]
pub struct CertificateInfo {
    /// DNS names of the subjectAltName extension.
    pub dns_names: Vec<String>,
    /// The subject's common name, if any.
    pub common_name: Option<String>,
    /// End of validity, in seconds since the Unix epoch.
    pub not_after: i64,
}

impl CertificateInfo {
    pub fn parse(der: &CertificateDer<'_>) -> anyhow::Result<Self> {
        use x509_cert::der::Decode;
        use x509_cert::ext::pkix::SubjectAltName;
        use x509_cert::ext::pkix::name::GeneralName;
        let cert = x509_cert::Certificate::from_der(der.as_ref())
            .map_err(|e| anyhow::anyhow!("not an X.509 certificate: {e}"))?;
        let tbs = &cert.tbs_certificate;
        let not_after = tbs.validity.not_after.to_unix_duration().as_secs() as i64;
        let mut dns_names = Vec::new();
        for ext in tbs.extensions.iter().flatten() {
            if ext.extn_id != x509_cert::der::oid::db::rfc5280::ID_CE_SUBJECT_ALT_NAME {
                continue;
            }
            let san = SubjectAltName::from_der(ext.extn_value.as_bytes())
                .map_err(|e| anyhow::anyhow!("bad subjectAltName: {e}"))?;
            for name in san.0 {
                if let GeneralName::DnsName(n) = name {
                    dns_names.push(n.to_string());
                }
            }
        }
        let common_name = tbs
            .subject
            .0
            .iter()
            .flat_map(|rdn| rdn.0.iter())
            .find_map(|atv| {
                (atv.oid == x509_cert::der::oid::db::rfc4519::CN)
                    .then(|| common_name_text(&atv.value))
                    .flatten()
            });
        Ok(Self {
            dns_names,
            common_name,
            not_after,
        })
    }
}

fn common_name_text(value: &x509_cert::der::Any) -> Option<String> {
    use x509_cert::der::asn1::{PrintableStringRef, Utf8StringRef};
    if let Ok(s) = value.decode_as::<Utf8StringRef<'_>>() {
        return Some(s.as_str().to_string());
    }
    value
        .decode_as::<PrintableStringRef<'_>>()
        .ok()
        .map(|s| s.as_str().to_string())
}

/// Returns the generated certificate's paths, creating it when there is
/// none, when it names another host, or when it has less than
/// [`RENEW_BEFORE_DAYS`] left.
fn ensure_self_signed(data_dir: &Path, hostname: &str) -> anyhow::Result<(PathBuf, PathBuf)> {
    let (cert_path, key_path) = generated_paths(data_dir);
    if cert_path.exists() && key_path.exists() {
        match self_signed_is_current(&cert_path, hostname) {
            Ok(true) => return Ok((cert_path, key_path)),
            Ok(false) => {}
            Err(e) => tracing::warn!(error = %e, "replacing an unreadable self-signed certificate"),
        }
    }
    let dir = cert_path.parent().unwrap_or(data_dir);
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let (cert_pem, key_pem) = generate_self_signed(hostname)?;
    write_private(&key_path, key_pem.as_bytes())?;
    std::fs::write(&cert_path, cert_pem)
        .with_context(|| format!("writing {}", cert_path.display()))?;
    tracing::info!(
        cert = %cert_path.display(),
        %hostname,
        "generated a self-signed TLS certificate (for testing only: clients will not trust it)"
    );
    Ok((cert_path, key_path))
}

fn self_signed_is_current(cert_path: &Path, hostname: &str) -> anyhow::Result<bool> {
    let certs = read_certs(cert_path)?;
    let info = CertificateInfo::parse(&certs[0])?;
    let renew_at = info.not_after - RENEW_BEFORE_DAYS * 86_400;
    let names_us = info.dns_names.len() == 1 && name_matches(&info.dns_names[0], hostname);
    if !names_us {
        tracing::info!(%hostname, names = ?info.dns_names, "self-signed certificate names another host");
    }
    Ok(names_us && crate::store::now_ms() / 1000 < renew_at)
}

/// A certificate whose subject and only name are `hostname`, valid from a
/// day ago (clocks drift) for [`SELF_SIGNED_DAYS`].
pub fn generate_self_signed(hostname: &str) -> anyhow::Result<(String, String)> {
    let mut params = rcgen::CertificateParams::new(vec![hostname.to_string()])
        .context("self-signed certificate parameters")?;
    let mut dn = rcgen::DistinguishedName::new();
    dn.push(rcgen::DnType::CommonName, hostname);
    params.distinguished_name = dn;
    let now = time::OffsetDateTime::now_utc();
    params.not_before = now - time::Duration::days(1);
    params.not_after = now + time::Duration::days(SELF_SIGNED_DAYS);
    params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
    let key = rcgen::KeyPair::generate().context("generating a key")?;
    let cert = params
        .self_signed(&key)
        .context("signing the self-signed certificate")?;
    Ok((cert.pem(), key.serialize_pem()))
}

/// Writes a file only its owner can read: it holds a private key.
fn write_private(path: &Path, contents: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .with_context(|| format!("writing {}", path.display()))?;
    file.write_all(contents)?;
    file.sync_all()?;
    Ok(())
}

fn read_certs(path: &Path) -> anyhow::Result<Vec<CertificateDer<'static>>> {
    let pem =
        std::fs::read(path).with_context(|| format!("tls.cert: cannot read {}", path.display()))?;
    let certs = rustls_pemfile::certs(&mut pem.as_slice())
        .collect::<Result<Vec<_>, _>>()
        .with_context(|| format!("tls.cert: {} is not PEM", path.display()))?;
    anyhow::ensure!(
        !certs.is_empty(),
        "tls.cert: {} holds no certificate",
        path.display()
    );
    Ok(certs)
}

fn read_key(path: &Path) -> anyhow::Result<PrivateKeyDer<'static>> {
    let pem =
        std::fs::read(path).with_context(|| format!("tls.key: cannot read {}", path.display()))?;
    rustls_pemfile::private_key(&mut pem.as_slice())
        .with_context(|| format!("tls.key: {} is not PEM", path.display()))?
        .with_context(|| format!("tls.key: {} holds no private key", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_exactly_or_by_one_wildcard_label() {
        assert!(name_matches("mx.example.com", "MX.example.com."));
        assert!(name_matches("*.example.com", "mx.example.com"));
        assert!(!name_matches("*.example.com", "a.mx.example.com"));
        assert!(!name_matches("*.example.com", "example.com"));
        assert!(!name_matches("mx.example.com", "mx.example.org"));
    }

    #[test]
    fn generated_certificate_names_the_host_for_a_year() {
        let (pem, _) = generate_self_signed("mail.example.com").unwrap();
        let der = rustls_pemfile::certs(&mut pem.as_bytes())
            .next()
            .unwrap()
            .unwrap();
        let info = CertificateInfo::parse(&der).unwrap();
        assert_eq!(info.dns_names, vec!["mail.example.com".to_string()]);
        assert_eq!(info.common_name.as_deref(), Some("mail.example.com"));
        let days = (info.not_after - crate::store::now_ms() / 1000) / 86_400;
        assert!((364..=365).contains(&days), "{days}");
    }
}
