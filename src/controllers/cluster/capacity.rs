//! A cluster's capacity providers: `capacityProviderRefs` resolved into ECS names once the `CapacityProvider`
//! objects exist in ECS, what the cluster adds and removes (only what its references associated, unless
//! `capacityProviders` manages the whole list), and ECS's refusal to drop a provider that tasks still use,
//! explained.
//!
//! A Managed Instances provider belongs to its cluster and is created after it (CreateCapacityProvider needs the
//! cluster), so the cluster never waits for one before it exists: it is created without the default strategy
//! items that name the provider, and completes the strategy once the provider is there. PutClusterCapacityProviders
//! does not manage Managed Instances providers (catalogue entry 24): they are never removed from the list.

use std::collections::BTreeSet;

use kube::{Api, ResourceExt};

use super::validate::cluster_name;
use crate::api::cluster::{CapacityProviderStrategyItem, EcsClusterSpec};
use crate::api::{CapacityProvider, EcsCluster};
use crate::controllers::capacity_provider::validate::provider_name;
use crate::ecs::AwsError;
use crate::reconcile::{Context, Error};

/// A referenced `CapacityProvider`, as the cluster needs to know it.
#[derive(Clone, Debug, PartialEq)]
pub struct Referenced {
    /// `metadata.name` of the object.
    pub object: String,
    /// The provider's ECS name.
    pub ecs_name: String,
    /// A Managed Instances provider (of this cluster).
    pub managed_instances: bool,
    /// It exists in ECS (ACTIVE, recorded in the object's status): it can be associated and named in the
    /// default strategy, whether or not its last change succeeded.
    pub exists: bool,
}

/// Which capacity providers the cluster should have, given what ECS reports.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CapacityIntent {
    /// `spec.capacityProviders` with the references' providers: the whole list, when the spec sets it.
    pub whole: Option<Vec<String>>,
    /// The references' Auto Scaling group providers: associated if ECS does not list them.
    pub add: Vec<String>,
    /// Providers the references associated before whose reference went: disassociated.
    pub remove: Vec<String>,
    /// The references' Managed Instances providers that exist: never removed from the list.
    pub keep: Vec<String>,
}

impl CapacityIntent {
    /// The list to send to PutClusterCapacityProviders when the cluster now has `observed`.
    pub fn target(&self, observed: &[String]) -> Vec<String> {
        let mut target: Vec<String> = match &self.whole {
            Some(whole) => whole.clone(),
            None => observed
                .iter()
                .filter(|p| !self.remove.contains(p))
                .cloned()
                .collect(),
        };
        for provider in self.add.iter().chain(&self.keep) {
            if !target.contains(provider) {
                target.push(provider.clone());
            }
        }
        target
    }

    /// Whether `observed` differs from the target in what the cluster manages (ECS adds Managed Instances
    /// providers to their cluster itself; whether it lists them is not compared).
    pub fn differs(&self, observed: &[String]) -> bool {
        let managed = |list: &[String]| -> BTreeSet<String> {
            list.iter()
                .filter(|p| !self.keep.contains(p))
                .cloned()
                .collect()
        };
        managed(&self.target(observed)) != managed(observed)
    }

    /// What CreateCluster takes: the whole list, or the references' providers, or nothing (ECS's default).
    pub fn at_creation(&self) -> Option<Vec<String>> {
        self.whole
            .clone()
            .or_else(|| (!self.add.is_empty()).then(|| self.add.clone()))
    }
}

/// A cluster's references, resolved.
#[derive(Clone, Debug, PartialEq)]
pub struct Resolved {
    /// The spec as ECS takes it: `capacityProviders` for CreateCluster, the default strategy with ECS names
    /// (without the items that name a provider that does not exist yet), no references.
    pub spec: EcsClusterSpec,
    pub capacity: CapacityIntent,
    /// ECS names of the references' Auto Scaling group providers: recorded as associated by this cluster.
    pub associated: Vec<String>,
    /// Referenced Managed Instances providers that do not exist in ECS yet (object names).
    pub waiting: Vec<String>,
}

