//! `arus configs`: kafka-configs.sh for topics and brokers — describe (dynamic overrides, or
//! everything with `--all`) and alter (`--add-config`, `--delete-config`) through
//! DescribeConfigs and IncrementalAlterConfigs, printed in Kafka's layout.

use std::fmt::Write as _;

use clap::Args;
use kafka_protocol::messages::describe_configs_request::DescribeConfigsResource;
use kafka_protocol::messages::incremental_alter_configs_request::{
    AlterConfigsResource, AlterableConfig,
};
use kafka_protocol::messages::{DescribeConfigsRequest, IncrementalAlterConfigsRequest};
use kafka_protocol::protocol::StrBytes;

use super::wire::{describe as error_text, Cluster};
use super::{fail, ToolResult};

const ERR_PREFIX: &str = "Error while executing config command: ";

/// ConfigResource types on the wire.
const TOPIC: i8 = 2;
const BROKER: i8 = 4;
/// IncrementalAlterConfigs operations.
const SET: i8 = 0;
const DELETE: i8 = 1;

#[derive(Args, Debug)]
pub struct ConfigsArgs {
    /// REQUIRED: the server(s) to connect to (host:port[,host:port...]).
    #[arg(long = "bootstrap-server", value_name = "SERVER")]
    pub bootstrap_server: Option<String>,
    /// List configs for the given entity.
    #[arg(long)]
    pub describe: bool,
    /// Alter the configuration of the entity.
    #[arg(long)]
    pub alter: bool,
    /// The type of entity: topics or brokers.
    #[arg(long = "entity-type", value_name = "TYPE")]
    pub entity_type: Option<String>,
    /// The name of the entity (topic name or broker id).
    #[arg(long = "entity-name", value_name = "NAME")]
    pub entity_name: Option<String>,
    /// The cluster-wide default (brokers only).
    #[arg(long = "entity-default")]
    pub entity_default: bool,
    /// Shortcut for --entity-type topics --entity-name TOPIC.
    #[arg(long, value_name = "TOPIC")]
    pub topic: Option<String>,
    /// Shortcut for --entity-type brokers --entity-name ID.
    #[arg(long, value_name = "ID")]
    pub broker: Option<String>,
    /// Shortcut for --entity-type brokers --entity-default.
    #[arg(long = "broker-defaults")]
    pub broker_defaults: bool,
    /// Configs to set: k1=v1,k2=[v1,v2,v2],k3=v3 (square brackets group a list value).
    #[arg(long = "add-config", value_name = "CONFIGS")]
    pub add_config: Option<String>,
    /// A properties file of configs to set.
    #[arg(long = "add-config-file", value_name = "FILE")]
    pub add_config_file: Option<String>,
    /// Config names to remove: k1,k2.
    #[arg(long = "delete-config", value_name = "NAMES")]
    pub delete_config: Option<String>,
    /// With --describe: every config, defaults included, not only the overrides.
    #[arg(long)]
    pub all: bool,
    /// Client properties file (only PLAINTEXT connections are supported by this tool).
    #[arg(long = "command-config", value_name = "FILE")]
    pub command_config: Option<String>,
}

/// Runs the command; prints what Kafka prints and returns the process exit code.
pub fn run(args: ConfigsArgs) -> i32 {
    match execute(&args) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("{ERR_PREFIX}{e}");
            1
        }
    }
}

/// The entity a command is about; `name == None` is the cluster default (brokers) or
/// "every entity of the type" (describe).
struct Entity {
    kind: i8,
    name: Option<String>,
    default: bool,
}

