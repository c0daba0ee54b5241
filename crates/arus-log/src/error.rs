//! Error types of the storage engine, each mapped to the Kafka error code a
//! broker should put in its response.

use std::io;

use thiserror::Error;

/// Kafka error code OFFSET_OUT_OF_RANGE.
pub const OFFSET_OUT_OF_RANGE: i16 = 1;
/// Kafka error code CORRUPT_MESSAGE.
pub const CORRUPT_MESSAGE: i16 = 2;
/// Kafka error code MESSAGE_TOO_LARGE.
pub const MESSAGE_TOO_LARGE: i16 = 10;
/// Kafka error code KAFKA_STORAGE_ERROR.
pub const KAFKA_STORAGE_ERROR: i16 = 56;
/// Kafka error code OUT_OF_ORDER_SEQUENCE_NUMBER.
pub const OUT_OF_ORDER_SEQUENCE_NUMBER: i16 = 45;
/// Kafka error code INVALID_PRODUCER_EPOCH.
pub const INVALID_PRODUCER_EPOCH: i16 = 47;
/// Kafka error code INVALID_TXN_STATE.
pub const INVALID_TXN_STATE: i16 = 48;
/// Kafka error code TRANSACTION_COORDINATOR_FENCED.
pub const TRANSACTION_COORDINATOR_FENCED: i16 = 52;
/// Kafka error code INVALID_RECORD.
pub const INVALID_RECORD: i16 = 87;

/// Why an append (a produce request's records for one partition) was
/// rejected. Nothing is written to the log when an append fails validation.
#[derive(Debug, Error)]
pub enum AppendError {
    /// The bytes are not a well-formed sequence of record batches: truncated,
    /// impossible length, or CRC mismatch (Kafka CORRUPT_MESSAGE).
    #[error("corrupt message: {0}")]
    CorruptMessage(String),
    /// The batches are well-formed but not acceptable: wrong magic, unknown
    /// compression codec, inconsistent record count (Kafka INVALID_RECORD).
    #[error("invalid record: {0}")]
    InvalidRecord(String),
    /// A batch is larger than the topic's max.message.bytes (Kafka
    /// MESSAGE_TOO_LARGE).
    #[error("message too large: {0}")]
    MessageTooLarge(String),
    /// An idempotent producer's batch does not continue its sequence (Kafka
    /// OUT_OF_ORDER_SEQUENCE_NUMBER).
    #[error("out of order sequence: {0}")]
    OutOfOrderSequence(String),
    /// An idempotent producer wrote with an epoch older than its current one: a
    /// zombie (Kafka INVALID_PRODUCER_EPOCH).
    #[error("invalid producer epoch: {0}")]
    InvalidProducerEpoch(String),
    /// A producer with an open transaction in the partition wrote a non-transactional
    /// batch (Kafka INVALID_TXN_STATE).
    #[error("invalid transaction state: {0}")]
    InvalidTxnState(String),
    /// A transaction marker came from a coordinator older than one that already wrote a
    /// marker for this producer (Kafka TRANSACTION_COORDINATOR_FENCED).
    #[error("transaction coordinator fenced: {0}")]
    TransactionCoordinatorFenced(String),
    /// The disk failed us (Kafka KAFKA_STORAGE_ERROR).
    #[error("storage error: {0}")]
    Io(#[from] io::Error),
}

impl AppendError {
    /// The Kafka protocol error code to answer the producer with.
    pub fn kafka_error_code(&self) -> i16 {
        match self {
            AppendError::CorruptMessage(_) => CORRUPT_MESSAGE,
            AppendError::InvalidRecord(_) => INVALID_RECORD,
            AppendError::MessageTooLarge(_) => MESSAGE_TOO_LARGE,
            AppendError::OutOfOrderSequence(_) => OUT_OF_ORDER_SEQUENCE_NUMBER,
            AppendError::InvalidProducerEpoch(_) => INVALID_PRODUCER_EPOCH,
            AppendError::InvalidTxnState(_) => INVALID_TXN_STATE,
            AppendError::TransactionCoordinatorFenced(_) => TRANSACTION_COORDINATOR_FENCED,
            AppendError::Io(_) => KAFKA_STORAGE_ERROR,
        }
    }
}

/// Errors of log operations other than append (open, read, retention, ...).
#[derive(Debug, Error)]
pub enum LogError {
    /// The requested offset is outside what the log can serve (Kafka
    /// OFFSET_OUT_OF_RANGE).
    #[error("offset {offset} is out of range: log holds [{log_start}, {log_end})")]
    OffsetOutOfRange {
        /// The offset that was asked for.
        offset: i64,
        /// The log start offset at the time of the request.
        log_start: i64,
        /// The upper bound that applied (log end offset, or the high
        /// watermark for DeleteRecords).
        log_end: i64,
    },
    /// Data read back from disk could not be decoded (Kafka CORRUPT_MESSAGE).
    #[error("corrupt log data: {0}")]
    Corrupt(String),
    /// The disk failed us (Kafka KAFKA_STORAGE_ERROR).
    #[error("storage error: {0}")]
    Io(#[from] io::Error),
}

impl LogError {
    /// The Kafka protocol error code to answer the client with.
    pub fn kafka_error_code(&self) -> i16 {
        match self {
            LogError::OffsetOutOfRange { .. } => OFFSET_OUT_OF_RANGE,
            LogError::Corrupt(_) => CORRUPT_MESSAGE,
            LogError::Io(_) => KAFKA_STORAGE_ERROR,
        }
    }
}
