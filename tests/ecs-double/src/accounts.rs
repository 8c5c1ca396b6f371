//! AWS accounts: each account, told by the access key a request is signed with, has an ECS of its own (objects,
//! token buckets, counters), since ECS throttles each account per Region (catalogue entry 105). STS, served at the
//! same endpoint (`AWS_ENDPOINT_URL_STS`), hands out credentials for `AssumeRole` whose access key names the
//! role's account, and `GetCallerIdentity` answers the caller's account (entry 106). A request signed with any
//! other key acts in the default account, [`ACCOUNT`]. ARNs name [`ACCOUNT`] in every account.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::app::App;
use crate::settings::Settings;
use crate::state::ACCOUNT;

/// How long assumed-role credentials last (STS's default for AssumeRole).
const SESSION_SECONDS: u64 = 3600;

/// The ECS of every account, made on first use with the default account's settings of the moment.
pub struct Accounts {
    default: Arc<App>,
    others: Mutex<BTreeMap<String, Arc<App>>>,
}

impl Accounts {
    pub fn new(settings: Settings) -> Self {
        Self {
            default: Arc::new(App::new(settings)),
            others: Mutex::default(),
        }
    }

    /// The ECS of `account` (the default account's for [`ACCOUNT`]).
    pub fn app(&self, account: &str) -> Arc<App> {
        if account == ACCOUNT {
            return self.default.clone();
        }
        let mut others = self.others.lock().unwrap_or_else(PoisonError::into_inner);
        others
            .entry(account.to_owned())
            .or_insert_with(|| Arc::new(App::new(self.default.settings())))
            .clone()
    }

    /// Every account's ECS, the default account's first.
    pub fn all(&self) -> Vec<Arc<App>> {
        let others = self.others.lock().unwrap_or_else(PoisonError::into_inner);
        std::iter::once(self.default.clone())
            .chain(others.values().cloned())
            .collect()
    }

    /// One ECS or STS call, in the account of its access key.
    pub async fn handle(&self, headers: &HeaderMap, body: &[u8]) -> Response {
        let account = caller_account(headers);
        if headers.get("x-amz-target").is_none() && body.starts_with(b"Action=") {
            return sts(&account, &String::from_utf8_lossy(body));
        }
        self.app(&account).handle(headers, body).await
    }
}

/// The account of the access key in the request's SigV4 `Authorization` header (`Credential=KEY/...`): the
/// twelve digits after `ASIA` of a key this STS handed out, else the default account.
fn caller_account(headers: &HeaderMap) -> String {
    let key = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split("Credential=").nth(1))
        .and_then(|v| v.split('/').next())
        .unwrap_or_default();
    key_account(key).unwrap_or(ACCOUNT).to_owned()
}

fn key_account(key: &str) -> Option<&str> {
    let digits = key.strip_prefix("ASIA")?.get(..12)?;
    digits.bytes().all(|b| b.is_ascii_digit()).then_some(digits)
}

/// STS's query protocol: `AssumeRole` and `GetCallerIdentity`.
fn sts(caller: &str, form: &str) -> Response {
    let field = |name: &str| {
        form.split('&')
            .find_map(|pair| pair.strip_prefix(&format!("{name}=")))
            .map(percent_decode)
    };
    let action = field("Action").unwrap_or_default();
    let body = match action.as_str() {
        "GetCallerIdentity" => format!(
            "<GetCallerIdentityResult><Arn>arn:aws:iam::{caller}:user/double</Arn><UserId>AIDADOUBLE</UserId>\
             <Account>{caller}</Account></GetCallerIdentityResult>"
        ),
        "AssumeRole" => {
            let role = field("RoleArn").unwrap_or_default();
            let Some(account) = role
                .split(':')
                .nth(4)
                .filter(|a| key_account(&format!("ASIA{a}")).is_some())
            else {
                return sts_error("ValidationError", &format!("invalid RoleArn {role}"));
            };
            let session = field("RoleSessionName").unwrap_or_default();
            let role_name = role.rsplit('/').next().unwrap_or_default();
            let expires = iso8601(
                SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .unwrap_or_default()
                    .as_secs()
                    + SESSION_SECONDS,
            );
            format!(
                "<AssumeRoleResult><Credentials><AccessKeyId>ASIA{account}DBLE</AccessKeyId>\
                 <SecretAccessKey>double</SecretAccessKey><SessionToken>double-{account}</SessionToken>\
                 <Expiration>{expires}</Expiration></Credentials><AssumedRoleUser>\
                 <AssumedRoleId>AROADOUBLE:{session}</AssumedRoleId>\
                 <Arn>arn:aws:sts::{account}:assumed-role/{role_name}/{session}</Arn></AssumedRoleUser>\
                 </AssumeRoleResult>"
            )
        }
        other => return sts_error("InvalidAction", &format!("the double's STS has no {other}")),
    };
    let xml = format!(
        "<{action}Response xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">{body}\
         <ResponseMetadata><RequestId>double</RequestId></ResponseMetadata></{action}Response>"
    );
    (StatusCode::OK, [(header::CONTENT_TYPE, "text/xml")], xml).into_response()
}

fn sts_error(code: &str, message: &str) -> Response {
    let xml = format!(
        "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type>\
         <Code>{code}</Code><Message>{message}</Message></Error><RequestId>double</RequestId></ErrorResponse>"
    );
    (
        StatusCode::BAD_REQUEST,
        [(header::CONTENT_TYPE, "text/xml")],
        xml,
    )
        .into_response()
}

fn percent_decode(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 3;
                        continue;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b'+' => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `YYYY-MM-DDTHH:MM:SSZ` of seconds since the epoch (civil-from-days).
fn iso8601(seconds: u64) -> String {
    let days = (seconds / 86_400) as i64;
    let rest = seconds % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_assumed_roles_key_names_its_account_and_other_keys_the_default() {
        assert_eq!(key_account("ASIA111111111111DBLE"), Some("111111111111"));
        assert_eq!(key_account("testing"), None);
        assert_eq!(key_account("ASIAXYZ"), None);
        assert_eq!(iso8601(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso8601(1_764_892_800), "2025-12-05T00:00:00Z");
        assert_eq!(
            percent_decode("arn%3Aaws%3Aiam%3A%3A1%3Arole%2Fx"),
            "arn:aws:iam::1:role/x"
        );
    }
}
