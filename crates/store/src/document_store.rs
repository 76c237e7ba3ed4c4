//! The document store: document bytes behind [`object_store`] (a local folder by default,
//! S3-compatible storage with the `s3` feature), always encrypted at rest (see [`crate::crypto`]).
//!
//! The database row of a document keeps the [`StoredDocument`] (`storage_key`, `wrapped_key`);
//! the object holds only ciphertext. Losing the master key loses every document.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, PutPayload};

use crate::crypto::MasterKey;
use crate::error::StoreError;

/// Where the encrypted objects go.
#[derive(Debug, Clone)]
pub enum DocumentStoreBackend {
    /// A folder on the local file system (created if missing). The development default.
    Local {
        /// The folder, e.g. `.data/documents`.
        root: PathBuf,
        /// How a new object reaches the disk before [`DocumentStore::put`] returns
        /// (`SIGNSTASH_DOCUMENT_SYNC`).
        sync: DocumentSync,
    },
    /// In memory (tests).
    Memory,
    /// S3-compatible storage (AWS S3, MinIO, Ceph …).
    #[cfg(feature = "s3")]
    S3(S3Config),
}

/// How the local backend makes a new object durable before [`DocumentStore::put`] returns, so
/// that a document the database records as stored survives a power cut.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocumentSync {
    /// `SIGNSTASH_DOCUMENT_SYNC=false`: left to the kernel's writeback (a power cut may lose
    /// documents recorded as stored). For development, with PostgreSQL's `fsync` off too.
    Off,
    /// `true`, the default: each object's data (`fdatasync`) and the folder entry naming it
    /// (`fsync` of its folder and, the first time, of the folders above it). Right on any file
    /// system; each document pays a flush of the device.
    EachDocument,
    /// `filesystem`: one `syncfs` of the folder's file system for all the objects written
    /// while the previous one ran, as PostgreSQL's group commit does for its log. Cheaper per
    /// document under load, but `syncfs` writes whatever else is pending on that file system,
    /// so it is meant for a document folder on a file system of its own. Linux 5.17 or later
    /// only (before, `syncfs` did not report every error), and not on overlayfs: elsewhere the
    /// store refuses to open.
    FileSystem,
}

impl DocumentSync {
    /// `SIGNSTASH_DOCUMENT_SYNC`: `true` (default), `false` or `filesystem`.
    pub fn from_env() -> Result<Self, String> {
        const NAME: &str = "SIGNSTASH_DOCUMENT_SYNC";
        if crate::env::var(NAME).as_deref() == Some("filesystem") {
            return Ok(DocumentSync::FileSystem);
        }
        match crate::env::flag(NAME, true) {
            Ok(true) => Ok(DocumentSync::EachDocument),
            Ok(false) => Ok(DocumentSync::Off),
            Err(_) => Err(format!(
                "{NAME}: `{}` is not true, false or filesystem",
                crate::env::var(NAME).unwrap_or_default()
            )),
        }
    }
}

