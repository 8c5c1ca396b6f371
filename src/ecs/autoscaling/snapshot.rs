//! Application Auto Scaling read once per drift pass for every autoscaled service: the scalable targets in
//! DescribeScalableTargets calls of 50 ids, the policies and scheduled actions of all ECS services' targets in
//! pages (10 policies, 50 actions a page; per target instead when the account holds so many others' that the
//! listing would cost more), and one page of scaling activities. The reconciles of the pass take their target's
//! part; a write makes it stale for that target. Also remembers when each object last read its target, so that a
//! reconcile reads only on a spec change or once per drift pass.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::SystemTime;

use super::{ObservedPolicy, ObservedScaling, TargetSettings};
use crate::api::autoscaling::{AutoScalingStatus, ScalingActivityStatus, ScheduledScaling};
use crate::ecs::{AwsError, Ecs};

/// Drift passes read per target after a listing of all targets' policies and actions cost more than that.
const PER_TARGET_PASSES: u32 = 10;

/// What one drift pass read.
struct Snapshot {
    taken: SystemTime,
    /// The targets asked for (and not written to since): absent from `targets` means not registered.
    asked: HashSet<String>,
    targets: HashMap<String, TargetSettings>,
    policies: HashMap<String, Vec<ObservedPolicy>>,
    scheduled: HashMap<String, Vec<ScheduledScaling>>,
    activities: HashMap<String, ScalingActivityStatus>,
}

/// When an object last read its scalable target, for which generation, and the status it showed of it (kept
/// here too: the object a later reconcile starts from may not show the last status write yet).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LastRead {
    pub generation: Option<i64>,
    pub at: SystemTime,
    pub status: Option<AutoScalingStatus>,
}

/// The per-process Application Auto Scaling read state.
#[derive(Default)]
pub struct ScalingState {
    /// Held while a pass is read, so that the pass's reconciles wait for it rather than read on their own.
    snapshot: tokio::sync::Mutex<Option<Snapshot>>,
    per_target_passes: AtomicU32,
    last_reads: Mutex<HashMap<String, LastRead>>,
}

impl Ecs {
    /// Reads the scalable targets `resource_ids` and what is on them, for the drift pass about to start.
    pub async fn prefetch_scaling(&self, resource_ids: Vec<String>) -> Result<(), AwsError> {
        let state = &self.scaling_state;
        let mut slot = state.snapshot.lock().await;
        *slot = None;
        let taken = SystemTime::now();
        let targets = self.describe_targets(&resource_ids).await?;
        let wanted: HashSet<&str> = targets.keys().map(String::as_str).collect();
        let mut policies: HashMap<String, Vec<ObservedPolicy>> = HashMap::new();
        let mut scheduled: HashMap<String, Vec<ScheduledScaling>> = HashMap::new();
        let listed = match wanted.is_empty() {
            true => Some((Vec::new(), Vec::new())),
            false => self.list_all(wanted.len() * 2).await?,
        };
        match listed {
            Some((all_policies, all_scheduled)) => {
                for (id, p) in all_policies {
                    if wanted.contains(id.as_str()) {
                        policies.entry(id).or_default().push(p);
                    }
                }
                for (id, s) in all_scheduled {
                    if wanted.contains(id.as_str()) {
                        scheduled.entry(id).or_default().push(s);
                    }
                }
            }
            None => {
                for id in &wanted {
                    let mut unlimited = usize::MAX;
                    let found = self.describe_policies(Some(id), &mut unlimited).await?;
                    let p = found.unwrap_or_default().into_iter().map(|(_, p)| p);
                    policies.insert((*id).to_owned(), p.collect());
                    let found = self.describe_scheduled(Some(id), &mut unlimited).await?;
                    let s = found.unwrap_or_default().into_iter().map(|(_, s)| s);
                    scheduled.insert((*id).to_owned(), s.collect());
                }
            }
        }
        let activities = match wanted.is_empty() {
            true => HashMap::new(),
            false => self.newest_activities(None).await,
        };
        *slot = Some(Snapshot {
            taken,
            asked: resource_ids.into_iter().collect(),
            targets,
            policies,
            scheduled,
            activities,
        });
        Ok(())
    }

