//! Plans the ECS calls that bring a cluster to its spec; pure, so every decision is unit-tested.

use crate::api::Tags;
use crate::api::cluster::{CapacityProviderStrategyItem, ClusterSetting, EcsClusterSpec};
use crate::controllers::compare::{covers, strategy_key};
use crate::ecs::cluster::{ClusterUpdate, ObservedCluster};

use super::capacity::CapacityIntent;
use crate::reconcile::ownership::tag_changes_since;

/// One ECS call for a cluster.
#[derive(Clone, Debug, PartialEq)]
pub enum ClusterAction {
    Create,
    Update(ClusterUpdate),
    PutCapacityProviders {
        providers: Vec<String>,
        strategy: Vec<CapacityProviderStrategyItem>,
    },
    Tag(Tags),
    Untag(Vec<String>),
}

/// What the cluster should be: the spec and the full tag set (user tags plus ownership tags).
pub struct Desired<'a> {
    /// The spec as ECS takes it (references resolved, see `capacity`).
    pub spec: &'a EcsClusterSpec,
    /// Which capacity providers to add and remove.
    pub capacity: &'a CapacityIntent,
    pub tags: &'a Tags,
    /// The tag keys the operator applied before: the only ones it may remove.
    pub applied_tag_keys: &'a [String],
    /// The spec changed since the last successful apply: send what cannot be compared with ECS's answer.
    pub generation_changed: bool,
}

/// The calls to make; empty when ECS already matches. Tags come first, so that an adopted cluster carries the
/// ownership tags before anything else of it changes.
pub fn plan(desired: &Desired, observed: Option<&ObservedCluster>) -> Vec<ClusterAction> {
    let Some(observed) = observed else {
        return vec![ClusterAction::Create];
    };
    let spec = desired.spec;
    let mut actions = Vec::new();
    let (set, remove) = tag_changes_since(desired.tags, &observed.tags, desired.applied_tag_keys);
    if !set.is_empty() {
        actions.push(ClusterAction::Tag(set));
    }
    if !remove.is_empty() {
        actions.push(ClusterAction::Untag(remove));
    }

    let update = ClusterUpdate {
        settings: (!settings_match(&observed.settings, &spec.settings))
            .then(|| spec.settings.clone()),
        configuration: spec
            .configuration
            .clone()
            .filter(|c| !covers(&observed.configuration, c)),
        // ECS answers with the namespace's ARN, which cannot be compared with a name: send it when the spec changes.
        service_connect_defaults: spec
            .service_connect_defaults
            .clone()
            .filter(|_| desired.generation_changed || observed.service_connect_defaults.is_none()),
    };
    if update != ClusterUpdate::default() {
        actions.push(ClusterAction::Update(update));
    }

    // PutClusterCapacityProviders replaces the whole list (catalogue entry 24): the list sent is ECS's, with what
    // the references add and without what they associated before and no longer name, unless the spec manages the
    // whole list. A default strategy the spec leaves out stays ECS's, without the providers that leave.
    let providers = desired.capacity.target(&observed.capacity_providers);
    let strategy = spec
        .default_capacity_provider_strategy
        .clone()
        .unwrap_or_else(|| {
            observed
                .default_capacity_provider_strategy
                .iter()
                .filter(|item| providers.contains(&item.capacity_provider))
                .cloned()
                .collect()
        });
    let providers_differ = desired.capacity.differs(&observed.capacity_providers);
    let strategy_differs =
        strategy_key(&strategy) != strategy_key(&observed.default_capacity_provider_strategy);
    if providers_differ || strategy_differs {
        actions.push(ClusterAction::PutCapacityProviders {
            providers,
            strategy,
        });
    }
    actions
}