/// S3-compatible storage settings. Unset credentials fall back to the usual `AWS_*` variables.
impl DocumentStoreBackend {
    /// From the environment: S3-compatible storage when `SIGNSTASH_S3_BUCKET` is set (with
    /// `SIGNSTASH_S3_REGION`, `SIGNSTASH_S3_ENDPOINT`, `SIGNSTASH_S3_ACCESS_KEY_ID`,
    /// `SIGNSTASH_S3_SECRET_ACCESS_KEY`, `SIGNSTASH_S3_ALLOW_HTTP`; unset credentials fall back
    /// to the usual `AWS_*` variables), else the folder `SIGNSTASH_DOCUMENT_DIR` (default
    /// `.data/documents`), flushed as `SIGNSTASH_DOCUMENT_SYNC` says ([`DocumentSync`]).
    pub fn from_env() -> Result<Self, String> {
        use crate::env::var;
        let Some(bucket) = var("SIGNSTASH_S3_BUCKET") else {
            return Ok(DocumentStoreBackend::Local {
                root: var("SIGNSTASH_DOCUMENT_DIR")
                    .map(PathBuf::from)
                    .unwrap_or_else(|| PathBuf::from(".data/documents")),
                sync: DocumentSync::from_env()?,
            });
        };
        #[cfg(feature = "s3")]
        {
            let allow_http = crate::env::flag("SIGNSTASH_S3_ALLOW_HTTP", false)?;
            Ok(DocumentStoreBackend::S3(S3Config {
                bucket,
                region: var("SIGNSTASH_S3_REGION"),
                endpoint: var("SIGNSTASH_S3_ENDPOINT"),
                access_key_id: var("SIGNSTASH_S3_ACCESS_KEY_ID"),
                secret_access_key: var("SIGNSTASH_S3_SECRET_ACCESS_KEY")
                    .map(secrecy::SecretString::from),
                allow_http,
            }))
        }
        #[cfg(not(feature = "s3"))]
        {
            Err(format!(
                "SIGNSTASH_S3_BUCKET={bucket}: this build has no S3 support (feature `s3`)"
            ))
        }
    }
}

#[derive(Debug, Clone)]
pub struct S3Config {
    /// The bucket.
    pub bucket: String,
    /// The region (`us-east-1` if unset).
    pub region: Option<String>,
    /// A custom endpoint (MinIO: `http://127.0.0.1:9000`); path-style requests are used then.
    pub endpoint: Option<String>,
    /// The access key id.
    pub access_key_id: Option<String>,
    /// The secret access key.
    pub secret_access_key: Option<secrecy::SecretString>,
    /// Allow plain HTTP (a local MinIO).
    pub allow_http: bool,
}

/// How a document was stored: what the database keeps to find and open it again.
#[derive(Clone, PartialEq, Eq)]
pub struct StoredDocument {
    /// The object's key in the store (`documents/YYYY/MM/xx/<uuid>`), unique.
    pub storage_key: String,
    /// The document's AES-256 key, sealed by the master key.
    pub wrapped_key: Vec<u8>,
    /// The plaintext length in bytes (`contentLength`).
    pub content_length: u64,
}

impl std::fmt::Debug for StoredDocument {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredDocument")
            .field("storage_key", &self.storage_key)
            .field("content_length", &self.content_length)
            .finish_non_exhaustive()
    }
}

/// Encrypted document storage. Cheap to clone (shared state behind `Arc`).
#[derive(Clone)]
pub struct DocumentStore {
    objects: Arc<dyn ObjectStore>,
    master_key: Arc<MasterKey>,
    /// The folder of the local backend (canonical), where small new objects are written in
    /// place (see [`DocumentStore::put`]).
    local_root: Option<Arc<PathBuf>>,
    /// Local backend: how a new object is made durable before `put` returns.
    flush: Flush,
}

/// [`DocumentSync`] with what each way needs.
#[derive(Clone)]
enum Flush {
    Off,
    /// Folders whose own entries, and their parents' up to the root, this process has flushed
    /// (a few hundred a month).
    EachDocument(Arc<Mutex<HashSet<PathBuf>>>),
    /// The thread that runs the `syncfs` calls.
    FileSystem(Arc<GroupFlush>),
}

impl std::fmt::Debug for DocumentStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DocumentStore")
            .field("objects", &self.objects.to_string())
            .finish_non_exhaustive()
    }
}

/// Above this size encryption runs on the blocking pool, so a large PDF does not hold an
/// async worker thread for milliseconds.
const BLOCKING_THRESHOLD: usize = 256 * 1024;

/// Local objects up to this size are written by the calling task (a buffered write of a few
/// pages, tens of microseconds), not handed to a blocking thread through `object_store`.
const WRITE_IN_PLACE_BYTES: usize = 64 * 1024;

