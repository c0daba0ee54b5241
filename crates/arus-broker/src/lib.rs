//! The Arus broker: configuration, the Kafka protocol server, request handlers, and the
//! catalog of hosted topics and their partition logs.

pub mod alloc_guard;
pub mod background;
pub mod broker;
pub mod catalog;
pub mod cleaner;
pub mod config;
pub mod connection;
pub mod dispatch;
pub mod fetch_session;
pub mod groups;
pub mod handlers;
pub mod internal_topic;
pub mod log_config;
pub mod log_dirs;
pub mod malloc_tuning;
pub mod metrics;
pub mod partition;
pub mod producer_ids;
pub mod response_buf;
pub mod server;
pub mod topic_name;
pub mod topic_store;
pub mod transactions;
