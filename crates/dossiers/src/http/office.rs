//! The one-stop back office's pages (`/mot-cua`): officials' work lists by status with
//! due-soon and overdue flags ([`worklist`]); a dossier with the actions the official's role
//! allows (receive, ask for a supplement, refuse, hand to processing, return the result,
//! apologise) and its process tasks ([`dossier`]); the printable slips of TT 01/2018, Mẫu
//! 01–05, on A5 with a QR code of the dossier code ([`slips`]); the statistics
//! ([`statistics`]) and the ledger, Mẫu 06 ([`ledger`]); dossiers brought to the counter
//! ([`counter`]); and the result document generated from the procedure's template
//! ([`result`]).

use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
// Dates and times as people read them: the platform's one formatter.
use cqdt_platform::clock::{local_date_text as vn_date, local_text as vn_ts};

use super::DossierState;
use crate::error::DossierError;

mod counter;
mod dossier;
mod ledger;
mod result;
mod slips;
mod statistics;
mod worklist;

/// The routes of these pages, merged by the module's router.
pub(super) fn routes(up: super::Uploads) -> Router<DossierState> {
    Router::new()
        .route("/mot-cua", get(worklist::work_list))
        .route("/mot-cua/ho-so/{code}", get(dossier::dossier_page))
        .route("/mot-cua/thong-ke", get(statistics::statistics_page))
        .route("/mot-cua/tiep-nhan-truc-tiep", get(counter::counter_choose))
        .route(
            "/mot-cua/tiep-nhan-truc-tiep/{procedure}",
            get(counter::counter_form).post(counter::counter_submit).layer(up.files),
        )
        .route("/mot-cua/so-theo-doi", get(ledger::ledger_page))
        .route("/thong-ke-ho-so", get(statistics::public_statistics))
        .route("/mot-cua/ho-so/{code}/phieu/{form}", get(slips::slip))
        .route("/mot-cua/ho-so/{code}/cong-viec/{task}", post(dossier::complete_task))
        .route("/mot-cua/ho-so/{code}/tep/{sha256}", get(dossier::file))
        .route("/mot-cua/ho-so/{code}/ket-qua", post(dossier::add_result).layer(up.one))
        .route(
            "/mot-cua/ho-so/{code}/ket-qua/tao",
            get(result::result_form).post(result::result_submit),
        )
        .route("/mot-cua/ho-so/{code}/doi-chieu", post(dossier::check_national))
        .route("/mot-cua/ho-so/{code}/{action}", post(dossier::act))
}

/// Each component of the procedure (none without one) with the names of the dossier's files
/// attached to it.
fn component_files<'a>(
    procedure: Option<&'a cqdt_procedures::model::Procedure>,
    view: &'a crate::service::DossierView,
) -> impl Iterator<Item = (&'a cqdt_procedures::model::Component, Vec<&'a crate::model::DossierFile>)>
{
    let components = procedure.map(|p| p.components.as_slice()).unwrap_or_default();
    components.iter().enumerate().map(move |(i, c)| {
        let files = view.files.iter().filter(|f| f.component == i as i64);
        (c, files.collect())
    })
}

/// A one-sheet workbook as a download.
fn xlsx_response(
    sheet: &cqdt_platform::xlsx::Sheet,
    file_name: &'static str,
) -> Result<Response, DossierError> {
    let bytes = cqdt_platform::xlsx::write(std::slice::from_ref(sheet))
        .map_err(|e| DossierError::Internal(e.to_string()))?;
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, cqdt_platform::xlsx::MEDIA_TYPE.to_string()),
            (
                axum::http::header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file_name}\""),
            ),
        ],
        bytes,
    )
        .into_response())
}
