//! The topics list (name filter, internal topics hidden unless asked) and topic creation.

use std::collections::BTreeMap;
use std::fmt::Write;

use axum::extract::{Form, Query, State};
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::client::Tp;
use crate::html::{esc, notice, page as layout, size, url, Failure};
use crate::App;

#[derive(Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    internal: Option<String>,
    #[serde(default)]
    ok: Option<String>,
    #[serde(default)]
    error: Option<String>,
}

/// GET /topics
pub async fn list(
    State(app): State<App>,
    Query(query): Query<ListQuery>,
) -> Result<Html<String>, Failure> {
    let show_internal = query
        .internal
        .as_deref()
        .is_some_and(|v| !v.is_empty() && v != "0");
    let topics: Vec<_> = app
        .client
        .topics(None)
        .await?
        .into_iter()
        .filter(|t| show_internal || !t.internal)
        .filter(|t| t.name.contains(query.q.as_str()))
        .collect();
    let tps: Vec<Tp> = topics
        .iter()
        .flat_map(|t| t.partitions.iter().map(|p| (t.name.clone(), p.0)))
        .collect();
    let starts = app.client.offsets(&tps, -2).await?;
    let ends = app.client.offsets(&tps, -1).await?;
    let sizes = app.client.partition_sizes().await?;
    let rates = app.samples.topic_rates();
    let mut per_topic: BTreeMap<&str, (i64, i64)> = BTreeMap::new();
    for tp in &tps {
        let e = per_topic.entry(tp.0.as_str()).or_default();
        e.0 += sizes.get(tp).copied().unwrap_or(0);
        e.1 += message_estimate(starts.get(tp).copied(), ends.get(tp).copied());
    }
    let mut rows = String::new();
    for t in &topics {
        let (bytes, count) = per_topic.get(t.name.as_str()).copied().unwrap_or_default();
        let replication = t.partitions.first().map(|p| p.2).unwrap_or(0);
        let rate = rates.get(&t.name).copied().unwrap_or(0.0);
        let _ = write!(
            rows,
            "<tr data-topic=\"{name}\"><td><a href=\"/topics/{u}\">{name}</a>{internal}</td>\
             <td class=\"num\">{np}</td><td class=\"num\">{replication}</td><td class=\"num\">{sz}</td>\
             <td class=\"num\">{count}</td><td class=\"num\">{rate:.1}</td>\
             <td><a href=\"/topics/{u}/messages\">messages</a></td></tr>",
            name = esc(&t.name),
            u = url(&t.name),
            internal = if t.internal { " <span class=\"tag\">internal</span>" } else { "" },
            np = t.partitions.len(),
            sz = size(bytes),
        );
    }
    if rows.is_empty() {
        rows = "<tr><td colspan=\"7\" class=\"empty\">No topics</td></tr>".into();
    }
    let body = format!(
        "{notice}\
         <form class=\"filter\" method=\"get\" action=\"/topics\">\
         <input name=\"q\" id=\"topic-filter\" placeholder=\"filter by name\" value=\"{q}\">\
         <label><input type=\"checkbox\" name=\"internal\" value=\"1\"{checked}> show internal</label>\
         <button>Filter</button></form>\
         <table id=\"topics\"><thead><tr><th>Topic</th><th class=\"num\">Partitions</th><th class=\"num\">Replication</th>\
         <th class=\"num\">Size</th><th class=\"num\">Messages (est.)</th><th class=\"num\">Produce msg/s</th><th></th></tr></thead><tbody>{rows}</tbody></table>\
         <h2>Create a topic</h2>\
         <form id=\"create-topic\" method=\"post\" action=\"/topics\" class=\"stack\">\
         <label>Name <input name=\"name\" required></label>\
         <label>Partitions <input name=\"partitions\" type=\"number\" min=\"1\" value=\"1\"></label>\
         <label>Replication factor <input name=\"replication\" type=\"number\" min=\"1\" value=\"1\"></label>\
         <label>Configs (one key=value per line) <textarea name=\"configs\" rows=\"3\"></textarea></label>\
         <button>Create topic</button></form>",
        notice = notice(query.ok.as_deref(), query.error.as_deref()),
        q = esc(&query.q),
        checked = if show_internal { " checked" } else { "" },
    );
    Ok(layout("Topics", "Topics", &body))
}

/// A partition's message count estimate: end − start offset (an upper bound once records
/// are compacted away or aborted); 0 when either offset could not be read, never negative.
pub fn message_estimate(start: Option<i64>, end: Option<i64>) -> i64 {
    match (start, end) {
        (Some(s), Some(e)) => (e - s).max(0),
        _ => 0,
    }
}

#[derive(Deserialize)]
pub struct CreateForm {
    name: String,
    #[serde(default)]
    partitions: String,
    #[serde(default)]
    replication: String,
    #[serde(default)]
    configs: String,
}

/// Parses `key=value` lines (blank lines ignored).
pub fn parse_configs(text: &str) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let Some((k, v)) = line.split_once('=') else {
            return Err(format!("config line {line:?} is not key=value"));
        };
        out.push((k.trim().to_string(), v.trim().to_string()));
    }
    Ok(out)
}

fn number<T: std::str::FromStr>(raw: &str, default: T, what: &str) -> Result<T, String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(default);
    }
    raw.parse()
        .map_err(|_| format!("{what} must be a number, not {raw:?}"))
}

/// POST /topics
pub async fn create(
    State(app): State<App>,
    headers: HeaderMap,
    Form(form): Form<CreateForm>,
) -> Result<Response, Failure> {
    crate::same_origin(&headers)?;
    let name = form.name.trim().to_string();
    let result = async {
        let partitions = number(&form.partitions, 1i32, "partitions")?;
        let replication = number(&form.replication, 1i16, "replication factor")?;
        let configs = parse_configs(&form.configs)?;
        app.client
            .create_topic(&name, partitions, replication, &configs)
            .await
            .map_err(|e| format!("{e:#}"))
    }
    .await;
    Ok(match result {
        Ok(()) => Redirect::to(&format!(
            "/topics/{}?ok={}",
            url(&name),
            url("Topic created")
        )),
        Err(e) => Redirect::to(&format!("/topics?error={}", url(&e))),
    }
    .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_estimates() {
        assert_eq!(message_estimate(Some(3), Some(10)), 7);
        assert_eq!(message_estimate(Some(0), Some(0)), 0);
        // An unreadable offset counts nothing (not -start, not the whole end offset).
        assert_eq!(message_estimate(Some(5), None), 0);
        assert_eq!(message_estimate(None, Some(10)), 0);
    }

    #[test]
    fn config_lines() {
        assert_eq!(
            parse_configs("a=1\n\n b = x=y \n").expect("valid"),
            vec![("a".into(), "1".into()), ("b".into(), "x=y".into())]
        );
        assert!(parse_configs("novalue").is_err());
        assert_eq!(number("", 3, "n"), Ok(3));
        assert_eq!(number(" 7 ", 3, "n"), Ok(7));
        assert!(number::<i32>("x", 3, "n").is_err());
    }
}
