//! The Helm chart and the plain manifests against the real kube-apiserver: lint, render, server-side apply, least
//! privilege RBAC (checked with `kubectl auth can-i` as the chart's service account), and deploy/ kept in sync.

use serde::Deserialize;

use crate::harness::{Env, unique};
use std::path::Path;

use crate::tools::{chart, helm, kubectl, must, repo, run};

/// For renders applied to the shared test cluster: its CRDs come from the harness, and stay.
pub(crate) const NO_CRDS: &str = "crds.install=false";

/// `helm template RELEASE` of the chart into `namespace`, with `--set` values.
pub(crate) fn render(release: &str, namespace: &str, sets: &[&str]) -> String {
    let chart = chart();
    let mut args = vec![
        "template",
        release,
        chart.as_str(),
        "--namespace",
        namespace,
    ];
    for set in sets {
        args.extend(["--set", set]);
    }
    must("helm template", helm(&args))
}

#[derive(Deserialize, Debug)]
pub(crate) struct Meta {
    pub(crate) name: String,
    pub(crate) namespace: Option<String>,
}

#[derive(Deserialize, Debug)]
pub(crate) struct Object {
    pub(crate) kind: String,
    pub(crate) metadata: Meta,
}

/// Kind, name and namespace of every object of a multi-document YAML.
pub(crate) fn objects(yaml: &str) -> Vec<Object> {
    serde_yaml::Deserializer::from_str(yaml)
        .filter_map(|doc| Option::<Object>::deserialize(doc).expect("a Kubernetes object"))
        .collect()
}

pub(crate) fn names_of<'a>(objects: &'a [Object], kind: &str) -> Vec<&'a str> {
    objects
        .iter()
        .filter(|o| o.kind == kind)
        .map(|o| o.metadata.name.as_str())
        .collect()
}

/// Server-side applies a render and checks that every object of it exists; returns the objects.
pub(crate) fn apply_and_check(yaml: &str, namespace: &str) -> Vec<Object> {
    let args = ["apply", "--server-side", "--field-manager=e2e", "-f", "-"];
    must("kubectl apply", kubectl(&args, Some(yaml)));
    let objects = objects(yaml);
    for o in &objects {
        let target = format!("{}/{}", o.kind, o.metadata.name);
        let ns = o.metadata.namespace.as_deref().unwrap_or(namespace);
        let got = must(
            "kubectl get",
            kubectl(&["get", &target, "-n", ns, "-o", "name"], None),
        );
        assert!(!got.trim().is_empty(), "{target} in {ns} not found");
    }
    objects
}

/// Whether the service account may do `verb` on `resource` (`-n NS`, or `-A`), by its exact yes/no answer.
/// A `resource/subresource` goes to `--subresource` (after a slash, kubectl would read an object name).
pub(crate) fn can_i(sa: &str, verb: &str, resource: &str, namespace: Option<&str>) -> bool {
    let (resource, subresource) = match resource.split_once('/') {
        Some((resource, sub)) => (resource, Some(format!("--subresource={sub}"))),
        None => (resource, None),
    };
    let mut args = vec!["auth", "can-i", verb, resource, "--as", sa];
    args.extend(namespace.map_or(vec!["-A"], |ns| vec!["-n", ns]));
    args.extend(subresource.as_deref());
    let out = kubectl(&args, None);
    match (out.ok, out.stdout.trim()) {
        (true, "yes") => true,
        (false, "no") => false,
        _ => panic!(
            "kubectl auth can-i {verb} {resource}: {} {}",
            out.stdout, out.stderr
        ),
    }
}

/// Asserts each `(verb, resource, namespace, allowed)` for the service account.
pub(crate) fn assert_rights(sa: &str, checks: &[(&str, &str, Option<&str>, bool)]) {
    for (verb, resource, namespace, allowed) in checks {
        assert_eq!(
            can_i(sa, verb, resource, *namespace),
            *allowed,
            "{sa}: can {verb} {resource} in {namespace:?} should be {allowed}"
        );
    }
}

pub(crate) fn service_account(objects: &[Object], namespace: &str) -> String {
    let names = names_of(objects, "ServiceAccount");
    assert_eq!(names.len(), 1, "one ServiceAccount: {names:?}");
    format!("system:serviceaccount:{namespace}:{}", names[0])
}

