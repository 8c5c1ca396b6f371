//! The `EcsAccount` kind (cluster-scoped): an AWS account reached by assuming an IAM role, the regions allowed
//! in it, and the namespaces bound to it. Only cluster administrators create them; no namespaced object names a
//! role itself.

use std::collections::BTreeMap;

use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// An AWS account the operator reaches through STS AssumeRole from its own identity (IRSA / Pod Identity).
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[kube(
    group = "ecsbridge.dev",
    version = "v1alpha1",
    kind = "EcsAccount",
    plural = "ecsaccounts",
    shortname = "ecsa",
    doc = "An AWS account the bound namespaces' objects live in, reached by assuming an IAM role from the operator's own identity: the role, the regions allowed and the namespaces bound. Cluster administrators' only; not in the `ecs` category, so deleting every `ecs` object leaves it to clean up their ECS objects in its account.",
    printcolumn = r#"{"name":"Role","type":"string","jsonPath":".spec.roleArn"}"#,
    printcolumn = r#"{"name":"Regions","type":"string","jsonPath":".spec.regions"}"#,
    printcolumn = r#"{"name":"Age","type":"date","jsonPath":".metadata.creationTimestamp"}"#
)]
#[serde(rename_all = "camelCase")]
pub struct EcsAccountSpec {
    /// ARN of the IAM role to assume, `arn:aws:iam::<12-digit account>:role/<name>`; its account is where the
    /// bound namespaces' ECS objects live.
    pub role_arn: String,
    /// External ID the role's trust policy requires (`sts:ExternalId`), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 2, max = 1224))]
    pub external_id: Option<String>,
    /// Session tags passed with AssumeRole (the role's trust policy must allow `sts:TagSession`). The operator adds
    /// `ecsbridge.dev-account: <this object's name>`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub session_tags: BTreeMap<String, String>,
    /// The regions objects bound to this account may use; the first is the default of objects without
    /// `spec.region`.
    #[schemars(length(min = 1))]
    pub regions: Vec<String>,
    /// The namespaces bound to this account: those named, and those whose labels match.
    #[serde(default)]
    pub namespace_selector: NamespaceSelector,
}

/// Which namespaces an `EcsAccount` serves: a namespace is bound when it is named in `matchNames` or carries
/// every label of `matchLabels` (a selector with neither binds none).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct NamespaceSelector {
    /// Namespace names.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub match_names: Vec<String>,
    /// Labels a namespace must all carry.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub match_labels: BTreeMap<String, String>,
}

impl NamespaceSelector {
    /// Whether the namespace `name` with `labels` is bound.
    pub fn binds(&self, name: &str, labels: &BTreeMap<String, String>) -> bool {
        self.match_names.iter().any(|n| n == name)
            || (!self.match_labels.is_empty()
                && self
                    .match_labels
                    .iter()
                    .all(|(key, value)| labels.get(key) == Some(value)))
    }
}

/// The session tag the operator adds, naming the `EcsAccount` (STS tag keys allow no `/`).
pub const ACCOUNT_SESSION_TAG: &str = "ecsbridge.dev-account";

impl EcsAccountSpec {
    /// The 12-digit AWS account ID of the role.
    pub fn account_id(&self) -> Option<&str> {
        let mut parts = self.role_arn.split(':');
        let (arn, _partition, iam, region, account, resource) = (
            parts.next()?,
            parts.next()?,
            parts.next()?,
            parts.next()?,
            parts.next()?,
            parts.next()?,
        );
        let well_formed = arn == "arn"
            && iam == "iam"
            && region.is_empty()
            && account.len() == 12
            && account.bytes().all(|b| b.is_ascii_digit())
            && resource
                .strip_prefix("role/")
                .is_some_and(|r| !r.is_empty())
            && parts.next().is_none();
        well_formed.then_some(account)
    }

