//! Starts the ECS test double binary (`src/bin/ecs-double`) and reads the address it prints; shared by the
//! end-to-end tests and the benchmark.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

/// A running test double, killed when dropped.
pub struct Double {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
}

impl Drop for Double {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the double on a free port with `args` (such as `--speedup 5`).
pub fn start(args: &[&str]) -> Double {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ecs-double"))
        .args(["--port", "0"])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start ecs-double");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout of ecs-double"))
        .read_line(&mut line)
        .expect("read the double's address");
    let url = line
        .trim()
        .strip_prefix("listening on ")
        .expect("the double prints its address")
        .to_owned();
    Double { child, url }
}
