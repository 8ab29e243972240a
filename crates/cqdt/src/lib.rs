//! The `cqdt` platform as a library: configuration, the composition of every module into one
//! application ([`App`]), the command line ([`run`]), and [`start`], which serves the whole
//! platform on a listener. The `cqdt` binary is a thin wrapper around [`run`]; the tests call
//! [`start`] to run the platform in-process.

pub mod app;
mod bench;
mod bench_exchange;
mod bench_gateway;
mod bench_jobs;
mod bench_pages;
mod bench_workflow_http;
mod catalog_checks;
mod commands;
pub mod config;
mod connect_national;
mod demo;
mod lgsp_log;
mod menu;
pub mod openapi;
mod portal_intake;
pub mod server;
mod subcommands;
mod wiring;

pub use app::{App, AppError};
pub use commands::run;
pub use config::{Cli, Config};
pub use server::{start, Server};
