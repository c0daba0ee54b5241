//! ApiVersions: which APIs and versions this broker implements.

use kafka_protocol::messages::api_versions_response::ApiVersion;
use kafka_protocol::messages::*;
use kafka_protocol::protocol::{Message, VersionRange};
use kafka_protocol::ResponseError;

/// The APIs Arus implements, each for every version the protocol crate can encode.
/// Nothing is listed that is not implemented for all of its versions.
const IMPLEMENTED: &[ApiKey] = &[
    ApiKey::Produce,
    ApiKey::Fetch,
    ApiKey::ListOffsets,
    ApiKey::Metadata,
    ApiKey::OffsetCommit,
    ApiKey::OffsetFetch,
    ApiKey::FindCoordinator,
    ApiKey::JoinGroup,
    ApiKey::Heartbeat,
    ApiKey::LeaveGroup,
    ApiKey::SyncGroup,
    ApiKey::DescribeGroups,
    ApiKey::ListGroups,
    ApiKey::ApiVersions,
    ApiKey::CreateTopics,
    ApiKey::DeleteTopics,
    ApiKey::DeleteRecords,
    ApiKey::InitProducerId,
    ApiKey::DescribeConfigs,
    ApiKey::AlterConfigs,
    ApiKey::DescribeLogDirs,
    ApiKey::CreatePartitions,
    ApiKey::DeleteGroups,
    ApiKey::IncrementalAlterConfigs,
    ApiKey::OffsetDelete,
    ApiKey::DescribeCluster,
    ApiKey::ConsumerGroupHeartbeat,
    ApiKey::ConsumerGroupDescribe,
    ApiKey::AddPartitionsToTxn,
    ApiKey::AddOffsetsToTxn,
    ApiKey::EndTxn,
    ApiKey::TxnOffsetCommit,
    ApiKey::DescribeProducers,
    ApiKey::DescribeTransactions,
    ApiKey::ListTransactions,
];

/// The advertised version range of an API, or None if Arus does not implement it.
pub fn supported(key: ApiKey) -> Option<VersionRange> {
    IMPLEMENTED.contains(&key).then(|| codec_versions(key))
}

/// Versions the protocol crate can both decode the request and encode the response of.
/// (Its per-key table can be wider than its message codecs: InitProducerId lists v6 while
/// the request codec stops at v5.)
fn codec_versions(key: ApiKey) -> VersionRange {
    fn both<Req: Message, Resp: Message>() -> VersionRange {
        Req::VERSIONS.intersect(&Resp::VERSIONS)
    }
    let codecs = match key {
        ApiKey::Produce => both::<ProduceRequest, ProduceResponse>(),
        ApiKey::Fetch => both::<FetchRequest, FetchResponse>(),
        ApiKey::ListOffsets => both::<ListOffsetsRequest, ListOffsetsResponse>(),
        ApiKey::Metadata => both::<MetadataRequest, MetadataResponse>(),
        ApiKey::FindCoordinator => both::<FindCoordinatorRequest, FindCoordinatorResponse>(),
        ApiKey::OffsetCommit => both::<OffsetCommitRequest, OffsetCommitResponse>(),
        ApiKey::OffsetFetch => both::<OffsetFetchRequest, OffsetFetchResponse>(),
        ApiKey::JoinGroup => both::<JoinGroupRequest, JoinGroupResponse>(),
        ApiKey::Heartbeat => both::<HeartbeatRequest, HeartbeatResponse>(),
        ApiKey::LeaveGroup => both::<LeaveGroupRequest, LeaveGroupResponse>(),
        ApiKey::SyncGroup => both::<SyncGroupRequest, SyncGroupResponse>(),
        ApiKey::DescribeGroups => both::<DescribeGroupsRequest, DescribeGroupsResponse>(),
        ApiKey::ListGroups => both::<ListGroupsRequest, ListGroupsResponse>(),
        ApiKey::DeleteGroups => both::<DeleteGroupsRequest, DeleteGroupsResponse>(),
        ApiKey::OffsetDelete => both::<OffsetDeleteRequest, OffsetDeleteResponse>(),
        ApiKey::ApiVersions => both::<ApiVersionsRequest, ApiVersionsResponse>(),
        ApiKey::CreateTopics => both::<CreateTopicsRequest, CreateTopicsResponse>(),
        ApiKey::DeleteTopics => both::<DeleteTopicsRequest, DeleteTopicsResponse>(),
        ApiKey::DeleteRecords => both::<DeleteRecordsRequest, DeleteRecordsResponse>(),
        ApiKey::InitProducerId => both::<InitProducerIdRequest, InitProducerIdResponse>(),
        ApiKey::DescribeConfigs => both::<DescribeConfigsRequest, DescribeConfigsResponse>(),
        ApiKey::AlterConfigs => both::<AlterConfigsRequest, AlterConfigsResponse>(),
        ApiKey::DescribeLogDirs => both::<DescribeLogDirsRequest, DescribeLogDirsResponse>(),
        ApiKey::CreatePartitions => both::<CreatePartitionsRequest, CreatePartitionsResponse>(),
        ApiKey::IncrementalAlterConfigs => {
            both::<IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponse>()
        }
        ApiKey::DescribeCluster => both::<DescribeClusterRequest, DescribeClusterResponse>(),
        ApiKey::ConsumerGroupHeartbeat => {
            both::<ConsumerGroupHeartbeatRequest, ConsumerGroupHeartbeatResponse>()
        }
        ApiKey::ConsumerGroupDescribe => {
            both::<ConsumerGroupDescribeRequest, ConsumerGroupDescribeResponse>()
        }
        ApiKey::AddPartitionsToTxn => {
            both::<AddPartitionsToTxnRequest, AddPartitionsToTxnResponse>()
        }
        ApiKey::AddOffsetsToTxn => both::<AddOffsetsToTxnRequest, AddOffsetsToTxnResponse>(),
        ApiKey::EndTxn => both::<EndTxnRequest, EndTxnResponse>(),
        ApiKey::TxnOffsetCommit => both::<TxnOffsetCommitRequest, TxnOffsetCommitResponse>(),
        ApiKey::DescribeProducers => both::<DescribeProducersRequest, DescribeProducersResponse>(),
        ApiKey::DescribeTransactions => {
            both::<DescribeTransactionsRequest, DescribeTransactionsResponse>()
        }
        ApiKey::ListTransactions => both::<ListTransactionsRequest, ListTransactionsResponse>(),
        _ => VersionRange { min: 0, max: -1 },
    };
    codecs
        .intersect(&key.valid_versions())
        .intersect(&implemented_versions(key))
}

