//! Every member of the SDK's CreateService and UpdateService inputs is offered by the `EcsService` CRD, or named
//! below with the reason it is not. The members are read from the SDK's own schema of the two inputs, so an SDK
//! upgrade that adds one fails this test until the CRD offers it or it is given a reason.

use std::collections::BTreeSet;

use aws_sdk_ecs::operation::create_service::CreateServiceInput;
use aws_sdk_ecs::operation::update_service::UpdateServiceInput;
use aws_smithy_schema::Schema;

use crate::api::EcsServiceSpec;

/// Members the CRD offers under another name, or through the operator.
const OFFERED_OTHERWISE: [(&str, &str); 2] = [
    (
        "service",
        "UpdateService's name of the service: spec.serviceName (default metadata.name)",
    ),
    (
        "forceNewDeployment",
        "the ecsbridge.dev/restartedAt annotation: each new value starts one new deployment",
    ),
];

/// Members the CRD does not offer, and why.
const NOT_OFFERED: [(&str, &str); 1] = [(
    "clientToken",
    "the operator sends its own idempotency token (the object's UID and its create attempt), so that a CreateService \
     retried after a time-out never creates a second service",
)];

/// The member names of an SDK input, as ECS spells them on the wire.
fn members(schema: &Schema<'_>) -> Vec<String> {
    schema
        .members()
        .iter()
        .filter_map(|m| m.member_name())
        .map(str::to_owned)
        .collect()
}

/// The fields of `EcsServiceSpec`, as its CRD schema names them.
fn spec_fields() -> BTreeSet<String> {
    let schema = serde_json::to_value(schemars::schema_for!(EcsServiceSpec)).unwrap();
    schema["properties"]
        .as_object()
        .expect("the spec schema has properties")
        .keys()
        .cloned()
        .collect()
}

#[test]
fn every_create_and_update_service_member_is_offered_or_named_with_a_reason() {
    let offered = spec_fields();
    let otherwise: BTreeSet<&str> = OFFERED_OTHERWISE.iter().map(|(m, _)| *m).collect();
    let refused: BTreeSet<&str> = NOT_OFFERED.iter().map(|(m, _)| *m).collect();
    let inputs = [
        ("CreateService", members(CreateServiceInput::SCHEMA)),
        ("UpdateService", members(UpdateServiceInput::SCHEMA)),
    ];
    let mut missing = Vec::new();
    for (operation, members) in &inputs {
        assert!(members.len() > 20, "{operation}: {members:?}");
        for member in members {
            let known = offered.contains(member)
                || otherwise.contains(member.as_str())
                || refused.contains(member.as_str());
            if !known {
                missing.push(format!("{operation}.{member}"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "SDK input members the EcsService CRD neither offers nor names with a reason: {missing:?}"
    );
    // No stale or empty entries: each named member is still an input member, with a reason.
    let all: BTreeSet<&str> = inputs
        .iter()
        .flat_map(|(_, m)| m.iter().map(String::as_str))
        .collect();
    for (member, reason) in OFFERED_OTHERWISE.iter().chain(NOT_OFFERED.iter()) {
        assert!(
            all.contains(member),
            "{member} is no longer an SDK input member"
        );
        assert!(!reason.is_empty() && !offered.contains(*member), "{member}");
    }
}

/// The managed daemon calls: every member of CreateDaemon, UpdateDaemon and RegisterDaemonTaskDefinition is
/// offered by the `EcsDaemon` or `DaemonTaskDefinition` CRD, or named with the reason it is not.
mod daemons {
    use std::collections::BTreeSet;

    use aws_sdk_ecs::operation::create_daemon::CreateDaemonInput;
    use aws_sdk_ecs::operation::register_daemon_task_definition::RegisterDaemonTaskDefinitionInput;
    use aws_sdk_ecs::operation::update_daemon::UpdateDaemonInput;

    use super::members;
    use crate::api::{DaemonTaskDefinitionSpec, EcsDaemonSpec};

    /// Members the CRDs offer under another name, or through the operator.
    const OFFERED_OTHERWISE: [(&str, &str); 4] = [
        (
            "clusterArn",
            "spec.clusterRef (an EcsCluster of the namespace) or spec.cluster",
        ),
        (
            "daemonTaskDefinitionArn",
            "spec.daemonTaskDefinitionRef (the newest revision of a DaemonTaskDefinition) or \
             spec.daemonTaskDefinition",
        ),
        (
            "capacityProviderArns",
            "spec.capacityProviderRefs (CapacityProvider objects) and spec.capacityProviders",
        ),
        (
            "daemonArn",
            "UpdateDaemon's name of the daemon: the operator records it in status.daemonArn at creation",
        ),
    ];

    /// Members the CRDs do not offer, and why.
    const NOT_OFFERED: [(&str, &str); 1] = [(
        "clientToken",
        "the operator finds a daemon whose create answer was lost by its name and ownership tags (ListDaemons) \
         instead of repeating CreateDaemon",
    )];

    fn spec_fields<T: schemars::JsonSchema>() -> BTreeSet<String> {
        let schema = serde_json::to_value(schemars::schema_for!(T)).unwrap();
        schema["properties"]
            .as_object()
            .expect("the spec schema has properties")
            .keys()
            .cloned()
            .collect()
    }

    #[test]
    fn every_daemon_and_daemon_task_definition_member_is_offered_or_named_with_a_reason() {
        let daemon = spec_fields::<EcsDaemonSpec>();
        let definition = spec_fields::<DaemonTaskDefinitionSpec>();
        let otherwise: BTreeSet<&str> = OFFERED_OTHERWISE.iter().map(|(m, _)| *m).collect();
        let refused: BTreeSet<&str> = NOT_OFFERED.iter().map(|(m, _)| *m).collect();
        let inputs = [
            ("CreateDaemon", members(CreateDaemonInput::SCHEMA), &daemon),
            ("UpdateDaemon", members(UpdateDaemonInput::SCHEMA), &daemon),
            (
                "RegisterDaemonTaskDefinition",
                members(RegisterDaemonTaskDefinitionInput::SCHEMA),
                &definition,
            ),
        ];
        let mut missing = Vec::new();
        for (operation, members, offered) in &inputs {
            assert!(members.len() >= 8, "{operation}: {members:?}");
            for member in members {
                let known = offered.contains(member)
                    || otherwise.contains(member.as_str())
                    || refused.contains(member.as_str());
                if !known {
                    missing.push(format!("{operation}.{member}"));
                }
            }
        }
        assert!(
            missing.is_empty(),
            "SDK input members the daemon CRDs neither offer nor name with a reason: {missing:?}"
        );
        let all: BTreeSet<&str> = inputs
            .iter()
            .flat_map(|(_, m, _)| m.iter().map(String::as_str))
            .collect();
        for (member, reason) in OFFERED_OTHERWISE.iter().chain(NOT_OFFERED.iter()) {
            assert!(
                all.contains(member),
                "{member} is no longer an SDK input member"
            );
            assert!(!reason.is_empty(), "{member}");
        }
    }
}
