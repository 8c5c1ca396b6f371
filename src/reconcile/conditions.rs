//! Setting kstatus conditions: one per type, the transition time kept while the status does not change.

use crate::api::Condition;

pub const READY: &str = "Ready";
pub const SYNCED: &str = "Synced";
pub const PROGRESSING: &str = "Progressing";
pub const DEGRADED: &str = "Degraded";
/// An `EcsService` deployment held by a PAUSE lifecycle hook.
pub const PAUSED: &str = "Paused";

/// A condition as a controller decides it, before times and generations are filled in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConditionUpdate {
    pub type_: &'static str,
    pub status: bool,
    pub reason: String,
    pub message: String,
}

impl ConditionUpdate {
    pub fn new(
        type_: &'static str,
        status: bool,
        reason: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            type_,
            status,
            reason: reason.into(),
            message: message.into(),
        }
    }
}

/// The current time as Kubernetes writes it.
pub fn now() -> String {
    k8s_openapi::jiff::Timestamp::now()
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

/// Sets one condition, keeping its `lastTransitionTime` when its status is unchanged.
pub fn set(
    conditions: &mut Vec<Condition>,
    update: &ConditionUpdate,
    generation: Option<i64>,
    now: &str,
) {
    let status = if update.status { "True" } else { "False" };
    let existing = conditions.iter().position(|c| c.type_ == update.type_);
    let last_transition_time = match existing.map(|i| &conditions[i]) {
        Some(old) if old.status == status => old.last_transition_time.clone(),
        _ => now.to_owned(),
    };
    let condition = Condition {
        type_: update.type_.to_owned(),
        status: status.to_owned(),
        reason: update.reason.clone(),
        message: update.message.clone(),
        last_transition_time,
        observed_generation: generation,
    };
    match existing {
        Some(i) => conditions[i] = condition,
        None => conditions.push(condition),
    }
}

/// Removes a condition type that no longer applies.
pub fn remove(conditions: &mut Vec<Condition>, type_: &str) {
    conditions.retain(|c| c.type_ != type_);
}

/// Whether the condition is True for the given generation.
pub fn is_true_for(conditions: &[Condition], type_: &str, generation: Option<i64>) -> bool {
    conditions
        .iter()
        .any(|c| c.type_ == type_ && c.status == "True" && c.observed_generation == generation)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_transition_time_while_status_holds() {
        let mut conditions = Vec::new();
        set(
            &mut conditions,
            &ConditionUpdate::new(READY, false, "Creating", "a"),
            Some(1),
            "t1",
        );
        set(
            &mut conditions,
            &ConditionUpdate::new(READY, false, "Waiting", "b"),
            Some(2),
            "t2",
        );
        assert_eq!(conditions.len(), 1);
        assert_eq!(conditions[0].last_transition_time, "t1");
        assert_eq!(conditions[0].reason, "Waiting");
        assert_eq!(conditions[0].observed_generation, Some(2));
        set(
            &mut conditions,
            &ConditionUpdate::new(READY, true, "Available", "c"),
            Some(2),
            "t3",
        );
        assert_eq!(conditions[0].last_transition_time, "t3");
        assert!(is_true_for(&conditions, READY, Some(2)));
        assert!(!is_true_for(&conditions, READY, Some(3)));
    }
}
