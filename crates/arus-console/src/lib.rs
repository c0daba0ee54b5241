//! The Arus web console and Prometheus endpoint, served over HTTP next to the broker.
//!
//! Server-rendered pages with a little plain JavaScript for the live parts (charts, message
//! paging and tail), all assets embedded in the binary. The console reads and changes the
//! broker only through Kafka requests run in process ([`client`]); each HTTP request is its
//! own task, so a long scan or a live-tail long poll never holds up the broker's connections.

pub mod assignment;
pub mod client;
pub mod html;
pub mod pages;
pub mod prometheus;
pub mod records;
pub mod sampler;

use std::net::SocketAddr;
use std::sync::Arc;

use arus_broker::broker::Broker;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::Router;

use crate::client::Client;
use crate::html::Failure;
use crate::sampler::Samples;

/// What every handler shares.
#[derive(Clone)]
pub struct App {
    pub client: Client,
    pub samples: Samples,
}

/// Binds the console's listener. The error names the config keys to change, like a Kafka
/// listener that cannot bind.
pub fn bind(addr: SocketAddr) -> anyhow::Result<std::net::TcpListener> {
    let listener = std::net::TcpListener::bind(addr).map_err(|e| {
        anyhow::anyhow!(
            "cannot bind the web console on {addr} ({e}); set console.listener to a free \
             address or console.enabled=false"
        )
    })?;
    listener.set_nonblocking(true)?;
    Ok(listener)
}

/// Starts serving the console on a bound listener (must be called inside the tokio
/// runtime) and the sampler behind its charts. Returns the bound address.
pub fn start(listener: std::net::TcpListener, broker: Arc<Broker>) -> anyhow::Result<SocketAddr> {
    let addr = listener.local_addr()?;
    let listener = tokio::net::TcpListener::from_std(listener)?;
    let app = App {
        client: Client::new(broker),
        samples: Samples::default(),
    };
    sampler::spawn(app.client.clone(), app.samples.clone());
    let mut router = router(app);
    if addr.ip().is_loopback() {
        router = router.layer(axum::middleware::from_fn(loopback_host_only));
    }
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, router).await {
            tracing::error!(error = %e, "web console stopped");
        }
    });
    Ok(addr)
}

/// Every route of the console.
pub fn router(app: App) -> Router {
    Router::new()
        .route("/", get(pages::overview::page))
        .route("/api/overview", get(pages::overview::api))
        .route(
            "/topics",
            get(pages::topics::list).post(pages::topics::create),
        )
        .route("/topics/{name}", get(pages::topic::page))
        .route(
            "/topics/{name}/partitions",
            post(pages::topic::add_partitions),
        )
        .route("/topics/{name}/config", post(pages::topic::alter_config))
        .route("/topics/{name}/delete", post(pages::topic::delete))
        .route("/topics/{name}/messages", get(pages::messages::page))
        .route("/api/topics/{name}/messages", get(pages::messages::api))
        .route("/api/topics/{name}/produce", post(pages::messages::produce))
        .route("/groups", get(pages::groups::list))
        .route("/groups/{id}", get(pages::group::page))
        .route("/groups/{id}/reset", post(pages::group::reset))
        .route("/api/groups/{id}/lag", get(pages::group::lag_api))
        .route("/metrics", get(prometheus::metrics))
        .route("/assets/console.js", get(js))
        .route("/assets/console.css", get(css))
        .fallback(|| async { Failure::not_found("no such page") })
        .layer(axum::middleware::map_response(protective_headers))
        .with_state(app)
}

/// Headers on every answer: no other site may frame the console (a framed page's own
/// buttons would send same-origin requests, so clickjacking would pass [`same_origin`]),
/// and browsers take each answer as the type it says.
async fn protective_headers(mut response: axum::response::Response) -> axum::response::Response {
    let h = response.headers_mut();
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("frame-ancestors 'none'"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

async fn js() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        include_str!("../assets/console.js"),
    )
}

async fn css() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        include_str!("../assets/console.css"),
    )
}

