//! The integration platform (LGSP, M10): the registry of members (agencies), their systems and
//! the services providers publish with their OpenAPI documents; access granted per operation,
//! asked for by the consumer and decided by the provider; the gateway
//! `/lgsp/{member}/{service}/{path…}` that checks each call and streams it to the provider;
//! operational monitoring of every call; the message log, sealed and time-stamped, with the
//! bodies of the services that keep them sealed at rest; and
//! store-and-forward messages between systems. Modelled on X-Road's security servers.
//!
//! # Wiring it into the binary
//!
//! ```text
//! let registry = cqdt_lgsp::Registry::new(db, clock, audit, Arc::new(directory)) // Directory: agencies, OAuth clients
//!     .with_kek(config.sealer()?);                        // seals the bodies services keep
//! let gateway = cqdt_lgsp::Gateway::new(registry.clone(), &config.tls, GatewayConfig::default())?;
//! gateway.spawn_recorder(shutdown.clone());               // writes monitoring records in batches
//! registry.sealer(tsa).spawn(Duration::from_secs(60), shutdown); // signs and time-stamps the log
//! let routes = cqdt_lgsp::http::router(LgspState { platform, registry, gateway });
//! // merge `routes`; merge cqdt_lgsp::http::ApiDoc into the OpenAPI document.
//! ```

#![warn(missing_docs)]

pub mod archive;
pub mod bodies;
pub mod delivery;
pub mod exchange;
pub mod federation;
pub mod gateway;
pub mod http;
pub mod log;
pub mod model;
pub mod monitor;
pub mod rewrap;
pub mod seal;
pub mod service;
pub mod snapshot;
pub mod store;

pub use exchange::{Exchange, Message, MessageStatus};
pub use gateway::{Gateway, GatewayConfig};
pub use model::{
    Grant, GrantStatus, LgspError, Member, Operation, Service, ServiceStatus, Side, Subsystem,
};
pub use service::{AccessRequest, Actor, Directory, DirectoryFuture, Registry, ServiceDraft};

/// Runs `round` every `period` until `shutdown`; a failed round is logged and the next one
/// comes all the same.
pub(crate) fn every<F, Fut>(
    period: std::time::Duration,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
    what: &'static str,
    round: F,
) -> tokio::task::JoinHandle<()>
where
    F: Fn() -> Fut + Send + 'static,
    Fut: std::future::Future<Output = Result<(), cqdt_platform::DbError>> + Send,
{
    tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = tokio::time::sleep(period) => {}
                _ = shutdown.changed() => break,
            }
            if let Err(e) = round().await {
                tracing::warn!(error = %e, "{what} failed");
            }
        }
    })
}
