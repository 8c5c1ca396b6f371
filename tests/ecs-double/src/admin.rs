//! The admin API (plain HTTP and JSON, not the ECS protocol): `GET /_double/stats`, `POST /_double/reset`,
//! `GET /_double/config` and `POST /_double/config`.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::app::App;
use crate::settings::ConfigPatch;

fn json_answer(status: StatusCode, body: &Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

fn settings_json(app: &App) -> Value {
    serde_json::to_value(app.settings()).unwrap_or_default()
}

/// Calls and throttled calls by operation, faults, and how many objects exist.
pub async fn stats(State(app): State<Arc<App>>) -> Response {
    json_answer(StatusCode::OK, &app.stats())
}

/// Wipes objects and counters.
pub async fn reset(State(app): State<Arc<App>>) -> Response {
    app.reset();
    json_answer(StatusCode::OK, &json!({"reset": true}))
}

/// The current settings.
pub async fn config(State(app): State<Arc<App>>) -> Response {
    json_answer(StatusCode::OK, &settings_json(&app))
}

/// Changes settings: `{"faultRate", "latencyMs", "throttle", "timeoutSeconds", "faultAfterEffect",
/// "faultOperations", "rolloutFailureRate", "rolloutSeconds", "taskSeconds", "taskOutcome"}`, any subset; answers
/// the settings now in force.
pub async fn configure(State(app): State<Arc<App>>, body: Bytes) -> Response {
    let patch: ConfigPatch = match serde_json::from_slice(&body) {
        Ok(patch) => patch,
        Err(err) => {
            return json_answer(StatusCode::BAD_REQUEST, &json!({"error": err.to_string()}));
        }
    };
    match app.configure(&patch) {
        Ok(()) => json_answer(StatusCode::OK, &settings_json(&app)),
        Err(err) => json_answer(StatusCode::BAD_REQUEST, &json!({"error": err})),
    }
}
