//! Access to a provider's operations: asked for by a consumer system, decided by the
//! provider's administrator, read by the gateway and the metadata services.

use super::*;

/// A consumer's request for access to operations of a service.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct AccessRequest {
    /// The consuming member.
    pub consumer_member: String,
    /// The consuming system.
    pub consumer_subsystem: String,
    /// The service's id.
    pub service_id: String,
    /// The operations asked for (their ids); at least one.
    pub operations: Vec<String>,
    /// Why (the legal basis and purpose of the exchange), 10–1000 characters.
    pub purpose: String,
    /// Last day wanted (yyyy-mm-dd or dd/mm/yyyy), at most two years ahead.
    pub valid_until: String,
}

impl Registry {
    /// Asks for access to operations of a service for a consumer system; one grant each.
    #[tracing::instrument(skip(self, actor, r), fields(service = %r.service_id))]
    pub async fn request_access(
        &self,
        actor: &Actor,
        rid: &str,
        r: &AccessRequest,
    ) -> Result<Vec<Grant>, LgspError> {
        let mut errors = Vec::new();
        // In the order of the form: the operations, the purpose, the end date.
        let mut ops: Vec<&str> =
            r.operations.iter().map(|o| o.trim()).filter(|o| !o.is_empty()).collect();
        ops.sort_unstable();
        ops.dedup();
        if ops.is_empty() {
            errors.push(FieldError::new("operations", "Chọn ít nhất một thao tác."));
        }
        let purpose = r.purpose.trim().chars().count();
        if purpose < 10 {
            errors.push(FieldError::new(
                "purpose",
                "Nêu mục đích và căn cứ pháp lý của việc khai thác (ít nhất 10 ký tự).",
            ));
        } else if purpose > 1000 {
            errors.push(FieldError::new("purpose", "Mục đích, căn cứ dài tối đa 1000 ký tự."));
        }
        let valid_until = self.check_until(&r.valid_until, &mut errors);
        if !errors.is_empty() {
            return Err(LgspError::Invalid(errors));
        }
        let mut tx = self.db.begin().await?;
        let consumer = store::subsystem(&mut *tx, &r.consumer_member, &r.consumer_subsystem)
            .await?
            .ok_or_else(|| {
                LgspError::field(
                    "consumer_subsystem",
                    format!("Không có hệ thống {}/{}.", r.consumer_member, r.consumer_subsystem),
                )
            })?;
        actor.require(&consumer.member_code)?;
        let service = self.service_in(&mut tx, &r.service_id).await?;
        if service.status == ServiceStatus::Retired {
            return Err(LgspError::Conflict(format!(
                "Dịch vụ “{}” đã ngừng cung cấp.",
                service.name
            )));
        }
        let known = store::operations(&mut *tx, &service.id).await?;
        let unknown: Vec<&str> =
            ops.iter().copied().filter(|o| !known.iter().any(|k| k.operation_id == *o)).collect();
        if !unknown.is_empty() {
            return Err(LgspError::field(
                "operations",
                format!("Dịch vụ “{}” không có thao tác: {}.", service.name, unknown.join(", ")),
            ));
        }
        let open = store::grants(
            &mut *tx,
            &GrantFilter {
                service_id: service.id.clone(),
                consumer_member: consumer.member_code.clone(),
                consumer_subsystem: consumer.code.clone(),
                ..Default::default()
            },
            10_000,
        )
        .await?;
        let pending: Vec<&str> = ops
            .iter()
            .copied()
            .filter(|o| {
                open.iter().any(|g| {
                    g.operation_id == *o
                        && matches!(g.status, GrantStatus::Requested | GrantStatus::Approved)
                        && g.valid_until.as_str() >= self.today().as_str()
                })
            })
            .collect();
        if !pending.is_empty() {
            return Err(LgspError::Conflict(format!(
                "Hệ thống {} đã có yêu cầu hoặc quyền còn hiệu lực với: {}.",
                consumer.key(),
                pending.join(", ")
            )));
        }
        let now = self.now();
        let grants: Vec<Grant> = ops
            .iter()
            .map(|op| Grant {
                id: new_id(),
                consumer_member: consumer.member_code.clone(),
                consumer_subsystem: consumer.code.clone(),
                service_id: service.id.clone(),
                operation_id: op.to_string(),
                status: GrantStatus::Requested,
                purpose: r.purpose.trim().to_string(),
                valid_until: valid_until.clone(),
                requested_by: actor.name.clone(),
                requested_at: now.clone(),
                decided_by: None,
                decided_at: None,
                decision_note: None,
            })
            .collect();
        store::insert_grants(&mut tx, &grants).await?;
        let events: Vec<AuditEvent> = grants
            .iter()
            .map(|g| {
                event(actor, rid, "lgsp.grant.request", "lgsp_grant", &g.id)
                    .purpose(g.purpose.clone())
                    .details(serde_json::json!({
                        "consumer": consumer.key(),
                        "service": format!("{}/{}", service.member_code, service.code),
                        "operation": g.operation_id,
                        "valid_until": g.valid_until,
                    }))
            })
            .collect();
        self.audit.record_many(&mut tx, &events).await?;
        tx.commit().await?;
        Ok(grants)
    }

