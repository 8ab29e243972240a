//! Outside programs and libraries some tests check the platform against (PyJWT, Authlib,
//! openpyxl, poppler's pdftotext, Chromium): present, the check runs; missing, the check is
//! skipped, saying so, unless the environment requires it (CI sets the `CQDT_REQUIRE_…`
//! variables, and `CQDT_BROWSER_TESTS=1` for Chromium), when the test fails instead.

use std::io::Write;

/// Whether the variable `name` asks for the prerequisite: set, not empty and not `0`.
pub fn required(name: &str) -> bool {
    std::env::var(name).is_ok_and(|v| !v.is_empty() && v != "0")
}

/// `true` when the prerequisite is `present`. When it is not: panics naming `what` (and how
/// to install it) if the variable `require` asks for it, otherwise prints
/// `SKIPPED: <check>: <what>` and returns `false`. The line goes straight to the process's
/// standard error, past the test harness's capture, so a plain `cargo test` shows it.
pub fn prerequisite(present: bool, check: &str, what: &str, require: &str) -> bool {
    if present {
        return true;
    }
    assert!(!required(require), "{require} is set but {check} cannot run: {what}");
    let _ = writeln!(
        std::io::stderr(),
        "SKIPPED: {check}: {what} (set {require}=1 to make this a failure)"
    );
    false
}

/// Whether `python3` can import every module in `modules`.
pub fn python_modules(modules: &[&str]) -> bool {
    std::process::Command::new("python3")
        .args(["-c", &format!("import {}", modules.join(", "))])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}
