//! List pages: `maxResults` (1 to 100) and opaque `nextToken`s that carry the sort key of the last item
//! returned, so a page boundary stays put when items are added or removed between calls.

use serde_json::{Map, Value};

use crate::protocol::ApiError;
use crate::request::Request;

/// One item of a list: the key it is sorted by, and what the answer shows (an ARN).
pub struct Entry {
    pub key: String,
    pub arn: String,
}

/// Answers one page of `entries` (in any order) as `{items_member: [...], nextToken?}`.
/// `default_max` is the page size when the request has no `maxResults`.
pub fn page(
    req: &Request,
    mut entries: Vec<Entry>,
    descending: bool,
    default_max: usize,
    items_member: &str,
) -> Result<Value, ApiError> {
    let max = match req.int("maxResults")? {
        None => default_max,
        Some(n @ 1..=100) => n as usize,
        Some(_) => {
            return Err(ApiError::invalid("maxResults must be between 1 and 100."));
        }
    };
    entries.sort_by(|a, b| a.key.cmp(&b.key));
    if descending {
        entries.reverse();
    }
    let start = match req.str("nextToken")? {
        None => 0,
        Some(token) => {
            let last = decode(token).ok_or_else(|| ApiError::invalid("Invalid nextToken."))?;
            entries
                .iter()
                .position(|e| {
                    if descending {
                        e.key < last
                    } else {
                        e.key > last
                    }
                })
                .unwrap_or(entries.len())
        }
    };
    let end = (start + max).min(entries.len());
    let mut out = Map::new();
    out.insert(
        items_member.to_owned(),
        Value::Array(
            entries[start..end]
                .iter()
                .map(|e| Value::String(e.arn.clone()))
                .collect(),
        ),
    );
    if end < entries.len() && end > start {
        out.insert(
            "nextToken".into(),
            Value::String(encode(&entries[end - 1].key)),
        );
    }
    Ok(Value::Object(out))
}

fn encode(key: &str) -> String {
    key.bytes().map(|b| format!("{b:02x}")).collect()
}

fn decode(token: &str) -> Option<String> {
    if !token.len().is_multiple_of(2) || !token.is_ascii() {
        return None;
    }
    let bytes = (0..token.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&token[i..i + 2], 16).ok())
        .collect::<Option<Vec<u8>>>()?;
    String::from_utf8(bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn entries(n: usize) -> Vec<Entry> {
        (0..n)
            .map(|i| Entry {
                key: format!("{i:04}"),
                arn: format!("arn-{i}"),
            })
            .collect()
    }

    fn request(body: Value) -> Request {
        Request::parse(body.to_string().as_bytes()).unwrap()
    }

    fn walk(n: usize, max: i64, descending: bool) -> Vec<String> {
        let mut seen = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut body = json!({"maxResults": max});
            if let Some(t) = &token {
                body["nextToken"] = json!(t);
            }
            let out = page(&request(body), entries(n), descending, 100, "items").unwrap();
            seen.extend(
                out["items"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|v| v.as_str().unwrap().to_owned()),
            );
            match out.get("nextToken") {
                Some(t) => token = Some(t.as_str().unwrap().to_owned()),
                None => return seen,
            }
        }
    }

    #[test]
    fn walks_all_items_once_in_order() {
        let all = walk(250, 100, false);
        assert_eq!(all.len(), 250);
        assert_eq!(all[0], "arn-0");
        assert_eq!(all[249], "arn-249");
        let down = walk(250, 30, true);
        assert_eq!(down.first().map(String::as_str), Some("arn-249"));
        assert_eq!(down.len(), 250);
        assert_eq!(walk(100, 100, false).len(), 100);
        assert!(walk(0, 10, false).is_empty());
    }

    #[test]
    fn a_full_last_page_has_no_token_and_the_default_size_applies() {
        let out = page(&request(json!({})), entries(100), false, 100, "items").unwrap();
        assert!(out.get("nextToken").is_none());
        let out = page(&request(json!({})), entries(11), false, 10, "items").unwrap();
        assert_eq!(out["items"].as_array().unwrap().len(), 10);
        assert!(out.get("nextToken").is_some());
    }

    #[test]
    fn a_token_survives_removed_items() {
        let first = page(
            &request(json!({"maxResults": 2})),
            entries(5),
            false,
            100,
            "i",
        )
        .unwrap();
        let token = first["nextToken"].clone();
        // The last item of the first page is gone now.
        let rest: Vec<Entry> = entries(5).into_iter().filter(|e| e.key != "0001").collect();
        let next = page(
            &request(json!({"nextToken": token, "maxResults": 10})),
            rest,
            false,
            100,
            "i",
        )
        .unwrap();
        assert_eq!(next["i"], json!(["arn-2", "arn-3", "arn-4"]));
    }

    #[test]
    fn refuses_bad_sizes_and_tokens() {
        for bad in [
            json!({"maxResults": 0}),
            json!({"maxResults": 101}),
            json!({"nextToken": "zz"}),
        ] {
            let err = page(&request(bad), entries(3), false, 100, "i").unwrap_err();
            assert_eq!(err.code, "InvalidParameterException");
        }
    }
}