impl DocumentStore {
    /// Opens the configured backend.
    pub fn new(backend: &DocumentStoreBackend, master_key: MasterKey) -> Result<Self, StoreError> {
        let objects: Arc<dyn ObjectStore> = match backend {
            DocumentStoreBackend::Local { root, sync } => {
                std::fs::create_dir_all(root).map_err(|e| {
                    StoreError::Config(format!(
                        "cannot create the document folder {}: {e}",
                        root.display()
                    ))
                })?;
                let objects = object_store::local::LocalFileSystem::new_with_prefix(root)?;
                let canonical = std::fs::canonicalize(root).map_err(|e| {
                    StoreError::Config(format!("document folder {}: {e}", root.display()))
                })?;
                let mut store = Self::with_object_store(Arc::new(objects), master_key);
                store.flush = match sync {
                    DocumentSync::Off => Flush::Off,
                    DocumentSync::EachDocument => Flush::EachDocument(Arc::default()),
                    DocumentSync::FileSystem => {
                        Flush::FileSystem(Arc::new(group_flush_for(&canonical)?))
                    }
                };
                store.local_root = Some(Arc::new(canonical));
                return Ok(store);
            }
            DocumentStoreBackend::Memory => Arc::new(object_store::memory::InMemory::new()),
            #[cfg(feature = "s3")]
            DocumentStoreBackend::S3(config) => Arc::new(s3(config)?),
        };
        Ok(Self::with_object_store(objects, master_key))
    }

    /// Over any `object_store` implementation.
    pub fn with_object_store(objects: Arc<dyn ObjectStore>, master_key: MasterKey) -> Self {
        DocumentStore {
            objects,
            master_key: Arc::new(master_key),
            local_root: None,
            flush: Flush::Off,
        }
    }

    /// Encrypts and stores a document under a new key, `documents/YYYY/MM/xx/<uuid>` where `xx`
    /// is the uuid's first byte in hex: 256 folders a month, so no folder of the local backend
    /// grows to millions of entries.
    ///
    /// On the local backend objects are written in place, under their final name, and made
    /// durable as [`DocumentSync`] says before this returns: with
    /// [`DocumentSync::EachDocument`] (the default) every object on a blocking thread, then its
    /// data and the folder entries naming it are flushed (`fdatasync` waits for the device);
    /// with [`DocumentSync::FileSystem`] a small object is written by the calling task (a
    /// larger one on a blocking thread), then the task waits for a `syncfs` that started after
    /// the write; with [`DocumentSync::Off`] a small object is written by the calling task, and
    /// a larger one goes through `object_store`'s staging file and rename on a blocking thread.
    /// Writing in place is safe because the key is new (an existing file is never touched: the
    /// write fails instead) and the database records it only after this returns, so a file cut
    /// short by a crash is never referenced.
    pub async fn put(&self, plaintext: Bytes) -> Result<StoredDocument, StoreError> {
        let now = time::OffsetDateTime::now_utc();
        let id = uuid::Uuid::new_v4();
        let storage_key = format!(
            "documents/{:04}/{:02}/{:02x}/{id}",
            now.year(),
            u8::from(now.month()),
            id.as_bytes()[0],
        );
        let content_length = plaintext.len() as u64;
        let (sealed, wrapped_key) = if plaintext.len() > BLOCKING_THRESHOLD {
            let (key, sk) = (self.master_key.clone(), storage_key.clone());
            tokio::task::spawn_blocking(move || key.encrypt_document(&plaintext, &sk))
                .await
                .map_err(|e| StoreError::Config(format!("encryption task failed: {e}")))??
        } else {
            self.master_key.encrypt_document(&plaintext, &storage_key)?
        };
        match (&self.local_root, &self.flush) {
            (Some(root), Flush::FileSystem(group)) => {
                let path = root.join(&storage_key);
                // Every `syncfs` that had not ended before the write began may have written
                // (or failed to write) this object's pages.
                let unfinished_from = group.ended.load(Ordering::Acquire);
                if sealed.len() <= WRITE_IN_PLACE_BYTES {
                    write_new_file(&path, &sealed)?;
                } else {
                    let path = path.clone();
                    tokio::task::spawn_blocking(move || write_new_file(&path, &sealed).map(drop))
                        .await
                        .map_err(|e| StoreError::Config(format!("storage task failed: {e}")))??;
                }
                // Removed unless flushed, also when this future is dropped while it waits.
                let unflushed = RemoveOnDrop(Some(path.clone()));
                match group.flush(unfinished_from).await {
                    Ok(()) => unflushed.keep(),
                    Err(e) => return Err(io_failed(&path, e)),
                }
            }
            (Some(root), Flush::EachDocument(durable)) => {
                let (root, key) = (root.clone(), storage_key.clone());
                let durable = durable.clone();
                tokio::task::spawn_blocking(move || {
                    write_new_file_synced(&root, &key, &sealed, &durable)
                })
                .await
                .map_err(|e| StoreError::Config(format!("storage task failed: {e}")))??;
            }
            (Some(root), Flush::Off) if sealed.len() <= WRITE_IN_PLACE_BYTES => {
                write_new_file(&root.join(&storage_key), &sealed)?;
            }
            _ => {
                self.objects
                    .put(
                        &ObjectPath::from(storage_key.as_str()),
                        PutPayload::from(sealed),
                    )
                    .await?;
            }
        }
        Ok(StoredDocument {
            storage_key,
            wrapped_key,
            content_length,
        })
    }

