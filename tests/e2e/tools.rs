//! The command-line tools the end-to-end tests drive as a user would: kubectl and helm, as installed by
//! tests/control-plane/install.sh.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Where helm and kubectl are: `ECSB_TOOLS`, else where tests/control-plane/install.sh puts them.
pub fn tools_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("ECSB_TOOLS") {
        return PathBuf::from(dir);
    }
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").expect("HOME")).join(".cache"));
    cache.join("ecs-bridge").join("bin")
}

pub fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

pub fn chart() -> String {
    repo().join("charts/ecs-bridge").display().to_string()
}

/// What a command printed and how it ended.
pub struct Run {
    pub ok: bool,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `program` with `args` (and `stdin`) in the repository.
pub fn run(program: &Path, args: &[&str], stdin: Option<&str>) -> Run {
    let mut child = Command::new(program)
        .args(args)
        .current_dir(repo())
        .env("ECSB_TOOLS", tools_dir())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", program.display()));
    let input = stdin.unwrap_or_default().to_owned();
    let mut pipe = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || std::io::Write::write_all(&mut pipe, input.as_bytes()));
    let out = child.wait_with_output().expect("wait for command");
    writer.join().unwrap().expect("write stdin");
    Run {
        ok: out.status.success(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

pub fn helm(args: &[&str]) -> Run {
    run(&tools_dir().join("helm"), args, None)
}

pub fn kubectl(args: &[&str], stdin: Option<&str>) -> Run {
    run(&tools_dir().join("kubectl"), args, stdin)
}

/// The output of a command that must succeed.
pub fn must(what: &str, out: Run) -> String {
    assert!(out.ok, "{what} failed:\n{}\n{}", out.stdout, out.stderr);
    out.stdout
}
