//! `spec.kubernetesService`: the operator keeps a selector-less Service and its EndpointSlices equal to the ECS
//! service's tasks. Each reconcile of the EcsService lists the service's tasks (ListTasks `serviceName`) and
//! describes them together with the tasks its slices already hold (so a task ECS is stopping stays, as
//! terminating, until it stopped); the DescribeTasks lookups of all services at about the same time share calls
//! of up to 100 tasks per cluster. Writes happen only when an object differs from what it should be; a Service
//! or slice of the name that this EcsService does not own is never touched and is reported.

pub mod slices;
pub mod validate;

use std::collections::BTreeSet;
use std::time::Duration;

use k8s_openapi::api::core::v1::Service;
use k8s_openapi::api::discovery::v1::EndpointSlice;
use kube::api::{DeleteParams, ListParams, Patch, PatchParams};
use kube::{Api, ResourceExt};

use crate::api::kubernetes_service::KubernetesServiceStatus;
use crate::api::{EcsService, TaskDefinition};
use crate::reconcile::{Context, Error, Note};
use slices::{Judge, SERVICE_NAME_LABEL, owned_by, owner};

/// The field manager of the operator's writes to Services and EndpointSlices.
const FIELD_MANAGER: &str = "ecs-bridge-endpoints";
/// How soon the endpoints are read again: well within the 5 s an endpoint may lag ECS.
pub const POLL: Duration = Duration::from_secs(3);

/// What publishing the endpoints did.
#[derive(Default)]
pub struct Published {
    pub status: Option<KubernetesServiceStatus>,
    pub notes: Vec<Note>,
    pub requeue: Option<Duration>,
}

/// The Service name of the spec (default: the object's name).
fn wanted_name(svc: &EcsService) -> Option<String> {
    let ks = svc.spec.kubernetes_service.as_ref()?;
    Some(ks.name.clone().unwrap_or_else(|| svc.name_any()))
}

/// Brings the Service and its slices in line with the ECS service `service_name` of `cluster_arn`; removes
/// those of a name the spec no longer asks for.
pub async fn publish(
    svc: &EcsService,
    ctx: &Context,
    cluster_arn: &str,
    service_name: &str,
) -> Result<Published, Error> {
    let namespace = svc.namespace().unwrap_or_default();
    let uid = svc.uid().unwrap_or_default();
    let mut published = Published::default();
    let recorded = svc
        .status
        .as_ref()
        .and_then(|s| s.kubernetes_service.as_ref())
        .map(|k| k.name.clone());
    let wanted = wanted_name(svc);
    if let Some(old) = recorded.filter(|old| Some(old) != wanted.as_ref()) {
        remove(ctx, &namespace, &uid, &old).await?;
        published.notes.push(Note::normal(
            "ServiceRemoved",
            format!("removed Service {old} and its EndpointSlices"),
        ));
    }
    let (Some(ks), Some(name)) = (svc.spec.kubernetes_service.as_ref(), wanted) else {
        return Ok(published);
    };
    let judge = check_task_definition(svc, ctx, &namespace).await?;
    let owner = owner(&svc.name_any(), &uid);
    let services: Api<Service> = Api::namespaced(ctx.client.clone(), &namespace);
    let desired = slices::service(ks, &name, &namespace, &owner);
    let apply = PatchParams::apply(FIELD_MANAGER).force();
    match services.get_opt(&name).await? {
        Some(found) if !owned_by(&found.metadata, &uid) => {
            return Err(Error::AlreadyExists(format!(
                "spec.kubernetesService: a Service {name} that this EcsService does not own exists in {namespace}; \
                 it is left alone. Set spec.kubernetesService.name to another name, or delete that Service"
            )));
        }
        Some(found) if slices::must_recreate(&found, &desired) => {
            services.delete(&name, &DeleteParams::default()).await?;
            published.requeue = Some(Duration::from_secs(1));
            published.notes.push(Note::normal(
                "ServiceRecreated",
                format!("Service {name} changes type: recreated"),
            ));
            return Ok(published);
        }
        Some(found) if slices::service_matches(&found, &desired) => {}
        _ => {
            services
                .patch(&name, &apply, &Patch::Apply(&desired))
                .await?;
        }
    }
    let slice_api: Api<EndpointSlice> = Api::namespaced(ctx.client.clone(), &namespace);
    let existing = slice_api
        .list(&ListParams::default().labels(&format!("{SERVICE_NAME_LABEL}={name}")))
        .await?
        .items;
    let endpoints = read_endpoints(ctx, cluster_arn, service_name, &existing, &uid, judge).await?;
    let ready = endpoints.iter().filter(|e| e.ready).count();
    let total = endpoints.len();
    let wanted_slices = slices::slices(ks, &name, &namespace, &owner, endpoints);
    let names: BTreeSet<String> = wanted_slices.iter().map(ResourceExt::name_any).collect();
    for slice in &wanted_slices {
        let slice_name = slice.name_any();
        match existing.iter().find(|s| s.name_any() == slice_name) {
            Some(found) if !owned_by(&found.metadata, &uid) => published.notes.push(Note::warning(
                "EndpointSliceNotOwned",
                format!("EndpointSlice {slice_name} exists and is not owned by this EcsService; left alone"),
            )),
            Some(found) if slices::slice_matches(found, slice) => {}
            _ => {
                slice_api.patch(&slice_name, &apply, &Patch::Apply(slice)).await?;
            }
        }
    }
    for stale in existing
        .iter()
        .filter(|s| owned_by(&s.metadata, &uid) && !names.contains(&s.name_any()))
    {
        slice_api
            .delete(&stale.name_any(), &DeleteParams::default())
            .await?;
    }
    published.status = Some(KubernetesServiceStatus {
        name,
        ready_endpoints: i32::try_from(ready).unwrap_or(i32::MAX),
        endpoints: i32::try_from(total).unwrap_or(i32::MAX),
    });
    published.requeue = Some(POLL);
    Ok(published)
}

