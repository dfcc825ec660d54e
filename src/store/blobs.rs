//! The BlobStore: message bodies, named by their SHA-256.
//!
//! Two places can hold them (`blob_storage` in the config):
//! - `database` (default): a `blobs` table, written in the same transaction
//!   as the rows that point at them. A group of messages then costs one
//!   commit and one fsync, and a cluster shares nothing but its database.
//! - `files`: files under `data_dir/blobs`. [`BlobStore::put`] writes,
//!   fsyncs and renames into place before returning; [`BlobStore::stage`]
//!   skips the flush so that the group committer can flush a whole batch
//!   with one `syncfs` before committing the rows.
//!
//! Either way no row ever points at bytes that are not on stable storage.

use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::{Store, now_ms};

#[derive(Clone)]
pub struct BlobStore {
    backend: Backend,
}

#[derive(Clone)]
enum Backend {
    Files { root: PathBuf },
    Database(Store),
}

/// A stored blob: its hash (the name) and size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobRef {
    pub hash: String,
    pub size: u64,
}

/// A blob on its way into a group commit.
#[derive(Debug, Clone)]
pub struct StagedBlob {
    pub blob: BlobRef,
    /// The bytes, when they are written with the commit (database storage);
    /// `None` when they are already in place (files, flushed by the batch).
    pub bytes: Option<Vec<u8>>,
}

impl StagedBlob {
    /// A blob already stored durably.
    pub fn stored(blob: BlobRef) -> Self {
        Self { blob, bytes: None }
    }
}

fn not_found() -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::NotFound, "no such blob")
}

