//! The message browser: the page (its records are drawn by the script, as text), the JSON
//! paging/filter/tail endpoint, and producing a record from the page.
//!
//! A page of records is read with sessionless Fetch requests from a per-partition cursor;
//! the scan is bounded ([`MAX_SCAN_BYTES`], [`MAX_SCAN_RECORDS`]) so a filter that matches
//! nothing returns after a bounded amount of work with a cursor to continue from.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU32, Ordering};

use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::Json;
use bytes::Bytes;
use serde::Deserialize;
use serde_json::json;

use crate::client::{error_name, Tp};
use crate::html::{esc, page as layout, url, Failure};
use crate::records::{self, Shown};
use crate::App;

/// Bytes of record batches one page may read.
pub const MAX_SCAN_BYTES: usize = 8 * 1024 * 1024;
/// Records one page may look at.
pub const MAX_SCAN_RECORDS: usize = 50_000;
/// Records one page may return.
pub const MAX_LIMIT: usize = 500;
/// Shown text one page may return (see `Shown::cost`): a page of big records stops early.
pub const MAX_PAGE_BYTES: usize = 4 * 1024 * 1024;
/// The longest a live-tail poll waits for new records.
pub const MAX_WAIT_MS: i32 = 5_000;
const PARTITION_MAX_BYTES: i32 = 1024 * 1024;

/// GET /topics/{name}/messages
pub async fn page(
    State(app): State<App>,
    Path(name): Path<String>,
) -> Result<Html<String>, Failure> {
    let Some(topic) = app.client.topic(&name).await? else {
        return Err(Failure::not_found(format!("topic {name} does not exist")));
    };
    let mut options = String::from("<option value=\"\" selected>all</option>");
    for (p, _, _) in &topic.partitions {
        options.push_str(&format!("<option value=\"{p}\">{p}</option>"));
    }
    let body = format!(
        "<p><a href=\"/topics/{u}\">← topic {name}</a></p>\
         <form id=\"browse\" class=\"inline\" data-topic=\"{name}\">\
         <label>Partitions <select name=\"partitions\" multiple size=\"{rows}\">{options}</select></label>\
         <label>From <select name=\"start\">\
           <option value=\"earliest\">earliest</option><option value=\"latest\">latest</option>\
           <option value=\"last\">last N</option><option value=\"offset\">offset</option>\
           <option value=\"timestamp\">timestamp</option></select></label>\
         <label>At <input name=\"at\" size=\"16\" placeholder=\"offset, N, ms or date\"></label>\
         <label>Filter <input name=\"filter\" placeholder=\"substring of key, value, header\"></label>\
         <label>Per page <input name=\"limit\" type=\"number\" min=\"1\" max=\"{max}\" value=\"50\"></label>\
         <label>Show <select name=\"format\"><option value=\"text\">text</option>\
           <option value=\"json\">JSON</option><option value=\"hex\">hex</option></select></label>\
         <button type=\"submit\" id=\"load\">Load</button>\
         <button type=\"button\" id=\"next\" disabled>Next page</button>\
         <label><input type=\"checkbox\" id=\"tail\"> Live tail</label></form>\
         <p id=\"status\" class=\"muted\"></p>\
         <table id=\"records\"><thead><tr><th>Partition</th><th>Offset</th><th>Timestamp</th>\
         <th>Key</th><th>Headers</th><th>Value</th></tr></thead><tbody></tbody></table>\
         <h2>Produce a message</h2>\
         <form id=\"produce\" class=\"stack\">\
         <label>Partition <select name=\"partition\"><option value=\"\">by key (or round robin)</option>{poptions}</select></label>\
         <label>Key <input name=\"key\"></label>\
         <label>Value <textarea name=\"value\" rows=\"3\"></textarea></label>\
         <label class=\"check\"><input type=\"checkbox\" name=\"tombstone\"> null value (a tombstone: deletes the key on a compacted topic)</label>\
         <label>Headers (one name:value per line) <textarea name=\"headers\" rows=\"2\"></textarea></label>\
         <button>Produce</button> <span id=\"produce-status\"></span></form>\
         <script>window.addEventListener('load', () => Arus.browser());</script>",
        u = url(&name),
        name = esc(&name),
        max = MAX_LIMIT,
        rows = (topic.partitions.len() + 1).min(4),
        poptions = topic
            .partitions
            .iter()
            .map(|(p, _, _)| format!("<option value=\"{p}\">{p}</option>"))
            .collect::<String>(),
    );
    Ok(layout(
        &format!("Messages of {}", topic.name),
        "Topics",
        &body,
    ))
}

