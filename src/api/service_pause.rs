//! What an `EcsService` shows of a deployment held by a PAUSE lifecycle hook (docs/ecs-behaviour.md, entries
//! 145-147): the stage, the hook ECS waits on, and when ECS takes the hook's time-out action.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The annotation whose every new value continues a deployment paused at a PAUSE hook (ContinueServiceDeployment
/// with CONTINUE), once.
pub const CONTINUE_ANNOTATION: &str = "ecsbridge.dev/continue";

/// A service deployment held by a PAUSE lifecycle hook, waiting for `ecsbridge.dev/continue` or
/// `ecsbridge.dev/rollback`, or for the hook's time-out.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PausedHook {
    /// ARN of the paused service deployment.
    pub service_deployment: String,
    /// The lifecycle stage the deployment is paused at.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage: Option<String>,
    /// ID of the PAUSE hook ECS waits on (what ContinueServiceDeployment names).
    pub hook_id: String,
    /// When ECS takes the time-out action if nobody answered the hook (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
    /// What ECS does then: `CONTINUE` or `ROLLBACK`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_action: Option<String>,
}
