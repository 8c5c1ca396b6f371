//! The Argo CD health checks (deploy/argocd/health.lua, shipped as deploy/argocd/health-checks.yaml and the chart's
//! copy) run by a real Lua 5.1 interpreter, `lua5.1`, as Argo CD runs them (gopher-lua is Lua 5.1, with the base,
//! table and os libraries only), over objects of every state of every kind: tests/fixtures/argocd-health/<Kind>/,
//! each listed with the health it must get in its health_test.yaml (the layout of Argo CD's own
//! resource_customizations). The interpreter is required: tests/run-all.sh installs it (`apt-get install lua5.1`);
//! without it these tests fail rather than skip.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use ecs_bridge::api::{
    CapacityProvider, EcsCluster, EcsCronTask, EcsExpressService, EcsGateway, EcsService, EcsTask,
    TaskDefinition, task::TaskPhase,
};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

const LUA: &str = "lua5.1";
const KEY_PREFIX: &str = "resource.customizations.health.ecsbridge.dev_";

/// Runs the health script on `obj` (the global `obj`) in an environment like Argo CD's: the base and table
/// libraries and a safe os, but no string or math library and no string methods.
const RUNNER: &str = r#"
local object = assert(loadstring(io.read("*a"), "=object"))()
local chunk = assert(loadstring(os.getenv("HEALTH_SCRIPT"), "=health.lua"))
local env = { table = table, obj = object, _VERSION = _VERSION,
  os = { time = os.time, date = os.date, clock = os.clock, difftime = os.difftime } }
for _, name in ipairs({ "assert", "error", "getmetatable", "ipairs", "next", "pairs", "pcall", "print",
    "rawequal", "rawget", "rawset", "select", "setmetatable", "tonumber", "tostring", "type", "unpack",
    "xpcall" }) do
  env[name] = _G[name]
end
env._G = env
setfenv(chunk, env)
getmetatable("").__index = nil
local hs = chunk()
assert(type(hs) == "table", "the script returned " .. type(hs) .. ", not a table")
assert(type(hs.status) == "string", "hs.status is not a string")
assert(type(hs.message) == "string", "hs.message is not a string")
io.write(hs.status, "\n", hs.message)
"#;

