//! The chart's CRDs by values: `crds.install` (default true) renders every CRD of the operator, unchanged but for
//! `helm.sh/resource-policy: keep` with `crds.keep` (default true), which `helm uninstall` honours (a real install
//! and uninstall on the test cluster); the Argo CD annotation that keeps them from being pruned stays;
//! `crds.install=false` renders none.

use serde_json::Value;

use crate::chart::render;
use crate::harness::{Env, unique};
use crate::tools::{chart, helm, kubectl, must};

const KEEP: &str = "helm.sh/resource-policy";

/// The CRDs of a render, as JSON.
fn crds_of(yaml: &str) -> Vec<Value> {
    serde_yaml::Deserializer::from_str(yaml)
        .filter_map(|doc| {
            let value = <Option<Value> as serde::Deserialize>::deserialize(doc).expect("YAML");
            value.filter(|v| v["kind"] == "CustomResourceDefinition")
        })
        .collect()
}

fn generated() -> Vec<Value> {
    ecs_bridge::crdgen::all()
        .iter()
        .map(|crd| serde_json::to_value(crd).unwrap())
        .collect()
}

fn by_name(mut crds: Vec<Value>) -> Vec<Value> {
    crds.sort_by_key(|c| {
        c["metadata"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    });
    crds
}

#[test]
fn crds_are_installed_and_kept_by_default_and_left_out_by_values() {
    let (argocd_key, argocd_value) = ecs_bridge::crdgen::ARGOCD_KEEP;
    let rendered = by_name(crds_of(&render("crds", "ops", &[])));
    let mut expected = by_name(generated());
    assert_eq!(rendered.len(), expected.len(), "every CRD by default");
    for crd in &rendered {
        let annotations = &crd["metadata"]["annotations"];
        assert_eq!(annotations[KEEP], "keep", "{}", crd["metadata"]["name"]);
        assert_eq!(
            annotations[argocd_key], argocd_value,
            "Argo CD keeps it too"
        );
    }
    for crd in &mut expected {
        crd["metadata"]["annotations"][KEEP] = Value::from("keep");
    }
    assert!(
        rendered == expected,
        "the CRDs as the operator generates them"
    );

    let unkept = crds_of(&render("crds", "ops", &["crds.keep=false"]));
    assert_eq!(unkept.len(), expected.len());
    assert!(
        unkept
            .iter()
            .all(|c| c["metadata"]["annotations"][KEEP].is_null()),
        "crds.keep=false: helm uninstall deletes them"
    );
    assert!(
        by_name(unkept) == by_name(generated()),
        "exactly the generated CRDs"
    );

    let none = render("crds", "ops", &["crds.install=false"]);
    assert!(
        crds_of(&none).is_empty(),
        "crds.install=false renders no CRD"
    );
    assert!(
        none.contains("kind: Deployment"),
        "the operator is still rendered"
    );
}

/// The annotation `key` of a CRD in the cluster.
fn crd_annotation(name: &str, key: &str) -> String {
    let path = format!(
        "jsonpath={{.metadata.annotations.{}}}",
        key.replace('.', "\\.")
    );
    must(
        "kubectl get crd",
        kubectl(&["get", "crd", name, "-o", &path], None),
    )
}

#[tokio::test]
async fn helm_uninstall_leaves_the_crds_the_release_installed() {
    let env = Env::without_operator("chart-crds-keep").await;
    let ns = env.namespace.as_str();
    let release = unique("crds");
    let names: Vec<String> = ecs_bridge::crdgen::all()
        .iter()
        .filter_map(|crd| crd.metadata.name.clone())
        .collect();
    // The test cluster's CRDs were installed without Helm: marked as the release's, as the README tells users whose
    // CRDs came before the chart had them.
    for name in &names {
        let crd = format!("crd/{name}");
        let label = [
            "label",
            &crd,
            "app.kubernetes.io/managed-by=Helm",
            "--overwrite",
        ];
        must("kubectl label", kubectl(&label, None));
        let (release_name, release_ns) = (
            format!("meta.helm.sh/release-name={release}"),
            format!("meta.helm.sh/release-namespace={ns}"),
        );
        let annotate = ["annotate", &crd, &release_name, &release_ns, "--overwrite"];
        must("kubectl annotate", kubectl(&annotate, None));
    }
    let chart = chart();
    let install = [
        "install",
        &release,
        &chart,
        "--namespace",
        ns,
        "--set",
        "replicaCount=0",
    ];
    must("helm install", helm(&install));
    for name in &names {
        assert_eq!(crd_annotation(name, KEEP), "keep", "{name}");
    }
    must(
        "helm uninstall",
        helm(&["uninstall", &release, "--namespace", ns]),
    );
    for name in &names {
        let (argocd_key, argocd_value) = ecs_bridge::crdgen::ARGOCD_KEEP;
        assert_eq!(
            crd_annotation(name, argocd_key),
            argocd_value,
            "{name} is still there after helm uninstall"
        );
    }
}
