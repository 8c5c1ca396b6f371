//! The published IAM policy (`deploy/iam-policy.json`) and the chart's documentation of it
//! (`charts/ecs-bridge/README.md`) cover every AWS action the operator calls: the SDK operations called on the ECS
//! and Application Auto Scaling clients are found by reading `src/`, so a new call without its permission fails
//! here rather than with AccessDenied in a user's account.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The SDK client fields of [`super::Core`] and the IAM service prefix of each.
const CLIENTS: [(&str, &str); 2] = [("client", "ecs"), ("scaling", "application-autoscaling")];

/// Methods of the clients that are not AWS operations.
const NOT_OPERATIONS: [&str; 2] = ["clone", "config"];

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The source without `//` comment lines and without whitespace, except one space between two words
/// (`let client`), so that `self\n    .client\n    .describe_services()` reads `self.client.describe_services()`.
fn condensed(source: &str) -> String {
    let code: Vec<&str> = source
        .lines()
        .filter(|line| !line.trim_start().starts_with("//"))
        .collect();
    let mut out = String::new();
    let mut gap = false;
    for c in code.join("\n").chars() {
        if c.is_whitespace() {
            gap = true;
            continue;
        }
        if gap && is_ident(c) && out.chars().next_back().is_some_and(is_ident) {
            out.push(' ');
        }
        gap = false;
        out.push(c);
    }
    out
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// `snake_case` as `PascalCase`.
fn pascal(snake: &str) -> String {
    snake
        .split('_')
        .map(|word| {
            let mut chars = word.chars();
            chars
                .next()
                .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// The IAM actions (`prefix:Operation`) of the zero-argument SDK calls in one condensed file: calls on
/// `self.client` / `self.scaling`, and on local names bound to them (`let client = &self.scaling;`).
fn actions_in(code: &str, file: &str) -> BTreeSet<String> {
    let mut aliases: BTreeMap<String, &str> = BTreeMap::new();
    for (field, prefix) in CLIENTS {
        for binding in [
            format!("=&self.{field};"),
            format!("=self.{field}.clone();"),
        ] {
            for (at, _) in code.match_indices(&binding) {
                let before = &code[..at];
                let name: String = before
                    .chars()
                    .rev()
                    .take_while(|c| is_ident(*c))
                    .collect::<Vec<_>>()
                    .into_iter()
                    .rev()
                    .collect();
                let head = &before[..before.len() - name.len()];
                if head.ends_with("let ") || head.ends_with("let mut ") {
                    aliases.insert(name, prefix);
                }
            }
        }
    }
    let mut found = BTreeSet::new();
    let receivers = CLIENTS
        .iter()
        .map(|(field, _)| field.to_string())
        .chain(aliases.keys().cloned())
        .collect::<BTreeSet<_>>();
    for receiver in receivers {
        let pattern = format!("{receiver}.");
        for (at, _) in code.match_indices(&pattern) {
            if code[..at].chars().next_back().is_some_and(is_ident) {
                continue;
            }
            let rest = &code[at + pattern.len()..];
            let method: String = rest.chars().take_while(|c| is_ident(*c)).collect();
            if method.is_empty()
                || !rest[method.len()..].starts_with("()")
                || NOT_OPERATIONS.contains(&method.as_str())
            {
                continue;
            }
            let prefix = if code[..at].ends_with("self.") {
                CLIENTS
                    .iter()
                    .find(|(f, _)| *f == receiver)
                    .map(|(_, p)| *p)
            } else if code[..at].ends_with('.') {
                // A field of something else, such as `ctx.client` (the Kubernetes client).
                None
            } else {
                aliases.get(&receiver).copied()
            };
            match prefix {
                Some(prefix) => {
                    found.insert(format!("{prefix}:{}", pascal(&method)));
                }
                None if code[..at].ends_with('.') => {}
                None => panic!(
                    "{file}: `{receiver}.{method}()`: cannot tell which AWS client `{receiver}` is; bind it with \
                     `let {receiver} = &self.client;` or `&self.scaling;`"
                ),
            }
        }
    }
    found
}

/// Every IAM action the operator's code calls.
fn called_actions() -> BTreeSet<String> {
    let mut files = Vec::new();
    rust_files(&repo().join("src"), &mut files);
    let mut actions = BTreeSet::new();
    for path in files {
        let source = std::fs::read_to_string(&path).unwrap();
        let relative = path.strip_prefix(repo()).unwrap().display().to_string();
        actions.extend(actions_in(&condensed(&source), &relative));
    }
    actions
}

/// Whether an IAM action pattern (`ecs:Describe*`) matches `action`.
fn matches(pattern: &str, action: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern.eq_ignore_ascii_case(action),
        Some((head, tail)) => {
            action.len() >= head.len() + tail.len()
                && action[..head.len()].eq_ignore_ascii_case(head)
                && matches(tail, &action[action.len() - tail.len()..])
        }
    }
}

/// The actions the policy allows, as written.
fn allowed(policy: &serde_json::Value) -> Vec<String> {
    let statements = policy["Statement"].as_array().expect("Statement[]");
    statements
        .iter()
        .filter(|s| s["Effect"] == "Allow")
        .flat_map(|s| match &s["Action"] {
            serde_json::Value::String(a) => vec![a.clone()],
            serde_json::Value::Array(list) => list
                .iter()
                .filter_map(|a| a.as_str().map(str::to_owned))
                .collect(),
            _ => Vec::new(),
        })
        .collect()
}

#[test]
fn finds_the_calls_of_both_clients() {
    let code = condensed(
        "let listed = self\n    .call(\"ListServiceDeployments\", || {\n        self.client\n            \
         .list_service_deployments()\n            .send()\n    });\n// self.client.delete_service()\n\
         let client = &self.scaling;\nclient\n    .describe_scalable_targets()\n    .send();\n\
         let api = Api::namespaced(ctx.client.clone(), ns); ctx.client.apply();\n",
    );
    assert_eq!(
        actions_in(&code, "example.rs"),
        BTreeSet::from([
            "application-autoscaling:DescribeScalableTargets".to_owned(),
            "ecs:ListServiceDeployments".to_owned(),
        ])
    );
    assert!(matches("ecs:Describe*", "ecs:DescribeServiceDeployments"));
    assert!(!matches("ecs:Describe*", "ecs:ListServices"));
    assert!(matches("ecs:ListServices", "ecs:ListServices"));
}

#[test]
fn every_sdk_client_of_the_door_is_scanned() {
    let source = std::fs::read_to_string(repo().join("src/ecs/mod.rs")).unwrap();
    let code = condensed(&source);
    let fields: Vec<&str> = code
        .match_indices("::Client,")
        .filter_map(|(at, _)| {
            let before = &code[..at];
            let start = before.rfind(['{', ','])? + 1;
            let (field, client) = before[start..].split_once(':')?;
            client.starts_with("aws_sdk_").then_some(field)
        })
        .collect();
    for (known, _) in CLIENTS {
        assert!(
            fields.contains(&known),
            "the SDK client `{known}` not found in src/ecs/mod.rs: {fields:?}"
        );
    }
    for field in fields {
        assert!(
            CLIENTS.iter().any(|(known, _)| *known == field),
            "src/ecs/mod.rs holds the SDK client `{field}`: add it and its IAM prefix to CLIENTS"
        );
    }
}

#[test]
fn the_iam_policy_and_the_chart_docs_grant_every_action_the_code_calls() {
    let actions = called_actions();
    for known in [
        "ecs:DescribeServices",
        "ecs:UpdateService",
        "application-autoscaling:RegisterScalableTarget",
    ] {
        assert!(
            actions.contains(known),
            "the scan of src/ misses {known}: {actions:?}"
        );
    }
    let text = std::fs::read_to_string(repo().join("deploy/iam-policy.json")).unwrap();
    let policy: serde_json::Value = serde_json::from_str(&text).unwrap();
    let allowed = allowed(&policy);
    let denied: Vec<_> = actions
        .iter()
        .filter(|a| !allowed.iter().any(|p| matches(p, a)))
        .collect();
    assert!(
        denied.is_empty(),
        "deploy/iam-policy.json does not allow {denied:?}, which the operator calls"
    );
    let docs = std::fs::read_to_string(repo().join("charts/ecs-bridge/README.md"))
        .unwrap_or_else(|e| panic!("charts/ecs-bridge/README.md: {e}"));
    let undocumented: Vec<_> = actions
        .iter()
        .filter(|a| !docs.contains(&format!("`{a}`")))
        .collect();
    assert!(
        undocumented.is_empty(),
        "charts/ecs-bridge/README.md does not list {undocumented:?}, which the operator calls"
    );
}