    /// Reads and decrypts a document. A tampered, truncated or swapped object, or a wrong
    /// master key, gives [`StoreError::Crypto`]; a missing object [`StoreError::NotFound`].
    pub async fn get(&self, stored: &StoredDocument) -> Result<Bytes, StoreError> {
        let sealed = match self
            .objects
            .get(&ObjectPath::from(stored.storage_key.as_str()))
            .await
        {
            Ok(result) => result.bytes().await?,
            Err(object_store::Error::NotFound { .. }) => return Err(StoreError::NotFound),
            Err(e) => return Err(e.into()),
        };
        let plaintext = if sealed.len() > BLOCKING_THRESHOLD {
            let (key, stored) = (self.master_key.clone(), stored.clone());
            tokio::task::spawn_blocking(move || {
                key.decrypt_document(&sealed, &stored.wrapped_key, &stored.storage_key)
            })
            .await
            .map_err(|e| StoreError::Config(format!("decryption task failed: {e}")))??
        } else {
            self.master_key
                .decrypt_document(&sealed, &stored.wrapped_key, &stored.storage_key)?
        };
        Ok(Bytes::from(plaintext))
    }

    /// Removes a document (end of its storage period). Removing a missing one is not an error.
    pub async fn delete(&self, stored: &StoredDocument) -> Result<(), StoreError> {
        self.delete_key(&stored.storage_key).await
    }

