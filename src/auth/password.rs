//! Password hashing with argon2id.
//!
//! Hashing is deliberately expensive (19 MiB and tens of milliseconds per
//! call), so it runs on the blocking pool behind a semaphore sized to the
//! machine's cores: a burst of logins queues instead of starving every
//! other task of CPU or memory. The queue is bounded in length and in wait;
//! past either, a login gets a temporary failure ([`Busy`]) instead of
//! piling up. (The memory itself is given back after each hash: see
//! [`tune_allocator`].)

use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use argon2::Argon2;
use argon2::password_hash::{
    PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng,
};
use tokio::sync::Semaphore;

/// Passwords longer than this are refused before hashing: argon2 cost grows
/// with input and nobody types a 1 KiB password.
pub const MAX_PASSWORD_LEN: usize = 1024;
pub const MIN_PASSWORD_LEN: usize = 8;

/// Logins waiting for a hashing slot beyond this are refused at once.
const MAX_WAITING: usize = 512;
/// How long a login waits for a hashing slot before it is refused.
const MAX_WAIT: Duration = Duration::from_secs(10);

/// Too many password checks are queued; try again later.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("too many password checks in progress; try again later")]
pub struct Busy;

/// Makes glibc return large freed blocks to the system. By default its
/// mmap threshold rises to the size of the largest block freed (up to 32
/// MiB), after which every argon2 buffer (19 MiB) and large message comes
/// from arenas that keep the memory: one per blocking thread, so RSS grew by
/// multiples of 19 MiB with each burst of logins and never came back. A
/// fixed threshold turns off that adjustment; blocks of 1 MiB and more are
/// mapped and unmapped, which costs page faults (a few milliseconds per
/// hash, against tens for the hash itself).
pub fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets allocator parameters; called before any
    // other thread exists.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
    }
}

/// A hashing slot: at most one per core, waited for within the bounds.
async fn slot() -> Result<tokio::sync::SemaphorePermit<'static>, Busy> {
    static WAITING: AtomicUsize = AtomicUsize::new(0);
    if let Ok(permit) = permits().try_acquire() {
        return Ok(permit);
    }
    if WAITING.fetch_add(1, Ordering::AcqRel) >= MAX_WAITING {
        WAITING.fetch_sub(1, Ordering::AcqRel);
        return Err(Busy);
    }
    let waited = tokio::time::timeout(MAX_WAIT, permits().acquire()).await;
    WAITING.fetch_sub(1, Ordering::AcqRel);
    match waited {
        Ok(Ok(permit)) => Ok(permit),
        _ => Err(Busy),
    }
}

fn permits() -> &'static Semaphore {
    static PERMITS: OnceLock<Semaphore> = OnceLock::new();
    PERMITS.get_or_init(|| {
        let cores = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2);
        Semaphore::new(cores)
    })
}

/// Checks a new password against the policy; the error is for the user.
pub fn check_policy(password: &str) -> Result<(), String> {
    if password.chars().count() < MIN_PASSWORD_LEN {
        return Err(format!(
            "password must be at least {MIN_PASSWORD_LEN} characters"
        ));
    }
    if password.chars().count() > MAX_PASSWORD_LEN {
        return Err(format!(
            "password must be at most {MAX_PASSWORD_LEN} characters"
        ));
    }
    if password.chars().any(char::is_control) {
        return Err("password must not contain control characters".into());
    }
    Ok(())
}

/// Hashes a password into a PHC string.
pub async fn hash(password: String) -> anyhow::Result<String> {
    let _permit = slot().await?;
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| anyhow::anyhow!("hashing password: {e}"))
    })
    .await?
}

/// Whether `password` matches the stored PHC string. A malformed stored
/// hash never matches.
pub async fn verify(password: String, stored: String) -> Result<bool, Busy> {
    if password.len() > MAX_PASSWORD_LEN {
        return Ok(false);
    }
    let _permit = slot().await?;
    Ok(tokio::task::spawn_blocking(move || {
        PasswordHash::new(&stored)
            .map(|parsed| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            })
            .unwrap_or(false)
    })
    .await
    .unwrap_or(false))
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn hash_then_verify() {
        let h = super::hash("correct horse".into()).await.unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert_eq!(
            super::verify("correct horse".into(), h.clone()).await,
            Ok(true)
        );
        assert_eq!(super::verify("wrong horse".into(), h).await, Ok(false));
        assert_eq!(
            super::verify("x".into(), "not a hash".into()).await,
            Ok(false)
        );
    }
}
