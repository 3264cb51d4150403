//! Publishing a feed tree as a new generation, and refreshing the timestamp of the current one.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use chrono::{DateTime, TimeDelta, Utc};
use relman_attest::SigningKey;
use serde::de::DeserializeOwned;

use crate::error::{TufError, io};
use crate::layout::{Layout, sync_dirs, write_synced};
use crate::metadata::{
    Meta, MetaInfo, Root, SPEC_VERSION, Signed, TargetInfo, Targets, parse_tuf_time, sign,
    tuf_time, whole_seconds,
};

/// One file of the feed tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeFile {
    /// Relative, `/`-separated: `latest/api.json`.
    pub path: String,
    /// Its bytes, published as they are.
    pub bytes: Vec<u8>,
}

/// How long each role's metadata stays valid after it is signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Expiry {
    /// `root.json`.
    pub root: TimeDelta,
    /// `targets.json`.
    pub targets: TimeDelta,
    /// `snapshot.json`.
    pub snapshot: TimeDelta,
    /// `timestamp.json`: refresh it before then ([`refresh_timestamp`]).
    pub timestamp: TimeDelta,
}

impl Default for Expiry {
    /// A year, 90 days, 90 days and 7 days.
    fn default() -> Self {
        Self {
            root: TimeDelta::days(365),
            targets: TimeDelta::days(90),
            snapshot: TimeDelta::days(90),
            timestamp: TimeDelta::days(7),
        }
    }
}

/// The keys that sign: the active one for every role, and retired ones, which sign a new root
/// when the active key is not the published root's, so that pinned clients can follow.
#[derive(Debug)]
pub struct Signers {
    /// The active signing key.
    pub active: SigningKey,
    /// Retired keys (whose seeds are still held).
    pub retired: Vec<SigningKey>,
}

/// What a publish or refresh left published.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    /// Whether a new generation was published (`false`: the tree was already current).
    pub changed: bool,
    /// The root's version.
    pub root_version: u64,
    /// The targets' version.
    pub targets_version: u64,
    /// The snapshot's version.
    pub snapshot_version: u64,
    /// The timestamp's version, which is also the generation's number.
    pub timestamp_version: u64,
    /// The published generation's folder.
    pub generation: PathBuf,
    /// When `timestamp.json` expires.
    pub timestamp_expires: DateTime<Utc>,
}

/// What the current generation holds.
struct State {
    generation: PathBuf,
    root: Root,
    targets: Targets,
    snapshot_version: u64,
    timestamp_version: u64,
    timestamp_expires: String,
}

impl State {
    fn published(&self, changed: bool) -> Published {
        Published {
            changed,
            root_version: self.root.version,
            targets_version: self.targets.version,
            snapshot_version: self.snapshot_version,
            timestamp_version: self.timestamp_version,
            generation: self.generation.clone(),
            timestamp_expires: parse_tuf_time(&self.timestamp_expires).unwrap_or_default(),
        }
    }
}

fn read_signed<T: DeserializeOwned>(path: &Path) -> Result<T, TufError> {
    let bytes = fs::read(path).map_err(io(path))?;
    serde_json::from_slice::<Signed<T>>(&bytes)
        .map(|s| s.signed)
        .map_err(|e| TufError::Corrupt {
            path: path.to_owned(),
            message: e.to_string(),
        })
}

fn read_state(generation: PathBuf) -> Result<State, TufError> {
    let metadata = generation.join("metadata");
    let root: Root = read_signed(&metadata.join("root.json"))?;
    let timestamp: Meta = read_signed(&metadata.join("timestamp.json"))?;
    let corrupt = |path: &Path, what: &str| TufError::Corrupt {
        path: path.to_owned(),
        message: format!("does not list {what}"),
    };
    let snapshot_version = timestamp
        .listed_version("snapshot.json")
        .ok_or_else(|| corrupt(&metadata.join("timestamp.json"), "snapshot.json"))?;
    let snapshot_path = metadata.join(format!("{snapshot_version}.snapshot.json"));
    let snapshot: Meta = read_signed(&snapshot_path)?;
    let targets_version = snapshot
        .listed_version("targets.json")
        .ok_or_else(|| corrupt(&snapshot_path, "targets.json"))?;
    let targets: Targets = read_signed(&metadata.join(format!("{targets_version}.targets.json")))?;
    Ok(State {
        generation,
        root,
        targets,
        snapshot_version,
        timestamp_version: timestamp.version,
        timestamp_expires: timestamp.expires,
    })
}

/// How long before its expiry a root is re-signed (a new version with the same keys) by the next
/// export: clients refuse an expired root, and roots change rarely otherwise.
const ROOT_RENEW_BEFORE: TimeDelta = TimeDelta::days(30);

/// Whether a root expiring at `expires` (TUF time) is within [`ROOT_RENEW_BEFORE`] of `now`, or
/// unreadable (then it is renewed too).
fn expiring(expires: &str, now: DateTime<Utc>) -> bool {
    parse_tuf_time(expires).is_none_or(|t| t - now < ROOT_RENEW_BEFORE)
}

