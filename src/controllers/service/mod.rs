//! The `EcsService` controller: resolve references, validate, plan the ECS calls, follow the rollout, report
//! status and ECS's own service events; Application Auto Scaling of the desired count in [`autoscaling`].

pub mod autoscaling;
mod cleanup;
pub mod ecs_events;
pub mod endpoints;
pub mod execute;
pub mod identity;
pub mod observe;
pub mod pause;
pub mod plan;
pub mod record;
pub mod revision_fields;
pub mod rolling;
pub mod rollout;
pub mod stages;
pub mod status;
pub mod strategy;
pub mod validate;

use std::time::Duration;

use kube::ResourceExt;
use kube::runtime::reflector::ObjectRef;

use crate::api::common::RESTARTED_AT_ANNOTATION;
use crate::api::service::DesiredCountPolicy;
use crate::api::{DeletionPolicy, EcsService, EcsServiceStatus};
use crate::controllers::references;
use crate::ecs::service::ObservedService;
use crate::reconcile::conditions::{self, READY, is_true_for};
use crate::reconcile::ownership::{Ownership, claim, desired_tags};
use crate::reconcile::{Applied, Checkpoint, Cleanup, Context, Error, Managed, Note};
use identity::{already_exists, create_attempt, selector};
use plan::{Desired, ServiceAction, plan};
use rolling::{Followed, Rolling};
use validate::service_name;

/// The longest pause between reads of a rolling deployment.
const ROLLING_POLL_MAX: f64 = 15.0;
/// The longest pause between reads of a BLUE_GREEN, LINEAR or CANARY deployment, whose bake times run for hours.
const STAGED_POLL_MAX: f64 = 300.0;

/// How often a service whose rollout is judged from its service deployments too (a staged strategy, a rollback
/// asked for) reads them while the rollout has not settled: a quarter of the rollout's age, within bounds,
/// so a fresh rollout is followed closely and a long one (a bake of hours) does not spend the account's read budget.
fn rollout_poll(observed: &ObservedService) -> Duration {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs_f64();
    let started = status::primary(observed)
        .and_then(|d| d.created_at)
        .unwrap_or(now);
    let staged = observed
        .deployment_configuration
        .as_ref()
        .and_then(|c| c.strategy)
        .is_some_and(|s| s != crate::api::service::DeploymentStrategy::Rolling);
    let max = if staged {
        STAGED_POLL_MAX
    } else {
        ROLLING_POLL_MAX
    };
    Duration::from_secs_f64(((now - started) / 4.0).clamp(2.0, max))
}

