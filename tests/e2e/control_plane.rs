//! What a current control plane adds, as users of EKS meet it: the garbage collector and `--cascade` choices for
//! an `EcsCronTask`'s runs, namespace deletion through the namespace controller with our finalizers, and
//! server-side apply of one manifest by two field managers.

use std::time::Duration;

use ecs_bridge::api::{EcsCluster, EcsCronTask, EcsService, EcsTask, TaskDefinition};
use k8s_openapi::api::core::v1::Namespace;
use kube::api::DeleteParams;
use kube::{Api, ResourceExt};

use crate::harness::{Env, eventually, eventually_some, unique};
use crate::task::cluster_and_job;
use crate::tools::{kubectl, must};

const WAIT: Duration = Duration::from_secs(150);

/// A cron task `name` running every minute, whose tasks run for minutes.
pub async fn long_cron(env: &Env, name: &str) -> EcsTask {
    env.apply::<EcsCronTask>(&format!(
        "apiVersion: ecsbridge.dev/v1alpha1\nkind: EcsCronTask\nmetadata: {{name: {name}}}\nspec:\n  \
         schedule: \"*/1 * * * *\"\n  concurrencyPolicy: Forbid\n  taskTemplate:\n    spec:\n      \
         clusterRef: {{name: main}}\n      taskDefinitionRef: {{name: job}}\n      launchType: EC2\n"
    ))
    .await;
    let first = eventually_some(WAIT, "the first run", || async {
        env.api::<EcsTask>()
            .list(&Default::default())
            .await
            .unwrap()
            .items
            .into_iter()
            .find(|t| t.owner_references().iter().any(|o| o.name == name))
    })
    .await;
    env.wait_for::<EcsTask>(&first.name_any(), WAIT, |t| {
        t.status.as_ref().is_some_and(|s| {
            s.tasks
                .iter()
                .any(|r| r.last_status.as_deref() == Some("RUNNING"))
        })
    })
    .await
}

