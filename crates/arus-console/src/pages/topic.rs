//! A topic's page: partitions (start/end offsets, leader, size), configs with overrides
//! marked, and the forms that add partitions, change a config and delete the topic.

use std::fmt::Write;

use axum::extract::{Form, Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::client::Tp;
use crate::html::{esc, notice, page as layout, size, url, Failure};
use crate::App;

#[derive(Deserialize, Default)]
pub struct Notice {
    #[serde(default)]
    ok: Option<String>,
    #[serde(default)]
    error: Option<String>,
}

/// GET /topics/{name}
pub async fn page(
    State(app): State<App>,
    Path(name): Path<String>,
    Query(n): Query<Notice>,
) -> Result<Html<String>, Failure> {
    let Some(topic) = app.client.topic(&name).await? else {
        return Err(Failure::not_found(format!("topic {name} does not exist")));
    };
    let tps: Vec<Tp> = topic
        .partitions
        .iter()
        .map(|p| (name.clone(), p.0))
        .collect();
    let starts = app.client.offsets(&tps, -2).await?;
    let ends = app.client.offsets(&tps, -1).await?;
    let sizes = app.client.partition_sizes().await?;
    let mut rows = String::new();
    for (p, leader, replicas) in &topic.partitions {
        let tp = (name.clone(), *p);
        let opt = |v: Option<&i64>| v.map(|v| v.to_string()).unwrap_or_else(|| "?".into());
        let _ = write!(
            rows,
            "<tr><td class=\"num\">{p}</td><td class=\"num\">{leader}</td><td class=\"num\">{replicas}</td>\
             <td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            opt(starts.get(&tp)),
            opt(ends.get(&tp)),
            size(sizes.get(&tp).copied().unwrap_or(0)),
        );
    }
    let configs = app.client.topic_configs(&name).await?;
    let mut crows = String::new();
    for c in &configs {
        let value = if c.sensitive {
            "<i>hidden</i>".to_string()
        } else {
            c.value
                .as_deref()
                .map(esc)
                .unwrap_or_else(|| "<i>null</i>".into())
        };
        let _ = write!(
            crows,
            "<tr{cls}><td>{}</td><td>{value}</td><td>{}</td></tr>",
            esc(&c.name),
            if c.is_override {
                "<span class=\"tag\">override</span>"
            } else {
                "default"
            },
            cls = if c.is_override {
                " class=\"override\""
            } else {
                ""
            },
        );
    }
    let u = url(&name);
    let body = format!(
        "{notice}<p><a class=\"button\" href=\"/topics/{u}/messages\">Browse messages</a></p>\
         <h2>Partitions</h2>\
         <table id=\"partitions\"><thead><tr><th class=\"num\">Partition</th><th class=\"num\">Leader</th><th class=\"num\">Replicas</th>\
         <th class=\"num\">Start offset</th><th class=\"num\">End offset</th><th class=\"num\">Size</th></tr></thead><tbody>{rows}</tbody></table>\
         <form id=\"add-partitions\" method=\"post\" action=\"/topics/{u}/partitions\" class=\"inline\">\
         <label>Increase partitions to <input name=\"count\" type=\"number\" min=\"{next}\" value=\"{next}\"></label>\
         <button>Add partitions</button></form>\
         <h2>Configs</h2>\
         <form id=\"edit-config\" method=\"post\" action=\"/topics/{u}/config\" class=\"inline\">\
         <label>Key <input name=\"key\" list=\"config-keys\" required></label>\
         <label>Value <input name=\"value\"></label>\
         <button name=\"op\" value=\"set\">Set override</button>\
         <button name=\"op\" value=\"delete\">Remove override</button></form>\
         <datalist id=\"config-keys\">{keys}</datalist>\
         <table id=\"configs\"><thead><tr><th>Name</th><th>Value</th><th>Source</th></tr></thead>\
         <tbody>{crows}</tbody></table>\
         <h2>Delete</h2>\
         <form id=\"delete-topic\" method=\"post\" action=\"/topics/{u}/delete\" class=\"inline danger\">\
         <label>Type the topic name to confirm <input name=\"confirm\" autocomplete=\"off\"></label>\
         <button>Delete topic</button></form>",
        notice = notice(n.ok.as_deref(), n.error.as_deref()),
        next = topic.partitions.len() + 1,
        keys = configs
            .iter()
            .map(|c| format!("<option value=\"{}\">", esc(&c.name)))
            .collect::<String>(),
    );
    Ok(layout(&format!("Topic {name}"), "Topics", &body))
}

fn back(name: &str, result: Result<String, String>) -> Response {
    let (k, v) = match result {
        Ok(m) => ("ok", m),
        Err(e) => ("error", e),
    };
    Redirect::to(&format!("/topics/{}?{k}={}", url(name), url(&v))).into_response()
}

#[derive(Deserialize)]
pub struct PartitionsForm {
    count: String,
}

/// POST /topics/{name}/partitions
pub async fn add_partitions(
    State(app): State<App>,
    Path(name): Path<String>,
    headers: HeaderMap,
    Form(form): Form<PartitionsForm>,
) -> Result<Response, Failure> {
    crate::same_origin(&headers)?;
    let result = match form.count.trim().parse::<i32>() {
        Ok(count) => app
            .client
            .create_partitions(&name, count)
            .await
            .map(|()| format!("Topic now has {count} partitions"))
            .map_err(|e| format!("{e:#}")),
        Err(_) => Err(format!(
            "partition count must be a number, not {:?}",
            form.count
        )),
    };
    Ok(back(&name, result))
}

#[derive(Deserialize)]
pub struct ConfigForm {
    key: String,
    #[serde(default)]
    value: String,
    #[serde(default)]
    op: String,
}

/// POST /topics/{name}/config
pub async fn alter_config(
    State(app): State<App>,
    Path(name): Path<String>,
    headers: HeaderMap,
    Form(form): Form<ConfigForm>,
) -> Result<Response, Failure> {
    crate::same_origin(&headers)?;
    let key = form.key.trim();
    let value = (form.op != "delete").then_some(form.value.trim());
    let result = app
        .client
        .alter_topic_config(&name, key, value)
        .await
        .map(|()| match value {
            Some(v) => format!("{key} set to {v}"),
            None => format!("{key} override removed"),
        })
        .map_err(|e| format!("{e:#}"));
    Ok(back(&name, result))
}

#[derive(Deserialize)]
pub struct DeleteForm {
    #[serde(default)]
    confirm: String,
}

/// POST /topics/{name}/delete: only with the topic's name typed as confirmation.
pub async fn delete(
    State(app): State<App>,
    Path(name): Path<String>,
    headers: HeaderMap,
    Form(form): Form<DeleteForm>,
) -> Result<Response, Failure> {
    crate::same_origin(&headers)?;
    if form.confirm != name {
        return Ok(back(
            &name,
            Err("Type the topic's name to confirm its deletion".into()),
        ));
    }
    Ok(match app.client.delete_topic(&name).await {
        Ok(()) => Redirect::to(&format!(
            "/topics?ok={}",
            url(&format!("Topic {name} deleted"))
        ))
        .into_response(),
        Err(e) => back(&name, Err(format!("{e:#}"))),
    })
}