/// The cluster's references, read from the namespace; waits (`DependencyNotReady`) while an Auto Scaling group
/// provider it references does not exist in ECS yet.
pub async fn resolve(cluster: &EcsCluster, ctx: &Context) -> Result<Resolved, Error> {
    let api: Api<CapacityProvider> =
        Api::namespaced(ctx.client.clone(), &cluster.namespace().unwrap_or_default());
    let mut referenced = Vec::new();
    for reference in &cluster.spec.capacity_provider_refs {
        let provider = api.get_opt(&reference.name).await?.ok_or_else(|| {
            Error::DependencyNotReady(format!(
                "waiting for CapacityProvider {} (spec.capacityProviderRefs), which does not exist yet",
                reference.name
            ))
        })?;
        let found = referenced_of(&provider);
        if found.managed_instances {
            let own = provider.spec.cluster.as_deref().unwrap_or_default();
            let this = cluster_name(cluster);
            if own != this {
                return Err(Error::InvalidSpec(format!(
                    "spec.capacityProviderRefs: CapacityProvider {} is a Managed Instances provider of ECS cluster \
                     {own}, not of {this}; ECS makes it available only in its own cluster",
                    reference.name
                )));
            }
        } else if !found.exists {
            return Err(Error::DependencyNotReady(format!(
                "waiting for CapacityProvider {} (spec.capacityProviderRefs) to exist in ECS",
                reference.name
            )));
        }
        referenced.push(found);
    }
    let previously = cluster
        .status
        .as_ref()
        .map(|s| s.associated_capacity_providers.clone())
        .unwrap_or_default();
    with_references(&cluster.spec, &referenced, &previously).map_err(Error::InvalidSpec)
}

/// What the cluster needs to know of a referenced provider.
pub fn referenced_of(provider: &CapacityProvider) -> Referenced {
    let ecs_name = provider_name(provider);
    let status = provider.status.as_ref();
    Referenced {
        object: provider.name_any(),
        exists: status.is_some_and(|s| {
            s.arn.is_some()
                && s.ecs_status.as_deref() == Some("ACTIVE")
                && s.name.as_deref() == Some(ecs_name.as_str())
        }),
        managed_instances: provider.spec.managed_instances_provider.is_some(),
        ecs_name,
    }
}

/// The spec as ECS takes it and what the cluster adds and removes, from the references (`referenced`, in spec
/// order) and the providers the references associated before (`previously`). A default strategy item names
/// `capacityProviders`, or a reference by its object name or its ECS name; anything else is an error naming the
/// field.
pub fn with_references(
    spec: &EcsClusterSpec,
    referenced: &[Referenced],
    previously: &[String],
) -> Result<Resolved, String> {
    let find = |name: &str| {
        referenced
            .iter()
            .find(|r| r.object == name)
            .or_else(|| referenced.iter().find(|r| r.ecs_name == name))
    };
    let listed = |name: &str| spec.capacity_providers.iter().flatten().any(|p| p == name);
    let mut waiting = Vec::new();
    let strategy = match &spec.default_capacity_provider_strategy {
        None => None,
        Some(items) => {
            let mut resolved: Vec<CapacityProviderStrategyItem> = Vec::new();
            for (i, item) in items.iter().enumerate() {
                let name = item.capacity_provider.as_str();
                match (listed(name), find(name)) {
                    (true, _) => resolved.push(item.clone()),
                    (false, Some(r)) if r.exists => resolved.push(CapacityProviderStrategyItem {
                        capacity_provider: r.ecs_name.clone(),
                        ..item.clone()
                    }),
                    (false, Some(r)) => waiting.push(r.object.clone()),
                    (false, None) => {
                        return Err(format!(
                            "spec.defaultCapacityProviderStrategy[{i}].capacityProvider: \"{name}\" is not in \
                             spec.capacityProviders and names no CapacityProvider of spec.capacityProviderRefs (by \
                             its object name or its ECS name); add it there"
                        ));
                    }
                }
            }
            Some(resolved)
        }
    };
    for r in referenced {
        if r.managed_instances && !r.exists && !waiting.contains(&r.object) {
            waiting.push(r.object.clone());
        }
    }
    let add: Vec<String> = referenced
        .iter()
        .filter(|r| !r.managed_instances)
        .map(|r| r.ecs_name.clone())
        .collect();
    let keep: Vec<String> = referenced
        .iter()
        .filter(|r| r.managed_instances && r.exists)
        .map(|r| r.ecs_name.clone())
        .collect();
    let whole = spec.capacity_providers.as_ref().map(|list| {
        let mut whole = list.clone();
        for provider in &add {
            if !whole.contains(provider) {
                whole.push(provider.clone());
            }
        }
        whole
    });
    let remove = previously
        .iter()
        .filter(|p| !add.contains(p) && !keep.contains(p))
        .cloned()
        .collect();
    let capacity = CapacityIntent {
        whole,
        add: add.clone(),
        remove,
        keep,
    };
    let resolved = EcsClusterSpec {
        capacity_providers: capacity.at_creation(),
        default_capacity_provider_strategy: strategy,
        capacity_provider_refs: Vec::new(),
        ..spec.clone()
    };
    Ok(Resolved {
        spec: resolved,
        capacity,
        associated: add,
        waiting,
    })
}

