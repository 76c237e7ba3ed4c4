//! The encrypted document store (no database needed).
#![allow(clippy::unwrap_used)]

use bytes::Bytes;
use object_store::path::Path;
use object_store::PutPayload;
use secrecy::SecretBox;
use signstash_store::{
    CryptoError, DocumentStore, DocumentStoreBackend, DocumentSync, MasterKey, StoreError,
};

fn key(byte: u8) -> MasterKey {
    MasterKey::new(SecretBox::new(Box::new([byte; 32])))
}

fn local(root: &std::path::Path, byte: u8) -> DocumentStore {
    DocumentStore::new(
        &DocumentStoreBackend::Local {
            root: root.to_path_buf(),
            sync: DocumentSync::Off,
        },
        key(byte),
    )
    .unwrap()
}

#[tokio::test]
async fn round_trip_on_the_local_folder_stores_only_ciphertext() {
    let dir = tempfile::tempdir().unwrap();
    let store = local(&dir.path().join("documents-root"), 7);
    store.check().await.unwrap();
    let pdf = Bytes::from_static(b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n");
    let stored = store.put(pdf.clone()).await.unwrap();
    assert_eq!(stored.content_length, pdf.len() as u64);
    assert!(stored.storage_key.starts_with("documents/"));
    assert_eq!(store.get(&stored).await.unwrap(), pdf);

    let on_disk =
        std::fs::read(dir.path().join("documents-root").join(&stored.storage_key)).unwrap();
    assert_eq!(on_disk.len(), pdf.len() + 1 + 12 + 16);
    assert!(
        !on_disk.windows(8).any(|w| w == b"%PDF-1.7"),
        "plaintext on disk"
    );
    // Each document gets its own key: the same bytes twice give different objects and keys.
    let again = store.put(pdf.clone()).await.unwrap();
    assert_ne!(again.storage_key, stored.storage_key);
    assert_ne!(again.wrapped_key, stored.wrapped_key);
    // A new process with the same master key reads it.
    assert_eq!(
        local(&dir.path().join("documents-root"), 7)
            .get(&stored)
            .await
            .unwrap(),
        pdf
    );

    store.delete(&stored).await.unwrap();
    assert!(matches!(
        store.get(&stored).await,
        Err(StoreError::NotFound)
    ));
    store.delete(&stored).await.unwrap();
    // Debug shows no key material.
    assert!(!format!("{stored:?}").contains("wrapped_key"));
}

#[tokio::test]
async fn small_and_large_objects_land_in_sharded_folders_without_leftovers() {
    let dir = tempfile::tempdir().unwrap();
    // Off: small objects are written in place by the task and large ones through object_store
    // (staging and rename). EachDocument (the default): all in place on a blocking thread, then
    // flushed with their folder entries. FileSystem: in place, then one syncfs for every batch
    // of waiting writers (the concurrent puts below share calls).
    for sync in [
        DocumentSync::Off,
        DocumentSync::EachDocument,
        DocumentSync::FileSystem,
    ] {
        let root = dir.path().join(format!("documents-root-{sync:?}"));
        let store = match DocumentStore::new(
            &DocumentStoreBackend::Local {
                root: root.clone(),
                sync,
            },
            key(3),
        ) {
            Ok(store) => store,
            // Only where syncfs would not report every error (an old or non-Linux kernel, a
            // temporary folder on overlayfs).
            Err(StoreError::Config(why))
                if sync == DocumentSync::FileSystem
                    && ["needs Linux", "Linux only", "overlayfs"]
                        .iter()
                        .any(|w| why.contains(w)) =>
            {
                eprintln!("skipped on this kernel: {why}");
                continue;
            }
            Err(e) => panic!("{sync:?}: {e}"),
        };
        let small = Bytes::from(vec![b'a'; 10_000]);
        let large = Bytes::from(vec![b'b'; 200_000]);
        let mut keys = Vec::new();
        for plaintext in [small.clone(), large, small.clone()] {
            let stored = store.put(plaintext.clone()).await.unwrap();
            assert_eq!(store.get(&stored).await.unwrap(), plaintext);
            // documents/YYYY/MM/xx/<uuid>, xx the uuid's first byte.
            let parts: Vec<&str> = stored.storage_key.split('/').collect();
            assert_eq!(parts.len(), 5, "{}", stored.storage_key);
            assert_eq!(parts[0], "documents");
            assert_eq!(parts[2].len(), 2);
            assert_eq!(parts[3], &parts[4][..2], "{}", stored.storage_key);
            keys.push(stored.storage_key);
        }
        let concurrent = futures::future::join_all((0..32).map(|i| {
            let store = store.clone();
            let plaintext = Bytes::from(vec![i; 1_000 + usize::from(i)]);
            tokio::spawn(async move {
                let stored = store.put(plaintext.clone()).await.unwrap();
                assert_eq!(store.get(&stored).await.unwrap(), plaintext);
                stored.storage_key
            })
        }))
        .await;
        keys.extend(concurrent.into_iter().map(Result::unwrap));
        // Exactly the objects: no staging file left behind.
        let mut files = Vec::new();
        let mut folders = vec![root.clone()];
        while let Some(folder) = folders.pop() {
            for entry in std::fs::read_dir(folder).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    folders.push(path);
                } else {
                    files.push(
                        path.strip_prefix(&root)
                            .unwrap()
                            .to_string_lossy()
                            .into_owned(),
                    );
                }
            }
        }
        files.sort();
        keys.sort();
        assert_eq!(files, keys, "sync {sync:?}");
    }
}

