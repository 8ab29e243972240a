//! Adapters for the national systems the province's platform asks (issue 16): the national
//! population database (CSDL quốc gia về dân cư), the national business registry, the national
//! legal documents database and the national public service portal (Cổng DVC quốc gia). Each is
//! a trait ([`Population`], [`BusinessRegistry`], [`LegalDocuments`], [`PublicServicePortal`])
//! with a real HTTP client ([`client`]) that goes through the LGSP gateway with a client-credentials token, and a sandbox that behaves
//! like the real system ([`sandbox`], served by `cqdt sandbox national`, labelled as a sandbox
//! in every answer and page) so the journeys run offline.
//!
//! # Wiring it into the binary
//!
//! ```text
//! let national = National { population: Some(Arc::new(HttpPopulation(connection))), .. };
//! dossiers.with_national(national);   // reception looks citizens up, with a purpose
//! ```
//!
//! The adapters record nothing themselves: the module that asks records the read (who, whose
//! data, which purpose) in the audit log in its own transaction.

#![warn(missing_docs)]

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use cqdt_platform::{PersonalId, TaxCode};

pub mod client;
pub mod legal;
pub mod model;
pub mod portal;
pub mod procedures;
pub mod sandbox;
pub mod wire;

pub use client::{Connection, Credentials, HttpBusiness, HttpPopulation};
pub use legal::{DocumentNumber, HttpLegalDocuments, LegalDocument, LegalDocuments, Validity};
pub use model::{Citizen, Enterprise, NationalError, Purpose, Representative, Source};
pub use portal::{HttpPortal, PortalStatus, PublicServicePortal, StatusReport};
pub use procedures::{HttpProcedureDatabase, NationalCode, NationalProcedure, ProcedureDatabase};

/// A boxed future: the traits are used as objects.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The national population database.
pub trait Population: Send + Sync {
    /// The citizen with this personal ID, read for `purpose`; `None` when there is none.
    fn citizen<'a>(
        &'a self,
        id: &'a PersonalId,
        purpose: &'a Purpose,
    ) -> BoxFuture<'a, Result<Option<Citizen>, NationalError>>;
}

/// The national business registry.
pub trait BusinessRegistry: Send + Sync {
    /// The enterprise with this code; `None` when there is none.
    fn enterprise<'a>(
        &'a self,
        code: &'a TaxCode,
    ) -> BoxFuture<'a, Result<Option<Enterprise>, NationalError>>;
}

/// The national systems this instance is connected to; each `None` until configured.
#[derive(Clone, Default)]
pub struct National {
    /// The population database.
    pub population: Option<Arc<dyn Population>>,
    /// The business registry.
    pub business: Option<Arc<dyn BusinessRegistry>>,
    /// The legal documents database.
    pub legal: Option<Arc<dyn LegalDocuments>>,
    /// The national public service portal.
    pub portal: Option<Arc<dyn PublicServicePortal>>,
    /// The national procedure database.
    pub procedures: Option<Arc<dyn ProcedureDatabase>>,
}

impl National {
    /// The population database, or why it cannot be asked.
    pub fn population(&self) -> Result<&dyn Population, NationalError> {
        self.population.as_deref().ok_or(NationalError::NotConfigured(client::POPULATION))
    }

    /// The business registry, or why it cannot be asked.
    pub fn business(&self) -> Result<&dyn BusinessRegistry, NationalError> {
        self.business.as_deref().ok_or(NationalError::NotConfigured(client::BUSINESS))
    }
}