/// ECS refuses to take a provider off a cluster while tasks use it: say so and what to do.
pub fn explain_in_use(err: AwsError) -> AwsError {
    if err.code.as_deref() != Some("ResourceInUseException") {
        return err;
    }
    AwsError {
        message: format!(
            "{}. A capacity provider that services or tasks still use cannot be removed from the cluster: move \
             those services to another provider (their capacityProviderStrategy) or delete them, or put the \
             provider back into spec.capacityProviderRefs / spec.capacityProviders; the change is retried",
            err.message.trim_end_matches('.')
        ),
        ..err
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn asg(object: &str, ecs_name: &str) -> Referenced {
        Referenced {
            object: object.into(),
            ecs_name: ecs_name.into(),
            managed_instances: false,
            exists: true,
        }
    }

    fn spec(yaml: &str) -> EcsClusterSpec {
        serde_yaml::from_str(yaml).unwrap()
    }

    fn strings(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn references_join_the_named_providers_and_the_strategy_uses_ecs_names() {
        let spec = spec(
            "capacityProviders: [FARGATE]\ncapacityProviderRefs: [{name: ec2}]\ndefaultCapacityProviderStrategy: [{capacityProvider: ec2, weight: 3}, {capacityProvider: FARGATE, weight: 1}]\n",
        );
        let resolved = with_references(&spec, &[asg("ec2", "web-ec2")], &[]).unwrap();
        assert_eq!(
            resolved.spec.capacity_providers,
            Some(strings(&["FARGATE", "web-ec2"]))
        );
        let strategy = resolved.spec.default_capacity_provider_strategy.unwrap();
        assert_eq!(strategy[0].capacity_provider, "web-ec2");
        assert_eq!(strategy[1].capacity_provider, "FARGATE");
        assert!(resolved.spec.capacity_provider_refs.is_empty());
        assert_eq!(resolved.associated, strings(&["web-ec2"]));
    }

    #[test]
    fn references_alone_add_theirs_and_keep_what_others_associated() {
        let spec = spec("capacityProviderRefs: [{name: ec2}]\n");
        let resolved = with_references(&spec, &[asg("ec2", "ec2")], &[]).unwrap();
        assert_eq!(resolved.spec.capacity_providers, Some(strings(&["ec2"])));
        let others = strings(&["FARGATE", "team-b"]);
        assert_eq!(
            resolved.capacity.target(&others),
            strings(&["FARGATE", "team-b", "ec2"])
        );
        let all = strings(&["FARGATE", "ec2", "team-b"]);
        assert!(!resolved.capacity.differs(&all));
        assert!(resolved.capacity.differs(&others));
    }

    #[test]
    fn a_reference_that_goes_takes_only_its_provider_away() {
        let spec = spec("{}");
        let resolved = with_references(&spec, &[], &strings(&["ec2"])).unwrap();
        assert_eq!(resolved.spec.capacity_providers, None);
        let observed = strings(&["FARGATE", "ec2", "team-b"]);
        assert_eq!(
            resolved.capacity.target(&observed),
            strings(&["FARGATE", "team-b"])
        );
        assert!(resolved.capacity.differs(&observed));
        assert!(resolved.associated.is_empty());
    }

    #[test]
    fn capacity_providers_manage_the_whole_list() {
        let spec = spec("capacityProviders: [FARGATE]\ncapacityProviderRefs: [{name: ec2}]\n");
        let resolved = with_references(&spec, &[asg("ec2", "ec2")], &[]).unwrap();
        assert_eq!(
            resolved
                .capacity
                .target(&strings(&["FARGATE_SPOT", "team-b"])),
            strings(&["FARGATE", "ec2"])
        );
    }

    #[test]
    fn the_strategy_names_a_reference_by_object_or_ecs_name_and_nothing_else() {
        let by_ecs_name = spec(
            "capacityProviderRefs: [{name: ec2}]\ndefaultCapacityProviderStrategy: [{capacityProvider: web-ec2, weight: 1}]\n",
        );
        let resolved = with_references(&by_ecs_name, &[asg("ec2", "web-ec2")], &[]).unwrap();
        let strategy = resolved.spec.default_capacity_provider_strategy.unwrap();
        assert_eq!(strategy[0].capacity_provider, "web-ec2");
        let unknown = spec(
            "capacityProviderRefs: [{name: ec2}]\ndefaultCapacityProviderStrategy: [{capacityProvider: other, weight: 1}]\n",
        );
        let err = with_references(&unknown, &[asg("ec2", "web-ec2")], &[]).unwrap_err();
        assert!(
            err.contains("spec.defaultCapacityProviderStrategy[0].capacityProvider"),
            "{err}"
        );
    }

    #[test]
    fn a_managed_instances_provider_not_yet_created_is_waited_for_after_the_cluster() {
        let spec = spec(
            "capacityProviderRefs: [{name: mi}]\ndefaultCapacityProviderStrategy: [{capacityProvider: mi, weight: 1}, {capacityProvider: FARGATE}]\ncapacityProviders: [FARGATE]\n",
        );
        let mut mi = Referenced {
            object: "mi".into(),
            ecs_name: "mi-cp".into(),
            managed_instances: true,
            exists: false,
        };
        let resolved = with_references(&spec, std::slice::from_ref(&mi), &[]).unwrap();
        assert_eq!(resolved.waiting, strings(&["mi"]));
        let strategy = resolved.spec.default_capacity_provider_strategy.unwrap();
        assert_eq!(strategy.len(), 1, "the item naming it is held back");
        assert_eq!(strategy[0].capacity_provider, "FARGATE");
        assert_eq!(
            resolved.spec.capacity_providers,
            Some(strings(&["FARGATE"]))
        );
        assert!(resolved.associated.is_empty());

        // Once it exists, the strategy names it; it is never added to nor removed from the list by the cluster.
        mi.exists = true;
        let resolved = with_references(&spec, &[mi], &[]).unwrap();
        assert!(resolved.waiting.is_empty());
        let strategy = resolved.spec.default_capacity_provider_strategy.unwrap();
        assert_eq!(strategy[0].capacity_provider, "mi-cp");
        assert!(!resolved.capacity.differs(&strings(&["FARGATE", "mi-cp"])));
        assert!(!resolved.capacity.differs(&strings(&["FARGATE"])));
        assert!(resolved.associated.is_empty());
    }

    #[test]
    fn an_in_use_refusal_says_what_to_do() {
        let err = AwsError::from_code(
            "PutClusterCapacityProviders",
            Some("ResourceInUseException"),
            "The specified capacity provider is in use and cannot be removed.".into(),
            Some("r-1".into()),
        );
        let explained = explain_in_use(err).to_string();
        assert!(explained.contains("ResourceInUseException"), "{explained}");
        assert!(explained.contains("move those services"), "{explained}");
        let other = AwsError::from_code("X", Some("ClientException"), "bad".into(), None);
        assert_eq!(explain_in_use(other.clone()), other);
    }
}
