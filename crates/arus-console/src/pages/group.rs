//! A consumer group's page: per-partition committed/end offsets and lag, members and their
//! assignments, the lag-over-time chart, and offset reset (earliest, latest, timestamp,
//! offset) for an inactive group with a dry-run preview.

use std::collections::BTreeMap;
use std::fmt::Write;

use axum::extract::{Form, Path, State};
use axum::http::HeaderMap;
use axum::response::Html;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::client::Tp;
use crate::html::{esc, notice, page as layout, url, Failure};
use crate::sampler::total_lag;
use crate::App;

/// GET /groups/{id}
pub async fn page(State(app): State<App>, Path(id): Path<String>) -> Result<Html<String>, Failure> {
    render(&app, &id, "").await
}

/// One row of the offsets table: a partition the group has a committed offset for or a
/// member is assigned (like `arus consumer-groups --describe`), with its end offset.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OffsetRow {
    pub committed: Option<i64>,
    pub end: Option<i64>,
}

impl OffsetRow {
    /// end − committed (never negative); None without both.
    pub fn lag(&self) -> Option<i64> {
        Some((self.end? - self.committed?).max(0))
    }
}

/// The offsets table's rows: every partition with a committed offset or an assignment.
pub fn offset_rows(
    committed: &BTreeMap<Tp, i64>,
    assigned: &[Tp],
    ends: &BTreeMap<Tp, i64>,
) -> BTreeMap<Tp, OffsetRow> {
    committed
        .keys()
        .chain(assigned)
        .map(|tp| {
            let row = OffsetRow {
                committed: committed.get(tp).copied(),
                end: ends.get(tp).copied(),
            };
            (tp.clone(), row)
        })
        .collect()
}

/// The offsets table's body.
pub fn render_rows(rows: &BTreeMap<Tp, OffsetRow>) -> String {
    let opt = |v: Option<i64>| v.map_or_else(|| "-".to_string(), |v| v.to_string());
    let mut out = String::new();
    for ((t, p), r) in rows {
        let _ = write!(
            out,
            "<tr data-tp=\"{t}-{p}\"><td><a href=\"/topics/{u}\">{t}</a></td><td class=\"num\">{p}</td>\
             <td class=\"num committed\">{c}</td><td class=\"num end\">{e}</td><td class=\"num lag\">{lag}</td></tr>",
            t = esc(t),
            u = url(t),
            c = opt(r.committed),
            e = opt(r.end),
            lag = opt(r.lag()),
        );
    }
    if out.is_empty() {
        out = "<tr><td colspan=\"5\" class=\"empty\">No committed offsets</td></tr>".into();
    }
    out
}

