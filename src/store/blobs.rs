//! The BlobStore: message bodies as files under `data_dir/blobs`, named by
//! their SHA-256 so identical content is stored once.
//!
//! A blob is written to a temporary file, fsynced, renamed into place and its
//! directory fsynced before anyone references it: once `put` returns, the
//! bytes survive a crash, and a database row never points at a missing file.

use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

#[derive(Debug, Clone)]
pub struct BlobStore {
    root: PathBuf,
}

/// A stored blob: its hash (the name) and size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobRef {
    pub hash: String,
    pub size: u64,
}

impl BlobStore {
    pub fn new(data_dir: &Path) -> std::io::Result<Self> {
        let root = data_dir.join("blobs");
        std::fs::create_dir_all(root.join("tmp"))?;
        Ok(Self { root })
    }

    fn path(&self, hash: &str) -> Option<PathBuf> {
        if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        Some(self.root.join(&hash[..2]).join(hash))
    }

    /// Stores `bytes` durably and returns its reference.
    pub async fn put(&self, bytes: Vec<u8>) -> std::io::Result<BlobRef> {
        let store = self.clone();
        tokio::task::spawn_blocking(move || store.put_blocking(&bytes))
            .await
            .map_err(std::io::Error::other)?
    }

    fn put_blocking(&self, bytes: &[u8]) -> std::io::Result<BlobRef> {
        self.write_blocking(bytes, true)
    }

    fn write_blocking(&self, bytes: &[u8], durable: bool) -> std::io::Result<BlobRef> {
        let hash = hex(&Sha256::digest(bytes));
        let size = bytes.len() as u64;
        let final_path = self
            .path(&hash)
            .ok_or_else(|| std::io::Error::other("bad hash"))?;
        // An existing file is trusted only when it was written durably; an
        // unsynced one may not have survived a crash, so it is written again.
        if durable && final_path.exists() {
            return Ok(BlobRef { hash, size });
        }
        let dir = final_path
            .parent()
            .ok_or_else(|| std::io::Error::other("blob path has no parent"))?;
        std::fs::create_dir_all(dir)?;
        let tmp = self
            .root
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

    /// Writes a blob without waiting for the disk: the caller must call
    /// [`BlobStore::sync`] before anything references it. This is how
    /// concurrent messages share one flush (group commit).
    pub async fn put_unsynced(&self, bytes: Vec<u8>) -> std::io::Result<BlobRef> {
        let store = self.clone();
        tokio::task::spawn_blocking(move || store.write_blocking(&bytes, false))
            .await
            .map_err(std::io::Error::other)?
    }

    /// Makes every blob written so far durable: one `syncfs` of the file
    /// system that holds them (data, inodes and directory entries alike).
    pub async fn sync(&self) -> std::io::Result<()> {
        let root = self.root.clone();
        tokio::task::spawn_blocking(move || {
            let dir = std::fs::File::open(&root)?;
            sync_filesystem(&dir)
        })
        .await
        .map_err(std::io::Error::other)?
    }

    /// Reads a whole blob.
    pub async fn get(&self, hash: &str) -> std::io::Result<Vec<u8>> {
        let path = self
            .path(hash)
            .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::NotFound, "no such blob"))?;
        tokio::fs::read(path).await
    }
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
        let blobs = super::BlobStore::new(dir.path()).unwrap();
        let a = blobs.put(b"hello".to_vec()).await.unwrap();
        let b = blobs.put(b"hello".to_vec()).await.unwrap();
        assert_eq!(a, b);
        assert_eq!(
            a.hash,
            "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
        );
        assert_eq!(blobs.get(&a.hash).await.unwrap(), b"hello");
        assert!(blobs.get("../../etc/passwd").await.is_err());
        let c = blobs.put_unsynced(b"grouped".to_vec()).await.unwrap();
        blobs.sync().await.unwrap();
        assert_eq!(blobs.get(&c.hash).await.unwrap(), b"grouped");
    }
}
