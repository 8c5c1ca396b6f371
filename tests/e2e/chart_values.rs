//! The chart's values for a finished install: image digest, extra arguments, environment and volumes, PodMonitor,
//! NetworkPolicy, default placement, and the roles aggregated into Kubernetes' view/edit/admin for users.

use std::time::Duration;

use serde_yaml::Value;

use crate::chart::{NO_CRDS, apply_and_check, can_i, names_of, objects, render};
use crate::harness::{Env, eventually, unique};
use crate::tools::{kubectl, must};

/// The documents of `kind` in a render, as YAML values.
fn documents(yaml: &str, kind: &str) -> Vec<Value> {
    yaml.split("\n---")
        .filter_map(|doc| serde_yaml::from_str::<Value>(doc).ok())
        .filter(|doc| doc["kind"].as_str() == Some(kind))
        .collect()
}

fn pod_spec(yaml: &str) -> Value {
    let deployments = documents(yaml, "Deployment");
    assert_eq!(deployments.len(), 1);
    deployments[0]["spec"]["template"]["spec"].clone()
}

#[test]
fn the_deployment_takes_digest_arguments_environment_and_volumes() {
    let digest = format!("sha256:{}", "a".repeat(64));
    let rendered = render(
        "vals",
        "ops",
        &[
            &format!("image.digest={digest}"),
            "extraArgs={--drift-interval,5m}",
            "envFrom[0].secretRef.name=aws-endpoints",
            "extraVolumes[0].name=ca",
            "extraVolumes[0].configMap.name=corporate-ca",
            "extraVolumeMounts[0].name=ca",
            "extraVolumeMounts[0].mountPath=/etc/ssl/corporate",
        ],
    );
    let pod = pod_spec(&rendered);
    let container = &pod["containers"][0];
    assert_eq!(
        container["image"].as_str(),
        Some(format!("ghcr.io/ecs-bridge/ecs-bridge@{digest}").as_str()),
        "a digest replaces the tag"
    );
    let args: Vec<_> = container["args"]
        .as_sequence()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(args, ["run", "--drift-interval", "5m"]);
    assert_eq!(
        container["envFrom"][0]["secretRef"]["name"].as_str(),
        Some("aws-endpoints")
    );
    assert_eq!(
        container["volumeMounts"][0]["mountPath"].as_str(),
        Some("/etc/ssl/corporate")
    );
    assert_eq!(
        pod["volumes"][0]["configMap"]["name"].as_str(),
        Some("corporate-ca")
    );

    let plain = pod_spec(&render("vals", "ops", &[]));
    assert!(
        plain["containers"][0]["image"]
            .as_str()
            .unwrap()
            .ends_with(":0.1.0")
    );
    assert!(plain["volumes"].is_null() && plain["containers"][0]["envFrom"].is_null());
}