/// A plain relative path: segments of letters, digits, `.`, `-`, `_`, none empty, `.` or `..`.
fn check_path(path: &str) -> Result<(), TufError> {
    let ok = !path.is_empty()
        && path.split('/').all(|s| {
            !s.is_empty()
                && s != "."
                && s != ".."
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
        });
    if ok {
        Ok(())
    } else {
        Err(TufError::BadPath(path.to_owned()))
    }
}

/// Where a target is stored with consistent snapshots: the sha256 prefixed to its file name
/// (`latest/<sha256>.api.json`), as TUF clients request it.
fn hashed_path(path: &str, sha256: &str) -> String {
    match path.rsplit_once('/') {
        Some((dir, base)) => format!("{dir}/{sha256}.{base}"),
        None => format!("{sha256}.{path}"),
    }
}

/// Publishes `files` as the feed tree at `out`, signed as a TUF repository. A no-op when the
/// published tree already holds exactly these files under the active key.
///
/// `out` becomes a symlink to the new generation, swapped in one `rename(2)`; the three newest
/// generations are kept. Writers of one `out` are serialized by a lock file beside it.
pub fn publish(
    out: &Path,
    files: &[TreeFile],
    signers: &Signers,
    expiry: &Expiry,
    now: DateTime<Utc>,
) -> Result<Published, TufError> {
    for f in files {
        check_path(&f.path)?;
    }
    let layout = Layout::new(out)?;
    let _lock = layout.lock()?;
    let state = layout.current()?.map(read_state).transpose()?;
    let targets: BTreeMap<String, TargetInfo> = files
        .iter()
        .map(|f| (f.path.clone(), TargetInfo::of(&f.bytes)))
        .collect();
    let active = &signers.active;
    // The published root stays while it is the active key's and not close to expiring.
    let root_kept = |st: &State| st.root.is_only(active) && !expiring(&st.root.expires, now);
    if let Some(st) = &state
        && st.targets.targets == targets
        && root_kept(st)
    {
        return Ok(st.published(false));
    }

    let staged = layout.stage()?;
    let metadata = staged.join("metadata");
    for f in files {
        write_synced(&staged.join(&f.path), &f.bytes)?;
        let hashed = hashed_path(&f.path, targets[&f.path].sha256());
        write_synced(&staged.join("targets").join(hashed), &f.bytes)?;
    }
    let (root_version, root_bytes) = match &state {
        None => (
            1,
            sign(Root::single_key(active, 1, now + expiry.root), &[active]),
        ),
        Some(st) => {
            // Every earlier root, so that a client pinned to any of them can walk the chain.
            for n in 1..=st.root.version {
                let name = format!("{n}.root.json");
                let old = st.generation.join("metadata").join(&name);
                let bytes = fs::read(&old).map_err(io(&old))?;
                write_synced(&metadata.join(&name), &bytes)?;
            }
            if root_kept(st) {
                let path = st.generation.join("metadata").join("root.json");
                (st.root.version, fs::read(&path).map_err(io(&path))?)
            } else {
                let version = st.root.version + 1;
                let old_keyids = st.root.root_keyids();
                let mut keys: Vec<&SigningKey> = vec![active];
                keys.extend(
                    signers
                        .retired
                        .iter()
                        .filter(|k| old_keyids.iter().any(|id| id == k.keyid())),
                );
                if !old_keyids
                    .iter()
                    .any(|id| keys.iter().any(|k| k.keyid() == id))
                {
                    fs::remove_dir_all(&staged).map_err(io(&staged))?;
                    return Err(TufError::ChainBroken {
                        active: active.keyid().to_owned(),
                        version: st.root.version,
                    });
                }
                let root = Root::single_key(active, version, now + expiry.root);
                (version, sign(root, &keys))
            }
        }
    };
    write_synced(
        &metadata.join(format!("{root_version}.root.json")),
        &root_bytes,
    )?;
    write_synced(&metadata.join("root.json"), &root_bytes)?;

    let next = |f: fn(&State) -> u64| state.as_ref().map_or(1, |s| f(s) + 1);
    let targets_version = next(|s| s.targets.version);
    let snapshot_version = next(|s| s.snapshot_version);
    let timestamp_version = next(|s| s.timestamp_version);
    let targets_bytes = sign(
        Targets {
            kind: "targets".into(),
            spec_version: SPEC_VERSION.into(),
            version: targets_version,
            expires: tuf_time(now + expiry.targets),
            targets,
        },
        &[active],
    );
    write_synced(
        &metadata.join(format!("{targets_version}.targets.json")),
        &targets_bytes,
    )?;
    let snapshot_bytes = sign(
        Meta::new(
            "snapshot",
            snapshot_version,
            now + expiry.snapshot,
            "targets.json",
            MetaInfo::of(targets_version, &targets_bytes),
        ),
        &[active],
    );
    write_synced(
        &metadata.join(format!("{snapshot_version}.snapshot.json")),
        &snapshot_bytes,
    )?;
    let timestamp_expires = now + expiry.timestamp;
    let timestamp_bytes = sign(
        Meta::new(
            "timestamp",
            timestamp_version,
            timestamp_expires,
            "snapshot.json",
            MetaInfo::of(snapshot_version, &snapshot_bytes),
        ),
        &[active],
    );
    write_synced(&metadata.join("timestamp.json"), &timestamp_bytes)?;
    if let Some(st) = &state {
        carry_recent(&st.generation, &staged, snapshot_version, targets_version)?;
    }
    sync_dirs(&staged)?;
    let generation = layout.commit(&staged, timestamp_version)?;
    Ok(Published {
        changed: true,
        root_version,
        targets_version,
        snapshot_version,
        timestamp_version,
        generation,
        timestamp_expires: whole_seconds(timestamp_expires),
    })
}

