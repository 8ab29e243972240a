//! The life of a dossier after submission: what the one-stop back office does to it
//! (receive with an appointment date, ask for a supplement, process, attach the result,
//! return it, refuse, apologise) and what the applicant does (answer a supplement request,
//! withdraw, download the result, rate the service). Each use case reads the dossier, looks
//! up what the change needs, lets [`transition`](super::transition) decide it, and hands the
//! [`Change`] to [`DossierService::persist`]: one transaction with the status (moved only
//! from the status it was read in, so two officials cannot both act), the other writes, the
//! timeline step, the applicant's notices by e-mail, SMS and in-app, and the audit event.

use cqdt_audit::AuditEvent;
use cqdt_platform::clock::format_ts;
use cqdt_platform::{FieldError, Principal, Tx};
use cqdt_workflow::Start;
use serde_json::json;

use super::office::process_form;
use super::transition::{self, At, Change, Effect, Facts, Supply};
use super::{field_error, theirs, DossierService, OfficeAction, Put, Upload};
use crate::error::DossierError;
use crate::model::{rating_label, Dossier, DossierFile, DossierStatus, Rating, ResultDoc};
use crate::store;

impl DossierService {
    /// An official acts on a dossier of an agency in their scope.
    #[tracing::instrument(skip(self, who, action), fields(action = action.name()))]
    pub async fn act(
        &self,
        who: &Principal,
        code: &str,
        action: OfficeAction,
    ) -> Result<Dossier, DossierError> {
        let d = self.in_scope(who, code).await?;
        action.authorize(who, &d)?;
        let now = self.clock.now();
        let mut facts = Facts::default();
        match &action {
            OfficeAction::Receive { due_date: None } => {
                facts.appointment = Some(self.appointment_for(&d.procedure_code, now).await?);
            }
            // Handing to processing starts the procedure's process, if it has one; the
            // e-form's values go with it, so that its gateways can decide on them
            // (`form.floors >= 7`).
            OfficeAction::StartProcessing => {
                facts.process = self.procedure_of(&d).await?.and_then(|p| {
                    let form = process_form(&p, &d.form);
                    p.process_key.map(|k| (k, form))
                });
            }
            _ => {}
        }
        let change = transition::office(&d, &action, who, facts, self.at(now))?;
        self.persist(change).await
    }

    /// Attaches a result document (PDF or image) and marks the result ready; with
    /// `online` the result is returned through the portal at once.
    #[tracing::instrument(skip(self, who, upload, note))]
    pub async fn add_result(
        &self,
        who: &Principal,
        code: &str,
        upload: &Upload,
        note: &str,
        online: bool,
    ) -> Result<Dossier, DossierError> {
        let d = self.in_scope(who, code).await?;
        transition::authorize_result(who, &d)?;
        if let Some(p) = self.process(d.code.as_deref().unwrap_or(code)).await? {
            if p.instance.status == "active" {
                let open: Vec<&str> = p
                    .tasks
                    .iter()
                    .filter(|t| t.status == "open")
                    .map(|t| t.name.as_str())
                    .collect();
                return Err(DossierError::Conflict(format!(
                    "Quy trình xử lý chưa xong (còn: {}); chưa thể ban hành kết quả.",
                    open.join(", ")
                )));
            }
            // Stopped by an incident, it has not decided anything: the administrator
            // resolves it (or cancels it, to finish the dossier by hand) first.
            if p.instance.status == "incident" {
                return Err(DossierError::Conflict(format!(
                    "Quy trình xử lý gặp sự cố ({}); chưa thể ban hành kết quả cho tới khi quản trị hệ thống xử lý.",
                    p.instance.incident.as_deref().unwrap_or("không rõ")
                )));
            }
        }
        let refused = |message: String| DossierError::Invalid(vec![field_error("file", message)]);
        let f = match self.put_document(upload).await {
            Put::Stored(f) => f,
            Put::WrongType => {
                return Err(refused("Kết quả chỉ nhận tệp PDF, JPEG hoặc PNG.".into()))
            }
            Put::Rejected(m) => return Err(refused(m)),
            Put::Failed(e) => return Err(DossierError::Internal(e.to_string())),
        };
        let now = self.clock.now();
        let doc = ResultDoc {
            seq: 0,
            sha256: f.sha256,
            file_name: clean_name(&upload.file_name),
            media_type: f.media_type.mime().to_string(),
            size: f.size,
            added_at: format_ts(now),
            added_by: who.actor.clone(),
            note: note.trim().chars().take(500).collect(),
        };
        let change = transition::result(&d, who, doc, online, self.at(now))?;
        self.persist(change).await
    }