/// Every setting the user gave has that value in ECS (ECS reports defaults for the others).
fn settings_match(observed: &[ClusterSetting], desired: &[ClusterSetting]) -> bool {
    desired.iter().all(|d| {
        observed
            .iter()
            .any(|o| o.name == d.name && o.value == d.value)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::cluster::ClusterSettingName;

    fn plan_for(
        spec: &EcsClusterSpec,
        tags: &Tags,
        generation_changed: bool,
        observed: Option<&ObservedCluster>,
    ) -> Vec<ClusterAction> {
        let capacity = CapacityIntent {
            whole: spec.capacity_providers.clone(),
            ..Default::default()
        };
        plan_with(spec, &capacity, tags, generation_changed, observed)
    }

    fn plan_with(
        spec: &EcsClusterSpec,
        capacity: &CapacityIntent,
        tags: &Tags,
        generation_changed: bool,
        observed: Option<&ObservedCluster>,
    ) -> Vec<ClusterAction> {
        let applied: Vec<String> = ["team", "gone", "ecsbridge.dev/uid"]
            .map(str::to_owned)
            .to_vec();
        plan(
            &Desired {
                spec,
                capacity,
                tags,
                applied_tag_keys: &applied,
                generation_changed,
            },
            observed,
        )
    }

    fn spec(yaml: &str) -> EcsClusterSpec {
        serde_yaml::from_str(yaml).unwrap()
    }

    fn observed_from(spec: &EcsClusterSpec, tags: &Tags) -> ObservedCluster {
        ObservedCluster {
            cluster_arn: "arn:aws:ecs:us-east-1:123:cluster/web".into(),
            cluster_name: "web".into(),
            status: "ACTIVE".into(),
            settings: spec.settings.clone(),
            configuration: spec.configuration.clone(),
            capacity_providers: spec.capacity_providers.clone().unwrap_or_default(),
            default_capacity_provider_strategy: spec
                .default_capacity_provider_strategy
                .clone()
                .unwrap_or_default(),
            tags: tags.clone(),
            ..Default::default()
        }
    }

    const FULL: &str = "settings: [{name: containerInsights, value: enabled}]\ncapacityProviders: [FARGATE]\ndefaultCapacityProviderStrategy: [{capacityProvider: FARGATE, weight: 1}]\nconfiguration: {executeCommandConfiguration: {logging: DEFAULT}}\n";

    fn tags() -> Tags {
        Tags::from([
            ("team".to_owned(), "web".to_owned()),
            ("ecsbridge.dev/uid".to_owned(), "u".to_owned()),
        ])
    }

    #[test]
    fn creates_a_missing_cluster() {
        let s = spec(FULL);
        let t = tags();
        assert_eq!(plan_for(&s, &t, true, None), vec![ClusterAction::Create]);
    }

    #[test]
    fn does_nothing_when_ecs_matches() {
        let s = spec(FULL);
        let t = tags();
        let observed = observed_from(&s, &t);
        assert!(plan_for(&s, &t, false, Some(&observed)).is_empty());
    }

    #[test]
    fn leaves_ecs_defaults_for_fields_the_user_did_not_set() {
        let s = spec("{}");
        let t = tags();
        let mut observed = observed_from(&s, &t);
        observed.settings = vec![ClusterSetting {
            name: ClusterSettingName::ContainerInsights,
            value: "disabled".into(),
        }];
        observed.capacity_providers = vec!["FARGATE".into()];
        observed
            .tags
            .insert("aws:cloudformation:stack-name".into(), "x".into());
        assert!(plan_for(&s, &t, false, Some(&observed)).is_empty());
    }

    #[test]
    fn reverts_changed_settings_and_configuration_in_one_update() {
        let s = spec(FULL);
        let t = tags();
        let mut observed = observed_from(&s, &t);
        observed.settings[0].value = "disabled".into();
        observed.configuration = None;
        let actions = plan_for(&s, &t, false, Some(&observed));
        assert_eq!(
            actions,
            vec![ClusterAction::Update(ClusterUpdate {
                settings: Some(s.settings.clone()),
                configuration: s.configuration.clone(),
                service_connect_defaults: None,
            })]
        );
    }

    #[test]
    fn strategy_compares_without_order_and_with_ecs_defaults() {
        let s = spec(
            "capacityProviders: [A, B]\ndefaultCapacityProviderStrategy: [{capacityProvider: B, weight: 1}, {capacityProvider: A, weight: 2, base: 0}]\n",
        );
        let t = tags();
        let mut observed = observed_from(&s, &t);
        observed.default_capacity_provider_strategy.reverse();
        observed.capacity_providers.reverse();
        assert!(plan_for(&s, &t, false, Some(&observed)).is_empty());
        observed.default_capacity_provider_strategy[0].weight = Some(5);
        let actions = plan_for(&s, &t, false, Some(&observed));
        assert!(
            matches!(&actions[..], [ClusterAction::PutCapacityProviders { providers, .. }] if providers.len() == 2)
        );
    }

    #[test]
    fn references_add_and_remove_only_their_providers_and_the_strategy_follows() {
        let s = spec("{}");
        let t = tags();
        let mut observed = observed_from(&s, &t);
        observed.capacity_providers = ["FARGATE", "team-b", "old"].map(str::to_owned).to_vec();
        observed.default_capacity_provider_strategy = vec![
            CapacityProviderStrategyItem {
                capacity_provider: "old".into(),
                weight: Some(1),
                base: None,
            },
            CapacityProviderStrategyItem {
                capacity_provider: "FARGATE".into(),
                weight: Some(1),
                base: None,
            },
        ];
        let capacity = CapacityIntent {
            add: vec!["ec2".into()],
            remove: vec!["old".into()],
            ..Default::default()
        };
        let actions = plan_with(&s, &capacity, &t, false, Some(&observed));
        let [
            ClusterAction::PutCapacityProviders {
                providers,
                strategy,
            },
        ] = actions.as_slice()
        else {
            panic!("{actions:?}");
        };
        assert_eq!(providers, &["FARGATE", "team-b", "ec2"].map(str::to_owned));
        assert_eq!(
            strategy.len(),
            1,
            "the strategy keeps no provider that leaves"
        );
        assert_eq!(strategy[0].capacity_provider, "FARGATE");

        // Nothing to add or remove: no call, whatever others associated.
        observed.capacity_providers = ["FARGATE", "team-b", "ec2"].map(str::to_owned).to_vec();
        observed.default_capacity_provider_strategy.remove(0);
        let capacity = CapacityIntent {
            add: vec!["ec2".into()],
            ..Default::default()
        };
        assert!(plan_with(&s, &capacity, &t, false, Some(&observed)).is_empty());
    }

    #[test]
    fn adds_changes_and_removes_applied_tags_but_keeps_tags_of_others() {
        let s = spec("{}");
        let t = tags();
        let mut observed = observed_from(&s, &t);
        observed.tags.insert("team".into(), "old".into());
        observed.tags.insert("gone".into(), "x".into());
        observed
            .tags
            .insert("cost-center".into(), "set-by-finance".into());
        let actions = plan_for(&s, &t, false, Some(&observed));
        assert_eq!(
            actions,
            vec![
                ClusterAction::Tag(Tags::from([("team".to_owned(), "web".to_owned())])),
                ClusterAction::Untag(vec!["gone".into()])
            ]
        );
    }

    #[test]
    fn tags_an_adopted_cluster_before_updating_it() {
        let s = spec(FULL);
        let t = tags();
        let mut observed = observed_from(&s, &Tags::new());
        observed.settings[0].value = "disabled".into();
        let actions = plan_for(&s, &t, false, Some(&observed));
        assert!(
            matches!(
                &actions[..],
                [ClusterAction::Tag(_), ClusterAction::Update(_)]
            ),
            "{actions:?}"
        );
    }

    #[test]
    fn service_connect_defaults_are_sent_when_the_spec_changes() {
        let s = spec("serviceConnectDefaults: {namespace: internal}\n");
        let t = tags();
        let mut observed = observed_from(&s, &t);
        observed.service_connect_defaults =
            Some(crate::api::cluster::ClusterServiceConnectDefaults {
                namespace: "arn:aws:servicediscovery:ns-1".into(),
            });
        assert!(plan_for(&s, &t, false, Some(&observed)).is_empty());
        let actions = plan_for(&s, &t, true, Some(&observed));
        assert!(
            matches!(&actions[..], [ClusterAction::Update(u)] if u.service_connect_defaults.is_some())
        );
    }
}