    /// Checks what the schema cannot, naming the field and what to fix.
    pub fn validate(&self) -> Result<(), String> {
        if self.account_id().is_none() {
            return Err(format!(
                "spec.roleArn \"{}\" is not an IAM role ARN: use arn:aws:iam::<12-digit account ID>:role/<name>",
                self.role_arn
            ));
        }
        if self.regions.is_empty() {
            return Err("spec.regions: list at least one region; the first is the default".into());
        }
        for (index, region) in self.regions.iter().enumerate() {
            if !is_region_name(region) {
                return Err(format!(
                    "spec.regions[{index}] \"{region}\" is not an AWS region name such as eu-west-1"
                ));
            }
            if self.regions[..index].contains(region) {
                return Err(format!(
                    "spec.regions[{index}]: \"{region}\" is listed twice"
                ));
            }
        }
        if self.session_tags.len() > 49 {
            return Err(
                "spec.sessionTags: STS takes at most 50 session tags, and the operator adds one"
                    .into(),
            );
        }
        for (key, value) in &self.session_tags {
            let key_ok = (1..=128).contains(&key.chars().count()) && key.chars().all(is_tag_char);
            if !key_ok || key == ACCOUNT_SESSION_TAG {
                return Err(format!(
                    "spec.sessionTags: key \"{key}\" must have 1-128 letters, digits, spaces or _.:/=+-@ and not be \
                     {ACCOUNT_SESSION_TAG}"
                ));
            }
            if value.chars().count() > 256 || !value.chars().all(is_tag_char) {
                return Err(format!(
                    "spec.sessionTags.{key}: a value has at most 256 letters, digits, spaces or _.:/=+-@"
                ));
            }
        }
        Ok(())
    }
}

fn is_tag_char(c: char) -> bool {
    c.is_alphanumeric() || " _.:/=+-@".contains(c)
}

/// A region name such as `eu-west-1` or `us-gov-west-1`: lowercase words and a number, joined by dashes.
pub fn is_region_name(region: &str) -> bool {
    let parts: Vec<&str> = region.split('-').collect();
    parts.len() >= 3
        && parts
            .last()
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        && parts[..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(role: &str, regions: &[&str]) -> EcsAccountSpec {
        EcsAccountSpec {
            role_arn: role.into(),
            regions: regions.iter().map(|r| r.to_string()).collect(),
            ..Default::default()
        }
    }

    #[test]
    fn the_account_comes_from_the_role_arn() {
        let good = spec("arn:aws:iam::111122223333:role/ecs", &["eu-west-1"]);
        assert_eq!(good.account_id(), Some("111122223333"));
        assert_eq!(good.validate(), Ok(()));
        for bad in [
            "arn:aws:iam::1111:role/ecs",
            "arn:aws:iam::111122223333:user/ecs",
            "arn:aws:sts::111122223333:role/ecs",
            "111122223333",
        ] {
            let err = spec(bad, &["eu-west-1"]).validate().unwrap_err();
            assert!(err.contains("spec.roleArn"), "{err}");
        }
    }

    #[test]
    fn regions_must_be_region_names_listed_once() {
        let role = "arn:aws:iam::111122223333:role/ecs";
        assert!(
            spec(role, &[])
                .validate()
                .unwrap_err()
                .contains("spec.regions")
        );
        assert!(
            spec(role, &["Europe"])
                .validate()
                .unwrap_err()
                .contains("spec.regions[0]")
        );
        let twice = spec(role, &["eu-west-1", "eu-west-1"])
            .validate()
            .unwrap_err();
        assert!(twice.contains("spec.regions[1]"), "{twice}");
        assert_eq!(
            spec(role, &["us-gov-west-1", "eu-central-2"]).validate(),
            Ok(())
        );
    }

    #[test]
    fn session_tags_follow_sts_rules() {
        let mut s = spec("arn:aws:iam::111122223333:role/ecs", &["eu-west-1"]);
        s.session_tags.insert("team".into(), "web".into());
        assert_eq!(s.validate(), Ok(()));
        s.session_tags.insert("bad,key".into(), "x".into());
        assert!(s.validate().unwrap_err().contains("bad,key"));
    }

    #[test]
    fn a_namespace_is_bound_by_name_or_by_all_labels() {
        let selector = NamespaceSelector {
            match_names: vec!["team-a".into()],
            match_labels: [("team".to_string(), "b".to_string())].into(),
        };
        let labels = |pairs: &[(&str, &str)]| {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<BTreeMap<_, _>>()
        };
        assert!(selector.binds("team-a", &labels(&[])));
        assert!(selector.binds("other", &labels(&[("team", "b"), ("x", "y")])));
        assert!(!selector.binds("other", &labels(&[("team", "c")])));
        assert!(!NamespaceSelector::default().binds("team-a", &labels(&[])));
    }
}