    /// The applicant answers the open supplement request with files (per component or
    /// as "other", component -1) and a note; the dossier goes back where it was.
    #[tracing::instrument(skip(self, account, actor, uploads, note))]
    pub async fn supply(
        &self,
        account: &str,
        actor: &str,
        code: &str,
        uploads: &[Upload],
        note: &str,
    ) -> Result<Dossier, DossierError> {
        let d = self.owned(account, code).await?;
        transition::authorize_supply(&d)?;
        let requests = store::supplements(self.db.pool(), &d.id).await?;
        let Some(request) = requests.iter().rev().find(|r| r.answered_at.is_none()) else {
            return Err(transition::no_open_request());
        };
        let components =
            self.procedure_if_readable(&d.procedure_code).await.map(|p| p.components.len());
        let (files, file_errors) = self.store_supplement(uploads, components).await?;
        let supplied = Supply { request, uploaded: !uploads.is_empty(), files, file_errors, note };
        let cal = self.calendar.calendar();
        let change = transition::supply(&d, actor, supplied, &cal, self.at(self.clock.now()))?;
        self.persist(change).await
    }

    /// The applicant withdraws a dossier that is not yet decided.
    #[tracing::instrument(skip(self, account, actor, reason))]
    pub async fn withdraw(
        &self,
        account: &str,
        actor: &str,
        code: &str,
        reason: &str,
    ) -> Result<Dossier, DossierError> {
        let d = self.owned(account, code).await?;
        let change = transition::withdraw(&d, actor, reason, self.at(self.clock.now()))?;
        self.persist(change).await
    }

    /// The applicant rates the service of a finished dossier, once.
    #[tracing::instrument(skip(self, account, actor, score, comment))]
    pub async fn rate(
        &self,
        account: &str,
        actor: &str,
        code: &str,
        score: &str,
        comment: &str,
    ) -> Result<Rating, DossierError> {
        let d = self.owned(account, code).await?;
        if !matches!(d.status, DossierStatus::Returned | DossierStatus::Refused) {
            return Err(DossierError::Conflict(
                "Chỉ đánh giá được khi hồ sơ đã giải quyết xong.".into(),
            ));
        }
        let mut errors = Vec::new();
        let score = match score.trim().parse::<i64>() {
            Ok(n) if (1..=5).contains(&n) => n,
            _ => {
                errors.push(field_error("score", "Hãy chọn một mức hài lòng."));
                0
            }
        };
        if comment.chars().count() > 2000 {
            errors.push(field_error("comment", "Góp ý quá dài (tối đa 2000 ký tự)."));
        }
        if !errors.is_empty() {
            return Err(DossierError::Invalid(errors));
        }
        let r = Rating {
            rated_at: format_ts(self.clock.now()),
            score,
            comment: comment.trim().to_string(),
        };
        let mut tx = self.db.begin().await?;
        if !store::insert_rating(&mut tx, &d.id, &r).await? {
            return Err(DossierError::Conflict("Hồ sơ này đã được đánh giá.".into()));
        }
        self.audit
            .record(
                &mut tx,
                AuditEvent::new(actor, "dossier.rate", "dossier")
                    .object(d.code.as_deref().unwrap_or(&d.id))
                    .details(json!({"score": score, "label": rating_label(score)})),
            )
            .await?;
        tx.commit().await?;
        Ok(r)
    }

    /// A result document of one of the applicant's dossiers, with its content.
    #[tracing::instrument(skip(self, account))]
    pub async fn result_file(
        &self,
        account: &str,
        code: &str,
        seq: i64,
    ) -> Result<(ResultDoc, Vec<u8>), DossierError> {
        let d = self.owned(account, code).await?;
        let doc = store::results(self.db.pool(), &d.id)
            .await?
            .into_iter()
            .find(|r| r.seq == seq)
            .ok_or_else(|| DossierError::NotFound(format!("{code}/{seq}")))?;
        let (_, bytes) =
            self.files.get(&doc.sha256).await.map_err(|e| DossierError::Internal(e.to_string()))?;
        Ok((doc, bytes))
    }

    /// Writes a change in one transaction: the status, moved only from the one it was read
    /// in; the other writes; the timeline step; the applicant's notices; the audit event.
    async fn persist(&self, change: Change) -> Result<Dossier, DossierError> {
        let Change { dossier: d, from, raced, effects, event, notices, audit } = change;
        let apologised = effects.iter().any(|e| matches!(e, Effect::Apology(_)));
        let mut tx = self.db.begin().await?;
        if !store::advance(&mut tx, &d, from).await? {
            return Err(DossierError::Conflict(raced.into()));
        }
        // A dossier taken from the national portal: the portal is told, in this transaction.
        let portal_code = d.applicant_account.strip_prefix(super::portal::PORTAL_ACCOUNT);
        if let (Some(portal_code), Some(status)) =
            (portal_code, super::portal::portal_status(d.status, apologised))
        {
            let owed = super::portal::Owed {
                portal_code,
                status,
                at: &event.at,
                local_code: d.code.as_deref(),
                due_date: d.due_date.as_deref(),
                note: Some(event.note.as_str()).filter(|n| !n.is_empty()),
            };
            self.owe_report(&mut tx, owed).await?;
        }
        for effect in effects {
            self.apply(&mut tx, &d, &event.actor, &event.at, effect).await?;
        }
        store::insert_event(&mut tx, &d.id, &event).await?;
        for req in &notices {
            self.notifier
                .send(&mut tx, req)
                .await
                .map_err(|e| DossierError::Internal(e.to_string()))?;
        }
        // Last, so that the audit chain's lock is held only until the commit that follows.
        self.audit.record(&mut tx, audit).await?;
        tx.commit().await?;
        self.notifier.wake();
        self.portal_wake();
        Ok(d)
    }

