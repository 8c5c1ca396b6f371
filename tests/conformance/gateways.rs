//! Gateway behaviours of `docs/ecs-behaviour.md` (entries 181-192): a new gateway is ACTIVE with deletion
//! protection on, its name is taken once, an update is UPDATE_IN_PROGRESS, DeleteGateway is refused with
//! protection on or with an association, an association is ACTIVE and a disassociation without routes ends it,
//! a gateway no service uses has no route and no load balancer, and a deleted gateway is not found. On a real
//! account the infrastructure role comes from `ECSB_CONFORMANCE_GATEWAY_INFRASTRUCTURE_ROLE`.

use aws_sdk_ecs::error::ProvideErrorMetadata;
use aws_sdk_ecs::types::{
    Gateway, GatewayClusterAssociationStatus, GatewayConfiguration, GatewayStatus,
    HostSharedAlbConfiguration,
};

use crate::backend::Kind;
use crate::harness::{Outcome, Run, describe, ensure};

/// The gateway's infrastructure role: a made-up ARN on the double, the account's from the environment.
fn role(run: &Run) -> Result<String, String> {
    if run.kind() != Kind::Aws {
        return Ok("arn:aws:iam::123456789012:role/ecs-bridge/gateway-infrastructure".into());
    }
    std::env::var("ECSB_CONFORMANCE_GATEWAY_INFRASTRUCTURE_ROLE").map_err(|_| {
        "set ECSB_CONFORMANCE_GATEWAY_INFRASTRUCTURE_ROLE to a role ARN for the gateway scenarios".into()
    })
}

/// Creates a gateway named `name`, with deletion protection as ECS's default leaves it unless `protection`.
async fn create(run: &Run, name: &str, protection: Option<bool>) -> Result<(), String> {
    run.track_gateway(name);
    run.ecs()
        .create_gateway()
        .name(name)
        .infrastructure_role_arn(role(run)?)
        .set_deletion_protection(protection)
        .configuration(GatewayConfiguration::HostSharedAlb(
            HostSharedAlbConfiguration::builder().build(),
        ))
        .set_tags(Some(run.tags()))
        .send()
        .await
        .map_err(|e| format!("CreateGateway: {}", describe(&e)))?;
    Ok(())
}

/// The gateway as ECS describes it; `None` once ECS answers GatewayNotFoundException.
async fn described(run: &Run, name: &str) -> Result<Option<Gateway>, String> {
    match run.ecs().describe_gateway().gateway(name).send().await {
        Ok(out) => Ok(out.gateway),
        Err(e) if e.code() == Some("GatewayNotFoundException") => Ok(None),
        Err(e) => Err(format!("DescribeGateway: {}", describe(&e))),
    }
}

async fn delete(run: &Run, name: &str) -> Result<(), String> {
    run.ecs()
        .delete_gateway()
        .gateway(name)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| format!("DeleteGateway: {}", describe(&e)))
}

/// The statuses of the gateway's associations.
async fn associations(
    run: &Run,
    name: &str,
) -> Result<Vec<GatewayClusterAssociationStatus>, String> {
    let out = run
        .ecs()
        .list_gateway_cluster_associations()
        .gateway(name)
        .send()
        .await
        .map_err(|e| format!("ListGatewayClusterAssociations: {}", describe(&e)))?;
    Ok(out
        .gateway_cluster_associations()
        .iter()
        .filter_map(|a| a.status().cloned())
        .collect())
}

/// Cleanup: protection off, every association removed, then the gateway deleted (errors ignored).
pub async fn remove(run: &Run, name: &str) {
    let ecs = run.ecs();
    let _ = ecs
        .update_gateway()
        .gateway(name)
        .deletion_protection(false)
        .send()
        .await;
    if let Ok(out) = ecs
        .list_gateway_cluster_associations()
        .gateway(name)
        .send()
        .await
    {
        for association in out.gateway_cluster_associations() {
            let _ = ecs
                .disassociate_gateway_from_cluster()
                .gateway(name)
                .cluster(association.cluster_arn().unwrap_or_default())
                .send()
                .await;
        }
    }
    let _ = run
        .eventually(&format!("deletion of gateway {name}"), || async {
            Ok(ecs.delete_gateway().gateway(name).send().await.ok())
        })
        .await;
}