async fn render(app: &App, id: &str, extra: &str) -> Result<Html<String>, Failure> {
    let described = app.client.describe_group(id).await?;
    let committed = app.client.committed(id).await?;
    if described.is_none() && committed.is_empty() {
        return Err(Failure::not_found(format!(
            "consumer group {id} does not exist"
        )));
    }
    let state = described
        .as_ref()
        .map(|d| d.state.clone())
        .unwrap_or_else(|| "Dead".into());
    let assigned: Vec<Tp> = described
        .iter()
        .flat_map(|d| d.members.iter().flat_map(|m| m.assignment.iter().cloned()))
        .collect();
    let all: Vec<Tp> = committed.keys().chain(&assigned).cloned().collect();
    let ends = app.client.offsets(&all, -1).await?;
    let table = offset_rows(&committed, &assigned, &ends);
    let rows = render_rows(&table);
    let total: i64 = table.values().filter_map(OffsetRow::lag).sum();
    let mut members = String::new();
    if let Some(d) = &described {
        for m in &d.members {
            let assignment = m
                .assignment
                .iter()
                .map(|(t, p)| format!("{}-{p}", esc(t)))
                .collect::<Vec<_>>()
                .join(", ");
            let _ = write!(
                members,
                "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{assignment}</td></tr>",
                esc(&m.id),
                esc(&m.client_id),
                esc(&m.host),
            );
        }
    }
    if members.is_empty() {
        members = "<tr><td colspan=\"4\" class=\"empty\">No active members</td></tr>".into();
    }
    let topics: std::collections::BTreeSet<&String> = committed.keys().map(|(t, _)| t).collect();
    let topic_options: String = topics
        .iter()
        .map(|t| format!("<option value=\"{0}\">{0}</option>", esc(t)))
        .collect();
    let inactive = matches!(state.as_str(), "Empty" | "Dead");
    let u = url(id);
    let body = format!(
        "<p>State <b id=\"group-state\">{state}</b>{proto} · total lag <b id=\"lag-total\">{total}</b></p>\
         {extra}\
         <h2>Offsets</h2>\
         <table id=\"offsets\"><thead><tr><th>Topic</th><th class=\"num\">Partition</th><th class=\"num\">Committed</th>\
         <th class=\"num\">End offset</th><th class=\"num\">Lag</th></tr></thead><tbody>{rows}</tbody></table>\
         <h2>Lag over time</h2>\
         <div class=\"chart wide\"><svg id=\"chart-lag\"></svg></div>\
         <h2>Members</h2>\
         <table id=\"members\"><thead><tr><th>Member</th><th>Client</th><th>Host</th>\
         <th>Assignment</th></tr></thead><tbody>{members}</tbody></table>\
         <h2>Reset offsets</h2>\
         {reset_note}\
         <form id=\"reset\" method=\"post\" action=\"/groups/{u}/reset\" class=\"inline\">\
         <label>Topic <select name=\"topic\"><option value=\"\">all with offsets</option>{topic_options}</select></label>\
         <label>Or topic name <input name=\"topic_name\" placeholder=\"any topic\"></label>\
         <label>To <select name=\"to\"><option value=\"earliest\">earliest</option>\
           <option value=\"latest\">latest</option><option value=\"timestamp\">timestamp (ms)</option>\
           <option value=\"offset\">offset</option></select></label>\
         <label>Value <input name=\"value\" size=\"14\"></label>\
         <button name=\"action\" value=\"preview\">Preview (dry run)</button>\
         <button name=\"action\" value=\"apply\"{disabled}>Reset offsets</button></form>\
         <script>window.addEventListener('load', () => Arus.group({gid}));</script>",
        state = esc(&state),
        proto = described
            .as_ref()
            .filter(|d| !d.protocol.is_empty())
            .map(|d| format!(" · {} / {}", esc(&d.protocol_type), esc(&d.protocol)))
            .unwrap_or_default(),
        reset_note = if inactive {
            ""
        } else {
            "<p class=\"muted\">Offsets can be reset only while the group has no active members.</p>"
        },
        disabled = if inactive { "" } else { " disabled" },
        // A JSON string literal inside a script element: escape '<' so no `</script>` can
        // end the element early.
        gid = serde_json::to_string(id).unwrap_or_else(|_| "\"\"".into()).replace('<', "\\u003c"),
    );
    Ok(layout(&format!("Group {id}"), "Consumer groups", &body))
}

/// GET /api/groups/{id}/lag: current per-partition lag and the sampled total over time.
pub async fn lag_api(State(app): State<App>, Path(id): Path<String>) -> Json<Value> {
    let lag = app.client.group_lag(&id).await.unwrap_or_default();
    let state = match app.client.describe_group(&id).await {
        Ok(Some(d)) => d.state,
        _ => "Dead".to_string(),
    };
    let partitions: Vec<Value> = lag
        .iter()
        .map(|((t, p), (c, e))| {
            json!({ "topic": t, "partition": p, "committed": c, "end": e, "lag": (e - c).max(0) })
        })
        .collect();
    Json(json!({
        "state": state,
        "total": total_lag(&lag),
        "partitions": partitions,
        "series": app.samples.lag(&id),
    }))
}

#[derive(Deserialize)]
pub struct ResetForm {
    #[serde(default)]
    topic: String,
    #[serde(default)]
    topic_name: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    value: String,
    #[serde(default)]
    action: String,
}

