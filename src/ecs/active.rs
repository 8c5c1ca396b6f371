//! Which task definition revisions are ACTIVE, for the drift checks of unchanged task definitions. One listing
//! answers every object of a drift pass: the whole account and Region's ACTIVE revisions in pages of 100
//! (ListTaskDefinitions without a family, entry 118), or, when other families' revisions would make that dearer
//! than one listing per family asked about, each family's own. A listing answers the drift checks of the pass it
//! began in, however long the pass lasts, and none of the next: so each pass lists once, and sees every change
//! made outside Kubernetes before it began. Revisions the operator registers or deregisters are known at once,
//! also when a listing that began before them ends after them.

use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use aws_sdk_ecs::types::TaskDefinitionStatus;

use super::limits::Category;
use super::task_definition::family_of;
use super::{AwsError, Ecs};
use crate::reconcile::since_drift_tick;

/// Revisions ListTaskDefinitions returns per page at most (entry 48).
const PAGE: i32 = 100;

/// How long the operator's own registrations and deregistrations are replayed over listings begun before them:
/// longer than any listing takes.
const JOURNAL_AGE: Duration = Duration::from_secs(600);

/// What the listings found, and what they cost.
#[derive(Default)]
pub struct ActiveRevisions {
    state: Mutex<Listings>,
    /// One account-wide listing at a time: the drift checks of a pass that arrive meanwhile wait for its answer.
    account_wide: tokio::sync::Mutex<()>,
}

#[derive(Default)]
struct Listings {
    /// The ACTIVE revisions of all families and when their listing began.
    account: Option<(Instant, HashSet<String>)>,
    /// The ACTIVE revisions of single families and when their listing began.
    families: HashMap<String, (Instant, HashSet<String>)>,
    /// When each family was last asked about.
    asked: HashMap<String, Instant>,
    /// Pages the last account-wide listing took, or more than this when it was given up.
    account_pages: Option<usize>,
    /// Revisions the operator registered (true) or deregistered (false), and when.
    journal: Vec<(Instant, String, bool)>,
}

impl Listings {
    /// Whether a listing younger than `max_age` (begun in this drift pass) answers for `arn`, and its answer.
    fn answer(&self, arn: &str, max_age: Duration) -> Option<bool> {
        let family = self.families.get(family_of(arn));
        [self.account.as_ref(), family]
            .into_iter()
            .flatten()
            .filter(|(at, _)| at.elapsed() < max_age)
            .max_by_key(|(at, _)| *at)
            .map(|(_, arns)| arns.contains(arn))
    }

    /// Families asked about within the last `window`: one listing each if not listed account-wide.
    fn families_asked(&self, window: Duration) -> usize {
        self.asked
            .values()
            .filter(|at| at.elapsed() < window)
            .count()
    }

    /// The operator's changes since `began` laid over a listing begun then.
    fn replay(&self, began: Instant, arns: &mut HashSet<String>, family: Option<&str>) {
        let changes = self
            .journal
            .iter()
            .filter(|(at, arn, _)| *at >= began && family.is_none_or(|f| family_of(arn) == f));
        for (_, arn, active) in changes {
            match active {
                true => arns.insert(arn.clone()),
                false => arns.remove(arn),
            };
        }
    }

    fn record(&mut self, arn: &str, active: bool) {
        self.journal.retain(|(at, _, _)| at.elapsed() < JOURNAL_AGE);
        self.journal.push((Instant::now(), arn.to_owned(), active));
        let family = self.families.get_mut(family_of(arn));
        for (_, arns) in self.account.iter_mut().chain(family) {
            match active {
                true => arns.insert(arn.to_owned()),
                false => arns.remove(arn),
            };
        }
    }
}

impl ActiveRevisions {
    fn state(&self) -> MutexGuard<'_, Listings> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The operator registered `arn`.
    pub fn registered(&self, arn: &str) {
        self.state().record(arn, true);
    }

    /// The operator deregistered `arn`.
    pub fn deregistered(&self, arn: &str) {
        self.state().record(arn, false);
    }

    /// Whether a listing of the whole account is expected to cost fewer calls than one per family asked about.
    fn account_wide_is_cheaper(&self, window: Duration) -> bool {
        let state = self.state();
        state
            .account_pages
            .is_none_or(|pages| pages <= state.families_asked(window))
    }
}

impl Ecs {
    /// Over how many drift passes the tag reads of the task definitions checked in a pass are spread: one while
    /// their number fits `share` of what the tag-read bucket sustains in a pass, more beyond it.
    pub fn tag_check_passes(&self, drift_interval: Duration, share: f64) -> u64 {
        let checked = self.active_revisions.state().families_asked(drift_interval);
        let per_pass = self
            .limits
            .sustained(Category::TagRead)
            .map(|rate| rate * drift_interval.as_secs_f64() * share);
        passes_for(checked, per_pass)
    }

