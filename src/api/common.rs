//! Types and names shared by all kinds: deletion policy, conditions, tags, annotations.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The API group of every ecs-bridge kind.
pub const GROUP: &str = "ecsbridge.dev";
/// Finalizer that keeps an object until its ECS counterpart is cleaned up.
pub const FINALIZER: &str = "ecsbridge.dev/cleanup";
/// Annotation that allows taking over an existing ECS object that the operator did not create.
pub const ADOPT_ANNOTATION: &str = "ecsbridge.dev/adopt";
/// Annotation whose new value triggers one new deployment of an `EcsService`.
pub const RESTARTED_AT_ANNOTATION: &str = "ecsbridge.dev/restartedAt";
/// Annotation `"true"` on an `EcsService` scaled through its `scale` subresource (HPA, KEDA): `spec.autoScaling`
/// is refused with it, since two autoscalers would fight.
pub const EXTERNAL_SCALER_ANNOTATION: &str = "ecsbridge.dev/external-scaler";

/// Annotation whose new value stops the current deployment of an `EcsService` with a rollback, once.
pub const ROLLBACK_ANNOTATION: &str = "ecsbridge.dev/rollback";
/// Ownership tag holding `<namespace>/<name>` of the managing object.
pub const OWNER_TAG: &str = "ecsbridge.dev/owner";
/// Ownership tag holding the `metadata.uid` of the managing object.
pub const UID_TAG: &str = "ecsbridge.dev/uid";

/// User tags: a plain map, sent to ECS as `{key, value}` pairs next to the ownership tags.
pub type Tags = BTreeMap<String, String>;

/// What happens in ECS when the Kubernetes object is deleted.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
pub enum DeletionPolicy {
    /// Delete (or deregister) the ECS object.
    #[default]
    Delete,
    /// Leave the ECS object in place.
    Retain,
}

/// A kstatus-compatible condition.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Condition {
    /// `Ready`, `Synced`, `Progressing` or `Degraded`.
    #[serde(rename = "type")]
    pub type_: String,
    /// `True`, `False` or `Unknown`.
    pub status: String,
    /// A CamelCase reason.
    pub reason: String,
    /// A human-readable explanation.
    pub message: String,
    /// When the status last changed (RFC 3339).
    pub last_transition_time: String,
    /// The `metadata.generation` this condition was computed for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
}

/// Conditions, `observedGeneration`, `exportedTo` and placement (account, region), which every status carries.
pub trait ConditionedStatus: Default + Clone + PartialEq + Serialize + Send + Sync {
    fn conditions(&self) -> &[Condition];
    fn conditions_mut(&mut self) -> &mut Vec<Condition>;
    fn set_observed_generation(&mut self, generation: Option<i64>);
    fn observed_generation(&self) -> Option<i64>;
    /// `status.account` and `status.region`: where the object's ECS objects live, recorded at creation.
    fn placement(&self) -> (Option<&str>, Option<&str>);
    fn set_placement(&mut self, account: Option<String>, region: Option<String>);
    /// The ConfigMap that holds the object's exported identities (`spec.exportTo`).
    fn exported_to(&self) -> Option<&str>;
    fn set_exported_to(&mut self, config_map: Option<String>);
    /// Where ECS differs from the spec of a read-only object (`ecsbridge.dev/read-only`).
    fn set_drift(&mut self, drift: Vec<Drift>);
}

/// A field where ECS differs from the spec of a read-only object.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
pub struct Drift {
    /// The field, as a path into the object (`spec.settings`).
    pub path: String,
    /// The spec's value, as JSON.
    pub spec: String,
    /// ECS's value, as JSON (`null`: ECS does not set it).
    pub ecs: String,
}

/// Where an object's AWS identities are exported: keys `<kind>.<name>.<identity>` (e.g. `ecsservice.web.arn`) of a
/// ConfigMap of the namespace.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ExportTo {
    /// Name of the ConfigMap; created when missing. Several objects may export into one ConfigMap: each writes only
    /// its own keys, and keys someone else writes are left alone.
    #[schemars(
        length(min = 1, max = 253),
        regex(pattern = r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")
    )]
    pub config_map_name: String,
}

/// Implements [`ConditionedStatus`] for a status struct with `conditions` and `observed_generation` fields.
macro_rules! conditioned_status {
    ($status:ty) => {
        impl $crate::api::common::ConditionedStatus for $status {
            fn conditions(&self) -> &[$crate::api::common::Condition] {
                &self.conditions
            }
            fn conditions_mut(&mut self) -> &mut Vec<$crate::api::common::Condition> {
                &mut self.conditions
            }
            fn observed_generation(&self) -> Option<i64> {
                self.observed_generation
            }
            fn set_observed_generation(&mut self, generation: Option<i64>) {
                self.observed_generation = generation;
            }
            fn placement(&self) -> (Option<&str>, Option<&str>) {
                (self.account.as_deref(), self.region.as_deref())
            }
            fn set_placement(&mut self, account: Option<String>, region: Option<String>) {
                self.account = account;
                self.region = region;
            }
            fn exported_to(&self) -> Option<&str> {
                self.exported_to.as_deref()
            }
            fn set_exported_to(&mut self, config_map: Option<String>) {
                self.exported_to = config_map;
            }
            fn set_drift(&mut self, drift: Vec<$crate::api::common::Drift>) {
                self.drift = drift;
            }
        }
    };
}
pub(crate) use conditioned_status;

/// A `{name}` reference to an object of another kind in the same namespace.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
pub struct LocalRef {
    /// `metadata.name` of the referenced object.
    pub name: String,
}