/// Where a reset moves one partition, clamped into [start, end] like Kafka's tool.
pub fn target(
    to: &str,
    value: Option<i64>,
    start: i64,
    end: i64,
    by_time: Option<i64>,
) -> Result<i64, String> {
    Ok(match to {
        "earliest" => start,
        "latest" => end,
        "offset" => value.ok_or("give the offset")?.clamp(start, end.max(start)),
        // ListOffsets reads negative times as earliest, latest or max timestamp.
        "timestamp" if value.is_some_and(|t| t < 0) => {
            return Err("the timestamp is milliseconds since the epoch, not negative".into())
        }
        // No record at or after the time: the end, as kafka-consumer-groups does.
        "timestamp" => by_time.unwrap_or(end),
        other => return Err(format!("unknown reset target {other:?}")),
    })
}

/// POST /groups/{id}/reset: a preview table, and with action=apply the commit.
pub async fn reset(
    State(app): State<App>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Form(form): Form<ResetForm>,
) -> Result<Html<String>, Failure> {
    crate::same_origin(&headers)?;
    let outcome = plan_and_apply(&app, &id, &form).await;
    let extra = match outcome {
        Ok((plan, applied)) => {
            let mut rows = String::new();
            for ((t, p), (old, new)) in &plan {
                let _ = write!(
                    rows,
                    "<tr><td>{}</td><td class=\"num\">{p}</td><td class=\"num\">{}</td><td class=\"num new\">{new}</td></tr>",
                    esc(t),
                    old.map(|o| o.to_string()).unwrap_or_else(|| "-".into()),
                );
            }
            let msg = if applied {
                notice(Some("Offsets reset"), None)
            } else {
                "<p class=\"muted\">Dry run: nothing was changed.</p>".to_string()
            };
            format!(
                "<section id=\"reset-result\" class=\"{cls}\">{msg}<table id=\"reset-plan\"><thead><tr><th>Topic</th>\
                 <th class=\"num\">Partition</th><th>Current</th><th>New</th></tr></thead><tbody>{rows}</tbody></table></section>",
                cls = if applied { "applied" } else { "preview" },
            )
        }
        Err(e) => notice(None, Some(&e)),
    };
    render(&app, &id, &extra).await
}

type Plan = BTreeMap<Tp, (Option<i64>, i64)>;

/// Each partition's (current, new) offset. Like `arus consumer-groups --reset-offsets`, a
/// partition whose start or end offset cannot be read fails the reset (it is not moved to 0).
pub fn plan(
    tps: &[Tp],
    to: &str,
    value: Option<i64>,
    committed: &BTreeMap<Tp, i64>,
    starts: &BTreeMap<Tp, i64>,
    ends: &BTreeMap<Tp, i64>,
    by_time: Option<&BTreeMap<Tp, i64>>,
) -> Result<Plan, String> {
    let mut plan = Plan::new();
    for tp in tps {
        let (Some(s), Some(e)) = (starts.get(tp), ends.get(tp)) else {
            return Err(format!("cannot read the offsets of {}-{}", tp.0, tp.1));
        };
        let t = by_time.and_then(|m| m.get(tp).copied());
        let new = target(to, value, *s, *e, t)?;
        plan.insert(tp.clone(), (committed.get(tp).copied(), new));
    }
    Ok(plan)
}

