//! Content-addressed file storage (SHA-256). Uploads are streamed into a staging file while
//! being hashed and are renamed into place atomically, so a reader never sees half a file and
//! an aborted upload leaves nothing behind.

use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::time::SystemTime;

use async_trait::async_trait;
use sha2::{Digest, Sha256};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncSeekExt, AsyncWriteExt};

#[derive(Debug, Clone, Copy)]
pub struct BlobMeta {
    pub size: u64,
    pub modified: SystemTime,
}

pub type BlobReader = Pin<Box<dyn AsyncRead + Send>>;

#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    #[error("upload exceeds the limit of {limit} bytes")]
    TooLarge { limit: u64 },
    #[error("storage: {0}")]
    Io(#[from] std::io::Error),
}

/// Where file contents live: a local directory now, object storage later.
#[async_trait]
pub trait BlobStore: Send + Sync + 'static {
    /// Starts a staged upload that accepts at most `limit` bytes.
    async fn stage(&self, limit: u64) -> std::io::Result<StagedBlob>;
    /// Moves a finished staged upload into place. Returns whether the content was new.
    async fn commit(&self, staged: StagedBlob) -> std::io::Result<(String, u64, bool)>;
    /// Stores a finished file of the scratch directory (an ingestion's output) as it is:
    /// moved, not copied, where the store is on the same disk. The file is gone afterwards.
    async fn adopt(&self, path: &Path) -> std::io::Result<(String, u64, bool)>;
    async fn stat(&self, sha256: &str) -> std::io::Result<Option<BlobMeta>>;
    /// Reads `len` bytes starting at `offset`.
    async fn read_range(&self, sha256: &str, offset: u64, len: u64) -> std::io::Result<BlobReader>;
    async fn delete(&self, sha256: &str) -> std::io::Result<()>;
    /// Copies every blob into `dest` (for backups); returns how many were copied.
    async fn copy_all_to(&self, dest: &Path) -> std::io::Result<u64>;
    /// A path the query engine can read directly, for stores on the local disk.
    fn local_path(&self, sha256: &str) -> Option<PathBuf>;
    /// Where temporary work files (ingestion output) go, on the same disk as the store.
    fn scratch_dir(&self) -> PathBuf;
}

/// An upload in progress: a temporary file that is removed on drop unless committed.
pub struct StagedBlob {
    path: tempfile::TempPath,
    file: tokio::fs::File,
    hasher: Sha256,
    size: u64,
    limit: u64,
}

impl StagedBlob {
    pub async fn write(&mut self, chunk: &[u8]) -> Result<(), UploadError> {
        let size = self.size + chunk.len() as u64;
        if size > self.limit {
            return Err(UploadError::TooLarge { limit: self.limit });
        }
        self.file.write_all(chunk).await?;
        self.hasher.update(chunk);
        self.size = size;
        Ok(())
    }

    /// Streams everything from a reader (used by the CLI and demo seeding).
    pub async fn write_from(
        &mut self,
        mut reader: impl AsyncRead + Unpin,
    ) -> Result<(), UploadError> {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = reader.read(&mut buf).await?;
            if n == 0 {
                return Ok(());
            }
            self.write(&buf[..n]).await?;
        }
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    /// Where the staged bytes are, for detection that needs more than the head (a ZIP's
    /// central directory).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The first bytes written so far, for content sniffing. Flushes first: a tokio file
    /// hands its last write to a background thread, so another handle (this one, or a reader
    /// of [`StagedBlob::path`]) could otherwise see the file short or empty.
    pub async fn head(&mut self, n: usize) -> std::io::Result<Vec<u8>> {
        self.file.flush().await?;
        let mut f = tokio::fs::File::open(&*self.path).await?;
        let mut buf = Vec::with_capacity(n);
        (&mut f).take(n as u64).read_to_end(&mut buf).await?;
        Ok(buf)
    }
}

pub struct LocalStore {
    root: PathBuf,
    tmp: PathBuf,
}

impl LocalStore {
    pub fn open(data_dir: &Path) -> std::io::Result<Self> {
        let root = data_dir.join("files");
        let tmp = data_dir.join("tmp");
        std::fs::create_dir_all(&root)?;
        std::fs::create_dir_all(&tmp)?;
        // Staging files of a crashed process are garbage by definition.
        for entry in std::fs::read_dir(&tmp)? {
            let _ = std::fs::remove_file(entry?.path());
        }
        Ok(Self { root, tmp })
    }

    fn path_of(&self, sha256: &str) -> std::io::Result<PathBuf> {
        blob_path(&self.root, sha256)
    }
}

/// Where a blob lives under the store's root: `ab/cd/abcd…`.
fn blob_path(root: &Path, sha256: &str) -> std::io::Result<PathBuf> {
    if sha256.len() != 64
        || !sha256
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "not a sha256 hex digest",
        ));
    }
    Ok(root.join(&sha256[..2]).join(&sha256[2..4]).join(sha256))
}

/// Hashes what is written to it (to hash a file with `std::io::copy`'s buffer).
struct HashWriter<'a>(&'a mut Sha256);

impl std::io::Write for HashWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[async_trait]
impl BlobStore for LocalStore {
    fn local_path(&self, sha256: &str) -> Option<PathBuf> {
        self.path_of(sha256).ok()
    }

    fn scratch_dir(&self) -> PathBuf {
        self.tmp.clone()
    }