/// A new gateway is ACTIVE with deletion protection on; its name is taken once; DeleteGateway is refused while
/// protection is on; UpdateGateway answers UPDATE_IN_PROGRESS and then turns it off; a deleted gateway is DELETED
/// and then not found.
pub async fn gateway_is_protected_named_once_and_deleted(run: &Run) -> Outcome {
    let name = run.name("edge");
    create(run, &name, None).await?;
    let gateway = described(run, &name)
        .await?
        .ok_or("the new gateway is not found")?;
    ensure(gateway.status() == Some(&GatewayStatus::Active), || {
        format!("a new gateway is {:?}", gateway.status())
    })?;
    ensure(gateway.deletion_protection() == Some(true), || {
        "deletion protection is not on by default".into()
    })?;
    match create(run, &name, None).await {
        Err(refused) => println!("a taken gateway name: {refused}"),
        Ok(()) => return Err("a second gateway of the same name was created".into()),
    }
    match delete(run, &name).await {
        Err(refused) => println!("deleting a protected gateway: {refused}"),
        Ok(()) => return Err("a gateway with deletion protection was deleted".into()),
    }
    let updated = run
        .ecs()
        .update_gateway()
        .gateway(&name)
        .deletion_protection(false)
        .send()
        .await
        .map_err(|e| format!("UpdateGateway: {}", describe(&e)))?;
    println!("UpdateGateway answered {:?}", updated.status());
    run.eventually("deletion protection off and the update over", || async {
        let gateway = described(run, &name).await?.ok_or("the gateway is gone")?;
        let settled = matches!(
            gateway.status(),
            Some(GatewayStatus::Active | GatewayStatus::UpdateComplete)
        );
        Ok((settled && gateway.deletion_protection() == Some(false)).then_some(()))
    })
    .await?;
    delete(run, &name).await?;
    ensure(described(run, &name).await?.is_none(), || {
        "a deleted gateway is still described".into()
    })
}

/// An association is ACTIVE and keeps DeleteGateway from deleting the gateway; a gateway no service uses has no
/// route and no load balancer; its disassociation ends the association, after which the gateway is deleted.
pub async fn gateway_association_holds_deletion_until_removed(run: &Run) -> Outcome {
    let cluster = run.cluster("gateway").await?;
    let name = run.name("edge-assoc");
    create(run, &name, Some(false)).await?;
    let associated = run
        .ecs()
        .associate_gateway_with_cluster()
        .gateway(&name)
        .cluster(&cluster)
        .send()
        .await
        .map_err(|e| format!("AssociateGatewayWithCluster: {}", describe(&e)))?;
    ensure(
        associated.status() == Some(&GatewayClusterAssociationStatus::Active),
        || format!("a new association is {:?}", associated.status()),
    )?;
    ensure(
        associations(run, &name).await? == vec![GatewayClusterAssociationStatus::Active],
        || "ListGatewayClusterAssociations does not show the association ACTIVE".into(),
    )?;
    match delete(run, &name).await {
        Err(refused) => println!("deleting an associated gateway: {refused}"),
        Ok(()) => return Err("a gateway with an ACTIVE association was deleted".into()),
    }
    let routes = run
        .ecs()
        .list_gateway_routes()
        .gateway(&name)
        .send()
        .await
        .map_err(|e| format!("ListGatewayRoutes: {}", describe(&e)))?;
    ensure(routes.gateway_routes().is_empty(), || {
        "a gateway no service uses has routes".into()
    })?;
    let resources = run
        .ecs()
        .describe_gateway_resources()
        .gateway(&name)
        .send()
        .await
        .map_err(|e| format!("DescribeGatewayResources: {}", describe(&e)))?;
    let balancers = resources
        .gateway_resources()
        .and_then(|r| r.resources())
        .and_then(|r| r.as_host_shared_alb().ok())
        .map_or(0, Vec::len);
    ensure(balancers == 0, || {
        format!("a gateway no service uses has {balancers} load balancers")
    })?;
    run.ecs()
        .disassociate_gateway_from_cluster()
        .gateway(&name)
        .cluster(&cluster)
        .send()
        .await
        .map_err(|e| format!("DisassociateGatewayFromCluster: {}", describe(&e)))?;
    run.eventually("the association to end", || async {
        let held = associations(run, &name).await?;
        Ok(held
            .iter()
            .all(|s| *s == GatewayClusterAssociationStatus::Inactive)
            .then_some(()))
    })
    .await?;
    delete(run, &name).await
}

crate::conformance! {
    gateways;
    gateway_is_protected_named_once_and_deleted on [Double, Aws];
    gateway_association_holds_deletion_until_removed on [Double, Aws];
}
