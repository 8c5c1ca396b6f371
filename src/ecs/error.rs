//! AWS errors in the terms the controllers need: what kind of failure, ECS's code, message and request id.

use std::fmt;

use aws_sdk_ecs::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_ecs::operation::RequestId;
use aws_smithy_runtime_api::http::Response;

/// What kind of failure an AWS call had, which decides the condition reason and the retry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AwsErrorKind {
    /// The account's API rate limit was hit (`ThrottlingException`).
    Throttled,
    /// The credentials may not perform the action.
    AccessDenied,
    /// The object does not exist (for example `ClusterNotFoundException`).
    NotFound,
    /// ECS refused the request as invalid (`ClientException`, `InvalidParameterException`, ...).
    Rejected,
    /// A 5xx, a time-out or a connection failure: worth retrying.
    Transient,
    /// The request could not be built from the spec.
    Conversion,
}

/// A failed ECS call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AwsError {
    pub kind: AwsErrorKind,
    /// The ECS operation, such as `CreateCluster`.
    pub operation: &'static str,
    /// ECS's error code, such as `ClientException`.
    pub code: Option<String>,
    pub message: String,
    pub request_id: Option<String>,
}

impl AwsError {
    /// A spec value that could not be turned into an ECS request.
    pub fn conversion(message: String) -> Self {
        Self {
            kind: AwsErrorKind::Conversion,
            operation: "convert",
            code: None,
            message,
            request_id: None,
        }
    }

    /// An error for `operation` built from ECS's own error code and message.
    pub fn from_code(
        operation: &'static str,
        code: Option<&str>,
        message: String,
        request_id: Option<String>,
    ) -> Self {
        let kind = match code {
            Some(
                "ThrottlingException"
                | "Throttling"
                | "TooManyRequestsException"
                | "RequestLimitExceeded",
            ) => AwsErrorKind::Throttled,
            Some("AccessDeniedException" | "AccessDenied" | "UnrecognizedClientException") => {
                AwsErrorKind::AccessDenied
            }
            Some(
                "ClusterNotFoundException"
                | "ServiceNotFoundException"
                | "ResourceNotFoundException"
                | "TaskDefinitionNotFoundException"
                | "ObjectNotFoundException"
                | "GatewayNotFoundException"
                | "DaemonNotFoundException",
            ) => AwsErrorKind::NotFound,
            Some(
                "ServerException"
                | "ServiceUnavailableException"
                | "InternalFailure"
                | "ServiceUnavailable"
                | "InternalServiceException"
                | "ConcurrentUpdateException",
            ) => AwsErrorKind::Transient,
            _ => AwsErrorKind::Rejected,
        };
        Self {
            kind,
            operation,
            code: code.map(str::to_owned),
            message,
            request_id,
        }
    }

    /// Maps an SDK error of `operation`.
    pub fn from_sdk<E>(operation: &'static str, err: SdkError<E, Response>) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        let request_id = err.request_id().map(str::to_owned);
        match &err {
            SdkError::ServiceError(service) => {
                let status = service.raw().status().as_u16();
                let inner = service.err();
                let message = inner.message().unwrap_or("no message").to_owned();
                let mut mapped = Self::from_code(operation, inner.code(), message, request_id);
                if status >= 500 && mapped.kind == AwsErrorKind::Rejected {
                    mapped.kind = AwsErrorKind::Transient;
                }
                mapped
            }
            _ => Self {
                // A request that could not be built is our fault; anything else (time-out, connection) passes.
                kind: match err {
                    SdkError::ConstructionFailure(_) => AwsErrorKind::Conversion,
                    _ => AwsErrorKind::Transient,
                },
                operation,
                code: None,
                message: format!(
                    "{}",
                    aws_smithy_types::error::display::DisplayErrorContext(&err)
                ),
                request_id,
            },
        }
    }
}

impl fmt::Display for AwsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let service = if super::limits::Category::of(self.operation).is_scaling() {
            "Application Auto Scaling"
        } else {
            "ECS"
        };
        write!(f, "{service} {} failed", self.operation)?;
        if let Some(code) = &self.code {
            write!(f, ": {code}")?;
        }
        write!(f, ": {}", self.message)?;
        if let Some(id) = &self.request_id {
            write!(f, " (request id {id})")?;
        }
        Ok(())
    }
}

impl std::error::Error for AwsError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_ecs_error_codes() {
        let kind = |code| AwsError::from_code("X", Some(code), String::new(), None).kind;
        assert_eq!(kind("ThrottlingException"), AwsErrorKind::Throttled);
        assert_eq!(kind("AccessDeniedException"), AwsErrorKind::AccessDenied);
        assert_eq!(kind("ClusterNotFoundException"), AwsErrorKind::NotFound);
        assert_eq!(kind("ServerException"), AwsErrorKind::Transient);
        assert_eq!(kind("ClientException"), AwsErrorKind::Rejected);
        assert_eq!(kind("InvalidParameterException"), AwsErrorKind::Rejected);
    }

    #[test]
    fn message_names_operation_code_and_request_id() {
        let err = AwsError::from_code(
            "CreateCluster",
            Some("ClientException"),
            "bad".into(),
            Some("r-1".into()),
        );
        assert_eq!(
            err.to_string(),
            "ECS CreateCluster failed: ClientException: bad (request id r-1)"
        );
    }
}
