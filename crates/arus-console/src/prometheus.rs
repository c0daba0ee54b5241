//! `/metrics`: the broker's own families (rendered by `arus_broker::metrics`) followed by
//! the consumer-group lag families, computed through the protocol at scrape time.
//! Prometheus text exposition format 0.0.4.

use std::collections::BTreeMap;
use std::fmt::Write;

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;

use arus_broker::metrics::label;

use crate::client::Tp;
use crate::App;

/// Appends the group lag families: per partition lag and max per group.
pub fn render_lag(groups: &BTreeMap<String, BTreeMap<Tp, (i64, i64)>>, out: &mut String) {
    out.push_str(
        "# HELP arus_consumer_group_lag Log end offset minus the group's committed offset, per partition.\n\
         # TYPE arus_consumer_group_lag gauge\n",
    );
    for (g, per) in groups {
        for ((t, p), (c, e)) in per {
            let _ = writeln!(
                out,
                "arus_consumer_group_lag{{group=\"{}\",topic=\"{}\",partition=\"{p}\"}} {}",
                label(g),
                label(t),
                (e - c).max(0)
            );
        }
    }
    out.push_str(
        "# HELP arus_consumer_group_max_lag The largest partition lag of the group.\n\
         # TYPE arus_consumer_group_max_lag gauge\n",
    );
    for (g, per) in groups {
        let max = per.values().map(|(c, e)| (e - c).max(0)).max().unwrap_or(0);
        let _ = writeln!(
            out,
            "arus_consumer_group_max_lag{{group=\"{}\"}} {max}",
            label(g)
        );
    }
}

/// GET /metrics
pub async fn metrics(State(app): State<App>) -> impl IntoResponse {
    let mut out = String::new();
    let broker = app.client.broker().clone();
    broker.metrics.render_prometheus(&broker, &mut out);
    let mut lags = BTreeMap::new();
    if let Ok(groups) = app.client.groups().await {
        for g in groups {
            if let Ok(per) = app.client.group_lag(&g.id).await {
                lags.insert(g.id, per);
            }
        }
    }
    render_lag(&lags, &mut out);
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        out,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_escaping() {
        assert_eq!(label("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
        assert_eq!(label("plain"), "plain");
    }

    #[test]
    fn lag_families() {
        let mut groups = BTreeMap::new();
        let per: BTreeMap<Tp, (i64, i64)> = [
            (("t".to_string(), 0), (3, 10)),
            (("t".to_string(), 1), (9, 8)),
        ]
        .into_iter()
        .collect();
        groups.insert("g\"1".to_string(), per);
        let mut out = String::new();
        render_lag(&groups, &mut out);
        assert!(out.contains("# TYPE arus_consumer_group_lag gauge\n"));
        assert!(out
            .contains("arus_consumer_group_lag{group=\"g\\\"1\",topic=\"t\",partition=\"0\"} 7\n"));
        assert!(out
            .contains("arus_consumer_group_lag{group=\"g\\\"1\",topic=\"t\",partition=\"1\"} 0\n"));
        assert!(out.contains("arus_consumer_group_max_lag{group=\"g\\\"1\"} 7\n"));
    }
}
