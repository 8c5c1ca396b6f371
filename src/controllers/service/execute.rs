//! An `EcsService`'s references (its cluster and task definition), the check that they still name the cluster it
//! runs in, and the carrying out of one planned call (create, update, tag, untag).

use kube::ResourceExt;

use super::identity::{client_token, update_note};
use super::plan::ServiceAction;
use crate::api::service::SchedulingStrategy;
use crate::api::{EcsService, EcsServiceStatus};
use crate::controllers::references::{References, Resolved};
use crate::ecs::service::ObservedService;
use crate::reconcile::{Context, Error, Note};

impl EcsService {
    /// The cluster and task definition the spec refers to.
    pub fn references(&self) -> References<'_> {
        References {
            namespace: self.namespace().unwrap_or_default(),
            cluster_ref: self.spec.cluster_ref.as_ref(),
            cluster: self.spec.cluster.as_ref(),
            task_definition_ref: self.spec.task_definition_ref.as_ref(),
            task_definition: self.spec.task_definition.as_ref(),
            task_definition_optional: self.spec.deployment_controller.as_ref().is_some_and(|c| {
                c.type_ == crate::api::service::DeploymentControllerType::External
            }),
            cached: true,
        }
    }

    /// ECS cannot move a service: refuses a reference that now resolves to another cluster.
    pub(super) fn check_same_cluster(&self, cluster: &str) -> Result<(), Error> {
        let Some(current) = self.status.as_ref().and_then(|s| s.cluster_arn.as_deref()) else {
            return Ok(());
        };
        let same = current == cluster
            || current
                .rsplit_once('/')
                .is_some_and(|(_, name)| name == cluster);
        if same {
            return Ok(());
        }
        Err(Error::InvalidSpec(format!(
            "the service runs in cluster {current}, but the spec now points to {cluster}; ECS cannot move a service \
             between clusters: point it back, or delete this EcsService and create a new one"
        )))
    }

    /// Runs one planned call and says what it did.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn execute(
        &self,
        ctx: &Context,
        deps: &Resolved,
        name: &str,
        action: &ServiceAction,
        observed: &mut Option<ObservedService>,
        tags: &crate::api::Tags,
        drifted: bool,
        last: &EcsServiceStatus,
    ) -> Result<Note, Error> {
        let arn = || {
            observed
                .as_ref()
                .map(|s| s.service_arn.clone())
                .unwrap_or_default()
        };
        Ok(match action {
            ServiceAction::Create => {
                // ECS refuses a desired count for DAEMON services; REPLICA services need one.
                let count = match self.spec.scheduling_strategy {
                    Some(SchedulingStrategy::Daemon) => None,
                    _ => self
                        .spec
                        .desired_count
                        .or(self.spec.auto_scaling.as_ref().map(|a| a.min_capacity))
                        .or(Some(1)),
                };
                let token = client_token(self, &deps.task_definition, count, last);
                let created = ctx
                    .ecs
                    .create_service(
                        &deps.cluster,
                        name,
                        &self.spec,
                        &deps.task_definition,
                        count,
                        tags,
                        &token,
                    )
                    .await?;
                *observed = Some(created);
                Note::normal(
                    "Created",
                    format!(
                        "created ECS service {name} running {}",
                        deps.task_definition
                    ),
                )
            }
            ServiceAction::Update(update) => {
                *observed = Some(ctx.ecs.update_service(&deps.cluster, name, update).await?);
                update_note(name, update, drifted)
            }
            ServiceAction::Tag(set) => {
                ctx.ecs.tag_resource(&arn(), set).await?;
                Note::normal("Tagged", format!("updated tags of ECS service {name}"))
            }
            ServiceAction::Untag(keys) => {
                ctx.ecs.untag_resource(&arn(), keys).await?;
                Note::normal(
                    "Untagged",
                    format!("removed tags {} from ECS service {name}", keys.join(", ")),
                )
            }
        })
    }
}
