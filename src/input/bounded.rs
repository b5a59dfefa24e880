//! Reading input files with a bound: a scenario, model, manifest, events
//! file, trace, request log, metrics file or shard that names `/dev/zero`,
//! `/dev/urandom` or an endless pipe is refused with a clear error instead
//! of being read until memory runs out.
//!
//! A regular file is checked by its size before any byte is read; anything
//! else (a pipe such as bash's `<(…)`, a character device) is read up to the
//! limit and refused past it. The limit is [`DEFAULT_MIB`] MiB, raised (or
//! lowered) with the environment variable [`ENV`].

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

/// The environment variable that sets the limit, in MiB.
pub const ENV: &str = "SCALESIM_MAX_INPUT_MIB";

/// The default limit, in MiB: far above any scenario, model or trace (the
/// 87-day World Cup trace is a few MiB), below what hurts a laptop.
pub const DEFAULT_MIB: u64 = 1024;

/// The limit in bytes, from [`ENV`] if it holds a whole number of MiB.
pub fn limit() -> u64 {
    std::env::var(ENV).ok().and_then(|v| v.trim().parse::<u64>().ok()).unwrap_or(DEFAULT_MIB).saturating_mul(1 << 20)
}

fn too_large(what: &str, limit: u64) -> io::Error {
    io::Error::new(
        io::ErrorKind::FileTooLarge,
        format!(
            "{what} more than {} MiB, the most scalesim reads from one input (raise it with {ENV}=N, in MiB)",
            limit >> 20
        ),
    )
}

/// Opens `path` for a bounded read: a reader that fails past the limit.
pub fn open(path: &Path) -> io::Result<Reader> {
    open_with_limit(path, limit())
}

fn open_with_limit(path: &Path, limit: u64) -> io::Result<Reader> {
    let file = File::open(path)?;
    let meta = file.metadata()?;
    if meta.is_dir() {
        return Err(io::Error::new(io::ErrorKind::IsADirectory, "is a directory, not a file"));
    }
    if meta.is_file() && meta.len() > limit {
        return Err(too_large(&format!("it is {} MiB,", meta.len() >> 20), limit));
    }
    Ok(Bounded { inner: file, left: limit, limit })
}

/// A file opened by [`open`].
pub type Reader = Bounded<File>;

/// A reader that errs once it has given `limit` bytes and there are more.
#[derive(Debug)]
pub struct Bounded<R> {
    inner: R,
    left: u64,
    limit: u64,
}

impl<R: Read> Read for Bounded<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.left == 0 {
            // At the limit: only the end of the input is allowed.
            return match self.inner.read(&mut [0u8; 1])? {
                0 => Ok(0),
                _ => Err(too_large("it gives", self.limit)),
            };
        }
        let want = buf.len().min(usize::try_from(self.left).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..want])?;
        self.left -= n as u64;
        Ok(n)
    }
}

/// Reads a whole file into bytes, bounded (see the module doc).
pub fn read(path: &Path) -> io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    open(path)?.read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// Reads a whole UTF-8 file into a string, bounded (see the module doc).
///
/// A leading UTF-8 byte-order mark (Windows editors write one) is dropped:
/// it is not text, and YAML would read it as the start of a document.
pub fn read_to_string(path: &Path) -> io::Result<String> {
    let mut text = String::new();
    open(path)?.read_to_string(&mut text)?;
    if text.starts_with('\u{feff}') {
        text.drain(..'\u{feff}'.len_utf8());
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stream_is_cut_at_the_limit_and_a_short_one_is_read_whole() {
        let mut r = Bounded { inner: io::repeat(b'x'), left: 1 << 20, limit: 1 << 20 };
        let mut sink = Vec::new();
        let e = r.read_to_end(&mut sink).unwrap_err();
        assert_eq!(sink.len(), 1 << 20);
        assert!(e.to_string().contains("more than 1 MiB") && e.to_string().contains(ENV), "{e}");
        let mut r = Bounded { inner: &b"abc"[..], left: 3, limit: 3 };
        let mut s = String::new();
        r.read_to_string(&mut s).unwrap();
        assert_eq!(s, "abc");
    }

    #[cfg(unix)]
    #[test]
    fn dev_zero_is_refused_and_a_directory_is_named() {
        let mut sink = Vec::new();
        let e = open_with_limit(Path::new("/dev/zero"), 2 << 20).unwrap().read_to_end(&mut sink).unwrap_err();
        assert!(e.to_string().contains("more than 2 MiB"), "{e}");
        assert_eq!(sink.len(), 2 << 20);
        let e = read(Path::new("/")).unwrap_err();
        assert!(e.to_string().contains("is a directory"), "{e}");
    }
}
