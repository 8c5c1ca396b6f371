//! `spec.kubernetesService`: the operator keeps a selector-less Service and its EndpointSlices equal to the ECS
//! service's tasks. The tasks are read in the one task-following loop ([`followed`], `runtime::task_watch`),
//! which wakes the service when an endpoint changes; the service's reconciles discover its new tasks (ListTasks
//! `serviceName`): at every reconcile while new tasks are due (a deployment in progress, fewer tasks wanted than
//! the desired count), otherwise at most every [`LIST_INTERVAL`] (in effect at the drift checks). The tasks its
//! slices already hold are followed too, so a task ECS is stopping stays, as terminating, until it stopped.
//! Writes happen only when an object differs from what it should be; a Service or slice of the name that this
//! EcsService does not own is never touched and is reported.

pub mod endpoint;
pub mod followed;
pub mod placement;
pub mod slices;
pub mod validate;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::Service;
use k8s_openapi::api::discovery::v1::EndpointSlice;
use kube::api::{DeleteParams, ListParams, Patch, PatchParams};
use kube::runtime::reflector::ObjectRef;
use kube::{Api, ResourceExt};

use crate::api::kubernetes_service::KubernetesServiceStatus;
use crate::api::{EcsService, TaskDefinition};
use crate::reconcile::{Context, Error, Note};
use endpoint::{Judge, TaskEndpoint};
use followed::Followed;
use slices::{SERVICE_NAME_LABEL, owned_by, owner};

/// The field manager of the operator's writes to Services and EndpointSlices.
const FIELD_MANAGER: &str = "ecs-bridge-endpoints";
/// How soon the service's task list is read again while new tasks are due: a new task is listed before it runs,
/// so its endpoint is ready within the 5 s it may lag ECS.
pub const POLL: Duration = Duration::from_secs(3);
/// How often the task list is read at most while no new task is due.
pub const LIST_INTERVAL: Duration = Duration::from_secs(30);

/// What the service's reconcile knows of the tasks to come.
#[derive(Clone, Copy, Debug)]
pub struct Due {
    /// A deployment is in progress.
    pub deploying: bool,
    /// The tasks the service is to run.
    pub desired_count: i32,
}

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
    due: Due,
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
        ctx.shared
            .get::<Followed>()
            .forget(&ObjectRef::from_obj(svc));
        return Ok(published);
    };
    let judge = check_task_definition(svc, ctx, &namespace).await?;
    let owner = owner(&svc.name_any(), &uid);
    let services: Api<Service> = Api::namespaced(ctx.client.clone(), &namespace);
    let found = services.get_opt(&name).await?;
    if let Some(found) = &found {
        if !owned_by(&found.metadata, &uid) {
            return Err(Error::AlreadyExists(format!(
                "spec.kubernetesService: a Service {name} that this EcsService does not own exists in {namespace}; \
                 it is left alone. Set spec.kubernetesService.name to another name, or delete that Service"
            )));
        }
        if slices::must_recreate(
            found,
            &slices::service(ks, &name, &namespace, &owner, false),
        ) {
            services.delete(&name, &DeleteParams::default()).await?;
            published.requeue = Some(Duration::from_secs(1));
            published.notes.push(Note::normal(
                "ServiceRecreated",
                format!("Service {name} changes type: recreated"),
            ));
            return Ok(published);
        }
    }
    let slice_api: Api<EndpointSlice> = Api::namespaced(ctx.client.clone(), &namespace);
    let existing = slice_api
        .list(&ListParams::default().labels(&format!("{SERVICE_NAME_LABEL}={name}")))
        .await?
        .items;
    let read = Read {
        cluster_arn,
        service_name,
        judge,
        due,
    };
    let (endpoints, discovering) = follow(svc, ctx, &read, &existing).await?;
    let dual_stack = endpoints.iter().any(|e| e.ipv6.is_some());
    let desired = slices::service(ks, &name, &namespace, &owner, dual_stack);
    if !found.is_some_and(|f| slices::service_matches(&f, &desired)) {
        let apply = PatchParams::apply(FIELD_MANAGER).force();
        services
            .patch(&name, &apply, &Patch::Apply(&desired))
            .await?;
    }
    let ready = endpoints.iter().filter(|e| e.ready).count();
    let total = endpoints.len();
    let ours: Vec<EndpointSlice> = existing
        .iter()
        .filter(|s| owned_by(&s.metadata, &uid))
        .cloned()
        .collect();
    let wanted_slices = slices::slices(ks, &name, &namespace, &owner, &endpoints, &ours);
    let names: BTreeSet<String> = wanted_slices.iter().map(ResourceExt::name_any).collect();
    let apply = PatchParams::apply(FIELD_MANAGER).force();
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
    for stale in ours.iter().filter(|s| !names.contains(&s.name_any())) {
        slice_api
            .delete(&stale.name_any(), &DeleteParams::default())
            .await?;
    }
    published.status = Some(KubernetesServiceStatus {
        name,
        ready_endpoints: i32::try_from(ready).unwrap_or(i32::MAX),
        endpoints: i32::try_from(total).unwrap_or(i32::MAX),
    });
    published.requeue = discovering.then_some(POLL);
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

