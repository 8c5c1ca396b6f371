//! Admission-time validation: the CEL rules (`x-kubernetes-validations`) the CRDs carry, so that `kubectl apply`
//! and an Argo CD sync are refused at once for the mistakes users make most. The operator's own validation stays
//! the second line for objects written before a rule existed.
//!
//! Rules that need no history sit on the `spec` node: an update that leaves `spec` alone (a status write) is
//! ratcheted by the API server, so an old object that breaks a new rule can still get its status. Rules that
//! compare with the past sit on the object, where `metadata.name` and the recorded `status` are visible: an ECS
//! name is immutable once the object was created in ECS under it, exactly as the operator checks it.
//! Rules that hold only when an object is created (its name, which never changes) test `oldSelf.hasValue()`: they
//! are placed with `optionalOldSelf`, so `oldSelf` is empty on create and the rule passes at every later update.
//! Each rule has a fixture pair under `tests/fixtures/admission/<id>/`, applied by the end-to-end tests.

use serde_json::{Value, json};

/// One CEL rule, placed in the schema of one or more kinds.
pub struct AdmissionRule {
    /// Names the rule's fixtures: `tests/fixtures/admission/<id>/`.
    pub id: &'static str,
    /// Where it goes: the CRD's plural and the property path from the object's root (empty: the object itself).
    pub targets: &'static [(&'static str, &'static [&'static str])],
    /// The CEL expression, true when the object is acceptable.
    pub rule: &'static str,
    /// What the user reads when the rule refuses: what is wrong and what to do.
    pub message: &'static str,
}

const SPEC: &[&str] = &["spec"];
const CRON_TASK_SPEC: &[&str] = &["spec", "taskTemplate", "spec"];
const SERVICES_AND_TASKS: &[(&str, &[&str])] = &[
    ("ecsservices", SPEC),
    ("ecstasks", SPEC),
    ("ecscrontasks", CRON_TASK_SPEC),
];