#[tokio::test]
async fn large_and_empty_documents_round_trip() {
    let store = DocumentStore::new(&DocumentStoreBackend::Memory, key(1)).unwrap();
    let big: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
    let stored = store.put(Bytes::from(big.clone())).await.unwrap();
    assert_eq!(store.get(&stored).await.unwrap(), big);
    let empty = store.put(Bytes::new()).await.unwrap();
    assert!(store.get(&empty).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_tampered_object_is_refused() {
    let store = DocumentStore::new(&DocumentStoreBackend::Memory, key(1)).unwrap();
    let stored = store.put(Bytes::from_static(b"<Invoice/>")).await.unwrap();
    let path = Path::from(stored.storage_key.as_str());
    let mut sealed = store
        .objects()
        .get(&path)
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap()
        .to_vec();

    let last = sealed.len() - 1;
    sealed[last] ^= 0x01; // the tag
    store
        .objects()
        .put(&path, PutPayload::from(sealed.clone()))
        .await
        .unwrap();
    assert!(matches!(
        store.get(&stored).await,
        Err(StoreError::Crypto(CryptoError::Tampered))
    ));

    sealed[last] ^= 0x01;
    sealed[20] ^= 0x80; // the ciphertext
    store
        .objects()
        .put(&path, PutPayload::from(sealed.clone()))
        .await
        .unwrap();
    assert!(matches!(
        store.get(&stored).await,
        Err(StoreError::Crypto(CryptoError::Tampered))
    ));

    store
        .objects()
        .put(&path, PutPayload::from(sealed[..10].to_vec()))
        .await
        .unwrap();
    assert!(matches!(
        store.get(&stored).await,
        Err(StoreError::Crypto(CryptoError::Format))
    ));
}

#[tokio::test]
async fn a_swapped_object_or_altered_metadata_is_refused() {
    let store = DocumentStore::new(&DocumentStoreBackend::Memory, key(1)).unwrap();
    let a = store.put(Bytes::from_static(b"document A")).await.unwrap();
    let b = store.put(Bytes::from_static(b"document B")).await.unwrap();
    // B's object put where A's was: A's key does not open it.
    let b_bytes = store
        .objects()
        .get(&Path::from(b.storage_key.as_str()))
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    store
        .objects()
        .put(
            &Path::from(a.storage_key.as_str()),
            PutPayload::from(b_bytes),
        )
        .await
        .unwrap();
    assert!(matches!(store.get(&a).await, Err(StoreError::Crypto(_))));
    // A's row pointing at B's object with A's wrapped key, or B's key on A's key path.
    let mut mixed = a.clone();
    mixed.wrapped_key = b.wrapped_key.clone();
    assert!(matches!(
        store.get(&mixed).await,
        Err(StoreError::Crypto(CryptoError::KeyUnwrap))
    ));
    let mut flipped = b.clone();
    flipped.wrapped_key[5] ^= 1;
    assert!(matches!(
        store.get(&flipped).await,
        Err(StoreError::Crypto(CryptoError::KeyUnwrap))
    ));
}

#[tokio::test]
async fn a_wrong_master_key_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let stored = local(dir.path(), 7)
        .put(Bytes::from_static(b"secret invoice"))
        .await
        .unwrap();
    let err = local(dir.path(), 8).get(&stored).await.unwrap_err();
    assert!(
        matches!(err, StoreError::Crypto(CryptoError::KeyUnwrap)),
        "{err:?}"
    );
    assert!(!err.to_string().contains("secret invoice"));
}

#[tokio::test]
async fn an_unusable_folder_is_a_configuration_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, b"x").unwrap();
    let err = DocumentStore::new(
        &DocumentStoreBackend::Local {
            root: file.join("sub"),
            sync: DocumentSync::EachDocument,
        },
        key(1),
    )
    .unwrap_err();
    assert!(matches!(err, StoreError::Config(_)), "{err:?}");
}