/// Where the service's tasks are read.
struct Read<'a> {
    cluster_arn: &'a str,
    service_name: &'a str,
    judge: Judge,
    due: Due,
}

/// The endpoints of the service's tasks as the task-following loop last read them, with the tasks discovered now
/// (ListTasks when due, the tasks the slices hold) read at once; and whether new tasks are still due.
async fn follow(
    svc: &EcsService,
    ctx: &Context,
    read: &Read<'_>,
    existing: &[EndpointSlice],
) -> Result<(Vec<TaskEndpoint>, bool), Error> {
    let owner = ObjectRef::from_obj(svc);
    let uid = svc.uid().unwrap_or_default();
    let mut learned = ctx
        .shared
        .get::<Followed>()
        .get(&owner, read.cluster_arn, read.judge);
    let wanted = usize::try_from(read.due.desired_count).unwrap_or_default();
    let list = read.due.deploying
        || learned.wanted() < wanted
        || learned
            .listed_at
            .is_none_or(|at| at.elapsed() >= LIST_INTERVAL);
    if list {
        let listed = ctx
            .ecs
            .list_service_tasks(read.cluster_arn, read.service_name)
            .await?;
        for arn in listed {
            learned.tasks.entry(arn).or_insert(None);
        }
        learned.listed_at = Some(Instant::now());
    }
    let mut held_unknown = BTreeSet::new();
    if let Some((prefix, cluster)) = read.cluster_arn.split_once(":cluster/") {
        let held = existing
            .iter()
            .filter(|s| owned_by(&s.metadata, &uid))
            .flat_map(slices::task_ids)
            .map(|id| format!("{prefix}:task/{cluster}/{id}"));
        for arn in held {
            if !learned.tasks.contains_key(&arn) {
                learned.tasks.insert(arn.clone(), None);
                held_unknown.insert(arn);
            }
        }
    }
    let unread: Vec<String> = learned
        .tasks
        .iter()
        .filter(|(_, t)| t.is_none())
        .map(|(arn, _)| arn.clone())
        .collect();
    let lookups = unread
        .iter()
        .map(|arn| ctx.ecs.describe_task(read.cluster_arn, arn));
    for (arn, task) in unread.iter().zip(futures::future::join_all(lookups).await) {
        match task? {
            Some(task) => {
                learned.tasks.insert(arn.clone(), Some(task));
            }
            // A task a slice held that ECS no longer shows has gone; a listed one may not be visible yet.
            None if held_unknown.contains(arn) => {
                learned.tasks.remove(arn);
            }
            None => {}
        }
    }
    let merged = ctx.shared.get::<Followed>().merge(&owner, learned);
    let discovering = read.due.deploying || merged.wanted() < wanted;
    Ok((merged.endpoints(), discovering))
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
