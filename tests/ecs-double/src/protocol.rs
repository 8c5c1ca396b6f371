//! The awsJson1_1 wire format of ECS: the operation in `X-Amz-Target`, JSON answers, errors as
//! `{"__type", "message"}`, and an `x-amzn-RequestId` header on every answer.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// The prefix of `X-Amz-Target` for ECS operations.
const TARGET_PREFIX: &str = "AmazonEC2ContainerServiceV20141113.";
/// The prefix of `X-Amz-Target` for Application Auto Scaling operations (same awsJson1_1 protocol).
const SCALING_TARGET_PREFIX: &str = "AnyScaleFrontendService.";

/// An ECS error answer.
#[derive(Clone, Debug, PartialEq)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    /// Members the error shape has besides the message (such as a ConflictException's `resourceIds`).
    pub members: serde_json::Map<String, Value>,
}

impl ApiError {
    /// An HTTP 400 error with ECS error code `code`.
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            code,
            message: message.into(),
            members: serde_json::Map::new(),
        }
    }

    pub fn client(message: impl Into<String>) -> Self {
        Self::new("ClientException", message)
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new("InvalidParameterException", message)
    }

    pub fn cluster_not_found() -> Self {
        Self::new("ClusterNotFoundException", "Cluster not found.")
    }

    /// This error with one more member of its shape.
    pub fn with(mut self, member: &str, value: Value) -> Self {
        self.members.insert(member.to_owned(), value);
        self
    }

    pub fn throttled() -> Self {
        Self::new("ThrottlingException", "Rate exceeded")
    }

    /// An HTTP 500 `ServerException`.
    pub fn server(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            code: "ServerException",
            message: message.into(),
            members: serde_json::Map::new(),
        }
    }
}

/// What an operation answers: the JSON output, or an error.
pub type OpResult = Result<Value, ApiError>;

/// The ECS (or Application Auto Scaling) operation named by `X-Amz-Target`, if the header is there and names one.
pub fn operation(headers: &HeaderMap) -> Option<&str> {
    let target = headers.get("x-amz-target")?.to_str().ok()?;
    target
        .strip_prefix(TARGET_PREFIX)
        .or_else(|| target.strip_prefix(SCALING_TARGET_PREFIX))
        .filter(|op| !op.is_empty())
}

/// The HTTP answer for `result`, carrying `request_id`.
pub fn answer(result: OpResult, request_id: &str) -> Response {
    let (status, body) = match result {
        Ok(body) => (StatusCode::OK, body),
        Err(err) => {
            let mut body = err.members;
            body.insert("__type".into(), json!(err.code));
            body.insert("message".into(), json!(err.message));
            (err.status, Value::Object(body))
        }
    };
    let mut response = (status, body.to_string()).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/x-amz-json-1.1"),
    );
    if let Ok(id) = HeaderValue::from_str(request_id) {
        headers.insert("x-amzn-requestid", id);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_operation_from_the_target_header() {
        let mut headers = HeaderMap::new();
        assert_eq!(operation(&headers), None);
        headers.insert(
            "x-amz-target",
            HeaderValue::from_static("AmazonEC2ContainerServiceV20141113.ListClusters"),
        );
        assert_eq!(operation(&headers), Some("ListClusters"));
        headers.insert(
            "x-amz-target",
            HeaderValue::from_static("DynamoDB_20120810.GetItem"),
        );
        assert_eq!(operation(&headers), None);
    }

    #[test]
    fn an_error_answer_has_type_message_and_request_id() {
        let response = answer(Err(ApiError::throttled()), "r-1");
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        assert_eq!(response.headers()["x-amzn-requestid"], "r-1");
        let response = answer(Err(ApiError::server("boom")), "r-2");
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    }
}