/// Where Arus implements fewer versions than the codecs know: OffsetCommit v10 and
/// OffsetFetch v10 name topics by ID, which the group coordinator does not handle yet; the
/// last version of each transaction API belongs to KIP-890's transactions v2 (implicit
/// partition addition, an epoch bump per transaction), which is not implemented, and
/// AddPartitionsToTxn v4 is the broker-to-coordinator form.
fn implemented_versions(key: ApiKey) -> VersionRange {
    match key {
        ApiKey::OffsetCommit | ApiKey::OffsetFetch => VersionRange { min: 0, max: 9 },
        ApiKey::AddPartitionsToTxn => VersionRange { min: 0, max: 4 },
        ApiKey::EndTxn | ApiKey::TxnOffsetCommit => VersionRange { min: 0, max: 4 },
        ApiKey::AddOffsetsToTxn => VersionRange { min: 0, max: 3 },
        _ => VersionRange {
            min: 0,
            max: i16::MAX,
        },
    }
}

fn api_list() -> Vec<ApiVersion> {
    IMPLEMENTED
        .iter()
        .map(|key| {
            let range = codec_versions(*key);
            ApiVersion::default()
                .with_api_key(*key as i16)
                .with_min_version(range.min)
                .with_max_version(range.max)
        })
        .collect()
}

/// Answers ApiVersions.
pub fn handle(_request: ApiVersionsRequest) -> ApiVersionsResponse {
    ApiVersionsResponse::default().with_api_keys(api_list())
}

/// The answer to an ApiVersions request of a version newer than ours: UNSUPPORTED_VERSION
/// with our API list, encoded as v0 so any client can read it.
pub fn unsupported_version_response() -> ResponseKind {
    ResponseKind::ApiVersions(
        ApiVersionsResponse::default()
            .with_error_code(ResponseError::UnsupportedVersion.code())
            .with_api_keys(api_list()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advertises_only_implemented_apis() {
        let resp = handle(ApiVersionsRequest::default());
        let keys: Vec<i16> = resp.api_keys.iter().map(|a| a.api_key).collect();
        assert_eq!(
            keys,
            vec![
                0, 1, 2, 3, 8, 9, 10, 11, 12, 13, 14, 15, 16, 18, 19, 20, 21, 22, 32, 33, 35, 37,
                42, 44, 47, 60, 68, 69, 24, 25, 26, 28, 61, 65, 66
            ]
        );
        assert_eq!(
            supported(ApiKey::ConsumerGroupHeartbeat),
            Some(VersionRange { min: 0, max: 1 })
        );
        assert_eq!(
            supported(ApiKey::ConsumerGroupDescribe),
            Some(VersionRange { min: 0, max: 1 })
        );
        assert!(supported(ApiKey::ShareGroupHeartbeat).is_none());
        assert_eq!(
            supported(ApiKey::OffsetCommit),
            Some(VersionRange { min: 2, max: 9 })
        );
        assert_eq!(
            supported(ApiKey::Produce),
            Some(VersionRange { min: 3, max: 13 })
        );
    }
}
