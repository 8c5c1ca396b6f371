//! The HTTP server: the ECS endpoint and the admin API, served from a listener ([`serve`]) or in-process on a
//! thread of its own for tests ([`spawn`]).

use std::sync::Arc;
use std::sync::mpsc;
use std::thread::JoinHandle;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::{get, post};
use clap::Parser;
use tokio::sync::oneshot;

use crate::accounts::Accounts;
use crate::admin;
use crate::cli::Cli;
use crate::settings::Settings;

async fn ecs(State(accounts): State<Arc<Accounts>>, headers: HeaderMap, body: Bytes) -> Response {
    accounts.handle(&headers, &body).await
}

fn router(accounts: Arc<Accounts>) -> Router {
    Router::new()
        .route("/", post(ecs))
        .route("/_double/stats", get(admin::stats))
        .route(
            "/_double/accounts/{account}/stats",
            get(admin::account_stats),
        )
        .route("/_double/reset", post(admin::reset))
        .route("/_double/config", get(admin::config).post(admin::configure))
        .with_state(accounts)
}

/// Serves the double on `listener` until the process ends.
pub async fn serve(listener: tokio::net::TcpListener, settings: Settings) -> std::io::Result<()> {
    axum::serve(listener, router(Arc::new(Accounts::new(settings)))).await
}

/// A double running in this process on a thread of its own; stopped when dropped.
pub struct Running {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Starts the double on a free loopback port with the command-line `args` (such as `["--speedup", "5"]`).
///
/// # Panics
/// When the arguments do not parse or no port can be bound: a test cannot go on without its double.
pub fn spawn(args: &[&str]) -> Running {
    let cli = Cli::try_parse_from(
        ["ecs-double", "--bind", "127.0.0.1", "--port", "0"]
            .iter()
            .chain(args),
    )
    .unwrap_or_else(|e| panic!("ecs-double arguments {args:?}: {e}"));
    let settings = cli.settings();
    let (address_tx, address_rx) = mpsc::channel();
    let (stop, stopped) = oneshot::channel::<()>();
    let thread = std::thread::Builder::new()
        .name("ecs-double".into())
        .spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("a tokio runtime for the double");
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
                    .await
                    .expect("bind a loopback port for the double");
                let address = listener.local_addr().expect("the double's address");
                address_tx
                    .send(address)
                    .expect("the caller waits for the address");
                let app = router(Arc::new(Accounts::new(settings)));
                // No graceful shutdown: a hanging fault or a kept-alive connection must not hold up the test.
                tokio::select! {
                    _ = axum::serve(listener, app) => {}
                    _ = stopped => {}
                }
            });
            runtime.shutdown_background();
        })
        .expect("start the double's thread");
    let address = address_rx.recv().expect("the double starts");
    Running {
        url: format!("http://{address}"),
        stop: Some(stop),
        thread: Some(thread),
    }
}
