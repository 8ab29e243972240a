//! OAuth clients: their secrets, registration and the checked form of a registration.
//!
//! ## Why client secrets are stored as SHA-256, not argon2id
//!
//! Argon2id exists to make guessing *low-entropy* secrets (people's passwords) expensive. A
//! client secret here is never chosen by a person: the platform draws 256 random bits and shows
//! them once. Guessing such a secret is hopeless whatever the hash, so a single SHA-256 (as
//! GitHub and others store API tokens) protects it as well as argon2id would, while a grant
//! verifies in well under a microsecond instead of tens of milliseconds: argon2id on every
//! client-credentials grant would cap the platform at a few dozen grants per second per core,
//! far from the 5,000 grants/s target, and would hand attackers a cheap way to burn CPU. The
//! stored form names its scheme (`sha256:<hex>`), so a later scheme can be added beside it.
//! People's passwords (later slices) use argon2id.

use std::collections::BTreeSet;
use std::fmt;

use base64::Engine;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use cqdt_platform::auth::ApiScope;

use super::{Grant, RedirectUri, Scopes, B64};
use crate::error::IdentityError;
use crate::jwt::Alg;

/// A client secret in clear, as generated; shown once and never stored or logged.
#[derive(Clone, PartialEq, Eq)]
pub struct ClientSecret(String);

impl ClientSecret {
    /// Draws a new secret: 256 random bits, base64url, with a recognisable prefix so that secret
    /// scanners can spot a leaked one.
    pub fn generate() -> Self {
        let bytes: [u8; 32] = rand::random();
        ClientSecret(format!("cqdtcs_{}", B64.encode(bytes)))
    }

    /// The secret, to show once.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The stored form.
    pub fn hash(&self) -> SecretHash {
        SecretHash(Sha256::digest(self.0.as_bytes()).into())
    }
}

impl fmt::Debug for ClientSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ClientSecret(***)")
    }
}

/// The stored digest of a client secret (see the module documentation for the choice).
#[derive(Clone, PartialEq, Eq)]
pub struct SecretHash([u8; 32]);

impl SecretHash {
    /// The stored text form, `sha256:<hex>`.
    pub fn to_stored(&self) -> String {
        format!("sha256:{}", hex::encode(self.0))
    }

    /// Reads the stored form.
    pub fn from_stored(s: &str) -> Option<Self> {
        let hex_part = s.strip_prefix("sha256:")?;
        let bytes = hex::decode(hex_part).ok()?;
        Some(SecretHash(bytes.try_into().ok()?))
    }

    /// Whether `presented` is the secret, in time independent of where they differ.
    pub fn verify(&self, presented: &str) -> bool {
        let digest: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
        bool::from(digest.ct_eq(&self.0))
    }
}

impl fmt::Debug for SecretHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretHash(sha256:…)")
    }
}

/// A registered OAuth client (a system, or an application people sign in to).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OAuthClient {
    /// The public identifier.
    pub client_id: String,
    /// Display name.
    pub name: String,
    /// Digest of the secret; `None` for public clients.
    #[serde(skip)]
    pub secret_hash: Option<SecretHash>,
    /// Public clients (browser or mobile apps) hold no secret.
    pub public: bool,
    /// The grants it may use.
    pub grants: BTreeSet<Grant>,
    /// Its redirect URIs, matched exactly.
    #[schema(value_type = Vec<String>)]
    pub redirect_uris: Vec<RedirectUri>,
    /// The scopes it may ask for.
    #[schema(value_type = Vec<String>)]
    pub scopes: Scopes,
    /// First-party applications skip the consent screen.
    pub first_party: bool,
    /// Disabled clients can neither get nor use tokens.
    pub enabled: bool,
    /// When it was registered.
    pub created_at: String,
    /// Who registered it.
    pub created_by: String,
    /// Last change.
    pub updated_at: String,
    /// When the secret was last replaced.
    pub secret_rotated_at: Option<String>,
    /// The algorithm of its ID tokens (`id_token_signed_response_alg`, OpenID Connect Dynamic
    /// Client Registration §2): ES256, or RS256 if it asked. Access tokens are always ES256.
    #[schema(value_type = String, example = "ES256")]
    #[serde(rename = "id_token_signed_response_alg", serialize_with = "alg_name")]
    pub id_token_alg: Alg,
}

fn alg_name<S: serde::Serializer>(alg: &Alg, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(alg.as_str())
}

/// What an administrator asks for when registering a client.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct NewClient {
    /// Display name (1–200 characters).
    pub name: String,
    /// Grants it may use (at least one).
    pub grants: Vec<String>,
    /// Redirect URIs (required for authorization_code).
    #[serde(default)]
    pub redirect_uris: Vec<String>,
    /// Public client: no secret, authorization_code only.
    #[serde(default)]
    pub public: bool,
    /// Allowed scopes; each item may hold several, separated by spaces or commas.
    #[serde(default)]
    pub scopes: Vec<String>,
    /// First-party: no consent screen.
    #[serde(default)]
    pub first_party: bool,
    /// The algorithm of its ID tokens: `ES256` (the default) or `RS256`.
    #[serde(default)]
    pub id_token_signed_response_alg: Option<String>,
}

/// A checked registration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientSpec {
    /// Display name.
    pub name: String,
    /// Grants.
    pub grants: BTreeSet<Grant>,
    /// Redirect URIs, in the order given, without duplicates.
    pub redirect_uris: Vec<RedirectUri>,
    /// Public client.
    pub public: bool,
    /// Allowed scopes.
    pub scopes: Scopes,
    /// First-party.
    pub first_party: bool,
    /// The algorithm of its ID tokens.
    pub id_token_alg: Alg,
}

