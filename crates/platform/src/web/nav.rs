//! Who is looking at a page, and the menu they get (issue 15, item 8).
//!
//! The [`page_context`] middleware resolves the signed-in person of a page request once and
//! keeps them, with the path asked for, in a task-local for the duration of the request, so
//! that the shared layout (rendered by every module's handlers from the same [`Shell`]) can
//! name the person and show only the links they may open, without threading the person
//! through a hundred handlers.

use std::cell::RefCell;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;

use super::Shell;
use crate::auth::{Access, AuthHook, Principal, Role};

/// The person signed in, as the header shows them.
#[derive(Debug, Clone)]
pub struct Viewer {
    /// Full name.
    pub name: String,
    /// The name of their agency (officials), if any.
    pub agency: Option<String>,
    /// The roles held (anywhere).
    pub roles: Vec<Role>,
}

impl Viewer {
    /// Whether the person holds any of `roles`.
    pub fn holds(&self, roles: &[Role]) -> bool {
        self.roles.iter().any(|r| roles.contains(r))
    }
}

/// Who may see a menu link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// Everybody, signed in or not.
    Everyone,
    /// Only a person holding one of these roles.
    Roles(&'static [Role]),
}

impl Audience {
    fn admits(self, viewer: Option<&Viewer>) -> bool {
        match self {
            Audience::Everyone => true,
            Audience::Roles(roles) => viewer.is_some_and(|v| v.holds(roles)),
        }
    }
}

/// A link of the main menu or of the administration landing page.
#[derive(Debug, Clone, Copy)]
pub struct MenuLink {
    /// Where it goes.
    pub href: &'static str,
    /// What it says.
    pub label: &'static str,
    /// One sentence on what is there (the administration page shows it).
    pub summary: &'static str,
    /// Who sees it: only people for whom the page answers 200.
    pub audience: Audience,
}

/// A menu link as the layout renders it.
#[derive(Debug, Clone)]
pub struct NavLink {
    /// Where it goes.
    pub href: &'static str,
    /// What it says.
    pub label: &'static str,
    /// One sentence on what is there.
    pub summary: &'static str,
    /// Whether the page shown is in this section (`aria-current="page"`).
    pub current: bool,
}

struct PageContext {
    path: String,
    viewer: RefCell<Option<Viewer>>,
    agency_name: AgencyName,
}

tokio::task_local! {
    static PAGE: PageContext;
}

/// Forgets the person for the rest of the request: the page that confirms signing out must
/// not name them.
pub fn forget_viewer() {
    let _ = PAGE.try_with(|c| c.viewer.borrow_mut().take());
}

/// The links of `links` that `viewer` may open, the one whose section holds `path` current
/// (the longest matching prefix, so "/mot-cua/so-theo-doi" wins over "/mot-cua").
fn visible(links: &[MenuLink], viewer: Option<&Viewer>, path: &str) -> Vec<NavLink> {
    let within = |href: &str| {
        path == href
            || (href != "/" && path.starts_with(href) && path[href.len()..].starts_with('/'))
    };
    let shown: Vec<&MenuLink> = links.iter().filter(|l| l.audience.admits(viewer)).collect();
    let current = shown.iter().filter(|l| within(l.href)).map(|l| l.href.len()).max();
    shown
        .into_iter()
        .map(|l| NavLink {
            href: l.href,
            label: l.label,
            summary: l.summary,
            current: within(l.href) && Some(l.href.len()) == current,
        })
        .collect()
}

impl Shell {
    /// The person signed in on this request, if any.
    pub fn viewer(&self) -> Option<Viewer> {
        PAGE.try_with(|c| c.viewer.borrow().clone()).ok().flatten()
    }

    /// The main menu for this request's person.
    pub fn nav(&self) -> Vec<NavLink> {
        PAGE.try_with(|c| visible(self.menu, c.viewer.borrow().as_ref(), &c.path))
            .unwrap_or_else(|_| visible(self.menu, None, "/"))
    }

