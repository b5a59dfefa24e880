//! Writing an output file safely: whole or not at all, never mixed with
//! another process's, never replacing what is not a regular file.
//!
//! - A regular destination (or a new one) is written under a temporary name
//!   unique to this process and this file (`.NAME.PID.N.tmp`), then renamed
//!   into place, so readers see the old file or the new one, never half.
//! - While it is written, the destination is locked (an advisory `flock` on
//!   `.NAME.lock` beside it): a second scalesim writing the same file is
//!   refused at once instead of racing the first.
//! - A symbolic link is written through: its target is replaced, the link
//!   kept. A character device or a pipe (`/dev/null`, `/dev/stdout`, a
//!   FIFO) is written in place, never replaced by a regular file; a block
//!   device, socket or directory is refused.
//! - Every temporary and lock file is registered while it exists, so a
//!   second Ctrl-C or SIGTERM, which exits at once, removes them too
//!   ([`remove_all`]); otherwise dropping the writer does.

use std::collections::BTreeSet;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// The temporaries and lock files this process has open, by path.
static LIVE: Mutex<BTreeSet<PathBuf>> = Mutex::new(BTreeSet::new());
/// Makes temporary names unique within the process.
static COUNTER: AtomicU64 = AtomicU64::new(0);

fn live() -> std::sync::MutexGuard<'static, BTreeSet<PathBuf>> {
    LIVE.lock().unwrap_or_else(|e| e.into_inner())
}

/// Removes every temporary and lock file still registered (the exit path
/// of a second signal; the writers themselves are not dropped then).
pub fn remove_all() {
    for path in std::mem::take(&mut *live()) {
        let _ = fs::remove_file(path);
    }
}

/// Paths still registered (tests: none once every writer is gone).
pub fn registered() -> Vec<PathBuf> {
    live().iter().cloned().collect()
}

/// A registered path, removed from disk and from the registry when dropped.
#[derive(Debug)]
struct Scratch(PathBuf);

impl Scratch {
    fn new(path: PathBuf) -> Scratch {
        live().insert(path.clone());
        Scratch(path)
    }
    /// Forgets the path without removing it (it was renamed away).
    fn keep(self) {
        live().remove(&self.0);
        std::mem::forget(self);
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.0);
        live().remove(&self.0);
    }
}

/// What a destination path is.
enum Kind {
    /// A regular file (perhaps not there yet), at this real path.
    Regular(PathBuf),
    /// A device or pipe: written in place.
    Stream,
}

fn refuse(what: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("is {what}; scalesim writes only regular files, devices and pipes"),
    )
}

fn kind(dest: &Path) -> io::Result<Kind> {
    let link = match fs::symlink_metadata(dest) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Kind::Regular(dest.to_path_buf())),
        Err(e) => return Err(e),
    };
    let meta = match fs::metadata(dest) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(refuse("a symbolic link to nothing")),
        Err(e) => return Err(e),
    };
    if meta.is_file() {
        let real = if link.file_type().is_symlink() { fs::canonicalize(dest)? } else { dest.to_path_buf() };
        return Ok(Kind::Regular(real));
    }
    if meta.is_dir() {
        return Err(refuse("a directory"));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let t = meta.file_type();
        if t.is_block_device() {
            return Err(refuse("a block device"));
        }
        if t.is_socket() {
            return Err(refuse("a socket"));
        }
    }
    Ok(Kind::Stream)
}

/// An advisory lock on `.NAME.lock` beside a destination, held while it is
/// written; the lock file is removed when the lock is let go.
#[derive(Debug)]
struct Lock {
    // Fields drop in order: the file is removed before the lock is let go,
    // so no one can take a lock on a file about to vanish.
    _scratch: Scratch,
    _file: File,
}

/// The error when another process holds a destination.
fn busy(dest: &Path) -> io::Error {
    io::Error::new(
        io::ErrorKind::ResourceBusy,
        format!(
            "another scalesim is writing '{}' right now; wait for it to finish or write elsewhere (--out)",
            dest.display()
        ),
    )
}

impl Lock {
    fn acquire(dest: &Path) -> io::Result<Lock> {
        let path = sibling(dest, "lock");
        // The holder removes the lock file before it lets go, so a lock
        // taken on a file that is no longer at the path is stale: retry.
        for _ in 0..8 {
            let file = OpenOptions::new().create(true).truncate(false).write(true).open(&path)?;
            match fs4::FileExt::try_lock(&file) {
                Ok(()) => {}
                Err(fs4::TryLockError::WouldBlock) => return Err(busy(dest)),
                Err(fs4::TryLockError::Error(e)) => return Err(e),
            }
            if same_file(&file, &path) {
                return Ok(Lock { _scratch: Scratch::new(path), _file: file });
            }
        }
        Err(busy(dest))
    }
}

