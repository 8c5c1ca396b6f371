//! The last step: the stack deleted in a user tool's order; nothing stuck, nothing of ours left in ECS, nothing of
//! others gone.

use std::time::Duration;

use crate::harness::Env;
use crate::model::FOREIGN_POLICY_KEY;
use crate::oob::FOREIGN_POLICY;
use crate::plan::DeleteOrder;
use crate::snapshot;
use crate::stack::{self, Obj};
use crate::walk::World;

const GONE: Duration = Duration::from_secs(90);

/// Waits until the object is gone; what holds it when it is not.
pub async fn wait_gone(env: &Env, obj: Obj, timeout: Duration) -> Result<(), String> {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        let Some(found) = stack::get(env, obj.kind(), obj.name()).await else {
            return Ok(());
        };
        if tokio::time::Instant::now() > deadline {
            return Err(format!(
                "{} {} stuck in deletion after {timeout:?}: finalizers {}, conditions {}",
                obj.kind(),
                obj.name(),
                found["metadata"]["finalizers"],
                found["status"]["conditions"]
            ));
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

pub async fn delete(world: &mut World, order: &DeleteOrder) -> Result<(), String> {
    let env = &world.env;
    match order {
        DeleteOrder::File => {
            for obj in Obj::FILE_ORDER {
                stack::delete(env, obj.kind(), obj.name()).await;
            }
        }
        DeleteOrder::ArgoPrune => {
            for obj in Obj::FILE_ORDER.iter().rev() {
                stack::delete(env, obj.kind(), obj.name()).await;
            }
        }
        DeleteOrder::OneByOne(objs) => {
            for obj in objs {
                stack::delete(env, obj.kind(), obj.name()).await;
                wait_gone(env, *obj, GONE).await?;
            }
        }
    }
    for obj in Obj::FILE_ORDER {
        wait_gone(env, obj, GONE).await?;
    }
    world.live.clear();
    let snap = world.snapshot().await;
    let mut wrong = Vec::new();
    world.tally.checks += 6;
    let status = |key: &str| snap[key]["status"].as_str().map(str::to_owned);
    if let Some(s) = status("cluster").filter(|s| s != "INACTIVE") {
        wrong.push(format!("the cluster is {s} after deletion"));
    }
    if let Some(s) = status("service").filter(|s| s != "INACTIVE" && s != "DRAINING") {
        wrong.push(format!("the service is {s} after deletion"));
    }
    for key in ["provider", "providerB"] {
        if let Some(s) = status(key).filter(|s| s != "INACTIVE") {
            wrong.push(format!("capacity provider {key} is {s} after deletion"));
        }
    }
    if snap["revisions"].as_array().is_some_and(|r| !r.is_empty()) {
        wrong.push(format!(
            "revisions still ACTIVE after deletion: {}",
            snap["revisions"]
        ));
    }
    let resource = format!(
        "service/{}/{}",
        world.names.ecs(Obj::Cluster),
        world.names.ecs(Obj::Service)
    );
    let (ours, foreign) = snapshot::auto_scaling(&world.clients, &resource).await;
    if ours["targetTracking"]
        .as_array()
        .is_some_and(|p| !p.is_empty())
    {
        wrong.push(format!("the operator's scaling policies remain: {ours}"));
    }
    let foreign_policy_kept = foreign
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p == FOREIGN_POLICY);
    if world.model.foreign_policy
        && !foreign_policy_kept
        && !world.model.written_off.contains(FOREIGN_POLICY_KEY)
    {
        wrong.push("someone else's scaling policy went with the service".into());
    }
    for name in &world.model.foreign_providers {
        world.tally.checks += 1;
        let out = world
            .clients
            .ecs
            .describe_capacity_providers()
            .capacity_providers(name)
            .send()
            .await;
        let active = out.is_ok_and(|o| {
            o.capacity_providers()
                .iter()
                .any(|p| p.status().map(|s| s.as_str()) == Some("ACTIVE"))
        });
        if !active {
            wrong.push(format!("someone else's capacity provider {name} is gone"));
        }
    }
    let foreign_family = format!("{}-foreign", world.names.prefix);
    if snapshot::revisions(&world.clients, &foreign_family)
        .await
        .as_array()
        .is_none_or(Vec::is_empty)
    {
        wrong.push("someone else's task definition was deregistered".into());
    }
    if wrong.is_empty() {
        Ok(())
    } else {
        Err(wrong.join("; "))
    }
}
