//! Small positional-I/O helpers shared by segments, indexes and fetches.

use std::fs::File;
use std::io::{self, IoSlice};
use std::os::unix::fs::FileExt;
use std::path::Path;

/// Reads into `buf` at `pos` until it is full or the file ends; returns the
/// number of bytes read (short only at end of file).
pub(crate) fn read_full_at(file: &File, buf: &mut [u8], pos: u64) -> io::Result<usize> {
    let mut done = 0;
    while done < buf.len() {
        let Some(dst) = buf.get_mut(done..) else {
            break;
        };
        match file.read_at(dst, pos + done as u64) {
            Ok(0) => break,
            Ok(n) => done += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(done)
}

/// Writes `parts` one after another starting at `pos` with `pwritev` (at most IOV_MAX pieces
/// per call), so an append of patched batch headers and the client's unchanged record bytes
/// needs neither a contiguous copy nor a seek.
#[allow(unsafe_code)]
pub(crate) fn write_all_vectored_at(file: &File, parts: &[&[u8]], pos: u64) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    const IOV_MAX: usize = 1024;
    let mut slices: Vec<IoSlice<'_>> = parts
        .iter()
        .filter(|p| !p.is_empty())
        .map(|p| IoSlice::new(p))
        .collect();
    let mut remaining: &mut [IoSlice<'_>] = &mut slices;
    let mut at = pos;
    while !remaining.is_empty() {
        let offset = libc::off_t::try_from(at)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "file position too large"))?;
        let count = remaining.len().min(IOV_MAX) as libc::c_int;
        // SAFETY: IoSlice is ABI-compatible with iovec on Unix (std guarantees it), and the
        // slices borrow buffers that outlive the call; pwritev only reads them.
        let n =
            unsafe { libc::pwritev(file.as_raw_fd(), remaining.as_ptr().cast(), count, offset) };
        match n {
            0 => return Err(io::ErrorKind::WriteZero.into()),
            n if n > 0 => {
                at += n as u64;
                IoSlice::advance_slices(&mut remaining, n as usize);
            }
            _ => {
                let e = io::Error::last_os_error();
                if e.kind() != io::ErrorKind::Interrupted {
                    return Err(e);
                }
            }
        }
    }
    Ok(())
}

/// Reads up to `len` bytes at `pos` into a new vector without zero-filling it first (fetches
/// read megabytes at a time); short only at end of file.
#[allow(unsafe_code)]
pub(crate) fn read_at_most(file: &File, pos: u64, len: usize) -> io::Result<Vec<u8>> {
    use std::os::fd::AsRawFd;
    let mut buf = Vec::<u8>::with_capacity(len);
    while buf.len() < len {
        let filled = buf.len();
        let at = libc::off_t::try_from(pos + filled as u64)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "file position too large"))?;
        let spare = &mut buf.spare_capacity_mut()[..len - filled];
        // SAFETY: pread writes at most `spare.len()` bytes into the vector's spare capacity,
        // which we own; only the bytes it reports written are added to the length below.
        let n =
            unsafe { libc::pread(file.as_raw_fd(), spare.as_mut_ptr().cast(), spare.len(), at) };
        match n {
            0 => break,
            n if n > 0 => {
                // SAFETY: the first `n` spare bytes were just initialised by pread.
                unsafe { buf.set_len(filled + n as usize) }
            }
            _ => {
                let e = io::Error::last_os_error();
                if e.kind() != io::ErrorKind::Interrupted {
                    return Err(e);
                }
            }
        }
    }
    Ok(buf)
}

/// Reads exactly `len` bytes at `pos` into a new vector; a short file is an
/// `UnexpectedEof` error.
pub(crate) fn read_exact_vec(file: &File, pos: u64, len: usize) -> io::Result<Vec<u8>> {
    let mut buf = vec![0u8; len];
    let n = read_full_at(file, &mut buf, pos)?;
    if n != len {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            format!("wanted {len} bytes at position {pos}, file ended after {n}"),
        ));
    }
    Ok(buf)
}

/// fsyncs a directory so that file creations, renames and deletions in it
/// survive a crash.
pub(crate) fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Removes a file, treating "already gone" as success.
pub(crate) fn remove_if_exists(path: &Path) -> io::Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// More pieces than one pwritev takes, at an offset into the file: every byte lands in
    /// order, and unwritten gaps before it stay zero.
    #[test]
    fn vectored_writes_span_iov_max_and_land_at_the_position() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&path)
            .unwrap();
        let pieces: Vec<Vec<u8>> = (0..3000u32)
            .map(|i| vec![(i % 251) as u8; (i % 7) as usize])
            .collect();
        let parts: Vec<&[u8]> = pieces.iter().map(|p| p.as_slice()).collect();
        write_all_vectored_at(&file, &parts, 100).unwrap();
        let expected: Vec<u8> = pieces.concat();
        let back = std::fs::read(&path).unwrap();
        assert_eq!(back.len(), 100 + expected.len());
        assert!(back[..100].iter().all(|b| *b == 0));
        assert_eq!(&back[100..], expected.as_slice());
        assert_eq!(
            read_at_most(&file, 100, expected.len() + 50).unwrap(),
            expected
        );
        assert_eq!(
            read_at_most(&file, 103, 4).unwrap(),
            expected[3..7].to_vec()
        );
    }
}
