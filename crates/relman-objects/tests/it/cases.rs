//! The test bodies, each run on both backends.

use bytes::Bytes;
use futures_util::{StreamExt, TryStreamExt, stream};
use relman_objects::{ObjectKey, Objects, ObjectsError, PutError};
use sha2::{Digest as _, Sha256};

use crate::Backend;

type Body = Result<Bytes, std::io::Error>;

fn data(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 % 251) as u8).collect()
}

fn chunks(bytes: &[u8], size: usize) -> impl futures_util::Stream<Item = Body> + use<> {
    let parts: Vec<Body> = bytes
        .chunks(size)
        .map(|c| Ok(Bytes::copy_from_slice(c)))
        .collect();
    stream::iter(parts)
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

async fn read_all(
    objects: &Objects,
    key: &ObjectKey,
    range: Option<std::ops::Range<u64>>,
) -> (u64, Vec<u8>) {
    let read = objects.get(key, range).await.unwrap();
    let size = read.size;
    let parts: Vec<Bytes> = read.stream.try_collect().await.unwrap();
    (size, parts.concat())
}

/// Every file under the backend's folder (none may be left after a failed upload).
fn files_left(backend: &Backend) -> Vec<std::path::PathBuf> {
    let Some(dir) = backend.folder() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                todo.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out
}

pub async fn large_round_trip_with_ranges(objects: &Objects, backend: &Backend) {
    let bytes = data(12 << 20);
    let key = ObjectKey::new("releases/r1/a1").unwrap();
    let stored = objects
        .put_stream(&key, chunks(&bytes, 64 << 10), 1 << 30)
        .await
        .unwrap();
    assert_eq!(stored.size, bytes.len() as u64);
    assert_eq!(stored.sha256, sha256_hex(&bytes));
    let (size, back) = read_all(objects, &key, None).await;
    assert_eq!(size, bytes.len() as u64);
    assert!(back == bytes, "the bytes read back differ");
    let (size, middle) = read_all(objects, &key, Some(5_000_000..5_000_100)).await;
    assert_eq!(
        size,
        bytes.len() as u64,
        "size is the object's, not the range's"
    );
    assert_eq!(middle, bytes[5_000_000..5_000_100]);
    let end = bytes.len() as u64;
    let (_, tail) = read_all(objects, &key, Some(end - 10..end)).await;
    assert_eq!(tail, bytes[bytes.len() - 10..]);
    let listed = objects
        .list(&ObjectKey::new("releases/r1").unwrap())
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].key, "releases/r1/a1");
    assert_eq!(listed[0].size, end);
    if backend.folder().is_some() {
        assert_eq!(files_left(backend).len(), 1, "{:?}", files_left(backend));
    }
}

pub async fn small_and_empty_objects(objects: &Objects, _backend: &Backend) {
    for (name, bytes) in [("empty", Vec::new()), ("three", b"abc".to_vec())] {
        let key = ObjectKey::new(&format!("small/{name}")).unwrap();
        let stored = objects
            .put_stream(&key, chunks(&bytes, 2), 10)
            .await
            .unwrap();
        assert_eq!(stored.size, bytes.len() as u64);
        assert_eq!(stored.sha256, sha256_hex(&bytes));
        let (size, back) = read_all(objects, &key, None).await;
        assert_eq!((size, back), (bytes.len() as u64, bytes));
    }
}

pub async fn over_the_limit_leaves_nothing(objects: &Objects, backend: &Backend) {
    let bytes = data(7 << 20);
    let key = ObjectKey::new("big/too-big").unwrap();
    let err = objects
        .put_stream(&key, chunks(&bytes, 64 << 10), 6 << 20)
        .await
        .unwrap_err();
    assert!(
        matches!(err, PutError::TooLarge { limit } if limit == 6 << 20),
        "{err}"
    );
    assert!(
        objects
            .list(&ObjectKey::new("big").unwrap())
            .await
            .unwrap()
            .is_empty()
    );
    assert!(matches!(
        objects.get(&key, None).await,
        Err(ObjectsError::NotFound { .. })
    ));
    assert!(files_left(backend).is_empty(), "{:?}", files_left(backend));
}

pub async fn failed_body_leaves_nothing(objects: &Objects, backend: &Backend) {
    let bytes = data(6 << 20);
    let good = chunks(&bytes, 64 << 10);
    let broken = stream::iter([Err(std::io::Error::other("client went away"))]);
    let key = ObjectKey::new("broken/upload").unwrap();
    let err = objects
        .put_stream(&key, good.chain(broken), 1 << 30)
        .await
        .unwrap_err();
    assert!(matches!(err, PutError::Body(_)), "{err}");
    assert!(
        objects
            .list(&ObjectKey::new("broken").unwrap())
            .await
            .unwrap()
            .is_empty()
    );
    assert!(files_left(backend).is_empty(), "{:?}", files_left(backend));
}

pub async fn delete_is_idempotent(objects: &Objects, _backend: &Backend) {
    let key = ObjectKey::new("gone/soon").unwrap();
    objects
        .put_stream(&key, chunks(b"bytes", 5), 100)
        .await
        .unwrap();
    objects.delete(&key).await.unwrap();
    assert!(matches!(
        objects.get(&key, None).await,
        Err(ObjectsError::NotFound { .. })
    ));
    objects.delete(&key).await.unwrap();
    let unknown = ObjectKey::new("never/was").unwrap();
    assert!(matches!(
        objects.get(&unknown, None).await,
        Err(ObjectsError::NotFound { .. })
    ));
}

pub async fn keys_are_checked(_objects: &Objects, _backend: &Backend) {
    for bad in ["", "../x", "a//b", "a/b c", "a/./b", "/abs", "a/", "ä"] {
        assert!(ObjectKey::new(bad).is_err(), "{bad:?}");
    }
    assert_eq!(
        ObjectKey::new("releases/0193/a.tar.gz").unwrap().as_str(),
        "releases/0193/a.tar.gz"
    );
}

pub async fn the_store_answers_check(objects: &Objects, _backend: &Backend) {
    objects.check().await.unwrap();
}