/// The spec checks against a `TaskDefinition` of this namespace (not possible for a task definition managed
/// elsewhere: its tasks are taken as they come, UNKNOWN health as ready).
async fn check_task_definition(
    svc: &EcsService,
    ctx: &Context,
    namespace: &str,
) -> Result<Judge, Error> {
    let (Some(ks), Some(reference)) = (&svc.spec.kubernetes_service, &svc.spec.task_definition_ref)
    else {
        return Ok(Judge::default());
    };
    let api: Api<TaskDefinition> = Api::namespaced(ctx.client.clone(), namespace);
    let Some(td) = api.get_opt(&reference.name).await? else {
        return Ok(Judge::default());
    };
    validate::against(ks, &td.spec).map_err(Error::InvalidSpec)?;
    Ok(Judge {
        health_checked: Some(validate::health_checked(&td.spec)),
    })
}

/// The endpoints of the service's tasks: those ECS keeps running and those the slices hold still.
async fn read_endpoints(
    ctx: &Context,
    cluster_arn: &str,
    service_name: &str,
    existing: &[EndpointSlice],
    uid: &str,
    judge: Judge,
) -> Result<Vec<slices::TaskEndpoint>, Error> {
    let mut arns: BTreeSet<String> = ctx
        .ecs
        .list_service_tasks(cluster_arn, service_name)
        .await?
        .into_iter()
        .collect();
    if let Some((prefix, cluster)) = cluster_arn.split_once(":cluster/") {
        let held = existing
            .iter()
            .filter(|s| owned_by(&s.metadata, uid))
            .flat_map(slices::task_ids)
            .map(|id| format!("{prefix}:task/{cluster}/{id}"));
        arns.extend(held);
    }
    let lookups = arns
        .iter()
        .map(|arn| ctx.ecs.describe_task(cluster_arn, arn));
    let mut endpoints = Vec::new();
    for task in futures::future::join_all(lookups).await {
        if let Some(endpoint) = task?.and_then(|t| slices::endpoint(&t, judge)) {
            endpoints.push(endpoint);
        }
    }
    Ok(endpoints)
}

/// Deletes the Service `name` and its slices, if this EcsService (`uid`) owns them.
pub async fn remove(ctx: &Context, namespace: &str, uid: &str, name: &str) -> Result<(), Error> {
    let services: Api<Service> = Api::namespaced(ctx.client.clone(), namespace);
    if let Some(found) = services.get_opt(name).await?
        && owned_by(&found.metadata, uid)
    {
        services.delete(name, &DeleteParams::default()).await?;
    }
    let slice_api: Api<EndpointSlice> = Api::namespaced(ctx.client.clone(), namespace);
    let existing = slice_api
        .list(&ListParams::default().labels(&format!("{SERVICE_NAME_LABEL}={name}")))
        .await?;
    for slice in existing.items.iter().filter(|s| owned_by(&s.metadata, uid)) {
        slice_api
            .delete(&slice.name_any(), &DeleteParams::default())
            .await?;
    }
    Ok(())
}
