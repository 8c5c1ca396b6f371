//! The floor of the one-off task phase: the earliest any operator could have seen every task stop, given AWS's
//! RunTask bucket, the documented backoff before a task ECS could not place is placed again (10 s, doubling, up to
//! 6 minutes, as a Job's), and which tasks the double could not place.
//!
//! The double decides placement per task asked, in the order asked, from a seeded generator, so which *call*
//! fails does not depend on the caller. A probe double with the same seed and rate answers the same sequence; the
//! floor is the schedule of an operator that calls RunTask the moment its share of the bucket allows, the task due
//! longest first, and places a refused task again the moment its backoff ends, over that very sequence. When no
//! re-placement is refused again this is the closed form `RunTask bucket time for all calls + 10 s + one task's
//! life` (the last refused first call waits 10 s); a re-placement refused again waits 20 s more (then 40 s ...),
//! which the closed form misses and the schedule adds.

use ecs_bridge::ecs::limits::Category;

/// Seed of the measured double and of the probe: the same seed answers the same placements.
pub const SEED: &str = "21";

/// The first wait before a refused task is placed again, and the longest (Kubernetes' Job backoff, which the
/// EcsTask API documents).
const FIRST_BACKOFF_SECONDS: f64 = 10.0;
const MAX_BACKOFF_SECONDS: f64 = 360.0;

/// The wait after a task's `refusals`-th refused placement.
fn backoff(refusals: u32) -> f64 {
    let doublings = refusals.saturating_sub(1).min(16);
    (FIRST_BACKOFF_SECONDS * f64::from(1u32 << doublings)).min(MAX_BACKOFF_SECONDS)
}

/// Which of the tasks asked for, in order, the double places (`true`) at placement failure `rate`, until `placed`
/// were placed: asked of a probe double with the measured double's seed, one RunTask of one task at a time, its
/// buckets off.
pub async fn probe(placed: usize, rate: f64) -> Vec<bool> {
    let double = ecs_double::spawn(&["--speedup", "1", "--seed", SEED]);
    let url = double.url.as_str();
    super::processes::http(
        "POST",
        &format!("{url}/_double/config"),
        Some(&format!(
            r#"{{"throttle": false, "placementFailureRate": {rate}}}"#
        )),
    );
    let ecs = super::ecs_client(url).await;
    ecs.create_cluster()
        .cluster_name("probe")
        .send()
        .await
        .expect("create the probe's cluster");
    ecs.register_task_definition()
        .family("probe")
        .container_definitions(
            aws_sdk_ecs::types::ContainerDefinition::builder()
                .name("job")
                .image("registry.example/job:1")
                .memory(128)
                .build(),
        )
        .send()
        .await
        .expect("register the probe's task definition");
    let mut answers = Vec::new();
    while answers.iter().filter(|fits| **fits).count() < placed {
        let answer = ecs
            .run_task()
            .cluster("probe")
            .task_definition("probe")
            .count(1)
            .send()
            .await
            .expect("the probe's RunTask");
        answers.push(!answer.tasks().is_empty());
    }
    answers
}

/// The floor's schedule.
#[derive(Clone, Debug, Default)]
pub struct Schedule {
    /// RunTask calls, of them refused, and the most refusals of one task.
    pub calls: usize,
    pub refused: usize,
    pub most_refusals: u32,
    /// Seconds from the start to the last RunTask call and to the last task's stop.
    pub last_call: f64,
    pub end: f64,
}

/// The schedule of `tasks` one-off tasks of `life` seconds (RunTask to STOPPED) at `budget` of AWS's RunTask
/// bucket (full at the start), where the i-th task asked for is placed when `placed[i]`.
pub fn schedule(tasks: usize, placed: &[bool], budget: f64, life: f64) -> Schedule {
    let (burst, refill) = Category::TaskModify.aws_default();
    let (capacity, rate) = (burst * budget, refill * budget);
    let (mut clock, mut tokens) = (0.0_f64, capacity);
    // Each waiting task: when it is due and how often it was refused.
    let mut waiting: Vec<(f64, u32)> = vec![(0.0, 0); tasks];
    let mut out = Schedule::default();
    while let Some(next) = (0..waiting.len()).min_by(|&a, &b| waiting[a].0.total_cmp(&waiting[b].0))
    {
        let (due, refusals) = waiting[next];
        let at = due.max(clock);
        tokens = (tokens + rate * (at - clock)).min(capacity);
        clock = at;
        if tokens < 1.0 {
            clock += (1.0 - tokens) / rate;
            tokens = 1.0;
        }
        tokens -= 1.0;
        let fits = *placed
            .get(out.calls)
            .expect("the probe answered fewer placements than the schedule asks");
        out.calls += 1;
        out.last_call = clock;
        if fits {
            waiting.swap_remove(next);
            out.end = out.end.max(clock + life);
        } else {
            out.refused += 1;
            waiting[next] = (clock + backoff(refusals + 1), refusals + 1);
            out.most_refusals = out.most_refusals.max(refusals + 1);
        }
    }
    out
}

/// The closed form: the RunTask bucket's time for `calls` calls at `budget`, the first backoff and one task's life.
pub fn closed_form(calls: usize, budget: f64, life: f64) -> f64 {
    super::bucket_seconds(Category::TaskModify, calls, budget, 1.0) + FIRST_BACKOFF_SECONDS + life
}
