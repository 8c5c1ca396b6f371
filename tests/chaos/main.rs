//! The chaos suite, a test binary of its own: it kills the operator and restarts the kube-apiserver, which no other
//! test may share at that moment (cargo runs test binaries one after the other).

#[path = "chaos.rs"]
mod chaos;
// The e2e harness, shared with the e2e binary, which uses the parts this suite does not.
#[allow(dead_code)]
#[path = "../e2e/harness.rs"]
mod harness;
