//! The overview: the broker, its listeners, topic/partition counts, size on disk, and live
//! produce/fetch rate charts from the sampler.

use std::fmt::Write;

use axum::extract::State;
use axum::response::Html;
use axum::Json;
use serde_json::{json, Value};

use crate::html::{duration, esc, page as layout, size, Failure};
use crate::sampler::rates;
use crate::App;

/// GET /
pub async fn page(State(app): State<App>) -> Result<Html<String>, Failure> {
    let broker = app.client.broker();
    let topics = app.client.topics(None).await?;
    let partitions: usize = topics.iter().map(|t| t.partitions.len()).sum();
    let total: i64 = app.client.partition_sizes().await?.values().sum();
    let mut listeners = String::new();
    for e in &broker.endpoints {
        let _ = write!(
            listeners,
            "<li>{}://{}:{}</li>",
            esc(&e.listener),
            esc(&e.host),
            e.port
        );
    }
    let body = format!(
        "<section class=\"cards\">\
         <div class=\"card\"><h3>Broker</h3><p>node <b id=\"node-id\">{node}</b> · cluster <code>{cluster}</code></p>\
         <p>Arus {version} · up {uptime}</p><ul>{listeners}</ul></div>\
         <div class=\"card\"><h3>Topics</h3><p class=\"big\" id=\"topic-count\">{ntopics}</p><p>{partitions} partitions</p></div>\
         <div class=\"card\"><h3>Size on disk</h3><p class=\"big\" id=\"disk-size\">{disk}</p></div>\
         </section>\
         <section class=\"charts\">\
         <div class=\"chart\"><h3>Messages / s</h3><svg id=\"chart-msgs\" data-chart=\"msgs\"></svg></div>\
         <div class=\"chart\"><h3>Bytes / s</h3><svg id=\"chart-bytes\" data-chart=\"bytes\"></svg></div>\
         </section>\
         <p class=\"legend\"><span class=\"s0\">■</span> produce <span class=\"s1\">■</span> fetch · last hour, sampled every {interval} s</p>\
         <script>window.addEventListener('load', () => Arus.overview());</script>",
        node = broker.node_id,
        cluster = esc(&broker.cluster_id),
        version = env!("CARGO_PKG_VERSION"),
        uptime = duration(broker.started.elapsed().as_secs()),
        ntopics = topics.iter().filter(|t| !t.internal).count(),
        disk = size(total),
        interval = crate::sampler::INTERVAL.as_secs(),
    );
    Ok(layout("Overview", "Overview", &body))
}

/// GET /api/overview: the rate series of the last hour.
pub async fn api(State(app): State<App>) -> Json<Value> {
    let samples = app.samples.traffic();
    Json(json!({ "rates": rates(&samples) }))
}
