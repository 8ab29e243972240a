//! The browser side of OpenID Connect: the authorization endpoint, the consent page and
//! RP-initiated logout.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::Form;
use cqdt_platform::web::{render, url_encode, FormTargets};
use cqdt_platform::Shell;

use super::{clear_cookie, leading_to, see_other, signed_out, Caller, FormPage};
use crate::error::IdentityError;
use crate::http::IdentityState;
use crate::login::Stage;
use crate::oidc::{AuthRequest, AuthorizeError};

/// The query of the authorization endpoint, as the API document describes it (the handler
/// reads the parameters as a map and checks them in `IdentityService::check_authorize`).
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub(in crate::http) struct AuthorizeParams {
    #[param(inline)]
    response_type: ResponseType,
    client_id: String,
    redirect_uri: String,
    scope: String,
    state: Option<String>,
    nonce: Option<String>,
    code_challenge: String,
    #[param(inline)]
    code_challenge_method: CodeChallengeMethod,
    prompt: Option<String>,
}

/// The only response type: the authorization code.
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
enum ResponseType {
    Code,
}

/// The only PKCE method.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
enum CodeChallengeMethod {
    S256,
}

fn auth_hidden(req: &AuthRequest) -> Vec<(String, String)> {
    let mut h = vec![
        ("client_id".to_string(), req.client_id.clone()),
        ("redirect_uri".into(), req.redirect_uri.clone()),
        ("scope".into(), req.scope.clone()),
        ("response_type".into(), "code".into()),
        ("code_challenge".into(), req.code_challenge.clone()),
        ("code_challenge_method".into(), "S256".into()),
    ];
    if let Some(s) = &req.state {
        h.push(("state".into(), s.clone()));
    }
    if let Some(n) = &req.nonce {
        h.push(("nonce".into(), n.clone()));
    }
    h
}

#[derive(Template)]
#[template(path = "consent.html")]
struct ConsentTpl {
    shell: Shell,
    client_name: String,
    /// What the application gets to know (OpenID Connect scopes).
    knows: Vec<&'static str>,
    /// What it gets to do for the person (API scopes).
    does: Vec<&'static str>,
    hidden: Vec<(String, String)>,
}

/// The page asking the person to let the client have the scopes it asked for.
fn consent_page(shell: &Shell, req: &AuthRequest) -> Response {
    let (does, knows): (Vec<&str>, Vec<&str>) =
        req.scope.split(' ').partition(|sc| cqdt_platform::auth::ApiScope::parse(sc).is_some());
    let label = |v: Vec<&str>| v.into_iter().filter_map(crate::oidc::scope_label).collect();
    let page = render(&ConsentTpl {
        shell: shell.clone(),
        client_name: req.client_name.clone(),
        knows: label(knows),
        does: label(does),
        hidden: auth_hidden(req),
    });
    // The answer redirects to the application (checked: a registered redirect URI).
    leading_to(page, FormTargets::origin_of(&req.redirect_uri))
}

/// The parameters as a map, empty ones omitted (RFC 6749 §3.1), and the first name that came
/// more than once (it is refused: which of the values would the client have meant?).
fn single_params(pairs: Vec<(String, String)>) -> (HashMap<String, String>, Option<String>) {
    let mut q = HashMap::with_capacity(pairs.len());
    let mut repeated = None;
    for (k, v) in pairs.into_iter().filter(|(_, v)| !v.is_empty()) {
        match q.entry(k) {
            std::collections::hash_map::Entry::Occupied(e) => {
                repeated.get_or_insert_with(|| e.key().clone());
            }
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(v);
            }
        }
    }
    (q, repeated)
}

/// The authorization endpoint.
#[utoipa::path(get, path = "/oauth/authorize", tag = "identity",
    summary = "Authorization endpoint (code flow, PKCE S256 required); a browser page, not JSON",
    params(AuthorizeParams),
    responses(
        (status = 303, description = "to the login page, the consent page, or the client with a code or an error"),
        (status = 400, description = "unknown client or unregistered redirect_uri (never redirected)")))]