#[cfg(unix)]
fn same_file(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn same_file(_: &File, path: &Path) -> bool {
    path.exists()
}

/// `dir/.NAME.SUFFIX` for `dir/NAME`.
fn sibling(dest: &Path, suffix: &str) -> PathBuf {
    let name = dest.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    dest.with_file_name(format!(".{name}.{suffix}"))
}

/// The directory a destination is in (created if missing).
fn parent(dest: &Path) -> io::Result<&Path> {
    let dir = dest.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    fs::create_dir_all(dir)?;
    Ok(dir)
}

enum State {
    /// Writing the temporary; renamed onto `dest` at commit.
    Temporary { dest: PathBuf, tmp: Scratch, _lock: Lock },
    /// Writing a device or pipe in place.
    InPlace,
}

/// A file written whole or not at all (see the module doc). Dropped before
/// [`AtomicFile::commit`], it leaves nothing behind.
pub struct AtomicFile {
    writer: BufWriter<File>,
    state: State,
}

impl AtomicFile {
    /// Starts writing `dest` (creating its directory).
    pub fn create(dest: &Path) -> io::Result<AtomicFile> {
        match kind(dest)? {
            Kind::Stream => {
                let file = OpenOptions::new().write(true).open(dest)?;
                Ok(AtomicFile { writer: BufWriter::new(file), state: State::InPlace })
            }
            Kind::Regular(real) => {
                parent(&real)?;
                let lock = Lock::acquire(&real)?;
                let n = COUNTER.fetch_add(1, Ordering::Relaxed);
                let tmp = sibling(&real, &format!("{}.{n}.tmp", std::process::id()));
                let file = OpenOptions::new().write(true).create_new(true).open(&tmp)?;
                let tmp = Scratch::new(tmp);
                Ok(AtomicFile {
                    writer: BufWriter::new(file),
                    state: State::Temporary { dest: real, tmp, _lock: lock },
                })
            }
        }
    }

    /// Whether the destination is a regular file (not a device or pipe):
    /// only then do files beside it (an aggregate) make sense.
    pub fn is_regular(&self) -> bool {
        matches!(self.state, State::Temporary { .. })
    }

    /// Flushes, and renames the temporary into place.
    pub fn commit(mut self) -> io::Result<()> {
        self.writer.flush()?;
        match self.state {
            State::InPlace => Ok(()),
            State::Temporary { dest, tmp, _lock } => {
                self.writer.get_ref().sync_all()?;
                fs::rename(&tmp.0, &dest)?;
                tmp.keep();
                Ok(())
            }
        }
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.writer.write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.writer.flush()
    }
}

/// Whether `dest` is, or would be, a regular file (see [`AtomicFile`]).
pub fn is_regular_target(dest: &Path) -> bool {
    matches!(kind(dest), Ok(Kind::Regular(_)))
}

/// Writes `bytes` to `dest` whole or not at all (see the module doc).
pub fn write(dest: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut file = AtomicFile::create(dest)?;
    file.write_all(bytes)?;
    file.commit()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("scalesim-atomic-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn listing(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> =
            fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        names.sort();
        names
    }

    #[test]
    fn a_file_appears_whole_at_commit_and_a_dropped_one_leaves_nothing() {
        let dir = scratch_dir("commit");
        let dest = dir.join("x.csv");
        let mut f = AtomicFile::create(&dest).unwrap();
        f.write_all(b"a,b\n").unwrap();
        assert!(!dest.exists());
        assert_eq!(listing(&dir).len(), 2, "a temporary and a lock: {:?}", listing(&dir));
        f.commit().unwrap();
        assert_eq!(fs::read_to_string(&dest).unwrap(), "a,b\n");
        assert_eq!(listing(&dir), ["x.csv"]);
        let mut f = AtomicFile::create(&dest).unwrap();
        f.write_all(b"half").unwrap();
        drop(f);
        assert_eq!(listing(&dir), ["x.csv"]);
        assert_eq!(fs::read_to_string(&dest).unwrap(), "a,b\n");
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_second_writer_of_the_same_file_is_refused_while_the_first_writes() {
        let dir = scratch_dir("busy");
        let dest = dir.join("x.csv");
        let first = AtomicFile::create(&dest).unwrap();
        let e = AtomicFile::create(&dest).err().unwrap();
        assert_eq!(e.kind(), io::ErrorKind::ResourceBusy);
        assert!(e.to_string().contains("another scalesim is writing"), "{e}");
        first.commit().unwrap();
        write(&dest, b"second\n").unwrap();
        assert_eq!(fs::read_to_string(&dest).unwrap(), "second\n");
        fs::remove_dir_all(&dir).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn links_are_written_through_and_devices_in_place() {
        let dir = scratch_dir("kinds");
        let target = dir.join("target.csv");
        fs::write(&target, "old\n").unwrap();
        let link = dir.join("link.csv");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        write(&link, b"new\n").unwrap();
        assert!(fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
        assert_eq!(fs::read_to_string(&target).unwrap(), "new\n");
        let dangling = dir.join("dangling.csv");
        std::os::unix::fs::symlink(dir.join("nothing"), &dangling).unwrap();
        assert!(write(&dangling, b"x").unwrap_err().to_string().contains("symbolic link to nothing"));
        let f = AtomicFile::create(Path::new("/dev/null")).unwrap();
        assert!(!f.is_regular());
        f.commit().unwrap();
        assert!(!fs::metadata("/dev/null").unwrap().is_file());
        assert!(write(&dir, b"x").unwrap_err().to_string().contains("is a directory"));
        fs::remove_dir_all(&dir).unwrap();
    }
}
