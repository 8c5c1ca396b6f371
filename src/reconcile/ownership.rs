//! Ownership of ECS objects: the tags the operator puts on what it creates or adopts, who owns what it finds
//! (looking the owner up in Kubernetes, so that no live object's ECS object can be taken over), and which tags
//! it may change (only the keys it applied itself).

use kube::{Api, Client, Resource, ResourceExt};

use super::{Context, Error, Managed};
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

/// The most characters ECS takes in a tag value (catalogue entry 82).
pub const MAX_TAG_VALUE_LENGTH: usize = 256;

/// Checks that the owner tag, `<namespace>/<name>`, fits in an ECS tag value; every kind is checked before any
/// AWS call, whether or not it tags anything yet, so that a name never works today and fails tomorrow.
pub fn check_owner_tag<K: Resource<DynamicType = ()>>(obj: &K) -> Result<(), String> {
    let namespace = obj.namespace().unwrap_or_default();
    let owner = format!("{namespace}/{}", obj.name_any());
    let length = owner.chars().count();
    if length <= MAX_TAG_VALUE_LENGTH {
        return Ok(());
    }
    Err(format!(
        "metadata.name: the {} is tagged {OWNER_TAG}=<namespace>/<name> in ECS, and a tag value holds at most \
         {MAX_TAG_VALUE_LENGTH} characters; \"{owner}\" has {length}. In namespace {namespace} a name can have at \
         most {} characters; create it under a shorter name",
        K::kind(&()),
        MAX_TAG_VALUE_LENGTH - namespace.chars().count() - 1
    ))
}

/// The user's tags plus the ownership tags.
pub fn desired_tags<K: Resource>(obj: &K, user_tags: &Tags) -> Tags {
    let mut tags = user_tags.clone();
    tags.extend(ownership_tags(obj));
    tags
}

/// Decides from the tags alone who owns an ECS object; [`claim`] also checks that an adoption takes nothing
/// from a live owner.
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

/// The live Kubernetes object of kind `K` that the ownership tags name (`<namespace>/<name>` whose uid is the
/// uid tag), as `<namespace>/<name>`; `None` when the tags claim nothing or their owner no longer exists.
/// A uid tag without a readable owner tag cannot be checked and counts as a live owner.
pub async fn live_owner<K: Managed>(
    client: &Client,
    tags: &Tags,
) -> Result<Option<String>, kube::Error> {
    let Some(uid) = tags.get(UID_TAG) else {
        return Ok(None);
    };
    let Some((namespace, name)) = tags.get(OWNER_TAG).and_then(|o| o.split_once('/')) else {
        return Ok(Some(format!("an object with uid {uid}")));
    };
    let api: Api<K> = Api::namespaced(client.clone(), namespace);
    let found = api.get_opt(name).await?;
    Ok(found
        .filter(|owner| owner.uid().as_ref() == Some(uid))
        .map(|_| format!("{namespace}/{name}")))
}

/// Who owns an ECS object with `tags` (`what` names it in messages): like [`classify`], but an object another
/// live object owns is refused (`OwnedByAnother`), and adoption only happens in the namespaces that allow it.
pub async fn claim<K: Managed>(
    obj: &K,
    ctx: &Context,
    tags: &Tags,
    what: &str,
) -> Result<Ownership, Error> {
    let ownership = classify(obj, tags);
    if ownership == Ownership::Ours {
        return Ok(ownership);
    }
    let owner = live_owner::<K>(&ctx.client, tags).await?;
    let namespace = obj.namespace().unwrap_or_default();
    check_claim::<K>(
        ownership,
        owner.as_deref(),
        ctx.adoption_allowed(&namespace),
        what,
    )
}

/// The pure part of [`claim`]: `owner` is the live owner the tags name, if any.
pub fn check_claim<K: Resource<DynamicType = ()>>(
    ownership: Ownership,
    owner: Option<&str>,
    adoption_allowed: bool,
    what: &str,
) -> Result<Ownership, Error> {
    match (ownership, owner) {
        (Ownership::Ours, _) => Ok(Ownership::Ours),
        (_, Some(owner)) => Err(Error::OwnedByAnother(format!(
            "{what} is owned by {} {owner}, which still exists; nothing was changed. It can be adopted only \
             once that object is deleted",
            K::kind(&())
        ))),
        (Ownership::Adopt, None) if !adoption_allowed => Err(Error::AlreadyExists(format!(
            "{what} already exists and was not created by this object; adoption is not allowed in this \
             namespace (the operator's adoptNamespaces setting); nothing was changed"
        ))),
        (ownership, None) => Ok(ownership),
    }
}