pub(in crate::http) async fn authorize(
    State(s): State<IdentityState>,
    caller: Caller,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Result<Response, IdentityError> {
    authorize_with(&s, &caller, pairs).await
}

/// The authorization endpoint, its parameters form-posted (OIDC Core §3.1.2.1), typically
/// from the client's own site: the CSRF guard lets this route through for that.
pub(in crate::http) async fn authorize_posted(
    State(s): State<IdentityState>,
    caller: Caller,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, IdentityError> {
    authorize_with(&s, &caller, pairs).await
}

async fn authorize_with(
    s: &IdentityState,
    caller: &Caller,
    pairs: Vec<(String, String)>,
) -> Result<Response, IdentityError> {
    let (q, repeated) = single_params(pairs);
    let req = match s.identity.check_authorize(&q, repeated.as_deref()).await {
        Ok(r) => r,
        Err(AuthorizeError::Page(m)) => return Err(IdentityError::Invalid(m)),
        Err(AuthorizeError::Redirect(to)) => return Ok(see_other(&to)),
    };
    let live = caller.live(s).await.filter(|l| l.stage == Stage::Full);
    let signed_in = live.is_some();
    let Some(live) = live.filter(|l| s.identity.signed_in_recently_enough(&req, l)) else {
        if req.prompts("none") {
            let to = req.error_redirect("login_required", "the person must sign in");
            return Ok(see_other(&to));
        }
        let fresh =
            signed_in || req.prompts("login") || req.max_age.is_some() || req.auth_after.is_some();
        return Ok(see_other(&s.identity.sign_in_first(&q, fresh)));
    };
    if s.identity.needs_consent(&live.account.id, &req).await? {
        if req.prompts("none") {
            return Ok(see_other(&req.error_redirect("consent_required", "consent is required")));
        }
        return Ok(consent_page(&s.platform.shell, &req));
    }
    Ok(see_other(&s.identity.issue_code(&live, &req).await?))
}

pub(super) async fn consent_submit(
    State(s): State<IdentityState>,
    caller: Caller,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, IdentityError> {
    let (f, repeated) = single_params(pairs);
    let req = match s.identity.check_authorize(&f, repeated.as_deref()).await {
        Ok(r) => r,
        Err(AuthorizeError::Page(m)) => return Err(IdentityError::Invalid(m)),
        Err(AuthorizeError::Redirect(to)) => return Ok(see_other(&to)),
    };
    let Some(live) = caller.live(&s).await.filter(|l| l.stage == Stage::Full) else {
        return Ok(see_other("/dang-nhap"));
    };
    if f.get("decision").map(String::as_str) != Some("allow") {
        return Ok(see_other(&req.error_redirect("access_denied", "the person declined")));
    }
    s.identity.grant_consent(&live.account, &req, &caller.client).await?;
    Ok(see_other(&s.identity.issue_code(&live, &req).await?))
}

/// Where to send the person after logging out: `post_logout_redirect_uri` if it is registered
/// for the client (with `state` added); none asked for is `None`, one not registered an error.
async fn post_logout_redirect(
    s: &IdentityState,
    client_id: Option<String>,
    q: &HashMap<String, String>,
) -> Result<Option<String>, IdentityError> {
    let (Some(cid), Some(uri)) = (client_id, q.get("post_logout_redirect_uri")) else {
        return Ok(None);
    };
    let registered = s
        .identity
        .client(&cid)
        .await?
        .is_some_and(|c| c.redirect_uris.iter().any(|r| r.as_str() == uri));
    if !registered {
        return Err(IdentityError::Invalid(
            "Địa chỉ quay lại sau khi đăng xuất không được đăng ký cho ứng dụng.".into(),
        ));
    }
    let mut to = uri.clone();
    if let Some(st) = q.get("state") {
        to.push(if to.contains('?') { '&' } else { '?' });
        to.push_str("state=");
        to.push_str(&url_encode(st));
    }
    Ok(Some(to))
}

/// The person confirms logging out (no `id_token_hint` for the signed-in person).
fn confirm_logout_page(shell: &Shell, redirect: Option<String>) -> Response {
    let origin = redirect.as_deref().and_then(FormTargets::origin_of);
    let mut hidden = Vec::new();
    if let Some(to) = redirect {
        hidden.push(("after".to_string(), to));
    }
    let page = FormPage {
        title: "Đăng xuất",
        intro: vec!["Một ứng dụng yêu cầu kết thúc phiên đăng nhập của ông/bà. Đăng xuất?".into()],
        action: "/oauth/logout".into(),
        hidden,
        submit: "Đăng xuất",
        ..FormPage::default()
    }
    .render(shell, Vec::new());
    // Logging out goes on to the application's registered post-logout URI.
    leading_to(page, origin)
}

/// RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0). With a valid
/// `id_token_hint` for the signed-in person the session ends at once; otherwise the person
/// confirms. `post_logout_redirect_uri` must be one of the client's registered URIs.
#[utoipa::path(get, path = "/oauth/logout", tag = "identity",
    summary = "RP-initiated logout (id_token_hint, post_logout_redirect_uri, state)",
    responses(
        (status = 303, description = "to the registered post-logout URI"),
        (status = 200, description = "confirmation page")))]
pub(in crate::http) async fn rp_logout(
    State(s): State<IdentityState>,
    caller: Caller,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, IdentityError> {
    let shell = &s.platform.shell;
    // A hint that does not verify is refused, and with it any redirection (RP-Initiated
    // Logout 1.0 §2): it is not this provider's ID token for that client.
    let hint = match q.get("id_token_hint") {
        Some(t) => {
            match s.identity.read_id_token_hint(t, q.get("client_id").map(String::as_str)).await {
                Ok(h) => Some(h),
                Err(why) => {
                    tracing::info!(reason = %why, "id_token_hint refused at logout");
                    return Err(IdentityError::Invalid(
                    "Mã ID token gửi kèm yêu cầu đăng xuất (id_token_hint) không hợp lệ hoặc không do hệ thống này cấp cho ứng dụng; phiên đăng nhập chưa kết thúc.".into(),
                ));
                }
            }
        }
        None => None,
    };
    let client_id = hint.as_ref().map(|h| h.aud.clone()).or_else(|| q.get("client_id").cloned());
    let redirect = post_logout_redirect(&s, client_id, &q).await?;
    let live = caller.live(&s).await;
    let matches_hint = matches!((&live, &hint), (Some(l), Some(h)) if h.sub == l.account.id);
    if !matches_hint && live.is_some() {
        return Ok(confirm_logout_page(shell, redirect));
    }
    if let Some(cookie) = caller.cookie {
        s.identity.logout(&cookie, &caller.client).await?;
    }
    Ok(match redirect {
        Some(to) => clear_cookie(see_other(&to), shell.tls),
        None => signed_out(shell, "Phiên đăng nhập đã kết thúc."),
    })
}

pub(super) async fn rp_logout_confirm(
    State(s): State<IdentityState>,
    caller: Caller,
    Form(f): Form<HashMap<String, String>>,
) -> Result<Response, IdentityError> {
    let shell = &s.platform.shell;
    if let Some(cookie) = caller.cookie {
        s.identity.logout(&cookie, &caller.client).await?;
    }
    // Only a URI this server put in the form (checked against the client's registration)
    // is followed; anything else ends on the message page.
    Ok(match f.get("after") {
        Some(to) if s.identity.is_registered_redirect(to).await => {
            clear_cookie(see_other(to), shell.tls)
        }
        _ => signed_out(shell, "Phiên đăng nhập đã kết thúc."),
    })
}
