//! Which AWS account and region an object lives in. The account is the one `EcsAccount` bound to the object's
//! namespace (none: the operator's own; two or more: `AmbiguousAccount`), the region `spec.region` or the
//! account's default. Both are recorded in status when the object is first reconciled and never change
//! silently afterwards: a later change of binding or region is `Synced=False` with what to do.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::api::EcsAccount;
use kube::{Resource, ResourceExt};

use super::Error;

/// `status.account` of an object in the operator's own account (no `EcsAccount` is bound to its namespace);
/// parentheses keep it apart from every object name.
pub const OWN_ACCOUNT: &str = "(operator)";

/// What binds a namespace to an account right now.
#[derive(Clone, Debug)]
pub enum Binding {
    /// No `EcsAccount` selects the namespace: the operator's own account.
    Own,
    /// Exactly one does.
    Account(Arc<EcsAccount>),
    /// Several do (their names, sorted).
    Ambiguous(Vec<String>),
}

impl Binding {
    /// The `EcsAccount`s selecting the namespace `name` with `labels`.
    pub fn of(name: &str, labels: &BTreeMap<String, String>, accounts: &[Arc<EcsAccount>]) -> Self {
        let mut bound: Vec<&Arc<EcsAccount>> = accounts
            .iter()
            .filter(|a| a.meta().deletion_timestamp.is_none())
            .filter(|a| a.spec.namespace_selector.binds(name, labels))
            .collect();
        bound.sort_by_key(|a| a.name_any());
        match bound.as_slice() {
            [] => Binding::Own,
            [one] => Binding::Account((*one).clone()),
            many => Binding::Ambiguous(many.iter().map(|a| a.name_any()).collect()),
        }
    }

    /// The value `status.account` records for this binding.
    pub fn account_name(&self) -> String {
        match self {
            Binding::Account(account) => account.name_any(),
            _ => OWN_ACCOUNT.to_owned(),
        }
    }
}

/// Where an object's ECS objects live.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Placement {
    /// The `EcsAccount`'s name, or [`OWN_ACCOUNT`].
    pub account: String,
    pub region: String,
}

/// What the object itself says: its recorded placement and its `spec.region`.
pub struct Request<'a> {
    pub namespace: &'a str,
    pub recorded_account: Option<&'a str>,
    pub recorded_region: Option<&'a str>,
    /// Whether the object was reconciled before (an object from before accounts existed records none: it lives in
    /// the operator's own account and region).
    pub reconciled_before: bool,
    pub spec_region: Option<&'a str>,
}

/// Decides the object's placement from its request, the namespace's binding and the operator's own region.
pub fn place(
    request: &Request<'_>,
    binding: &Binding,
    own_region: &str,
) -> Result<Placement, Error> {
    let namespace = request.namespace;
    if let Binding::Ambiguous(names) = binding {
        return Err(Error::Account(
            "AmbiguousAccount",
            format!(
                "namespace {namespace} is bound to several EcsAccounts ({}): a cluster administrator must change \
                 their namespaceSelectors so that at most one selects it",
                names.join(", ")
            ),
        ));
    }
    let current = binding.account_name();
    let legacy = request.recorded_account.is_none() && request.reconciled_before;
    let recorded_account = match legacy {
        true => Some(OWN_ACCOUNT),
        false => request.recorded_account,
    };
    let recorded_region = match legacy {
        true => request.recorded_region.or(Some(own_region)),
        false => request.recorded_region,
    };
    if let Some(recorded) = recorded_account
        && recorded != current
    {
        return Err(Error::Account(
            "AccountChanged",
            format!(
                "this object lives in account {recorded} (status.account), but namespace {namespace} is now bound \
                 to {}: it is not moved. Bind the namespace to {recorded} again, or move it yourself: delete this \
                 object (with deletionPolicy Retain to keep its ECS objects) and create it again",
                describe(&current)
            ),
        ));
    }
    let allowed: Vec<&str> = match binding {
        Binding::Account(account) => account.spec.regions.iter().map(String::as_str).collect(),
        _ => vec![own_region],
    };
    let region = match (recorded_region, request.spec_region) {
        (Some(recorded), Some(asked)) if recorded != asked => {
            return Err(Error::InvalidSpec(format!(
                "spec.region is create-only: this object lives in {recorded} (status.region); set spec.region back \
                 to {recorded} or remove it, or create a new object for {asked}"
            )));
        }
        (Some(recorded), _) => recorded,
        (None, Some(asked)) => asked,
        (None, None) => allowed.first().copied().unwrap_or(own_region),
    };
    if !allowed.contains(&region) {
        let whose = match binding {
            Binding::Account(account) => format!("EcsAccount {} allows", account.name_any()),
            _ => format!(
                "namespace {namespace} is bound to no EcsAccount, and the operator's own account serves"
            ),
        };
        let field = match recorded_region {
            Some(_) => "status.region",
            None => "spec.region",
        };
        return Err(Error::InvalidSpec(format!(
            "{field} \"{region}\" is not allowed here: {whose} only {}",
            allowed.join(", ")
        )));
    }
    Ok(Placement {
        account: current,
        region: region.to_owned(),
    })
}

