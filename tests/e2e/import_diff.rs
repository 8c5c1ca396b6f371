//! `ecs-bridge import` and `ecs-bridge diff`, run as the built binary against an account that the operator did
//! not create (seeded through the SDK into the ECS test double, whose call counters show every write), with no
//! Kubernetes cluster and no CRDs in reach.

use std::path::Path;
use std::process::{Command, Output};

use aws_sdk_ecs::types::{ContainerDefinition, Tag};
use serde_json::Value;

use crate::harness::unique;

/// The double's write calls so far: every call but the Describe*/List* reads.
pub(crate) fn writes(double: &ecs_double::Running) -> u64 {
    let out = Command::new("curl")
        .args(["-sf", &format!("{}/_double/stats", double.url)])
        .output()
        .unwrap();
    let stats: Value = serde_json::from_slice(&out.stdout).unwrap();
    stats["calls"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(op, _)| !op.starts_with("Describe") && !op.starts_with("List"))
        .map(|(_, n)| n.as_u64().unwrap())
        .sum()
}

/// Runs the built binary against the double, with a kubeconfig that points nowhere (no cluster, no CRDs).
pub(crate) fn ecs_bridge(double: &ecs_double::Running, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ecs-bridge"))
        .args(args)
        .env("AWS_ENDPOINT_URL_ECS", &double.url)
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("KUBECONFIG", "/nonexistent/kubeconfig")
        .output()
        .unwrap()
}

pub(crate) fn text(out: &Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

pub(crate) async fn client(double: &ecs_double::Running) -> aws_sdk_ecs::Client {
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(&double.url)
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_ecs::config::Credentials::new(
            "test", "test", None, None, "test",
        ))
        .load()
        .await;
    aws_sdk_ecs::Client::new(&config)
}

fn tag(key: &str, value: &str) -> Tag {
    Tag::builder().key(key).value(value).build()
}

/// Registers a family and returns its ARN; `owner` tags it as an object of the operator.
async fn register(
    ecs: &aws_sdk_ecs::Client,
    family: &str,
    image: &str,
    owner: Option<&str>,
) -> String {
    let container = ContainerDefinition::builder()
        .name("app")
        .image(image)
        .memory(128)
        .essential(true)
        .build();
    let mut request = ecs
        .register_task_definition()
        .family(family)
        .container_definitions(container)
        .network_mode(aws_sdk_ecs::types::NetworkMode::Awsvpc)
        .requires_compatibilities(aws_sdk_ecs::types::Compatibility::Fargate)
        .cpu("256")
        .memory("512")
        .tags(tag("team", "web"));
    if let Some(owner) = owner {
        request = request
            .tags(tag("ecsbridge.dev/owner", owner))
            .tags(tag("ecsbridge.dev/uid", "u-1"));
    }
    let out = request.send().await.unwrap();
    out.task_definition()
        .unwrap()
        .task_definition_arn()
        .unwrap()
        .to_owned()
}

