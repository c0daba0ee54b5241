//! DescribeLogDirs: each log dir with its partitions' sizes, and (v4) the disk's space.

use kafka_protocol::messages::describe_log_dirs_response::{
    DescribeLogDirsPartition, DescribeLogDirsResult, DescribeLogDirsTopic,
};
use kafka_protocol::messages::{DescribeLogDirsRequest, DescribeLogDirsResponse, TopicName};

use super::str_bytes;
use crate::broker::Broker;

/// Answers DescribeLogDirs.
pub fn handle(broker: &Broker, request: DescribeLogDirsRequest) -> DescribeLogDirsResponse {
    let wanted = |topic: &str, partition: i32| match &request.topics {
        None => true,
        Some(list) => list
            .iter()
            .any(|t| t.topic.0.as_str() == topic && t.partitions.contains(&partition)),
    };
    let topics = broker.catalog.topics();
    let results = broker
        .catalog
        .log_dirs()
        .iter()
        .map(|dir| {
            let mut out: Vec<DescribeLogDirsTopic> = Vec::new();
            for topic in &topics {
                let partitions: Vec<DescribeLogDirsPartition> = topic
                    .partitions
                    .iter()
                    .filter(|p| p.log_dir == dir.path && wanted(&topic.name, p.index))
                    .map(|p| {
                        DescribeLogDirsPartition::default()
                            .with_partition_index(p.index)
                            .with_partition_size(p.size_bytes() as i64)
                            .with_offset_lag(0)
                            .with_is_future_key(false)
                    })
                    .collect();
                if !partitions.is_empty() {
                    out.push(
                        DescribeLogDirsTopic::default()
                            .with_name(TopicName(str_bytes(&topic.name)))
                            .with_partitions(partitions),
                    );
                }
            }
            let (total, usable) = dir.disk_space().unwrap_or((-1, -1));
            DescribeLogDirsResult::default()
                .with_log_dir(str_bytes(&dir.path.to_string_lossy()))
                .with_topics(out)
                .with_total_bytes(total)
                .with_usable_bytes(usable)
        })
        .collect();
    DescribeLogDirsResponse::default().with_results(results)
}