/// Publishes the current tree again with only `timestamp.json` re-signed: version + 1 and a new
/// expiry. Run it (from cron, say) well before [`Published::timestamp_expires`].
pub fn refresh_timestamp(
    out: &Path,
    signers: &Signers,
    expiry: &Expiry,
    now: DateTime<Utc>,
) -> Result<Published, TufError> {
    let layout = Layout::new(out)?;
    let _lock = layout.lock()?;
    let state = layout
        .current()?
        .map(read_state)
        .transpose()?
        .ok_or_else(|| TufError::NothingPublished(out.to_owned()))?;
    let staged = layout.stage()?;
    copy_tree(&state.generation, &staged)?;
    let metadata = staged.join("metadata");
    let snapshot_path = metadata.join(format!("{}.snapshot.json", state.snapshot_version));
    let snapshot_bytes = fs::read(&snapshot_path).map_err(io(&snapshot_path))?;
    let version = state.timestamp_version + 1;
    let expires = now + expiry.timestamp;
    let bytes = sign(
        Meta::new(
            "timestamp",
            version,
            expires,
            "snapshot.json",
            MetaInfo::of(state.snapshot_version, &snapshot_bytes),
        ),
        &[&signers.active],
    );
    let timestamp = metadata.join("timestamp.json");
    // The copy is a hard link: replace it, never write through it into the live generation.
    fs::remove_file(&timestamp).map_err(io(&timestamp))?;
    write_synced(&timestamp, &bytes)?;
    sync_dirs(&staged)?;
    let generation = layout.commit(&staged, version)?;
    Ok(Published {
        timestamp_version: version,
        generation,
        timestamp_expires: whole_seconds(expires),
        ..state.published(true)
    })
}

/// Versions of snapshot and targets metadata (and the targets they list) a generation still
/// holds besides its own: a client that read the previous `timestamp.json` just before the
/// swap fetches the versioned files it names from the new generation, and finds them.
const CARRIED_VERSIONS: u64 = 2;

/// Hard-links the previous generation's recent versioned metadata, and every target the carried
/// targets metadata lists, into the staged generation.
fn carry_recent(
    previous: &Path,
    staged: &Path,
    snapshot_version: u64,
    targets_version: u64,
) -> Result<(), TufError> {
    let from = previous.join("metadata");
    let to = staged.join("metadata");
    let mut carried_targets = Vec::new();
    for entry in fs::read_dir(&from).map_err(io(&from))? {
        let entry = entry.map_err(io(&from))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some((version, role)) = name
            .split_once('.')
            .and_then(|(v, rest)| Some((v.parse::<u64>().ok()?, rest)))
        else {
            continue;
        };
        let newest = match role {
            "snapshot.json" => snapshot_version,
            "targets.json" => targets_version,
            _ => continue,
        };
        if version >= newest || version + CARRIED_VERSIONS < newest {
            continue;
        }
        let target = to.join(&name);
        fs::hard_link(entry.path(), &target).map_err(io(&target))?;
        if role == "targets.json" {
            carried_targets.push(read_signed::<Targets>(&entry.path())?);
        }
    }
    for targets in carried_targets {
        for (path, info) in &targets.targets {
            let hashed = hashed_path(path, info.sha256());
            let source = previous.join("targets").join(&hashed);
            let target = staged.join("targets").join(&hashed);
            if target.exists() || !source.exists() {
                continue;
            }
            if let Some(dir) = target.parent() {
                fs::create_dir_all(dir).map_err(io(dir))?;
            }
            fs::hard_link(&source, &target).map_err(io(&target))?;
        }
    }
    Ok(())
}

/// Hard-links every file of `from` into `to` (the same bytes, no copy).
fn copy_tree(from: &Path, to: &Path) -> Result<(), TufError> {
    for entry in fs::read_dir(from).map_err(io(from))? {
        let entry = entry.map_err(io(from))?;
        let target = to.join(entry.file_name());
        if entry.file_type().map_err(io(entry.path()))?.is_dir() {
            fs::create_dir_all(&target).map_err(io(&target))?;
            copy_tree(&entry.path(), &target)?;
        } else {
            fs::hard_link(entry.path(), &target).map_err(io(&target))?;
        }
    }
    Ok(())
}
