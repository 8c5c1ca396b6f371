//! The HTTP endpoints: `/healthz` and `/readyz` for the kubelet's probes, `/metrics` for Prometheus. `/readyz`
//! answers 503 until the controllers' caches have synced (a standby is ready: it is ready to take over).

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;
use tokio::task::JoinHandle;

use super::StartError;
use crate::health::Readiness;
use crate::metrics::Metrics;

/// Serves the health endpoints and the metrics in the background.
pub async fn serve(
    health: SocketAddr,
    metrics_addr: SocketAddr,
    metrics: Arc<Metrics>,
    readiness: Readiness,
) -> Result<Vec<JoinHandle<()>>, StartError> {
    let probes = Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route(
            "/readyz",
            get(move || async move {
                if readiness.is_ready() {
                    (StatusCode::OK, "ok")
                } else {
                    (StatusCode::SERVICE_UNAVAILABLE, "caches not synced yet")
                }
            }),
        );
    let scrape = Router::new().route("/metrics", get(move || async move { metrics.render() }));
    Ok(vec![
        spawn(health, "health endpoints", probes).await?,
        spawn(metrics_addr, "metrics", scrape).await?,
    ])
}

async fn spawn(
    addr: SocketAddr,
    what: &'static str,
    app: Router,
) -> Result<JoinHandle<()>, StartError> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| StartError::Listen { what, addr, source })?;
    Ok(tokio::spawn(async move {
        if let Err(err) = axum::serve(listener, app).await {
            tracing::error!(error = %err, "{what} server stopped");
        }
    }))
}
