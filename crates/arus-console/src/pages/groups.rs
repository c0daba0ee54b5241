//! The consumer groups list: state, members and total lag of each group.

use std::fmt::Write;

use axum::extract::State;
use axum::response::Html;

use crate::html::{esc, page as layout, url, Failure};
use crate::sampler::total_lag;
use crate::App;

/// GET /groups
pub async fn list(State(app): State<App>) -> Result<Html<String>, Failure> {
    let groups = app.client.groups().await?;
    let mut rows = String::new();
    for g in &groups {
        let members = match app.client.describe_group(&g.id).await {
            Ok(Some(d)) => d.members.len().to_string(),
            _ => "?".to_string(),
        };
        let lag = match app.client.group_lag(&g.id).await {
            Ok(per) => total_lag(&per).to_string(),
            Err(_) => "?".to_string(),
        };
        let _ = write!(
            rows,
            "<tr data-group=\"{id}\"><td><a href=\"/groups/{u}\">{id}</a></td><td>{state}</td>\
             <td class=\"num\">{members}</td><td class=\"num lag\">{lag}</td></tr>",
            id = esc(&g.id),
            u = url(&g.id),
            state = esc(&g.state),
        );
    }
    if rows.is_empty() {
        rows = "<tr><td colspan=\"4\" class=\"empty\">No consumer groups</td></tr>".into();
    }
    let body = format!(
        "<table id=\"groups\"><thead><tr><th>Group</th><th>State</th><th class=\"num\">Members</th>\
         <th class=\"num\">Total lag</th></tr></thead><tbody>{rows}</tbody></table>"
    );
    Ok(layout("Consumer groups", "Consumer groups", &body))
}