#[derive(Deserialize, Default)]
pub struct BrowseQuery {
    #[serde(default)]
    partitions: String,
    #[serde(default)]
    start: String,
    #[serde(default)]
    at: String,
    #[serde(default)]
    cursor: String,
    #[serde(default)]
    filter: String,
    #[serde(default)]
    limit: String,
    #[serde(default)]
    wait_ms: String,
}

fn bad(msg: impl Into<String>) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({ "error": msg.into() })),
    )
        .into_response()
}

/// GET /api/topics/{name}/messages
pub async fn api(
    State(app): State<App>,
    Path(name): Path<String>,
    Query(q): Query<BrowseQuery>,
) -> Response {
    match browse(&app, &name, &q).await {
        Ok(r) => Json(r).into_response(),
        Err(e) => bad(e),
    }
}

#[derive(serde::Serialize)]
pub struct Page {
    records: Vec<Shown>,
    cursor: String,
    /// Every partition read up to its high watermark.
    end: bool,
    /// The scan stopped at its budget before filling the page.
    truncated: bool,
    scanned: usize,
    errors: Vec<String>,
}

fn int<T: std::str::FromStr>(raw: &str, what: &str) -> Result<Option<T>, String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    raw.parse()
        .map(Some)
        .map_err(|_| format!("{what} must be a number, not {raw:?}"))
}

