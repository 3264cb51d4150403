//! Publishing feed trees: a TUF repository whose every signature and hash checks out, no-op
//! exports, versions, key rotation, timestamp refresh, and readers that never see a mix.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test fails loudly on any unexpected error"
)]

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::{DateTime, TimeDelta, Utc};
use relman_attest::{PublicKey, SigningKey};
use relman_tuf::{Expiry, Signers, TreeFile, TufError, publish, refresh_timestamp};
use serde_json::Value;
use sha2::{Digest as _, Sha256};

fn key(n: u8) -> SigningKey {
    SigningKey::from_seed(&[n; 32])
}

fn signers(active: u8, retired: &[u8]) -> Signers {
    Signers {
        active: key(active),
        retired: retired.iter().map(|n| key(*n)).collect(),
    }
}

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-12-01T10:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

fn tree(latest: &str) -> Vec<TreeFile> {
    vec![
        TreeFile {
            path: "latest/api.json".into(),
            bytes: format!("{{\"version\":\"{latest}\"}}\n").into_bytes(),
        },
        TreeFile {
            path: "major/v2/api.json".into(),
            bytes: b"{\"versions\":[\"v2.3\"]}\n".to_vec(),
        },
    ]
}

fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn canonical(value: &Value) -> Vec<u8> {
    use serde::Serialize as _;
    let mut out = Vec::new();
    let mut ser =
        serde_json::Serializer::with_formatter(&mut out, olpc_cjson::CanonicalFormatter::new());
    value.serialize(&mut ser).unwrap();
    out
}

fn read(path: &Path) -> (Vec<u8>, Value) {
    let bytes = fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let value = serde_json::from_slice(&bytes).unwrap();
    (bytes, value)
}

/// The keyids whose signature of the document verifies with `keys` (keyid → hex public key).
fn verified_by(doc: &Value, keys: &BTreeMap<String, String>) -> Vec<String> {
    let message = canonical(&doc["signed"]);
    doc["signatures"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| {
            let keyid = s["keyid"].as_str()?;
            let public = PublicKey::from_hex(keys.get(keyid)?).ok()?;
            let sig: Vec<u8> = (0..s["sig"].as_str()?.len() / 2)
                .map(|i| u8::from_str_radix(&s["sig"].as_str().unwrap()[2 * i..2 * i + 2], 16))
                .collect::<Result<_, _>>()
                .ok()?;
            public.verifies(&message, &sig).then(|| keyid.to_owned())
        })
        .collect()
}

