//! Every member of the SDK's CreateExpressGatewayService and UpdateExpressGatewayService inputs, and of the
//! shapes they nest (the primary container, its logs configuration and repository credentials, the scaling
//! target, the network configuration), is offered by the `EcsExpressService` CRD, or named below with the reason
//! it is not. The members are read from the SDK's own schemas, so an SDK upgrade that adds one fails this test
//! until the CRD offers it or it is given a reason.

use std::collections::BTreeSet;

use aws_sdk_ecs::operation::create_express_gateway_service::CreateExpressGatewayServiceInput;
use aws_sdk_ecs::operation::update_express_gateway_service::UpdateExpressGatewayServiceInput;
use aws_sdk_ecs::types::{
    ExpressGatewayContainer, ExpressGatewayRepositoryCredentials, ExpressGatewayScalingTarget,
    ExpressGatewayServiceAwsLogsConfiguration, ExpressGatewayServiceNetworkConfiguration,
};
use aws_smithy_schema::Schema;
use schemars::JsonSchema;

use crate::api::EcsExpressServiceSpec;
use crate::api::express_service::{
    ExpressContainer, ExpressLogsConfiguration, ExpressNetworkConfiguration,
    ExpressRepositoryCredentials, ExpressScalingTarget,
};

/// Members the CRD offers under another name, or through the operator.
const OFFERED_OTHERWISE: [(&str, &str); 2] = [
    (
        "serviceArn",
        "UpdateExpressGatewayService's name of the service: the ARN recorded in status.serviceArn at creation",
    ),
    (
        "cluster",
        "spec.clusterRef (an EcsCluster of the namespace, sent as its ARN); ECS's default cluster without it",
    ),
];

/// Members the CRD does not offer, and why (none so far).
const NOT_OFFERED: [(&str, &str); 0] = [];

/// The member names of an SDK shape, as ECS spells them on the wire.
fn members(schema: &Schema<'_>) -> Vec<String> {
    schema
        .members()
        .iter()
        .filter_map(|m| m.member_name())
        .map(str::to_owned)
        .collect()
}

/// The fields of one of our types, as its CRD schema names them.
fn fields<T: JsonSchema>() -> BTreeSet<String> {
    let schema = serde_json::to_value(schemars::schema_for!(T)).unwrap();
    schema["properties"]
        .as_object()
        .map(|p| p.keys().cloned().collect())
        .unwrap_or_default()
}

/// The SDK members that neither `offered` nor the two lists account for, as `shape.member`.
fn missing(shape: &str, members: &[String], offered: &BTreeSet<String>) -> Vec<String> {
    let named: BTreeSet<&str> = OFFERED_OTHERWISE
        .iter()
        .chain(NOT_OFFERED.iter())
        .map(|(m, _)| *m)
        .collect();
    members
        .iter()
        .filter(|m| !offered.contains(*m) && !named.contains(m.as_str()))
        .map(|m| format!("{shape}.{m}"))
        .collect()
}

#[test]
fn every_express_input_member_is_offered_or_named_with_a_reason() {
    let spec = fields::<EcsExpressServiceSpec>();
    let create = members(CreateExpressGatewayServiceInput::SCHEMA);
    let update = members(UpdateExpressGatewayServiceInput::SCHEMA);
    assert!(
        create.len() > 10 && update.len() > 8,
        "{create:?} {update:?}"
    );
    let nested = [
        (
            "ExpressGatewayContainer",
            members(ExpressGatewayContainer::SCHEMA),
            fields::<ExpressContainer>(),
        ),
        (
            "ExpressGatewayServiceAwsLogsConfiguration",
            members(ExpressGatewayServiceAwsLogsConfiguration::SCHEMA),
            fields::<ExpressLogsConfiguration>(),
        ),
        (
            "ExpressGatewayRepositoryCredentials",
            members(ExpressGatewayRepositoryCredentials::SCHEMA),
            fields::<ExpressRepositoryCredentials>(),
        ),
        (
            "ExpressGatewayScalingTarget",
            members(ExpressGatewayScalingTarget::SCHEMA),
            fields::<ExpressScalingTarget>(),
        ),
        (
            "ExpressGatewayServiceNetworkConfiguration",
            members(ExpressGatewayServiceNetworkConfiguration::SCHEMA),
            fields::<ExpressNetworkConfiguration>(),
        ),
    ];
    let mut gaps = missing("CreateExpressGatewayService", &create, &spec);
    gaps.extend(missing("UpdateExpressGatewayService", &update, &spec));
    for (shape, members, offered) in &nested {
        assert!(!members.is_empty(), "{shape}");
        gaps.extend(missing(shape, members, offered));
    }
    assert!(
        gaps.is_empty(),
        "SDK input members the EcsExpressService CRD neither offers nor names with a reason: {gaps:?}"
    );
    // No stale or empty entries: each named member is still an input member, with a reason, and not offered.
    let all: BTreeSet<&str> = create.iter().chain(&update).map(String::as_str).collect();
    for (member, reason) in OFFERED_OTHERWISE.iter().chain(NOT_OFFERED.iter()) {
        assert!(
            all.contains(member),
            "{member} is no longer an SDK input member"
        );
        assert!(!reason.is_empty() && !spec.contains(*member), "{member}");
    }
    // The spec offers nothing ECS does not take, but for the operator's own fields.
    let operator_fields = [
        "clusterRef",
        "taskDefinitionRef",
        "region",
        "exportTo",
        "deletionPolicy",
    ];
    let unknown: Vec<&String> = spec
        .iter()
        .filter(|f| !all.contains(f.as_str()) && !operator_fields.contains(&f.as_str()))
        .collect();
    assert!(
        unknown.is_empty(),
        "spec fields no SDK member names: {unknown:?}"
    );
}