    /// Whether a revision is ACTIVE, answered from a listing begun in the current drift pass of `drift_interval`
    /// that all its drift checks share (a pass asks about each family once).
    pub async fn is_active(&self, arn: &str, drift_interval: Duration) -> Result<bool, AwsError> {
        let active = &self.active_revisions;
        let family = family_of(arn).to_owned();
        // Asked again after each wait: the pass's age grows meanwhile, and its listing must still answer.
        let pass_age = || since_drift_tick(drift_interval);
        {
            let mut state = active.state();
            state.asked.insert(family.clone(), Instant::now());
            if let Some(answer) = state.answer(arn, pass_age()) {
                return Ok(answer);
            }
        }
        let window = drift_interval;
        if active.account_wide_is_cheaper(window) {
            let _one_at_a_time = active.account_wide.lock().await;
            if let Some(answer) = active.state().answer(arn, pass_age()) {
                return Ok(answer);
            }
            if self.list_account_wide(window).await?
                && let Some(answer) = active.state().answer(arn, pass_age())
            {
                return Ok(answer);
            }
        }
        let began = Instant::now();
        let mut arns: HashSet<String> = self
            .list_active_revisions(&family)
            .await?
            .into_iter()
            .collect();
        let mut state = active.state();
        state.replay(began, &mut arns, Some(&family));
        let answer = arns.contains(arn);
        state.families.insert(family, (began, arns));
        Ok(answer)
    }

    /// Lists the ACTIVE revisions of the whole account and Region, page after page, unless it takes more pages
    /// than the families asked about within `window` (then listing each of them is cheaper, and false is returned).
    async fn list_account_wide(&self, window: Duration) -> Result<bool, AwsError> {
        let began = Instant::now();
        let mut arns = HashSet::new();
        let mut token = None;
        let mut pages = 0;
        loop {
            if pages > 0 && pages >= self.active_revisions.state().families_asked(window) {
                self.active_revisions.state().account_pages = Some(pages + 1);
                return Ok(false);
            }
            let request = self
                .client
                .list_task_definitions()
                .status(TaskDefinitionStatus::Active)
                .set_next_token(token)
                .max_results(PAGE);
            let out = self
                .call("ListTaskDefinitions", || request.clone().send())
                .await?;
            pages += 1;
            arns.extend(out.task_definition_arns().iter().cloned());
            token = out.next_token().map(str::to_owned);
            if token.is_none() {
                let mut state = self.active_revisions.state();
                state.replay(began, &mut arns, None);
                state.account = Some((began, arns));
                state.account_pages = Some(pages);
                return Ok(true);
            }
        }
    }
}

/// Passes needed for `checked` reads at `per_pass` reads a pass (unlimited when None): at least one.
fn passes_for(checked: usize, per_pass: Option<f64>) -> u64 {
    match per_pass {
        Some(per_pass) if per_pass > 0.0 => (checked as f64 / per_pass).ceil().max(1.0) as u64,
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Tag reads that fit a pass are all made every pass; 3,000 at 300 a pass take ten passes.
    #[test]
    fn tag_reads_are_spread_over_passes_only_beyond_what_a_pass_sustains() {
        assert_eq!(passes_for(20, Some(600.0)), 1);
        assert_eq!(passes_for(600, Some(600.0)), 1);
        assert_eq!(passes_for(601, Some(600.0)), 2);
        assert_eq!(passes_for(3000, Some(300.0)), 10);
        assert_eq!(passes_for(3000, None), 1);
        assert_eq!(passes_for(0, Some(0.0)), 1);
    }

    const ARN: &str = "arn:aws:ecs:us-east-1:123456789012:task-definition/web:3";

    fn listed(ago: Duration) -> Listings {
        Listings {
            account: Some((Instant::now() - ago, HashSet::from([ARN.to_owned()]))),
            ..Listings::default()
        }
    }

    /// A drift pass of thousands of families can outlast half the drift interval: the listing it began with still
    /// answers its later checks (so it lists once), while one from the pass before never answers (so a change
    /// made outside Kubernetes before a pass began is seen by that pass).
    #[test]
    fn a_listing_answers_the_rest_of_its_pass_and_none_of_the_next() {
        let interval = Duration::from_secs(60);
        let this_pass = listed(Duration::from_secs(40));
        assert_eq!(this_pass.answer(ARN, Duration::from_secs(50)), Some(true));
        assert_eq!(this_pass.answer(ARN, Duration::from_secs(30)), None);
        let age = since_drift_tick(interval);
        assert!(age < interval.mul_f64(0.9), "{age:?}");
        let next = crate::reconcile::next_drift_check(interval);
        let off_by = (age + next)
            .as_millis()
            .abs_diff(interval.mul_f64(0.9).as_millis());
        assert!(
            off_by <= 5,
            "a pass's age and the time to the next are one period"
        );
    }
}
