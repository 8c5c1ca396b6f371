//! Ownership of ECS objects: the tags the operator puts on what it creates or adopts, and who owns what it finds.

use kube::{Resource, ResourceExt};

use crate::api::Tags;
use crate::api::common::{ADOPT_ANNOTATION, OWNER_TAG, UID_TAG};

/// Who owns an ECS object found under the name of a Kubernetes object.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ownership {
    /// It carries this object's uid tag.
    Ours,
    /// It is not ours, but the object asks to adopt it.
    Adopt,
    /// It is not ours and must not be touched.
    Foreign,
}

/// The ownership tags for a Kubernetes object.
pub fn ownership_tags<K: Resource>(obj: &K) -> Tags {
    let mut tags = Tags::new();
    tags.insert(
        OWNER_TAG.to_owned(),
        format!("{}/{}", obj.namespace().unwrap_or_default(), obj.name_any()),
    );
    tags.insert(UID_TAG.to_owned(), obj.uid().unwrap_or_default());
    tags
}

/// The user's tags plus the ownership tags.
pub fn desired_tags<K: Resource>(obj: &K, user_tags: &Tags) -> Tags {
    let mut tags = user_tags.clone();
    tags.extend(ownership_tags(obj));
    tags
}

/// Decides who owns an ECS object with `tags`.
pub fn classify<K: Resource>(obj: &K, tags: &Tags) -> Ownership {
    if obj.uid().is_some() && tags.get(UID_TAG) == obj.uid().as_ref() {
        Ownership::Ours
    } else if wants_adoption(obj) {
        Ownership::Adopt
    } else {
        Ownership::Foreign
    }
}

/// Whether the object carries `ecsbridge.dev/adopt: "true"`.
pub fn wants_adoption<K: Resource>(obj: &K) -> bool {
    obj.annotations()
        .get(ADOPT_ANNOTATION)
        .is_some_and(|v| v.eq_ignore_ascii_case("true"))
}

/// The tags to set and the keys to remove so that `observed` becomes `desired`; AWS's own `aws:` tags stay.
pub fn tag_changes(desired: &Tags, observed: &Tags) -> (Tags, Vec<String>) {
    let set = desired
        .iter()
        .filter(|(k, v)| observed.get(*k) != Some(*v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let remove = observed
        .keys()
        .filter(|k| !desired.contains_key(*k) && !k.starts_with("aws:"))
        .cloned()
        .collect();
    (set, remove)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::EcsCluster;

    fn cluster(annotations: &[(&str, &str)]) -> EcsCluster {
        let mut c = EcsCluster::new("web", Default::default());
        c.metadata.namespace = Some("team".into());
        c.metadata.uid = Some("uid-1".into());
        c.metadata.annotations = Some(
            annotations
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        );
        c
    }

    #[test]
    fn ownership_tags_name_namespace_and_uid() {
        let tags = ownership_tags(&cluster(&[]));
        assert_eq!(tags[OWNER_TAG], "team/web");
        assert_eq!(tags[UID_TAG], "uid-1");
    }

    #[test]
    fn classifies_by_uid_tag_and_adopt_annotation() {
        let ours: Tags = [(UID_TAG.to_owned(), "uid-1".to_owned())].into();
        let other: Tags = [(UID_TAG.to_owned(), "uid-2".to_owned())].into();
        assert_eq!(classify(&cluster(&[]), &ours), Ownership::Ours);
        assert_eq!(classify(&cluster(&[]), &other), Ownership::Foreign);
        assert_eq!(classify(&cluster(&[]), &Tags::new()), Ownership::Foreign);
        assert_eq!(
            classify(&cluster(&[(ADOPT_ANNOTATION, "true")]), &other),
            Ownership::Adopt
        );
        assert_eq!(
            classify(&cluster(&[(ADOPT_ANNOTATION, "no")]), &other),
            Ownership::Foreign
        );
    }

    #[test]
    fn tag_changes_add_change_and_remove_but_keep_aws_tags() {
        let desired: Tags = [
            ("a".to_owned(), "1".to_owned()),
            ("b".to_owned(), "2".to_owned()),
        ]
        .into();
        let observed: Tags = [
            ("a".to_owned(), "1".to_owned()),
            ("b".to_owned(), "old".to_owned()),
            ("c".to_owned(), "3".to_owned()),
            ("aws:x".to_owned(), "y".to_owned()),
        ]
        .into();
        let (set, remove) = tag_changes(&desired, &observed);
        assert_eq!(set, [("b".to_owned(), "2".to_owned())].into());
        assert_eq!(remove, vec!["c".to_owned()]);
    }
}
