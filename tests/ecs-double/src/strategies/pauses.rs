//! PAUSE lifecycle hooks of a service deployment and ContinueServiceDeployment (docs/ecs-behaviour.md, entries
//! 145-147).
//!
//! A PAUSE hook holds the deployment at the start of each of its stages (those the double's timeline has) with the
//! hook `AWAITING_ACTION` and the deployment `IN_PROGRESS`, until ContinueServiceDeployment names its `hookId` or its
//! time-out (`timeoutInMinutes`, default 1440) passes and the time-out action (`action`, default ROLLBACK) is taken.
//! CONTINUE moves the rest of the timeline on by the time paused; ROLLBACK rolls the deployment back like a failing
//! hook. The hook then shows SUCCEEDED (continued), FAILED (rolled back) or TIMED_OUT.

use serde_json::{Value, json};

use super::{Rollback, ServiceDeployment};
use crate::dispatch::Ctx;
use crate::ids::Ids;
use crate::state::Service;
use crate::timeline::STAGES;

/// A lifecycle hook's time-out when the configuration names none, in minutes.
const DEFAULT_TIMEOUT_MINUTES: f64 = 1440.0;

/// One stage of a PAUSE hook.
#[derive(Clone, Debug)]
pub(super) struct Pause {
    hook_id: String,
    stage: &'static str,
    /// Seconds from the stage's start to the time-out action.
    timeout: f64,
    timeout_action: String,
    /// When it ended, and the hook's status from then on.
    ended: Option<(f64, &'static str)>,
}

/// The pauses of the configuration's PAUSE hooks, one per stage, in stage order.
pub(super) fn of(configuration: &Value, id: &str, ctx: &Ctx) -> Vec<Pause> {
    let hooks = configuration
        .get("lifecycleHooks")
        .and_then(Value::as_array)
        .into_iter()
        .flatten();
    let mut pauses = Vec::new();
    for (i, hook) in hooks
        .enumerate()
        .filter(|(_, h)| h["targetType"] == "PAUSE")
    {
        let minutes = hook
            .pointer("/timeoutConfiguration/timeoutInMinutes")
            .and_then(Value::as_f64)
            .unwrap_or(DEFAULT_TIMEOUT_MINUTES);
        let action = hook
            .pointer("/timeoutConfiguration/action")
            .and_then(Value::as_str)
            .unwrap_or("ROLLBACK");
        let stages = hook["lifecycleStages"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        for stage in STAGES
            .iter()
            .filter(|s| stages.iter().any(|h| h.as_str() == Some(**s)))
        {
            pauses.push(Pause {
                hook_id: format!("ecs-pause-{id}-{i}-{}", stage.to_lowercase()),
                stage,
                timeout: minutes * ctx.minute,
                timeout_action: action.to_owned(),
                ended: None,
            });
        }
    }
    pauses.sort_by_key(|p| STAGES.iter().position(|s| *s == p.stage));
    pauses
}

impl ServiceDeployment {
    /// The pause holding the deployment at `t` and when it began: the first one not ended whose stage started.
    pub(super) fn pause_at(&self, t: f64) -> Option<(usize, f64)> {
        if self.rollback.is_some() || self.stopped_at.is_some() {
            return None;
        }
        let (i, pause) = self
            .pauses
            .iter()
            .enumerate()
            .find(|(_, p)| p.ended.is_none())?;
        let start = self.timeline.stage_start(pause.stage)?;
        (start <= t).then_some((i, start))
    }

    /// The deployment's own clock: frozen where a pause holds it.
    pub(super) fn clock(&self, t: f64) -> f64 {
        self.pause_at(t).map_or(t, |(_, start)| start)
    }

    /// Whether a pause is still to come or holds the deployment.
    pub(super) fn pausing(&self) -> bool {
        self.pauses.iter().any(|p| p.ended.is_none())
    }

    /// `lifecycleHookDetails[]` of the pauses reached by `t`.
    pub(super) fn pause_details(&self, t: f64) -> Vec<Value> {
        let until = self
            .rollback
            .as_ref()
            .map_or(self.clock(t), |r| r.at.min(t));
        self.pauses
            .iter()
            .filter_map(|p| {
                let start = self.timeline.stage_start(p.stage)?;
                if start > until {
                    return None;
                }
                let status = match p.ended {
                    Some((at, status)) if at <= t => status,
                    _ if self.rollback.is_some() || self.stopped_at.is_some() => "FAILED",
                    _ => "AWAITING_ACTION",
                };
                Some(
                    json!({"hookId": p.hook_id, "targetType": "PAUSE", "status": status,
                            "expiresAt": start + p.timeout, "timeoutAction": p.timeout_action}),
                )
            })
            .collect()
    }
}

/// Ends pause `pause` of service deployment `index` at `at` with `action`, the hook showing `status`.
fn end(
    service: &mut Service,
    (index, pause): (usize, usize),
    at: f64,
    action: &str,
    status: &'static str,
    ids: &mut Ids,
) {
    let sd = &mut service.service_deployments[index];
    let Some(start) = sd.timeline.stage_start(sd.pauses[pause].stage) else {
        return;
    };
    sd.pauses[pause].ended = Some((at, status));
    let ours = service.run.primary_id() == Some(sd.deployment_id.as_str());
    if action == "ROLLBACK" {
        let p = &sd.pauses[pause];
        let why = if status == "TIMED_OUT" {
            "timed out"
        } else {
            "was answered with ROLLBACK"
        };
        let reason = format!(
            "Service deployment rolled back because pause hook {} {why} at stage {}.",
            p.hook_id, p.stage
        );
        sd.rollback = Some(Rollback {
            at,
            reason: reason.clone(),
            stage: p.stage,
        });
        if ours {
            service.run.advance(at, ids);
            service.run.abort(at, &reason, ids);
        }
        return;
    }
    sd.timeline.delay_after(start, at - start);
    if !sd.pausing() && ours {
        service.run.hold_primary(sd.timeline.finish);
    }
}

/// Takes the time-out action of every pause of the newest service deployment whose time-out passed by `now`.
pub(super) fn time_out(service: &mut Service, now: f64, ids: &mut Ids) {
    let Some(index) = service.service_deployments.len().checked_sub(1) else {
        return;
    };
    while let Some((pause, start)) = service.service_deployments[index].pause_at(now) {
        let p = &service.service_deployments[index].pauses[pause];
        let expires = start + p.timeout;
        if expires > now {
            break;
        }
        let action = p.timeout_action.clone();
        end(service, (index, pause), expires, &action, "TIMED_OUT", ids);
    }
}

/// ContinueServiceDeployment at `now`: CONTINUE or ROLLBACK the pause `hook_id` of service deployment `index`,
/// which must be AWAITING_ACTION.
pub fn answer(
    service: &mut Service,
    index: usize,
    hook_id: &str,
    action: &str,
    now: f64,
    ids: &mut Ids,
) -> Result<(), String> {
    let sd = &service.service_deployments[index];
    match sd.pause_at(now) {
        Some((pause, _)) if sd.pauses[pause].hook_id == hook_id => {
            let status = if action == "ROLLBACK" {
                "FAILED"
            } else {
                "SUCCEEDED"
            };
            end(service, (index, pause), now, action, status, ids);
            Ok(())
        }
        _ => Err(format!(
            "The lifecycle hook {hook_id} is not in AWAITING_ACTION status for this service deployment."
        )),
    }
}
