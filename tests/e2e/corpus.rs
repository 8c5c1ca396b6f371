//! The real-world corpus of `tests/fixtures/real-world`: public task and service definitions in ECS's own JSON shape,
//! the list of those ECS refuses, and the one generic conversion of each into our objects (the spec is ECS's shape,
//! so the conversion only drops what ECS adds to a described revision and turns ECS's tag list into a map).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};

/// Members DescribeTaskDefinition adds to a revision; an exported revision carries them, a request does not.
const DESCRIBED_ONLY: [&str; 9] = [
    "taskDefinitionArn",
    "revision",
    "status",
    "requiresAttributes",
    "compatibilities",
    "registeredAt",
    "registeredBy",
    "deregisteredAt",
    "family",
];

/// Members of a CreateService request that our `EcsService` names by reference, or that only a call needs, and the
/// members DescribeServices adds to a service (an exported service carries them, a request does not).
const SERVICE_REFERENCES: [&str; 17] = [
    "cluster",
    "taskDefinition",
    "clientToken",
    "serviceArn",
    "clusterArn",
    "status",
    "runningCount",
    "pendingCount",
    "platformFamily",
    "deployments",
    "events",
    "createdAt",
    "createdBy",
    "roleArn",
    "taskSets",
    "serviceRegistriesArn",
    "currentServiceDeployment",
];

/// One document of the corpus.
pub struct Document {
    /// The file name without `.json`.
    pub stem: String,
    pub body: Value,
}

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/real-world")
}

/// The documents of `task-definitions` or `services`, by file name.
pub fn documents(kind: &str) -> Vec<Document> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir().join(kind))
        .unwrap_or_else(|e| panic!("{kind}: {e}"))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "json"))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).unwrap();
            Document {
                stem: path.file_stem().unwrap().to_string_lossy().into_owned(),
                body: serde_json::from_str(&text)
                    .unwrap_or_else(|e| panic!("{}: {e}", path.display())),
            }
        })
        .collect()
}

/// `refused.txt`: `<kind>/<stem>: <ECS's reason>` per line, `#` starts a comment.
pub fn refused() -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(dir().join("refused.txt")).unwrap();
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(|line| {
            let (file, reason) = line
                .split_once(": ")
                .unwrap_or_else(|| panic!("refused.txt: `{line}` is not `<file>: <reason>`"));
            (file.to_owned(), reason.to_owned())
        })
        .collect()
}

/// The ECS family a document registers: its own, else its file name (made a valid family name).
pub fn family_of(doc: &Document) -> String {
    doc.body["family"]
        .as_str()
        .filter(|f| !f.is_empty())
        .map_or_else(|| doc.stem.clone(), str::to_owned)
}

/// ECS's tag list (`[{key, value}]`) as our tag map.
fn tag_map(tags: &Value) -> Value {
    let map: Map<String, Value> = tags
        .as_array()
        .into_iter()
        .flatten()
        .map(|tag| {
            (
                tag["key"].as_str().unwrap_or_default().to_owned(),
                tag["value"].clone(),
            )
        })
        .collect();
    Value::Object(map)
}

/// The document without `null` and `""` members: JSON's and the Go SDK's ways of leaving a member out (exports of
/// deploy tools built on the Go SDK, such as ecspresso's, carry `"pidMode": ""`; the SDK leaves empty enum strings out
/// of the request, so ECS never sees them).
fn without_nulls(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(_, v)| !v.is_null() && v.as_str() != Some(""))
                .map(|(k, v)| (k.clone(), without_nulls(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(without_nulls).collect()),
        other => other.clone(),
    }
}

/// The content of a task definition document as a request (no described-only members, no nulls, no tags).
pub fn request_content(doc: &Document) -> Value {
    let mut content = without_nulls(&doc.body);
    let map = content
        .as_object_mut()
        .expect("a task definition is an object");
    for member in DESCRIBED_ONLY {
        map.remove(member);
    }
    map.remove("tags");
    content
}

/// The `TaskDefinition` object of a document, registering family `family`.
pub fn task_definition(name: &str, doc: &Document, family: &str) -> Value {
    let mut spec = request_content(doc);
    spec["family"] = json!(family);
    if let Some(tags) = doc.body.get("tags").filter(|t| t.is_array()) {
        spec["tags"] = tag_map(tags);
    }
    json!({
        "apiVersion": "ecsbridge.dev/v1alpha1",
        "kind": "TaskDefinition",
        "metadata": {"name": name},
        "spec": spec,
    })
}

/// Subnets and security groups of the account the test runs in: a service document names its author's, which exist
/// only in their account, as its cluster and task definition do.
pub struct Network {
    pub subnets: Vec<String>,
    pub security_groups: Vec<String>,
}

