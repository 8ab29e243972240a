//! API scopes: what an OAuth access token lets its holder do through the APIs.
//!
//! A person's first-party session (the platform's own cookie) keeps the person's full rights.
//! A bearer token carries the scopes the person consented to (or, for a system, the scopes
//! its client was registered with). Every API route declares the scope it needs with
//! [`scope_rule`]; a token on a route that declares none is refused (fail closed), and a
//! person's token keeps only the roles its scopes reach ([`ApiScope::roles`]), so the
//! handlers' own role checks see the intersection of the person's roles and the grant.

use axum::http::Method;
use serde::Serialize;

use super::Role;

/// A scope of this platform's APIs (RFC 6749 §3.3), with its consent text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum ApiScope {
    /// Read the person's own dossiers and their results.
    DossiersRead,
    /// File, supplement, withdraw and rate the person's own dossiers.
    DossiersWrite,
    /// Process dossiers in the official's agencies (the one-stop back office).
    Office,
    /// Read shared catalogs, procedures and the working-day calendar.
    CatalogRead,
    /// Change shared catalogs, procedures and the working-day calendar.
    CatalogWrite,
    /// Send notifications and read their delivery.
    Notifications,
    /// Deploy processes and run workflow instances and tasks.
    Workflow,
    /// Read and verify the audit log.
    Audit,
    /// Administer the platform: OAuth clients, signing keys, jobs, stored files.
    Admin,
    /// Call other agencies' services through the integration platform's gateway (LGSP) and
    /// read its metadata: a system's scope; what it may call is granted per operation.
    Lgsp,
}

impl ApiScope {
    /// Every API scope.
    pub const ALL: [ApiScope; 10] = [
        ApiScope::DossiersRead,
        ApiScope::DossiersWrite,
        ApiScope::Office,
        ApiScope::CatalogRead,
        ApiScope::CatalogWrite,
        ApiScope::Notifications,
        ApiScope::Workflow,
        ApiScope::Audit,
        ApiScope::Admin,
        ApiScope::Lgsp,
    ];

    /// The scope's name in requests and tokens.
    pub fn as_str(self) -> &'static str {
        match self {
            ApiScope::DossiersRead => "dossiers:read",
            ApiScope::DossiersWrite => "dossiers:write",
            ApiScope::Office => "office",
            ApiScope::CatalogRead => "catalog:read",
            ApiScope::CatalogWrite => "catalog:write",
            ApiScope::Notifications => "notifications",
            ApiScope::Workflow => "workflow",
            ApiScope::Audit => "audit",
            ApiScope::Admin => "admin",
            ApiScope::Lgsp => "lgsp",
        }
    }

    /// Parses a scope name; other names are not API scopes.
    pub fn parse(s: &str) -> Option<ApiScope> {
        ApiScope::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// What the consent screen says the application may do, in Vietnamese.
    pub fn label(self) -> &'static str {
        match self {
            ApiScope::DossiersRead => "Xem hồ sơ thủ tục hành chính và kết quả của ông/bà",
            ApiScope::DossiersWrite => "Nộp, bổ sung, rút và đánh giá hồ sơ thay ông/bà",
            ApiScope::Office => "Xử lý hồ sơ trong phạm vi cơ quan của ông/bà (cán bộ)",
            ApiScope::CatalogRead => "Đọc danh mục dùng chung, thủ tục hành chính, lịch làm việc",
            ApiScope::CatalogWrite => {
                "Cập nhật danh mục dùng chung, thủ tục hành chính, lịch làm việc"
            }
            ApiScope::Notifications => "Gửi thông báo và xem tình trạng gửi",
            ApiScope::Workflow => "Triển khai và chạy quy trình xử lý",
            ApiScope::Audit => "Xem và kiểm tra nhật ký hệ thống",
            ApiScope::Admin => "Quản trị hệ thống: ứng dụng kết nối, khóa ký, tác vụ nền",
            ApiScope::Lgsp => {
                "Gọi dịch vụ của các cơ quan qua trục tích hợp LGSP (theo quyền được cấp)"
            }
        }
    }

    /// The roles a person's token keeps when it carries this scope.
    pub fn roles(self) -> &'static [Role] {
        match self {
            ApiScope::DossiersRead | ApiScope::DossiersWrite => &[Role::Citizen, Role::Business],
            ApiScope::Office => &[
                Role::ReceptionOfficer,
                Role::ProcessingOfficer,
                Role::Leader,
                Role::Clerk,
                Role::Auditor,
            ],
            ApiScope::CatalogRead | ApiScope::Lgsp => &[],
            ApiScope::CatalogWrite | ApiScope::Admin => &[Role::PlatformAdmin, Role::AgencyAdmin],
            ApiScope::Notifications | ApiScope::Workflow => &[Role::PlatformAdmin],
            ApiScope::Audit => &[Role::PlatformAdmin, Role::Auditor],
        }
    }

    /// Whether a system (an OAuth client acting for itself, client credentials) may hold
    /// this scope. A person's dossiers, the back office, the audit log and administration
    /// are never a system's.
    pub fn for_systems(self) -> bool {
        matches!(
            self,
            ApiScope::CatalogRead
                | ApiScope::CatalogWrite
                | ApiScope::Notifications
                | ApiScope::Workflow
                | ApiScope::Lgsp
        )
    }

    /// Whether only first-party applications may hold this scope: administration is never
    /// delegated to a third-party application, whoever consents.
    pub fn first_party_only(self) -> bool {
        self == ApiScope::Admin
    }
}

