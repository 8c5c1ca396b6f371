//! What identifies a service's requests and how its updates read: the CreateService idempotency token and its
//! attempt counter, the scale selector, the Events an update becomes, the refusal to take over a foreign service.

use kube::ResourceExt;
use sha2::{Digest, Sha256};

use crate::api::{EcsService, EcsServiceStatus};
use crate::ecs::service::ServiceUpdate;
use crate::reconcile::{Error, Note};

/// What an update did, in words: a rollout, a restart, a scale, or other fields.
pub(super) fn update_note(name: &str, update: &ServiceUpdate, drifted: bool) -> Note {
    let fields: Vec<String> = serde_json::to_value(update)
        .ok()
        .and_then(|v| v.as_object().map(|m| m.keys().cloned().collect()))
        .unwrap_or_default();
    let fields = fields.join(", ");
    if update.force_new_deployment {
        Note::normal(
            "Restarted",
            format!("started a new deployment of ECS service {name} (ecsbridge.dev/restartedAt)"),
        )
    } else if let Some(task_definition) = &update.task_definition {
        Note::normal(
            "RolloutStarted",
            format!("rolling out {task_definition} to ECS service {name}"),
        )
    } else if drifted {
        Note::warning(
            "DriftRepaired",
            format!(
                "ECS service {name}: {fields} had been changed outside Kubernetes; restored the spec"
            ),
        )
    } else if update.desired_count.is_some() && fields == "desiredCount" {
        Note::normal(
            "Scaled",
            format!(
                "set the desired count of ECS service {name} to {}",
                update.desired_count.unwrap_or_default()
            ),
        )
    } else {
        Note::normal("Updated", format!("updated {fields} of ECS service {name}"))
    }
}

/// The CreateService attempt: the next one when a service this object created before is gone (deleted outside
/// Kubernetes), so that its creation does not reuse the old token.
pub(super) fn create_attempt(last: &EcsServiceStatus) -> i32 {
    let attempt = last.create_attempt.unwrap_or(0);
    if last.arn.is_some() {
        attempt + 1
    } else {
        attempt
    }
}

/// The label selector that names this service, for the scale subresource.
pub(super) fn selector(svc: &EcsService) -> String {
    format!("ecsbridge.dev/service={}", svc.name_any())
}

/// The CreateService idempotency token (at most 36 chars): the same for retries of one request, another for any
/// change of the request (spec, task definition, count) and for each new attempt recorded in status.
pub(super) fn client_token(
    svc: &EcsService,
    task_definition: &str,
    count: Option<i32>,
    last: &EcsServiceStatus,
) -> String {
    let request = serde_json::to_string(&svc.spec).unwrap_or_default();
    let seed = format!(
        "{}/{}/{request}/{task_definition}/{count:?}",
        svc.uid().unwrap_or_default(),
        last.create_attempt.unwrap_or(0)
    );
    Sha256::digest(seed.as_bytes())
        .iter()
        .take(16)
        .map(|b| format!("{b:02x}"))
        .collect()
}

pub(super) fn already_exists(name: &str) -> Error {
    Error::AlreadyExists(format!(
        "an ECS service named {name} already exists in this cluster and was not created by this object; nothing was \
         changed. Set the annotation ecsbridge.dev/adopt: \"true\" to take it over, or choose another spec.serviceName"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service(yaml: &str) -> EcsService {
        let mut svc = EcsService::new("web", serde_yaml::from_str(yaml).unwrap());
        svc.metadata.uid = Some("uid-1".into());
        svc
    }

    #[test]
    fn the_client_token_follows_the_request_and_the_attempt() {
        let svc = service("cluster: main\ntaskDefinition: web\ndesiredCount: 2\n");
        let first = EcsServiceStatus::default();
        let token = client_token(&svc, "web:1", Some(2), &first);
        assert!(token.len() <= 36);
        assert_eq!(
            token,
            client_token(&svc, "web:1", Some(2), &first),
            "retries reuse it"
        );
        assert_ne!(token, client_token(&svc, "web:2", Some(2), &first));
        assert_ne!(token, client_token(&svc, "web:1", Some(3), &first));
        let changed = service(
            "cluster: main\ntaskDefinition: web\ndesiredCount: 2\nplatformVersion: '1.4.0'\n",
        );
        assert_ne!(token, client_token(&changed, "web:1", Some(2), &first));
        let recreated = EcsServiceStatus {
            arn: Some("arn:aws:ecs:us-east-1:123:service/main/web".into()),
            ..Default::default()
        };
        let attempt = create_attempt(&recreated);
        assert_eq!(
            attempt, 1,
            "a service created before and gone since is a new attempt"
        );
        let next = EcsServiceStatus {
            create_attempt: Some(attempt),
            ..Default::default()
        };
        assert_ne!(token, client_token(&svc, "web:1", Some(2), &next));
        assert_eq!(create_attempt(&first), 0);
    }

    #[test]
    fn the_selector_names_the_service() {
        assert_eq!(
            selector(&service("cluster: main\ntaskDefinition: web\n")),
            "ecsbridge.dev/service=web"
        );
    }
}