async fn browse(app: &App, name: &str, q: &BrowseQuery) -> Result<Page, String> {
    let client = &app.client;
    let Some(topic) = client.topic(name).await.map_err(|e| format!("{e:#}"))? else {
        return Err(format!("topic {name} does not exist"));
    };
    let all: Vec<i32> = topic.partitions.iter().map(|p| p.0).collect();
    let mut selected = Vec::new();
    for part in q
        .partitions
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        let p: i32 = part
            .parse()
            .map_err(|_| format!("bad partition {part:?}"))?;
        if !all.contains(&p) {
            return Err(format!("topic {name} has no partition {p}"));
        }
        selected.push(p);
    }
    if selected.is_empty() {
        selected = all;
    }
    let limit = int::<usize>(&q.limit, "limit")?
        .unwrap_or(50)
        .clamp(1, MAX_LIMIT);
    let wait_ms = int::<i32>(&q.wait_ms, "wait_ms")?
        .unwrap_or(0)
        .clamp(0, MAX_WAIT_MS);
    let tps: Vec<Tp> = selected.iter().map(|p| (name.to_string(), *p)).collect();
    let err = |e: anyhow::Error| format!("{e:#}");
    let mut pos: BTreeMap<i32, i64> = if !q.cursor.trim().is_empty() {
        let c = records::parse_cursor(&q.cursor).ok_or("malformed cursor")?;
        let mut pos: BTreeMap<i32, i64> = c
            .into_iter()
            .filter(|(p, _)| selected.contains(p))
            .collect();
        // Partitions added since the cursor was made are read from their start.
        let new: Vec<Tp> = tps
            .iter()
            .filter(|tp| !pos.contains_key(&tp.1))
            .cloned()
            .collect();
        if !new.is_empty() {
            for ((_, p), o) in client.offsets(&new, -2).await.map_err(err)? {
                pos.insert(p, o);
            }
        }
        pos
    } else {
        let starts = client.offsets(&tps, -2).await.map_err(err)?;
        let ends = client.offsets(&tps, -1).await.map_err(err)?;
        let at = |tp: &Tp| {
            (
                starts.get(tp).copied().unwrap_or(0),
                ends.get(tp).copied().unwrap_or(0),
            )
        };
        let mut pos = BTreeMap::new();
        match q.start.as_str() {
            "" | "earliest" => {
                for tp in &tps {
                    pos.insert(tp.1, at(tp).0);
                }
            }
            "latest" => {
                for tp in &tps {
                    pos.insert(tp.1, at(tp).1);
                }
            }
            "offset" => {
                let o: i64 = int(&q.at, "offset")?.ok_or("give the offset to start at")?;
                for tp in &tps {
                    let (s, e) = at(tp);
                    pos.insert(tp.1, o.clamp(s, e.max(s)));
                }
            }
            "last" => {
                let n: i64 = int(&q.at, "N")?.unwrap_or(limit as i64).max(0);
                for tp in &tps {
                    let (s, e) = at(tp);
                    pos.insert(tp.1, (e - n).max(s));
                }
            }
            "timestamp" => {
                let t: i64 =
                    int(&q.at, "timestamp")?.ok_or("give the timestamp (ms) to start at")?;
                let found = client.offsets(&tps, t).await.map_err(err)?;
                for tp in &tps {
                    pos.insert(tp.1, found.get(tp).copied().unwrap_or(at(tp).1));
                }
            }
            other => return Err(format!("unknown start point {other:?}")),
        }
        pos
    };
    let needle = q.filter.as_bytes().to_vec();
    let mut out: Vec<Shown> = Vec::new();
    let mut errors = Vec::new();
    let (mut scanned, mut scanned_bytes) = (0usize, 0usize);
    let mut done: BTreeMap<i32, bool> = BTreeMap::new();
    let mut first = true;
    let mut full = false;
    let mut page_bytes = 0usize;
    loop {
        let active: Vec<(i32, i64)> = pos
            .iter()
            .filter(|(p, _)| !done.get(p).copied().unwrap_or(false))
            .map(|(p, o)| (*p, *o))
            .collect();
        if active.is_empty()
            || full
            || scanned >= MAX_SCAN_RECORDS
            || scanned_bytes >= MAX_SCAN_BYTES
        {
            break;
        }
        let wait = if first { wait_ms } else { 0 };
        first = false;
        let fetched = client
            .fetch(name, &active, wait, PARTITION_MAX_BYTES)
            .await
            .map_err(err)?;
        let mut progress = false;
        for f in fetched {
            let Some(cur) = pos.get(&f.partition).copied() else {
                continue;
            };
            match f.error_code {
                0 => {}
                // OFFSET_OUT_OF_RANGE: retention moved the start; continue from it.
                1 if cur < f.log_start_offset => {
                    pos.insert(f.partition, f.log_start_offset);
                    progress = true;
                    continue;
                }
                code => {
                    errors.push(format!("partition {}: {}", f.partition, error_name(code)));
                    done.insert(f.partition, true);
                    continue;
                }
            }
            if full {
                continue;
            }
            // Decompressing, filtering and formatting are CPU work: off the runtime's
            // workers, which also serve the broker's connections.
            let room = records::Room {
                records: limit - out.len(),
                bytes: MAX_PAGE_BYTES.saturating_sub(page_bytes),
            };
            let (bytes, part) = (f.records.clone(), f.partition);
            let needle = needle.clone();
            let found =
                tokio::task::spawn_blocking(move || records::scan(bytes, cur, &needle, room, part))
                    .await
                    .map_err(|e| format!("scanning partition {part}: {e}"))?;
            let found = match found {
                Ok(found) => found,
                Err(e) => {
                    errors.push(format!("partition {}: {e}", f.partition));
                    done.insert(f.partition, true);
                    continue;
                }
            };
            scanned += found.scanned;
            scanned_bytes += found.bytes;
            out.extend(found.shown);
            page_bytes += found.shown_bytes;
            full = out.len() >= limit || page_bytes >= MAX_PAGE_BYTES;
            let next = found.next;
            if next > cur {
                progress = true;
            }
            pos.insert(f.partition, next);
            if next >= f.high_watermark {
                done.insert(f.partition, true);
            }
        }
        if !progress {
            break;
        }
    }
    let end = pos.keys().all(|p| done.get(p).copied().unwrap_or(false));
    let truncated =
        !full && !end && (scanned >= MAX_SCAN_RECORDS || scanned_bytes >= MAX_SCAN_BYTES);
    Ok(Page {
        records: interleave_by_time(out),
        cursor: records::encode_cursor(&pos),
        end,
        truncated,
        scanned,
        errors,
    })
}

