//! `arus consumer-groups`: kafka-consumer-groups.sh — list, describe (offsets and lag,
//! members, state), delete groups, delete offsets and reset offsets, with Kafka's flags,
//! messages and column layout.
//!
//! It talks to the brokers through [`super::wire`] (ListGroups, DescribeGroups or
//! ConsumerGroupDescribe, OffsetFetch, ListOffsets, OffsetCommit, OffsetDelete,
//! DeleteGroups) so it works against any Kafka broker.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;
use std::path::PathBuf;

use bytes::{Buf, Bytes};
use clap::Args;
use kafka_protocol::messages::consumer_protocol_assignment::ConsumerProtocolAssignment;
use kafka_protocol::messages::list_offsets_request::{ListOffsetsPartition, ListOffsetsTopic};
use kafka_protocol::messages::offset_commit_request::{
    OffsetCommitRequestPartition, OffsetCommitRequestTopic,
};
use kafka_protocol::messages::offset_delete_request::{
    OffsetDeleteRequestPartition, OffsetDeleteRequestTopic,
};
use kafka_protocol::messages::offset_fetch_request::OffsetFetchRequestGroup;
use kafka_protocol::messages::{
    BrokerId, ConsumerGroupDescribeRequest, DeleteGroupsRequest, DescribeGroupsRequest, GroupId,
    ListGroupsRequest, ListOffsetsRequest, OffsetCommitRequest, OffsetDeleteRequest,
    OffsetFetchRequest, TopicName,
};
use kafka_protocol::protocol::{Decodable, Message, StrBytes};

use super::datetime::{parse_datetime, parse_duration};
use super::wire::{describe as error_text, Cluster, Node};
use super::{fail, ToolError, ToolResult};

const MISSING: &str = "-";
const GROUP_ID_NOT_FOUND: i16 = 69;

#[derive(Args, Debug)]
pub struct GroupsArgs {
    /// REQUIRED: the server(s) to connect to (host:port[,host:port...]).
    #[arg(long = "bootstrap-server", value_name = "SERVER")]
    pub bootstrap_server: Option<String>,
    /// List all consumer groups.
    #[arg(long)]
    pub list: bool,
    /// Describe consumer group(s): offsets and lag (default), --members or --state.
    #[arg(long)]
    pub describe: bool,
    /// Delete consumer group(s).
    #[arg(long)]
    pub delete: bool,
    /// Delete the committed offsets of a group for --topic.
    #[arg(long = "delete-offsets")]
    pub delete_offsets: bool,
    /// Reset the committed offsets of inactive group(s); a dry run unless --execute.
    #[arg(long = "reset-offsets")]
    pub reset_offsets: bool,
    /// The consumer group (repeatable).
    #[arg(long, value_name = "GROUP")]
    pub group: Vec<String>,
    /// Apply to all consumer groups.
    #[arg(long = "all-groups")]
    pub all_groups: bool,
    /// The topic, or `topic:0,1` for some partitions (repeatable).
    #[arg(long, value_name = "TOPIC")]
    pub topic: Vec<String>,
    /// Reset offsets of every topic the group has committed offsets for.
    #[arg(long = "all-topics")]
    pub all_topics: bool,
    /// With --describe: list the group's members.
    #[arg(long)]
    pub members: bool,
    /// With --describe: list offsets and lag per partition (the default).
    #[arg(long)]
    pub offsets: bool,
    /// With --describe: the group's state. With --list: show states, or only groups in the
    /// given comma-separated states.
    #[arg(long, value_name = "STATES", num_args = 0..=1, default_missing_value = "")]
    pub state: Option<String>,
    /// With --describe --members: show each member's partitions.
    #[arg(long)]
    pub verbose: bool,
    /// Only show the result of a reset (the default).
    #[arg(long = "dry-run")]
    pub dry_run: bool,
    /// Apply the reset.
    #[arg(long)]
    pub execute: bool,
    /// Print the reset plan as CSV (topic,partition,offset; with the group first when more
    /// than one group is named).
    #[arg(long)]
    pub export: bool,
    /// Reset to the earliest offset.
    #[arg(long = "to-earliest")]
    pub to_earliest: bool,
    /// Reset to the latest offset.
    #[arg(long = "to-latest")]
    pub to_latest: bool,
    /// Reset to the current committed offset (the log end where there is none).
    #[arg(long = "to-current")]
    pub to_current: bool,
    /// Reset to this offset (clamped to the partition's range).
    #[arg(long = "to-offset", value_name = "OFFSET", allow_hyphen_values = true)]
    pub to_offset: Option<i64>,
    /// Shift the committed offset by N (negative moves back).
    #[arg(long = "shift-by", value_name = "N", allow_hyphen_values = true)]
    pub shift_by: Option<i64>,
    /// Reset to the first offset at or after a time: YYYY-MM-DDTHH:mm:SS.sss[zone].
    #[arg(long = "to-datetime", value_name = "DATETIME")]
    pub to_datetime: Option<String>,
    /// Reset to the first offset at or after now minus an ISO-8601 duration (PnDTnHnMnS).
    #[arg(long = "by-duration", value_name = "DURATION")]
    pub by_duration: Option<String>,
    /// Reset to the offsets in a CSV file written by --export.
    #[arg(long = "from-file", value_name = "FILE")]
    pub from_file: Option<PathBuf>,
    /// Client properties file (only PLAINTEXT connections are supported by this tool).
    #[arg(long = "command-config", value_name = "FILE")]
    pub command_config: Option<String>,
}

/// Runs the command; prints what Kafka prints and returns the process exit code.
pub fn run(args: GroupsArgs) -> i32 {
    match execute(&args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("Error: {e}");
            1
        }
    }
}