    async fn stage(&self, limit: u64) -> std::io::Result<StagedBlob> {
        let tmp = self.tmp.clone();
        let named = tokio::task::spawn_blocking(move || tempfile::NamedTempFile::new_in(tmp))
            .await
            .map_err(std::io::Error::other)??;
        let (std_file, path) = named.into_parts();
        Ok(StagedBlob {
            path,
            file: tokio::fs::File::from_std(std_file),
            hasher: Sha256::new(),
            size: 0,
            limit,
        })
    }

    async fn commit(&self, staged: StagedBlob) -> std::io::Result<(String, u64, bool)> {
        let StagedBlob {
            path,
            mut file,
            hasher,
            size,
            ..
        } = staged;
        file.flush().await?;
        file.sync_all().await?;
        drop(file);
        let sha = hex::encode(hasher.finalize());
        let dest = self.path_of(&sha)?;
        if tokio::fs::try_exists(&dest).await? {
            // Same content already stored: the staging file goes. Off the async threads,
            // since removing the last name of a large file frees all of it in the kernel
            // (≈ 20 ms for 80 MB), which would stall every request on that thread meanwhile.
            tokio::task::spawn_blocking(move || drop(path))
                .await
                .map_err(std::io::Error::other)?;
            return Ok((sha, size, false));
        }
        if let Some(parent) = dest.parent() {
            tokio::fs::create_dir_all(parent).await?;
        }
        tokio::task::spawn_blocking(move || path.persist(&dest).map_err(|e| e.error))
            .await
            .map_err(std::io::Error::other)??;
        Ok((sha, size, true))
    }

    async fn adopt(&self, path: &Path) -> std::io::Result<(String, u64, bool)> {
        let root = self.root.clone();
        let path = path.to_path_buf();
        tokio::task::spawn_blocking(move || {
            let mut file = std::fs::File::open(&path)?;
            let mut hasher = Sha256::new();
            let size = std::io::copy(&mut file, &mut HashWriter(&mut hasher))?;
            // Durable before it is named: a crash must not leave a short blob under a digest.
            file.sync_all()?;
            drop(file);
            let sha = hex::encode(hasher.finalize());
            let dest = blob_path(&root, &sha)?;
            if dest.exists() {
                std::fs::remove_file(&path)?;
                return Ok((sha, size, false));
            }
            if let Some(parent) = dest.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::rename(&path, &dest)?;
            Ok((sha, size, true))
        })
        .await
        .map_err(std::io::Error::other)?
    }

    async fn stat(&self, sha256: &str) -> std::io::Result<Option<BlobMeta>> {
        match tokio::fs::metadata(self.path_of(sha256)?).await {
            Ok(m) => Ok(Some(BlobMeta {
                size: m.len(),
                modified: m.modified()?,
            })),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn read_range(&self, sha256: &str, offset: u64, len: u64) -> std::io::Result<BlobReader> {
        let mut f = tokio::fs::File::open(self.path_of(sha256)?).await?;
        if offset > 0 {
            f.seek(std::io::SeekFrom::Start(offset)).await?;
        }
        Ok(Box::pin(f.take(len)))
    }

    async fn delete(&self, sha256: &str) -> std::io::Result<()> {
        match tokio::fs::remove_file(self.path_of(sha256)?).await {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }

    async fn copy_all_to(&self, dest: &Path) -> std::io::Result<u64> {
        let root = self.root.clone();
        let dest = dest.to_path_buf();
        tokio::task::spawn_blocking(move || copy_tree(&root, &dest))
            .await
            .map_err(std::io::Error::other)?
    }
}

fn copy_tree(from: &Path, to: &Path) -> std::io::Result<u64> {
    std::fs::create_dir_all(to)?;
    let mut n = 0;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            n += copy_tree(&entry.path(), &target)?;
        } else if !target.exists() {
            // Blobs are immutable, so an existing copy is already right; a hard link would be
            // cheaper but fails across file systems.
            std::fs::copy(entry.path(), &target)?;
            n += 1;
        }
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn staged_upload_roundtrip_and_abort() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalStore::open(dir.path()).unwrap();
        let mut s = store.stage(10).await.unwrap();
        s.write(b"hallo").await.unwrap();
        let (sha, size, new) = store.commit(s).await.unwrap();
        assert_eq!(size, 5);
        assert!(new);
        assert_eq!(
            sha,
            "d3751d33f9cd5049c4af2b462735457e4d3baf130bcbb87f389e349fbaeb20b9"
        );
        let mut out = String::new();
        store
            .read_range(&sha, 1, 3)
            .await
            .unwrap()
            .read_to_string(&mut out)
            .await
            .unwrap();
        assert_eq!(out, "all");

        let mut s = store.stage(4).await.unwrap();
        assert!(matches!(
            s.write(b"zu lang").await,
            Err(UploadError::TooLarge { .. })
        ));
        drop(s);
        assert_eq!(
            std::fs::read_dir(dir.path().join("tmp")).unwrap().count(),
            0
        );
        assert!(store.stat("../../etc/passwd").await.is_err());
    }

    #[tokio::test]
    async fn a_duplicate_upload_leaves_no_staging_file() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalStore::open(dir.path()).unwrap();
        for expect_new in [true, false] {
            let mut s = store.stage(100).await.unwrap();
            s.write(b"Parkhaus;Belegt\n").await.unwrap();
            let (_, size, new) = store.commit(s).await.unwrap();
            assert_eq!((size, new), (16, expect_new));
            assert_eq!(
                std::fs::read_dir(dir.path().join("tmp")).unwrap().count(),
                0
            );
        }
    }
}
