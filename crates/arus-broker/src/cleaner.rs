//! The log cleaner service (`log.cleaner.enable`): `log.cleaner.threads` background threads
//! that repeatedly pick the dirtiest compacted partition — the one with the largest share of
//! cleanable dirty bytes at or above its `min.cleanable.dirty.ratio`, or any whose
//! `max.compaction.lag.ms` has passed — and run one cleaning pass on it (the storage crate's
//! `Log::clean`). With nothing to clean a thread sleeps `log.cleaner.backoff.ms`.
//!
//! A pass holds the partition's lock, so produce and fetch on that one partition wait for it;
//! other partitions are unaffected.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use arus_log::CleanerConfig;
use tracing::{error, info};

use crate::broker::{now_ms, Broker};
use crate::partition::Partition;

/// Partitions a cleaner thread is working on, so two threads never pick the same one.
static IN_PROGRESS: Mutex<Option<HashSet<(String, i32)>>> = Mutex::new(None);

/// Starts the cleaner threads unless `log.cleaner.enable=false`.
pub fn spawn(broker: Arc<Broker>) {
    if !broker.config.log_cleaner_enable() {
        info!("log cleaner disabled (log.cleaner.enable=false)");
        return;
    }
    let threads = broker.config.log_cleaner_threads().max(1);
    let config = CleanerConfig {
        // The dedupe buffer is shared by all threads, as in Kafka.
        dedupe_buffer_bytes: usize::try_from(broker.config.log_cleaner_dedupe_buffer_size())
            .unwrap_or(usize::MAX)
            / threads as usize,
        io_buffer_bytes: usize::try_from(broker.config.log_cleaner_io_buffer_size())
            .unwrap_or(512 * 1024),
    };
    let backoff = Duration::from_millis(broker.config.log_cleaner_backoff_ms().max(1) as u64);
    for i in 0..threads {
        let broker = broker.clone();
        let spawned = std::thread::Builder::new()
            .name(format!("arus-cleaner-{i}"))
            .spawn(move || loop {
                if broker.is_shutting_down() {
                    return;
                }
                if !clean_dirtiest(&broker, &config) {
                    // Sleep in short steps so shutdown is not held up by the backoff.
                    let mut left = backoff;
                    while !left.is_zero() && !broker.is_shutting_down() {
                        let step = left.min(Duration::from_millis(200));
                        std::thread::sleep(step);
                        left -= step;
                    }
                }
            });
        if let Err(e) = spawned {
            error!(error = %e, "could not start a log cleaner thread");
        }
    }
}

/// Runs one pass on the dirtiest cleanable partition; false when there was none.
pub fn clean_dirtiest(broker: &Broker, config: &CleanerConfig) -> bool {
    let now = now_ms();
    let Some(partition) = pick(broker, now) else {
        return false;
    };
    let key = (partition.topic.clone(), partition.index);
    let result = partition.log().clean(now, config);
    in_progress(|set| {
        set.remove(&key);
    });
    match result {
        // The pass logs itself (partition directory, offsets, sizes, duration).
        Ok(Some(_)) => true,
        Ok(None) => false,
        Err(e) => {
            error!(topic = %partition.topic, partition = partition.index, error = %e, "cleaning failed");
            false
        }
    }
}

fn in_progress<R>(f: impl FnOnce(&mut HashSet<(String, i32)>) -> R) -> R {
    let mut guard = IN_PROGRESS.lock().unwrap_or_else(|p| p.into_inner());
    f(guard.get_or_insert_with(HashSet::new))
}

/// The most urgent partition to clean, claimed for this thread.
fn pick(broker: &Broker, now: i64) -> Option<Arc<Partition>> {
    let mut best: Option<(bool, f64, Arc<Partition>)> = None;
    for p in broker.catalog.partitions() {
        let (overdue, ratio) = {
            let log = p.log();
            // Overdue covers tombstones past their delete horizon, which a log with no new
            // dirty data (ratio None) still needs a pass to remove.
            let overdue = log.compaction_overdue(now);
            let ratio = log.cleanable_ratio(now);
            match ratio {
                _ if overdue => (true, ratio.unwrap_or(0.0)),
                Some(r) if r >= log.config().min_cleanable_dirty_ratio => (false, r),
                _ => continue,
            }
        };
        let better = match &best {
            None => true,
            // Overdue logs first, then the dirtiest.
            Some((o, r, _)) => (overdue, ratio) > (*o, *r),
        };
        if better && !in_progress(|set| set.contains(&(p.topic.clone(), p.index))) {
            best = Some((overdue, ratio, p.clone()));
        }
    }
    let (_, _, p) = best?;
    let claimed = in_progress(|set| set.insert((p.topic.clone(), p.index)));
    claimed.then_some(p)
}
