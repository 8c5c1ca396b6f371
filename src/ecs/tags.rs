//! ECS tag lists as plain maps, and the TagResource / UntagResource calls.

use aws_sdk_ecs::types::Tag;

use super::{AwsError, Ecs};
use crate::api::Tags;

/// ECS `{key, value}` tags as a map.
pub fn from_ecs(tags: &[Tag]) -> Tags {
    tags.iter()
        .filter_map(|t| {
            Some((
                t.key()?.to_owned(),
                t.value().unwrap_or_default().to_owned(),
            ))
        })
        .collect()
}

/// A map as ECS `{key, value}` tags.
pub fn to_ecs(tags: &Tags) -> Vec<Tag> {
    tags.iter()
        .map(|(key, value)| Tag::builder().key(key).value(value).build())
        .collect()
}

impl Ecs {
    /// Adds or overwrites tags on an ECS resource.
    pub async fn tag_resource(&self, arn: &str, tags: &Tags) -> Result<(), AwsError> {
        {
            let request = self
                .client
                .tag_resource()
                .resource_arn(arn)
                .set_tags(Some(to_ecs(tags)));
            self.call("TagResource", || request.clone().send()).await
        }?;
        Ok(())
    }

    /// Removes tags from an ECS resource.
    pub async fn untag_resource(&self, arn: &str, keys: &[String]) -> Result<(), AwsError> {
        {
            let request = self
                .client
                .untag_resource()
                .resource_arn(arn)
                .set_tag_keys(Some(keys.to_vec()));
            self.call("UntagResource", || request.clone().send()).await
        }?;
        Ok(())
    }

    /// Reads the tags of an ECS resource.
    pub async fn list_tags(&self, arn: &str) -> Result<Tags, AwsError> {
        let out = {
            let request = self.client.list_tags_for_resource().resource_arn(arn);
            self.call("ListTagsForResource", || request.clone().send())
                .await
        }?;
        Ok(from_ecs(out.tags()))
    }
}

/// Deserializes an ECS `[{key, value}]` list into a map.
pub fn deserialize_list<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Tags, D::Error> {
    #[derive(serde::Deserialize)]
    struct KeyValue {
        key: String,
        #[serde(default)]
        value: String,
    }
    let list = <Option<Vec<KeyValue>> as serde::Deserialize>::deserialize(deserializer)?;
    Ok(list
        .unwrap_or_default()
        .into_iter()
        .map(|t| (t.key, t.value))
        .collect())
}