    /// Whether the backend answers and the bucket or folder exists (for `/health/ready`).
    pub async fn check(&self) -> Result<(), StoreError> {
        // A listing, not a HEAD: S3 answers a HEAD in a missing bucket with a bare 404, which
        // reads as "object not found"; a listing names the missing bucket.
        match self
            .objects
            .list_with_delimiter(Some(&ObjectPath::from("health")))
            .await
        {
            Ok(_) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// The keys of the objects put during this month or the one before and last changed before
    /// `before`: where an object no row names can be (the objects of a request that could not
    /// be recorded; see [`crate::documents::unreferenced`]). Earlier months were checked by
    /// earlier passes.
    pub async fn recent_keys_before(
        &self,
        before: time::OffsetDateTime,
    ) -> Result<Vec<String>, StoreError> {
        use futures::TryStreamExt;
        let now = time::OffsetDateTime::now_utc();
        let this_month = now.date().replace_day(1).unwrap_or(now.date());
        let last_month = this_month.previous_day().unwrap_or(this_month);
        let cutoff = before.unix_timestamp();
        let mut keys = Vec::new();
        for month in [last_month, this_month] {
            let prefix = ObjectPath::from(format!(
                "documents/{:04}/{:02}",
                month.year(),
                u8::from(month.month())
            ));
            let mut listing = self.objects.list(Some(&prefix));
            while let Some(meta) = listing.try_next().await? {
                if meta.last_modified.timestamp() < cutoff {
                    keys.push(meta.location.to_string());
                }
            }
        }
        Ok(keys)
    }

    /// Removes the object under `key` (a missing one is not an error).
    pub async fn delete_key(&self, key: &str) -> Result<(), StoreError> {
        match self.objects.delete(&ObjectPath::from(key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// The raw object store (tests, maintenance jobs).
    pub fn objects(&self) -> &Arc<dyn ObjectStore> {
        &self.objects
    }
}

/// [`write_new_file`] of `root/key`, then the file's data and its entry in its folder flushed
/// to the disk; and, the first time this process writes into that folder, the entries of the
/// folder and of every folder above it up to `root` (whoever made them: another task or
/// process may have made the folder and not flushed it yet). An error leaves no file behind.
fn write_new_file_synced(
    root: &std::path::Path,
    key: &str,
    contents: &[u8],
    durable_folders: &Mutex<HashSet<PathBuf>>,
) -> Result<(), StoreError> {
    let path = root.join(key);
    let file = write_new_file(&path, contents)?;
    let synced = file.sync_data().and_then(|()| {
        let Some(folder) = path.parent() else {
            return Ok(());
        };
        std::fs::File::open(folder)?.sync_all()?;
        let known = durable_folders
            .lock()
            .map(|set| set.contains(folder))
            .unwrap_or(false);
        if !known {
            let mut above = folder.parent();
            while let Some(f) = above.filter(|f| f.starts_with(root)) {
                std::fs::File::open(f)?.sync_all()?;
                above = f.parent();
            }
            if let Ok(mut set) = durable_folders.lock() {
                set.insert(folder.to_path_buf());
            }
        }
        Ok(())
    });
    if let Err(e) = synced {
        drop(file);
        let _ = std::fs::remove_file(&path);
        return Err(io_failed(&path, e));
    }
    Ok(())
}

/// A new file that is removed when this is dropped, unless [`RemoveOnDrop::keep`] was called.
struct RemoveOnDrop(Option<PathBuf>);

impl RemoveOnDrop {
    fn keep(mut self) {
        self.0 = None;
    }
}

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        if let Some(path) = self.0.take() {
            // Best effort: the key is not recorded anywhere, so a leftover is only wasted space.
            let _ = std::fs::remove_file(path);
        }
    }
}

/// Group flush of the local backend ([`DocumentSync::FileSystem`]): one thread calls `syncfs`
/// on the document folder for every batch of waiting writers, those that asked while the
/// previous call ran.
///
/// A write-back error is reported once, to the `syncfs` call that follows it, and that call may
/// be an earlier one than the call a writer waits for (its pages may be written back by a call
/// that was already running when it wrote). So a writer succeeds only if no call that had not
/// ended before its write began failed: `failed` (the number of the last failed call) is at
/// most `ended` as read before the write.
struct GroupFlush {
    requests: std::sync::mpsc::Sender<tokio::sync::oneshot::Sender<()>>,
    /// How many `syncfs` calls have ended (they are numbered from 1).
    ended: Arc<AtomicU64>,
    /// The number of the last call that failed, 0 if none has, and its error.
    failed: Arc<Mutex<(u64, String)>>,
}

impl GroupFlush {
    /// `syncfs` flushes the file system (a parameter so that a test can make it fail).
    fn start(
        mut syncfs: impl FnMut() -> std::io::Result<()> + Send + 'static,
    ) -> Result<Self, StoreError> {
        let (requests, queue) = std::sync::mpsc::channel::<tokio::sync::oneshot::Sender<()>>();
        let ended = Arc::new(AtomicU64::new(0));
        let failed = Arc::new(Mutex::new((0, String::new())));
        let (ended_by_thread, failed_by_thread) = (ended.clone(), failed.clone());
        std::thread::Builder::new()
            .name("document-flush".into())
            .spawn(move || {
                // Ends when the last DocumentStore clone is dropped.
                while let Ok(first) = queue.recv() {
                    let mut batch = vec![first];
                    batch.extend(queue.try_iter());
                    let result = syncfs();
                    let number = ended_by_thread.load(Ordering::Acquire) + 1;
                    if let Err(e) = result {
                        tracing::error!(error = %e, "syncfs of the document folder failed");
                        if let Ok(mut failed) = failed_by_thread.lock() {
                            *failed = (number, e.to_string());
                        }
                    }
                    ended_by_thread.store(number, Ordering::Release);
                    for waiter in batch {
                        let _ = waiter.send(());
                    }
                }
            })
            .map_err(|e| StoreError::Config(format!("cannot start the flush thread: {e}")))?;
        Ok(Self {
            requests,
            ended,
            failed,
        })
    }

    /// Waits for a `syncfs` that starts after this call, then fails if any call numbered above
    /// `unfinished_from` failed.
    async fn flush(&self, unfinished_from: u64) -> Result<(), std::io::Error> {
        let stopped = || std::io::Error::other("the document flush thread has stopped");
        let (done, wait) = tokio::sync::oneshot::channel();
        self.requests.send(done).map_err(|_| stopped())?;
        wait.await.map_err(|_| stopped())?;
        let failed = self.failed.lock().map_err(|_| stopped())?;
        if failed.0 > unfinished_from {
            return Err(std::io::Error::other(format!(
                "syncfs of the document folder failed: {}",
                failed.1
            )));
        }
        Ok(())
    }
}

/// The group flush of the folder `root` ([`DocumentSync::FileSystem`]), only where `syncfs`
/// reports every failure to write back: Linux 5.17 or later (5.8 began to report failed data
/// pages, 5.17 the file system's own sync, which writes the inodes and folder entries), and
/// not overlayfs, whose error reporting to `syncfs` is not the upper file system's.
#[cfg(target_os = "linux")]
fn group_flush_for(root: &std::path::Path) -> Result<GroupFlush, StoreError> {
    const OVERLAYFS_SUPER_MAGIC: i64 = 0x794c_7630;
    let refuse = |why: String| {
        StoreError::Config(format!(
            "SIGNSTASH_DOCUMENT_SYNC=filesystem: {why}; use true (one flush per document)"
        ))
    };
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    if !syncfs_reports_errors(release.trim()) {
        return Err(refuse(format!(
            "needs Linux 5.17 or later, whose syncfs reports every write-back error (this \
             kernel: `{}`)",
            release.trim()
        )));
    }
    let folder = std::fs::File::open(root).map_err(|e| io_failed(root, e))?;
    let file_system = rustix::fs::fstatfs(&folder).map_err(|e| io_failed(root, e.into()))?;
    // `f_type` is an i32 on 32-bit targets.
    #[allow(clippy::useless_conversion)]
    if i64::from(file_system.f_type) == OVERLAYFS_SUPER_MAGIC {
        return Err(refuse(format!("{} is on overlayfs", root.display())));
    }
    GroupFlush::start(move || rustix::fs::syncfs(&folder).map_err(std::io::Error::from))
}

#[cfg(not(target_os = "linux"))]
fn group_flush_for(_root: &std::path::Path) -> Result<GroupFlush, StoreError> {
    Err(StoreError::Config(
        "SIGNSTASH_DOCUMENT_SYNC=filesystem is for Linux only (syncfs); use true".into(),
    ))
}

/// Whether a Linux release (`/proc/sys/kernel/osrelease`, e.g. `6.1.0-28-amd64`) is 5.17 or
/// later.
fn syncfs_reports_errors(release: &str) -> bool {
    let mut numbers = release
        .split(|c: char| !c.is_ascii_digit())
        .map(|n| n.parse::<u32>().ok());
    match (numbers.next().flatten(), numbers.next().flatten()) {
        (Some(major), Some(minor)) => (major, minor) >= (5, 17),
        _ => false,
    }
}

fn io_failed(path: &std::path::Path, e: std::io::Error) -> StoreError {
    StoreError::Storage(object_store::Error::Generic {
        store: "LocalFileSystem",
        source: format!("{}: {e}", path.display()).into(),
    })
}

/// Creates `path` (and its folder if missing) with `contents`; an existing file is an error.
fn write_new_file(path: &std::path::Path, contents: &[u8]) -> Result<std::fs::File, StoreError> {
    use std::io::{ErrorKind, Write as _};
    let create = || {
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)
    };
    let failed = |e: std::io::Error| io_failed(path, e);
    let mut file = match create() {
        Err(e) if e.kind() == ErrorKind::NotFound => {
            if let Some(folder) = path.parent() {
                std::fs::create_dir_all(folder).map_err(failed)?;
            }
            create().map_err(failed)?
        }
        other => other.map_err(failed)?,
    };
    if let Err(e) = file.write_all(contents) {
        drop(file);
        // Best effort: the key is not recorded anywhere, so a leftover is only wasted space.
        let _ = std::fs::remove_file(path);
        return Err(failed(e));
    }
    Ok(file)
}

#[cfg(feature = "s3")]
fn s3(config: &S3Config) -> Result<object_store::aws::AmazonS3, StoreError> {
    use secrecy::ExposeSecret as _;
    let mut builder = object_store::aws::AmazonS3Builder::from_env()
        .with_bucket_name(&config.bucket)
        .with_allow_http(config.allow_http);
    if let Some(region) = &config.region {
        builder = builder.with_region(region);
    }
    if let Some(endpoint) = &config.endpoint {
        builder = builder
            .with_endpoint(endpoint)
            .with_virtual_hosted_style_request(false);
    }
    if let Some(id) = &config.access_key_id {
        builder = builder.with_access_key_id(id);
    }
    if let Some(secret) = &config.secret_access_key {
        builder = builder.with_secret_access_key(secret.expose_secret());
    }
    Ok(builder.build()?)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn syncfs_reports_errors_from_linux_5_17() {
        for (release, reports) in [
            ("6.1.0-28-amd64", true),
            ("5.17.0", true),
            ("5.19.0-cloud", true),
            ("5.16.20", false),
            ("5.10.0-32-amd64", false),
            ("4.19.0-27-amd64", false),
            ("", false),
            ("unknown", false),
        ] {
            assert_eq!(syncfs_reports_errors(release), reports, "{release}");
        }
    }

    /// The bookkeeping of write-back errors: a flush fails when a call that had not ended
    /// before the write began failed, even if the call the writer waited for succeeded.
    #[tokio::test]
    async fn a_writer_fails_if_any_call_unfinished_at_its_write_failed() {
        // Calls 1 and 3 succeed, call 2 fails.
        let mut calls = 0;
        let group = GroupFlush::start(move || {
            calls += 1;
            if calls == 2 {
                Err(std::io::Error::other("EIO"))
            } else {
                Ok(())
            }
        })
        .unwrap();
        let ended = || group.ended.load(Ordering::Acquire);

        // Wrote before any call: call 1 succeeds.
        assert_eq!(ended(), 0);
        group.flush(0).await.unwrap();
        assert_eq!(ended(), 1);
        // Wrote after call 1 ended: call 2 fails.
        let err = group.flush(1).await.unwrap_err();
        assert_eq!(err.to_string(), "syncfs of the document folder failed: EIO");
        assert_eq!(ended(), 2);
        // A writer whose write began while call 2 ran (it read ended = 1) and that waited for
        // call 3: its pages may have been in the failed call 2, so it fails too.
        assert!(group.flush(1).await.is_err());
        assert_eq!(ended(), 3);
        // A write that began after call 2 ended is not concerned by its failure.
        group.flush(2).await.unwrap();
        assert_eq!(ended(), 4);
    }
}
