//! Admission-time validation through `kubectl apply`, as a user meets it: for every CEL rule of the CRDs
//! (`ecs_bridge::api::admission::RULES`), each object of its invalid fixture is refused with the rule's message and
//! each object of its valid fixture is accepted. Transition rules start from `before.yaml` with `status.json`
//! written to the status subresource, as the operator records the ECS name. No operator runs: the API server alone
//! refuses.

use std::path::PathBuf;

use ecs_bridge::api::admission::{AdmissionRule, RULES};
use serde::Deserialize;

use crate::harness::Env;
use crate::tools::{kubectl, must, repo};

fn fixture(rule: &AdmissionRule, file: &str) -> Option<String> {
    let path: PathBuf = repo()
        .join("tests/fixtures/admission")
        .join(rule.id)
        .join(file);
    std::fs::read_to_string(path).ok()
}

/// The documents of a multi-document YAML, each with its kind and name.
fn documents(yaml: &str) -> Vec<(String, String, String)> {
    #[derive(Deserialize)]
    struct Meta {
        name: String,
    }
    #[derive(Deserialize)]
    struct Object {
        kind: String,
        metadata: Meta,
    }
    yaml.split("\n---\n")
        .map(|doc| {
            let object: Object = serde_yaml::from_str(doc).expect("a fixture object");
            (object.kind, object.metadata.name, doc.to_owned())
        })
        .collect()
}

fn apply(namespace: &str, doc: &str) -> crate::tools::Run {
    kubectl(
        &[
            "apply",
            "--server-side",
            "--field-manager=e2e",
            "-n",
            namespace,
            "-f",
            "-",
        ],
        Some(doc),
    )
}

/// Creates the rule's starting objects and writes their status, for the transition rules.
fn prepare(rule: &AdmissionRule, namespace: &str) {
    let Some(before) = fixture(rule, "before.yaml") else {
        return;
    };
    let status = fixture(rule, "status.json").expect("a before.yaml comes with a status.json");
    for (kind, name, doc) in documents(&before) {
        must(
            &format!("{}: create {kind}/{name}", rule.id),
            apply(namespace, &doc),
        );
        let target = format!("{}.ecsbridge.dev/{name}", kind.to_ascii_lowercase());
        let args = [
            "patch",
            &target,
            "-n",
            namespace,
            "--subresource=status",
            "--type=merge",
            "-p",
            &status,
        ];
        must(
            &format!("{}: status of {target}", rule.id),
            kubectl(&args, None),
        );
    }
}

#[tokio::test]
async fn every_cel_rule_refuses_its_invalid_fixture_with_its_message_and_accepts_the_valid_one() {
    let env = Env::without_operator("admission").await;
    let namespace = env.namespace.as_str();
    let mut refusals = 0;
    for rule in RULES {
        prepare(rule, namespace);
        let invalid = fixture(rule, "invalid.yaml").expect("invalid.yaml");
        for (kind, name, doc) in documents(&invalid) {
            let out = apply(namespace, &doc);
            assert!(!out.ok, "{}: {kind}/{name} was accepted:\n{doc}", rule.id);
            let said = out.stderr.split_whitespace().collect::<Vec<_>>().join(" ");
            assert!(
                said.contains(rule.message),
                "{}: {kind}/{name} was refused for another reason:\n{said}",
                rule.id
            );
            refusals += 1;
        }
        let valid = fixture(rule, "valid.yaml").expect("valid.yaml");
        for (kind, name, doc) in documents(&valid) {
            must(
                &format!("{}: the valid {kind}/{name}", rule.id),
                apply(namespace, &doc),
            );
            let target = format!("{}.ecsbridge.dev/{name}", kind.to_ascii_lowercase());
            must(
                "clean up",
                kubectl(&["delete", &target, "-n", namespace, "--wait=false"], None),
            );
        }
    }
    assert!(refusals >= RULES.len(), "each rule refused at least once");
}
