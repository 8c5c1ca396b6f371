//! The processes a benchmark run drives: the ECS test double and the operator, and what /proc says about them.

use std::process::{Child, Command, Stdio};

use ecs_double::Running as Double;

/// A child process that is killed when dropped.
pub struct Process {
    pub child: Child,
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the ECS test double with AWS's token buckets sped up by `speedup`.
pub fn start_double(speedup: f64) -> Double {
    ecs_double::spawn(&["--speedup", &speedup.to_string(), "--rollout-seconds", "10"])
}

/// Starts `ecs-bridge run` for the namespaces (comma-separated) against the double, its rate limits scaled like the double's.
pub fn start_operator(
    namespace: &str,
    double_url: &str,
    rate_limits: &str,
    metrics_port: u16,
) -> Process {
    let child = Command::new(env!("CARGO_BIN_EXE_ecs-bridge"))
        .args(["run", "--namespaces", namespace, "--drift-interval", "60s"])
        .args(["--metrics-addr", &format!("127.0.0.1:{metrics_port}")])
        .args(["--health-addr", &format!("127.0.0.1:{}", metrics_port + 1)])
        .env("AWS_ENDPOINT_URL_ECS", double_url)
        // The double serves Application Auto Scaling and STS (AssumeRole into its accounts) too.
        .env("AWS_ENDPOINT_URL_APPLICATION_AUTO_SCALING", double_url)
        .env("AWS_ENDPOINT_URL_STS", double_url)
        .env("ECSB_AWS_RATE_LIMITS", rate_limits)
        .env(
            "RUST_LOG",
            std::env::var("ECSB_BENCH_RUST_LOG").unwrap_or_else(|_| "error".into()),
        )
        .stdout(log_file())
        .stderr(Stdio::null())
        .spawn()
        .expect("start ecs-bridge");
    Process { child }
}

/// Where the operator's log goes: the file `ECSB_BENCH_OPERATOR_LOG` names (appended), else nowhere.
fn log_file() -> Stdio {
    let Ok(path) = std::env::var("ECSB_BENCH_OPERATOR_LOG") else {
        return Stdio::null();
    };
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .expect("open the operator's log");
    Stdio::from(file)
}

/// Peak resident memory (VmHWM) in MiB.
pub fn peak_rss_mib(pid: u32) -> f64 {
    status_mib(pid, "VmHWM:")
}

/// Resident memory now (VmRSS) in MiB.
pub fn rss_mib(pid: u32) -> f64 {
    status_mib(pid, "VmRSS:")
}

/// A memory figure of /proc/PID/status, in MiB.
fn status_mib(pid: u32, field: &str) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let kib = status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .unwrap_or(0.0);
    kib / 1024.0
}

/// CPU seconds (user + system) used so far.
pub fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // After the command name: state is field 0, utime 11, stime 12 (clock ticks of 1/100 s).
    (ticks(11) + ticks(12)) / 100.0
}

/// GETs or POSTs a URL with curl and returns the body.
pub fn http(method: &str, url: &str, body: Option<&str>) -> String {
    let mut command = Command::new("curl");
    command.args(["-sf", "-X", method, url]);
    if let Some(body) = body {
        command.args(["-H", "content-type: application/json", "-d", body]);
    }
    let output = command.output().expect("run curl");
    assert!(output.status.success(), "{method} {url} failed");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// A free TCP port on 127.0.0.1 (and the one after it, for the health endpoints).
pub fn free_port_pair() -> u16 {
    loop {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        if std::net::TcpListener::bind(("127.0.0.1", port + 1)).is_ok() {
            return port;
        }
    }
}