#[derive(Deserialize)]
pub struct ProduceForm {
    #[serde(default)]
    partition: String,
    #[serde(default)]
    key: String,
    #[serde(default)]
    value: String,
    #[serde(default)]
    headers: String,
    /// Present (checked) for a null value.
    #[serde(default)]
    tombstone: Option<String>,
}

/// Parses `name:value` header lines (blank lines ignored).
pub fn parse_headers(text: &str) -> Result<Vec<(String, Bytes)>, String> {
    let mut out = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let Some((k, v)) = line.split_once(':') else {
            return Err(format!("header line {line:?} is not name:value"));
        };
        out.push((k.trim().to_string(), Bytes::from(v.trim().to_string())));
    }
    Ok(out)
}

/// Kafka's murmur2 (the Java client's default partitioner hash).
pub fn murmur2(data: &[u8]) -> i32 {
    const SEED: u32 = 0x9747_b28c;
    const M: u32 = 0x5bd1_e995;
    const R: u32 = 24;
    let len = data.len();
    let mut h: u32 = SEED ^ (len as u32);
    let chunks = data.chunks_exact(4);
    let rest = chunks.remainder();
    for c in chunks {
        let mut k = u32::from_le_bytes([c[0], c[1], c[2], c[3]]);
        k = k.wrapping_mul(M);
        k ^= k >> R;
        k = k.wrapping_mul(M);
        h = h.wrapping_mul(M);
        h ^= k;
    }
    match rest.len() {
        3 => {
            h ^= (rest[2] as u32) << 16;
            h ^= (rest[1] as u32) << 8;
            h ^= rest[0] as u32;
            h = h.wrapping_mul(M);
        }
        2 => {
            h ^= (rest[1] as u32) << 8;
            h ^= rest[0] as u32;
            h = h.wrapping_mul(M);
        }
        1 => {
            h ^= rest[0] as u32;
            h = h.wrapping_mul(M);
        }
        _ => {}
    }
    h ^= h >> 13;
    h = h.wrapping_mul(M);
    h ^= h >> 15;
    h as i32
}

/// The partition Kafka's default partitioner picks for a key.
pub fn partition_for_key(key: &[u8], partitions: usize) -> i32 {
    ((murmur2(key) & 0x7fff_ffff) as usize % partitions.max(1)) as i32
}

static ROUND_ROBIN: AtomicU32 = AtomicU32::new(0);