/// ECS's last status of the tasks an EcsTask started.
pub async fn ecs_task_states(env: &Env, run: &EcsTask) -> Vec<String> {
    let status = run.status.as_ref().unwrap();
    let out = env
        .ecs
        .describe_tasks()
        .cluster(status.cluster_arn.as_deref().unwrap())
        .set_tasks(Some(status.tasks.iter().map(|t| t.arn.clone()).collect()))
        .send()
        .await
        .unwrap();
    out.tasks()
        .iter()
        .map(|t| t.last_status().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test]
async fn cron_runs_are_garbage_collected_with_their_tasks_stopped_or_orphaned_as_the_user_asks() {
    let double = ecs_double::spawn(&["--speedup", "1", "--task-seconds", "600"]);
    let env = Env::against(&unique("cron-gc"), &double.url).await;
    cluster_and_job(&env).await;

    // `kubectl delete --cascade=orphan`: the runs outlive the cron task, unowned, their tasks still running.
    let kept = long_cron(&env, "kept").await;
    let ns = env.namespace.as_str();
    must(
        "kubectl delete --cascade=orphan",
        kubectl(
            &[
                "delete",
                "ecscrontask/kept",
                "-n",
                ns,
                "--cascade=orphan",
                "--wait=false",
            ],
            None,
        ),
    );
    env.wait_gone::<EcsCronTask>("kept", WAIT).await;
    let after = env.api::<EcsTask>().get(&kept.name_any()).await.unwrap();
    assert!(
        after.metadata.deletion_timestamp.is_none(),
        "an orphaned run is not deleted"
    );
    assert!(
        after.owner_references().is_empty(),
        "an orphaned run has no owner"
    );
    assert_eq!(ecs_task_states(&env, &after).await, ["RUNNING"]);

    // The default: the runs go with the cron task, and their tasks are stopped.
    let run = long_cron(&env, "gone").await;
    env.delete::<EcsCronTask>("gone").await;
    env.wait_gone::<EcsCronTask>("gone", WAIT).await;
    env.wait_gone::<EcsTask>(&run.name_any(), WAIT).await;
    eventually(WAIT, "the deleted run's task stopped", || async {
        ecs_task_states(&env, &run).await == ["STOPPED"]
    })
    .await;
}

/// A cluster, a task definition and a service on moto with `policy` as their deletion policy; their ECS ARNs.
async fn stack(env: &Env, policy: &str) -> (String, String, String) {
    let (cluster, family, service) = (unique("ns-c"), unique("ns-td"), unique("ns-svc"));
    env.apply::<EcsCluster>(&format!(
        "apiVersion: ecsbridge.dev/v1alpha1\nkind: EcsCluster\nmetadata: {{name: main}}\nspec:\n  clusterName: {cluster}\n  \
         deletionPolicy: {policy}\n"
    ))
    .await;
    env.apply::<TaskDefinition>(&format!(
        "apiVersion: ecsbridge.dev/v1alpha1\nkind: TaskDefinition\nmetadata: {{name: web}}\nspec:\n  family: {family}\n  \
         deletionPolicy: {policy}\n  containerDefinitions:\n  - {{name: web, image: \"nginx:1\", memory: 128}}\n"
    ))
    .await;
    env.apply::<EcsService>(&format!(
        "apiVersion: ecsbridge.dev/v1alpha1\nkind: EcsService\nmetadata: {{name: web}}\nspec:\n  serviceName: {service}\n  \
         clusterRef: {{name: main}}\n  taskDefinitionRef: {{name: web}}\n  desiredCount: 2\n  launchType: EC2\n  \
         deletionPolicy: {policy}\n"
    ))
    .await;
    let ready = |conditions: &[ecs_bridge::api::Condition]| {
        conditions
            .iter()
            .any(|c| c.type_ == "Ready" && c.status == "True")
    };
    let svc = env
        .wait_for::<EcsService>("web", WAIT, |s| {
            s.status.as_ref().is_some_and(|st| ready(&st.conditions))
        })
        .await;
    let td = env
        .wait_for::<TaskDefinition>("web", WAIT, |t| {
            t.status.as_ref().is_some_and(|st| ready(&st.conditions))
        })
        .await;
    let status = svc.status.unwrap();
    (
        status.cluster_arn.unwrap(),
        status.arn.unwrap(),
        td.status.unwrap().arn.unwrap(),
    )
}

/// ECS's status of the cluster, the service and the revision.
async fn ecs_states(
    env: &Env,
    (cluster, service, revision): &(String, String, String),
) -> [String; 3] {
    let clusters = env
        .ecs
        .describe_clusters()
        .clusters(cluster)
        .send()
        .await
        .unwrap();
    let cluster_state = clusters
        .clusters()
        .first()
        .and_then(|c| c.status())
        .unwrap_or("MISSING");
    let services = env
        .ecs
        .describe_services()
        .cluster(cluster)
        .services(service)
        .send()
        .await
        .map(|out| {
            out.services()
                .first()
                .and_then(|s| s.status())
                .unwrap_or("MISSING")
                .to_owned()
        })
        .unwrap_or_else(|_| "MISSING".to_owned());
    let revision = env
        .ecs
        .describe_task_definition()
        .task_definition(revision)
        .send()
        .await
        .unwrap();
    let revision_state = revision
        .task_definition()
        .and_then(|t| t.status())
        .map(|s| s.as_str().to_owned())
        .unwrap();
    [cluster_state.to_owned(), services, revision_state]
}

async fn delete_namespace_and_wait(env: &Env) {
    let namespaces: Api<Namespace> = Api::all(env.client.clone());
    namespaces
        .delete(&env.namespace, &DeleteParams::default())
        .await
        .unwrap();
    eventually(WAIT, "the namespace finished deleting", || async {
        namespaces.get_opt(&env.namespace).await.unwrap().is_none()
    })
    .await;
}

#[tokio::test]
async fn deleting_a_namespace_finishes_and_leaves_nothing_in_ecs() {
    let env = Env::new("ns-delete").await;
    let arns = stack(&env, "Delete").await;
    assert_eq!(
        ecs_states(&env, &arns).await,
        ["ACTIVE", "ACTIVE", "ACTIVE"]
    );
    delete_namespace_and_wait(&env).await;
    let [cluster, service, revision] = ecs_states(&env, &arns).await;
    assert_eq!(cluster, "INACTIVE");
    assert!(
        service == "INACTIVE" || service == "MISSING",
        "service {service}"
    );
    assert_eq!(revision, "INACTIVE");
}

#[tokio::test]
async fn deleting_a_namespace_with_retain_leaves_ecs_untouched() {
    let env = Env::new("ns-retain").await;
    let arns = stack(&env, "Retain").await;
    delete_namespace_and_wait(&env).await;
    assert_eq!(
        ecs_states(&env, &arns).await,
        ["ACTIVE", "ACTIVE", "ACTIVE"]
    );
}

#[tokio::test]
async fn two_field_managers_apply_one_manifest_and_the_operator_owns_no_spec_field() {
    let env = Env::new("ssa-two").await;
    let ns = env.namespace.as_str();
    let cluster = unique("ssa");
    let manifest = |count: u32| {
        format!(
            "apiVersion: ecsbridge.dev/v1alpha1\nkind: EcsService\nmetadata: {{name: web}}\nspec:\n  cluster: {cluster}\n  \
             taskDefinition: \"web:1\"\n  desiredCount: {count}\n  launchType: EC2\n"
        )
    };
    let apply = |manager: &str, yaml: &str, force: bool| {
        let manager = format!("--field-manager={manager}");
        let mut args = vec![
            "apply",
            "--server-side",
            manager.as_str(),
            "-n",
            ns,
            "-f",
            "-",
        ];
        if force {
            args.push("--force-conflicts");
        }
        kubectl(&args, Some(yaml))
    };
    must("argocd applies", apply("argocd", &manifest(2), false));
    must(
        "a second manager applies the same manifest",
        apply("team", &manifest(2), false),
    );
    // The operator writes status only, under its own manager: let it run a reconcile.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let svc = env.api::<EcsService>().get("web").await.unwrap();
    let managers: Vec<String> = svc
        .managed_fields()
        .iter()
        .map(|m| m.manager.clone().unwrap_or_default())
        .collect();
    for manager in ["argocd", "team"] {
        assert!(managers.iter().any(|m| m == manager), "{managers:?}");
    }
    for entry in svc.managed_fields() {
        let manager = entry.manager.as_deref().unwrap_or_default();
        let fields = serde_json::to_string(&entry.fields_v1).unwrap();
        assert!(
            ["argocd", "team"].contains(&manager) || !fields.contains("\"f:spec\""),
            "{manager} owns spec fields: {fields}"
        );
    }
    // A different value from the second manager conflicts with the first, and names it.
    let conflict = apply("team", &manifest(3), false);
    assert!(!conflict.ok, "a conflicting apply is refused");
    assert!(conflict.stderr.contains("argocd"), "{}", conflict.stderr);
    must("forced", apply("team", &manifest(3), true));
    let svc = env.api::<EcsService>().get("web").await.unwrap();
    assert_eq!(svc.spec.desired_count, Some(3));
}