/// The default VPC's subnets and security group of the account behind the ECS endpoint (moto's EC2 answers the EC2
/// Query API there).
pub fn account_network() -> Network {
    let endpoint = std::env::var("AWS_ENDPOINT_URL_ECS").expect("AWS_ENDPOINT_URL_ECS");
    let ec2 = |action: &str, element: &str| -> Vec<String> {
        let out = std::process::Command::new("curl")
            .args(["-sf", "-X", "POST", &endpoint, "-d"])
            .arg(format!("Action={action}&Version=2016-11-15"))
            .args([
                "-H",
                "Authorization: AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/ec2/aws4_request, \
                 SignedHeaders=host, Signature=none",
            ])
            .output()
            .expect("curl");
        assert!(out.status.success(), "EC2 {action} at {endpoint}");
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let open = format!("<{element}>");
        text.split(&open)
            .skip(1)
            .filter_map(|rest| rest.split('<').next().map(str::to_owned))
            .collect()
    };
    let network = Network {
        subnets: ec2("DescribeSubnets", "subnetId")
            .into_iter()
            .take(2)
            .collect(),
        security_groups: ec2("DescribeSecurityGroups", "groupId")
            .into_iter()
            .take(1)
            .collect(),
    };
    assert!(
        !network.subnets.is_empty() && !network.security_groups.is_empty(),
        "the account has a default VPC"
    );
    network
}

/// The `EcsService` object of a document, on cluster object `cluster` with task definition object `task_definition`,
/// in the subnets and security groups of `network`.
pub fn service(
    name: &str,
    doc: &Document,
    cluster: &str,
    task_definition: &str,
    network: &Network,
) -> Value {
    let mut spec = without_nulls(&doc.body);
    let map = spec.as_object_mut().expect("a service is an object");
    for member in SERVICE_REFERENCES {
        map.remove(member);
    }
    if let Some(tags) = map.remove("tags") {
        map.insert("tags".into(), tag_map(&tags));
    }
    if let Some(awsvpc) = map
        .get_mut("networkConfiguration")
        .and_then(|n| n.get_mut("awsvpcConfiguration"))
    {
        awsvpc["subnets"] = json!(network.subnets);
        // Without securityGroups ECS uses the VPC's default group, which `network` names: moto cannot leave it out.
        awsvpc["securityGroups"] = json!(network.security_groups);
    }
    map.insert("clusterRef".into(), json!({"name": cluster}));
    map.insert("taskDefinitionRef".into(), json!({"name": task_definition}));
    json!({
        "apiVersion": "ecsbridge.dev/v1alpha1",
        "kind": "EcsService",
        "metadata": {"name": name},
        "spec": spec,
    })
}

/// A Kubernetes object name for a corpus file.
pub fn object_name(prefix: &str, stem: &str) -> String {
    let name: String = format!("{prefix}-{stem}")
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    name.chars()
        .take(63)
        .collect::<String>()
        .trim_end_matches('-')
        .to_owned()
}

/// Where `expected` (what the document says) is not in `actual` (what came back): one line per difference. Nulls,
/// empty lists and empty objects are "not set" on both sides (ECS treats them so, catalogue entry 36); role names
/// equal the ARN ECS makes of them.
pub fn missing(path: &str, expected: &Value, actual: &Value, out: &mut Vec<String>) {
    match (expected, actual) {
        (e, _) if is_unset(e) => {}
        (Value::Object(want), Value::Object(have)) => {
            for (key, value) in want {
                let at = format!("{path}.{key}");
                match have.get(key) {
                    Some(found) if is_role(key) => {
                        if role_name(value) != role_name(found) {
                            out.push(format!("{at}: sent {value}, ECS has {found}"));
                        }
                    }
                    Some(found) => missing(&at, value, found, out),
                    None if is_unset(value) => {}
                    None => out.push(format!("{at}: sent {value}, ECS has nothing")),
                }
            }
        }
        (Value::Array(want), Value::Array(have)) if want.len() == have.len() => {
            for (i, (w, h)) in want.iter().zip(have).enumerate() {
                missing(&format!("{path}[{i}]"), w, h, out);
            }
        }
        (e, a) if e == a || numeric_text(e) == numeric_text(a) => {}
        (e, a) => out.push(format!("{path}: sent {e}, ECS has {a}")),
    }
}

fn is_unset(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(text) => text.is_empty(),
        Value::Array(items) => items.is_empty(),
        Value::Object(map) => map.is_empty(),
        _ => false,
    }
}

fn is_role(key: &str) -> bool {
    key == "taskRoleArn" || key == "executionRoleArn"
}

/// The role name of a role ARN or of a name.
fn role_name(value: &Value) -> String {
    let text = value.as_str().unwrap_or_default();
    text.split_once(":role/")
        .map_or(text, |(_, name)| name)
        .to_owned()
}

/// A number or a string of digits as text, so `"256"` and `256` compare equal where ECS answers either.
fn numeric_text(value: &Value) -> Option<String> {
    match value {
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) if !s.is_empty() && s.chars().all(|c| c.is_ascii_digit()) => {
            Some(s.clone())
        }
        _ => None,
    }
}

/// The family a `taskDefinition` reference names: `family`, `family:revision` or an ARN.
pub fn family_of_reference(reference: &str) -> String {
    let name = reference.rsplit_once('/').map_or(reference, |(_, n)| n);
    name.split_once(':').map_or(name, |(f, _)| f).to_owned()
}