impl Managed for EcsService {
    type Status = EcsServiceStatus;
    // The watches of its clusters and task definitions wake it (runtime/watches.rs).
    const WOKEN_BY_REFERENCES: bool = true;
    const EXPORTED: &'static [(&'static str, &'static str)] = &[
        ("arn", "/arn"),
        ("serviceName", "/serviceName"),
        ("clusterArn", "/clusterArn"),
        ("taskDefinition", "/taskDefinition"),
    ];

    fn status(&self) -> Option<&EcsServiceStatus> {
        self.status.as_ref()
    }

    fn deletion_policy(&self) -> DeletionPolicy {
        self.spec.deletion_policy
    }

    fn export_to(&self) -> Option<&str> {
        self.spec
            .export_to
            .as_ref()
            .map(|e| e.config_map_name.as_str())
    }

    fn validate(&self) -> Result<(), String> {
        validate::validate(self)?;
        self.spec
            .kubernetes_service
            .as_ref()
            .map_or(Ok(()), endpoints::validate::spec)
    }

    async fn apply(
        &self,
        ctx: &Context,
        checkpoint: &Checkpoint<'_, Self>,
    ) -> Result<Applied<EcsServiceStatus>, Error> {
        let name = service_name(self);
        let refs = self.references();
        let deps = references::resolve(&refs, ctx).await?;
        if let Some(traits) = &deps.task_traits {
            validate::launch(&self.spec)
                .check_compatibility(&refs, traits)
                .map_err(Error::InvalidSpec)?;
        }
        self.check_same_cluster(&deps.cluster)?;
        let mut observed = ctx.ecs.describe_service(&deps.cluster, &name).await?;
        let mut notes = Vec::new();
        let mut adopted = false;
        if let Some(found) = &observed {
            match claim(self, ctx, &found.tags, &format!("ECS service {name}")).await? {
                Ownership::Ours => {}
                Ownership::Adopt => {
                    adopted = true;
                    notes.push(Note::normal(
                        "Adopted",
                        format!("took over the existing ECS service {name}"),
                    ));
                }
                Ownership::Foreign => return Err(already_exists(&name)),
            }
        }
        let tags = desired_tags(self, &self.spec.tags);
        let restart = self.annotations().get(RESTARTED_AT_ANNOTATION).cloned();
        let last = checkpoint.current();
        let key = record::desired_key(&self.spec, &deps.task_definition, restart.as_deref());
        let mut started = match (&last.last_rollout, &observed) {
            (Some(r), Some(found)) => Some(record::follow(r, found)),
            (r, _) => r.clone(),
        };
        // The service deployment's truth (and a rollback asked for) before the plan: a deployment ECS rolled back
        // is failed before anything could start it again, whatever ECS's other answers show first.
        let stages = match &observed {
            Some(found) => {
                stages::follow(ctx, self, &deps.cluster, found, checkpoint, &mut started).await?
            }
            None => stages::Stages::default(),
        };
        // A restart whose UpdateService timed out counts as sent only once ECS shows its deployment.
        let restart_requested = observed.is_some()
            && restart.is_some()
            && (restart != last.restarted_at
                || observed
                    .as_ref()
                    .is_some_and(|o| record::unconfirmed(started.as_ref(), &key, o)));
        // With autoScaling, the desired count belongs to Application Auto Scaling once the service exists.
        let enforce = self.spec.desired_count_policy == DesiredCountPolicy::Enforce
            && self.spec.auto_scaling.is_none();
        let desired = Desired {
            spec: &self.spec,
            task_definition: &deps.task_definition,
            tags: &tags,
            applied_tag_keys: &last.applied_tag_keys,
            restart_requested,
            enforce_desired_count: enforce,
            redeploy_blocked: record::failed_for(started.as_ref(), &key),
            sent: &last.sent_revision_fields.clone().unwrap_or_default(),
        };
        let actions = plan(&desired, observed.as_ref()).map_err(Error::InvalidSpec)?;
        let drifted = is_true_for(&last.conditions, READY, self.metadata.generation);
        for action in &actions {
            let before = observed.clone();
            if *action == ServiceAction::Create {
                let attempt = create_attempt(&last);
                checkpoint
                    .save(|s| s.create_attempt = Some(attempt))
                    .await?;
            }
            let deploys = match action {
                ServiceAction::Update(update) => update.starts_deployment(),
                _ => false,
            };
            let remembered = checkpoint.current();
            let record_start = |after: &ObservedService| {
                record::started(
                    key.clone(),
                    Some(deps.task_definition.clone()),
                    before.as_ref(),
                    after,
                )
            };
            if let (true, Some(current)) = (deploys, &before) {
                // The intent first: a time-out leaves the deployment's fate unknown, and the next reconcile
                // looks at ECS's deployments before it starts another.
                let intent = record_start(current);
                checkpoint
                    .save(|s| {
                        s.last_rollout = Some(intent);
                        if restart_requested {
                            s.restarted_at = restart.clone();
                        }
                    })
                    .await?;
            }
            let done = self
                .execute(
                    ctx,
                    &deps,
                    &name,
                    action,
                    &mut observed,
                    &tags,
                    drifted,
                    &remembered,
                )
                .await;
            match (done, &observed) {
                (Ok(note), Some(after)) => {
                    notes.push(note);
                    if let Some(sent) =
                        record::sent_revision_fields(action, &self.spec, &remembered)
                    {
                        checkpoint
                            .save(|s| s.sent_revision_fields = Some(sent))
                            .await?;
                    }
                    if deploys {
                        let deployed = record_start(after);
                        started = Some(deployed.clone());
                        checkpoint.save(|s| s.last_rollout = Some(deployed)).await?;
                    }
                }
                (Ok(note), None) => notes.push(note),
                (Err(err), _) => {
                    if deploys && !err.is_transient() {
                        // ECS refused it: nothing was started.
                        checkpoint
                            .save(|s| {
                                s.last_rollout = remembered.last_rollout.clone();
                                s.restarted_at = remembered.restarted_at.clone();
                            })
                            .await?;
                    }
                    return Err(err);
                }
            }
        }
        let observed = observed.ok_or_else(|| {
            Error::NotVisibleYet(format!("ECS service {name} is not visible yet"))
        })?;
        let expected_count = match (enforce, self.spec.desired_count) {
            (true, Some(count)) => count,
            _ => observed.desired_count,
        };
        let rollout = rollout::assess(
            &observed,
            &deps.task_definition,
            expected_count,
            record::for_desired(started.as_ref(), &key),
        );
        let rollout = stages.judge(rollout, started.as_ref(), &name);
        let followed = !rollout.settled && !stages.reads_service_deployments();
        notes.extend(stages.notes);
        let last_event = last.last_event_id.clone();
        let fresh = ecs_events::unseen(&observed.events, last_event.as_deref());
        notes.extend(
            fresh
                .iter()
                .map(|e| Note::normal("EcsServiceEvent", e.message.clone().unwrap_or_default())),
        );
        let (scaling, scaling_notes) =
            autoscaling::apply::reconcile(self, ctx, checkpoint, &deps.cluster, &name).await?;
        notes.extend(scaling_notes);
        let mut status = status::status_fields(&observed);
        status.auto_scaling = scaling;
        status.restarted_at = restart.or(last.restarted_at);
        status.rollback = checkpoint.current().rollback;
        status.strategy = stages.strategy;
        status.continued = checkpoint.current().continued;
        status.sent_revision_fields = checkpoint.current().sent_revision_fields;
        status.paused = stages.truth.as_ref().and_then(pause::paused);
        status.service_deployment = stages.truth;
        status.last_event_id = fresh.last().and_then(|e| e.id.clone()).or(last_event);
        status.last_rollout = started;
        status.selector = Some(selector(self));
        status.create_attempt = checkpoint.current().create_attempt;
        status.adopted_at = last
            .adopted_at
            .clone()
            .or_else(|| adopted.then(conditions::now));
        status.applied_tag_keys = tags.keys().cloned().collect();
        let due = endpoints::Due {
            deploying: !rollout.settled,
            desired_count: expected_count,
        };
        let published = endpoints::publish(self, ctx, &observed.cluster_arn, &name, due).await?;
        status.kubernetes_service = published.status;
        notes.extend(published.notes);
        // A rolling deployment is followed by the rollout loop, which wakes the service when ECS shows it
        // otherwise; one judged from service deployments too is read again by the service itself.
        let rolling = ctx.shared.get::<Rolling>();
        let owner = ObjectRef::from_obj(self);
        if followed {
            let judged = Followed::new(&deps.cluster, &observed);
            rolling.follow(owner, judged, ctx.ecs.clone());
        } else {
            rolling.forget(&owner);
        }
        tracing::debug!(
            settled = rollout.settled,
            followed,
            running = observed.running_count,
            "judged the rollout"
        );
        let requeue = (!rollout.settled && !followed)
            .then(|| rollout_poll(&observed))
            .into_iter()
            .chain(published.requeue)
            .min();
        Ok(Applied {
            status,
            conditions: rollout.conditions,
            notes,
            requeue,
        })
    }

    async fn observe(
        &self,
        ctx: &Context,
    ) -> Result<Option<crate::reconcile::read_only::Observed<EcsServiceStatus>>, Error> {
        observe::observe(self, ctx).await
    }

    async fn waiting_for(&self, ctx: &Context) -> Result<(), Error> {
        references::wait_for(&self.references(), ctx).await
    }

    async fn cleanup(&self, ctx: &Context) -> Result<Cleanup, Error> {
        cleanup::cleanup(self, ctx).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::service::{DeploymentConfiguration, DeploymentStrategy};
    use crate::ecs::service::ObservedDeployment;

    fn started_ago(seconds: f64) -> ObservedService {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs_f64();
        let primary = ObservedDeployment {
            status: Some("PRIMARY".into()),
            created_at: Some(now - seconds),
            ..Default::default()
        };
        ObservedService {
            deployments: vec![primary],
            ..Default::default()
        }
    }

    #[test]
    fn rollouts_are_polled_closely_when_fresh_and_sparingly_when_long() {
        assert_eq!(rollout_poll(&started_ago(1.0)).as_secs(), 2);
        assert_eq!(rollout_poll(&started_ago(40.0)).as_secs(), 10);
        assert_eq!(rollout_poll(&started_ago(600.0)).as_secs(), 15);
    }

    #[test]
    fn a_long_bake_is_polled_with_backoff_not_every_15_seconds() {
        let staged = |seconds, strategy| {
            let mut observed = started_ago(seconds);
            observed.deployment_configuration = Some(DeploymentConfiguration {
                strategy: Some(strategy),
                ..Default::default()
            });
            rollout_poll(&observed)
        };
        assert_eq!(staged(4.0, DeploymentStrategy::BlueGreen).as_secs(), 2);
        // Two hours into a blue/green deployment (bake times run for hours): minutes apart.
        let baking = staged(7200.0, DeploymentStrategy::BlueGreen);
        assert!(
            baking >= Duration::from_secs(120) && baking <= Duration::from_secs(300),
            "{baking:?}"
        );
        assert!(staged(600.0, DeploymentStrategy::Canary) > Duration::from_secs(15));
        assert!(staged(600.0, DeploymentStrategy::Linear) > Duration::from_secs(15));
        // A rolling deployment has no bake time.
        assert_eq!(staged(7200.0, DeploymentStrategy::Rolling).as_secs(), 15);
    }
}
