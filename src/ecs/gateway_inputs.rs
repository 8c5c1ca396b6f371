//! Every member of the SDK's CreateGateway and UpdateGateway inputs, and of their `hostSharedAlb`
//! configurations, is offered by the `EcsGateway` CRD, or named below with the reason it is not. The members are
//! read from the SDK's own schemas, so an SDK upgrade that adds one fails this test until the CRD offers it or it
//! is given a reason.

use std::collections::BTreeSet;

use aws_sdk_ecs::operation::create_gateway::CreateGatewayInput;
use aws_sdk_ecs::operation::update_gateway::UpdateGatewayInput;
use aws_sdk_ecs::types::{HostSharedAlbConfiguration, UpdateGatewayAlbConfiguration};
use aws_smithy_schema::Schema;

use crate::api::EcsGatewaySpec;
use crate::api::gateway::HostSharedAlbConfiguration as SpecAlb;

/// Members the CRD offers under another name, or through the operator.
const OFFERED_OTHERWISE: [(&str, &str); 1] = [(
    "gateway",
    "UpdateGateway's name of the gateway: spec.name (default metadata.name), sent as the gateway's ARN",
)];

/// Members the CRD does not offer, and why.
const NOT_OFFERED: [(&str, &str); 1] = [(
    "clientToken",
    "the operator sends its own idempotency token (the object's UID), so that a CreateGateway retried after a \
     time-out never creates a second gateway",
)];

/// The member names of an SDK shape, as ECS spells them on the wire.
fn members(schema: &Schema<'_>) -> Vec<String> {
    schema
        .members()
        .iter()
        .filter_map(|m| m.member_name())
        .map(str::to_owned)
        .collect()
}

/// The properties of one of our schema types, as its CRD schema names them.
fn fields<T: schemars::JsonSchema>() -> BTreeSet<String> {
    let schema = serde_json::to_value(schemars::schema_for!(T)).unwrap();
    schema["properties"]
        .as_object()
        .expect("the schema has properties")
        .keys()
        .cloned()
        .collect()
}

/// The members of `shapes` that `offered` lacks and no list names.
fn missing(offered: &BTreeSet<String>, shapes: &[(&str, Vec<String>)]) -> Vec<String> {
    let named: BTreeSet<&str> = OFFERED_OTHERWISE
        .iter()
        .chain(NOT_OFFERED.iter())
        .map(|(m, _)| *m)
        .collect();
    shapes
        .iter()
        .flat_map(|(shape, members)| {
            members
                .iter()
                .filter(|m| !offered.contains(*m) && !named.contains(m.as_str()))
                .map(move |m| format!("{shape}.{m}"))
        })
        .collect()
}

#[test]
fn every_create_and_update_gateway_member_is_offered_or_named_with_a_reason() {
    let inputs = [
        ("CreateGateway", members(CreateGatewayInput::SCHEMA)),
        ("UpdateGateway", members(UpdateGatewayInput::SCHEMA)),
    ];
    for (operation, members) in &inputs {
        assert!(members.len() >= 5, "{operation}: {members:?}");
    }
    let configurations = [
        (
            "HostSharedAlbConfiguration",
            members(HostSharedAlbConfiguration::SCHEMA),
        ),
        (
            "UpdateGatewayAlbConfiguration",
            members(UpdateGatewayAlbConfiguration::SCHEMA),
        ),
    ];
    let mut absent = missing(&fields::<EcsGatewaySpec>(), &inputs);
    absent.extend(missing(&fields::<SpecAlb>(), &configurations));
    assert!(
        absent.is_empty(),
        "SDK members the EcsGateway CRD neither offers nor names with a reason: {absent:?}"
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
        assert!(!reason.is_empty(), "{member}");
    }
}
