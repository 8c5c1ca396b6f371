//! `spec.region` of every namespaced kind, for the reconcile skeleton (an `EcsCronTask`'s is its template's).

use super::{
    CapacityProvider, EcsCluster, EcsCronTask, EcsExpressService, EcsGateway, EcsService, EcsTask,
    TaskDefinition,
};

/// Where an object asks to live.
pub trait SpecRegion {
    fn spec_region(&self) -> Option<&str>;
}

macro_rules! spec_region {
    ($($kind:ty),*) => {$(
        impl SpecRegion for $kind {
            fn spec_region(&self) -> Option<&str> {
                self.spec.region.as_deref()
            }
        }
    )*};
}

spec_region!(
    EcsCluster,
    TaskDefinition,
    EcsService,
    EcsTask,
    CapacityProvider,
    EcsExpressService,
    EcsGateway
);

spec_region!(super::DaemonTaskDefinition, super::EcsDaemon);

impl SpecRegion for EcsCronTask {
    fn spec_region(&self) -> Option<&str> {
        self.spec.task_template.spec.region.as_deref()
    }
}
