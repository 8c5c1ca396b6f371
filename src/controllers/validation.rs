//! Checks shared by the kinds: ECS names, their immutability, and user tags.

use crate::api::Tags;
use crate::api::common::GROUP;

/// ECS allows this many tags per resource; two of them are the ownership tags.
pub const MAX_USER_TAGS: usize = 48;

/// Checks an ECS name: 1-255 letters, digits, hyphens and underscores. The API reference says so of a family, a
/// container, a volume and a service name: "Up to 255 letters (uppercase and lowercase), numbers, underscores, and
/// hyphens are allowed."
pub fn check_name(field: &str, name: &str) -> Result<(), String> {
    if name.is_empty() || name.len() > 255 {
        return Err(format!("{field}: \"{name}\" must be 1-255 characters long"));
    }
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_'))
    {
        return Err(format!(
            "{field}: \"{name}\" contains '{bad}'; use only letters, digits, hyphens and underscores"
        ));
    }
    Ok(())
}

/// Checks the ECS name of an object, which may come from `metadata.name`.
pub fn check_ecs_name(field: &str, name: &str) -> Result<(), String> {
    check_name(field, name)
        .map_err(|e| format!("{e} (set it explicitly when metadata.name does not fit ECS's rules)"))
}

/// Refuses a change of an ECS name after the object was created under another one. Not an ECS rule: the operator's
/// contract (API.md) that an object never moves to another ECS object.
pub fn check_name_unchanged(
    field: &str,
    desired: &str,
    recorded: Option<&str>,
) -> Result<(), String> {
    match recorded {
        Some(recorded) if recorded != desired => Err(format!(
            "{field} is immutable: the ECS object was created as \"{recorded}\"; set it back to \"{recorded}\", \
             or create a new object for \"{desired}\""
        )),
        _ => Ok(()),
    }
}

/// Checks the user's tags against ECS's limits and the operator's reserved keys. The API reference's `Tag`: "Maximum
/// number of tags per resource - 50", "Maximum key length - 128 Unicode characters", "Maximum value length - 256",
/// "Do not use aws:, AWS:, or any upper or lowercase combination of such as a prefix"; the `ecsbridge.dev/` prefix
/// is the operator's own (ownership tags).
pub fn check_tags(field: &str, tags: &Tags) -> Result<(), String> {
    if tags.len() > MAX_USER_TAGS {
        return Err(format!(
            "{field}: {} tags given; ECS allows 50 per resource and ecs-bridge uses 2 for ownership, so at most {MAX_USER_TAGS}",
            tags.len()
        ));
    }
    for (key, value) in tags {
        if key.is_empty() || key.chars().count() > 128 {
            return Err(format!(
                "{field}: tag key \"{key}\" must be 1-128 characters long"
            ));
        }
        if value.chars().count() > 256 {
            return Err(format!(
                "{field}.{key}: tag value must be at most 256 characters long"
            ));
        }
        if key.to_ascii_lowercase().starts_with("aws:") {
            return Err(format!(
                "{field}: tag key \"{key}\" uses the prefix aws:, which AWS reserves"
            ));
        }
        if key.starts_with(&format!("{GROUP}/")) {
            return Err(format!(
                "{field}: tag key \"{key}\" uses the prefix {GROUP}/, which ecs-bridge reserves for ownership"
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_ecs_rules() {
        assert!(check_ecs_name("spec.clusterName", "web_prod-1").is_ok());
        let err = check_ecs_name("spec.clusterName", "web.prod").unwrap_err();
        assert!(
            err.contains("'.'") && err.contains("spec.clusterName"),
            "{err}"
        );
        assert!(
            check_ecs_name("spec.clusterName", &"a".repeat(256))
                .unwrap_err()
                .contains("1-255")
        );
    }

    #[test]
    fn a_recorded_name_cannot_change() {
        assert!(check_name_unchanged("spec.clusterName", "a", Some("a")).is_ok());
        assert!(check_name_unchanged("spec.clusterName", "a", None).is_ok());
        assert!(
            check_name_unchanged("spec.clusterName", "b", Some("a"))
                .unwrap_err()
                .contains("immutable")
        );
    }

    #[test]
    fn tags_respect_limits_and_reserved_prefixes() {
        let tags = |k: &str, v: &str| Tags::from([(k.to_owned(), v.to_owned())]);
        assert!(check_tags("spec.tags", &tags("team", "web")).is_ok());
        assert!(
            check_tags("spec.tags", &tags("aws:x", "1"))
                .unwrap_err()
                .contains("aws:")
        );
        assert!(
            check_tags("spec.tags", &tags("ecsbridge.dev/uid", "1"))
                .unwrap_err()
                .contains("reserves")
        );
        assert!(
            check_tags("spec.tags", &tags("k", &"v".repeat(257)))
                .unwrap_err()
                .contains("256")
        );
        let many: Tags = (0..49).map(|i| (format!("k{i}"), String::new())).collect();
        assert!(
            check_tags("spec.tags", &many)
                .unwrap_err()
                .contains("at most 48")
        );
    }
}