/// Every rule of every kind.
pub const RULES: &[AdmissionRule] = &[
    AdmissionRule {
        id: "one-cluster",
        targets: SERVICES_AND_TASKS,
        rule: "has(self.clusterRef) != has(self.cluster)",
        message: "set exactly one of spec.clusterRef and spec.cluster: clusterRef names an EcsCluster in this \
                  namespace, cluster the name or ARN of a cluster not managed here",
    },
    AdmissionRule {
        id: "service-one-task-definition",
        targets: &[("ecsservices", SPEC)],
        rule: "has(self.taskDefinitionRef) != has(self.taskDefinition) || (!has(self.taskDefinitionRef) && \
               has(self.deploymentController) && self.deploymentController.type == 'EXTERNAL')",
        message: "set exactly one of spec.taskDefinitionRef and spec.taskDefinition: taskDefinitionRef names a \
                  TaskDefinition in this namespace, taskDefinition a family, family:revision or ARN (only an \
                  EXTERNAL deployment controller may leave both out)",
    },
    AdmissionRule {
        id: "task-one-task-definition",
        targets: &[("ecstasks", SPEC), ("ecscrontasks", CRON_TASK_SPEC)],
        rule: "has(self.taskDefinitionRef) != has(self.taskDefinition)",
        message: "set exactly one of spec.taskDefinitionRef and spec.taskDefinition: taskDefinitionRef names a \
                  TaskDefinition in this namespace, taskDefinition a family, family:revision or ARN",
    },
    AdmissionRule {
        id: "launch-type-or-strategy",
        targets: SERVICES_AND_TASKS,
        rule: "!has(self.launchType) || !has(self.capacityProviderStrategy) || \
               size(self.capacityProviderStrategy) == 0",
        message: "spec.launchType and spec.capacityProviderStrategy are mutually exclusive; remove one of them",
    },
    AdmissionRule {
        id: "daemon-without-desired-count",
        targets: &[("ecsservices", SPEC)],
        rule: "!has(self.schedulingStrategy) || self.schedulingStrategy != 'DAEMON' || !has(self.desiredCount)",
        message: "spec.desiredCount: a DAEMON service runs one task per container instance; remove desiredCount",
    },
    AdmissionRule {
        id: "capacity-provider-one-kind",
        targets: &[("capacityproviders", SPEC)],
        rule: "has(self.autoScalingGroupProvider) != has(self.managedInstancesProvider)",
        message: "spec: set exactly one of autoScalingGroupProvider (an EC2 Auto Scaling group) and \
                  managedInstancesProvider (ECS Managed Instances)",
    },
    AdmissionRule {
        id: "managed-instances-launch-template",
        targets: &[("capacityproviders", SPEC)],
        rule: "!has(self.managedInstancesProvider) || \
               (has(self.managedInstancesProvider.instanceLaunchTemplate) && \
               has(self.managedInstancesProvider.instanceLaunchTemplate.networkConfiguration))",
        message: "spec.managedInstancesProvider.instanceLaunchTemplate is required, with its \
                  ec2InstanceProfileArn and networkConfiguration: ECS launches Managed Instances from it",
    },
    AdmissionRule {
        id: "capacity-provider-cluster",
        targets: &[("capacityproviders", SPEC)],
        rule: "has(self.cluster) == has(self.managedInstancesProvider)",
        message: "spec.cluster: a managedInstancesProvider names the ECS cluster it belongs to in spec.cluster; an \
                  autoScalingGroupProvider takes no spec.cluster (associate it through \
                  EcsCluster.spec.capacityProviderRefs)",
    },
    AdmissionRule {
        id: "cron-task-name-length",
        targets: &[("ecscrontasks", &[])],
        rule: "oldSelf.hasValue() || size(self.metadata.name) <= 52",
        message: "metadata.name can have at most 52 characters, as a CronJob's: each run is an EcsTask named \
                  <name>-<scheduled minute> and labelled ecsbridge.dev/cron-task=<name>; use a shorter name",
    },
    AdmissionRule {
        id: "cluster-name-immutable",
        targets: &[("ecsclusters", &[])],
        rule: "!has(oldSelf.status) || !has(oldSelf.status.clusterName) || \
               (has(self.spec.clusterName) ? self.spec.clusterName : self.metadata.name) == \
               oldSelf.status.clusterName",
        message: "spec.clusterName is immutable: the ECS cluster was created under the name in \
                  status.clusterName; set it back, or create a new EcsCluster",
    },
    AdmissionRule {
        id: "family-immutable",
        targets: &[("taskdefinitions", &[])],
        rule: "!has(oldSelf.status) || !has(oldSelf.status.family) || \
               (has(self.spec.family) ? self.spec.family : self.metadata.name) == oldSelf.status.family",
        message: "spec.family is immutable: the revisions were registered under the family in status.family; \
                  set it back, or create a new TaskDefinition",
    },
    AdmissionRule {
        id: "service-name-immutable",
        targets: &[("ecsservices", &[])],
        rule: "!has(oldSelf.status) || !has(oldSelf.status.serviceName) || \
               (has(self.spec.serviceName) ? self.spec.serviceName : self.metadata.name) == \
               oldSelf.status.serviceName",
        message: "spec.serviceName is immutable: the ECS service was created under the name in \
                  status.serviceName; set it back, or create a new EcsService",
    },
    AdmissionRule {
        id: "express-service-name-immutable",
        targets: &[("ecsexpressservices", &[])],
        rule: "!has(oldSelf.status) || !has(oldSelf.status.serviceName) || \
               (has(self.spec.serviceName) ? self.spec.serviceName : self.metadata.name) == \
               oldSelf.status.serviceName",
        message: "spec.serviceName is immutable: the ECS Express service was created under the name in \
                  status.serviceName; set it back, or create a new EcsExpressService",
    },
    AdmissionRule {
        id: "express-create-only",
        targets: &[("ecsexpressservices", &[])],
        rule: "!has(oldSelf.status) || !has(oldSelf.status.serviceArn) || \
               (self.spec.infrastructureRoleArn == oldSelf.spec.infrastructureRoleArn && \
               has(self.spec.clusterRef) == has(oldSelf.spec.clusterRef) && \
               (!has(self.spec.clusterRef) || self.spec.clusterRef.name == oldSelf.spec.clusterRef.name))",
        message: "spec.infrastructureRoleArn and spec.clusterRef are create-only: UpdateExpressGatewayService \
                  changes neither; set them back, or create a new EcsExpressService",
    },
    AdmissionRule {
        id: "express-one-task-source",
        targets: &[("ecsexpressservices", SPEC)],
        rule: "(has(self.primaryContainer) ? 1 : 0) + (has(self.taskDefinitionRef) ? 1 : 0) + \
               (has(self.taskDefinitionArn) ? 1 : 0) == 1",
        message: "set exactly one of spec.primaryContainer, spec.taskDefinitionRef and spec.taskDefinitionArn: \
                  the container ECS makes a task definition for, or a task definition of your own",
    },
    AdmissionRule {
        id: "express-own-task-definition-alone",
        targets: &[("ecsexpressservices", SPEC)],
        rule: "has(self.primaryContainer) || !(has(self.executionRoleArn) || has(self.taskRoleArn) || \
               has(self.cpu) || has(self.memory) || has(self.cpuArchitecture))",
        message: "with a task definition of your own (spec.taskDefinitionRef or spec.taskDefinitionArn) ECS takes \
                  executionRoleArn, taskRoleArn, cpu, memory and cpuArchitecture from it: set them in the task \
                  definition and remove them here",
    },
    AdmissionRule {
        id: "capacity-provider-name-immutable",
        targets: &[("capacityproviders", &[])],
        rule: "!has(oldSelf.status) || !has(oldSelf.status.name) || \
               (has(self.spec.name) ? self.spec.name : self.metadata.name) == oldSelf.status.name",
        message: "spec.name is immutable: the ECS capacity provider was created under the name in status.name; \
                  set it back, or create a new CapacityProvider",
    },
    AdmissionRule {
        id: "auto-scaling-group-immutable",
        targets: &[("capacityproviders", &[])],
        rule: "!has(oldSelf.status) || !has(oldSelf.status.arn) || \
               !has(oldSelf.spec.autoScalingGroupProvider) || !has(self.spec.autoScalingGroupProvider) || \
               self.spec.autoScalingGroupProvider.autoScalingGroupArn == \
               oldSelf.spec.autoScalingGroupProvider.autoScalingGroupArn || \
               self.spec.autoScalingGroupProvider.autoScalingGroupArn.endsWith(':autoScalingGroupName/' + \
               oldSelf.spec.autoScalingGroupProvider.autoScalingGroupArn) || \
               oldSelf.spec.autoScalingGroupProvider.autoScalingGroupArn.endsWith(':autoScalingGroupName/' + \
               self.spec.autoScalingGroupProvider.autoScalingGroupArn)",
        message: "spec.autoScalingGroupProvider.autoScalingGroupArn is immutable: ECS cannot move a capacity \
                  provider to another Auto Scaling group (its name and its ARN are the same group); set it back, \
                  or create a new CapacityProvider",
    },
    AdmissionRule {
        id: "daemon-task-definition-family-immutable",
        targets: &[("daemontaskdefinitions", &[])],
        rule: "!has(oldSelf.status) || !has(oldSelf.status.family) || \
               (has(self.spec.family) ? self.spec.family : self.metadata.name) == oldSelf.status.family",
        message: "spec.family is immutable: the revisions were registered in the family in status.family; set it \
                  back, or create a new DaemonTaskDefinition",
    },
    AdmissionRule {
        id: "daemon-create-only",
        targets: &[("ecsdaemons", &[])],
        rule: "!has(oldSelf.status) || !has(oldSelf.status.daemonName) || \
               ((has(self.spec.daemonName) ? self.spec.daemonName : self.metadata.name) == \
               oldSelf.status.daemonName && \
               has(self.spec.cluster) == has(oldSelf.spec.cluster) && \
               (!has(self.spec.cluster) || self.spec.cluster == oldSelf.spec.cluster) && \
               has(self.spec.clusterRef) == has(oldSelf.spec.clusterRef) && \
               (!has(self.spec.clusterRef) || self.spec.clusterRef.name == oldSelf.spec.clusterRef.name))",
        message: "spec.daemonName, spec.cluster and spec.clusterRef are create-only: ECS cannot rename a daemon or \
                  move it to another cluster (status.daemonName); set them back, or create a new EcsDaemon",
    },
    AdmissionRule {
        id: "region-create-only",
        targets: &[
            ("ecsclusters", &[]),
            ("taskdefinitions", &[]),
            ("ecsservices", &[]),
            ("ecstasks", &[]),
            ("capacityproviders", &[]),
            ("ecsexpressservices", &[]),
            ("ecsgateways", &[]),
            ("daemontaskdefinitions", &[]),
            ("ecsdaemons", &[]),
        ],
        rule: "!has(oldSelf.status) || !has(oldSelf.status.region) || \
               (has(self.spec.region) == has(oldSelf.spec.region) && \
               (!has(self.spec.region) || self.spec.region == oldSelf.spec.region))",
        message: "spec.region is create-only: the ECS objects live in the region in status.region; set \
                  spec.region back as it was, or create a new object in the other region",
    },
    AdmissionRule {
        id: "gateway-name-immutable",
        targets: &[("ecsgateways", &[])],
        rule: "!has(oldSelf.status) || !has(oldSelf.status.name) || \
               (has(self.spec.name) ? self.spec.name : self.metadata.name) == oldSelf.status.name",
        message: "spec.name is immutable: the ECS gateway was created under the name in status.name; set it \
                  back, or create a new EcsGateway",
    },
    AdmissionRule {
        id: "gateway-create-only",
        targets: &[("ecsgateways", &[])],
        rule: "!has(oldSelf.status) || !has(oldSelf.status.gatewayArn) || \
               !has(oldSelf.spec.configuration.hostSharedAlb) || !has(self.spec.configuration.hostSharedAlb) || \
               ((has(self.spec.configuration.hostSharedAlb.scheme) ? \
               self.spec.configuration.hostSharedAlb.scheme : 'internet-facing') == \
               (has(oldSelf.spec.configuration.hostSharedAlb.scheme) ? \
               oldSelf.spec.configuration.hostSharedAlb.scheme : 'internet-facing') && \
               (has(self.spec.configuration.hostSharedAlb.port) ? self.spec.configuration.hostSharedAlb.port : 443) == \
               (has(oldSelf.spec.configuration.hostSharedAlb.port) ? \
               oldSelf.spec.configuration.hostSharedAlb.port : 443))",
        message: "spec.configuration.hostSharedAlb.scheme and .port are create-only: UpdateGateway changes neither \
                  (the operator also refuses a change of the subnets); set them back, or create a new EcsGateway",
    },
];

