//! Arus storage engine: Kafka-compatible partition logs.
//!
//! A partition is a directory of segments named by base offset
//! (`00000000000000000000.log`, `.index`, `.timeindex`, `.txnindex`) holding
//! Kafka v2 record batches exactly as they go over the wire, so fetches are
//! served by copying byte ranges. Idempotent and transactional producers are
//! tracked per partition (sequences, open transactions, last stable offset). Logs with
//! `cleanup.policy=compact` are compacted by [`Log::clean`], pass by pass. [`Log`] is the
//! per-partition entry point; the
//! checkpoint helpers read and write Kafka's log-dir bookkeeping files.

#![warn(missing_docs)]

mod batch;
mod checkpoint;
mod clean_shutdown;
mod cleaner;
mod compact_batch;
mod config;
mod error;
mod fetch;
mod filenames;
mod index_file;
mod io_util;
mod leader_epoch;
mod log;
mod offset_index;
mod offset_lookup;
mod offset_map;
mod producer_state;
mod recovery;
mod retention;
mod scan;
mod segment;
mod segment_index;
mod swap;
mod time_index;
mod timestamp_search;
mod transactions;
mod txn_index;
mod txn_marker;

pub use batch::{
    compute_crc, parse_header, peek_batch_length, rewrite_batch, validate_batches, BatchHeader,
    BatchInfo, ValidatedBatches, BATCH_HEADER_SIZE, LOG_OVERHEAD, MAGIC_V2, MAX_COMPRESSION_CODEC,
    MIN_BATCH_LENGTH,
};
pub use checkpoint::{
    read_checkpoint, write_checkpoint, LOG_START_OFFSET_CHECKPOINT_FILE,
    RECOVERY_POINT_CHECKPOINT_FILE, REPLICATION_OFFSET_CHECKPOINT_FILE,
};
pub use clean_shutdown::{
    clear_clean_shutdown, has_clean_shutdown, mark_clean_shutdown, CLEAN_SHUTDOWN_FILE,
};
pub use cleaner::{CleanStats, CleanerConfig};
pub use config::{CleanupPolicy, LogConfig, TimestampType};
pub use error::{
    AppendError, LogError, CORRUPT_MESSAGE, INVALID_PRODUCER_EPOCH, INVALID_RECORD,
    INVALID_TXN_STATE, KAFKA_STORAGE_ERROR, MESSAGE_TOO_LARGE, OFFSET_OUT_OF_RANGE,
    OUT_OF_ORDER_SEQUENCE_NUMBER, TRANSACTION_COORDINATOR_FENCED,
};
pub use fetch::{FetchSlice, FileRange};
pub use filenames::{INDEX_SUFFIX, LOG_SUFFIX, TIME_INDEX_SUFFIX, TXN_INDEX_SUFFIX};
pub use leader_epoch::{EpochEntry, LeaderEpochCache, LEADER_EPOCH_CHECKPOINT_FILE};
pub use log::{AppendInfo, Log};
pub use producer_state::{
    BatchMetadata, ProducerBatch, ProducerEntry, ProducerStateManager, SequenceCheck,
    SNAPSHOT_SUFFIX,
};
pub use recovery::RecoveryHint;
pub use txn_index::AbortedTxn;
pub use txn_marker::TxnMarker;