/// The tags to set and the keys to remove so that `observed` carries `desired`. Only keys in `applied` (those
/// the operator put there before) are removed: tags others added stay, and so do AWS's own `aws:` tags.
pub fn tag_changes_since(
    desired: &Tags,
    observed: &Tags,
    applied: &[String],
) -> (Tags, Vec<String>) {
    let set = desired
        .iter()
        .filter(|(k, v)| observed.get(*k) != Some(*v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let remove = observed
        .keys()
        .filter(|k| !desired.contains_key(*k) && !k.starts_with("aws:"))
        .filter(|k| applied.contains(k))
        .cloned()
        .collect();
    (set, remove)
}

/// [`tag_changes_since`] for a kind that keeps no record of the keys it applied: every observed key counts as
/// applied, so any key missing from `desired` is removed.
pub fn tag_changes(desired: &Tags, observed: &Tags) -> (Tags, Vec<String>) {
    let applied: Vec<String> = observed.keys().cloned().collect();
    tag_changes_since(desired, observed, &applied)
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

    fn tags(pairs: &[(&str, &str)]) -> Tags {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn ownership_tags_name_namespace_and_uid() {
        let tags = ownership_tags(&cluster(&[]));
        assert_eq!(tags[OWNER_TAG], "team/web");
        assert_eq!(tags[UID_TAG], "uid-1");
    }

    #[test]
    fn a_name_the_owner_tag_cannot_hold_is_refused() {
        let mut c = cluster(&[]);
        // "team/" and the name: 256 characters fit, 257 do not.
        c.metadata.name = Some("n".repeat(251));
        assert_eq!(check_owner_tag(&c), Ok(()));
        c.metadata.name = Some("n".repeat(252));
        let refused = check_owner_tag(&c).unwrap_err();
        assert!(
            refused.starts_with("metadata.name") && refused.contains("at most 251"),
            "{refused}"
        );
    }

    #[test]
    fn classifies_by_uid_tag_and_adopt_annotation() {
        let ours = tags(&[(UID_TAG, "uid-1")]);
        let other = tags(&[(UID_TAG, "uid-2")]);
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
    fn a_live_owner_is_never_taken_over() {
        let check = |ownership, owner, allowed| {
            check_claim::<EcsCluster>(ownership, owner, allowed, "ECS cluster web")
        };
        let refused = check(Ownership::Adopt, Some("a/web"), true).unwrap_err();
        assert_eq!(refused.reason(), "OwnedByAnother");
        assert!(
            refused.to_string().contains("EcsCluster a/web"),
            "{refused}"
        );
        assert_eq!(
            check(Ownership::Foreign, Some("a/web"), true)
                .unwrap_err()
                .reason(),
            "OwnedByAnother"
        );
        assert_eq!(
            check(Ownership::Adopt, None, true).unwrap(),
            Ownership::Adopt
        );
        assert_eq!(
            check(Ownership::Adopt, None, false).unwrap_err().reason(),
            "AlreadyExists"
        );
        assert_eq!(
            check(Ownership::Foreign, None, true).unwrap(),
            Ownership::Foreign
        );
        assert_eq!(
            check(Ownership::Ours, Some("x/y"), false).unwrap(),
            Ownership::Ours
        );
    }

    #[test]
    fn tag_changes_remove_only_keys_the_operator_applied() {
        let desired = tags(&[("a", "1"), ("b", "2")]);
        let observed = tags(&[
            ("a", "1"),
            ("b", "old"),
            ("c", "3"),
            ("by-others", "x"),
            ("aws:x", "y"),
        ]);
        let applied = vec![
            "a".to_owned(),
            "b".to_owned(),
            "c".to_owned(),
            "aws:x".to_owned(),
        ];
        let (set, remove) = tag_changes_since(&desired, &observed, &applied);
        assert_eq!(set, tags(&[("b", "2")]));
        assert_eq!(remove, vec!["c".to_owned()]);
        let (_, remove) = tag_changes_since(&desired, &observed, &[]);
        assert!(remove.is_empty(), "without a record nothing is removed");
    }

    #[test]
    fn tag_changes_without_a_record_remove_every_undesired_key_but_aws_tags() {
        let desired = tags(&[("a", "1")]);
        let observed = tags(&[("a", "1"), ("c", "3"), ("aws:x", "y")]);
        assert_eq!(tag_changes(&desired, &observed).1, vec!["c".to_owned()]);
    }
}
