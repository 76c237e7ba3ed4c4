//! The document store: document bytes behind [`object_store`] (a local folder by default,
//! S3-compatible storage with the `s3` feature), always encrypted at rest (see [`crate::crypto`]).
//!
//! The database row of a document keeps the [`StoredDocument`] (`storage_key`, `wrapped_key`);
//! the object holds only ciphertext. Losing the master key loses every document.

use std::collections::HashSet;
use std::path::PathBuf;
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
        /// Whether each new object, and the folder entry naming it, reach the disk
        /// (`fdatasync`, `fsync` of the folder) before [`DocumentStore::put`] returns, so a
        /// document the database records as stored survives a power cut. On by default
        /// (`SIGNSTASH_DOCUMENT_SYNC`).
        sync: bool,
    },
    /// In memory (tests).
    Memory,
    /// S3-compatible storage (AWS S3, MinIO, Ceph …).
    #[cfg(feature = "s3")]
    S3(S3Config),
}

/// S3-compatible storage settings. Unset credentials fall back to the usual `AWS_*` variables.
impl DocumentStoreBackend {
    /// From the environment: S3-compatible storage when `SIGNSTASH_S3_BUCKET` is set (with
    /// `SIGNSTASH_S3_REGION`, `SIGNSTASH_S3_ENDPOINT`, `SIGNSTASH_S3_ACCESS_KEY_ID`,
    /// `SIGNSTASH_S3_SECRET_ACCESS_KEY`, `SIGNSTASH_S3_ALLOW_HTTP`; unset credentials fall back
    /// to the usual `AWS_*` variables), else the folder `SIGNSTASH_DOCUMENT_DIR` (default
    /// `.data/documents`), synced unless `SIGNSTASH_DOCUMENT_SYNC` is false.
    pub fn from_env() -> Result<Self, String> {
        use crate::env::var;
        let Some(bucket) = var("SIGNSTASH_S3_BUCKET") else {
            return Ok(DocumentStoreBackend::Local {
                root: var("SIGNSTASH_DOCUMENT_DIR")
                    .map(PathBuf::from)
                    .unwrap_or_else(|| PathBuf::from(".data/documents")),
                sync: crate::env::flag("SIGNSTASH_DOCUMENT_SYNC", true)?,
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
    /// Local backend: sync each new object and its folder entry before `put` returns.
    sync: bool,
    /// Local backend with `sync`: folders whose own entries, and their parents' up to the
    /// root, this process has flushed (a few hundred a month).
    durable_folders: Arc<Mutex<HashSet<PathBuf>>>,
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
                store.local_root = Some(Arc::new(canonical));
                store.sync = *sync;
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
            sync: false,
            durable_folders: Arc::default(),
        }
    }

    /// Encrypts and stores a document under a new key, `documents/YYYY/MM/xx/<uuid>` where `xx`
    /// is the uuid's first byte in hex: 256 folders a month, so no folder of the local backend
    /// grows to millions of entries.
    ///
    /// On the local backend objects are written in place, under their final name: with `sync`
    /// (the default) every object, on a blocking thread, then its data and the folder entries
    /// naming it are flushed to the disk before this returns (`fdatasync` waits for the
    /// device); without it a small object is written by the calling task, and a larger one goes
    /// through `object_store`'s staging file and rename on a blocking thread. Writing in place
    /// is safe because the key is new (an existing file is never touched: the write fails
    /// instead) and the database records it only after this returns, so a file cut short by a
    /// crash is never referenced.
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
        match &self.local_root {
            Some(root) if self.sync => {
                let (root, key) = (root.clone(), storage_key.clone());
                let durable = self.durable_folders.clone();
                tokio::task::spawn_blocking(move || {
                    write_new_file_synced(&root, &key, &sealed, &durable)
                })
                .await
                .map_err(|e| StoreError::Config(format!("storage task failed: {e}")))??;
            }
            Some(root) if sealed.len() <= WRITE_IN_PLACE_BYTES => {
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
        match self
            .objects
            .delete(&ObjectPath::from(stored.storage_key.as_str()))
            .await
        {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
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