    /// The policies and scheduled actions of all ECS services' targets, unless that takes more than `budget`
    /// calls (reading per target would then be cheaper; the next passes do, for a while).
    async fn list_all(
        &self,
        budget: usize,
    ) -> Result<
        Option<(
            Vec<(String, ObservedPolicy)>,
            Vec<(String, ScheduledScaling)>,
        )>,
        AwsError,
    > {
        let state = &self.scaling_state;
        let left = state.per_target_passes.load(Ordering::Relaxed);
        if left > 0 {
            state.per_target_passes.store(left - 1, Ordering::Relaxed);
            return Ok(None);
        }
        let mut pages = budget;
        let listed = match self.describe_policies(None, &mut pages).await? {
            Some(policies) => self
                .describe_scheduled(None, &mut pages)
                .await?
                .map(|scheduled| (policies, scheduled)),
            None => None,
        };
        if listed.is_none() {
            state
                .per_target_passes
                .store(PER_TARGET_PASSES, Ordering::Relaxed);
        }
        Ok(listed)
    }

    /// What the drift pass read of `resource_id`, if it was read at `since` or later and not written to since.
    /// Waits while a pass is being read.
    pub async fn scaling_snapshot(
        &self,
        resource_id: &str,
        since: SystemTime,
    ) -> Option<ObservedScaling> {
        let slot = self.scaling_state.snapshot.lock().await;
        let snapshot = slot.as_ref()?;
        if snapshot.taken < since || !snapshot.asked.contains(resource_id) {
            return None;
        }
        Some(ObservedScaling {
            target: snapshot.targets.get(resource_id).cloned(),
            policies: snapshot
                .policies
                .get(resource_id)
                .cloned()
                .unwrap_or_default(),
            scheduled: snapshot
                .scheduled
                .get(resource_id)
                .cloned()
                .unwrap_or_default(),
            last_activity: snapshot.activities.get(resource_id).cloned(),
        })
    }

    /// Drops what the pass read of `resource_id` after a write to it.
    pub async fn forget_scaling(&self, resource_id: &str) {
        if let Some(snapshot) = self.scaling_state.snapshot.lock().await.as_mut() {
            snapshot.asked.remove(resource_id);
        }
    }

    /// When the object `key` last read its scalable target.
    pub fn last_scaling_read(&self, key: &str) -> Option<LastRead> {
        let reads = self.scaling_state.last_reads.lock();
        reads.unwrap_or_else(|p| p.into_inner()).get(key).cloned()
    }

    /// Remembers that the object `key` has its target's state for `generation` as of `at`, shown as `status`.
    pub fn scaling_read(
        &self,
        key: &str,
        generation: Option<i64>,
        at: SystemTime,
        status: Option<AutoScalingStatus>,
    ) {
        let mut reads = self
            .scaling_state
            .last_reads
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        let read = LastRead {
            generation,
            at,
            status,
        };
        reads.insert(key.to_owned(), read);
    }

    /// Remembers the status the object `key` now shows of its target (written mid-reconcile), and that its next
    /// reconcile must read the target again.
    pub fn scaling_status_saved(&self, key: &str, status: Option<AutoScalingStatus>) {
        let mut reads = self
            .scaling_state
            .last_reads
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        let read = LastRead {
            generation: None,
            at: SystemTime::UNIX_EPOCH,
            status,
        };
        reads.insert(key.to_owned(), read);
    }

    /// Forgets the object `key` (it is gone).
    pub fn forget_scaling_reads(&self, key: &str) {
        let mut reads = self
            .scaling_state
            .last_reads
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        reads.remove(key);
    }
}
