//! End-to-end tests of the real `cqdt` binary, kept few: start-up as a process, kill -9 under
//! load, and the command-line tools (audit verification, backup and restore). Every other
//! test runs the platform in-process.

mod binary;
mod crash;
mod crash_delivery;
mod crash_exchange;
mod crash_waits;
mod operations;