impl Entity {
    fn from_args(args: &ConfigsArgs) -> ToolResult<Entity> {
        let shortcuts = [
            args.topic.is_some(),
            args.broker.is_some(),
            args.broker_defaults,
        ];
        let shortcut_count = shortcuts.iter().filter(|s| **s).count();
        if shortcut_count > 1 || (shortcut_count == 1 && args.entity_type.is_some()) {
            return fail("Only one entity type is allowed: use --entity-type or one of --topic, --broker, --broker-defaults");
        }
        if let Some(t) = &args.topic {
            return Ok(Entity::named(TOPIC, t));
        }
        if let Some(b) = &args.broker {
            return Ok(Entity::named(BROKER, b));
        }
        if args.broker_defaults {
            return Ok(Entity {
                kind: BROKER,
                name: None,
                default: true,
            });
        }
        let kind = match args.entity_type.as_deref() {
            Some("topics") => TOPIC,
            Some("brokers") => BROKER,
            Some(other @ ("users" | "clients" | "ips" | "broker-loggers" | "client-metrics" | "groups")) => {
                return fail(format!("--entity-type {other} is not supported by Arus yet; supported: topics, brokers"))
            }
            Some(other) => {
                return fail(format!("Invalid entity type {other}, the entity type must be one of topics, brokers"))
            }
            None => return fail("an entity type is required: --entity-type topics|brokers, or --topic / --broker / --broker-defaults"),
        };
        if args.entity_default {
            if kind == TOPIC {
                return fail("--entity-default is not supported for topics; use --entity-type brokers --entity-default for cluster-wide defaults");
            }
            if args.entity_name.is_some() {
                return fail("--entity-name and --entity-default cannot be used together");
            }
            return Ok(Entity {
                kind,
                name: None,
                default: true,
            });
        }
        Ok(Entity {
            kind,
            name: args.entity_name.clone(),
            default: false,
        })
    }

    fn named(kind: i8, name: &str) -> Entity {
        Entity {
            kind,
            name: Some(name.to_string()),
            default: false,
        }
    }

    /// "topic", "broker": Kafka's singular entity names.
    fn singular(&self) -> &'static str {
        if self.kind == TOPIC {
            "topic"
        } else {
            "broker"
        }
    }
}

fn execute(args: &ConfigsArgs) -> ToolResult<()> {
    if args.describe == args.alter {
        return fail("Command must include exactly one action: --describe, --alter");
    }
    let Some(bootstrap) = args.bootstrap_server.as_deref() else {
        return fail("Missing required argument \"[bootstrap-server]\"");
    };
    if let Some(path) = &args.command_config {
        super::wire::check_plaintext_only(path)?;
    }
    let entity = Entity::from_args(args)?;
    let mut cluster = Cluster::connect(bootstrap)?;
    if args.describe {
        if args.add_config.is_some() || args.delete_config.is_some() {
            return fail("--add-config and --delete-config go with --alter, not --describe");
        }
        describe(&mut cluster, &entity, args.all)
    } else {
        alter(&mut cluster, &entity, args)
    }
}

// ---------------------------------------------------------------- describe

fn describe(cluster: &mut Cluster, entity: &Entity, all: bool) -> ToolResult<()> {
    let names: Vec<String> = match (&entity.name, entity.default) {
        (Some(n), _) => vec![n.clone()],
        (None, true) => vec![String::new()],
        (None, false) if entity.kind == TOPIC => {
            let meta = cluster.metadata(None)?;
            let mut names: Vec<String> = meta
                .topics
                .iter()
                .filter_map(|t| t.name.as_ref().map(|n| n.0.to_string()))
                .collect();
            names.sort();
            names
        }
        (None, false) => cluster
            .broker_ids()?
            .into_iter()
            .map(|id| id.to_string())
            .collect(),
    };
    let mut out = String::new();
    for name in names {
        let configs = resource_configs(cluster, entity.kind, &name)?;
        let dynamic_source = dynamic_source(entity.kind, &name);
        if name.is_empty() {
            let _ = writeln!(
                out,
                "Default configs for {}s in the cluster are:",
                entity.singular()
            );
        } else {
            let _ = writeln!(
                out,
                "{} configs for {} {name} are:",
                if all { "All" } else { "Dynamic" },
                entity.singular()
            );
        }
        for c in configs
            .iter()
            .filter(|c| all || c.config_source == dynamic_source)
        {
            let synonyms: Vec<String> = c
                .synonyms
                .iter()
                .map(|s| {
                    format!(
                        "{}:{}={}",
                        source_name(s.source),
                        s.name.as_str(),
                        s.value.as_deref().unwrap_or("null")
                    )
                })
                .collect();
            let _ = writeln!(
                out,
                "  {}={} sensitive={} synonyms={{{}}}",
                c.name.as_str(),
                c.value.as_deref().unwrap_or("null"),
                c.is_sensitive,
                synonyms.join(", ")
            );
        }
    }
    print!("{out}");
    Ok(())
}