fn describe(account: &str) -> String {
    match account {
        OWN_ACCOUNT => "no EcsAccount (the operator's own account)".to_owned(),
        name => format!("EcsAccount {name}"),
    }
}

/// Refuses an ECS ARN (a cluster, a task definition) of another account or region than `account_id` /
/// `region`; names and ARNs of the same place pass. `account_id` is unknown for the operator's own account
/// before its first look-up: then only the region is compared.
pub fn check_arn_place(
    field: &str,
    value: &str,
    account_id: Option<&str>,
    region: &str,
) -> Result<(), Error> {
    let parts: Vec<&str> = value.split(':').collect();
    if parts.len() < 6 || parts[0] != "arn" {
        return Ok(());
    }
    let (arn_region, arn_account) = (parts[3], parts[4]);
    if arn_region != region || account_id.is_some_and(|id| id != arn_account) {
        return Err(Error::InvalidSpec(format!(
            "{field} \"{value}\" is in account {arn_account}, region {arn_region}; this object lives in {}region \
             {region}: references must be in the same account and region",
            account_id
                .map(|id| format!("account {id}, "))
                .unwrap_or_default()
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::EcsAccountSpec;
    use crate::api::account::NamespaceSelector;

    fn account(name: &str, namespaces: &[&str], regions: &[&str]) -> Arc<EcsAccount> {
        let mut account = EcsAccount::new(
            name,
            EcsAccountSpec {
                role_arn: "arn:aws:iam::111122223333:role/ecs".into(),
                regions: regions.iter().map(|r| r.to_string()).collect(),
                namespace_selector: NamespaceSelector {
                    match_names: namespaces.iter().map(|n| n.to_string()).collect(),
                    ..Default::default()
                },
                ..Default::default()
            },
        );
        account.metadata.name = Some(name.into());
        Arc::new(account)
    }

    fn new_object<'a>(spec_region: Option<&'a str>) -> Request<'a> {
        Request {
            namespace: "team-a",
            recorded_account: None,
            recorded_region: None,
            reconciled_before: false,
            spec_region,
        }
    }

    fn refusal(err: Error) -> (&'static str, String) {
        (err.reason(), err.to_string())
    }

    #[test]
    fn a_namespace_uses_the_one_account_bound_to_it_or_the_operators_own() {
        let accounts = [account("a", &["team-a"], &["eu-west-1", "us-east-1"])];
        let binding = Binding::of("team-a", &BTreeMap::new(), &accounts);
        let placed = place(&new_object(None), &binding, "us-west-2").unwrap();
        assert_eq!(
            (placed.account.as_str(), placed.region.as_str()),
            ("a", "eu-west-1")
        );
        let placed = place(&new_object(Some("us-east-1")), &binding, "us-west-2").unwrap();
        assert_eq!(placed.region, "us-east-1");
        let unbound = Binding::of("team-b", &BTreeMap::new(), &accounts);
        let placed = place(&new_object(None), &unbound, "us-west-2").unwrap();
        assert_eq!(
            (placed.account.as_str(), placed.region.as_str()),
            (OWN_ACCOUNT, "us-west-2")
        );
    }

    #[test]
    fn two_bindings_are_ambiguous() {
        let accounts = [
            account("a", &["team-a"], &["eu-west-1"]),
            account("b", &["team-a"], &["eu-west-1"]),
        ];
        let binding = Binding::of("team-a", &BTreeMap::new(), &accounts);
        let (reason, message) =
            refusal(place(&new_object(None), &binding, "us-west-2").unwrap_err());
        assert_eq!(reason, "AmbiguousAccount");
        assert!(message.contains("(a, b)"), "{message}");
    }

    #[test]
    fn a_region_the_account_does_not_allow_is_refused() {
        let accounts = [account("a", &["team-a"], &["eu-west-1"])];
        let binding = Binding::of("team-a", &BTreeMap::new(), &accounts);
        let (reason, message) =
            refusal(place(&new_object(Some("ap-south-1")), &binding, "us-west-2").unwrap_err());
        assert_eq!(reason, "InvalidSpec");
        assert!(
            message.contains("spec.region \"ap-south-1\"") && message.contains("eu-west-1"),
            "{message}"
        );
        let own = place(&new_object(Some("eu-west-1")), &Binding::Own, "us-west-2").unwrap_err();
        assert!(own.to_string().contains("bound to no EcsAccount"), "{own}");
    }

    #[test]
    fn a_recorded_account_never_moves_silently() {
        let accounts = [account("b", &["team-a"], &["eu-west-1"])];
        let binding = Binding::of("team-a", &BTreeMap::new(), &accounts);
        let recorded = Request {
            recorded_account: Some("a"),
            recorded_region: Some("eu-west-1"),
            reconciled_before: true,
            ..new_object(None)
        };
        let (reason, message) = refusal(place(&recorded, &binding, "us-west-2").unwrap_err());
        assert_eq!(reason, "AccountChanged");
        assert!(
            message.contains("account a") && message.contains("EcsAccount b"),
            "{message}"
        );
        // An object from before accounts existed lives in the operator's own account.
        let legacy = Request {
            reconciled_before: true,
            ..new_object(None)
        };
        let (reason, _) = refusal(place(&legacy, &binding, "us-west-2").unwrap_err());
        assert_eq!(reason, "AccountChanged");
        let placed = place(&legacy, &Binding::Own, "us-west-2").unwrap();
        assert_eq!(
            (placed.account.as_str(), placed.region.as_str()),
            (OWN_ACCOUNT, "us-west-2")
        );
    }

    #[test]
    fn a_recorded_region_is_kept_and_spec_region_cannot_change_it() {
        let recorded = Request {
            recorded_account: Some(OWN_ACCOUNT),
            recorded_region: Some("us-west-2"),
            reconciled_before: true,
            ..new_object(Some("eu-west-1"))
        };
        let err = place(&recorded, &Binding::Own, "us-west-2").unwrap_err();
        assert!(err.to_string().contains("create-only"), "{err}");
    }

    #[test]
    fn arns_of_another_account_or_region_are_refused() {
        let arn = "arn:aws:ecs:eu-west-1:111122223333:cluster/web";
        assert!(check_arn_place("spec.cluster", arn, Some("111122223333"), "eu-west-1").is_ok());
        assert!(check_arn_place("spec.cluster", "web", Some("111122223333"), "eu-west-1").is_ok());
        let err =
            check_arn_place("spec.cluster", arn, Some("444455556666"), "eu-west-1").unwrap_err();
        assert!(err.to_string().contains("same account and region"), "{err}");
        assert!(check_arn_place("spec.cluster", arn, None, "us-east-1").is_err());
    }
}
