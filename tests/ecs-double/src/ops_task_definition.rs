//! Task definition operations: RegisterTaskDefinition, DescribeTaskDefinition, ListTaskDefinitions,
//! DeregisterTaskDefinition and DeleteTaskDefinitions.

use serde_json::{Value, json};

use crate::dispatch::Ctx;
use crate::paginate::{self, Entry};
use crate::protocol::{ApiError, OpResult};
use crate::request::Request;
use crate::settings::Broken;
use crate::state::{Model, Revision, TdStatus, parse_task_definition};
use crate::tags::Tags;
use crate::{td_defaults, validate};

/// DeleteTaskDefinitions takes at most this many task definitions.
const MAX_DELETE: usize = 10;

/// RegisterTaskDefinition: the next revision of the family, holding the request with ECS's defaults filled in.
pub fn register(model: &mut Model, ctx: &Ctx, req: &Request) -> OpResult {
    let family = req.required_str("family")?.to_owned();
    validate::name("Family", &family)?;
    let mut body = req.body().clone();
    body.remove("tags");
    validate::task_definition(&body)?;
    if ctx.holds(Broken::TaskDefinitionDefaults) {
        td_defaults::fill(&mut body);
    }
    let tags = Tags::from_request(req, "tags")?;
    let number = model
        .families
        .get(&family)
        .map_or(1, |f| f.last_revision + 1);
    let revision = Revision {
        body,
        arn: model.task_definition_arn(&family, number),
        revision: number,
        status: TdStatus::Active,
        registered_at: ctx.now,
        deregistered_at: None,
        delete_requested_at: None,
        tags,
    };
    let out = json!({"taskDefinition": revision.to_json(), "tags": revision.tags.to_json()});
    let entry = model.families.entry(family).or_default();
    entry.last_revision = number;
    entry.revisions.insert(number, revision);
    Ok(out)
}

/// DescribeTaskDefinition: a family's newest ACTIVE revision, or the revision named.
pub fn describe(model: &mut Model, _ctx: &Ctx, req: &Request) -> OpResult {
    let ident = req.required_str("taskDefinition")?;
    let include_tags = req.includes("TAGS")?;
    let revision = model
        .revision(ident)?
        .ok_or_else(|| ApiError::client("Unable to describe task definition."))?;
    let mut out = json!({"taskDefinition": revision.to_json()});
    if include_tags {
        out["tags"] = revision.tags.to_json();
    }
    Ok(out)
}

/// ListTaskDefinitions: ARNs by family and revision (ASC or DESC), filtered by exact family and status.
pub fn list(model: &mut Model, _ctx: &Ctx, req: &Request) -> OpResult {
    let family = req.str("familyPrefix")?;
    let status = match req.str("status")?.unwrap_or("ACTIVE") {
        "ACTIVE" => TdStatus::Active,
        "INACTIVE" => TdStatus::Inactive,
        "DELETE_IN_PROGRESS" => TdStatus::DeleteInProgress,
        other => return Err(ApiError::invalid(format!("Invalid status: {other}"))),
    };
    let descending = match req.str("sort")? {
        None | Some("ASC") => false,
        Some("DESC") => true,
        Some(other) => return Err(ApiError::invalid(format!("Invalid sort: {other}"))),
    };
    let entries = model
        .families
        .iter()
        .filter(|(name, _)| family.is_none_or(|f| f == name.as_str()))
        .flat_map(|(name, f)| {
            f.revisions
                .values()
                .filter(move |r| r.status == status)
                .map(move |r| Entry {
                    // \u{1} sorts before every character of a family name, so "web" comes before "web-a".
                    key: format!("{name}\u{1}{:010}", r.revision),
                    arn: r.arn.clone(),
                })
        })
        .collect();
    paginate::page(req, entries, descending, 100, "taskDefinitionArns")
}

/// DeregisterTaskDefinition: the revision becomes INACTIVE (again: nothing changes).
pub fn deregister(model: &mut Model, ctx: &Ctx, req: &Request) -> OpResult {
    let (family, number) = parse_task_definition(req.required_str("taskDefinition")?)?;
    let number = number.ok_or_else(|| {
        ApiError::client(
            "A revision must be given to deregister a task definition (family:revision or ARN).",
        )
    })?;
    let revision = model
        .revision_mut(family, number)
        .ok_or_else(|| ApiError::client("The specified task definition does not exist."))?;
    if revision.status == TdStatus::Active {
        revision.status = TdStatus::Inactive;
        revision.deregistered_at = Some(ctx.now);
    }
    Ok(json!({"taskDefinition": revision.to_json()}))
}

/// DeleteTaskDefinitions: up to 10 INACTIVE revisions become DELETE_IN_PROGRESS (and disappear once the
/// deletion time is over); the others are failures.
pub fn delete(model: &mut Model, ctx: &Ctx, req: &Request) -> OpResult {
    let idents = req.strings("taskDefinitions")?.unwrap_or_default();
    if idents.is_empty() || idents.len() > MAX_DELETE {
        return Err(ApiError::invalid(format!(
            "taskDefinitions must hold 1 to {MAX_DELETE} task definitions."
        )));
    }
    let (mut deleted, mut failures) = (Vec::new(), Vec::new());
    for ident in &idents {
        match delete_one(model, ctx, ident) {
            Ok(revision) => deleted.push(revision),
            Err((arn, reason)) => failures.push(json!({"arn": arn, "reason": reason})),
        }
    }
    Ok(json!({"taskDefinitions": deleted, "failures": failures}))
}