#[test]
fn replicas_spread_over_nodes_and_zones_on_linux_unless_told_otherwise() {
    let pod = pod_spec(&render("spread", "ops", &[]));
    assert_eq!(
        pod["nodeSelector"]["kubernetes.io/os"].as_str(),
        Some("linux")
    );
    let keys: Vec<_> = pod["topologySpreadConstraints"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|c| {
            assert_eq!(c["whenUnsatisfiable"].as_str(), Some("ScheduleAnyway"));
            assert_eq!(
                c["labelSelector"]["matchLabels"]["app.kubernetes.io/instance"].as_str(),
                Some("spread")
            );
            c["topologyKey"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(
        keys,
        ["kubernetes.io/hostname", "topology.kubernetes.io/zone"]
    );

    let own = pod_spec(&render(
        "spread",
        "ops",
        &[
            "topologySpreadConstraints[0].maxSkew=2",
            "topologySpreadConstraints[0].topologyKey=rack",
            "topologySpreadConstraints[0].whenUnsatisfiable=DoNotSchedule",
        ],
    ));
    let constraints = own["topologySpreadConstraints"].as_sequence().unwrap();
    assert_eq!(
        constraints.len(),
        1,
        "the user's constraints replace the default"
    );
    assert_eq!(constraints[0]["topologyKey"].as_str(), Some("rack"));
}

#[test]
fn pod_monitor_and_network_policy_are_there_when_enabled() {
    let plain = objects(&render("mon", "ops", &[]));
    assert!(
        names_of(&plain, "PodMonitor").is_empty() && names_of(&plain, "NetworkPolicy").is_empty()
    );

    let rendered = render(
        "mon",
        "ops",
        &[
            "podMonitor.enabled=true",
            "networkPolicy.enabled=true",
            "networkPolicy.metricsNamespaceSelector.kubernetes\\.io/metadata\\.name=monitoring",
        ],
    );
    let monitors = documents(&rendered, "PodMonitor");
    assert_eq!(monitors.len(), 1);
    assert_eq!(
        monitors[0]["spec"]["podMetricsEndpoints"][0]["port"].as_str(),
        Some("metrics")
    );
    let policies = documents(&rendered, "NetworkPolicy");
    assert_eq!(policies.len(), 1);
    let ingress = policies[0]["spec"]["ingress"].as_sequence().unwrap();
    let metrics = ingress
        .iter()
        .find(|rule| rule["ports"][0]["port"].as_str() == Some("metrics"))
        .expect("a rule for the metrics port");
    assert_eq!(
        metrics["from"][0]["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"]
            .as_str(),
        Some("monitoring")
    );
    assert!(
        ingress
            .iter()
            .any(|rule| rule["ports"][0]["port"].as_str() == Some("health")
                && rule["from"].is_null()),
        "the kubelet's probes reach the health port"
    );
    let open = documents(
        &render("mon", "ops", &["networkPolicy.enabled=true"]),
        "NetworkPolicy",
    );
    assert!(
        open[0]["spec"]["ingress"][1]["from"].is_null(),
        "no selector: the metrics port is open to all"
    );

    let none = objects(&render("mon", "ops", &["aggregateRoles=false"]));
    assert_eq!(
        names_of(&none, "ClusterRole"),
        ["mon-ecs-bridge", "mon-ecs-bridge-accounts"]
    );
}

/// Kubernetes' clusterrole-aggregation controller folds the chart's roles into edit and view: a tenant bound to
/// `edit` in a namespace manages the kinds there, one bound to `view` only reads them.
#[tokio::test]
async fn a_user_bound_to_edit_manages_the_kinds_and_one_bound_to_view_reads_them() {
    let env = Env::new("chart-aggregate").await;
    let ns = env.namespace.as_str();
    let release = unique("ecs-bridge");
    apply_and_check(&render(&release, ns, &[NO_CRDS]), ns);
    let (editor, viewer) = (unique("editor"), unique("viewer"));
    for (user, role) in [(&editor, "edit"), (&viewer, "view")] {
        let binding = format!("{user}-{role}");
        must(
            "kubectl create rolebinding",
            kubectl(
                &[
                    "create",
                    "rolebinding",
                    &binding,
                    "-n",
                    ns,
                    "--clusterrole",
                    role,
                    "--user",
                    user,
                ],
                None,
            ),
        );
    }
    eventually(
        Duration::from_secs(30),
        "edit to include the ecs-bridge kinds",
        || async {
            can_i(&editor, "create", "ecsservices.ecsbridge.dev", Some(ns))
                && can_i(&viewer, "list", "ecstasks.ecsbridge.dev", Some(ns))
        },
    )
    .await;
    for (verb, resource) in [
        ("create", "ecsclusters.ecsbridge.dev"),
        ("delete", "taskdefinitions.ecsbridge.dev"),
        ("patch", "ecscrontasks.ecsbridge.dev"),
        ("update", "ecsservices.ecsbridge.dev/scale"),
        ("create", "capacityproviders.ecsbridge.dev"),
    ] {
        assert!(
            can_i(&editor, verb, resource, Some(ns)),
            "edit: {verb} {resource}"
        );
    }
    assert!(
        !can_i(
            &editor,
            "patch",
            "ecsservices.ecsbridge.dev/status",
            Some(ns)
        ),
        "status is the operator's"
    );
    assert!(
        !can_i(
            &editor,
            "create",
            "ecsservices.ecsbridge.dev",
            Some("default")
        ),
        "only where bound"
    );
    assert!(can_i(&viewer, "get", "ecsservices.ecsbridge.dev", Some(ns)));
    assert!(
        !can_i(&viewer, "create", "ecsservices.ecsbridge.dev", Some(ns)),
        "view only reads"
    );
    // EcsAccounts (which role each namespace may assume) are the cluster administrators': even `edit` and `admin`
    // bound cluster-wide do not reach them.
    let (cluster_editor, cluster_admin) = (unique("cluster-editor"), unique("cluster-admin"));
    for (user, role) in [(&cluster_editor, "edit"), (&cluster_admin, "admin")] {
        let binding = format!("{user}-{role}");
        let args = [
            "create",
            "clusterrolebinding",
            &binding,
            "--clusterrole",
            role,
            "--user",
            user,
        ];
        must("kubectl create clusterrolebinding", kubectl(&args, None));
    }
    eventually(
        Duration::from_secs(30),
        "edit and admin bound cluster-wide to include the ecs-bridge kinds",
        || async {
            can_i(&cluster_editor, "create", "ecsservices.ecsbridge.dev", None)
                && can_i(&cluster_admin, "create", "ecsservices.ecsbridge.dev", None)
        },
    )
    .await;
    for user in [&cluster_editor, &cluster_admin, &editor, &viewer] {
        for verb in ["create", "patch", "delete"] {
            assert!(
                !can_i(user, verb, "ecsaccounts.ecsbridge.dev", None),
                "{user}: {verb} ecsaccounts is the cluster administrators'"
            );
        }
    }
    for (user, role) in [(&cluster_editor, "edit"), (&cluster_admin, "admin")] {
        let binding = format!("clusterrolebinding/{user}-{role}");
        must("kubectl delete", kubectl(&["delete", &binding], None));
    }
    for role in ["view", "edit"] {
        let name = format!("clusterrole/{release}-{role}");
        must("kubectl delete", kubectl(&["delete", &name], None));
    }
}
