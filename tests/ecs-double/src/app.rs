//! The shared state of the server and the path of one ECS call: latency, throttling, fault choice, then the
//! operation on the model (with the fault applied before it, or after it with `--fault-after-effect`).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::{Value, json};

use crate::clock::Clock;
use crate::dispatch::{self, Ctx};
use crate::faults;
use crate::ids;
use crate::prng::XorShift;
use crate::protocol::{self, ApiError, OpResult};
use crate::request::Request;
use crate::settings::{ConfigPatch, Settings};
use crate::state::Model;
use crate::stats::Stats;
use crate::task_life::Timing;
use crate::task_memory::Memory;
use crate::task_request;
use crate::throttle::{FARGATE_RUN_TASK, Throttle};

/// How long each of a task's PROVISIONING, PENDING and DEPROVISIONING stages lasts, before the speed-up.
const TASK_STEP_SECONDS: f64 = 1.0;

/// A call within this long (real time) of the last time the model was brought up to date does not bring it up
/// to date again: bringing every service and task up to date costs time by the object, which at thousands of
/// services and a hundred calls a second made the double, not the operator, what a benchmark measured. A read
/// answers from the model at the time of its latest call (slightly in the past, as if the read had come earlier). A
/// write runs at its own time on that model (so that writes keep their order in time), as ECS's own state lags its
/// API by more than this; at 10,000 services the writes' bringing up to date (about 20 a
/// second) took most of a core of the two the benchmark's machine has.
const SETTLE_EVERY: std::time::Duration = std::time::Duration::from_millis(100);

/// Everything the handlers share.
pub struct App {
    clock: Clock,
    settings: Mutex<Settings>,
    model: Mutex<Model>,
    stats: Mutex<Stats>,
    throttle: Mutex<Throttle>,
    faults: Mutex<XorShift>,
    requests: AtomicU64,
    /// When (real time) the model was last brought up to date, and the time of the double's clock of its latest
    /// call since (the settle's, or a later write's).
    settled_at: Mutex<Option<(std::time::Instant, f64)>>,
}