/// The scopes a route needs: one for reading (GET, HEAD), one for everything else.
/// Routes declare it with [`scope_rule`]; the auth hook reads it from the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScopeRule {
    read: ApiScope,
    write: ApiScope,
}

impl ScopeRule {
    /// The scope a request with this method needs.
    pub fn needed(&self, method: &Method) -> ApiScope {
        if method == Method::GET || method == Method::HEAD {
            self.read
        } else {
            self.write
        }
    }
}

/// The layer that declares the scopes of a group of routes:
/// `.route_layer(scope_rule(ApiScope::DossiersRead, ApiScope::DossiersWrite))`.
pub fn scope_rule(read: ApiScope, write: ApiScope) -> axum::Extension<ScopeRule> {
    axum::Extension(ScopeRule { read, write })
}

/// How a request proved who it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "via", rename_all = "snake_case")]
pub enum Access {
    /// The platform's own session cookie: the person's full rights.
    Session,
    /// A bearer access token issued to an OAuth client.
    Token(TokenGrant),
}

/// What a bearer token grants.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TokenGrant {
    /// The client the token was issued to.
    pub client_id: String,
    /// Whether that client is a first-party application of the platform.
    pub first_party: bool,
    /// Whether the token is a system's own (client credentials), not a person's.
    pub system: bool,
    /// The API scopes granted (OpenID Connect scopes such as `openid` grant no API).
    pub scopes: Vec<ApiScope>,
}

impl TokenGrant {
    /// A grant from a token's space-separated `scope`; names that are not API scopes are
    /// left out (they are about claims, not APIs).
    pub fn new(client_id: &str, first_party: bool, system: bool, scope: &str) -> TokenGrant {
        let mut scopes: Vec<ApiScope> = scope.split(' ').filter_map(ApiScope::parse).collect();
        scopes.sort();
        scopes.dedup();
        TokenGrant { client_id: client_id.to_string(), first_party, system, scopes }
    }

    /// Whether the token may be used where `scope` is needed.
    pub fn allows(&self, scope: ApiScope) -> bool {
        self.scopes.contains(&scope)
            && (!scope.first_party_only() || (self.first_party && !self.system))
            && (!self.system || scope.for_systems())
    }

    /// Whether a person's token keeps `role`: some granted scope reaches it.
    pub fn keeps(&self, role: Role) -> bool {
        self.scopes.iter().any(|s| s.roles().contains(&role))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_names_round_trip_and_other_names_are_not_api_scopes() {
        for s in ApiScope::ALL {
            assert_eq!(ApiScope::parse(s.as_str()), Some(s));
        }
        assert_eq!(ApiScope::parse("openid"), None);
        assert_eq!(ApiScope::parse("dossier:read"), None);
    }

    #[test]
    fn reading_methods_need_the_read_scope_and_the_others_the_write_scope() {
        let r = ScopeRule { read: ApiScope::DossiersRead, write: ApiScope::DossiersWrite };
        assert_eq!(r.needed(&Method::GET), ApiScope::DossiersRead);
        assert_eq!(r.needed(&Method::HEAD), ApiScope::DossiersRead);
        assert_eq!(r.needed(&Method::POST), ApiScope::DossiersWrite);
        assert_eq!(r.needed(&Method::DELETE), ApiScope::DossiersWrite);
    }

    #[test]
    fn an_openid_token_grants_no_api() {
        let t = TokenGrant::new("c", false, false, "openid profile");
        assert!(t.scopes.is_empty());
        assert!(ApiScope::ALL.iter().all(|s| !t.allows(*s)));
        assert!(Role::ALL.iter().all(|r| !t.keeps(*r)));
    }

    #[test]
    fn administration_is_never_granted_to_a_third_party_or_a_system() {
        assert!(!TokenGrant::new("c", false, false, "admin").allows(ApiScope::Admin));
        assert!(!TokenGrant::new("c", true, true, "admin").allows(ApiScope::Admin));
        assert!(TokenGrant::new("c", true, false, "admin").allows(ApiScope::Admin));
    }

    #[test]
    fn a_system_holds_only_system_scopes() {
        let t = TokenGrant::new("c", false, true, "catalog:read dossiers:write office");
        assert!(t.allows(ApiScope::CatalogRead));
        assert!(!t.allows(ApiScope::DossiersWrite));
        assert!(!t.allows(ApiScope::Office));
    }

    #[test]
    fn a_person_token_keeps_only_the_roles_its_scopes_reach() {
        let t = TokenGrant::new("c", false, false, "openid dossiers:read");
        assert!(t.keeps(Role::Citizen));
        assert!(!t.keeps(Role::PlatformAdmin));
        assert!(!t.keeps(Role::ReceptionOfficer));
    }
}