pub fn hash_of(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

impl BlobStore {
    /// Files under `data_dir/blobs`.
    pub fn files(data_dir: &Path) -> std::io::Result<Self> {
        let root = data_dir.join("blobs");
        std::fs::create_dir_all(root.join("tmp"))?;
        Ok(Self {
            backend: Backend::Files { root },
        })
    }

    /// The `blobs` table of `store`.
    pub fn database(store: Store) -> Self {
        Self {
            backend: Backend::Database(store),
        }
    }

    /// The storage the configuration names.
    pub fn for_config(config: &crate::config::Config, store: Store) -> std::io::Result<Self> {
        match config.blob_storage {
            crate::config::BlobStorage::Database => Ok(Self::database(store)),
            crate::config::BlobStorage::Files => Self::files(&config.data_dir),
        }
    }

    /// Stores `bytes` durably and returns its reference.
    pub async fn put(&self, bytes: Vec<u8>) -> std::io::Result<BlobRef> {
        match &self.backend {
            Backend::Files { root } => {
                let root = root.clone();
                tokio::task::spawn_blocking(move || write_file(&root, &bytes, true))
                    .await
                    .map_err(std::io::Error::other)?
            }
            Backend::Database(store) => {
                let blob = BlobRef {
                    hash: hash_of(&bytes),
                    size: bytes.len() as u64,
                };
                let mut tx = store.begin().await.map_err(std::io::Error::other)?;
                insert(&mut tx, &blob, &bytes)
                    .await
                    .map_err(std::io::Error::other)?;
                tx.commit().await.map_err(std::io::Error::other)?;
                Ok(blob)
            }
        }
    }

    /// Prepares a blob for a group commit without waiting for the disk. The
    /// committer makes it durable together with its batch.
    pub async fn stage(&self, bytes: Vec<u8>) -> std::io::Result<StagedBlob> {
        match &self.backend {
            Backend::Files { root } => {
                let root = root.clone();
                let blob = tokio::task::spawn_blocking(move || write_file(&root, &bytes, false))
                    .await
                    .map_err(std::io::Error::other)??;
                Ok(StagedBlob { blob, bytes: None })
            }
            Backend::Database(_) => {
                let blob = BlobRef {
                    hash: hash_of(&bytes),
                    size: bytes.len() as u64,
                };
                Ok(StagedBlob {
                    blob,
                    bytes: Some(bytes),
                })
            }
        }
    }

    /// Prepares a blob for the caller's own transaction: a file is written
    /// and flushed now; database bytes come back to be inserted with the
    /// rows that reference them (one commit for both).
    pub async fn prepare(&self, bytes: Vec<u8>) -> std::io::Result<StagedBlob> {
        match &self.backend {
            Backend::Files { .. } => Ok(StagedBlob {
                blob: self.put(bytes).await?,
                bytes: None,
            }),
            Backend::Database(_) => self.stage(bytes).await,
        }
    }

    /// Makes every staged file durable: one `syncfs` of the file system that
    /// holds them (data, inodes and directory entries alike). Nothing to do
    /// for database storage, whose commit is the flush.
    pub async fn sync(&self) -> std::io::Result<()> {
        let Backend::Files { root } = &self.backend else {
            return Ok(());
        };
        let root = root.clone();
        tokio::task::spawn_blocking(move || {
            let dir = std::fs::File::open(&root)?;
            sync_filesystem(&dir)
        })
        .await
        .map_err(std::io::Error::other)?
    }

    /// Reads a whole blob.
    pub async fn get(&self, hash: &str) -> std::io::Result<Vec<u8>> {
        match &self.backend {
            Backend::Files { root } => {
                let path = file_path(root, hash).ok_or_else(not_found)?;
                tokio::fs::read(path).await
            }
            Backend::Database(store) => {
                let data: Option<Vec<u8>> =
                    sqlx::query_scalar("SELECT data FROM blobs WHERE hash = $1")
                        .bind(hash)
                        .fetch_optional(store.reader())
                        .await
                        .map_err(std::io::Error::other)?;
                data.ok_or_else(not_found)
            }
        }
    }
}

/// Inserts a blob row inside the caller's transaction (identical content is
/// stored once).
pub async fn insert(
    tx: &mut sqlx::AnyConnection,
    blob: &BlobRef,
    bytes: &[u8],
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO blobs (hash, size, data, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (hash) DO NOTHING")
        .bind(blob.hash.clone())
        .bind(blob.size as i64)
        .bind(bytes.to_vec())
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
    Ok(())
}

fn file_path(root: &Path, hash: &str) -> Option<PathBuf> {
    if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    Some(root.join(&hash[..2]).join(hash))
}

fn write_file(root: &Path, bytes: &[u8], durable: bool) -> std::io::Result<BlobRef> {
    let hash = hash_of(bytes);
    let size = bytes.len() as u64;
    let final_path = file_path(root, &hash).ok_or_else(|| std::io::Error::other("bad hash"))?;
    // An existing file is trusted only when it was written durably; an
    // unsynced one may not have survived a crash, so it is written again.
    if durable && final_path.exists() {
        return Ok(BlobRef { hash, size });
    }
    let dir = final_path
        .parent()
        .ok_or_else(|| std::io::Error::other("blob path has no parent"))?;
    std::fs::create_dir_all(dir)?;
    let tmp = root
        .join("tmp")
        .join(format!("{hash}.{}", rand::random::<u64>()));
    let mut file = std::fs::File::create(&tmp)?;
    file.write_all(bytes)?;
    if durable {
        file.sync_all()?;
    }
    drop(file);
    std::fs::rename(&tmp, &final_path)?;
    if durable {
        // The rename is durable only once the directory entry is.
        std::fs::File::open(dir)?.sync_all()?;
    }
    Ok(BlobRef { hash, size })
}

#[cfg(target_os = "linux")]
fn sync_filesystem(dir: &std::fs::File) -> std::io::Result<()> {
    use std::os::fd::AsRawFd;
    // SAFETY: syncfs only reads the descriptor, which `dir` keeps open.
    if unsafe { libc::syncfs(dir.as_raw_fd()) } == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

#[cfg(not(target_os = "linux"))]
fn sync_filesystem(_dir: &std::fs::File) -> std::io::Result<()> {
    // Without syncfs, flush everything (slower, equally safe).
    // SAFETY: sync has no preconditions.
    unsafe { libc::sync() };
    Ok(())
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 15) as usize] as char);
    }
    s
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn put_get_dedup() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = super::BlobStore::files(dir.path()).unwrap();
        let a = blobs.put(b"hello".to_vec()).await.unwrap();
        let b = blobs.put(b"hello".to_vec()).await.unwrap();
        assert_eq!(a, b);
        assert_eq!(
            a.hash,
            "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
        );
        assert_eq!(blobs.get(&a.hash).await.unwrap(), b"hello");
        assert!(blobs.get("../../etc/passwd").await.is_err());
        let c = blobs.stage(b"grouped".to_vec()).await.unwrap();
        assert!(c.bytes.is_none(), "files are written when staged");
        blobs.sync().await.unwrap();
        assert_eq!(blobs.get(&c.blob.hash).await.unwrap(), b"grouped");
    }
}