#[derive(Deserialize)]
struct HealthTests {
    tests: Vec<HealthTest>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct HealthTest {
    health_status: HealthStatus,
    input_path: String,
}

#[derive(Deserialize, Debug, PartialEq, Eq)]
struct HealthStatus {
    status: String,
    message: String,
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn fixtures() -> PathBuf {
    repo().join("tests/fixtures/argocd-health")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The kinds of the CRDs that have a status (the ones Argo CD reads health from).
fn kinds() -> BTreeSet<String> {
    ecs_bridge::crdgen::all()
        .into_iter()
        // A kind without status (EcsAccount, configuration only) has no health for Argo CD to read.
        .filter(|crd| {
            crd.spec
                .versions
                .iter()
                .any(|v| v.subresources.as_ref().is_some_and(|s| s.status.is_some()))
        })
        .map(|crd| crd.spec.names.kind)
        .collect()
}

/// The data keys of a committed argocd-cm ConfigMap.
fn health_keys(path: &Path) -> BTreeMap<String, String> {
    #[derive(Deserialize)]
    struct ConfigMap {
        kind: String,
        metadata: BTreeMap<String, Value>,
        data: BTreeMap<String, String>,
    }
    let cm: ConfigMap = serde_yaml::from_str(&read(path))
        .unwrap_or_else(|e| panic!("{}: not a ConfigMap: {e}", path.display()));
    assert_eq!(cm.kind, "ConfigMap");
    assert_eq!(cm.metadata["name"], "argocd-cm");
    cm.data
}

/// A JSON value as a Lua 5.1 constructor, as Argo CD hands objects to the script: objects and arrays are tables
/// (arrays from index 1), `null` is nil.
fn lua_literal(value: &Value) -> String {
    match value {
        Value::Null => "nil".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => lua_string(s),
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(lua_literal).collect();
            format!("{{{}}}", items.join(", "))
        }
        Value::Object(map) => {
            let fields: Vec<String> = map
                .iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| format!("[{}] = {}", lua_string(k), lua_literal(v)))
                .collect();
            format!("{{{}}}", fields.join(", "))
        }
    }
}

fn lua_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => out.push_str(&format!("\\{:03}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Argo CD's health of `obj` by `script`, from `lua5.1`.
fn health(script: &str, obj: &Value) -> HealthStatus {
    let mut child = Command::new(LUA)
        .args(["-e", RUNNER])
        .env("HEALTH_SCRIPT", script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "{LUA} cannot be run ({e}): the health checks are tested with a real Lua 5.1 interpreter; \
                 install it (`apt-get install lua5.1`; tests/run-all.sh does)"
            )
        });
    let literal = format!("return {}", lua_literal(obj));
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(literal.as_bytes())
        .expect("writing the object to lua5.1");
    let out = child.wait_with_output().expect("lua5.1 runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "the health script failed: {}{stdout}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (status, message) = stdout.split_once('\n').expect("status and message");
    HealthStatus {
        status: status.into(),
        message: message.into(),
    }
}

/// Every field of `fixture` is in `typed` with the same value: the fixture names no field the kind lacks.
fn assert_subset(fixture: &Value, typed: &Value, path: &str, file: &str) {
    match (fixture, typed) {
        (Value::Object(f), Value::Object(t)) => {
            for (key, value) in f {
                let Some(other) = t.get(key) else {
                    panic!("{file}: {path}.{key} is not a field of the kind");
                };
                assert_subset(value, other, &format!("{path}.{key}"), file);
            }
        }
        (Value::Array(f), Value::Array(t)) => {
            assert_eq!(f.len(), t.len(), "{file}: {path}");
            for (i, (a, b)) in f.iter().zip(t).enumerate() {
                assert_subset(a, b, &format!("{path}[{i}]"), file);
            }
        }
        (a, b) => assert_eq!(a, b, "{file}: {path}"),
    }
}

fn round_trip<K: DeserializeOwned + serde::Serialize>(obj: &Value, file: &str) -> Value {
    let typed: K = serde_json::from_value(obj.clone())
        .unwrap_or_else(|e| panic!("{file}: not a valid object of its kind: {e}"));
    serde_json::to_value(typed).expect("serializes")
}

/// The fixture is an object of its kind as the operator writes it: it deserializes into the kind's type without
/// losing a field, and every condition reason is one the operator sets.
fn assert_real(obj: &Value, kind: &str, file: &str, sources: &str) {
    assert_eq!(obj["apiVersion"], "ecsbridge.dev/v1alpha1", "{file}");
    assert_eq!(obj["kind"], kind, "{file} is under {kind}/");
    let typed = match kind {
        "EcsCluster" => round_trip::<EcsCluster>(obj, file),
        "TaskDefinition" => round_trip::<TaskDefinition>(obj, file),
        "EcsService" => round_trip::<EcsService>(obj, file),
        "CapacityProvider" => round_trip::<CapacityProvider>(obj, file),
        "EcsExpressService" => round_trip::<EcsExpressService>(obj, file),
        "EcsGateway" => round_trip::<EcsGateway>(obj, file),
        "DaemonTaskDefinition" => round_trip::<ecs_bridge::api::DaemonTaskDefinition>(obj, file),
        "EcsDaemon" => round_trip::<ecs_bridge::api::EcsDaemon>(obj, file),
        "EcsTask" => round_trip::<EcsTask>(obj, file),
        "EcsCronTask" => round_trip::<EcsCronTask>(obj, file),
        other => panic!("{file}: no type for kind {other}"),
    };
    assert_subset(obj, &typed, "", file);
    let conditions = obj["status"]["conditions"].as_array().cloned();
    for c in conditions.unwrap_or_default() {
        let reason = c["reason"].as_str().expect("a reason");
        let phase = serde_json::from_value::<TaskPhase>(Value::String(reason.into())).is_ok();
        assert!(
            phase || sources.contains(&format!("\"{reason}\"")),
            "{file}: the operator never sets the reason {reason}"
        );
    }
}

/// The Rust sources of the operator, to check that fixture reasons are real.
fn sources() -> String {
    fn walk(dir: &Path, out: &mut String) {
        for entry in std::fs::read_dir(dir).expect("src/ is readable") {
            let path = entry.expect("an entry").path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push_str(&read(&path));
            }
        }
    }
    let mut out = String::new();
    walk(&repo().join("src"), &mut out);
    out
}

#[test]
fn lua_is_installed() {
    let out = Command::new(LUA).arg("-v").output();
    let version = out
        .map(|o| format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr)))
        .unwrap_or_else(|e| {
            panic!("{LUA} cannot be run ({e}): install it (`apt-get install lua5.1`; tests/run-all.sh does)")
        });
    assert!(version.starts_with("Lua 5.1"), "{version}");
}