    /// One of the writes that come with a status change, made at `at` by `actor`.
    async fn apply(
        &self,
        tx: &mut Tx,
        d: &Dossier,
        actor: &str,
        at: &str,
        effect: Effect,
    ) -> Result<(), DossierError> {
        match effect {
            Effect::StartProcess { key, vars } => {
                self.workflow
                    .start_in(
                        tx,
                        Start::new(actor, &key)
                            .business_key(d.code.as_deref())
                            .agency(Some(&d.agency_code))
                            .variables(vars),
                    )
                    .await
                    .map_err(|e| match e {
                        cqdt_workflow::service::WorkflowError::NotFound(m) => {
                            DossierError::Conflict(format!(
                                "Chưa triển khai {m} cho thủ tục này; báo quản trị hệ thống."
                            ))
                        }
                        other => DossierError::Internal(other.to_string()),
                    })?;
            }
            Effect::OpenSupplement(r) => store::insert_supplement(tx, &d.id, &r).await?,
            Effect::Received { on, due } => store::set_received(tx, &d.id, &on, &due).await?,
            Effect::Apology(a) => store::insert_apology(tx, &d.id, &a).await?,
            Effect::Result { doc, resolved_on } => {
                store::insert_result(tx, &d.id, &doc).await?;
                store::set_resolved(tx, &d.id, &resolved_on).await?;
            }
            Effect::ShiftStatutoryDue { days } => {
                let cal = self.calendar.calendar();
                let moved = store::statutory_due(&mut **tx, &d.id)
                    .await?
                    .and_then(|due| chrono::NaiveDate::parse_from_str(&due, "%Y-%m-%d").ok())
                    .map(|due| cal.add_working_days(due, days).format("%Y-%m-%d").to_string());
                if let Some(moved) = moved {
                    store::set_statutory_due(tx, &d.id, &moved).await?;
                }
            }
            Effect::AddFiles(files) => {
                for f in &files {
                    store::insert_file(tx, &d.id, f, at).await?;
                }
            }
            Effect::AnswerSupplement { seq, note } => {
                store::answer_supplement(tx, &d.id, seq, at, &note).await?;
            }
        }
        Ok(())
    }

    fn at(&self, now: chrono::DateTime<chrono::Utc>) -> At {
        At { now, today: self.clock.today() }
    }

    /// One of the applicant's submitted dossiers; anyone else's does not exist for them.
    async fn owned(&self, account: &str, code: &str) -> Result<Dossier, DossierError> {
        let d = self.submitted(code).await?;
        theirs(Some(d), account, code)
            .await
            .ok_or_else(|| DossierError::NotFound(code.chars().take(80).collect()))
    }

    /// Stores the files of a supplement: per component of the procedure (which has
    /// `components`, if it is still in the catalog) or as "other"; the problems by input.
    async fn store_supplement(
        &self,
        uploads: &[Upload],
        components: Option<usize>,
    ) -> Result<(Vec<DossierFile>, Vec<FieldError>), DossierError> {
        let mut stored = Vec::new();
        let mut errors = Vec::new();
        for u in uploads {
            let field = format!("file_{}", u.component);
            let other = u.component == usize::MAX;
            if !other && components.is_none_or(|n| u.component >= n) {
                errors.push(field_error(&field, "Thành phần hồ sơ không có trong thủ tục."));
                continue;
            }
            let name = clean_name(&u.file_name);
            match self.put_document(u).await {
                Put::Stored(f) => stored.push(DossierFile {
                    component: if other { -1 } else { u.component as i64 },
                    sha256: f.sha256,
                    file_name: name,
                    media_type: f.media_type.mime().to_string(),
                    size: f.size,
                }),
                Put::WrongType => errors
                    .push(field_error(&field, format!("{name}: chỉ nhận tệp PDF, JPEG hoặc PNG."))),
                Put::Rejected(m) => errors.push(field_error(&field, format!("{name}: {m}"))),
                Put::Failed(e) => return Err(DossierError::Internal(e.to_string())),
            }
        }
        Ok((stored, errors))
    }
}

fn clean_name(name: &str) -> String {
    name.chars().filter(|c| !c.is_control() && *c != '/' && *c != '\\').take(200).collect()
}
