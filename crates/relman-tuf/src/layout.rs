//! Where generations live and how one becomes the published tree in a single `rename(2)`.
//!
//! `out` is a symlink to `<parent>/.<name>.generations/<N>`. A new generation is written whole
//! into a staging folder, synced, renamed to its number, and then a fresh symlink is renamed over
//! `out`: a reader that resolves `out` sees the previous complete tree or the new one.

use std::fs::{self, File};
use std::io::Write as _;
use std::path::{Path, PathBuf};

use crate::error::{TufError, io};

/// Generations kept after a publish: the new one and two before it, so that a reader that
/// resolved `out` a moment ago can finish reading.
const KEPT_GENERATIONS: usize = 3;

pub(crate) struct Layout {
    out: PathBuf,
    parent: PathBuf,
    name: String,
    generations: PathBuf,
}

/// Holds the exporter lock of one output; released on drop.
pub(crate) struct ExportLock(#[allow(dead_code, reason = "held for its lock")] File);

impl Layout {
    pub(crate) fn new(out: &Path) -> Result<Self, TufError> {
        let name = out
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or_else(|| TufError::NotAnExport(out.to_owned()))?
            .to_owned();
        let parent = match out.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
            _ => PathBuf::from("."),
        };
        fs::create_dir_all(&parent).map_err(io(&parent))?;
        let generations = parent.join(format!(".{name}.generations"));
        Ok(Self {
            out: out.to_owned(),
            parent,
            name,
            generations,
        })
    }

    /// One exporter at a time per output, across processes.
    pub(crate) fn lock(&self) -> Result<ExportLock, TufError> {
        let path = self.parent.join(format!(".{}.lock", self.name));
        let file = File::create(&path).map_err(io(&path))?;
        file.lock().map_err(io(&path))?;
        Ok(ExportLock(file))
    }

    /// The published generation's folder, if something is published.
    pub(crate) fn current(&self) -> Result<Option<PathBuf>, TufError> {
        let meta = match fs::symlink_metadata(&self.out) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io(&self.out)(e)),
        };
        if meta.file_type().is_symlink() {
            let target = fs::read_link(&self.out).map_err(io(&self.out))?;
            return Ok(Some(self.parent.join(target)));
        }
        if meta.is_dir() && self.is_empty_dir()? {
            return Ok(None);
        }
        Err(TufError::NotAnExport(self.out.clone()))
    }

    fn is_empty_dir(&self) -> Result<bool, TufError> {
        Ok(fs::read_dir(&self.out)
            .map_err(io(&self.out))?
            .next()
            .is_none())
    }

    /// A fresh, empty staging folder beside the generations.
    pub(crate) fn stage(&self) -> Result<PathBuf, TufError> {
        fs::create_dir_all(&self.generations).map_err(io(&self.generations))?;
        let path = self
            .generations
            .join(format!(".staging-{}", random_suffix()));
        fs::create_dir(&path).map_err(io(&path))?;
        Ok(path)
    }

    /// Makes the staged folder generation `number` and publishes it; prunes old generations.
    pub(crate) fn commit(&self, staged: &Path, number: u64) -> Result<PathBuf, TufError> {
        let generation = self.generations.join(number.to_string());
        if generation.exists() {
            // Left by an export that stopped before its swap: never published.
            fs::remove_dir_all(&generation).map_err(io(&generation))?;
        }
        fs::rename(staged, &generation).map_err(io(&generation))?;
        sync_dir(&self.generations)?;
        let link = self
            .parent
            .join(format!(".{}.link-{}", self.name, random_suffix()));
        let target = PathBuf::from(format!(".{}.generations", self.name)).join(number.to_string());
        std::os::unix::fs::symlink(&target, &link).map_err(io(&link))?;
        if fs::symlink_metadata(&self.out).is_ok_and(|m| m.is_dir()) {
            // An empty folder the operator made: nothing was published in it.
            fs::remove_dir(&self.out).map_err(io(&self.out))?;
        }
        fs::rename(&link, &self.out).map_err(io(&self.out))?;
        sync_dir(&self.parent)?;
        self.prune(number)?;
        Ok(generation)
    }

    fn prune(&self, newest: u64) -> Result<(), TufError> {
        let mut numbers: Vec<u64> = fs::read_dir(&self.generations)
            .map_err(io(&self.generations))?
            .filter_map(Result::ok)
            .filter_map(|e| e.file_name().to_str()?.parse().ok())
            .filter(|n| *n <= newest)
            .collect();
        numbers.sort_unstable_by(|a, b| b.cmp(a));
        for old in numbers.into_iter().skip(KEPT_GENERATIONS) {
            let path = self.generations.join(old.to_string());
            fs::remove_dir_all(&path).map_err(io(&path))?;
        }
        Ok(())
    }
}

fn random_suffix() -> String {
    let mut bytes = [0u8; 8];
    // A clash only makes the create fail loudly; the clock is a fine fallback.
    if getrandom::fill(&mut bytes).is_err() {
        bytes = chrono::Utc::now()
            .timestamp_nanos_opt()
            .unwrap_or_default()
            .to_be_bytes();
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Writes `bytes` to `path` (making its folders) and syncs it to disk.
pub(crate) fn write_synced(path: &Path, bytes: &[u8]) -> Result<(), TufError> {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).map_err(io(dir))?;
    }
    let mut file = File::create(path).map_err(io(path))?;
    file.write_all(bytes).map_err(io(path))?;
    file.sync_all().map_err(io(path))
}

fn sync_dir(path: &Path) -> Result<(), TufError> {
    File::open(path)
        .and_then(|d| d.sync_all())
        .map_err(io(path))
}

/// Syncs every folder under `root` (and `root`), so that a generation's entries are on disk
/// before it is published.
pub(crate) fn sync_dirs(root: &Path) -> Result<(), TufError> {
    for entry in fs::read_dir(root).map_err(io(root))? {
        let entry = entry.map_err(io(root))?;
        if entry.file_type().map_err(io(entry.path()))?.is_dir() {
            sync_dirs(&entry.path())?;
        }
    }
    sync_dir(root)
}
