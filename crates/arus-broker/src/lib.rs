//! The Arus broker: configuration, the Kafka protocol server and its request handlers.

pub mod config;
