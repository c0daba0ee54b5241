//! Producer ID allocation for InitProducerId: unique for the life of the cluster, across
//! restarts. IDs are reserved in blocks; the end of the reserved block is persisted before any
//! ID of it is handed out, so a crash may skip IDs but never reuses one.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// IDs reserved per write of the block file.
const BLOCK_SIZE: i64 = 1000;

struct Block {
    next: i64,
    end: i64,
}

/// Hands out producer IDs.
pub struct ProducerIdAllocator {
    path: PathBuf,
    block: Mutex<Block>,
}

impl ProducerIdAllocator {
    /// Opens the allocator whose state lives in `<metadata_dir>/producer-id-block`.
    pub fn open(metadata_dir: &Path) -> std::io::Result<Self> {
        fs::create_dir_all(metadata_dir)?;
        let path = metadata_dir.join("producer-id-block");
        let reserved_end = match fs::read_to_string(&path) {
            Ok(text) => text.trim().parse::<i64>().map_err(|e| {
                std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!("{}: {e}", path.display()),
                )
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => 0,
            Err(e) => return Err(e),
        };
        Ok(ProducerIdAllocator {
            path,
            // Everything below the persisted end may have been handed out before.
            block: Mutex::new(Block {
                next: reserved_end,
                end: reserved_end,
            }),
        })
    }

    /// The next unused producer ID.
    pub fn next_id(&self) -> std::io::Result<i64> {
        let mut block = self.block.lock().unwrap_or_else(|p| p.into_inner());
        if block.next >= block.end {
            let end = block.end + BLOCK_SIZE;
            persist(&self.path, end)?;
            block.end = end;
        }
        let id = block.next;
        block.next += 1;
        Ok(id)
    }
}

fn persist(path: &Path, end: i64) -> std::io::Result<()> {
    let tmp = path.with_extension("tmp");
    {
        let mut f = fs::File::create(&tmp)?;
        writeln!(f, "{end}")?;
        f.sync_all()?;
    }
    fs::rename(&tmp, path)?;
    if let Some(dir) = path.parent() {
        crate::topic_store::sync_dir(dir)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_across_reopens() {
        let dir = tempfile::tempdir().unwrap();
        let a = ProducerIdAllocator::open(dir.path()).unwrap();
        assert_eq!(a.next_id().unwrap(), 0);
        assert_eq!(a.next_id().unwrap(), 1);
        drop(a);
        let b = ProducerIdAllocator::open(dir.path()).unwrap();
        // The first block was reserved up to 1000, so the reopened allocator starts there.
        assert_eq!(b.next_id().unwrap(), BLOCK_SIZE);
        for _ in 0..BLOCK_SIZE {
            b.next_id().unwrap();
        }
        assert_eq!(b.next_id().unwrap(), 2 * BLOCK_SIZE + 1);
    }
}
