//! `/healthz` and `/readyz` for the kubelet's probes.

use std::net::SocketAddr;

use axum::Router;
use axum::routing::get;
use tokio::task::JoinHandle;

use super::StartError;

/// Serves the health endpoints in the background.
pub async fn serve(addr: SocketAddr) -> Result<JoinHandle<()>, StartError> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| StartError::Listen {
            what: "health endpoints",
            addr,
            source,
        })?;
    let app = Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(|| async { "ok" }));
    Ok(tokio::spawn(async move {
        if let Err(err) = axum::serve(listener, app).await {
            tracing::error!(error = %err, "health server stopped");
        }
    }))
}