#[cfg(feature = "s3")]
fn s3_config(endpoint: &str, bucket: &str) -> signstash_store::S3Config {
    use signstash_test_support::s3;
    signstash_store::S3Config {
        bucket: bucket.into(),
        region: Some(s3::REGION.into()),
        endpoint: Some(endpoint.into()),
        access_key_id: Some(s3::ACCESS_KEY_ID.into()),
        secret_access_key: Some(secrecy::SecretString::from(
            s3::SECRET_ACCESS_KEY.to_string(),
        )),
        allow_http: true,
    }
}

/// The S3 backend against an S3-compatible server (moto): the real `object_store` client over
/// HTTP; the bucket holds only ciphertext (read back by boto3, not by us).
#[cfg(feature = "s3")]
#[tokio::test]
async fn round_trip_on_s3_compatible_storage_stores_only_ciphertext() {
    let Some(server) = signstash_test_support::s3::S3Server::start("signstash-docs") else {
        return;
    };
    let store = DocumentStore::new(
        &DocumentStoreBackend::S3(s3_config(&server.endpoint(), "signstash-docs")),
        key(3),
    )
    .unwrap();
    assert!(!format!("{store:?}").contains(signstash_test_support::s3::SECRET_ACCESS_KEY));
    store.check().await.unwrap();
    let xml = Bytes::from_static(b"<?xml version=\"1.0\"?><Invoice>secret amount 123.45</Invoice>");
    let stored = store.put(xml.clone()).await.unwrap();
    assert_eq!(store.get(&stored).await.unwrap(), xml);
    assert_eq!(
        server.keys("signstash-docs"),
        vec![stored.storage_key.clone()]
    );
    let raw = server.object("signstash-docs", &stored.storage_key);
    assert_eq!(raw.len(), xml.len() + 1 + 12 + 16);
    assert!(
        !raw.windows(6).any(|w| w == b"secret"),
        "plaintext in the bucket"
    );
    // Another master key cannot read it.
    let other = DocumentStore::new(
        &DocumentStoreBackend::S3(s3_config(&server.endpoint(), "signstash-docs")),
        key(4),
    )
    .unwrap();
    assert!(other.get(&stored).await.is_err());
    store.delete(&stored).await.unwrap();
    assert!(server.keys("signstash-docs").is_empty());
    // A bucket that does not exist fails the readiness check.
    let missing = DocumentStore::new(
        &DocumentStoreBackend::S3(s3_config(&server.endpoint(), "no-such-bucket")),
        key(3),
    )
    .unwrap();
    assert!(missing.check().await.is_err());
}
