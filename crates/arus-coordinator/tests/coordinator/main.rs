//! Coordinator scenarios driven with explicit time.

mod admin;
mod harness;
mod join_sync;
mod leave;
mod offsets;
mod replay;
mod static_members;
