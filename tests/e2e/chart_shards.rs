//! The chart as shards: two releases in one namespace, each a shard by values, share no name of a cluster-scoped
//! object (or of any object), each gets its own Lease settings and the rights a shard needs, and the CRDs stay
//! outside both (crds.install=false, as for every shard but the first; the test cluster has them already).

use std::collections::HashSet;

use crate::chart::{NO_CRDS, apply_and_check, assert_rights, names_of, render, service_account};
use crate::harness::{Env, unique};
use crate::tools::{chart, helm, kubectl, must};

/// `--set` values that make a release shard `name`.
fn shard_values(name: &str) -> [String; 2] {
    [
        format!("shard.name={name}"),
        format!("shard.namespaceSelector=ecsbridge.dev/shard={name}"),
    ]
}

#[tokio::test]
async fn two_shard_releases_share_no_object_name_and_get_a_shards_rights() {
    let env = Env::without_operator("chart-shards").await;
    let ns = env.namespace.as_str();
    let mut seen = HashSet::new();
    for name in ["a", "b"] {
        let values = shard_values(name);
        let mut sets: Vec<&str> = values.iter().map(String::as_str).collect();
        sets.push(NO_CRDS);
        let (chart, joined) = (chart(), sets.join(","));
        let args = ["lint", "--strict", chart.as_str(), "--set", joined.as_str()];
        must("helm lint (shard)", helm(&args));
        let release = unique(&format!("shard-{name}"));
        let yaml = render(&release, ns, &sets);
        assert!(
            !yaml.contains("kind: CustomResourceDefinition"),
            "crds.install=false renders no CRD"
        );
        assert!(
            yaml.contains(&format!("value: \"ecsbridge.dev/shard={name}\"")),
            "the selector reaches the operator"
        );
        assert!(
            yaml.contains(&format!("value: \"{release}-ecs-bridge\"")),
            "a Lease of its own"
        );
        let objects = apply_and_check(&yaml, ns);
        for o in &objects {
            let key = (
                o.kind.clone(),
                o.metadata.namespace.clone(),
                o.metadata.name.clone(),
            );
            assert!(seen.insert(key.clone()), "two releases collide on {key:?}");
        }
        // The two aggregated into view/edit/admin for users, the operator's own, and the read-only one of
        // EcsAccounts and namespaces (each shard places its objects in their namespaces' accounts).
        assert_eq!(
            names_of(&objects, "ClusterRole"),
            [
                format!("{release}-ecs-bridge-view"),
                format!("{release}-ecs-bridge-edit"),
                format!("{release}-ecs-bridge"),
                format!("{release}-ecs-bridge-accounts"),
            ]
        );
        let sa = service_account(&objects, ns);
        assert!(
            yaml.contains("name: ECSB_LEASE_OWNER_SERVICE_ACCOUNT"),
            "the shard's record is owned by its ServiceAccount (deleted with the release)"
        );
        let own_account = format!(
            "serviceaccounts/{}",
            names_of(&objects, "ServiceAccount")[0]
        );
        let reads = |account: &str| {
            let args = ["auth", "can-i", "get", account, "--as", &sa, "-n", ns];
            kubectl(&args, None).stdout.trim() == "yes"
        };
        assert!(reads(&own_account), "a shard reads its own ServiceAccount");
        assert!(!reads("serviceaccounts/default"), "and no other");
        assert_rights(
            &sa,
            &[
                ("watch", "namespaces", None, true),
                ("watch", "leases.coordination.k8s.io", None, true),
                ("patch", "leases.coordination.k8s.io", Some(ns), true),
                (
                    "patch",
                    "leases.coordination.k8s.io",
                    Some("default"),
                    false,
                ),
                ("get", "serviceaccounts", Some(ns), false),
                ("update", "namespaces", None, false),
                ("watch", "ecsservices.ecsbridge.dev", None, true),
                ("watch", "ecsaccounts.ecsbridge.dev", None, true),
                ("create", "ecsaccounts.ecsbridge.dev", None, false),
            ],
        );
    }
}
