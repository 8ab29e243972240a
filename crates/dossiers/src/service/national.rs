//! The national population database at reception: the officer looks the applicant up by
//! personal ID to fill the form from the record instead of retyping it. Every lookup states
//! its purpose (sent to the database, which records it) and is audited here, found or not,
//! refused or not, so the citizen can later see who read their data and why.

use cqdt_audit::{AuditEvent, Outcome};
use cqdt_national::{Citizen, National, NationalError, Purpose};
use cqdt_platform::{PersonalId, Principal, Role};
use serde_json::json;

use super::{Applicant, DossierService};
use crate::error::DossierError;

impl DossierService {
    /// This service asking `national` at reception.
    pub fn with_national(mut self, national: National) -> Self {
        self.national = national;
        self
    }

    /// Whether the population database is connected (the counter offers the lookup only then).
    pub fn population_connected(&self) -> bool {
        self.national.population.is_some()
    }

    /// The citizen with `id` in the national population database, read by a reception
    /// officer of `agency` for `purpose`. Audited in every case; a refusal or failure of the
    /// database is [`DossierError::Upstream`] with its reason.
    #[tracing::instrument(skip_all, fields(agency))]
    pub async fn look_up_citizen(
        &self,
        p: &Principal,
        agency: &str,
        id: &PersonalId,
        purpose: &Purpose,
    ) -> Result<Option<Citizen>, DossierError> {
        if !p.can(Role::ReceptionOfficer, agency) {
            return Err(DossierError::Forbidden("Chỉ cán bộ tiếp nhận mới tra cứu được.".into()));
        }
        let found = match self.national.population() {
            Ok(population) => population.citizen(id, purpose).await,
            Err(e) => Err(e),
        };
        let (outcome, details) = match &found {
            Ok(Some(c)) => {
                (Outcome::Success, json!({ "found": true, "sandbox": c.source.sandbox }))
            }
            Ok(None) => (Outcome::Success, json!({ "found": false })),
            Err(NationalError::Refused { reason, .. }) => {
                (Outcome::Denied, json!({ "refused": cqdt_platform::web::clip(reason, 200) }))
            }
            Err(e) => (
                Outcome::Failure,
                json!({ "error": cqdt_platform::web::clip(&e.to_string(), 200) }),
            ),
        };
        let event = AuditEvent::new(&p.actor, "dossier.citizen_lookup", "citizen")
            .object(id.as_str())
            .purpose(purpose.as_str())
            .agency(agency)
            .outcome(outcome)
            .details(details);
        let mut tx = self.db.begin().await?;
        self.audit.record(&mut tx, event).await?;
        tx.commit().await?;
        found.map_err(|e| DossierError::Upstream(e.to_string()))
    }
}

/// The applicant as the population database describes them, for pre-filling the e-form.
pub fn applicant_from(c: &Citizen) -> Applicant {
    Applicant {
        account_id: format!("quay:{}", c.personal_id),
        actor: String::new(),
        name: c.full_name.clone(),
        personal_id: Some(c.personal_id.as_str().to_string()),
        phone: None,
        email: None,
        birth_date: Some(c.birth_date.format("%Y-%m-%d").to_string()),
        address: Some(c.permanent_address.clone()),
    }
}