fn execute(args: &GroupsArgs) -> ToolResult<i32> {
    let actions = [
        args.list,
        args.describe,
        args.delete,
        args.reset_offsets,
        args.delete_offsets,
    ];
    if actions.iter().filter(|a| **a).count() != 1 {
        return fail("Command must include exactly one action: --list, --describe, --delete, --reset-offsets, --delete-offsets");
    }
    let Some(bootstrap) = args.bootstrap_server.as_deref() else {
        return fail("Missing required argument \"[bootstrap-server]\"");
    };
    if let Some(path) = &args.command_config {
        super::wire::check_plaintext_only(path)?;
    }
    let needs_groups = args.describe || args.delete || args.reset_offsets;
    if needs_groups && args.group.is_empty() && !args.all_groups {
        return fail("Option [describe], [delete] and [reset-offsets] take one of these options: [all-groups], [group]");
    }
    if args.delete_offsets && (args.group.len() != 1 || args.topic.is_empty()) {
        return fail("Option [delete-offsets] takes the following options: [group], [topic]");
    }
    let plan = if args.reset_offsets {
        Some(ResetPlan::from_args(args)?)
    } else {
        None
    };
    let mut cluster = Cluster::connect(bootstrap)?;
    if args.list {
        return list(&mut cluster, args);
    }
    let groups = if args.all_groups {
        list_groups(&mut cluster)?
            .into_iter()
            .map(|g| g.id)
            .collect()
    } else {
        args.group.clone()
    };
    if args.describe {
        describe(&mut cluster, args, &groups)
    } else if args.delete {
        delete(&mut cluster, &groups)
    } else if let Some(plan) = plan {
        reset(&mut cluster, args, &plan, &groups)
    } else {
        delete_offsets(&mut cluster, &args.group[0], &args.topic)
    }
}

// ---------------------------------------------------------------- list

struct Listed {
    id: String,
    state: String,
}

/// Kafka's consumer group states, as the tool prints them.
const STATES: &[&str] = &[
    "PreparingRebalance",
    "CompletingRebalance",
    "Stable",
    "Dead",
    "Empty",
    "Assigning",
    "Reconciling",
];

/// A state string as a broker sends it (classic "Stable", KIP-848 "stable"), in Kafka's
/// spelling.
fn canonical_state(s: &str) -> String {
    STATES
        .iter()
        .find(|k| k.eq_ignore_ascii_case(s))
        .map(|k| k.to_string())
        .unwrap_or_else(|| "Unknown".to_string())
}

/// Consumer groups (protocol type `consumer` or empty) of every broker, sorted by id.
fn list_groups(cluster: &mut Cluster) -> ToolResult<Vec<Listed>> {
    let mut out = BTreeMap::new();
    for id in cluster.broker_ids()? {
        let resp = cluster.node(id)?.call(&ListGroupsRequest::default())?;
        super::wire::check(resp.error_code, "ListGroups")?;
        for g in resp.groups {
            let protocol = g.protocol_type.as_str();
            if protocol.is_empty() || protocol == "consumer" {
                out.insert(g.group_id.0.to_string(), canonical_state(&g.group_state));
            }
        }
    }
    Ok(out
        .into_iter()
        .map(|(id, state)| Listed { id, state })
        .collect())
}

fn list(cluster: &mut Cluster, args: &GroupsArgs) -> ToolResult<i32> {
    let groups = list_groups(cluster)?;
    let Some(filter) = &args.state else {
        for g in groups {
            println!("{}", g.id);
        }
        return Ok(0);
    };
    let mut wanted = BTreeSet::new();
    for s in filter.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let state = canonical_state(s);
        if state == "Unknown" {
            return fail(format!(
                "Invalid state list '{filter}'. Valid states are: {}",
                STATES.join(", ")
            ));
        }
        wanted.insert(state);
    }
    let shown: Vec<&Listed> = groups
        .iter()
        .filter(|g| wanted.is_empty() || wanted.contains(&g.state))
        .collect();
    let width = shown.iter().map(|g| g.id.len().max(15)).max().unwrap_or(15) + 10;
    let mut out = format!("{:<width$} {:<20}\n", "GROUP", "STATE");
    for g in shown {
        let _ = writeln!(out, "{:<width$} {:<20}", g.id, g.state);
    }
    print!("{out}");
    Ok(0)
}

// ---------------------------------------------------------------- describe

struct Member {
    id: String,
    instance_id: Option<String>,
    client_id: String,
    host: String,
    /// Assigned (topic, partition)s, sorted.
    assignment: Vec<(String, i32)>,
}

struct Described {
    state: String,
    assignor: String,
    members: Vec<Member>,
    coordinator: Node,
}

