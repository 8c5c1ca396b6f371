//! Reading the members of an ECS request body: every wrong shape becomes a `ClientException`, never a panic.

use serde_json::{Map, Value};

use crate::protocol::ApiError;

/// The JSON object of one ECS request.
#[derive(Clone, Debug, Default)]
pub struct Request {
    body: Map<String, Value>,
}

fn wrong_type(name: &str, expected: &str) -> ApiError {
    ApiError::client(format!("Member {name} must be {expected}."))
}

impl Request {
    /// Parses a request body; an empty body is an empty object.
    pub fn parse(bytes: &[u8]) -> Result<Self, ApiError> {
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(Self::default());
        }
        match serde_json::from_slice(bytes) {
            Ok(Value::Object(body)) => Ok(Self { body }),
            Ok(_) => Err(ApiError::client("The request body must be a JSON object.")),
            Err(err) => Err(ApiError::client(format!(
                "The request body is not valid JSON: {err}"
            ))),
        }
    }

    /// The whole body.
    pub fn body(&self) -> &Map<String, Value> {
        &self.body
    }

    /// A member as it is, if present and not null.
    pub fn value(&self, name: &str) -> Option<&Value> {
        self.body.get(name).filter(|v| !v.is_null())
    }

    pub fn str(&self, name: &str) -> Result<Option<&str>, ApiError> {
        match self.value(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(wrong_type(name, "a string")),
        }
    }

    pub fn required_str(&self, name: &str) -> Result<&str, ApiError> {
        self.str(name)?
            .filter(|s| !s.is_empty())
            .ok_or_else(|| ApiError::client(format!("Member {name} is required.")))
    }

    pub fn int(&self, name: &str) -> Result<Option<i64>, ApiError> {
        match self.value(name) {
            None => Ok(None),
            Some(v) => v
                .as_i64()
                .map(Some)
                .ok_or_else(|| wrong_type(name, "an integer")),
        }
    }

    /// An integer member that must fit an ECS `Integer`.
    pub fn i32(&self, name: &str) -> Result<Option<i32>, ApiError> {
        self.int(name)?
            .map(|n| i32::try_from(n).map_err(|_| wrong_type(name, "a 32-bit integer")))
            .transpose()
    }

    pub fn bool(&self, name: &str) -> Result<Option<bool>, ApiError> {
        match self.value(name) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(wrong_type(name, "a boolean")),
        }
    }

    /// A list of strings.
    pub fn strings(&self, name: &str) -> Result<Option<Vec<String>>, ApiError> {
        match self.value(name) {
            None => Ok(None),
            Some(Value::Array(items)) => items
                .iter()
                .map(|item| {
                    item.as_str()
                        .map(str::to_owned)
                        .ok_or_else(|| wrong_type(name, "a list of strings"))
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
            Some(_) => Err(wrong_type(name, "a list of strings")),
        }
    }

    /// A list of JSON objects.
    pub fn objects(&self, name: &str) -> Result<Option<Vec<Value>>, ApiError> {
        match self.value(name) {
            None => Ok(None),
            Some(Value::Array(items)) if items.iter().all(Value::is_object) => {
                Ok(Some(items.clone()))
            }
            Some(_) => Err(wrong_type(name, "a list of objects")),
        }
    }

    /// Whether the `include` member asks for `field` (such as `TAGS`).
    pub fn includes(&self, field: &str) -> Result<bool, ApiError> {
        Ok(self
            .strings("include")?
            .is_some_and(|fields| fields.iter().any(|f| f == field)))
    }

    /// A JSON object member.
    pub fn object(&self, name: &str) -> Result<Option<&Map<String, Value>>, ApiError> {
        match self.value(name) {
            None => Ok(None),
            Some(Value::Object(map)) => Ok(Some(map)),
            Some(_) => Err(wrong_type(name, "an object")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_members_and_refuses_wrong_shapes() {
        let req =
            Request::parse(br#"{"a": "x", "n": 3, "b": true, "l": ["p"], "o": {}, "z": null}"#)
                .unwrap();
        assert_eq!(req.str("a").unwrap(), Some("x"));
        assert_eq!(req.i32("n").unwrap(), Some(3));
        assert_eq!(req.bool("b").unwrap(), Some(true));
        assert_eq!(req.strings("l").unwrap(), Some(vec!["p".to_owned()]));
        assert!(req.object("o").unwrap().is_some());
        assert_eq!(req.str("z").unwrap(), None);
        assert_eq!(req.str("n").unwrap_err().code, "ClientException");
        assert!(req.required_str("missing").is_err());
        assert!(req.objects("l").is_err());
        let include = Request::parse(br#"{"include": ["TAGS"]}"#).unwrap();
        assert!(include.includes("TAGS").unwrap());
        assert!(!include.includes("SETTINGS").unwrap());
        assert!(Request::parse(b"[1]").is_err());
        assert!(Request::parse(b"{").is_err());
        assert!(Request::parse(b"").unwrap().body().is_empty());
    }
}