    /// An agency's name for a page to show instead of its code (the code itself when the
    /// agency is unknown, or outside a page request).
    pub fn agency(&self, code: &str) -> String {
        PAGE.try_with(|c| (c.agency_name)(code)).ok().flatten().unwrap_or_else(|| code.to_string())
    }

    /// The path of this request (for the sign-in link's way back).
    pub fn path(&self) -> String {
        PAGE.try_with(|c| c.path.clone()).unwrap_or_default()
    }
}

/// An agency's name from its code.
pub type AgencyName = Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// What [`page_context`] needs: how sessions resolve, and agencies' names.
#[derive(Clone)]
pub struct PageContextState {
    /// Resolves sessions.
    pub auth: AuthHook,
    /// An agency's name from its code.
    pub agency_name: AgencyName,
}

/// Resolves the person signed in on a page request (session cookie only: a bearer token's
/// rights depend on the route, which is not known yet) and keeps them for the layout. The
/// resolved principal goes into the request's extensions, so the handler's own extractor
/// does not look the session up a second time.
pub async fn page_context(
    State(state): State<PageContextState>,
    mut req: Request,
    next: Next,
) -> Response {
    let path = req.uri().path().to_string();
    let mut viewer = None;
    if !super::is_api_path(&path) && req.headers().contains_key(axum::http::header::COOKIE) {
        let (mut parts, body) = req.into_parts();
        if let Ok(Some(p)) = state.auth.principal(&parts).await {
            if matches!(p.access, Access::Session) {
                viewer = Some(viewer_of(&p, &state));
                parts.extensions.insert(p);
            }
        }
        req = Request::from_parts(parts, body);
    }
    let context =
        PageContext { path, viewer: RefCell::new(viewer), agency_name: state.agency_name.clone() };
    PAGE.scope(context, next.run(req)).await
}

fn viewer_of(p: &Principal, state: &PageContextState) -> Viewer {
    let mut roles: Vec<Role> = p.roles.iter().map(|g| g.role).collect();
    roles.sort();
    roles.dedup();
    Viewer {
        name: p.name.clone(),
        agency: p.agency.as_deref().and_then(|a| (state.agency_name)(a)),
        roles,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINKS: [MenuLink; 3] = [
        MenuLink { href: "/", label: "Trang chủ", summary: "", audience: Audience::Everyone },
        MenuLink {
            href: "/mot-cua",
            label: "Hồ sơ một cửa",
            summary: "",
            audience: Audience::Roles(&[Role::ReceptionOfficer]),
        },
        MenuLink {
            href: "/mot-cua/so-theo-doi",
            label: "Sổ theo dõi",
            summary: "",
            audience: Audience::Roles(&[Role::ReceptionOfficer]),
        },
    ];

    #[test]
    fn a_menu_shows_a_link_only_to_its_audience_and_marks_the_deepest_section_current() {
        assert_eq!(visible(&LINKS, None, "/mot-cua").len(), 1);
        let officer =
            Viewer { name: "A".into(), agency: None, roles: vec![Role::ReceptionOfficer] };
        let shown = visible(&LINKS, Some(&officer), "/mot-cua/so-theo-doi");
        let current: Vec<&str> = shown.iter().filter(|l| l.current).map(|l| l.href).collect();
        assert_eq!(current, ["/mot-cua/so-theo-doi"]);
        let shown = visible(&LINKS, Some(&officer), "/mot-cua/ho-so/X");
        let current: Vec<&str> = shown.iter().filter(|l| l.current).map(|l| l.href).collect();
        assert_eq!(current, ["/mot-cua"]);
        let shown = visible(&LINKS, Some(&officer), "/");
        assert!(shown[0].current && !shown[1].current);
        assert!(!visible(&LINKS, None, "/mot-cuaX")[0].current);
    }
}