fn keys_of(root: &Value) -> BTreeMap<String, String> {
    root["signed"]["keys"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(id, k)| {
            (
                id.clone(),
                k["keyval"]["public"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn meta_matches(info: &Value, bytes: &[u8]) -> bool {
    info["length"] == bytes.len() as u64 && info["hashes"]["sha256"] == sha256(bytes)
}

/// Checks a generation as a TUF client would, trusting `root`; its targets by path.
fn verify(generation: &Path, root: &Value) -> BTreeMap<String, Vec<u8>> {
    let keys = keys_of(root);
    let md = generation.join("metadata");
    let (_, newest_root) = read(&md.join("root.json"));
    assert!(!verified_by(&newest_root, &keys).is_empty(), "root chain");
    let keys = keys_of(&newest_root);
    let (_, timestamp) = read(&md.join("timestamp.json"));
    assert_eq!(verified_by(&timestamp, &keys).len(), 1, "timestamp signed");
    let snap_info = &timestamp["signed"]["meta"]["snapshot.json"];
    let (snap_bytes, snapshot) = read(&md.join(format!("{}.snapshot.json", snap_info["version"])));
    assert!(meta_matches(snap_info, &snap_bytes), "snapshot hash");
    assert_eq!(verified_by(&snapshot, &keys).len(), 1, "snapshot signed");
    let targets_info = &snapshot["signed"]["meta"]["targets.json"];
    let (targets_bytes, targets) =
        read(&md.join(format!("{}.targets.json", targets_info["version"])));
    assert!(meta_matches(targets_info, &targets_bytes), "targets hash");
    assert_eq!(verified_by(&targets, &keys).len(), 1, "targets signed");
    let mut out = BTreeMap::new();
    for (path, info) in targets["signed"]["targets"].as_object().unwrap() {
        let hash = info["hashes"]["sha256"].as_str().unwrap();
        let hashed = match path.rsplit_once('/') {
            Some((dir, base)) => format!("{dir}/{hash}.{base}"),
            None => format!("{hash}.{path}"),
        };
        let bytes = fs::read(generation.join("targets").join(hashed)).unwrap();
        assert!(meta_matches(info, &bytes), "{path} hash");
        assert_eq!(
            fs::read(generation.join(path)).unwrap(),
            bytes,
            "{path} plain"
        );
        out.insert(path.clone(), bytes);
    }
    out
}

fn first_root(out: &Path) -> Value {
    read(&fs::canonicalize(out).unwrap().join("metadata/1.root.json")).1
}

fn generations(out: &Path) -> Vec<String> {
    let dir = out.parent().unwrap().join(".feed.generations");
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}

fn out_dir() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("feed");
    (dir, out)
}

#[test]
fn a_publish_is_a_repository_whose_signatures_and_hashes_check_out() {
    let (_dir, out) = out_dir();
    let first = publish(
        &out,
        &tree("v2.3.0"),
        &signers(1, &[]),
        &Expiry::default(),
        now(),
    )
    .unwrap();
    assert!(first.changed);
    assert_eq!(
        (
            first.root_version,
            first.targets_version,
            first.snapshot_version,
            first.timestamp_version
        ),
        (1, 1, 1, 1)
    );
    assert!(fs::symlink_metadata(&out).unwrap().file_type().is_symlink());
    let root = first_root(&out);
    assert_eq!(root["signed"]["consistent_snapshot"], true);
    assert_eq!(
        keys_of(&root).keys().collect::<Vec<_>>(),
        [key(1).keyid()],
        "the keyid is relman's own"
    );
    let targets = verify(&fs::canonicalize(&out).unwrap(), &root);
    assert_eq!(targets["latest/api.json"], tree("v2.3.0")[0].bytes);
    assert_eq!(
        fs::read(out.join("latest/api.json")).unwrap(),
        tree("v2.3.0")[0].bytes
    );
    assert_eq!(first.timestamp_expires, now() + TimeDelta::days(7));
    let (_, ts) = read(&out.join("metadata/timestamp.json"));
    assert_eq!(ts["signed"]["expires"], "2026-12-08T10:00:00Z");
}

#[test]
fn an_unchanged_tree_is_a_no_op_and_changes_bump_versions() {
    let (_dir, out) = out_dir();
    let s = signers(1, &[]);
    publish(&out, &tree("v2.3.0"), &s, &Expiry::default(), now()).unwrap();
    let again = publish(&out, &tree("v2.3.0"), &s, &Expiry::default(), now()).unwrap();
    assert!(!again.changed);
    assert_eq!(again.timestamp_version, 1);
    assert_eq!(generations(&out), ["1"]);
    for (i, v) in ["v2.3.1", "v2.3.2", "v2.3.3", "v2.3.4", "v2.3.5"]
        .iter()
        .enumerate()
    {
        let p = publish(&out, &tree(v), &s, &Expiry::default(), now()).unwrap();
        let n = i as u64 + 2;
        assert!(p.changed);
        assert_eq!(
            (p.root_version, p.targets_version, p.timestamp_version),
            (1, n, n)
        );
    }
    assert_eq!(generations(&out), ["4", "5", "6"], "three generations kept");
    let targets = verify(&fs::canonicalize(&out).unwrap(), &first_root(&out));
    assert_eq!(targets["latest/api.json"], tree("v2.3.5")[0].bytes);
}

#[test]
fn a_client_that_read_the_previous_timestamp_finds_what_it_names() {
    let (_dir, out) = out_dir();
    let s = signers(1, &[]);
    publish(&out, &tree("v1"), &s, &Expiry::default(), now()).unwrap();
    let (_, old_ts) = read(&out.join("metadata/timestamp.json"));
    publish(&out, &tree("v2"), &s, &Expiry::default(), now()).unwrap();
    // The old timestamp's snapshot, its targets and their target files, in the new generation.
    let generation = fs::canonicalize(&out).unwrap();
    let md = generation.join("metadata");
    let snap = old_ts["signed"]["meta"]["snapshot.json"]["version"]
        .as_u64()
        .unwrap();
    let (_, snapshot) = read(&md.join(format!("{snap}.snapshot.json")));
    let tv = snapshot["signed"]["meta"]["targets.json"]["version"]
        .as_u64()
        .unwrap();
    let (_, targets) = read(&md.join(format!("{tv}.targets.json")));
    let info = &targets["signed"]["targets"]["latest/api.json"];
    let hash = info["hashes"]["sha256"].as_str().unwrap();
    let old = fs::read(generation.join(format!("targets/latest/{hash}.api.json"))).unwrap();
    assert_eq!(old, tree("v1")[0].bytes);
    // A window, not everything ever published.
    for i in 3..=6 {
        publish(&out, &tree(&format!("v{i}")), &s, &Expiry::default(), now()).unwrap();
    }
    let md = fs::canonicalize(&out).unwrap().join("metadata");
    let mut snapshots: Vec<String> = fs::read_dir(&md)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".snapshot.json"))
        .collect();
    snapshots.sort();
    assert_eq!(
        snapshots,
        ["4.snapshot.json", "5.snapshot.json", "6.snapshot.json"]
    );
}

#[test]
fn a_rotated_key_makes_a_root_the_old_key_signs() {
    let (_dir, out) = out_dir();
    publish(
        &out,
        &tree("v1"),
        &signers(1, &[]),
        &Expiry::default(),
        now(),
    )
    .unwrap();
    let pinned = first_root(&out);
    let broken = publish(
        &out,
        &tree("v1"),
        &signers(2, &[]),
        &Expiry::default(),
        now(),
    );
    assert!(
        matches!(broken, Err(TufError::ChainBroken { version: 1, .. })),
        "{broken:?}"
    );
    assert_eq!(
        generations(&out),
        ["1"],
        "nothing published, nothing left staged"
    );
    let rotated = publish(
        &out,
        &tree("v1"),
        &signers(2, &[1]),
        &Expiry::default(),
        now(),
    )
    .unwrap();
    assert!(rotated.changed, "same files, new key: a new generation");
    assert_eq!(rotated.root_version, 2);
    let generation = fs::canonicalize(&out).unwrap();
    let (_, root2) = read(&generation.join("metadata/2.root.json"));
    assert_eq!(verified_by(&root2, &keys_of(&pinned)), [key(1).keyid()]);
    assert_eq!(verified_by(&root2, &keys_of(&root2)), [key(2).keyid()]);
    assert!(generation.join("metadata/1.root.json").exists());
    verify(&generation, &pinned);
}

#[test]
fn a_root_close_to_expiry_is_renewed_by_the_next_export() {
    let (_dir, out) = out_dir();
    let s = signers(1, &[]);
    let short = Expiry {
        root: TimeDelta::days(40),
        ..Expiry::default()
    };
    publish(&out, &tree("v1"), &s, &short, now()).unwrap();
    let pinned = first_root(&out);
    // Twenty days on, the root has twenty left: under the renewal margin, so even an unchanged
    // tree is published again, with root 2 signed by the same key.
    let later = now() + TimeDelta::days(20);
    let renewed = publish(&out, &tree("v1"), &s, &Expiry::default(), later).unwrap();
    assert!(renewed.changed);
    assert_eq!(renewed.root_version, 2);
    let generation = fs::canonicalize(&out).unwrap();
    let (_, root2) = read(&generation.join("metadata/2.root.json"));
    assert_eq!(root2["signed"]["expires"], "2027-12-21T10:00:00Z");
    verify(&generation, &pinned);
    let again = publish(&out, &tree("v1"), &s, &Expiry::default(), later).unwrap();
    assert!(!again.changed, "a fresh root is kept");
}

#[test]
fn refreshing_the_timestamp_changes_only_the_timestamp() {
    let (_dir, out) = out_dir();
    let s = signers(1, &[]);
    let missing = refresh_timestamp(&out, &s, &Expiry::default(), now());
    assert!(
        matches!(missing, Err(TufError::NothingPublished(_))),
        "{missing:?}"
    );
    let first = publish(&out, &tree("v1"), &s, &Expiry::default(), now()).unwrap();
    let old = fs::canonicalize(&out).unwrap();
    let later = now() + TimeDelta::days(5);
    let refreshed = refresh_timestamp(&out, &s, &Expiry::default(), later).unwrap();
    assert_eq!(refreshed.timestamp_version, 2);
    assert_eq!(refreshed.targets_version, first.targets_version);
    assert_eq!(refreshed.snapshot_version, first.snapshot_version);
    assert_eq!(refreshed.timestamp_expires, later + TimeDelta::days(7));
    let new = fs::canonicalize(&out).unwrap();
    assert_ne!(old, new);
    verify(&new, &first_root(&out));
    // The previous generation is untouched (its timestamp was replaced, not written through).
    let (_, old_ts) = read(&old.join("metadata/timestamp.json"));
    assert_eq!(old_ts["signed"]["version"], 1);
}

#[test]
fn a_reader_never_sees_a_mix_of_two_exports() {
    let (_dir, out) = out_dir();
    let s = signers(1, &[]);
    publish(&out, &tree("v0"), &s, &Expiry::default(), now()).unwrap();
    let root = first_root(&out);
    let done = Arc::new(AtomicBool::new(false));
    let reader = {
        let (out, done, root) = (out.clone(), Arc::clone(&done), root.clone());
        std::thread::spawn(move || {
            let (mut rounds, mut pruned) = (0u32, 0u32);
            while !done.load(Ordering::SeqCst) || rounds == 0 {
                // Resolve once, read everything of that generation.
                let generation = fs::canonicalize(&out).unwrap();
                let read = std::panic::catch_unwind(|| verify(&generation, &root));
                match read {
                    Ok(targets) => {
                        let latest: Value =
                            serde_json::from_slice(&targets["latest/api.json"]).unwrap();
                        assert!(latest["version"].as_str().unwrap().starts_with('v'));
                        rounds += 1;
                    }
                    // Three newer generations were published while this one was read, and it
                    // was pruned: a slow reader, not a mix. Anything else is a failure.
                    Err(panic) => {
                        let number = |p: &Path| -> u64 {
                            p.file_name().unwrap().to_str().unwrap().parse().unwrap()
                        };
                        let current = number(&fs::canonicalize(&out).unwrap());
                        if number(&generation) + 3 > current {
                            std::panic::resume_unwind(panic);
                        }
                        pruned += 1;
                    }
                }
            }
            (rounds, pruned)
        })
    };
    for i in 1..=20 {
        publish(&out, &tree(&format!("v{i}")), &s, &Expiry::default(), now()).unwrap();
    }
    done.store(true, Ordering::SeqCst);
    let (rounds, pruned) = reader.join().expect("the reader found no inconsistency");
    assert!(
        rounds > 0,
        "{rounds} complete rounds, {pruned} on pruned generations"
    );
    let (_, ts) = read(&out.join("metadata/timestamp.json"));
    assert_eq!(ts["signed"]["version"], 21);
}

#[test]
fn bad_paths_and_foreign_folders_are_refused() {
    let (dir, out) = out_dir();
    let s = signers(1, &[]);
    for path in [
        "../x.json",
        "/abs.json",
        "a//b.json",
        "a/./b.json",
        "",
        "sp ace.json",
        "a\\b",
    ] {
        let files = [TreeFile {
            path: path.into(),
            bytes: b"{}".to_vec(),
        }];
        let err = publish(&out, &files, &s, &Expiry::default(), now()).unwrap_err();
        assert!(matches!(err, TufError::BadPath(_)), "{path:?}: {err:?}");
    }
    fs::create_dir(&out).unwrap();
    fs::write(out.join("index.html"), "mine").unwrap();
    let err = publish(&out, &tree("v1"), &s, &Expiry::default(), now()).unwrap_err();
    assert!(matches!(err, TufError::NotAnExport(_)), "{err:?}");
    assert_eq!(fs::read_to_string(out.join("index.html")).unwrap(), "mine");
    // An empty folder made by the operator is taken over.
    let empty = dir.path().join("empty");
    fs::create_dir(&empty).unwrap();
    publish(&empty, &tree("v1"), &s, &Expiry::default(), now()).unwrap();
    assert!(
        fs::symlink_metadata(&empty)
            .unwrap()
            .file_type()
            .is_symlink()
    );
}
