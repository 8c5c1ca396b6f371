//! The admin API (plain HTTP and JSON, not the ECS protocol): `GET /_double/stats` (the default account's),
//! `GET /_double/accounts/{account}/stats`, `POST /_double/reset`, `GET /_double/config` and
//! `POST /_double/config` (reset and settings apply to every account).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::accounts::Accounts;
use crate::app::App;
use crate::settings::ConfigPatch;
use crate::state::ACCOUNT;

fn json_answer(status: StatusCode, body: &Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

fn settings_json(app: &App) -> Value {
    let mut settings = serde_json::to_value(app.settings()).unwrap_or_default();
    settings["unplaceableTasks"] = json!(app.unplaceable_tasks());
    settings
}

/// Calls and throttled calls by operation, faults, and how many objects exist.
pub async fn stats(State(accounts): State<Arc<Accounts>>) -> Response {
    json_answer(StatusCode::OK, &accounts.app(ACCOUNT).stats())
}

/// The same, of one account.
pub async fn account_stats(
    State(accounts): State<Arc<Accounts>>,
    Path(account): Path<String>,
) -> Response {
    json_answer(StatusCode::OK, &accounts.app(&account).stats())
}

/// Wipes objects and counters.
pub async fn reset(State(accounts): State<Arc<Accounts>>) -> Response {
    accounts.all().iter().for_each(|app| app.reset());
    json_answer(StatusCode::OK, &json!({"reset": true}))
}

/// The current settings.
pub async fn config(State(accounts): State<Arc<Accounts>>) -> Response {
    json_answer(StatusCode::OK, &settings_json(&accounts.app(ACCOUNT)))
}

/// Changes settings: `{"faultRate", "latencyMs", "throttle", "timeoutSeconds", "faultAfterEffect",
/// "faultOperations", "rolloutFailureRate", "rolloutSeconds", "taskSeconds", "taskOutcome", "listLagSeconds",
/// "placementFailureRate", "placementFailureReason", "unplaceableTasks", "stoppedTaskSeconds",
/// "clientTokenSeconds", "sidecarExitCode"}`, any subset; answers the settings now in force (with the
/// `unplaceableTasks` still to come).
///
/// The task knobs (catalogue entries 58, 59, 61, 62 and 79):
/// - `placementFailureRate` (0 to 1): the share of the tasks RunTask is asked for that cannot be placed, drawn from
///   the seeded generator; each comes back in `failures[]` as `{"arn": <container instance ARN>, "reason": ...}`.
/// - `placementFailureReason`: `"RESOURCE:CPU"`, `"RESOURCE:MEMORY"` (the default) or `"AGENT"`.
/// - `unplaceableTasks` (N >= 0): the next N tasks RunTask is asked for cannot be placed, before the rate applies;
///   counts down as tasks are refused; `POST /_double/reset` sets it back to 0.
/// - `stoppedTaskSeconds` (default 3600, divided by the speed-up like `taskSeconds`): how long a STOPPED task stays
///   describable; after it DescribeTasks answers MISSING and ListTasks leaves the task out. It also ends a client
///   token: a token is forgotten this long after the last of its tasks stopped.
/// - `clientTokenSeconds` (default 86400, divided by the speed-up): the longest a RunTask client token lives;
///   after it a repeat starts new tasks.
/// - `sidecarExitCode` (default 137): the exit code of a non-essential container that ECS stops when an essential
///   container exits (`taskOutcome` `exit:N` sets the essential containers' code).
pub async fn configure(State(accounts): State<Arc<Accounts>>, body: Bytes) -> Response {
    let patch: ConfigPatch = match serde_json::from_slice(&body) {
        Ok(patch) => patch,
        Err(err) => {
            return json_answer(StatusCode::BAD_REQUEST, &json!({"error": err.to_string()}));
        }
    };
    for app in accounts.all() {
        if let Err(err) = app.configure(&patch) {
            return json_answer(StatusCode::BAD_REQUEST, &json!({"error": err}));
        }
    }
    json_answer(StatusCode::OK, &settings_json(&accounts.app(ACCOUNT)))
}