#[test]
fn every_kind_gets_its_health_from_the_one_script() {
    let script = read(&repo().join("deploy/argocd/health.lua"));
    let cm = health_keys(&repo().join("deploy/argocd/health-checks.yaml"));
    let expected: BTreeSet<String> = kinds().iter().map(|k| format!("{KEY_PREFIX}{k}")).collect();
    assert_eq!(cm.keys().cloned().collect::<BTreeSet<_>>(), expected);
    for (key, value) in &cm {
        assert!(*value == script, "{key} is not deploy/argocd/health.lua");
    }
}

#[test]
fn health_checks_and_the_charts_copy_are_what_render_sh_makes_of_health_lua() {
    let out = Command::new("bash")
        .arg(repo().join("deploy/argocd/render.sh"))
        .arg("-")
        .output()
        .expect("bash runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let fresh = String::from_utf8(out.stdout).expect("UTF-8");
    for file in [
        "deploy/argocd/health-checks.yaml",
        "charts/ecs-bridge/argocd/health-checks.yaml",
    ] {
        assert!(
            read(&repo().join(file)) == fresh,
            "{file} is stale: run `bash deploy/argocd/render.sh`"
        );
    }
}

#[test]
fn every_state_of_every_kind_gets_its_health() {
    let cm = health_keys(&repo().join("deploy/argocd/health-checks.yaml"));
    let sources = sources();
    let mut failures = Vec::new();
    for kind in kinds() {
        let dir = fixtures().join(&kind);
        let script = &cm[&format!("{KEY_PREFIX}{kind}")];
        let index: HealthTests = serde_yaml::from_str(&read(&dir.join("health_test.yaml")))
            .unwrap_or_else(|e| panic!("{kind}/health_test.yaml: {e}"));
        let listed: BTreeSet<String> = index.tests.iter().map(|t| t.input_path.clone()).collect();
        let on_disk: BTreeSet<String> = std::fs::read_dir(dir.join("testdata"))
            .unwrap_or_else(|e| panic!("{kind}/testdata: {e}"))
            .map(|e| {
                format!(
                    "testdata/{}",
                    e.expect("entry").file_name().to_string_lossy()
                )
            })
            .collect();
        assert_eq!(
            listed, on_disk,
            "{kind}: every fixture is listed once in health_test.yaml"
        );
        let mut seen = BTreeSet::new();
        for test in &index.tests {
            let file = format!("{kind}/{}", test.input_path);
            let obj: Value = serde_yaml::from_str(&read(&dir.join(&test.input_path)))
                .unwrap_or_else(|e| panic!("{file}: {e}"));
            assert_real(&obj, &kind, &file, &sources);
            let got = health(script, &obj);
            seen.insert(got.status.clone());
            if got != test.health_status {
                failures.push(format!(
                    "{file}: expected {} ({}), got {} ({})",
                    test.health_status.status, test.health_status.message, got.status, got.message
                ));
            }
        }
        let mut wanted: BTreeSet<String> = ["Healthy", "Progressing", "Degraded"]
            .map(String::from)
            .into();
        if kind == "EcsCronTask" {
            wanted.insert("Suspended".into());
        }
        if !wanted.is_subset(&seen) {
            failures.push(format!(
                "{kind}: the fixtures get {seen:?}, not every state of {wanted:?}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
