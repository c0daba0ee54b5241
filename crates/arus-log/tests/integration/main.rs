//! Integration tests of the arus-log public API (one test binary).

mod common;

mod compaction;

mod append_read;
mod idempotence;
mod model;
mod recovery;
mod retention;
mod roll_index;
mod timestamps;
mod transactions;
mod validation;
