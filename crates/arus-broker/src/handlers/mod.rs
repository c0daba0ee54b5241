//! One module per Kafka API, each shaped alike: take the decoded request, act on the broker
//! state, return the response for the requested version.

pub mod alter_configs;
pub mod api_versions;
pub mod create_partitions;
pub mod create_topics;
pub mod delete_records;
pub mod delete_topics;
pub mod describe_cluster;
pub mod describe_configs;
pub mod describe_log_dirs;
pub mod fetch;
pub mod find_coordinator;
pub mod group_apis;
pub mod init_producer_id;
pub mod list_offsets;
pub mod metadata;
pub mod produce;
pub mod txn_admin;
pub mod txn_apis;

use std::collections::HashSet;
use std::hash::Hash;

use kafka_protocol::protocol::StrBytes;

/// A protocol string from a Rust string.
pub fn str_bytes(s: &str) -> StrBytes {
    StrBytes::from_string(s.to_string())
}

/// The items that appear more than once: Kafka refuses every copy of a topic or resource
/// named twice in one admin request.
pub fn repeated<T: Eq + Hash + Clone>(items: impl IntoIterator<Item = T>) -> HashSet<T> {
    let mut seen = HashSet::new();
    items
        .into_iter()
        .filter(|item| !seen.insert(item.clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_finds_each_duplicate_once() {
        let dup = repeated(["a", "b", "a", "c", "a", "b"]);
        let mut dup: Vec<_> = dup.into_iter().collect();
        dup.sort();
        assert_eq!(dup, vec!["a", "b"]);
        assert!(repeated(["x", "y"]).is_empty());
    }
}
