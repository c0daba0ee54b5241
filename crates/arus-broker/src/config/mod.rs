//! Broker and topic configuration.