type ConfigEntry =
    kafka_protocol::messages::describe_configs_response::DescribeConfigsResourceResult;

/// Every config of one resource with its synonyms, sorted by name.
fn resource_configs(cluster: &mut Cluster, kind: i8, name: &str) -> ToolResult<Vec<ConfigEntry>> {
    let mut resource = DescribeConfigsResource::default();
    resource.resource_type = kind;
    resource.resource_name = StrBytes::from_string(name.to_string());
    resource.configuration_keys = None;
    let mut req = DescribeConfigsRequest::default();
    req.resources = vec![resource];
    req.include_synonyms = true;
    // Broker configs are answered by that broker; anything else by any broker.
    let conn = match name.parse::<i32>() {
        Ok(id) if kind == BROKER => cluster.node(id)?,
        _ => cluster.any(),
    };
    let resp = conn.call(&req)?;
    let Some(result) = resp.results.into_iter().next() else {
        return fail("DescribeConfigs: empty answer");
    };
    if result.error_code != 0 {
        if result.error_code == 3 && kind == TOPIC {
            return fail(format!("The topic '{name}' does not exist."));
        }
        return fail(
            result
                .error_message
                .map(|m| m.to_string())
                .filter(|m| !m.is_empty())
                .unwrap_or_else(|| error_text(result.error_code)),
        );
    }
    let mut configs = result.configs;
    configs.sort_by(|a, b| a.name.as_str().cmp(b.name.as_str()));
    Ok(configs)
}

/// The config source of an override on this resource: what `--describe` shows without
/// `--all`, and what `--delete-config` may remove.
fn dynamic_source(kind: i8, name: &str) -> i8 {
    match (kind, name.is_empty()) {
        (TOPIC, _) => 1, // DYNAMIC_TOPIC_CONFIG
        (_, true) => 3,  // DYNAMIC_DEFAULT_BROKER_CONFIG
        (_, false) => 2, // DYNAMIC_BROKER_CONFIG
    }
}

fn source_name(source: i8) -> &'static str {
    match source {
        1 => "DYNAMIC_TOPIC_CONFIG",
        2 => "DYNAMIC_BROKER_CONFIG",
        3 => "DYNAMIC_DEFAULT_BROKER_CONFIG",
        4 => "STATIC_BROKER_CONFIG",
        5 => "DEFAULT_CONFIG",
        6 => "DYNAMIC_BROKER_LOGGER_CONFIG",
        7 => "CLIENT_METRICS_CONFIG",
        8 => "GROUP_CONFIG",
        _ => "UNKNOWN",
    }
}

// ---------------------------------------------------------------- alter

