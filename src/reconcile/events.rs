//! Kubernetes Events about an object: what the operator did (Normal) and what went wrong (Warning).

use kube::Resource;

use super::context::Context;
use super::publisher::Occurrence;

/// Something worth telling the user about an object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Note {
    pub warning: bool,
    /// CamelCase, such as `Created` or `DriftRepaired`.
    pub reason: String,
    pub message: String,
}

impl Note {
    pub fn normal(reason: &str, message: impl Into<String>) -> Self {
        Self {
            warning: false,
            reason: reason.to_owned(),
            message: message.into(),
        }
    }

    pub fn warning(reason: &str, message: impl Into<String>) -> Self {
        Self {
            warning: true,
            reason: reason.to_owned(),
            message: message.into(),
        }
    }
}

/// Publishes notes as Events; a failure to publish is logged, never fatal.
pub async fn publish<K: Resource<DynamicType = ()>>(ctx: &Context, obj: &K, notes: &[Note]) {
    let reference = obj.object_ref(&());
    for note in notes {
        if note.warning {
            tracing::warn!(reason = %note.reason, "{}", note.message);
        } else {
            tracing::info!(reason = %note.reason, "{}", note.message);
        }
        let occurrence = Occurrence {
            warning: note.warning,
            reason: &note.reason,
            note: &truncate(&note.message, 1000),
        };
        if let Err(err) = ctx.events.publish(&occurrence, &reference).await {
            tracing::warn!(error = %err, "could not publish event");
        }
    }
}

fn truncate(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((cut, _)) => format!("{}...", &text[..cut]),
        None => text.to_owned(),
    }
}