/// Locks a mutex; a panic elsewhere never makes the state unusable.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl App {
    pub fn new(settings: Settings) -> Self {
        let clock = Clock::new();
        Self {
            model: Mutex::new(Model::new(&settings.region, settings.seed)),
            stats: Mutex::new(Stats::default()),
            throttle: Mutex::new(Throttle::new(clock.now())),
            faults: Mutex::new(XorShift::new(settings.seed)),
            settings: Mutex::new(settings),
            requests: AtomicU64::new(0),
            settled_at: Mutex::new(None),
            clock,
        }
    }

    /// The time of the double's clock `operation` runs at, and whether it brings the model up to that time first:
    /// it does unless the model was brought up to date less than [`SETTLE_EVERY`] ago; then a write runs at `now`
    /// and a read at the time of the model's latest call (the settle's or a write's since), so that it sees every
    /// write made. Called with the model locked.
    fn operation_time(&self, operation: &str, now: f64) -> (f64, bool) {
        let read = operation.starts_with("Describe") || operation.starts_with("List");
        let mut settled_at = lock(&self.settled_at);
        let real_now = std::time::Instant::now();
        match settled_at.as_mut() {
            Some((at, then)) if real_now - *at < SETTLE_EVERY => {
                if !read {
                    *then = now;
                }
                (*then, false)
            }
            _ => {
                *settled_at = Some((real_now, now));
                (now, true)
            }
        }
    }

    pub fn settings(&self) -> Settings {
        lock(&self.settings).clone()
    }

    /// How many of the next tasks RunTask is asked for cannot be placed (`unplaceableTasks`).
    pub fn unplaceable_tasks(&self) -> u32 {
        lock(&self.model).placement.unplaceable
    }

    /// Changes the settings at run time; switching throttling on starts with full buckets. `unplaceableTasks`
    /// sets the model's counter (a reset forgets it).
    pub fn configure(&self, patch: &ConfigPatch) -> Result<(), String> {
        let mut settings = lock(&self.settings);
        let was_throttling = settings.throttle;
        settings.apply(patch)?;
        if settings.throttle && !was_throttling {
            *lock(&self.throttle) = Throttle::new(self.clock.now());
        }
        if let Some(count) = patch.unplaceable_tasks {
            lock(&self.model).placement.unplaceable = count;
        }
        Ok(())
    }

    /// Forgets every object and counter, refills the buckets and restarts the generators from the seed.
    pub fn reset(&self) {
        let settings = self.settings();
        *lock(&self.model) = Model::new(&settings.region, settings.seed);
        *lock(&self.stats) = Stats::default();
        *lock(&self.throttle) = Throttle::new(self.clock.now());
        *lock(&self.faults) = XorShift::new(settings.seed);
    }

    pub fn stats(&self) -> Value {
        let stats = lock(&self.stats).clone();
        json!({
            "calls": stats.calls,
            "throttled": stats.throttled,
            "faults": stats.faults,
            "named": stats.named,
            "objects": lock(&self.model).object_counts(),
        })
    }

    /// Answers one ECS request.
    pub async fn handle(&self, headers: &HeaderMap, body: &[u8]) -> Response {
        let n = self.requests.fetch_add(1, Ordering::Relaxed) + 1;
        let request_id = ids::uuid(n ^ (u64::from(std::process::id()) << 40));
        let result = self.call(headers, body).await;
        if let Err(err) = &result {
            tracing::debug!(request_id, code = err.code, message = %err.message, "ECS call failed");
        }
        protocol::answer(result, &request_id)
    }

    async fn call(&self, headers: &HeaderMap, body: &[u8]) -> OpResult {
        let Some(operation) = protocol::operation(headers) else {
            return Err(ApiError::new(
                "UnknownOperationException",
                "The X-Amz-Target header does not name an ECS operation.",
            ));
        };
        tracing::debug!(operation, "ECS call");
        let settings = self.settings();
        lock(&self.stats).call(operation);
        if settings.latency_ms > 0 {
            tokio::time::sleep(settings.latency()).await;
        }
        let admitted = !settings.throttle
            || lock(&self.throttle).admit(operation, self.clock.now(), settings.speedup);
        if !admitted {
            lock(&self.stats).throttle(operation);
            return Err(ApiError::throttled());
        }
        let Some(op) = dispatch::find(operation) else {
            return Err(ApiError::new(
                "UnknownOperationException",
                format!("The ECS double does not implement {operation}."),
            ));
        };
        let request = Request::parse(body)?;
        // Fargate's own RunTask limit, for a launch on Fargate (catalogue entry 67).
        let on_fargate = operation == "RunTask" && task_request::fargate(&request).unwrap_or(false);
        if settings.throttle
            && on_fargate
            && !lock(&self.throttle).admit(FARGATE_RUN_TASK, self.clock.now(), settings.speedup)
        {
            lock(&self.stats).throttle(operation);
            return Err(ApiError::throttled());
        }
        lock(&self.stats).named(operation, &request);
        let fault = settings
            .faults_strike(operation)
            .then(|| faults::pick(&mut lock(&self.faults), settings.fault_rate))
            .flatten();
        if let (Some(fault), false) = (fault, settings.fault_after_effect) {
            lock(&self.stats).faults += 1;
            return Err(faults::inflict(fault, settings.timeout()).await);
        }
        let result = {
            let mut model = lock(&self.model);
            let (now, settle) = self.operation_time(operation, self.clock.now());
            let ctx = Ctx {
                now,
                duration: settings.rollout_duration(),
                minute: 60.0 / settings.speedup,
                failure_rate: settings.rollout_failure_rate,
                container_instances: settings.container_instances,
                broken: settings.broken.clone(),
                task_timing: Timing {
                    step: TASK_STEP_SECONDS / settings.speedup,
                    run: settings.task_duration(),
                },
                task_outcome: settings.task_outcome,
                list_lag: settings.list_lag_seconds,
                memory: Memory {
                    stopped_task: settings.stopped_task_duration(),
                    client_token: settings.client_token_duration(),
                },
                placement_failure_rate: settings.placement_failure_rate,
                placement_failure_reason: settings.placement_failure_reason,
                sidecar_exit_code: settings.sidecar_exit_code,
            };
            if settle {
                model.settle(ctx.now, ctx.duration);
                crate::service_tasks::settle(&mut model, ctx.now, ctx.task_timing);
            }
            op(&mut model, &ctx, &request)
        };
        if let Some(fault) = fault {
            lock(&self.stats).faults += 1;
            return Err(faults::inflict(fault, settings.timeout()).await);
        }
        result
    }
}