impl NewClient {
    /// Checks a registration; the error lists every problem, in Vietnamese.
    pub fn validate(&self) -> Result<ClientSpec, IdentityError> {
        let mut errors = Vec::new();
        let name = self.name.trim().to_string();
        if name.is_empty() || name.chars().count() > 200 || name.chars().any(char::is_control) {
            errors.push(
                "Tên ứng dụng cần từ 1 đến 200 ký tự, không có ký tự điều khiển.".to_string(),
            );
        }
        let mut grants = BTreeSet::new();
        for g in self.grants.iter().flat_map(|g| split_list(g)) {
            match Grant::parse(g) {
                Some(g) => {
                    grants.insert(g);
                }
                None => errors.push(format!(
                    "Kiểu cấp quyền “{g}” không được hỗ trợ (client_credentials hoặc authorization_code)."
                )),
            }
        }
        if grants.is_empty() && !self.grants.iter().any(|g| !g.trim().is_empty()) {
            errors.push(
                "Cần ít nhất một kiểu cấp quyền (client_credentials hoặc authorization_code)."
                    .into(),
            );
        }
        if self.public && grants.contains(&Grant::ClientCredentials) {
            errors.push(
                "Ứng dụng công khai (không giữ được khóa bí mật) không được dùng client_credentials."
                    .into(),
            );
        }
        let mut redirect_uris: Vec<RedirectUri> = Vec::new();
        for u in &self.redirect_uris {
            match RedirectUri::parse(u.trim()) {
                Ok(u) if !redirect_uris.contains(&u) => redirect_uris.push(u),
                Ok(_) => {}
                Err(e) => errors.push(e),
            }
        }
        if grants.contains(&Grant::AuthorizationCode) && redirect_uris.is_empty() {
            errors.push(
                "Kiểu authorization_code cần ít nhất một địa chỉ chuyển hướng (redirect URI)."
                    .into(),
            );
        }
        if !grants.contains(&Grant::AuthorizationCode) && !redirect_uris.is_empty() {
            errors.push("Địa chỉ chuyển hướng chỉ dùng cho kiểu authorization_code.".into());
        }
        if redirect_uris.len() > 20 {
            errors.push("Tối đa 20 địa chỉ chuyển hướng.".into());
        }
        let joined = self.scopes.iter().flat_map(|s| split_list(s)).collect::<Vec<_>>().join(" ");
        let scopes = match Scopes::parse(&joined) {
            Some(s) => s,
            None => {
                errors.push(format!(
                    "Phạm vi (scope) không hợp lệ: mỗi phạm vi là chữ, số hoặc ký hiệu ASCII không có khoảng trắng, tối đa {} phạm vi.",
                    Scopes::MAX
                ));
                Scopes::default()
            }
        };
        errors.extend(scope_problems(&scopes, &grants, self.first_party));
        let asked = self.id_token_signed_response_alg.as_deref().map(str::trim);
        let id_token_alg = match asked.filter(|a| !a.is_empty()).map(|a| (a, Alg::parse(a))) {
            None => Alg::Es256,
            Some((_, Some(alg))) => alg,
            Some((a, None)) => {
                errors.push(format!(
                    "Thuật toán ký ID token “{a}” không được hỗ trợ (ES256 hoặc RS256)."
                ));
                Alg::Es256
            }
        };
        if !errors.is_empty() {
            return Err(IdentityError::Invalid(errors.join(" ")));
        }
        Ok(ClientSpec {
            name,
            grants,
            redirect_uris,
            public: self.public,
            scopes,
            first_party: self.first_party,
            id_token_alg,
        })
    }
}

/// Why some of a client's scopes cannot be registered: unknown names (they would grant
/// nothing, silently), API scopes no grant of the client can use, and administration for a
/// third-party application.
fn scope_problems(scopes: &Scopes, grants: &BTreeSet<Grant>, first_party: bool) -> Vec<String> {
    let mut errors = Vec::new();
    let people = grants.contains(&Grant::AuthorizationCode);
    let systems = grants.contains(&Grant::ClientCredentials);
    for s in scopes.0.iter().map(|s| s.as_str()) {
        if crate::oidc::scope_label(s).is_none() {
            errors.push(format!(
                "Phạm vi “{s}” không có trên nền tảng (các phạm vi có: {}).",
                crate::oidc::known_scopes().collect::<Vec<_>>().join(", ")
            ));
            continue;
        }
        let Some(api) = ApiScope::parse(s) else { continue };
        if api.first_party_only() && !(first_party && people) {
            errors.push(format!(
                "Phạm vi “{s}” chỉ cấp cho ứng dụng nội bộ của nền tảng (first-party) mà người \
                 quản trị đăng nhập, không cấp cho ứng dụng bên ngoài hay hệ thống."
            ));
        } else if !(people || (systems && api.for_systems())) {
            errors.push(format!(
                "Phạm vi “{s}” là quyền của người dùng, cần kiểu authorization_code; hệ thống \
                 (client_credentials) chỉ được các phạm vi: {}.",
                ApiScope::ALL
                    .iter()
                    .filter(|a| a.for_systems())
                    .map(|a| a.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
    }
    errors
}

fn split_list(s: &str) -> impl Iterator<Item = &str> {
    s.split([' ', ',']).filter(|t| !t.is_empty())
}

/// A client just registered, with its secret in clear (shown once; `None` for public clients).
#[derive(Debug, Clone)]
pub struct CreatedClient {
    /// The client.
    pub client: OAuthClient,
    /// The secret, to show once.
    pub secret: Option<ClientSecret>,
}
