//! DescribeCluster: the cluster ID, controller and brokers (this one).

use kafka_protocol::messages::describe_cluster_response::DescribeClusterBroker;
use kafka_protocol::messages::{BrokerId, DescribeClusterRequest, DescribeClusterResponse};
use kafka_protocol::ResponseError;

use super::str_bytes;
use crate::broker::Broker;
use crate::dispatch::ConnectionContext;

/// Endpoint type asking for brokers (the only kind Arus has).
const ENDPOINT_BROKERS: i8 = 1;
/// "Not requested" value of authorized operations.
const OPS_NOT_REQUESTED: i32 = i32::MIN;
/// Cluster operations allowed without authorization, as Kafka's bit field: CREATE, ALTER,
/// DESCRIBE, CLUSTER_ACTION, DESCRIBE_CONFIGS, ALTER_CONFIGS, IDEMPOTENT_WRITE, ALTER…
const ALL_CLUSTER_OPERATIONS: i32 =
    (1 << 4) | (1 << 7) | (1 << 8) | (1 << 9) | (1 << 10) | (1 << 11) | (1 << 12);

/// Answers DescribeCluster.
pub fn handle(
    broker: &Broker,
    ctx: &ConnectionContext,
    request: DescribeClusterRequest,
) -> DescribeClusterResponse {
    let base = DescribeClusterResponse::default()
        .with_endpoint_type(request.endpoint_type)
        .with_cluster_id(str_bytes(&broker.cluster_id))
        .with_controller_id(BrokerId(broker.node_id))
        .with_cluster_authorized_operations(if request.include_cluster_authorized_operations {
            ALL_CLUSTER_OPERATIONS
        } else {
            OPS_NOT_REQUESTED
        });
    if request.endpoint_type != ENDPOINT_BROKERS {
        return base
            .with_error_code(ResponseError::UnsupportedEndpointType.code())
            .with_error_message(Some(str_bytes("Arus has no separate controller endpoints")));
    }
    let brokers = broker
        .endpoint_for(&ctx.listener)
        .map(|e| {
            vec![DescribeClusterBroker::default()
                .with_broker_id(BrokerId(broker.node_id))
                .with_host(str_bytes(&e.host))
                .with_port(i32::from(e.port))]
        })
        .unwrap_or_default();
    base.with_brokers(brokers)
}
