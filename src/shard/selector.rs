//! Kubernetes label selectors in their text form (`team=a,tier in (x,y),!legacy`), as `kubectl -l` and the API's
//! `labelSelector` parameter take them, parsed so that a shard can tell which namespaces another shard selects.

use std::collections::{BTreeMap, BTreeSet};

use kube::core::{Expression, Selector, SelectorExt};

/// A parsed label selector together with its text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LabelSelector {
    text: String,
    selector: Selector,
}

impl LabelSelector {
    /// Parses the text form; the error says which requirement is malformed.
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let expressions = split_requirements(text)
            .into_iter()
            .map(requirement)
            .collect::<Result<Vec<_>, _>>()?;
        if expressions.is_empty() {
            return Err(
                "the namespace selector is empty: give at least one requirement, such as ecsbridge.dev/shard=a"
                    .into(),
            );
        }
        Ok(Self {
            text: text.to_owned(),
            selector: expressions.into_iter().collect(),
        })
    }

    /// Whether the selector selects an object with these labels.
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.selector.matches(labels)
    }

    /// The text form, for the API's `labelSelector` parameter.
    pub fn text(&self) -> &str {
        &self.text
    }
}

/// Splits at the commas outside parentheses.
fn split_requirements(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0_i32, 0);
    for (index, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(text[start..index].trim());
                start = index + 1;
            }
            _ => {}
        }
    }
    parts.push(text[start..].trim());
    parts.into_iter().filter(|p| !p.is_empty()).collect()
}

fn requirement(text: &str) -> Result<Expression, String> {
    let malformed = || {
        format!(
            "\"{text}\" is not a label requirement: use key=value, key!=value, key in (a,b), key notin (a,b), key or !key"
        )
    };
    let key = |k: &str| -> Result<String, String> {
        let k = k.trim();
        let valid = !k.is_empty()
            && k.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c));
        valid.then(|| k.to_owned()).ok_or_else(malformed)
    };
    let value = |v: &str| -> Result<String, String> {
        let v = v.trim();
        v.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
            .then(|| v.to_owned())
            .ok_or_else(malformed)
    };
    if let Some(rest) = text.strip_prefix('!') {
        return Ok(Expression::DoesNotExist(key(rest)?));
    }
    if let Some((k, v)) = text.split_once("!=") {
        return Ok(Expression::NotEqual(key(k)?, value(v)?));
    }
    if let Some((k, v)) = text.split_once("==").or_else(|| text.split_once('=')) {
        return Ok(Expression::Equal(key(k)?, value(v)?));
    }
    for (operator, negated) in [(" notin ", true), (" in ", false)] {
        if let Some((k, set)) = text.split_once(operator) {
            let set = set.trim();
            let inner = set
                .strip_prefix('(')
                .and_then(|s| s.strip_suffix(')'))
                .ok_or_else(malformed)?;
            let values = inner
                .split(',')
                .map(value)
                .collect::<Result<BTreeSet<_>, _>>()?;
            return Ok(match negated {
                true => Expression::NotIn(key(k)?, values),
                false => Expression::In(key(k)?, values),
            });
        }
    }
    Ok(Expression::Exists(key(text)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn parses_every_operator_of_the_text_form() {
        let selector = LabelSelector::parse(
            "team=a, tier in (web, api),env notin (dev),owned,!legacy,zone!=x",
        )
        .unwrap();
        let good = labels(&[
            ("team", "a"),
            ("tier", "api"),
            ("env", "prod"),
            ("owned", ""),
        ]);
        assert!(selector.matches(&good));
        for (key, value) in [("team", "b"), ("tier", "db"), ("env", "dev"), ("zone", "x")] {
            let mut bad = good.clone();
            bad.insert(key.into(), value.into());
            assert!(!selector.matches(&bad), "{key}={value}");
        }
        let mut legacy = good.clone();
        legacy.insert("legacy".into(), "yes".into());
        assert!(!selector.matches(&legacy));
        assert!(
            !selector.matches(&labels(&[("team", "a"), ("tier", "web")])),
            "owned missing"
        );
        assert!(
            LabelSelector::parse("ecsbridge.dev/shard==a")
                .unwrap()
                .matches(&labels(&[("ecsbridge.dev/shard", "a")]))
        );
    }

    #[test]
    fn refuses_an_empty_or_malformed_selector() {
        assert!(LabelSelector::parse(" ").unwrap_err().contains("empty"));
        for bad in ["team=a b", "tier in web", "=a", "team=(a)"] {
            let err = LabelSelector::parse(bad).unwrap_err();
            assert!(err.contains("is not a label requirement"), "{bad}: {err}");
        }
    }
}
