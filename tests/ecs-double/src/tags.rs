//! Resource tags: ECS `[{key, value}]` lists, kept in insertion order, at most 50 per resource.

use serde_json::{Value, json};

use crate::protocol::ApiError;
use crate::request::Request;

/// ECS allows this many tags per resource.
const MAX_TAGS: usize = 50;

/// The tags of one resource.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Tags(Vec<(String, String)>);

impl Tags {
    /// The `[{key, value}]` member `name` of a request (absent: no tags).
    pub fn from_request(req: &Request, name: &str) -> Result<Self, ApiError> {
        let mut tags = Self::default();
        tags.merge(req, name)?;
        Ok(tags)
    }

    /// Adds or overwrites the tags of member `name` of a request.
    pub fn merge(&mut self, req: &Request, name: &str) -> Result<(), ApiError> {
        for tag in req.objects(name)?.unwrap_or_default() {
            let key = tag
                .get("key")
                .and_then(Value::as_str)
                .filter(|k| !k.is_empty());
            let Some(key) = key else {
                return Err(ApiError::invalid("Tag keys must not be empty."));
            };
            let value = match tag.get("value") {
                None | Some(Value::Null) => "",
                Some(Value::String(v)) => v,
                Some(_) => return Err(ApiError::client("Tag values must be strings.")),
            };
            match self.0.iter_mut().find(|(k, _)| k == key) {
                Some(existing) => existing.1 = value.to_owned(),
                None => self.0.push((key.to_owned(), value.to_owned())),
            }
        }
        if self.0.len() > MAX_TAGS {
            return Err(ApiError::invalid(format!(
                "The maximum number of tags per resource is {MAX_TAGS}."
            )));
        }
        Ok(())
    }

    /// Removes the tags with these keys.
    pub fn remove(&mut self, keys: &[String]) {
        self.0.retain(|(k, _)| !keys.contains(k));
    }

    pub fn to_json(&self) -> Value {
        Value::Array(
            self.0
                .iter()
                .map(|(key, value)| json!({"key": key, "value": value}))
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merges_overwrites_removes_and_limits() {
        let req =
            Request::parse(br#"{"tags": [{"key": "a", "value": "1"}, {"key": "b"}]}"#).unwrap();
        let mut tags = Tags::from_request(&req, "tags").unwrap();
        let again = Request::parse(br#"{"tags": [{"key": "a", "value": "2"}]}"#).unwrap();
        tags.merge(&again, "tags").unwrap();
        assert_eq!(
            tags.to_json(),
            json!([{"key": "a", "value": "2"}, {"key": "b", "value": ""}])
        );
        tags.remove(&["a".to_owned()]);
        assert_eq!(tags.to_json(), json!([{"key": "b", "value": ""}]));

        let many: Vec<Value> = (0..51).map(|i| json!({"key": format!("k{i}")})).collect();
        let body = serde_json::to_vec(&json!({"tags": many})).unwrap();
        let err = Tags::from_request(&Request::parse(&body).unwrap(), "tags").unwrap_err();
        assert_eq!(err.code, "InvalidParameterException");
        let bad = Request::parse(br#"{"tags": [{"value": "x"}]}"#).unwrap();
        assert!(Tags::from_request(&bad, "tags").is_err());
    }
}
