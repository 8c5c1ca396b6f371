//! What the SDK tests of the double share: a double started in-process with clients for it, the admin API over
//! plain HTTP, and a polling loop. Each test binary uses a part of it.
#![allow(dead_code)]

use std::future::Future;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use aws_sdk_ecs::Client;
use aws_sdk_ecs::config::retry::RetryConfig;
use aws_sdk_ecs::config::timeout::TimeoutConfig;
use aws_sdk_ecs::config::{BehaviorVersion, Credentials, Region};
use serde_json::Value;

/// A running double, stopped when dropped.
pub struct Double {
    running: ecs_double::Running,
    address: String,
}

impl Double {
    pub fn start(args: &[&str]) -> Self {
        let running = ecs_double::spawn(args);
        let address = running.url.trim_start_matches("http://").to_owned();
        Self { running, address }
    }

    /// An SDK client; with `retries`, the standard mode with a 10 ms backoff, else no retries.
    pub fn client(&self, retries: bool) -> Client {
        self.client_with(retries, Duration::from_secs(10))
    }

    pub fn client_with(&self, retries: bool, attempt_timeout: Duration) -> Client {
        let retry = if retries {
            RetryConfig::standard().with_initial_backoff(Duration::from_millis(10))
        } else {
            RetryConfig::disabled()
        };
        let config = aws_sdk_ecs::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new("x", "x", None, None, "test"))
            .endpoint_url(&self.running.url)
            .retry_config(retry)
            .timeout_config(
                TimeoutConfig::builder()
                    .operation_attempt_timeout(attempt_timeout)
                    .build(),
            )
            .build();
        Client::from_conf(config)
    }

    /// A plain HTTP/1.1 request: the status, the raw head and the JSON body.
    pub fn http(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> (u16, String, Value) {
        let mut stream = TcpStream::connect(&self.address).expect("connect to ecs-double");
        let mut request = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Length: {}\r\n",
            self.address,
            body.len()
        );
        for (name, value) in headers {
            request.push_str(&format!("{name}: {value}\r\n"));
        }
        request.push_str("\r\n");
        request.push_str(body);
        stream.write_all(request.as_bytes()).expect("send");
        let mut answer = String::new();
        stream.read_to_string(&mut answer).expect("receive");
        let (head, body) = answer.split_once("\r\n\r\n").expect("an HTTP answer");
        let status = head
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .expect("a status code");
        (
            status,
            head.to_ascii_lowercase(),
            serde_json::from_str(body).unwrap_or(Value::Null),
        )
    }

    pub fn admin(&self, method: &str, path: &str, body: Value) -> Value {
        let (status, _, answer) = self.http(method, path, &[], &body.to_string());
        assert_eq!(status, 200, "{method} {path}: {answer}");
        answer
    }

    pub fn configure(&self, patch: Value) {
        self.admin("POST", "/_double/config", patch);
    }

    pub fn stats(&self) -> Value {
        self.admin("GET", "/_double/stats", Value::Null)
    }
}

/// Polls `check` until it gives a value, for at most `limit`.
pub async fn eventually<T, F, Fut>(limit: Duration, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let start = Instant::now();
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(start.elapsed() < limit, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
