//! The timeline of an ECS-native BLUE_GREEN, LINEAR or CANARY deployment: when each lifecycle stage starts, how
//! production traffic shifts, and when CLEAN_UP ends (docs/ecs-behaviour.md, entries 73 and 76). Short stages take
//! a quarter of the rollout duration, SCALE_UP the whole of it, bake times their minutes.

use serde_json::{Map, Value};

use crate::dispatch::Ctx;

/// The lifecycle stages of a deployment, in order (RECONCILE_SERVICE only happens with more than one ACTIVE
/// service revision, which the double never has).
pub const STAGES: [&str; 9] = [
    "PRE_SCALE_UP",
    "SCALE_UP",
    "POST_SCALE_UP",
    "TEST_TRAFFIC_SHIFT",
    "POST_TEST_TRAFFIC_SHIFT",
    "PRODUCTION_TRAFFIC_SHIFT",
    "POST_PRODUCTION_TRAFFIC_SHIFT",
    "BAKE_TIME",
    "CLEAN_UP",
];

/// The stages, traffic steps and end of a deployment started at a given time.
#[derive(Clone, Debug)]
pub struct Timeline {
    /// Each stage and when it starts.
    stages: Vec<(&'static str, f64)>,
    /// Production traffic weight of the new revision from each time on.
    traffic: Vec<(f64, f64)>,
    /// When CLEAN_UP ends.
    pub finish: f64,
}

/// The deployment configuration's strategy, when it is not ROLLING.
pub fn strategy(config: &Map<String, Value>) -> Option<&str> {
    let strategy = config
        .get("deploymentConfiguration")
        .and_then(|d| d.get("strategy"))
        .and_then(Value::as_str)?;
    (strategy != "ROLLING").then_some(strategy)
}

fn number(config: &Value, path: &[&str], default: f64) -> f64 {
    path.iter()
        .try_fold(config, |v, key| v.get(key))
        .and_then(Value::as_f64)
        .unwrap_or(default)
}

impl Timeline {
    /// The timeline of a deployment of a service with `config` starting at `start`; `None` for ROLLING.
    pub fn of(config: &Map<String, Value>, ctx: &Ctx, start: f64) -> Option<Self> {
        let strategy = strategy(config)?;
        let deployment = config.get("deploymentConfiguration")?;
        let step = ctx.duration / 4.0;
        let minutes = |path: &[&str], default: f64| number(deployment, path, default) * ctx.minute;
        let mut t = start;
        let (mut stages, mut traffic) = (Vec::new(), vec![(start, 0.0)]);
        for stage in STAGES {
            stages.push((stage, t));
            t += match stage {
                "SCALE_UP" => ctx.duration,
                "PRODUCTION_TRAFFIC_SHIFT" => match strategy {
                    "LINEAR" => {
                        let percent =
                            number(deployment, &["linearConfiguration", "stepPercent"], 10.0);
                        let bake = minutes(&["linearConfiguration", "stepBakeTimeInMinutes"], 6.0);
                        let steps = (100.0 / percent).ceil() as usize;
                        for i in 1..=steps {
                            let at = t + (i - 1) as f64 * (step + bake);
                            traffic.push((at, (percent * i as f64).min(100.0)));
                        }
                        steps as f64 * step + (steps - 1) as f64 * bake
                    }
                    "CANARY" => {
                        let percent =
                            number(deployment, &["canaryConfiguration", "canaryPercent"], 5.0);
                        let bake =
                            minutes(&["canaryConfiguration", "canaryBakeTimeInMinutes"], 10.0);
                        traffic.push((t, percent));
                        traffic.push((t + step + bake, 100.0));
                        2.0 * step + bake
                    }
                    _ => {
                        traffic.push((t, 100.0));
                        step
                    }
                },
                "BAKE_TIME" => minutes(&["bakeTimeInMinutes"], 0.0),
                _ => step,
            };
        }
        Some(Self {
            stages,
            traffic,
            finish: t,
        })
    }