async fn plan_and_apply(app: &App, id: &str, form: &ResetForm) -> Result<(Plan, bool), String> {
    let err = |e: anyhow::Error| format!("{e:#}");
    let client = &app.client;
    let state = client
        .describe_group(id)
        .await
        .map_err(err)?
        .map(|d| d.state);
    let committed = client.committed(id).await.map_err(err)?;
    let topic = if form.topic_name.trim().is_empty() {
        form.topic.trim()
    } else {
        form.topic_name.trim()
    };
    let tps: Vec<Tp> = if topic.is_empty() {
        committed.keys().cloned().collect()
    } else {
        let t = client
            .topic(topic)
            .await
            .map_err(err)?
            .ok_or_else(|| format!("topic {topic} does not exist"))?;
        t.partitions.iter().map(|p| (t.name.clone(), p.0)).collect()
    };
    if tps.is_empty() {
        return Err("the group has no committed offsets: choose a topic".into());
    }
    let value: Option<i64> = match form.value.trim() {
        "" => None,
        v => Some(
            v.parse()
                .map_err(|_| format!("value must be a number, not {v:?}"))?,
        ),
    };
    let starts = client.offsets(&tps, -2).await.map_err(err)?;
    let ends = client.offsets(&tps, -1).await.map_err(err)?;
    let by_time = if form.to == "timestamp" {
        let t = value.ok_or("give the timestamp in ms")?;
        Some(client.offsets(&tps, t).await.map_err(err)?)
    } else {
        None
    };
    let plan = plan(
        &tps,
        &form.to,
        value,
        &committed,
        &starts,
        &ends,
        by_time.as_ref(),
    )?;
    // Like kafka-consumer-groups.sh, even a dry run is refused for a group with members.
    if let Some(s) = state.as_deref().filter(|s| !matches!(*s, "Empty" | "Dead")) {
        return Err(format!(
            "Assignments can only be reset if the group '{id}' is inactive, but the current state is {s}."
        ));
    }
    if form.action != "apply" {
        return Ok((plan, false));
    }
    let offsets: BTreeMap<Tp, i64> = plan.iter().map(|(tp, (_, n))| (tp.clone(), *n)).collect();
    client.commit(id, &offsets).await.map_err(err)?;
    Ok((plan, true))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reset_targets() {
        assert_eq!(target("earliest", None, 3, 10, None), Ok(3));
        assert_eq!(target("latest", None, 3, 10, None), Ok(10));
        assert_eq!(target("offset", Some(5), 3, 10, None), Ok(5));
        assert_eq!(target("offset", Some(1), 3, 10, None), Ok(3));
        assert_eq!(target("offset", Some(99), 3, 10, None), Ok(10));
        assert!(target("offset", None, 3, 10, None).is_err());
        assert_eq!(target("timestamp", Some(0), 3, 10, Some(4)), Ok(4));
        assert_eq!(target("timestamp", Some(0), 3, 10, None), Ok(10));
        assert!(target("timestamp", Some(-2), 3, 10, Some(3)).is_err());
        assert!(target("sideways", None, 0, 0, None).is_err());
    }

    fn tp(p: i32) -> Tp {
        ("t".to_string(), p)
    }

    #[test]
    fn a_partition_whose_offsets_cannot_be_read_fails_the_plan() {
        let starts: BTreeMap<Tp, i64> = [(tp(0), 2), (tp(1), 0)].into_iter().collect();
        let ends: BTreeMap<Tp, i64> = [(tp(0), 9)].into_iter().collect();
        let committed: BTreeMap<Tp, i64> = [(tp(0), 4)].into_iter().collect();
        let p = plan(&[tp(0)], "latest", None, &committed, &starts, &ends, None);
        assert_eq!(p, Ok([(tp(0), (Some(4), 9))].into_iter().collect()));
        // Partition 1 has no end offset: refused, not reset to 0.
        let p = plan(
            &[tp(0), tp(1)],
            "latest",
            None,
            &committed,
            &starts,
            &ends,
            None,
        );
        assert_eq!(p, Err("cannot read the offsets of t-1".to_string()));
    }

    #[test]
    fn assigned_partitions_without_a_commit_are_shown_without_lag() {
        let committed: BTreeMap<Tp, i64> = [(tp(0), 4), (tp(2), 12)].into_iter().collect();
        let ends: BTreeMap<Tp, i64> = [(tp(0), 10), (tp(1), 7), (tp(2), 10)].into_iter().collect();
        let rows = offset_rows(&committed, &[tp(0), tp(1)], &ends);
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[&tp(0)].lag(), Some(6));
        assert_eq!(
            rows[&tp(1)],
            OffsetRow {
                committed: None,
                end: Some(7)
            }
        );
        assert_eq!(rows[&tp(1)].lag(), None);
        assert_eq!(
            rows[&tp(2)].lag(),
            Some(0),
            "a commit past the end is no lag"
        );
        let html = render_rows(&rows);
        assert!(html.contains(
            "<tr data-tp=\"t-1\"><td><a href=\"/topics/t\">t</a></td><td class=\"num\">1</td>\
             <td class=\"num committed\">-</td><td class=\"num end\">7</td><td class=\"num lag\">-</td></tr>"
        ), "{html}");
        let empty = render_rows(&BTreeMap::new());
        assert!(empty.contains("No committed offsets"));
    }
}
