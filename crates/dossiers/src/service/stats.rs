//! The one-stop statistics (received, resolved early, on time or late, in progress,
//! overdue, supplement, refused, withdrawn, apologies) by agency, field, procedure or month,
//! and the ledger (TT 01/2018 Mẫu 06).

use chrono::NaiveDate;
use cqdt_platform::Principal;

use super::office::OFFICE;
use super::DossierService;
use crate::error::DossierError;
use crate::store;

/// How the one-stop statistics group dossiers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatsBy {
    /// By receiving agency.
    Agency,
    /// By field (lĩnh vực) of the procedure.
    Field,
    /// By procedure.
    Procedure,
    /// By month received.
    Month,
}

impl StatsBy {
    /// Every grouping.
    pub const ALL: [StatsBy; 4] =
        [StatsBy::Agency, StatsBy::Field, StatsBy::Procedure, StatsBy::Month];

    /// URL form.
    pub fn as_str(self) -> &'static str {
        match self {
            StatsBy::Agency => "co-quan",
            StatsBy::Field => "linh-vuc",
            StatsBy::Procedure => "thu-tuc",
            StatsBy::Month => "thang",
        }
    }

    /// Parses the URL form.
    pub fn parse(s: &str) -> Option<Self> {
        StatsBy::ALL.into_iter().find(|b| b.as_str() == s)
    }

    /// Vietnamese name.
    pub fn label(self) -> &'static str {
        match self {
            StatsBy::Agency => "Cơ quan",
            StatsBy::Field => "Lĩnh vực",
            StatsBy::Procedure => "Thủ tục",
            StatsBy::Month => "Tháng",
        }
    }
}

/// The one-stop statistics of a period.
#[derive(Debug, Clone, Default)]
pub struct Statistics {
    /// Groups: label and counts, in order.
    pub groups: Vec<(String, crate::model::Counts)>,
    /// Every month of the period with its counts (for the chart).
    pub months: Vec<(String, crate::model::Counts)>,
    /// The whole period.
    pub total: crate::model::Counts,
}

/// `2026-11` → `11/2026`.
fn vn_month(m: &str) -> String {
    match m.split_once('-') {
        Some((y, mm)) => format!("{mm}/{y}"),
        None => m.to_string(),
    }
}

impl DossierService {
    /// The one-stop statistics of dossiers submitted or received from `from` to `to`, grouped
    /// `by`; only agencies in an official's scope, or every agency for the public summary.
    #[tracing::instrument(skip(self, who))]
    pub async fn statistics(
        &self,
        who: Option<&Principal>,
        from: NaiveDate,
        to: NaiveDate,
        by: StatsBy,
    ) -> Result<Statistics, DossierError> {
        let day = |d: NaiveDate| d.format("%Y-%m-%d").to_string();
        let rows =
            store::counts(self.db.pool(), &day(from), &day(to), &day(self.clock.today())).await?;
        let rows: Vec<_> = rows
            .into_iter()
            .filter(|r| who.is_none_or(|w| w.can_any(&OFFICE, &r.agency_code)))
            .collect();
        let mut fields: std::collections::HashMap<String, String> = Default::default();
        for r in &rows {
            if by == StatsBy::Field && !fields.contains_key(&r.procedure_code) {
                let name = self
                    .procedure_if_readable(&r.procedure_code)
                    .await
                    .map(|p| p.field.name)
                    .unwrap_or_else(|| "Khác".into());
                fields.insert(r.procedure_code.clone(), name);
            }
        }
        let mut groups: Vec<(String, crate::model::Counts)> = Vec::new();
        let mut months: Vec<(String, crate::model::Counts)> = Vec::new();
        let mut total = crate::model::Counts::default();
        let add = |list: &mut Vec<(String, crate::model::Counts)>, key: String, c| match list
            .iter_mut()
            .find(|(k, _)| *k == key)
        {
            Some((_, sum)) => sum.add(c),
            None => {
                let mut sum = crate::model::Counts::default();
                sum.add(c);
                list.push((key, sum));
            }
        };
        for r in &rows {
            let label = match by {
                StatsBy::Agency => r.agency_name.clone(),
                StatsBy::Field => fields.get(&r.procedure_code).cloned().unwrap_or_default(),
                StatsBy::Procedure => r.procedure_name.clone(),
                StatsBy::Month => vn_month(&r.month),
            };
            add(&mut groups, label, &r.counts);
            add(&mut months, r.month.clone(), &r.counts);
            total.add(&r.counts);
        }
        if by != StatsBy::Month {
            groups.sort_by(|a, b| b.1.received.cmp(&a.1.received).then(a.0.cmp(&b.0)));
        }
        months.sort_by(|a, b| a.0.cmp(&b.0));
        for m in &mut months {
            m.0 = vn_month(&m.0);
        }
        Ok(Statistics { groups, months, total })
    }

    /// The ledger (Mẫu 06) of the agencies in an official's scope, optionally of one agency
    /// and one procedure; at most `limit` lines.
    #[tracing::instrument(skip(self, who))]
    pub async fn ledger(
        &self,
        who: &Principal,
        from: NaiveDate,
        to: NaiveDate,
        agency: Option<&str>,
        procedure: Option<&str>,
        limit: i64,
    ) -> Result<Vec<store::LedgerRow>, DossierError> {
        let agencies: Vec<String> = self
            .agencies_in_scope(who)
            .into_iter()
            .map(|(code, _)| code)
            .filter(|code| agency.is_none_or(|x| x == code))
            .collect();
        let day = |d: NaiveDate| d.format("%Y-%m-%d").to_string();
        Ok(store::ledger(&self.db, &day(from), &day(to), &agencies, procedure, limit).await?)
    }
}