/// Whether a `Host` header names this machine's loopback interface (`localhost`,
/// `127.x.x.x`, `[::1]`, with or without a port).
pub fn is_loopback_host(host: &str) -> bool {
    let name = match host.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or(""),
        None => host.rsplit_once(':').map_or(host, |(h, _)| h),
    };
    name.eq_ignore_ascii_case("localhost")
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// A console bound to loopback answers only requests addressed to loopback: a page on another
/// site that re-points its own name at 127.0.0.1 (DNS rebinding) gets 421, not the data.
async fn loopback_host_only(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    if is_loopback_host(host) {
        next.run(request).await
    } else {
        Failure(
            StatusCode::MISDIRECTED_REQUEST,
            "this console answers requests for 127.0.0.1 or localhost only".into(),
        )
        .into_response()
    }
}

/// Refuses a state-changing request another site's page made the browser send: when the
/// browser names the request's origin, its host must be the one the request was sent to
/// (`Host`, or `X-Forwarded-Host` from a proxy in front, which another site's page cannot
/// set), over http or https (a TLS-terminating proxy).
pub fn same_origin(headers: &HeaderMap) -> Result<(), Failure> {
    let named = |h: header::HeaderName| headers.get(h).and_then(|v| v.to_str().ok());
    if let Some(origin) = named(header::ORIGIN) {
        let origin_host = origin
            .strip_prefix("http://")
            .or_else(|| origin.strip_prefix("https://"));
        let ours = |h: Option<&str>| h.is_some_and(|h| Some(h) == origin_host);
        if !ours(named(header::HOST))
            && !ours(named(header::HeaderName::from_static("x-forwarded-host")))
        {
            return Err(Failure(
                StatusCode::FORBIDDEN,
                format!("cross-origin request from {origin} refused"),
            ));
        }
    }
    if named(header::HeaderName::from_static("sec-fetch-site")) == Some("cross-site") {
        return Err(Failure(
            StatusCode::FORBIDDEN,
            "cross-site request refused".into(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts() {
        for h in [
            "127.0.0.1:9991",
            "localhost:9991",
            "LOCALHOST",
            "[::1]:9991",
            "127.1.2.3",
        ] {
            assert!(is_loopback_host(h), "{h}");
        }
        for h in [
            "evil.example:9991",
            "10.0.0.1:9991",
            "",
            "[::2]:1",
            "localhost.evil:80",
        ] {
            assert!(!is_loopback_host(h), "{h}");
        }
    }

    #[test]
    fn same_origin_rules() {
        let mut h = HeaderMap::new();
        assert!(same_origin(&h).is_ok());
        h.insert(header::HOST, HeaderValue::from_static("127.0.0.1:9991"));
        h.insert(
            header::ORIGIN,
            HeaderValue::from_static("http://127.0.0.1:9991"),
        );
        assert!(same_origin(&h).is_ok());
        h.insert(
            header::ORIGIN,
            HeaderValue::from_static("http://evil.example"),
        );
        assert!(same_origin(&h).is_err());
        h.insert(header::ORIGIN, HeaderValue::from_static("null"));
        assert!(same_origin(&h).is_err());
        h.remove(header::ORIGIN);
        h.insert("sec-fetch-site", HeaderValue::from_static("cross-site"));
        assert!(same_origin(&h).is_err());
    }

    #[test]
    fn same_origin_behind_a_tls_proxy() {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, HeaderValue::from_static("console.example"));
        h.insert(
            header::ORIGIN,
            HeaderValue::from_static("https://console.example"),
        );
        assert!(same_origin(&h).is_ok());
        // A proxy that sends the upstream address as Host names the public one apart.
        h.insert(header::HOST, HeaderValue::from_static("127.0.0.1:9991"));
        assert!(same_origin(&h).is_err());
        h.insert(
            "x-forwarded-host",
            HeaderValue::from_static("console.example"),
        );
        assert!(same_origin(&h).is_ok());
        h.insert(
            header::ORIGIN,
            HeaderValue::from_static("https://evil.example"),
        );
        assert!(same_origin(&h).is_err());
        h.insert(
            header::ORIGIN,
            HeaderValue::from_static("https://console.example.evil"),
        );
        assert!(same_origin(&h).is_err());
    }
}
