//! The typed errors of a reconcile, each mapped to a condition reason and a retry decision.

use std::time::Duration;

use crate::ecs::{AwsError, AwsErrorKind};

/// How long an object that its references' watches wake waits before it looks at them again by itself.
pub const REFERENCE_FALLBACK: Duration = Duration::from_secs(300);

/// Why a reconcile did not reach its goal.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The spec cannot work; the message names the field and what to do. Never retried until the spec changes.
    #[error("{0}")]
    InvalidSpec(String),
    /// An ECS object of the same name exists that this object does not own.
    #[error("{0}")]
    AlreadyExists(String),
    /// The ECS object belongs to another live object; it is never adopted.
    #[error("{0}")]
    OwnedByAnother(String),
    /// A referenced object is missing or not ready yet.
    #[error("{0}")]
    DependencyNotReady(String),
    /// A referenced object exists but is not Ready yet: the ordinary state of objects applied together. Shown like
    /// `DependencyNotReady`, without the Warning event a missing reference (perhaps a misspelt name) gets.
    #[error("{0}")]
    ReferenceNotReady(String),
    /// ECS does not show yet an object it just created, or no longer shows one being changed: its reads are
    /// eventually consistent, so a look a few seconds later settles it.
    #[error("{0}")]
    NotVisibleYet(String),
    /// Another shard selects the object's namespace too; no shard reconciles it.
    #[error("{0}")]
    ShardConflict(String),
    /// An ECS call failed.
    #[error("{0}")]
    Aws(#[from] AwsError),
    /// The object's account cannot be used (its reason: `AmbiguousAccount`, `AccountChanged`, ...); retried, since a
    /// cluster administrator fixes it outside the object.
    #[error("{1}")]
    Account(&'static str, String),
    /// A Kubernetes API call failed.
    #[error("Kubernetes API call failed: {0}")]
    Kube(#[from] kube::Error),
}

impl Error {
    /// The CamelCase reason for the `Synced` condition, the event and the metric label.
    pub fn reason(&self) -> &'static str {
        match self {
            Error::InvalidSpec(_) => "InvalidSpec",
            Error::AlreadyExists(_) => "AlreadyExists",
            Error::OwnedByAnother(_) => "OwnedByAnother",
            Error::DependencyNotReady(_)
            | Error::ReferenceNotReady(_)
            | Error::NotVisibleYet(_) => "DependencyNotReady",
            Error::Account(reason, _) => reason,
            Error::ShardConflict(_) => "ShardConflict",
            Error::Kube(_) => "KubernetesApiError",
            Error::Aws(aws) => match aws.kind {
                AwsErrorKind::Throttled => "Throttled",
                AwsErrorKind::AccessDenied => "AccessDenied",
                AwsErrorKind::NotFound => "NotFound",
                AwsErrorKind::Rejected => "RejectedByEcs",
                AwsErrorKind::Transient => "EcsUnavailable",
                AwsErrorKind::Conversion => "InvalidSpec",
            },
        }
    }

    /// When to try again; `None` waits for the next change of the object.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::InvalidSpec(_) => None,
            Error::Aws(aws) if aws.kind == AwsErrorKind::Conversion => None,
            // Kinds without a watch of what they wait for look again soon; see `retry_after_for`.
            Error::DependencyNotReady(_) | Error::ReferenceNotReady(_) => {
                Some(Duration::from_secs(30))
            }
            Error::NotVisibleYet(_) => Some(Duration::from_secs(5)),
            // Shards' selectors and namespaces' labels change without touching the object: look again.
            Error::ShardConflict(_) => Some(Duration::from_secs(30)),
            Error::Aws(aws) if aws.kind == AwsErrorKind::Transient => Some(Duration::from_secs(5)),
            Error::Aws(aws) if aws.kind == AwsErrorKind::Throttled => Some(Duration::from_secs(30)),
            Error::Kube(_) => Some(Duration::from_secs(5)),
            _ => Some(Duration::from_secs(60)),
        }
    }

    /// When an object of a kind that the watches of its references wake (`woken_by_references`) tries again: a
    /// wait for a reference is then only a fallback, long enough that thousands of waiting objects do not crowd
    /// out the reconciles of objects that can make progress.
    pub fn retry_after_for(&self, woken_by_references: bool) -> Option<Duration> {
        match self {
            Error::DependencyNotReady(_) | Error::ReferenceNotReady(_) if woken_by_references => {
                Some(REFERENCE_FALLBACK)
            }
            other => other.retry_after(),
        }
    }

    /// Whether `message` (shown in a condition) reports this very failure. AWS's request id differs between two
    /// attempts that fail the same way, so it is not compared.
    pub fn is_shown_by(&self, message: &str) -> bool {
        let without_id = match self {
            Error::Aws(aws) => AwsError {
                request_id: None,
                ..aws.clone()
            }
            .to_string(),
            other => other.to_string(),
        };
        message.strip_prefix(&without_id).is_some_and(|rest| {
            rest.is_empty() || (rest.starts_with(" (request id ") && rest.ends_with(')'))
        })
    }

    /// Whether the failure gets a Warning event when it is first shown.
    pub fn warns(&self) -> bool {
        !matches!(self, Error::ReferenceNotReady(_))
    }

    /// A passing failure that does not say the ECS object stopped matching its spec.
    pub fn is_transient(&self) -> bool {
        match self {
            Error::Aws(aws) => {
                matches!(aws.kind, AwsErrorKind::Transient | AwsErrorKind::Throttled)
            }
            Error::Kube(_) => true,
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_spec_waits_for_a_change() {
        let err = Error::InvalidSpec("spec.x: bad".into());
        assert_eq!(err.reason(), "InvalidSpec");
        assert_eq!(err.retry_after(), None);
    }

    #[test]
    fn throttling_backs_off_longer_than_a_server_error() {
        let throttled = Error::Aws(AwsError::from_code(
            "X",
            Some("ThrottlingException"),
            String::new(),
            None,
        ));
        let server = Error::Aws(AwsError::from_code(
            "X",
            Some("ServerException"),
            String::new(),
            None,
        ));
        assert_eq!(throttled.reason(), "Throttled");
        assert!(throttled.retry_after() > server.retry_after());
        assert!(throttled.is_transient() && server.is_transient());
    }

    #[test]
    fn a_wait_for_a_watched_reference_only_falls_back_late() {
        let waiting = Error::DependencyNotReady("waiting for TaskDefinition web".into());
        assert_eq!(waiting.retry_after_for(true), Some(REFERENCE_FALLBACK));
        assert_eq!(waiting.retry_after_for(false), waiting.retry_after());
        assert!(waiting.retry_after() < Some(REFERENCE_FALLBACK));
        let progressing =
            Error::ReferenceNotReady("waiting for TaskDefinition web to be Ready".into());
        assert_eq!(progressing.reason(), "DependencyNotReady");
        assert_eq!(progressing.retry_after_for(true), Some(REFERENCE_FALLBACK));
        assert!(!progressing.warns() && waiting.warns());
        let unseen = Error::NotVisibleYet("ECS service web is not visible yet".into());
        assert_eq!(unseen.reason(), "DependencyNotReady");
        assert!(unseen.retry_after_for(true) < waiting.retry_after());
    }

    #[test]
    fn the_same_failure_with_another_request_id_has_the_same_message() {
        let denied = |id: &str| {
            Error::Aws(AwsError::from_code(
                "CreateCluster",
                Some("AccessDeniedException"),
                "not allowed".into(),
                Some(id.into()),
            ))
        };
        let shown = denied("r-1").to_string();
        assert_ne!(shown, denied("r-2").to_string());
        assert!(denied("r-2").is_shown_by(&shown));
        assert!(Error::InvalidSpec("spec.x".into()).is_shown_by("spec.x"));
        assert!(!Error::InvalidSpec("spec.x".into()).is_shown_by("spec.xy"));
    }
}