/// POST /api/topics/{name}/produce
pub async fn produce(
    State(app): State<App>,
    Path(name): Path<String>,
    headers: HeaderMap,
    Form(form): Form<ProduceForm>,
) -> Response {
    if let Err(f) = crate::same_origin(&headers) {
        return (f.0, Json(json!({ "error": f.1 }))).into_response();
    }
    let result = async {
        let topic = app
            .client
            .topic(&name)
            .await
            .map_err(|e| format!("{e:#}"))?
            .ok_or_else(|| format!("topic {name} does not exist"))?;
        let count = topic.partitions.len();
        if count == 0 {
            return Err(format!("topic {name} has no partitions"));
        }
        let key = (!form.key.is_empty()).then(|| Bytes::from(form.key.clone()));
        let partition = match int::<i32>(&form.partition, "partition")? {
            Some(p) => p,
            None => match &key {
                Some(k) => partition_for_key(k, count),
                None => (ROUND_ROBIN.fetch_add(1, Ordering::Relaxed) as usize % count) as i32,
            },
        };
        let hs = parse_headers(&form.headers)?;
        let offset = app
            .client
            .produce(
                &name,
                partition,
                key,
                form.tombstone
                    .is_none()
                    .then(|| Bytes::from(form.value.clone())),
                hs,
                arus_broker::broker::now_ms(),
            )
            .await
            .map_err(|e| format!("{e:#}"))?;
        Ok((partition, offset))
    }
    .await;
    match result {
        Ok((partition, offset)) => {
            Json(json!({ "partition": partition, "offset": offset })).into_response()
        }
        Err(e) => bad(e),
    }
}

/// Interleaves records of several partitions by timestamp while keeping each partition's
/// offset order (client timestamps can go backwards within a partition; a plain sort by time
/// would show a partition's records out of order).
fn interleave_by_time(records: Vec<Shown>) -> Vec<Shown> {
    let mut by_partition: BTreeMap<i32, std::collections::VecDeque<Shown>> = BTreeMap::new();
    for r in records {
        by_partition.entry(r.partition).or_default().push_back(r);
    }
    for queue in by_partition.values_mut() {
        queue.make_contiguous().sort_by_key(|r| r.offset);
    }
    let mut out = Vec::new();
    loop {
        // The partition whose next record is the earliest (ties: lower partition first).
        let next = by_partition
            .iter()
            .filter_map(|(p, q)| q.front().map(|r| (r.timestamp, *p)))
            .min();
        let Some((_, p)) = next else {
            return out;
        };
        if let Some(r) = by_partition.get_mut(&p).and_then(|q| q.pop_front()) {
            out.push(r);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partitions_interleave_by_time_but_keep_their_offset_order() {
        let r = |partition, offset, timestamp| Shown {
            partition,
            offset,
            timestamp,
            key: None,
            value: None,
            headers: Vec::new(),
            headers_omitted: 0,
        };
        // Partition 0's client clock went backwards at offset 11.
        let page = vec![
            r(0, 10, 500),
            r(0, 11, 100),
            r(0, 12, 600),
            r(1, 0, 200),
            r(1, 1, 550),
        ];
        let order: Vec<(i32, i64)> = interleave_by_time(page)
            .iter()
            .map(|s| (s.partition, s.offset))
            .collect();
        assert_eq!(order, vec![(1, 0), (0, 10), (0, 11), (1, 1), (0, 12)]);
    }

    #[test]
    fn murmur2_matches_kafka() {
        // Vectors from Kafka's UtilsTest.testMurmur2.
        let cases: &[(&str, i32)] = &[
            ("21", -973932308),
            ("foobar", -790332482),
            ("a-little-bit-long-string", -985981536),
            ("a-little-bit-longer-string", -1486304829),
            (
                "lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8",
                -58897971,
            ),
            ("abc", 479470107),
        ];
        for (s, want) in cases {
            assert_eq!(murmur2(s.as_bytes()), *want, "{s}");
        }
        assert!((0..3).contains(&partition_for_key(b"any", 3)));
    }

    #[test]
    fn header_lines() {
        let h = parse_headers("a: 1\n\nb:x:y").expect("valid");
        assert_eq!(
            h,
            vec![
                ("a".into(), Bytes::from("1")),
                ("b".into(), Bytes::from("x:y"))
            ]
        );
        assert!(parse_headers("nocolon").is_err());
    }
}
