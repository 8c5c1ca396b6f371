//! A cluster's `capacityProviderRefs`: resolved into ECS names once the `CapacityProvider` objects are Ready, and
//! ECS's refusal to drop a provider that tasks still use, explained.

use kube::{Api, ResourceExt};

use crate::api::cluster::EcsClusterSpec;
use crate::api::{CapacityProvider, EcsCluster};
use crate::controllers::capacity_provider::validate::provider_name;
use crate::controllers::references::ready_object;
use crate::ecs::AwsError;
use crate::reconcile::{Context, Error};

/// The cluster with its spec's references replaced by the ECS names of the providers they name; waits
/// (`DependencyNotReady`) while one is missing or not Ready.
pub async fn resolve(cluster: &EcsCluster, ctx: &Context) -> Result<EcsCluster, Error> {
    let refs = &cluster.spec.capacity_provider_refs;
    if refs.is_empty() {
        return Ok(cluster.clone());
    }
    let api: Api<CapacityProvider> =
        Api::namespaced(ctx.client.clone(), &cluster.namespace().unwrap_or_default());
    let mut names = Vec::new();
    for reference in refs {
        let provider = ready_object(&api, &reference.name, "spec.capacityProviderRefs").await?;
        names.push((reference.name.clone(), provider_name(&provider)));
    }
    let mut resolved = cluster.clone();
    resolved.spec = with_providers(&cluster.spec, &names);
    Ok(resolved)
}

/// The spec as ECS takes it: `capacityProviders` plus the referenced providers' ECS names, and strategy items
/// that name a reference (by `metadata.name`) renamed to its ECS name. `names` holds (object name, ECS name).
pub fn with_providers(spec: &EcsClusterSpec, names: &[(String, String)]) -> EcsClusterSpec {
    let ecs_name = |name: &str| {
        names
            .iter()
            .find(|(object, _)| object == name)
            .map_or(name, |(_, ecs)| ecs.as_str())
            .to_owned()
    };
    let mut resolved = spec.clone();
    let mut providers = spec.capacity_providers.clone().unwrap_or_default();
    for (_, ecs) in names {
        if !providers.contains(ecs) {
            providers.push(ecs.clone());
        }
    }
    resolved.capacity_providers = Some(providers);
    if let Some(strategy) = &mut resolved.default_capacity_provider_strategy {
        for item in strategy {
            item.capacity_provider = ecs_name(&item.capacity_provider);
        }
    }
    resolved.capacity_provider_refs.clear();
    resolved
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

    #[test]
    fn references_join_the_named_providers_and_the_strategy_uses_ecs_names() {
        let spec: EcsClusterSpec = serde_yaml::from_str(
            "capacityProviders: [FARGATE]\ncapacityProviderRefs: [{name: ec2}]\ndefaultCapacityProviderStrategy: [{capacityProvider: ec2, weight: 3}, {capacityProvider: FARGATE, weight: 1}]\n",
        )
        .unwrap();
        let resolved = with_providers(&spec, &[("ec2".into(), "web-ec2".into())]);
        assert_eq!(
            resolved.capacity_providers,
            Some(vec!["FARGATE".to_owned(), "web-ec2".to_owned()])
        );
        let strategy = resolved.default_capacity_provider_strategy.unwrap();
        assert_eq!(strategy[0].capacity_provider, "web-ec2");
        assert_eq!(strategy[1].capacity_provider, "FARGATE");
        assert!(resolved.capacity_provider_refs.is_empty());
    }

    #[test]
    fn references_alone_manage_the_whole_list() {
        let spec: EcsClusterSpec =
            serde_yaml::from_str("capacityProviderRefs: [{name: ec2}]\n").unwrap();
        let resolved = with_providers(&spec, &[("ec2".into(), "ec2".into())]);
        assert_eq!(resolved.capacity_providers, Some(vec!["ec2".to_owned()]));
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