/// Describes a group at its coordinator; `None` when it does not exist. KIP-848 groups are
/// described with ConsumerGroupDescribe, classic ones with DescribeGroups.
fn describe_group(cluster: &mut Cluster, group: &str) -> ToolResult<Option<Described>> {
    let coordinator = cluster.coordinator(group)?;
    let conn = cluster.node(coordinator.id)?;
    let gid = || GroupId(StrBytes::from_string(group.to_string()));
    if conn.version_of::<ConsumerGroupDescribeRequest>().is_ok() {
        let mut req = ConsumerGroupDescribeRequest::default();
        req.group_ids = vec![gid()];
        let resp = conn.call(&req)?;
        if let Some(g) = resp.groups.into_iter().next() {
            if g.error_code == 0 {
                let members = g
                    .members
                    .into_iter()
                    .map(|m| Member {
                        id: m.member_id.to_string(),
                        instance_id: m.instance_id.map(|s| s.to_string()),
                        client_id: m.client_id.to_string(),
                        host: m.client_host.to_string(),
                        assignment: sorted_pairs(m.assignment.topic_partitions.iter().flat_map(
                            |t| {
                                t.partitions
                                    .iter()
                                    .map(|p| (t.topic_name.0.to_string(), *p))
                            },
                        )),
                    })
                    .collect();
                return Ok(Some(Described {
                    state: canonical_state(&g.group_state),
                    assignor: g.assignor_name.to_string(),
                    members,
                    coordinator,
                }));
            }
            if g.error_code != GROUP_ID_NOT_FOUND {
                return fail(format!(
                    "cannot describe group '{group}': {}",
                    error_text(g.error_code)
                ));
            }
        }
    }
    let mut req = DescribeGroupsRequest::default();
    req.groups = vec![gid()];
    let resp = conn.call(&req)?;
    let Some(g) = resp.groups.into_iter().next() else {
        return fail(format!("cannot describe group '{group}': empty answer"));
    };
    if g.error_code == GROUP_ID_NOT_FOUND || g.group_state.as_str() == "Dead" {
        return Ok(None);
    }
    if g.error_code != 0 {
        return fail(format!(
            "cannot describe group '{group}': {}",
            error_text(g.error_code)
        ));
    }
    let protocol = g.protocol_type.as_str();
    if !protocol.is_empty() && protocol != "consumer" {
        return fail(format!("Group {group} is not a consumer group."));
    }
    let members = g
        .members
        .into_iter()
        .map(|m| Member {
            id: m.member_id.to_string(),
            instance_id: m.group_instance_id.map(|s| s.to_string()),
            client_id: m.client_id.to_string(),
            host: m.client_host.to_string(),
            assignment: decode_assignment(m.member_assignment),
        })
        .collect();
    Ok(Some(Described {
        state: canonical_state(&g.group_state),
        assignor: g.protocol_data.to_string(),
        members,
        coordinator,
    }))
}

/// A classic consumer's assignment (ConsumerProtocolAssignment, versioned by its first two
/// bytes); empty when absent or unreadable.
fn decode_assignment(mut bytes: Bytes) -> Vec<(String, i32)> {
    if bytes.len() < 2 {
        return Vec::new();
    }
    let version = bytes
        .get_i16()
        .min(ConsumerProtocolAssignment::VERSIONS.max);
    match ConsumerProtocolAssignment::decode(&mut bytes, version) {
        Ok(a) => sorted_pairs(
            a.assigned_partitions
                .iter()
                .flat_map(|t| t.partitions.iter().map(|p| (t.topic.0.to_string(), *p))),
        ),
        Err(_) => Vec::new(),
    }
}

fn sorted_pairs(it: impl Iterator<Item = (String, i32)>) -> Vec<(String, i32)> {
    let mut v: Vec<_> = it.collect();
    v.sort();
    v.dedup();
    v
}

type Tp = (String, i32);

/// The group's committed offsets (partitions without one are left out).
fn committed(
    cluster: &mut Cluster,
    coordinator: i32,
    group: &str,
) -> ToolResult<BTreeMap<Tp, i64>> {
    let conn = cluster.node(coordinator)?;
    let v = conn.version_of::<OffsetFetchRequest>()?;
    let mut req = OffsetFetchRequest::default();
    let gid = GroupId(StrBytes::from_string(group.to_string()));
    let mut out = BTreeMap::new();
    if v >= 8 {
        let mut g = OffsetFetchRequestGroup::default();
        g.group_id = gid;
        g.topics = None;
        req.groups = vec![g];
        let resp = conn.call(&req)?;
        for g in resp.groups {
            check_fetch(g.error_code, group)?;
            for t in g.topics {
                for p in t.partitions {
                    if p.error_code == 0 && p.committed_offset >= 0 {
                        out.insert(
                            (t.name.0.to_string(), p.partition_index),
                            p.committed_offset,
                        );
                    }
                }
            }
        }
    } else {
        req.group_id = gid;
        req.topics = None;
        let resp = conn.call(&req)?;
        check_fetch(resp.error_code, group)?;
        for t in resp.topics {
            for p in t.partitions {
                if p.error_code == 0 && p.committed_offset >= 0 {
                    out.insert(
                        (t.name.0.to_string(), p.partition_index),
                        p.committed_offset,
                    );
                }
            }
        }
    }
    Ok(out)
}

fn check_fetch(code: i16, group: &str) -> ToolResult<()> {
    if code == 0 || code == GROUP_ID_NOT_FOUND {
        return Ok(());
    }
    fail(format!(
        "cannot fetch the committed offsets of group '{group}': {}",
        error_text(code)
    ))
}