fn delete_one(model: &mut Model, ctx: &Ctx, ident: &str) -> Result<Value, (String, &'static str)> {
    let invalid = "The specified task definition identifier is invalid. Specify a valid name or ARN and try again.";
    let Ok((family, Some(number))) = parse_task_definition(ident) else {
        return Err((ident.to_owned(), invalid));
    };
    let arn = model.task_definition_arn(family, number);
    let Some(revision) = model.revision_mut(family, number) else {
        return Err((
            arn,
            "The specified task definition does not exist. Specify a valid account, family, revision and try again.",
        ));
    };
    match revision.status {
        TdStatus::Active => Err((
            arn,
            "The specified task definition is still in ACTIVE status. Please deregister the target and try again.",
        )),
        TdStatus::Inactive => {
            revision.status = TdStatus::DeleteInProgress;
            revision.delete_requested_at = Some(ctx.now);
            Ok(revision.to_json())
        }
        TdStatus::DeleteInProgress => Ok(revision.to_json()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(op: crate::dispatch::Op, model: &mut Model, body: Value) -> OpResult {
        crate::dispatch::call_at(op, model, body, 100.0)
    }

    fn register_web(model: &mut Model) -> Value {
        let body = json!({"family": "web", "containerDefinitions": [{"name": "app", "image": "nginx"}],
                          "tags": [{"key": "team", "value": "a"}]});
        call(register, model, body).unwrap()
    }

    #[test]
    fn registers_revisions_with_the_request_and_its_defaults() {
        let mut model = Model::new("us-east-1", 1);
        register_web(&mut model);
        let out = register_web(&mut model);
        let td = &out["taskDefinition"];
        assert_eq!(
            td["taskDefinitionArn"],
            "arn:aws:ecs:us-east-1:123456789012:task-definition/web:2"
        );
        assert_eq!(
            (td["revision"].clone(), td["status"].clone()),
            (json!(2), json!("ACTIVE"))
        );
        assert_eq!(td["containerDefinitions"][0]["image"], "nginx");
        assert!(td.get("tags").is_none());
        assert_eq!(out["tags"][0]["key"], "team");
        let out = call(
            describe,
            &mut model,
            json!({"taskDefinition": "web", "include": ["TAGS"]}),
        )
        .unwrap();
        assert_eq!(out["taskDefinition"]["revision"], 2);
        assert_eq!(out["tags"][0]["value"], "a");
    }

    #[test]
    fn deregisters_then_deletes() {
        let mut model = Model::new("us-east-1", 1);
        register_web(&mut model);
        register_web(&mut model);
        let out = call(delete, &mut model, json!({"taskDefinitions": ["web:2"]})).unwrap();
        assert!(
            out["failures"][0]["reason"]
                .as_str()
                .unwrap()
                .contains("ACTIVE status")
        );
        let out = call(deregister, &mut model, json!({"taskDefinition": "web:2"})).unwrap();
        assert_eq!(out["taskDefinition"]["status"], "INACTIVE");
        let out = call(describe, &mut model, json!({"taskDefinition": "web"})).unwrap();
        assert_eq!(
            out["taskDefinition"]["revision"], 1,
            "the newest ACTIVE revision"
        );
        let out = call(
            delete,
            &mut model,
            json!({"taskDefinitions": ["web:2", "web:9", "web"]}),
        )
        .unwrap();
        assert_eq!(out["taskDefinitions"][0]["status"], "DELETE_IN_PROGRESS");
        assert_eq!(out["failures"].as_array().unwrap().len(), 2);
        model.settle(110.0, 10.0);
        let err = call(describe, &mut model, json!({"taskDefinition": "web:2"})).unwrap_err();
        assert_eq!(err.message, "Unable to describe task definition.");
        call(deregister, &mut model, json!({"taskDefinition": "web:1"})).unwrap();
        let err = call(describe, &mut model, json!({"taskDefinition": "web"})).unwrap_err();
        assert_eq!(err.code, "ClientException");
        // Revision numbers are not reused.
        assert_eq!(register_web(&mut model)["taskDefinition"]["revision"], 3);
    }

    #[test]
    fn lists_by_family_status_and_order() {
        let mut model = Model::new("us-east-1", 1);
        for family in ["web", "web-a", "api"] {
            let body = json!({"family": family, "containerDefinitions": [{"name": "app"}]});
            call(register, &mut model, body).unwrap();
        }
        register_web(&mut model);
        let out = call(list, &mut model, json!({})).unwrap();
        let names: Vec<&str> = out["taskDefinitionArns"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap().rsplit('/').next().unwrap())
            .collect();
        assert_eq!(names, ["api:1", "web:1", "web:2", "web-a:1"]);
        let out = call(
            list,
            &mut model,
            json!({"familyPrefix": "web", "sort": "DESC"}),
        )
        .unwrap();
        assert_eq!(out["taskDefinitionArns"].as_array().unwrap().len(), 2);
        assert!(
            out["taskDefinitionArns"][0]
                .as_str()
                .unwrap()
                .ends_with("web:2")
        );
        let out = call(list, &mut model, json!({"status": "INACTIVE"})).unwrap();
        assert!(out["taskDefinitionArns"].as_array().unwrap().is_empty());
        assert!(call(list, &mut model, json!({"status": "GONE"})).is_err());
    }
}