#[test]
fn chart_lints_and_validates_its_values() {
    let chart = chart();
    must("helm lint", helm(&["lint", "--strict", chart.as_str()]));
    let scoped = [
        "--set",
        "rbac.scope=namespaces",
        "--set",
        "watchNamespaces={a,b}",
    ];
    let args = [&["lint", "--strict", chart.as_str()][..], &scoped[..]].concat();
    must("helm lint (namespaces)", helm(&args));
    for bad in [
        "rbac.scope=namespaces",
        "rbac.scope=everything",
        "driftInterval=soon",
        "driftInterval=0s",
        "leaderElection.leaseDuration=0",
        "leaderElection.enabled=false,replicaCount=2",
        "shard.name=a",
        "shard.name=a/b,shard.namespaceSelector=team=a",
        "shard.name=a,shard.namespaceSelector=team=a,watchNamespaces={x}",
        "shard.name=a,shard.namespaceSelector=team=a,rbac.scope=namespaces,watchNamespaces={x}",
    ] {
        let out = helm(&["lint", chart.as_str(), "--set", bad]);
        assert!(!out.ok, "helm lint accepted {bad}:\n{}", out.stdout);
    }
    let same_ports = helm(&["template", "x", chart.as_str(), "--set", "healthPort=8080"]);
    assert!(
        !same_ports.ok && same_ports.stderr.contains("must differ"),
        "the chart refuses equal ports:\n{}",
        same_ports.stderr
    );
    let rendered = render("lint", "ops", &[]);
    assert!(!rendered.contains("kind: ServiceMonitor"));
    assert_eq!(
        names_of(&objects(&rendered), "PodDisruptionBudget"),
        ["lint-ecs-bridge"]
    );
    let monitored = render("lint", "ops", &["serviceMonitor.enabled=true"]);
    assert_eq!(
        names_of(&objects(&monitored), "ServiceMonitor"),
        ["lint-ecs-bridge"]
    );
    let scoped = objects(&render(
        "lint",
        "ops",
        &["rbac.scope=namespaces", "watchNamespaces={a,b}"],
    ));
    // Only the read-only role of EcsAccounts and namespaces is cluster-wide.
    assert_eq!(
        names_of(&scoped, "ClusterRole"),
        ["lint-ecs-bridge-accounts"]
    );
    let role_namespaces: Vec<_> = scoped
        .iter()
        .filter(|o| o.kind == "Role" && o.metadata.name == "lint-ecs-bridge")
        .filter_map(|o| o.metadata.namespace.as_deref())
        .collect();
    assert_eq!(role_namespaces, ["a", "b"]);
}

#[tokio::test]
async fn chart_with_cluster_scope_applies_and_grants_only_what_the_operator_needs() {
    let env = Env::new("chart-cluster").await;
    let ns = env.namespace.as_str();
    let release = unique("ecs-bridge");
    let objects = apply_and_check(&render(&release, ns, &[NO_CRDS]), ns);
    for kind in [
        "Deployment",
        "ServiceAccount",
        "Service",
        "PodDisruptionBudget",
    ] {
        assert_eq!(names_of(&objects, kind).len(), 1, "one {kind}");
    }
    // The two aggregated into view/edit/admin for users (without EcsAccounts, which are the cluster
    // administrators'), the operator's own, and the read-only one of EcsAccounts and namespaces.
    let accounts_role = format!("{release}-accounts");
    assert_eq!(
        names_of(&objects, "ClusterRole"),
        [
            format!("{release}-view"),
            format!("{release}-edit"),
            release.clone(),
            accounts_role.clone()
        ]
    );
    assert_eq!(
        names_of(&objects, "ClusterRoleBinding"),
        [release.clone(), accounts_role]
    );
    assert_eq!(
        names_of(&objects, "Role"),
        [format!("{release}-leader-election")]
    );
    let sa = service_account(&objects, ns);
    let other = Some("default");
    assert_rights(
        &sa,
        &[
            ("list", "ecsservices.ecsbridge.dev", Some(ns), true),
            ("watch", "ecsservices.ecsbridge.dev", None, true),
            ("patch", "ecsservices.ecsbridge.dev", Some(ns), true),
            ("patch", "ecsservices.ecsbridge.dev/status", Some(ns), true),
            ("watch", "capacityproviders.ecsbridge.dev", None, true),
            ("watch", "ecsexpressservices.ecsbridge.dev", None, true),
            ("watch", "daemontaskdefinitions.ecsbridge.dev", None, true),
            ("watch", "ecsdaemons.ecsbridge.dev", None, true),
            ("patch", "ecsdaemons.ecsbridge.dev/status", Some(ns), true),
            (
                "patch",
                "daemontaskdefinitions.ecsbridge.dev/status",
                Some(ns),
                true,
            ),
            (
                "patch",
                "ecsexpressservices.ecsbridge.dev/status",
                Some(ns),
                true,
            ),
            ("watch", "ecsgateways.ecsbridge.dev", None, true),
            ("patch", "ecsgateways.ecsbridge.dev/status", Some(ns), true),
            (
                "patch",
                "capacityproviders.ecsbridge.dev/status",
                Some(ns),
                true,
            ),
            (
                "update",
                "taskdefinitions.ecsbridge.dev/status",
                Some(ns),
                true,
            ),
            ("create", "events", Some(ns), true),
            ("create", "events.events.k8s.io", Some(ns), true),
            ("update", "leases.coordination.k8s.io", Some(ns), true),
            ("patch", "configmaps", Some(ns), true),
            ("list", "configmaps", Some(ns), false),
            ("get", "secrets", Some(ns), false),
            ("get", "secrets", None, false),
            ("delete", "ecsservices.ecsbridge.dev", Some(ns), false),
            ("create", "ecsclusters.ecsbridge.dev", Some(ns), false),
            // An EcsCronTask creates and deletes its runs; an EcsTask deletes itself after its TTL.
            ("create", "ecstasks.ecsbridge.dev", Some(ns), true),
            ("delete", "ecstasks.ecsbridge.dev", Some(ns), true),
            ("patch", "ecscrontasks.ecsbridge.dev/status", Some(ns), true),
            ("delete", "ecscrontasks.ecsbridge.dev", Some(ns), false),
            ("create", "pods", Some(ns), false),
            ("update", "leases.coordination.k8s.io", other, false),
            ("watch", "ecsaccounts.ecsbridge.dev", None, true),
            ("watch", "namespaces", None, true),
            ("create", "ecsaccounts.ecsbridge.dev", None, false),
            ("patch", "namespaces", None, false),
        ],
    );
}

