//! Coordinator scenarios driven with explicit time.

mod admin;
mod consumer;
mod consumer_admin;
mod consumer_harness;
mod harness;
mod join_sync;
mod leave;
mod offsets;
mod replay;
mod static_members;
mod txn_offsets;
