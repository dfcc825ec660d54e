//! DKIM keys (RFC 6376, RFC 8463): generating them, the TXT record to
//! publish, and signing outbound mail with mail-auth.

use base64::Engine;
use mail_auth::common::crypto::{DkimKey, Ed25519Key, RsaKey, Sha256};
use mail_auth::common::headers::HeaderWriter;
use mail_auth::dkim::{Canonicalization, DkimSigner};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs1KeyDer};

/// Signed headers. `From` is listed twice (over-signed) so that a second
/// From: added after signing breaks the signature; absent headers listed
/// here can't be added later either.
pub const SIGNED_HEADERS: [&str; 12] = [
    "From",
    "From",
    "Reply-To",
    "Subject",
    "Date",
    "To",
    "Cc",
    "Message-ID",
    "In-Reply-To",
    "References",
    "MIME-Version",
    "Content-Type",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    Ed25519,
    Rsa2048,
}

impl Algorithm {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ed25519 => "ed25519",
            Self::Rsa2048 => "rsa-2048",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "ed25519" => Some(Self::Ed25519),
            "rsa-2048" | "rsa" => Some(Self::Rsa2048),
            _ => None,
        }
    }
}

/// A new key: the private half as stored (base64 PKCS#8 DER for Ed25519,
/// PKCS#1 PEM for RSA) and the `p=` value of the DNS record.
pub struct GeneratedKey {
    pub private_key: String,
    pub public_key: String,
}

/// Generates a key; RSA takes a moment, so this runs on the blocking pool.
pub async fn generate(algorithm: Algorithm) -> anyhow::Result<GeneratedKey> {
    tokio::task::spawn_blocking(move || generate_blocking(algorithm)).await?
}

fn generate_blocking(algorithm: Algorithm) -> anyhow::Result<GeneratedKey> {
    let b64 = base64::engine::general_purpose::STANDARD;
    match algorithm {
        Algorithm::Ed25519 => {
            use ring::signature::{Ed25519KeyPair, KeyPair};
            let pkcs8 = Ed25519KeyPair::generate_pkcs8(&ring::rand::SystemRandom::new())
                .map_err(|_| anyhow::anyhow!("generating an Ed25519 key failed"))?;
            let pair = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref())
                .map_err(|_| anyhow::anyhow!("bad Ed25519 key"))?;
            Ok(GeneratedKey {
                private_key: b64.encode(pkcs8.as_ref()),
                public_key: b64.encode(pair.public_key().as_ref()),
            })
        }
        Algorithm::Rsa2048 => {
            use rsa::pkcs1::EncodeRsaPrivateKey;
            use rsa::pkcs8::{EncodePublicKey, LineEnding};
            let key = rsa::RsaPrivateKey::new(&mut rand::rngs::OsRng, 2048)?;
            let pem = key.to_pkcs1_pem(LineEnding::LF)?.to_string();
            // RFC 6376 3.6.1: p= is the SubjectPublicKeyInfo.
            let spki = key.to_public_key().to_public_key_der()?;
            Ok(GeneratedKey {
                private_key: pem,
                public_key: b64.encode(spki.as_bytes()),
            })
        }
    }
}

/// Where a key's TXT record is published.
pub fn dns_name(selector: &str, domain: &str) -> String {
    format!("{selector}._domainkey.{domain}")
}

/// The TXT record value to publish at `<selector>._domainkey.<domain>`.
pub fn dns_value(algorithm: Algorithm, public_key: &str) -> String {
    let k = match algorithm {
        Algorithm::Ed25519 => "ed25519",
        Algorithm::Rsa2048 => "rsa",
    };
    format!("v=DKIM1; k={k}; p={public_key}")
}

fn load(algorithm: Algorithm, private_key: &str) -> anyhow::Result<DkimKey> {
    Ok(match algorithm {
        Algorithm::Ed25519 => {
            let der = base64::engine::general_purpose::STANDARD.decode(private_key)?;
            DkimKey::from(
                Ed25519Key::from_pkcs8_der(&der)
                    .map_err(|e| anyhow::anyhow!("Ed25519 key: {e}"))?,
            )
        }
        Algorithm::Rsa2048 => {
            let der = PrivatePkcs1KeyDer::from_pem_slice(private_key.as_bytes())
                .map_err(|e| anyhow::anyhow!("RSA key: {e}"))?;
            DkimKey::from(
                RsaKey::<Sha256>::from_key_der(PrivateKeyDer::Pkcs1(der))
                    .map_err(|e| anyhow::anyhow!("RSA key: {e}"))?,
            )
        }
    })
}

/// The `DKIM-Signature:` header (with CRLF) for `message`.
pub fn sign(
    message: &[u8],
    domain: &str,
    selector: &str,
    algorithm: Algorithm,
    private_key: &str,
) -> anyhow::Result<String> {
    let key = load(algorithm, private_key)?;
    let signature = DkimSigner::from_key(key)
        .domain(domain)
        .selector(selector)
        .headers(SIGNED_HEADERS)
        .header_canonicalization(Canonicalization::Relaxed)
        .body_canonicalization(Canonicalization::Relaxed)
        .sign(message)
        .map_err(|e| anyhow::anyhow!("DKIM signing: {e}"))?;
    Ok(signature.to_header())
}