    fn check_until(&self, raw: &str, errors: &mut Vec<FieldError>) -> String {
        let today = cqdt_platform::clock::to_vn(self.clock.now()).date_naive();
        match cqdt_platform::clock::parse_date(raw.trim()) {
            Some(d) if d >= today && d <= today + chrono::Days::new(731) => {
                d.format("%Y-%m-%d").to_string()
            }
            Some(_) => {
                errors.push(FieldError::new(
                    "valid_until",
                    "Thời hạn phải từ hôm nay đến tối đa hai năm tới.",
                ));
                String::new()
            }
            None => {
                errors.push(FieldError::new("valid_until", "Nhập thời hạn dạng dd/mm/yyyy."));
                String::new()
            }
        }
    }

    /// Approves, rejects or revokes a grant, as the provider's administrator; the note is the
    /// reason (required to reject or revoke). Approval may shorten the period asked for.
    #[tracing::instrument(skip(self, actor, note))]
    pub async fn decide(
        &self,
        actor: &Actor,
        rid: &str,
        id: &str,
        to: GrantStatus,
        note: &str,
        valid_until: Option<&str>,
    ) -> Result<Grant, LgspError> {
        let note = note.trim();
        let mut errors = Vec::new();
        if to != GrantStatus::Approved && note.chars().count() < 3 {
            errors.push(FieldError::new("note", "Nêu lý do (ít nhất 3 ký tự)."));
        }
        if note.chars().count() > 1000 {
            errors.push(FieldError::new("note", "Lý do dài tối đa 1000 ký tự."));
        }
        let until =
            valid_until.filter(|v| !v.trim().is_empty()).map(|v| self.check_until(v, &mut errors));
        if !errors.is_empty() {
            return Err(LgspError::Invalid(errors));
        }
        let mut tx = self.db.begin().await?;
        let mut g = store::grant(&mut *tx, id)
            .await?
            .ok_or_else(|| LgspError::NotFound(format!("Không có yêu cầu cấp quyền “{id}”.")))?;
        let service = self.service_in(&mut tx, &g.service_id).await?;
        actor.require(&service.member_code)?;
        let from = match (g.status, to) {
            (GrantStatus::Requested, GrantStatus::Approved | GrantStatus::Rejected) => g.status,
            (GrantStatus::Approved, GrantStatus::Revoked) => g.status,
            (now, _) => {
                return Err(LgspError::Conflict(format!(
                    "Quyền này đang ở trạng thái “{}”, không thể chuyển sang “{}”.",
                    now.label(),
                    to.label()
                )))
            }
        };
        if let Some(until) = until {
            if to == GrantStatus::Approved && until <= g.valid_until {
                g.valid_until = until;
            } else if to == GrantStatus::Approved {
                return Err(LgspError::field(
                    "valid_until",
                    "Chỉ được rút ngắn thời hạn so với yêu cầu.",
                ));
            }
        }
        g.status = to;
        g.decided_by = Some(actor.name.clone());
        g.decided_at = Some(self.now());
        g.decision_note = (!note.is_empty()).then(|| note.to_string());
        if !store::decide_grant(&mut tx, &g, from.as_str()).await? {
            return Err(LgspError::Conflict("Quyền này vừa được người khác xử lý.".into()));
        }
        let action = match to {
            GrantStatus::Approved => "lgsp.grant.approve",
            GrantStatus::Rejected => "lgsp.grant.reject",
            _ => "lgsp.grant.revoke",
        };
        self.audit
            .record(
                &mut tx,
                event(actor, rid, action, "lgsp_grant", &g.id).details(serde_json::json!({
                    "consumer": format!("{}/{}", g.consumer_member, g.consumer_subsystem),
                    "service": format!("{}/{}", service.member_code, service.code),
                    "operation": g.operation_id,
                    "valid_until": g.valid_until,
                    "note": g.decision_note,
                })),
            )
            .await?;
        tx.commit().await?;
        self.changed();
        Ok(g)
    }

    /// Grants matching a filter, newest request first.
    pub async fn grants(&self, f: &GrantFilter, limit: i64) -> Result<Vec<Grant>, LgspError> {
        Ok(store::grants(self.db.pool(), f, limit).await?)
    }

    /// The system an OAuth client calls as.
    pub async fn consumer_of(&self, client_id: &str) -> Result<Option<Subsystem>, LgspError> {
        Ok(store::subsystem_of_client(self.db.pool(), client_id).await?)
    }

    /// The operations of a service a consumer may call today.
    pub async fn allowed(
        &self,
        consumer: &Subsystem,
        service_id: &str,
    ) -> Result<Vec<String>, LgspError> {
        Ok(store::granted_operations(
            self.db.pool(),
            &consumer.member_code,
            &consumer.code,
            service_id,
            &self.today(),
        )
        .await?)
    }
}