/// 3 clusters (one with a name Kubernetes does not take as it is), 20 services on 5 families, an Auto Scaling
/// group capacity provider associated with the first cluster and 9 that no cluster uses; returns the cluster
/// names.
pub(crate) async fn seed_estate(ecs: &aws_sdk_ecs::Client, prefix: &str) -> Vec<String> {
    let clusters = vec![
        format!("{prefix}-a"),
        format!("{prefix}-b"),
        format!("{prefix}_C"),
    ];
    for cluster in &clusters {
        ecs.create_cluster()
            .cluster_name(cluster)
            .tags(tag("team", "web"))
            .send()
            .await
            .unwrap();
    }
    let provider = format!("{prefix}-ec2");
    ecs.create_capacity_provider()
        .name(&provider)
        .auto_scaling_group_provider(
            aws_sdk_ecs::types::AutoScalingGroupProvider::builder()
                .auto_scaling_group_arn(format!("{prefix}-asg"))
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    // Providers no imported cluster uses: not imported.
    for i in 0..9 {
        ecs.create_capacity_provider()
            .name(format!("{prefix}-aa{i}"))
            .auto_scaling_group_provider(
                aws_sdk_ecs::types::AutoScalingGroupProvider::builder()
                    .auto_scaling_group_arn(format!("{prefix}-asg{i}"))
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .unwrap();
    }
    ecs.put_cluster_capacity_providers()
        .cluster(&clusters[0])
        .capacity_providers(&provider)
        .capacity_providers("FARGATE")
        .set_default_capacity_provider_strategy(Some(Vec::new()))
        .send()
        .await
        .unwrap();
    let mut families = Vec::new();
    for f in 0..5 {
        families.push(register(ecs, &format!("{prefix}-fam{f}"), "nginx:1", None).await);
    }
    for s in 0..20 {
        ecs.create_service()
            .cluster(&clusters[s % 3])
            .service_name(format!("svc{s}"))
            .task_definition(&families[s % 5])
            .desired_count(1 + (s % 3) as i32)
            .launch_type(aws_sdk_ecs::types::LaunchType::Fargate)
            .network_configuration(network())
            .tags(tag("team", "web"))
            .send()
            .await
            .unwrap();
    }
    clusters
}

/// Tasks in one subnet without a public IP (ECS's default, which import leaves out).
fn network() -> aws_sdk_ecs::types::NetworkConfiguration {
    let vpc = aws_sdk_ecs::types::AwsVpcConfiguration::builder()
        .subnets("subnet-1")
        .security_groups("sg-1")
        .assign_public_ip(aws_sdk_ecs::types::AssignPublicIp::Disabled)
        .build()
        .unwrap();
    aws_sdk_ecs::types::NetworkConfiguration::builder()
        .awsvpc_configuration(vpc)
        .build()
}

fn documents(dir: &Path) -> Vec<Value> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        for doc in serde_yaml::Deserializer::from_str(&text) {
            found.push(serde::Deserialize::deserialize(doc).unwrap());
        }
    }
    found
}

