//! The `EcsCluster`'s service count (`kubectl get ecsc` SERVICES) follows its services as they come and go, not
//! only at the next drift check. Against the double: moto always answers `activeServicesCount: 0`.

use std::time::{Duration, Instant};

use ecs_bridge::api::{EcsCluster, EcsService};

use crate::harness::{Env, unique};
use crate::service::converge;

/// Well under the harness's 60 s drift interval: only a wake by the service can meet it.
const PROMPTLY: Duration = Duration::from_secs(15);

fn services_shown(cluster: &EcsCluster) -> Option<i32> {
    cluster.status.as_ref()?.active_services_count
}

#[tokio::test]
async fn the_cluster_counts_its_service_once_it_is_created_and_not_once_it_is_deleted() {
    let double = ecs_double::spawn(&["--throttle", "off"]);
    let env = Env::against(&unique("cluster-services"), &double.url).await;
    let (cluster, family, service) = (unique("c"), unique("td"), unique("svc"));
    converge(&env, &cluster, &family, &service, "").await;
    let created = Instant::now();
    let counted = env
        .wait_for::<EcsCluster>("main", PROMPTLY, |c| services_shown(c) == Some(1))
        .await;
    assert_eq!(services_shown(&counted), Some(1));
    println!(
        "counted {:?} after the service was Ready",
        created.elapsed()
    );

    env.delete::<EcsService>("web").await;
    env.wait_gone::<EcsService>("web", PROMPTLY).await;
    let deleted = Instant::now();
    env.wait_for::<EcsCluster>("main", PROMPTLY, |c| services_shown(c) == Some(0))
        .await;
    println!(
        "uncounted {:?} after the service was gone",
        deleted.elapsed()
    );
}