    pub fn stage(&self, t: f64) -> &'static str {
        self.stages
            .iter()
            .rev()
            .find(|(_, start)| *start <= t)
            .map_or(STAGES[0], |(stage, _)| stage)
    }

    pub fn stage_start(&self, stage: &str) -> Option<f64> {
        self.stages
            .iter()
            .find(|(s, _)| *s == stage)
            .map(|(_, t)| *t)
    }

    pub fn stage_end(&self, stage: &str) -> f64 {
        let next = self.stages.iter().skip_while(|(s, _)| *s != stage).nth(1);
        next.map_or(self.finish, |(_, t)| *t)
    }

    /// Moves everything after `at` on by `by` seconds: a pause held the deployment at `at` that long.
    pub fn delay_after(&mut self, at: f64, by: f64) {
        for (_, start) in self.stages.iter_mut().filter(|(_, start)| *start > at) {
            *start += by;
        }
        for (when, _) in self.traffic.iter_mut().filter(|(when, _)| *when > at) {
            *when += by;
        }
        self.finish += by;
    }

    pub fn traffic(&self, t: f64) -> f64 {
        self.traffic
            .iter()
            .rev()
            .find(|(at, _)| *at <= t)
            .map_or(0.0, |(_, w)| *w)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ctx() -> Ctx {
        crate::dispatch::test_ctx(0.0, 4.0, 10.0)
    }

    fn config(deployment: Value) -> Map<String, Value> {
        json!({"deploymentConfiguration": deployment})
            .as_object()
            .unwrap()
            .clone()
    }

    #[test]
    fn a_rolling_service_has_no_timeline() {
        assert!(Timeline::of(&config(json!({"strategy": "ROLLING"})), &ctx(), 0.0).is_none());
        assert!(Timeline::of(&Map::new(), &ctx(), 0.0).is_none());
    }

    #[test]
    fn blue_green_goes_through_the_stages_then_bakes() {
        let t = Timeline::of(
            &config(json!({"strategy": "BLUE_GREEN", "bakeTimeInMinutes": 1})),
            &ctx(),
            0.0,
        )
        .unwrap();
        // 1 s per short stage, 4 s of scale-up, 10 s of bake time.
        assert_eq!(t.stage(0.5), "PRE_SCALE_UP");
        assert_eq!(t.stage(2.0), "SCALE_UP");
        assert_eq!(t.stage(8.5), "PRODUCTION_TRAFFIC_SHIFT");
        assert_eq!((t.traffic(7.9), t.traffic(8.5)), (0.0, 100.0));
        assert_eq!(t.stage(15.0), "BAKE_TIME");
        assert_eq!(t.stage(20.5), "CLEAN_UP");
        assert_eq!(t.finish, 21.0);
    }

    #[test]
    fn linear_and_canary_shift_in_steps() {
        let linear = json!({"strategy": "LINEAR", "bakeTimeInMinutes": 0,
                            "linearConfiguration": {"stepPercent": 40.0, "stepBakeTimeInMinutes": 0.2}});
        let t = Timeline::of(&config(linear), &ctx(), 0.0).unwrap();
        let weights: Vec<f64> = t.traffic.iter().map(|(_, w)| *w).collect();
        assert_eq!(weights, [0.0, 40.0, 80.0, 100.0]);
        let canary = json!({"strategy": "CANARY", "bakeTimeInMinutes": 0,
                            "canaryConfiguration": {"canaryPercent": 10.0, "canaryBakeTimeInMinutes": 1}});
        let t = Timeline::of(&config(canary), &ctx(), 0.0).unwrap();
        let shift = t.stage_start("PRODUCTION_TRAFFIC_SHIFT").unwrap();
        assert_eq!(t.traffic(shift + 5.0), 10.0);
        assert_eq!(t.traffic(shift + 11.0), 100.0);
    }
}