fn alter(cluster: &mut Cluster, entity: &Entity, args: &ConfigsArgs) -> ToolResult<()> {
    let name =
        match (&entity.name, entity.default) {
            (Some(n), _) => n.clone(),
            (None, true) => String::new(),
            (None, false) => return fail(
                "an entity name is required with --alter: --entity-name NAME or --entity-default",
            ),
        };
    let mut to_set = Vec::new();
    if let Some(spec) = &args.add_config {
        to_set.extend(parse_configs_to_add(spec)?);
    }
    if let Some(path) = &args.add_config_file {
        to_set.extend(super::load_properties_file(path)?);
    }
    let to_delete: Vec<String> = args
        .delete_config
        .as_deref()
        .map(|s| {
            s.split(',')
                .map(|k| k.trim().to_string())
                .filter(|k| !k.is_empty())
                .collect()
        })
        .unwrap_or_default();
    if to_set.is_empty() && to_delete.is_empty() {
        return fail("--alter needs --add-config, --add-config-file or --delete-config");
    }
    if let Some(k) = to_delete
        .iter()
        .find(|k| to_set.iter().any(|(s, _)| s == *k))
    {
        return fail(format!("config '{k}' is both added and deleted"));
    }
    // Kafka refuses to delete a config that is not currently set on the entity.
    if !to_delete.is_empty() {
        let dynamic_source = dynamic_source(entity.kind, &name);
        let current = resource_configs(cluster, entity.kind, &name)?;
        let missing: Vec<&str> = to_delete
            .iter()
            .filter(|k| {
                !current
                    .iter()
                    .any(|c| c.name.as_str() == k.as_str() && c.config_source == dynamic_source)
            })
            .map(String::as_str)
            .collect();
        if !missing.is_empty() {
            return fail(format!("Invalid config(s): {}", missing.join(",")));
        }
    }
    let op = |name: &str, op: i8, value: Option<&str>| {
        let mut c = AlterableConfig::default();
        c.name = StrBytes::from_string(name.to_string());
        c.config_operation = op;
        c.value = value.map(|v| StrBytes::from_string(v.to_string()));
        c
    };
    let mut resource = AlterConfigsResource::default();
    resource.resource_type = entity.kind;
    resource.resource_name = StrBytes::from_string(name.clone());
    resource.configs = to_set
        .iter()
        .map(|(k, v)| op(k, SET, Some(v)))
        .chain(to_delete.iter().map(|k| op(k, DELETE, None)))
        .collect();
    let mut req = IncrementalAlterConfigsRequest::default();
    req.resources = vec![resource];
    let conn = match name.parse::<i32>() {
        Ok(id) if entity.kind == BROKER => cluster.node(id)?,
        _ => cluster.any(),
    };
    let resp = conn.call(&req)?;
    for r in resp.responses {
        if r.error_code != 0 {
            if r.error_code == 3 && entity.kind == TOPIC {
                return fail(format!("The topic '{name}' does not exist."));
            }
            return fail(
                r.error_message
                    .map(|m| m.to_string())
                    .filter(|m| !m.is_empty())
                    .unwrap_or_else(|| error_text(r.error_code)),
            );
        }
    }
    if name.is_empty() {
        println!(
            "Completed updating default config for {}s in the cluster.",
            entity.singular()
        );
    } else {
        println!(
            "Completed updating config for {} {name}.",
            entity.singular()
        );
    }
    Ok(())
}

/// Splits `k1=v1,k2=[a,b],k3=v3` at commas outside square brackets; a bracketed value
/// keeps its commas and loses its brackets, as in Kafka.
fn parse_configs_to_add(spec: &str) -> ToolResult<Vec<(String, String)>> {
    let mut parts = Vec::new();
    let mut depth = 0i32;
    let mut current = String::new();
    for ch in spec.chars() {
        match ch {
            '[' => depth += 1,
            ']' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(std::mem::take(&mut current));
                continue;
            }
            _ => {}
        }
        current.push(ch);
    }
    parts.push(current);
    let mut out = Vec::new();
    for part in parts.iter().map(|p| p.trim()).filter(|p| !p.is_empty()) {
        let Some((k, v)) = part.split_once('=') else {
            return fail(format!(
                "Invalid entity config: all configs to be added must be in the format \"key=val\"; got '{part}'"
            ));
        };
        let v = v.trim();
        let v = v
            .strip_prefix('[')
            .and_then(|v| v.strip_suffix(']'))
            .unwrap_or(v);
        out.push((k.trim().to_string(), v.to_string()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::parse_configs_to_add;

    #[test]
    fn bracketed_lists_keep_their_commas() {
        let got =
            parse_configs_to_add("retention.ms=1000, cleanup.policy=[compact,delete],x=y").unwrap();
        assert_eq!(
            got,
            vec![
                ("retention.ms".to_string(), "1000".to_string()),
                ("cleanup.policy".to_string(), "compact,delete".to_string()),
                ("x".to_string(), "y".to_string()),
            ]
        );
        assert!(parse_configs_to_add("retention.ms").is_err());
    }
}