#[tokio::test]
async fn import_writes_clean_manifests_of_an_account_and_diff_finds_nothing_to_change() {
    let double = ecs_double::spawn(&["--throttle", "off"]);
    let ecs = client(&double).await;
    let prefix = unique("imp");
    let clusters = seed_estate(&ecs, &prefix).await;
    let before = writes(&double);
    let dir = std::env::temp_dir().join(unique("import"));
    let mut args = vec![
        "import",
        "--out-dir",
        dir.to_str().unwrap(),
        "--namespace",
        "team",
    ];
    for cluster in &clusters {
        args.extend(["--cluster", cluster.as_str()]);
    }
    let out = ecs_bridge(&double, &args);
    assert!(out.status.success(), "{}", text(&out));
    let docs = documents(&dir);
    let count = |kind: &str| docs.iter().filter(|d| d["kind"] == kind).count();
    assert_eq!(
        (
            count("EcsCluster"),
            count("EcsService"),
            count("TaskDefinition"),
            count("CapacityProvider")
        ),
        (3, 20, 5, 1),
        "{docs:#?}"
    );
    assert_eq!(
        std::fs::read_dir(&dir).unwrap().count(),
        3,
        "one file per cluster"
    );
    for doc in &docs {
        let annotations = &doc["metadata"]["annotations"];
        assert_eq!(annotations["ecsbridge.dev/adopt"], "true", "{doc}");
        assert_eq!(annotations["ecsbridge.dev/read-only"], "true", "{doc}");
        assert_eq!(doc["spec"]["deletionPolicy"], "Retain", "{doc}");
        assert_eq!(doc["metadata"]["namespace"], "team");
        let name = doc["metadata"]["name"].as_str().unwrap();
        assert!(
            name.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
            "{name}"
        );
    }
    let odd = docs
        .iter()
        .find(|d| d["kind"] == "EcsCluster" && d["spec"]["clusterName"] == format!("{prefix}_C"));
    assert_eq!(odd.unwrap()["metadata"]["name"], format!("{prefix}-c"));
    let service = docs
        .iter()
        .find(|d| d["kind"] == "EcsService" && d["metadata"]["name"] == "svc7")
        .unwrap();
    // svc7 runs fam2 on cluster b (7 % 3 = 1) with 2 tasks; ECS's defaults are left out.
    assert_eq!(service["spec"]["clusterRef"]["name"], format!("{prefix}-b"));
    assert_eq!(
        service["spec"]["taskDefinitionRef"]["name"],
        format!("{prefix}-fam2")
    );
    assert_eq!(service["spec"]["desiredCount"], 2);
    assert_eq!(service["spec"]["tags"]["team"], "web");
    for default in [
        "schedulingStrategy",
        "deploymentController",
        "enableExecuteCommand",
        "propagateTags",
    ] {
        assert!(
            service["spec"].get(default).is_none(),
            "{default} in {service}"
        );
    }
    let first = docs
        .iter()
        .find(|d| d["kind"] == "EcsCluster" && d["metadata"]["name"] == format!("{prefix}-a"));
    assert_eq!(
        first.unwrap()["spec"]["capacityProviderRefs"][0]["name"],
        format!("{prefix}-ec2")
    );
    let td = docs.iter().find(|d| d["kind"] == "TaskDefinition").unwrap();
    assert!(
        td["spec"]["containerDefinitions"][0]
            .get("essential")
            .is_none(),
        "a default: {td}"
    );

    let out = ecs_bridge(&double, &["diff", "-f", dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("nothing would change"),
        "{}",
        text(&out)
    );
    assert_eq!(writes(&double), before, "import and diff only read");

    // With --manage, applying would adopt: ownership tags and nothing else, which diff shows as calls, not drift.
    let managed = std::env::temp_dir().join(unique("import-managed"));
    let mut args = vec!["import", "--manage", "--out-dir", managed.to_str().unwrap()];
    for cluster in &clusters {
        args.extend(["--cluster", cluster.as_str()]);
    }
    let out = ecs_bridge(&double, &args);
    assert!(out.status.success(), "{}", text(&out));
    let out = ecs_bridge(&double, &["diff", "-f", managed.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let report = String::from_utf8_lossy(&out.stdout);
    let headed: Vec<&str> = report.lines().filter(|l| l.contains("): ")).collect();
    assert_eq!(headed.len(), 29, "{report}");
    assert!(headed.iter().all(|l| l.ends_with("): tags")), "{report}");
    assert!(!report.contains("  ~ "), "no drift: {report}");
    assert_eq!(writes(&double), before, "import and diff only read");
}

#[tokio::test]
async fn diff_reports_a_changed_image_as_a_new_revision_and_a_deployment() {
    let double = ecs_double::spawn(&["--throttle", "off"]);
    let ecs = client(&double).await;
    let cluster = unique("diff");
    ecs.create_cluster()
        .cluster_name(&cluster)
        .tags(tag("ecsbridge.dev/owner", &format!("apps/{cluster}")))
        .tags(tag("ecsbridge.dev/uid", "u-0"))
        .send()
        .await
        .unwrap();
    let arn = register(&ecs, "web", "nginx:1", Some("apps/web")).await;
    ecs.create_service()
        .cluster(&cluster)
        .service_name("web")
        .task_definition(&arn)
        .desired_count(2)
        .launch_type(aws_sdk_ecs::types::LaunchType::Fargate)
        .network_configuration(network())
        .tags(tag("ecsbridge.dev/owner", "apps/web"))
        .tags(tag("ecsbridge.dev/uid", "u-2"))
        .send()
        .await
        .unwrap();
    let dir = std::env::temp_dir().join(unique("diff"));
    let out = ecs_bridge(
        &double,
        &[
            "import",
            "--manage",
            "--namespace",
            "apps",
            "--cluster",
            &cluster,
            "--out-dir",
            dir.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let before = writes(&double);
    let unchanged = ecs_bridge(&double, &["diff", "-f", dir.to_str().unwrap()]);
    assert_eq!(unchanged.status.code(), Some(0), "{}", text(&unchanged));

    let file = dir.join(format!("{cluster}.yaml"));
    let yaml = std::fs::read_to_string(&file).unwrap();
    assert!(yaml.contains("nginx:1"), "{yaml}");
    std::fs::write(&file, yaml.replace("nginx:1", "nginx:2")).unwrap();
    let changed = ecs_bridge(&double, &["diff", "-f", file.to_str().unwrap()]);
    assert_eq!(changed.status.code(), Some(1), "{}", text(&changed));
    let report = String::from_utf8_lossy(&changed.stdout);
    assert!(
        report.contains("TaskDefinition web (task definition family web): new revision"),
        "{report}"
    );
    assert!(
        report.contains("EcsService web (service web in cluster")
            && report.contains("): new revision + deployment"),
        "{report}"
    );
    assert!(
        report.contains("nginx:2"),
        "the changed field is shown: {report}"
    );
    assert_eq!(writes(&double), before, "diff only reads");

    let broken = ecs_bridge(&double, &["diff", "-f", "/nonexistent/manifests"]);
    assert_eq!(broken.status.code(), Some(2), "{}", text(&broken));
}
