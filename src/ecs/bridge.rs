//! Converts between our ECS-shaped API types and the SDK's types through the ECS JSON wire format.
//!
//! The spec types mirror the ECS JSON API field for field, and the SDK's types carry their Smithy schemas, so one
//! generic JSON round trip replaces hundreds of lines of hand-written field-by-field mapping.

use aws_smithy_json::codec::{JsonCodec, JsonCodecSettings};
use aws_smithy_schema::codec::Codec;
use aws_smithy_schema::serde::{
    SerdeError, SerializableStruct, ShapeDeserializer, ShapeSerializer,
};
use aws_smithy_types::date_time::Format;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::error::AwsError;

/// A function that reads one SDK type, such as `aws_sdk_ecs::types::ContainerDefinition::deserialize`.
pub type Reader<T> = fn(&mut dyn ShapeDeserializer) -> Result<T, SerdeError>;

/// The codec settings ECS itself uses (awsJson1_1: member names, epoch-second timestamps).
fn codec() -> JsonCodec {
    JsonCodec::new(
        JsonCodecSettings::builder()
            .use_json_name(false)
            .default_timestamp_format(Format::EpochSeconds)
            .build(),
    )
}

/// Converts one of our ECS-shaped values into the SDK type that `read` produces.
pub fn to_sdk<T>(value: &impl Serialize, read: Reader<T>) -> Result<T, AwsError> {
    let json = serde_json::to_vec(value).map_err(|e| AwsError::conversion(e.to_string()))?;
    let codec = codec();
    let mut deserializer = codec.create_deserializer(&json);
    read(&mut deserializer).map_err(|e| AwsError::conversion(e.to_string()))
}

/// Converts a list of our ECS-shaped values into SDK values.
pub fn list_to_sdk<S: Serialize, T>(values: &[S], read: Reader<T>) -> Result<Vec<T>, AwsError> {
    values.iter().map(|value| to_sdk(value, read)).collect()
}

/// Converts an SDK structure into one of our ECS-shaped types (unknown members are ignored).
pub fn from_sdk<T: DeserializeOwned>(value: &dyn SerializableStruct) -> Result<T, AwsError> {
    let mut serializer = codec().create_serializer();
    serializer
        .write_struct(value.schema(), value)
        .map_err(|e| AwsError::conversion(e.to_string()))?;
    serde_json::from_slice(&serializer.finish()).map_err(|e| AwsError::conversion(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::cluster::{CapacityProviderStrategyItem, ClusterSetting, ClusterSettingName};

    #[test]
    fn round_trips_a_setting_through_the_sdk_type() {
        let setting = ClusterSetting {
            name: ClusterSettingName::ContainerInsights,
            value: "enhanced".into(),
        };
        let sdk = to_sdk(&setting, aws_sdk_ecs::types::ClusterSetting::deserialize).unwrap();
        assert_eq!(
            sdk.name(),
            Some(&aws_sdk_ecs::types::ClusterSettingName::ContainerInsights)
        );
        assert_eq!(sdk.value(), Some("enhanced"));
        let back: ClusterSetting = from_sdk(&sdk).unwrap();
        assert_eq!(back, setting);
    }

    #[test]
    fn keeps_absent_optional_members_absent() {
        let item = CapacityProviderStrategyItem {
            capacity_provider: "FARGATE".into(),
            weight: Some(2),
            base: None,
        };
        let sdk = to_sdk(
            &item,
            aws_sdk_ecs::types::CapacityProviderStrategyItem::deserialize,
        )
        .unwrap();
        assert_eq!(sdk.weight(), 2);
        let back: CapacityProviderStrategyItem = from_sdk(&sdk).unwrap();
        assert_eq!(back.weight, Some(2));
        assert_eq!(back.capacity_provider, "FARGATE");
    }

    #[test]
    fn reports_a_value_of_the_wrong_shape() {
        let wrong = serde_json::json!({"capacityProvider": ["not", "a", "string"]});
        assert!(
            to_sdk(
                &wrong,
                aws_sdk_ecs::types::CapacityProviderStrategyItem::deserialize
            )
            .is_err()
        );
    }
}