#[tokio::test]
async fn chart_with_namespaces_scope_grants_rights_in_the_watched_namespaces_only() {
    let env = Env::new("chart-ns").await;
    let ns = env.namespace.as_str();
    let second = unique("chart-watched");
    must(
        "create namespace",
        kubectl(&["create", "namespace", &second], None),
    );
    let release = unique("ecs-bridge");
    let watch = format!("watchNamespaces={{{ns},{second}}}");
    let yaml = render(&release, ns, &[NO_CRDS, "rbac.scope=namespaces", &watch]);
    let objects = apply_and_check(&yaml, ns);
    let accounts_role = format!("{release}-accounts");
    assert_eq!(names_of(&objects, "ClusterRole"), [accounts_role.as_str()]);
    assert_eq!(
        names_of(&objects, "ClusterRoleBinding"),
        [accounts_role.as_str()]
    );
    let deployment = format!("deployment/{release}");
    let env_path = "{.spec.template.spec.containers[0].env[?(@.name==\"ECSB_NAMESPACES\")].value}";
    let jsonpath = format!("jsonpath={env_path}");
    let args = ["get", &deployment, "-n", ns, "-o", &jsonpath];
    assert_eq!(
        must("kubectl get", kubectl(&args, None)),
        format!("{ns},{second}")
    );
    let sa = service_account(&objects, ns);
    let (here, there, elsewhere) = (Some(ns), Some(second.as_str()), Some("default"));
    assert_rights(
        &sa,
        &[
            ("list", "ecsservices.ecsbridge.dev", here, true),
            ("watch", "ecsservices.ecsbridge.dev", there, true),
            ("patch", "ecsservices.ecsbridge.dev/status", there, true),
            ("create", "events", there, true),
            ("update", "leases.coordination.k8s.io", here, true),
            ("list", "ecsservices.ecsbridge.dev", elsewhere, false),
            ("list", "ecsservices.ecsbridge.dev", None, false),
            ("create", "events", elsewhere, false),
            ("update", "leases.coordination.k8s.io", there, false),
            ("get", "secrets", here, false),
            ("delete", "ecsservices.ecsbridge.dev", here, false),
            ("create", "pods", here, false),
        ],
    );
}

#[test]
fn plain_manifests_are_what_render_sh_makes_of_the_chart_with_crds_apart() {
    let fresh = std::env::temp_dir().join(unique("ecs-bridge-render"));
    let script = repo().join("deploy/render.sh");
    let out = run(
        Path::new("bash"),
        &[&script.display().to_string(), &fresh.display().to_string()],
        None,
    );
    must("deploy/render.sh", out);
    let read = |dir: &Path, file: &str| {
        std::fs::read_to_string(dir.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"))
    };
    let committed_dir = repo().join("deploy/manifests");
    for file in ["crds.yaml", "ecs-bridge.yaml"] {
        assert!(
            read(&committed_dir, file) == read(&fresh, file),
            "deploy/manifests/{file} is stale: run `bash deploy/render.sh`"
        );
    }
    std::fs::remove_dir_all(&fresh).ok();
    let crds = objects(&read(&committed_dir, "crds.yaml"));
    let kinds = ecs_bridge::crdgen::all().len();
    assert_eq!(names_of(&crds, "CustomResourceDefinition").len(), kinds);
    assert_eq!(crds.len(), kinds, "crds.yaml holds the CRDs only");
    let operator = objects(&read(&committed_dir, "ecs-bridge.yaml"));
    assert_eq!(operator[0].kind, "Namespace");
    assert_eq!(operator[0].metadata.name, "ecs-bridge");
    assert!(
        names_of(&operator, "CustomResourceDefinition").is_empty(),
        "deleting the operator's manifests must not delete the CRDs"
    );
    assert_eq!(names_of(&operator, "Deployment"), ["ecs-bridge"]);
    assert_eq!(names_of(&operator, "PodDisruptionBudget"), ["ecs-bridge"]);
}
