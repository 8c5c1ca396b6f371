//! What the tests of every topic share: a `TaskDefinition` built from a YAML spec, the error
//! `validate` gives it, a table check of expected errors and a minimal Fargate prefix.

use super::validate;
use crate::api::TaskDefinition;

/// A `TaskDefinition` named `web` whose spec is `spec` (YAML at column 0).
pub(super) fn task(spec: &str) -> TaskDefinition {
    let indented: String = spec.lines().map(|line| format!("  {line}\n")).collect();
    let mut td: TaskDefinition = serde_yaml::from_str(&format!(
        "apiVersion: ecsbridge.dev/v1alpha1\nkind: TaskDefinition\nmetadata: {{name: web, namespace: ns}}\nspec:\n{indented}"
    ))
    .unwrap_or_else(|e| panic!("{spec}: {e}"));
    td.metadata.uid = Some("u".into());
    td
}

/// The error `validate` gives a task with this spec; panics when it is accepted.
pub(super) fn error_of(spec: &str) -> String {
    validate(&task(spec)).expect_err(spec)
}

/// Checks that `validate` refuses each spec with an error containing the expected text.
#[track_caller]
pub(super) fn assert_errors(cases: &[(&str, &str)]) {
    for (spec, expected) in cases {
        let err = error_of(spec);
        assert!(
            err.contains(expected),
            "{spec}\n  expected: {expected}\n  got: {err}"
        );
    }
}

/// A spec literal behind a minimal valid Fargate prefix (awsvpc, 256 CPU units, 512 MiB).
macro_rules! fargate {
    ($spec:literal) => {
        concat!(
            "requiresCompatibilities: [FARGATE]\nnetworkMode: awsvpc\ncpu: '256'\nmemory: '512'\n",
            $spec
        )
    };
}
pub(super) use fargate;