/// ListOffsets for `spec` (-1 latest, -2 earliest, else a timestamp) at each partition's
/// leader. Partitions the brokers cannot answer for (or with no offset at that time) are
/// left out.
fn list_offsets(cluster: &mut Cluster, parts: &[Tp], spec: i64) -> ToolResult<HashMap<Tp, i64>> {
    let mut out = HashMap::new();
    if parts.is_empty() {
        return Ok(out);
    }
    let topics: Vec<String> = parts
        .iter()
        .map(|(t, _)| t.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let meta = cluster.metadata(Some(&topics))?;
    let mut leaders: HashMap<Tp, i32> = HashMap::new();
    for t in &meta.topics {
        let Some(name) = &t.name else { continue };
        for p in &t.partitions {
            leaders.insert((name.0.to_string(), p.partition_index), p.leader_id.0);
        }
    }
    let mut by_leader: BTreeMap<i32, BTreeMap<String, Vec<i32>>> = BTreeMap::new();
    for (topic, partition) in parts {
        if let Some(leader) = leaders
            .get(&(topic.clone(), *partition))
            .filter(|l| **l >= 0)
        {
            by_leader
                .entry(*leader)
                .or_default()
                .entry(topic.clone())
                .or_default()
                .push(*partition);
        }
    }
    for (leader, topics) in by_leader {
        let mut req = ListOffsetsRequest::default();
        req.replica_id = BrokerId(-1);
        req.topics = topics
            .into_iter()
            .map(|(name, ps)| {
                let mut t = ListOffsetsTopic::default();
                t.name = TopicName(StrBytes::from_string(name));
                t.partitions = ps
                    .into_iter()
                    .map(|p| {
                        let mut lp = ListOffsetsPartition::default();
                        lp.partition_index = p;
                        lp.current_leader_epoch = -1;
                        lp.timestamp = spec;
                        lp
                    })
                    .collect();
                t
            })
            .collect();
        let resp = cluster.node(leader)?.call(&req)?;
        for t in resp.topics {
            for p in t.partitions {
                if p.error_code == 0 && p.offset >= 0 {
                    out.insert((t.name.0.to_string(), p.partition_index), p.offset);
                }
            }
        }
    }
    Ok(out)
}

/// Prints Kafka's note for a group's state; false when there is nothing to show.
fn show_state_note(group: &str, state: &str) {
    match state {
        "Empty" => eprintln!("\nConsumer group '{group}' has no active members."),
        "PreparingRebalance" | "CompletingRebalance" | "Assigning" | "Reconciling" => {
            eprintln!("\nWarning: Consumer group '{group}' is rebalancing.")
        }
        _ => {}
    }
}

fn describe(cluster: &mut Cluster, args: &GroupsArgs, groups: &[String]) -> ToolResult<i32> {
    let sub = [args.members, args.offsets, args.state.is_some()];
    if sub.iter().filter(|s| **s).count() > 1 {
        return fail(
            "Option [describe] takes at most one of these options: [members], [offsets], [state]",
        );
    }
    let mut sorted = groups.to_vec();
    sorted.sort();
    sorted.dedup();
    let mut status = 0;
    for group in &sorted {
        let Some(desc) = describe_group(cluster, group)? else {
            eprintln!("Error: Consumer group '{group}' does not exist.");
            status = 1;
            continue;
        };
        show_state_note(group, &desc.state);
        let out = if args.members {
            format_members(group, &desc, args.verbose)
        } else if args.state.is_some() {
            format_state(group, &desc)
        } else {
            let rows = offset_rows(cluster, group, &desc)?;
            format_offsets(group, &rows)
        };
        print!("{out}");
    }
    Ok(status)
}

struct OffsetRow {
    topic: String,
    partition: i32,
    offset: Option<i64>,
    log_end: Option<i64>,
    consumer: Option<(String, String, String)>,
}

/// Kafka's rows: members with the most partitions first, then partitions with a committed
/// offset but no member.
fn offset_rows(cluster: &mut Cluster, group: &str, desc: &Described) -> ToolResult<Vec<OffsetRow>> {
    let offsets = committed(cluster, desc.coordinator.id, group)?;
    let mut members: Vec<&Member> = desc
        .members
        .iter()
        .filter(|m| !m.assignment.is_empty())
        .collect();
    members.sort_by_key(|m| std::cmp::Reverse(m.assignment.len()));
    let mut rows = Vec::new();
    let mut assigned = BTreeSet::new();
    for m in members {
        for tp in &m.assignment {
            assigned.insert(tp.clone());
            rows.push(OffsetRow {
                topic: tp.0.clone(),
                partition: tp.1,
                offset: offsets.get(tp).copied(),
                log_end: None,
                consumer: Some((m.id.clone(), m.host.clone(), m.client_id.clone())),
            });
        }
    }
    for (tp, offset) in &offsets {
        if !assigned.contains(tp) {
            rows.push(OffsetRow {
                topic: tp.0.clone(),
                partition: tp.1,
                offset: Some(*offset),
                log_end: None,
                consumer: None,
            });
        }
    }
    let parts: Vec<Tp> = rows
        .iter()
        .map(|r| (r.topic.clone(), r.partition))
        .collect();
    let ends = list_offsets(cluster, &parts, -1)?;
    for r in &mut rows {
        r.log_end = ends.get(&(r.topic.clone(), r.partition)).copied();
    }
    Ok(rows)
}

fn format_offsets(group: &str, rows: &[OffsetRow]) -> String {
    if rows.is_empty() {
        return String::new();
    }
    let w = |f: &dyn Fn(&OffsetRow) -> usize| rows.iter().map(f).max().unwrap_or(0).max(15);
    let gw = group.len().max(15);
    let tw = w(&|r| r.topic.len());
    let cw = w(&|r| r.consumer.as_ref().map_or(1, |c| c.0.len()));
    let hw = w(&|r| r.consumer.as_ref().map_or(1, |c| c.1.len()));
    let line = |cols: [&str; 9]| {
        format!(
            "{:<gw$} {:<tw$} {:<10} {:<15} {:<15} {:<15} {:<cw$} {:<hw$} {}\n",
            cols[0], cols[1], cols[2], cols[3], cols[4], cols[5], cols[6], cols[7], cols[8]
        )
    };
    let mut out = String::from("\n");
    out += &line([
        "GROUP",
        "TOPIC",
        "PARTITION",
        "CURRENT-OFFSET",
        "LOG-END-OFFSET",
        "LAG",
        "CONSUMER-ID",
        "HOST",
        "CLIENT-ID",
    ]);
    let opt = |v: Option<i64>| v.map_or(MISSING.to_string(), |v| v.to_string());
    for r in rows {
        let lag = match (r.offset, r.log_end) {
            (Some(o), Some(e)) => Some(e - o),
            _ => None,
        };
        let (id, host, client) = r
            .consumer
            .as_ref()
            .map_or((MISSING, MISSING, MISSING), |c| {
                (c.0.as_str(), c.1.as_str(), c.2.as_str())
            });
        out += &line([
            group,
            &r.topic,
            &r.partition.to_string(),
            &opt(r.offset),
            &opt(r.log_end),
            &opt(lag),
            id,
            host,
            client,
        ]);
    }
    out
}

fn format_members(group: &str, desc: &Described, verbose: bool) -> String {
    if desc.members.is_empty() {
        return String::new();
    }
    let ms = &desc.members;
    let w = |f: &dyn Fn(&Member) -> usize, min: usize| ms.iter().map(f).max().unwrap_or(0).max(min);
    let gw = group.len().max(15);
    let cw = w(&|m| m.id.len(), 15);
    let iw = w(&|m| m.instance_id.as_deref().map_or(0, str::len), 17);
    let hw = w(&|m| m.host.len(), 15);
    let lw = w(&|m| m.client_id.len(), 15);
    let with_instance = ms.iter().any(|m| m.instance_id.is_some());
    let line = |g: &str, c: &str, i: &str, h: &str, l: &str, n: &str| {
        if with_instance {
            format!("{g:<gw$} {c:<cw$} {i:<iw$} {h:<hw$} {l:<lw$} {n:<15} ")
        } else {
            format!("{g:<gw$} {c:<cw$} {h:<hw$} {l:<lw$} {n:<15} ")
        }
    };
    let mut out = String::from("\n");
    out += &line(
        "GROUP",
        "CONSUMER-ID",
        "GROUP-INSTANCE-ID",
        "HOST",
        "CLIENT-ID",
        "#PARTITIONS",
    );
    if verbose {
        out += "ASSIGNMENT";
    }
    out += "\n";
    for m in ms {
        out += &line(
            group,
            &m.id,
            m.instance_id.as_deref().unwrap_or(""),
            &m.host,
            &m.client_id,
            &m.assignment.len().to_string(),
        );
        if verbose {
            out += &format_assignment(&m.assignment);
        }
        out += "\n";
    }
    out
}

/// `topic(0,1), other(2)`, or `-` for no partitions.
fn format_assignment(assignment: &[Tp]) -> String {
    if assignment.is_empty() {
        return MISSING.to_string();
    }
    let mut by_topic: BTreeMap<&str, Vec<i32>> = BTreeMap::new();
    for (t, p) in assignment {
        by_topic.entry(t).or_default().push(*p);
    }
    by_topic
        .into_iter()
        .map(|(t, ps)| {
            let ps: Vec<String> = ps.iter().map(i32::to_string).collect();
            format!("{t}({})", ps.join(","))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn format_state(group: &str, desc: &Described) -> String {
    let c = &desc.coordinator;
    let coordinator = format!("{}:{}  ({})", c.host, c.port, c.id);
    let cw = coordinator.len().max(25);
    let line = |a: &str, b: &str, c: &str, d: &str, e: &str| {
        format!("{a:<cw$} {b:<25} {c:<20} {d:<15} {e}\n")
    };
    let mut out = String::from("\n");
    out += &line(
        "GROUP",
        "COORDINATOR (ID)",
        "ASSIGNMENT-STRATEGY",
        "STATE",
        "#MEMBERS",
    );
    out += &line(
        group,
        &coordinator,
        &desc.assignor,
        &desc.state,
        &desc.members.len().to_string(),
    );
    out
}

// ---------------------------------------------------------------- delete

fn delete(cluster: &mut Cluster, groups: &[String]) -> ToolResult<i32> {
    let mut ok = Vec::new();
    let mut failed = Vec::new();
    for group in groups {
        let coordinator = cluster.coordinator(group)?;
        let mut req = DeleteGroupsRequest::default();
        req.groups_names = vec![GroupId(StrBytes::from_string(group.clone()))];
        let resp = cluster.node(coordinator.id)?.call(&req)?;
        let code = resp.results.first().map_or(-1, |r| r.error_code);
        if code == 0 {
            ok.push(group.clone());
        } else {
            failed.push((group.clone(), error_text(code)));
        }
    }
    let quoted = |gs: &[String]| format!("'{}'", gs.join("', '"));
    if failed.is_empty() {
        println!(
            "Deletion of requested consumer groups ({}) was successful.",
            quoted(&ok)
        );
        return Ok(0);
    }
    eprintln!("Error: Deletion of some consumer groups failed:");
    for (group, why) in &failed {
        println!("* Group '{group}' could not be deleted due to: {why}");
    }
    if !ok.is_empty() {
        println!(
            "\nThese consumer groups were deleted successfully: {}",
            quoted(&ok)
        );
    }
    Ok(1)
}

// ---------------------------------------------------------------- delete offsets

fn delete_offsets(cluster: &mut Cluster, group: &str, topic_args: &[String]) -> ToolResult<i32> {
    let mut results: BTreeMap<(String, i32), Option<String>> = BTreeMap::new();
    let mut parts = Vec::new();
    for (topic, partitions) in resolve_topics(cluster, topic_args)? {
        match partitions {
            Some(ps) => parts.extend(ps.into_iter().map(|p| (topic.clone(), p))),
            None => {
                results.insert(
                    (topic, -1),
                    Some(error_text(3)), // UNKNOWN_TOPIC_OR_PARTITION
                );
            }
        }
    }
    let coordinator = cluster.coordinator(group)?;
    let mut req = OffsetDeleteRequest::default();
    req.group_id = GroupId(StrBytes::from_string(group.to_string()));
    let mut by_topic: BTreeMap<String, Vec<i32>> = BTreeMap::new();
    for (t, p) in &parts {
        by_topic.entry(t.clone()).or_default().push(*p);
    }
    req.topics = by_topic
        .into_iter()
        .map(|(name, ps)| {
            let mut t = OffsetDeleteRequestTopic::default();
            t.name = TopicName(StrBytes::from_string(name));
            t.partitions = ps
                .into_iter()
                .map(|p| {
                    let mut dp = OffsetDeleteRequestPartition::default();
                    dp.partition_index = p;
                    dp
                })
                .collect();
            t
        })
        .collect();
    let resp = cluster.node(coordinator.id)?.call(&req)?;
    for t in &resp.topics {
        for p in &t.partitions {
            let error = (p.error_code != 0).then(|| error_text(p.error_code));
            results.insert((t.name.0.to_string(), p.partition_index), error);
        }
    }
    let top = resp.error_code;
    let any_error = results.values().any(Option::is_some);
    match top {
        0 if !any_error => println!(
            "Request succeed for deleting offsets with topic {} group {group}",
            topic_args.join(", ")
        ),
        0 => eprintln!("Error: Encounter some partition level error, see the follow-up details:"),
        GROUP_ID_NOT_FOUND => eprintln!("Error: '{group}' does not exist."),
        24 => eprintln!("Error: '{group}' is not valid."),
        68 => eprintln!(
            "Error: Deleting offsets of a consumer group '{group}' is forbidden if the group is not empty."
        ),
        other => eprintln!("Error: Encounter some unknown error: {}", error_text(other)),
    }
    if top != 0 && results.values().all(Option::is_none) {
        return Ok(1);
    }
    let mut out = format!("\n{:<30} {:<15} {:<15}\n", "TOPIC", "PARTITION", "STATUS");
    for ((topic, partition), error) in &results {
        let p = if *partition >= 0 {
            partition.to_string()
        } else {
            "Not Provided".to_string()
        };
        let status = error
            .as_ref()
            .map_or("Successful".to_string(), |e| format!("Error: {e}"));
        let _ = writeln!(out, "{topic:<30} {p:<15} {status:<15}");
    }
    print!("{out}");
    Ok(if top == 0 && !any_error { 0 } else { 1 })
}

/// `--topic` arguments as (topic, partitions): `t:0,1` names partitions, `t` means all of
/// the topic's partitions (`None` when the topic does not exist).
fn resolve_topics(
    cluster: &mut Cluster,
    topic_args: &[String],
) -> ToolResult<Vec<(String, Option<Vec<i32>>)>> {
    let mut out = Vec::new();
    let mut whole = Vec::new();
    for arg in topic_args {
        match arg.split_once(':') {
            Some((topic, list)) => {
                let mut ps = Vec::new();
                for p in list.split(',') {
                    match p.trim().parse::<i32>() {
                        Ok(n) => ps.push(n),
                        Err(_) => {
                            return fail(format!(
                                "Invalid partition '{p}' specified in topic arg '{arg}'"
                            ))
                        }
                    }
                }
                out.push((topic.to_string(), Some(ps)));
            }
            None => whole.push(arg.clone()),
        }
    }
    if !whole.is_empty() {
        let meta = cluster.metadata(Some(&whole))?;
        for name in whole {
            let found = meta.topics.iter().find(|t| {
                t.error_code == 0 && t.name.as_ref().is_some_and(|n| n.0.as_str() == name)
            });
            let partitions = found.map(|t| {
                let mut ps: Vec<i32> = t.partitions.iter().map(|p| p.partition_index).collect();
                ps.sort();
                ps
            });
            out.push((name, partitions));
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------- reset offsets

/// Where a reset moves each partition.
enum Scenario {
    Earliest,
    Latest,
    Current,
    Offset(i64),
    ShiftBy(i64),
    /// The first offset with a timestamp at or after this (epoch ms).
    Time(i64),
    /// Group → partition → offset, from an exported CSV.
    File(BTreeMap<String, BTreeMap<Tp, i64>>),
}

struct ResetPlan {
    scenario: Scenario,
    execute: bool,
}

impl ResetPlan {
    fn from_args(args: &GroupsArgs) -> ToolResult<ResetPlan> {
        let chosen = [
            args.to_datetime.is_some(),
            args.by_duration.is_some(),
            args.to_earliest,
            args.to_latest,
            args.shift_by.is_some(),
            args.from_file.is_some(),
            args.to_current,
            args.to_offset.is_some(),
        ];
        if chosen.iter().filter(|c| **c).count() != 1 {
            return fail("Option '[reset-offsets]' requires one of the following scenarios: [to-datetime], [by-duration], [to-earliest], [to-latest], [shift-by], [from-file], [to-current], [to-offset]");
        }
        if args.dry_run && args.execute {
            return fail(
                "Option [reset-offsets] takes only one of these options: [dry-run], [execute]",
            );
        }
        if args.from_file.is_none() && args.topic.is_empty() && !args.all_topics {
            return fail("One of the reset scopes should be defined: --all-topics, --topic.");
        }
        if !args.topic.is_empty() && args.all_topics {
            return fail(
                "Option [reset-offsets] takes only one of these options: [all-topics], [topic]",
            );
        }
        let scenario = if let Some(s) = &args.to_datetime {
            Scenario::Time(parse_datetime(s).map_err(ToolError)?)
        } else if let Some(d) = &args.by_duration {
            let ms = parse_duration(d).map_err(ToolError)?;
            Scenario::Time(now_ms() - ms)
        } else if args.to_earliest {
            Scenario::Earliest
        } else if args.to_latest {
            Scenario::Latest
        } else if let Some(n) = args.shift_by {
            Scenario::ShiftBy(n)
        } else if let Some(path) = &args.from_file {
            let text = std::fs::read_to_string(path)
                .map_err(|e| ToolError(format!("cannot read {}: {e}", path.display())))?;
            let single = (args.group.len() == 1).then(|| args.group[0].as_str());
            Scenario::File(parse_plan(&text, single)?)
        } else if args.to_current {
            Scenario::Current
        } else {
            Scenario::Offset(args.to_offset.expect("one scenario is set"))
        };
        Ok(ResetPlan {
            scenario,
            execute: args.execute,
        })
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// Parses `--export` CSV: `topic,partition,offset` for a single named group, otherwise
/// `group,topic,partition,offset`.
fn parse_plan(
    text: &str,
    single_group: Option<&str>,
) -> ToolResult<BTreeMap<String, BTreeMap<Tp, i64>>> {
    let mut plan: BTreeMap<String, BTreeMap<Tp, i64>> = BTreeMap::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        let (group, topic, partition, offset) = match (fields.as_slice(), single_group) {
            ([t, p, o], Some(g)) => (g.to_string(), *t, *p, *o),
            ([g, t, p, o], _) => (g.to_string(), *t, *p, *o),
            _ => {
                return fail(format!(
                    "line {} of the reset plan is not 'topic,partition,offset' or 'group,topic,partition,offset': {line}",
                    n + 1
                ))
            }
        };
        let (Ok(partition), Ok(offset)) = (partition.parse::<i32>(), offset.parse::<i64>()) else {
            return fail(format!(
                "line {} of the reset plan has a bad partition or offset: {line}",
                n + 1
            ));
        };
        plan.entry(group)
            .or_default()
            .insert((topic.to_string(), partition), offset);
    }
    Ok(plan)
}

fn reset(
    cluster: &mut Cluster,
    args: &GroupsArgs,
    plan: &ResetPlan,
    groups: &[String],
) -> ToolResult<i32> {
    let mut results: BTreeMap<String, BTreeMap<Tp, i64>> = BTreeMap::new();
    let mut status = 0;
    for group in groups {
        let desc = describe_group(cluster, group)?;
        if let Some(d) = &desc {
            if d.state != "Empty" {
                eprintln!(
                    "Error: Assignments can only be reset if the group '{group}' is inactive, but the current state is {}.",
                    d.state
                );
                status = 1;
                results.insert(group.clone(), BTreeMap::new());
                continue;
            }
        }
        let coordinator = match &desc {
            Some(d) => d.coordinator.clone(),
            None => cluster.coordinator(group)?,
        };
        let current = committed(cluster, coordinator.id, group)?;
        let partitions: Vec<Tp> = if let Scenario::File(p) = &plan.scenario {
            match p.get(group) {
                Some(offsets) => offsets.keys().cloned().collect(),
                None => {
                    eprintln!("Error: No reset plan for group {group} found");
                    status = 1;
                    continue;
                }
            }
        } else if args.all_topics {
            current.keys().cloned().collect()
        } else {
            let mut ps = Vec::new();
            for (topic, partitions) in resolve_topics(cluster, &args.topic)? {
                match partitions {
                    Some(list) => ps.extend(list.into_iter().map(|p| (topic.clone(), p))),
                    None => return fail(format!("The topic '{topic}' does not exist")),
                }
            }
            ps
        };
        let offsets = new_offsets(cluster, group, &plan.scenario, &partitions, &current)?;
        if plan.execute && !offsets.is_empty() {
            commit(cluster, coordinator.id, group, &offsets)?;
        }
        results.insert(group.clone(), offsets);
    }
    if args.export {
        let single = args.group.len() == 1;
        let mut out = String::new();
        for (group, offsets) in &results {
            for ((t, p), o) in offsets {
                if single {
                    let _ = writeln!(out, "{t},{p},{o}");
                } else {
                    let _ = writeln!(out, "{group},{t},{p},{o}");
                }
            }
        }
        print!("{out}");
    } else if results.values().any(|o| !o.is_empty()) {
        let mut out = format!(
            "\n{:<30} {:<30} {:<10} {:<15}\n",
            "GROUP", "TOPIC", "PARTITION", "NEW-OFFSET"
        );
        for (group, offsets) in &results {
            for ((t, p), o) in offsets {
                let _ = writeln!(out, "{group:<30} {t:<30} {p:<10} {o:<15}");
            }
        }
        print!("{out}");
    }
    Ok(status)
}

/// The offsets a scenario moves each partition to.
fn new_offsets(
    cluster: &mut Cluster,
    group: &str,
    scenario: &Scenario,
    partitions: &[Tp],
    current: &BTreeMap<Tp, i64>,
) -> ToolResult<BTreeMap<Tp, i64>> {
    let from_log =
        |cluster: &mut Cluster, spec: i64, what: &str| -> ToolResult<BTreeMap<Tp, i64>> {
            let found = list_offsets(cluster, partitions, spec)?;
            partitions
                .iter()
                .map(|tp| match found.get(tp) {
                    Some(o) => Ok((tp.clone(), *o)),
                    None => fail(format!(
                        "Error getting {what} offset of topic partition: {}-{}",
                        tp.0, tp.1
                    )),
                })
                .collect()
        };
    match scenario {
        Scenario::Earliest => from_log(cluster, -2, "starting"),
        Scenario::Latest => from_log(cluster, -1, "ending"),
        Scenario::Current => {
            let ends = list_offsets(cluster, partitions, -1)?;
            partitions
                .iter()
                .map(|tp| match current.get(tp).or_else(|| ends.get(tp)) {
                    Some(o) => Ok((tp.clone(), *o)),
                    None => fail(format!(
                        "Error getting ending offset of topic partition: {}-{}",
                        tp.0, tp.1
                    )),
                })
                .collect()
        }
        Scenario::Offset(n) => clamp(
            cluster,
            partitions.iter().map(|tp| (tp.clone(), *n)).collect(),
        ),
        Scenario::ShiftBy(n) => {
            let mut wanted = BTreeMap::new();
            for tp in partitions {
                let Some(c) = current.get(tp) else {
                    return fail(format!(
                        "Cannot shift offset for partition {}-{} since there is no current committed offset",
                        tp.0, tp.1
                    ));
                };
                wanted.insert(tp.clone(), c.saturating_add(*n));
            }
            clamp(cluster, wanted)
        }
        Scenario::Time(ts) => {
            let found = list_offsets(cluster, partitions, *ts)?;
            let missing: Vec<Tp> = partitions
                .iter()
                .filter(|tp| !found.contains_key(*tp))
                .cloned()
                .collect();
            for (t, p) in &missing {
                println!("\nWarn: Partition {p} from topic {t} is empty. Falling back to latest known offset.");
            }
            let ends = list_offsets(cluster, &missing, -1)?;
            partitions
                .iter()
                .map(|tp| match found.get(tp).or_else(|| ends.get(tp)) {
                    Some(o) => Ok((tp.clone(), *o)),
                    None => fail(format!(
                        "Error getting offset by timestamp of topic partition: {}-{}",
                        tp.0, tp.1
                    )),
                })
                .collect()
        }
        Scenario::File(plan) => clamp(cluster, plan.get(group).cloned().unwrap_or_default()),
    }
}

/// Moves requested offsets into each partition's [earliest, latest] range, warning as
/// Kafka does.
fn clamp(cluster: &mut Cluster, wanted: BTreeMap<Tp, i64>) -> ToolResult<BTreeMap<Tp, i64>> {
    let parts: Vec<Tp> = wanted.keys().cloned().collect();
    let starts = list_offsets(cluster, &parts, -2)?;
    let ends = list_offsets(cluster, &parts, -1)?;
    let mut out = BTreeMap::new();
    for (tp, offset) in wanted {
        let (Some(start), Some(end)) = (starts.get(&tp), ends.get(&tp)) else {
            return fail(format!(
                "Unexpected non-existing offset value for topic partition {}-{}",
                tp.0, tp.1
            ));
        };
        let name = format!("{}-{}", tp.0, tp.1);
        let clamped = if offset > *end {
            eprintln!("WARN New offset ({offset}) is higher than latest offset for topic partition {name}. Value will be set to {end}");
            *end
        } else if offset < *start {
            eprintln!("WARN New offset ({offset}) is lower than earliest offset for topic partition {name}. Value will be set to {start}");
            *start
        } else {
            offset
        };
        out.insert(tp, clamped);
    }
    Ok(out)
}

/// Commits offsets for an inactive group as an admin does (generation -1, no member).
fn commit(
    cluster: &mut Cluster,
    coordinator: i32,
    group: &str,
    offsets: &BTreeMap<Tp, i64>,
) -> ToolResult<()> {
    let mut by_topic: BTreeMap<&str, Vec<(i32, i64)>> = BTreeMap::new();
    for ((t, p), o) in offsets {
        by_topic.entry(t).or_default().push((*p, *o));
    }
    let mut req = OffsetCommitRequest::default();
    req.group_id = GroupId(StrBytes::from_string(group.to_string()));
    req.generation_id_or_member_epoch = -1;
    req.retention_time_ms = -1;
    req.topics = by_topic
        .into_iter()
        .map(|(name, ps)| {
            let mut t = OffsetCommitRequestTopic::default();
            t.name = TopicName(StrBytes::from_string(name.to_string()));
            t.partitions = ps
                .into_iter()
                .map(|(p, o)| {
                    let mut cp = OffsetCommitRequestPartition::default();
                    cp.partition_index = p;
                    cp.committed_offset = o;
                    cp.committed_leader_epoch = -1;
                    cp.committed_metadata = Some(StrBytes::from_static_str(""));
                    cp
                })
                .collect();
            t
        })
        .collect();
    let resp = cluster.node(coordinator)?.call(&req)?;
    for t in resp.topics {
        for p in t.partitions {
            if p.error_code != 0 {
                return fail(format!(
                    "cannot commit the new offset of {}-{} for group '{group}': {}",
                    t.name.0.as_str(),
                    p.partition_index,
                    error_text(p.error_code)
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_in_both_csv_shapes() {
        let one = parse_plan("orders,0,5\norders,1,7\n", Some("g")).unwrap();
        assert_eq!(one["g"][&("orders".to_string(), 1)], 7);
        let many = parse_plan("g1,orders,0,5\ng2,orders,0,9\n", None).unwrap();
        assert_eq!(many["g2"][&("orders".to_string(), 0)], 9);
        assert!(parse_plan("orders,zero,5", Some("g")).is_err());
    }

    #[test]
    fn assignments_are_grouped_by_topic() {
        let a = vec![
            ("b".to_string(), 2),
            ("a".to_string(), 0),
            ("a".to_string(), 1),
        ];
        assert_eq!(
            format_assignment(&sorted_pairs(a.into_iter())),
            "a(0,1), b(2)"
        );
        assert_eq!(format_assignment(&[]), "-");
    }
}
