//! Whether the newest ACTIVE revision already holds the spec, and how to report a registration; pure.

use serde_json::Value;

use crate::api::TaskDefinitionStatus;
use crate::ecs::task_definition::ObservedRevision;
use crate::reconcile::Note;

use super::normalize::{normalize, same_scheme};

/// Whether `rev` (the newest ACTIVE revision) already holds the spec `desired` (hashing to `desired_hash`).
/// Status vouches for a revision it recorded with the same hash; a hash of another scheme vouches for nothing,
/// and then the normalized content of the revision and of the spec decide — so a new hash scheme registers nothing.
pub fn is_current(
    last: &TaskDefinitionStatus,
    rev: &ObservedRevision,
    desired: &Value,
    desired_hash: &str,
) -> bool {
    let known = same_scheme(desired_hash)
        && last.revision == Some(rev.revision)
        && last.spec_hash.as_deref() == Some(desired_hash);
    known || normalize(&rev.content) == normalize(desired)
}

/// Whether ECS already refused to register exactly this spec: then it is not sent again until it changes.
pub fn refused_before(last: &TaskDefinitionStatus, desired_hash: &str) -> bool {
    last.rejected_spec_hash.as_deref() == Some(desired_hash)
}

/// The event for a newly registered revision: a drift repair when the spec had not changed.
pub fn registered_note(
    last: &TaskDefinitionStatus,
    rev: &ObservedRevision,
    desired_hash: &str,
) -> Note {
    if last.spec_hash.as_deref() == Some(desired_hash) {
        Note::warning(
            "DriftRepaired",
            format!(
                "revision {} of {} was deregistered outside Kubernetes; registered the same content as revision {}",
                last.revision.unwrap_or_default(),
                rev.family,
                rev.revision
            ),
        )
    } else {
        Note::normal(
            "Registered",
            format!("registered revision {} of {}", rev.revision, rev.family),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::controllers::task_definition::normalize::content_hash;
    use serde_json::json;

    fn spec() -> Value {
        json!({"containerDefinitions": [{"name": "web", "image": "nginx:1.27",
                                         "healthCheck": {"command": ["CMD", "true"]}}]})
    }

    fn revision(content: Value) -> ObservedRevision {
        ObservedRevision {
            arn: "arn:aws:ecs:us-east-1:1:task-definition/web:4".into(),
            family: "web".into(),
            revision: 4,
            status: "ACTIVE".into(),
            content,
            ..Default::default()
        }
    }

    /// ECS's rendering of `spec()`: the health check defaults filled in.
    fn as_ecs_returns_it() -> Value {
        json!({"containerDefinitions": [{"name": "web", "image": "nginx:1.27", "essential": true, "cpu": 0,
            "healthCheck": {"command": ["CMD", "true"], "interval": 30, "timeout": 5, "retries": 3},
            "environment": [], "mountPoints": [], "portMappings": [], "volumesFrom": []}],
            "volumes": [], "placementConstraints": [], "revision": 4, "status": "ACTIVE"})
    }

    #[test]
    fn a_hash_of_an_older_scheme_migrates_by_content() {
        let desired = spec();
        let last = TaskDefinitionStatus {
            revision: Some(4),
            spec_hash: Some("0123456789abcdef0123".into()),
            ..Default::default()
        };
        let hash = content_hash(&desired);
        assert!(is_current(
            &last,
            &revision(as_ecs_returns_it()),
            &desired,
            &hash
        ));
        let mut changed = as_ecs_returns_it();
        changed["containerDefinitions"][0]["image"] = json!("nginx:1.26");
        assert!(
            !is_current(&last, &revision(changed), &desired, &hash),
            "the old hash does not vouch for other content"
        );
    }

    /// Entry 38: a revision without the spec's empty variable may be one ECS registered from that spec (if ECS
    /// drops `value: ""`) or one that lacks it (if ECS keeps it): it does not hold the spec until status vouches
    /// for it, so the variable is sent, and once registered it causes no churn.
    #[test]
    fn a_revision_without_the_empty_variable_holds_the_spec_only_when_status_vouches() {
        let mut desired = spec();
        desired["containerDefinitions"][0]["environment"] = json!([{"name": "FOO", "value": ""}]);
        let hash = content_hash(&desired);
        let adopted = TaskDefinitionStatus::default();
        assert!(
            !is_current(&adopted, &revision(as_ecs_returns_it()), &desired, &hash),
            "the variable is registered"
        );
        let registered = TaskDefinitionStatus {
            revision: Some(4),
            spec_hash: Some(hash.clone()),
            ..Default::default()
        };
        assert!(
            is_current(&registered, &revision(as_ecs_returns_it()), &desired, &hash),
            "ECS dropped it from the revision registered for this spec: no churn"
        );
        let mut kept = as_ecs_returns_it();
        kept["containerDefinitions"][0]["environment"] = json!([{"name": "FOO", "value": ""}]);
        assert!(is_current(&adopted, &revision(kept), &desired, &hash));
    }

    #[test]
    fn a_refused_spec_waits_for_a_change() {
        let desired = spec();
        let hash = content_hash(&desired);
        let last = TaskDefinitionStatus {
            rejected_spec_hash: Some(hash.clone()),
            ..Default::default()
        };
        assert!(refused_before(&last, &hash));
        let mut changed = desired.clone();
        changed["containerDefinitions"][0]["image"] = json!("nginx:1.28");
        assert!(!refused_before(&last, &content_hash(&changed)));
    }

    #[test]
    fn status_vouches_for_the_revision_it_recorded() {
        let desired = spec();
        let hash = content_hash(&desired);
        let last = TaskDefinitionStatus {
            revision: Some(4),
            spec_hash: Some(hash.clone()),
            ..Default::default()
        };
        assert!(is_current(&last, &revision(json!({})), &desired, &hash));
        let elsewhere = TaskDefinitionStatus {
            revision: Some(3),
            ..last
        };
        assert!(!is_current(
            &elsewhere,
            &revision(json!({})),
            &desired,
            &hash
        ));
    }
}
