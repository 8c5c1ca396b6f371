//! One door per (account, region): the operator's own ECS client, and for each `EcsAccount` credentials from
//! STS AssumeRole (aws-config's assume-role provider, from the operator's own identity; cached and refreshed before
//! expiry by the SDK's identity cache, one cache entry per account shared by all its regions), with its own ECS
//! and Application Auto Scaling clients and token buckets per region, so that one busy account never slows another.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use aws_config::SdkConfig;
use aws_config::sts::AssumeRoleProvider;
use aws_sdk_ecs::config::SharedCredentialsProvider;

use super::{Ecs, EcsSettings};
use crate::api::account::{ACCOUNT_SESSION_TAG, EcsAccountSpec};
use crate::metrics::Metrics;

/// How long the operator waits for STS to say its own account ID before going on without it.
const STS_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// The doors of all accounts and regions, built on first use.
pub struct Accounts {
    /// The operator's own door, in its own region.
    own: Ecs,
    /// The operator's own configuration: the identity roles are assumed from.
    base: Option<SdkConfig>,
    settings: EcsSettings,
    metrics: Arc<Metrics>,
    /// Per `EcsAccount` name: the spec its credentials were built from, and those credentials.
    credentials: Mutex<HashMap<String, (EcsAccountSpec, SdkConfig)>>,
    /// Per (`EcsAccount` name, region): the door, and the spec it was built from.
    doors: Mutex<HashMap<(String, String), (EcsAccountSpec, Ecs)>>,
    /// The operator's own account ID, asked of STS once (`None` when STS did not answer).
    own_account_id: tokio::sync::OnceCell<Option<String>>,
}

impl Accounts {
    /// Only the operator's own door (tests and benchmarks against one account, its ID unknown); an `EcsAccount`
    /// gets the own door's settings with assumed credentials.
    pub fn own_only(own: Ecs, settings: EcsSettings, metrics: Arc<Metrics>) -> Self {
        Self {
            own,
            base: None,
            settings,
            metrics,
            credentials: Mutex::default(),
            doors: Mutex::default(),
            own_account_id: tokio::sync::OnceCell::new(),
        }
    }

    /// The operator's own door and the configuration other accounts' roles are assumed from.
    pub fn new(own: Ecs, base: SdkConfig, settings: EcsSettings, metrics: Arc<Metrics>) -> Self {
        Self {
            base: Some(base),
            ..Self::own_only(own, settings, metrics)
        }
    }

    /// The operator's own door.
    pub fn own(&self) -> &Ecs {
        &self.own
    }

    /// The operator's own AWS account ID (GetCallerIdentity, which needs no permission), asked once; never with
    /// only the own door (tests and benchmarks against a test double without STS).
    pub async fn own_account_id(&self) -> Option<String> {
        let base = self.base.as_ref()?;
        self.own_account_id
            .get_or_init(|| async {
                let sts = aws_sdk_sts::Client::new(base);
                let asked = tokio::time::timeout(STS_TIMEOUT, sts.get_caller_identity().send()).await;
                match asked {
                    Ok(Ok(identity)) => identity.account,
                    Ok(Err(err)) => {
                        tracing::warn!(error = %aws_sdk_sts::error::DisplayErrorContext(&err), "cannot learn the operator's own account ID: references are checked by region only");
                        None
                    }
                    Err(_) => {
                        tracing::warn!("STS did not answer GetCallerIdentity within {STS_TIMEOUT:?}: references are checked by region only");
                        None
                    }
                }
            })
            .await
            .clone()
    }

    /// The door of the `EcsAccount` `name` (with `spec`) in `region`; a changed spec builds new credentials and
    /// doors for it.
    pub async fn door(&self, name: &str, spec: &EcsAccountSpec, region: &str) -> Ecs {
        let key = (name.to_owned(), region.to_owned());
        if let Some((built_for, door)) = lock(&self.doors).get(&key)
            && built_for == spec
        {
            return door.clone();
        }
        let credentials = self.credentials(name, spec).await;
        let config = credentials
            .into_builder()
            .region(aws_config::Region::new(region.to_owned()))
            .build();
        let door = Ecs::for_account(name, &config, &self.settings, self.metrics.clone());
        lock(&self.doors).insert(key, (spec.clone(), door.clone()));
        door
    }

    /// The configuration with the account's assumed-role credentials, shared by all its regions so that the
    /// SDK's identity cache assumes the role once per account.
    async fn credentials(&self, name: &str, spec: &EcsAccountSpec) -> SdkConfig {
        if let Some((built_for, config)) = lock(&self.credentials).get(name)
            && built_for == spec
        {
            return config.clone();
        }
        let base = match &self.base {
            Some(base) => base.clone(),
            None => super::base_config(&self.settings).await,
        };
        let mut tags = spec.session_tags.clone();
        tags.insert(ACCOUNT_SESSION_TAG.to_owned(), name.to_owned());
        let mut role = AssumeRoleProvider::builder(&spec.role_arn)
            .configure(&base)
            .session_name(session_name(name))
            .tags(tags);
        if let Some(external_id) = &spec.external_id {
            role = role.external_id(external_id);
        }
        let provider = SharedCredentialsProvider::new(role.build().await);
        let config = base.into_builder().credentials_provider(provider).build();
        lock(&self.credentials).insert(name.to_owned(), (spec.clone(), config.clone()));
        config
    }
}

/// The role session name, seen in the account's CloudTrail: `ecs-bridge-<account object>`, within STS's 64
/// characters of `[\w+=,.@-]`.
fn session_name(account: &str) -> String {
    let name: String = format!("ecs-bridge-{account}")
        .chars()
        .map(
            |c| match c.is_ascii_alphanumeric() || "+=,.@-_".contains(c) {
                true => c,
                false => '-',
            },
        )
        .take(64)
        .collect();
    name
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_names_fit_sts() {
        assert_eq!(session_name("team-a"), "ecs-bridge-team-a");
        assert_eq!(session_name(&"x".repeat(80)).len(), 64);
    }
}
