//! Admin visibility into producers and transactions (KIP-664), as
//! `kafka-transactions.sh` uses it: DescribeProducers (a partition's active producers),
//! ListTransactions and DescribeTransactions (the coordinator's transactional IDs).

use kafka_protocol::messages::describe_producers_response::{
    PartitionResponse, ProducerState, TopicResponse,
};
use kafka_protocol::messages::describe_transactions_response::{self, TopicData};
use kafka_protocol::messages::list_transactions_response;
use kafka_protocol::messages::{
    DescribeProducersRequest, DescribeProducersResponse, DescribeTransactionsRequest,
    DescribeTransactionsResponse, ListTransactionsRequest, ListTransactionsResponse, ProducerId,
    TopicName, TransactionalId,
};
use kafka_protocol::ResponseError;
use regex::Regex;

use super::str_bytes;
use crate::broker::{now_ms, Broker};

/// DescribeProducers: per partition, the producers its log knows, with their last sequence
/// and the start of their open transaction (-1 when none).
pub fn describe_producers(
    broker: &Broker,
    request: DescribeProducersRequest,
) -> DescribeProducersResponse {
    let topics = request
        .topics
        .into_iter()
        .map(|t| {
            let topic = broker.catalog.topic(&t.name);
            let partitions = t
                .partition_indexes
                .iter()
                .map(|&index| {
                    let response = PartitionResponse::default().with_partition_index(index);
                    let Some(p) = topic.as_ref().and_then(|t| t.partition(index)) else {
                        return response
                            .with_error_code(ResponseError::UnknownTopicOrPartition.code());
                    };
                    let log = p.log();
                    let producers = log
                        .producer_state()
                        .producers()
                        .into_iter()
                        .map(|(id, e)| {
                            ProducerState::default()
                                .with_producer_id(ProducerId(id))
                                .with_producer_epoch(i32::from(e.epoch))
                                .with_last_sequence(e.last_seq())
                                .with_last_timestamp(e.last_timestamp)
                                .with_coordinator_epoch(e.coordinator_epoch)
                                .with_current_txn_start_offset(
                                    e.current_txn_first_offset.unwrap_or(-1),
                                )
                        })
                        .collect();
                    response.with_active_producers(producers)
                })
                .collect();
            TopicResponse::default()
                .with_name(t.name)
                .with_partitions(partitions)
        })
        .collect();
    DescribeProducersResponse::default().with_topics(topics)
}

/// ListTransactions: transactional IDs, filtered by state, producer ID, how long their
/// transaction has run (v1) and an ID pattern (v2).
pub fn list_transactions(
    broker: &Broker,
    request: ListTransactionsRequest,
) -> ListTransactionsResponse {
    const STATES: [&str; 8] = [
        "Empty",
        "Ongoing",
        "PrepareCommit",
        "PrepareAbort",
        "CompleteCommit",
        "CompleteAbort",
        "Dead",
        "PrepareEpochFence",
    ];
    let unknown: Vec<_> = request
        .state_filters
        .iter()
        .filter(|s| !STATES.contains(&s.as_str()))
        .cloned()
        .collect();
    let pattern = match request.transactional_id_pattern.as_deref() {
        Some(p) if !p.is_empty() => match Regex::new(&format!("^(?:{p})$")) {
            Ok(re) => Some(re),
            Err(_) => {
                return ListTransactionsResponse::default()
                    .with_error_code(ResponseError::InvalidRegularExpression.code())
            }
        },
        _ => None,
    };
    let now = now_ms();
    let states = broker.transactions.with(|c| {
        c.all()
            .into_iter()
            .filter(|m| {
                request.state_filters.is_empty()
                    || request
                        .state_filters
                        .iter()
                        .any(|s| s.as_str() == m.state.name())
            })
            .filter(|m| {
                request.producer_id_filters.is_empty()
                    || request
                        .producer_id_filters
                        .contains(&ProducerId(m.producer_id))
            })
            .filter(|m| {
                request.duration_filter < 0
                    || (m.start_ms >= 0 && now - m.start_ms >= request.duration_filter)
            })
            .filter(|m| {
                pattern
                    .as_ref()
                    .is_none_or(|re| re.is_match(&m.transactional_id))
            })
            .map(|m| {
                list_transactions_response::TransactionState::default()
                    .with_transactional_id(TransactionalId(str_bytes(&m.transactional_id)))
                    .with_producer_id(ProducerId(m.producer_id))
                    .with_transaction_state(str_bytes(m.state.name()))
            })
            .collect()
    });
    ListTransactionsResponse::default()
        .with_unknown_state_filters(unknown)
        .with_transaction_states(states)
}

/// DescribeTransactions: state, timeout, start time, producer and partitions of each ID;
/// TRANSACTIONAL_ID_NOT_FOUND for IDs the coordinator does not know.
pub fn describe_transactions(
    broker: &Broker,
    request: DescribeTransactionsRequest,
) -> DescribeTransactionsResponse {
    let states = broker.transactions.with(|c| {
        request
            .transactional_ids
            .into_iter()
            .map(|id| {
                let base = describe_transactions_response::TransactionState::default()
                    .with_transactional_id(id.clone());
                let Some(m) = c.get(&id) else {
                    return base.with_error_code(ResponseError::TransactionalIdNotFound.code());
                };
                let mut topics: Vec<TopicData> = Vec::new();
                for (topic, p) in &m.partitions {
                    match topics.last_mut() {
                        Some(t) if t.topic.0.as_str() == topic => t.partitions.push(*p),
                        _ => topics.push(
                            TopicData::default()
                                .with_topic(TopicName(str_bytes(topic)))
                                .with_partitions(vec![*p]),
                        ),
                    }
                }
                base.with_transaction_state(str_bytes(m.state.name()))
                    .with_transaction_timeout_ms(m.timeout_ms)
                    .with_transaction_start_time_ms(m.start_ms)
                    .with_producer_id(ProducerId(m.producer_id))
                    .with_producer_epoch(m.producer_epoch)
                    .with_topics(topics)
            })
            .collect()
    });
    DescribeTransactionsResponse::default().with_transaction_states(states)
}
