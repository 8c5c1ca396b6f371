//! Failures as the user sees them: `Synced=False` (and `Ready=False` unless a passing failure hit a Ready object)
//! with the error's reason and message, and a Warning event (not for a reference that exists and is not Ready yet),
//! each once per failure and generation.

use kube::Api;

use super::conditions::{self, ConditionUpdate, READY, SYNCED};
use super::{Context, Error, Managed, Note, events, status};
use crate::api::common::ConditionedStatus;

/// Whether the object already shows this very failure for this generation.
pub(super) fn is_repeat<S: ConditionedStatus>(
    status: &S,
    err: &Error,
    generation: Option<i64>,
) -> bool {
    status.conditions().iter().any(|c| {
        c.type_ == SYNCED
            && c.status == "False"
            && c.reason == err.reason()
            && err.is_shown_by(&c.message)
            && c.observed_generation == generation
    })
}

/// Sets `Synced=False` (and `Ready=False` unless a passing failure hit an object that is Ready for this generation).
pub(super) fn record_failure<S: ConditionedStatus>(
    status: &mut S,
    err: &Error,
    generation: Option<i64>,
    now: &str,
) {
    let message = err.to_string();
    conditions::set(
        status.conditions_mut(),
        &ConditionUpdate::new(SYNCED, false, err.reason(), &message),
        generation,
        now,
    );
    if !(err.is_transient() && conditions::is_true_for(status.conditions(), READY, generation)) {
        conditions::set(
            status.conditions_mut(),
            &ConditionUpdate::new(READY, false, err.reason(), &message),
            generation,
            now,
        );
    }
}

/// Shows a failure in status and in a Warning event, unless the object already shows it.
pub(super) async fn report_failure<K: Managed>(
    api: &Api<K>,
    obj: &K,
    ctx: &Context,
    err: &Error,
) -> Result<(), Error> {
    let generation = obj.meta().generation;
    let mut status = obj.status().cloned().unwrap_or_default();
    if !is_repeat(&status, err, generation) {
        record_failure(&mut status, err, generation, &conditions::now());
        if err.warns() {
            events::publish(ctx, obj, &[Note::warning(err.reason(), err.to_string())]).await;
        }
        status::apply(api, obj, obj.status(), &status).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::EcsClusterStatus;
    use crate::ecs::AwsError;

    fn denied(request_id: &str) -> Error {
        Error::Aws(AwsError::from_code(
            "CreateCluster",
            Some("AccessDeniedException"),
            "not allowed".into(),
            Some(request_id.into()),
        ))
    }

    #[test]
    fn a_persistent_failure_is_recorded_once_whatever_its_request_id() {
        let mut status = EcsClusterStatus::default();
        record_failure(&mut status, &denied("r-1"), Some(3), "t0");
        assert!(is_repeat(&status, &denied("r-2"), Some(3)));
        assert!(
            !is_repeat(&status, &denied("r-2"), Some(4)),
            "a new generation"
        );
        let throttled = Error::Aws(AwsError::from_code(
            "CreateCluster",
            Some("ThrottlingException"),
            "slow down".into(),
            Some("r-3".into()),
        ));
        assert!(!is_repeat(&status, &throttled, Some(3)), "another failure");
    }
}
