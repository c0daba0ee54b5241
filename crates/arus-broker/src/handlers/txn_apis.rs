//! The transaction APIs a transactional producer uses: AddPartitionsToTxn (v0-3 one
//! transaction; v4 batched, as brokers send it), AddOffsetsToTxn and EndTxn. Each hands the
//! request to the transaction coordinator (crate `arus-coordinator`), whose output the
//! shell carries out (records, markers) before the answer goes back.

use kafka_protocol::messages::add_partitions_to_txn_request::{
    AddPartitionsToTxnTopic, AddPartitionsToTxnTransaction,
};
use kafka_protocol::messages::add_partitions_to_txn_response::{
    AddPartitionsToTxnPartitionResult, AddPartitionsToTxnResult, AddPartitionsToTxnTopicResult,
};
use kafka_protocol::messages::{
    AddOffsetsToTxnRequest, AddOffsetsToTxnResponse, AddPartitionsToTxnRequest,
    AddPartitionsToTxnResponse, EndTxnRequest, EndTxnResponse,
};
use kafka_protocol::ResponseError;

use crate::broker::Broker;
use crate::internal_topic::{self, CONSUMER_OFFSETS};

/// Kafka answered INVALID_PRODUCER_EPOCH to fenced producers before these versions
/// introduced PRODUCER_FENCED (KIP-588).
fn fenced_for(version: i16, first_with_fenced: i16, e: ResponseError) -> ResponseError {
    if e == ResponseError::ProducerFenced && version < first_with_fenced {
        ResponseError::InvalidProducerEpoch
    } else {
        e
    }
}

/// AddPartitionsToTxn.
pub fn add_partitions(
    broker: &Broker,
    version: i16,
    request: AddPartitionsToTxnRequest,
) -> AddPartitionsToTxnResponse {
    if version <= 3 {
        let mut t = AddPartitionsToTxnTransaction::default();
        t.transactional_id = request.v3_and_below_transactional_id;
        t.producer_id = request.v3_and_below_producer_id;
        t.producer_epoch = request.v3_and_below_producer_epoch;
        t.topics = request.v3_and_below_topics;
        let result = add_one(broker, version, t);
        return AddPartitionsToTxnResponse::default()
            .with_results_by_topic_v3_and_below(result.topic_results);
    }
    let results = request
        .transactions
        .into_iter()
        .map(|t| add_one(broker, version, t))
        .collect();
    AddPartitionsToTxnResponse::default().with_results_by_transaction(results)
}

fn add_one(
    broker: &Broker,
    version: i16,
    t: AddPartitionsToTxnTransaction,
) -> AddPartitionsToTxnResult {
    let id = t.transactional_id.0.to_string();
    let wanted: Vec<(String, i32)> = t
        .topics
        .iter()
        .flat_map(|topic| {
            topic
                .partitions
                .iter()
                .map(move |p| (topic.name.0.to_string(), *p))
        })
        .collect();
    let exists = |(topic, p): &(String, i32)| {
        broker
            .catalog
            .topic(topic)
            .is_some_and(|t| !t.is_internal() && t.partition(*p).is_some())
    };
    // As Kafka: unknown partitions fail, and the others are then not attempted.
    let outcome: Result<(), ResponseError> = if !wanted.iter().all(exists) {
        Err(ResponseError::OperationNotAttempted)
    } else if t.verify_only {
        let ok = broker.transactions.with(|c| {
            wanted.iter().all(|(topic, p)| {
                c.partition_in_transaction(t.producer_id.0, t.producer_epoch, topic, *p)
            })
        });
        if ok {
            Ok(())
        } else {
            Err(ResponseError::InvalidTxnState)
        }
    } else {
        broker.transactions.apply(broker, |c, now| {
            c.add_partitions(&id, t.producer_id.0, t.producer_epoch, &wanted, now)
        })
    };
    let code_for = |tp: &(String, i32)| match &outcome {
        Ok(()) => 0,
        Err(ResponseError::OperationNotAttempted) if !exists(tp) => {
            ResponseError::UnknownTopicOrPartition.code()
        }
        Err(e) => fenced_for(version, 2, *e).code(),
    };
    let topic_results = t
        .topics
        .iter()
        .map(|topic: &AddPartitionsToTxnTopic| {
            AddPartitionsToTxnTopicResult::default()
                .with_name(topic.name.clone())
                .with_results_by_partition(
                    topic
                        .partitions
                        .iter()
                        .map(|p| {
                            AddPartitionsToTxnPartitionResult::default()
                                .with_partition_index(*p)
                                .with_partition_error_code(code_for(&(
                                    topic.name.0.to_string(),
                                    *p,
                                )))
                        })
                        .collect(),
                )
        })
        .collect();
    AddPartitionsToTxnResult::default()
        .with_transactional_id(t.transactional_id)
        .with_topic_results(topic_results)
}

/// AddOffsetsToTxn: adds the group's `__consumer_offsets` partition to the transaction, so
/// its TxnOffsetCommits are committed or aborted with it.
pub fn add_offsets(
    broker: &Broker,
    version: i16,
    request: AddOffsetsToTxnRequest,
) -> AddOffsetsToTxnResponse {
    let offsets = match internal_topic::consumer_offsets(&broker.catalog, &broker.config) {
        Ok(t) => t,
        Err(e) => {
            tracing::error!(error = %e, "cannot create {CONSUMER_OFFSETS}");
            return AddOffsetsToTxnResponse::default()
                .with_error_code(ResponseError::CoordinatorNotAvailable.code());
        }
    };
    let partition =
        arus_coordinator::partition_for(&request.group_id, offsets.partitions.len() as i32);
    let id = request.transactional_id.0.to_string();
    let result = broker.transactions.apply(broker, |c, now| {
        c.add_partitions(
            &id,
            request.producer_id.0,
            request.producer_epoch,
            &[(CONSUMER_OFFSETS.to_string(), partition)],
            now,
        )
    });
    AddOffsetsToTxnResponse::default()
        .with_error_code(result.err().map_or(0, |e| fenced_for(version, 2, e).code()))
}

/// EndTxn: commits or aborts; answered once every marker is written.
pub fn end_txn(broker: &Broker, version: i16, request: EndTxnRequest) -> EndTxnResponse {
    let id = request.transactional_id.0.to_string();
    let result = broker.transactions.apply(broker, |c, now| {
        c.end_txn(
            &id,
            request.producer_id.0,
            request.producer_epoch,
            request.committed,
            now,
        )
    });
    EndTxnResponse::default()
        .with_error_code(result.err().map_or(0, |e| fenced_for(version, 2, e).code()))
        .with_producer_id(request.producer_id)
        .with_producer_epoch(request.producer_epoch)
}