/// Adds the rules that target the CRD `plural` to its schema (`openAPIV3Schema`, as JSON).
pub fn add_rules(plural: &str, schema: &mut Value) {
    for rule in RULES {
        for (target, path) in rule.targets {
            if *target != plural {
                continue;
            }
            let node = path
                .iter()
                .try_fold(&mut *schema, |node, property| {
                    node.get_mut("properties")?.get_mut(*property)
                })
                .unwrap_or_else(|| panic!("rule {}: no property {path:?} in {plural}", rule.id));
            let rules = node
                .as_object_mut()
                .expect("a schema node is an object")
                .entry("x-kubernetes-validations")
                .or_insert_with(|| json!([]));
            rules
                .as_array_mut()
                .expect("x-kubernetes-validations is a list")
                .push(match rule.rule.contains("oldSelf.hasValue()") {
                    true => {
                        json!({"rule": rule.rule, "message": rule.message, "optionalOldSelf": true})
                    }
                    false => json!({"rule": rule.rule, "message": rule.message}),
                });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;
    use std::path::Path;

    fn rules_in(value: &Value, found: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                if let Some(Value::Array(rules)) = map.get("x-kubernetes-validations") {
                    found.extend(rules.iter().map(|r| r["rule"].as_str().unwrap().to_owned()));
                }
                map.values().for_each(|v| rules_in(v, found));
            }
            Value::Array(items) => items.iter().for_each(|v| rules_in(v, found)),
            _ => {}
        }
    }

    #[test]
    fn every_rule_in_the_crds_comes_from_the_table_and_every_entry_is_placed() {
        let mut found = Vec::new();
        for crd in crate::crdgen::all() {
            rules_in(&serde_json::to_value(&crd).unwrap(), &mut found);
        }
        let table: BTreeSet<&str> = RULES.iter().map(|r| r.rule).collect();
        for rule in &found {
            assert!(
                table.contains(rule.as_str()),
                "a CEL rule outside the table: {rule}"
            );
        }
        let placed: usize = RULES.iter().map(|r| r.targets.len()).sum();
        assert_eq!(found.len(), placed, "each rule once per target");
    }

    #[test]
    fn every_rule_has_a_valid_and_an_invalid_fixture() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/admission");
        let mut ids = BTreeSet::new();
        for rule in RULES {
            assert!(ids.insert(rule.id), "two rules named {}", rule.id);
            for file in ["valid.yaml", "invalid.yaml"] {
                let path = root.join(rule.id).join(file);
                let text = std::fs::read_to_string(&path)
                    .unwrap_or_else(|e| panic!("rule {}: {}: {e}", rule.id, path.display()));
                for (target, _) in rule.targets {
                    let kind = target.trim_end_matches('s');
                    assert!(
                        text.to_ascii_lowercase().contains(&format!("kind: {kind}")),
                        "rule {}: {file} has no {kind} object",
                        rule.id
                    );
                }
            }
        }
        let dirs: BTreeSet<String> = std::fs::read_dir(&root)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        let expected: BTreeSet<String> = ids.iter().map(|s| s.to_string()).collect();
        assert_eq!(
            dirs, expected,
            "a fixture directory without its rule, or the reverse"
        );
    }
}
