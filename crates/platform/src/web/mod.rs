//! The web shell: shared state, the page layout, errors in Vietnamese and problem+json,
//! the bootstrap admin guard, security headers, CSRF origin checks, request text composed to
//! NFC, and request metrics.

mod client;
mod error;
mod guard;
mod input;
mod metrics;
mod nav;
mod text;

use std::sync::Arc;

use askama::Template;
use axum::extract::DefaultBodyLimit;
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use serde::Serialize;

pub use client::{client_address, ClientIp, TrustedProxies};
pub use error::{
    error_pages, is_api_path, ApiJson, ApiQuery, FieldError, HttpError, PageError, Problem,
};
pub use guard::{
    csrf_guard, refuse_nul, security_headers, Admin, AdminRejection, FormTargets, MakeRequestId,
    RequestId,
};
pub use input::compose_text;
pub use metrics::{track_metrics, Metrics};
pub use nav::{forget_viewer, page_context, Audience, MenuLink, NavLink, PageContextState, Viewer};
pub use text::{clip, fold, nfc, qr_svg, url_encode};

use crate::clock::SharedClock;
use crate::db::Db;
use crate::service::{AdminCredentials, FileStore, JobQueue, Settings};

/// A module as the home page and navigation show it.
#[derive(Debug, Clone, Serialize)]
pub struct ModuleInfo {
    /// Module id from DESIGN.md (M1, M3, …).
    pub id: &'static str,
    /// Vietnamese name.
    pub name: &'static str,
    /// One sentence in Vietnamese on what it offers.
    pub summary: &'static str,
    /// Where it starts.
    pub href: &'static str,
}

/// What every page's layout needs.
#[derive(Debug, Clone)]
pub struct Shell {
    /// Name of the instance (the province).
    pub instance_name: String,
    /// True when the demo province is loaded: pages show a banner.
    pub demo: bool,
    /// The modules running in this binary.
    pub modules: Vec<ModuleInfo>,
    /// Whether the public address is HTTPS (turns on HSTS).
    pub tls: bool,
    /// The main menu; each person sees the links they may open ([`Shell::nav`]).
    pub menu: &'static [MenuLink],
    /// The sections of the administration landing page (`/admin`).
    pub admin_sections: &'static [MenuLink],
}

/// Shared state of the platform core, reachable from every module's router.
#[derive(Clone)]
pub struct Platform {
    /// The database.
    pub db: Db,
    /// The clock.
    pub clock: SharedClock,
    /// Outbox / job queue.
    pub jobs: JobQueue,
    /// Attachment store.
    pub files: FileStore,
    /// Settings.
    pub settings: Settings,
    /// Bootstrap admin credentials.
    pub admin: AdminCredentials,
    /// Page shell.
    pub shell: Arc<Shell>,
    /// Request metrics.
    pub metrics: Arc<Metrics>,
    /// Where the identity module resolves sessions to signed-in people.
    pub auth: crate::auth::AuthHook,
}

impl Platform {
    /// The body limit of a route that takes up to `files` files (see [`upload_limit`]).
    pub fn upload_limit(&self, files: usize) -> DefaultBodyLimit {
        upload_limit(self.files.max_bytes(), files)
    }
}

/// The largest body of a request that carries no file (forms and JSON): 1 MiB. The
/// application's default; routes that take files raise it with [`upload_limit`].
pub const BODY_LIMIT: usize = 1024 * 1024;

/// The body limit of a route that takes up to `files` files of at most `max_file_bytes`
/// each, with the form's own fields besides ([`BODY_LIMIT`]); put on that route alone
/// (`post(handler).layer(upload_limit(..))`), so every other route keeps the small default.
pub fn upload_limit(max_file_bytes: usize, files: usize) -> DefaultBodyLimit {
    DefaultBodyLimit::max(max_file_bytes.saturating_mul(files).saturating_add(BODY_LIMIT))
}

/// Renders a template into a response, or the Vietnamese error page if rendering fails.
pub fn render<T: Template>(t: &T) -> Response {
    match t.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template rendering failed");
            PageError::Internal.into_response()
        }
    }
}

/// The stylesheet of the design system, embedded in the binary.
pub const APP_CSS: &str = include_str!("../../assets/app.css");

/// Serves the stylesheet.
pub async fn app_css() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        APP_CSS,
    )
}
