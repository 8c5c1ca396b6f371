//! The one-off task phase's figures and claims, as a Markdown paragraph and as JSON.

use serde_json::{Value, json};

use super::BUDGET;
use super::drift::percentile;
use super::tasks::{PLACEMENT_FAILURE_RATE, TARGET_RATIO, TaskRun};

/// The phase as Markdown.
pub fn markdown(t: &TaskRun) -> String {
    let o = &t.outcomes;
    let first_calls = t.tasks - t.expiring;
    let mut md = format!(
        "\nOne-off tasks: {n} EcsTasks of one task each against AWS's buckets at real speed. {e} of them ({e_share:.0} %) \
         had their task expire in ECS while the operator was stopped ({away:.1} s); then the other {first_calls} \
         (tasks of {secs:.0} s) were created with {rate:.0} % of the tasks asked for not placed (RESOURCE:MEMORY) and \
         the operator started again: all {n} runs ended {took:.1} s after its start ({complete} Complete, {expired} \
         Failed with TaskExpired). Floor {floor:.1} s at budget {BUDGET} ({floor_full:.1} s at full buckets): the \
         schedule of an operator calling RunTask as fast as its share of the bucket allows and placing a refused task \
         again when the documented backoff ends (10 s, doubling), over the run's own placements ({calls} RunTask \
         calls, {refused} refused, at most {most} times the same task); the closed form RunTask bucket for all calls + \
         10 s + one task's life gives {closed:.1} s. Ratio {ratio:.2} (target {TARGET_RATIO}). The last RunTask after \
         {last:.1} s; {run_task} RunTask calls ({refusals} refused placements recorded, {refusal_share:.1} % of \
         first calls), {describe} DescribeTasks calls naming {per:.1} tasks each ({per100:.2} calls per 100 running \
         tasks per poll), {throttled} ThrottlingExceptions, peak RSS {rss:.1} MiB. From a task's stop in ECS to its \
         EcsTask showing Complete: p50 {p50:.0} s, p99 {p99:.0} s, max {max:.0} s (whole seconds). After all ended, \
         {polls} task calls in {quiet} s ({describe_after} DescribeTasks, {run_after} RunTask); ECS started {ecs} \
         tasks and the runs recorded {recorded} (duplicates: {dups}); {over} runs counted more successes than their \
         count.\n\nClaims:\n",
        n = t.tasks,
        e = t.expiring,
        e_share = t.expiring as f64 * 100.0 / t.tasks as f64,
        away = t.operator_away.as_secs_f64(),
        secs = t.task_seconds,
        rate = PLACEMENT_FAILURE_RATE * 100.0,
        took = t.took.as_secs_f64(),
        complete = o.complete,
        expired = o.expired,
        floor = t.floor.end,
        floor_full = t.floor_full.end,
        calls = t.floor.calls,
        refused = t.floor.refused,
        most = t.floor.most_refusals,
        closed = t.closed_form,
        ratio = t.ratio(),
        last = t.last_run_task.as_secs_f64(),
        run_task = t.run_task_calls,
        refusals = o.refusals,
        refusal_share = o.refusals as f64 * 100.0 / first_calls as f64,
        describe = t.describe_tasks_calls,
        per = t.tasks_per_describe,
        per100 = 100.0 / t.tasks_per_describe.max(f64::MIN_POSITIVE),
        throttled = t.throttled,
        rss = t.rss_mib,
        p50 = percentile(&t.seen_after, 50.0).as_secs_f64(),
        p99 = percentile(&t.seen_after, 99.0).as_secs_f64(),
        max = t
            .seen_after
            .iter()
            .max()
            .copied()
            .unwrap_or_default()
            .as_secs_f64(),
        polls = t.polls_after_end(),
        quiet = super::tasks::QUIET_WINDOW.as_secs(),
        describe_after = t.quiet.of("DescribeTasks"),
        run_after = t.quiet.of("RunTask"),
        ecs = t.ecs_tasks,
        recorded = o.recorded_tasks,
        dups = t.ecs_tasks as i64 - o.recorded_tasks as i64,
        over = o.over_succeeded,
    );
    for claim in &t.claims {
        let mark = if claim.holds { "holds" } else { "FAILS" };
        md.push_str(&format!("- {mark}: {}\n", claim.what));
    }
    md
}

/// The phase as JSON.
pub fn json(t: &TaskRun) -> Value {
    let o = &t.outcomes;
    json!({"ecsTasks": t.tasks, "expiredWhileOperatorStopped": t.expiring, "taskSeconds": t.task_seconds,
        "placementFailureRate": PLACEMENT_FAILURE_RATE,
        "operatorStoppedSeconds": t.operator_away.as_secs_f64(),
        "secondsUntilAllEnded": t.took.as_secs_f64(),
        "secondsUntilLastRunTask": t.last_run_task.as_secs_f64(),
        "floorSeconds": t.floor.end, "floorAtFullBucketsSeconds": t.floor_full.end,
        "floorClosedFormSeconds": t.closed_form,
        "floorRunTaskCalls": t.floor.calls, "floorRefusedPlacements": t.floor.refused,
        "floorMostRefusalsOfOneTask": t.floor.most_refusals,
        "ratioToFloor": t.ratio(), "targetRatio": TARGET_RATIO,
        "complete": o.complete, "failedTaskExpired": o.expired, "unexpectedEndings": o.unexpected,
        "runTaskCalls": t.run_task_calls, "refusedPlacementsRecorded": o.refusals,
        "mostAttemptsOfOneRun": o.most_attempts,
        "describeTasksCalls": t.describe_tasks_calls, "tasksPerDescribeTasksCall": t.tasks_per_describe,
        "describeTasksCallsPer100RunningTasksPerPoll": 100.0 / t.tasks_per_describe.max(f64::MIN_POSITIVE),
        "throttlingExceptions": t.throttled, "operatorPeakRssMiB": t.rss_mib,
        "completeAfterStopP50Seconds": percentile(&t.seen_after, 50.0).as_secs_f64(),
        "completeAfterStopP99Seconds": percentile(&t.seen_after, 99.0).as_secs_f64(),
        "quietWindowSeconds": super::tasks::QUIET_WINDOW.as_secs(),
        "taskCallsAfterAllEnded": t.polls_after_end(),
        "describeTasksAfterAllEnded": t.quiet.of("DescribeTasks"),
        "runTaskAfterAllEnded": t.quiet.of("RunTask"),
        "ecsCallsAfterAllEnded": t.quiet.total(),
        "tasksInEcs": t.ecs_tasks, "tasksRecorded": o.recorded_tasks,
        "runsWithMoreSuccessesThanCount": o.over_succeeded,
        "claims": t.claims.iter().map(|c| json!({"claim": c.what, "holds": c.holds})).collect::<Vec<_>>(),
    })
}
