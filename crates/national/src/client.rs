//! The real clients: HTTP(S) to a national system's base URL — in a province that is the
//! system's address on its own LGSP gateway (`…/lgsp/{member}/{service}`), which checks the
//! grant and logs the exchange — with a bearer token from OAuth 2.0 client credentials.

use std::time::{Duration, Instant};

use cqdt_platform::{PersonalId, TaxCode, TlsTrust};
use serde::{Deserialize, Serialize};
use tokio::sync::Mutex;

use crate::model::{Citizen, Enterprise, NationalError, Purpose, Representative, Source};
use crate::wire::{Loi, TraLoiCongDan, TraLoiDoanhNghiep};
use crate::{BoxFuture, BusinessRegistry, Population};

/// How a client proves who it is.
#[derive(Debug, Clone)]
pub enum Credentials {
    /// None (a sandbox on loopback).
    None,
    /// A fixed bearer token.
    Bearer(String),
    /// OAuth 2.0 client credentials at `token_url` (client_secret_basic), for `scope`.
    ClientCredentials {
        /// The token endpoint.
        token_url: String,
        /// Client id.
        client_id: String,
        /// Client secret.
        client_secret: String,
        /// Scope asked for (the LGSP gateway wants `lgsp`).
        scope: String,
    },
}

/// A token and when to stop using it.
type Cached = Option<(String, Instant)>;

/// One connection to a national system: base URL, credentials, the HTTP client. Cheap to
/// share; the token is fetched on first use and again shortly before it expires.
pub struct Connection {
    base: String,
    credentials: Credentials,
    http: reqwest::Client,
    token: Mutex<Cached>,
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    #[serde(default)]
    expires_in: Option<u64>,
}

impl Connection {
    /// A connection to `base` (no trailing slash needed), trusting what `tls` trusts.
    pub fn new(base: &str, credentials: Credentials, tls: &TlsTrust) -> Result<Self, String> {
        if !(base.starts_with("https://") || base.starts_with("http://")) {
            return Err(format!("{base:?} không phải địa chỉ http(s)"));
        }
        let http = reqwest::Client::builder()
            .use_preconfigured_tls(tls.client_config())
            .timeout(Duration::from_secs(15))
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Connection {
            base: base.trim_end_matches('/').to_string(),
            credentials,
            http,
            token: Mutex::new(None),
        })
    }

    async fn bearer(&self, system: &'static str) -> Result<Option<String>, NationalError> {
        let (token_url, id, secret, scope) = match &self.credentials {
            Credentials::None => return Ok(None),
            Credentials::Bearer(t) => return Ok(Some(t.clone())),
            Credentials::ClientCredentials { token_url, client_id, client_secret, scope } => {
                (token_url, client_id, client_secret, scope)
            }
        };
        let mut cached = self.token.lock().await;
        if let Some((t, until)) = cached.as_ref() {
            if Instant::now() < *until {
                return Ok(Some(t.clone()));
            }
        }
        let res = self
            .http
            .post(token_url)
            .basic_auth(id, Some(secret))
            .form(&[("grant_type", "client_credentials"), ("scope", scope.as_str())])
            .send()
            .await
            .map_err(|e| unavailable(system, format!("không lấy được mã truy cập: {e}")))?;
        if !res.status().is_success() {
            return Err(NationalError::Refused {
                system,
                reason: format!("máy chủ cấp mã truy cập trả lời {}", res.status().as_u16()),
            });
        }
        let answer: TokenAnswer = res
            .json()
            .await
            .map_err(|e| unavailable(system, format!("mã truy cập không đọc được: {e}")))?;
        // Renewed a minute early so that a token never expires on its way.
        let life = answer.expires_in.unwrap_or(300).saturating_sub(60).max(1);
        *cached = Some((answer.access_token.clone(), Instant::now() + Duration::from_secs(life)));
        Ok(Some(answer.access_token))
    }

    /// GETs `path` (below the base) with `query`; `None` for 404, the JSON for 200, the
    /// refusal or failure otherwise. A 401 drops the cached token and tries once more.
    pub(crate) async fn get<T: for<'de> Deserialize<'de>>(
        &self,
        system: &'static str,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<Option<T>, NationalError> {
        let url = format!("{}{path}", self.base);
        json(system, self.send(system, || self.http.get(&url).query(query)).await?).await
    }

    /// The bytes at `path` (at most `limit`); `None` on 404.
    pub(crate) async fn get_bytes(
        &self,
        system: &'static str,
        path: &str,
        limit: usize,
    ) -> Result<Option<Vec<u8>>, NationalError> {
        let url = format!("{}{path}", self.base);
        let Some(mut res) = self.send(system, || self.http.get(&url)).await? else {
            return Ok(None);
        };
        let mut out = Vec::new();
        // Read by chunks so that a body larger than allowed is refused, not held.
        while let Some(chunk) = res.chunk().await.map_err(|e| unavailable(system, e.to_string()))? {
            if out.len() + chunk.len() > limit {
                return Err(unavailable(system, format!("tệp lớn hơn {limit} byte")));
            }
            out.extend_from_slice(&chunk);
        }
        Ok(Some(out))
    }

    /// POSTs `body` as JSON to `path` and reads the answer; `None` on 404.
    pub(crate) async fn post<B: Serialize, T: for<'de> Deserialize<'de>>(
        &self,
        system: &'static str,
        path: &str,
        body: &B,
    ) -> Result<Option<T>, NationalError> {
        let url = format!("{}{path}", self.base);
        json(system, self.send(system, || self.http.post(&url).json(body)).await?).await
    }

    /// Sends the request `build` makes, with the bearer token; once more with a new token when
    /// the first is refused. A 2xx answer, `None` for 404, else why not.
    async fn send(
        &self,
        system: &'static str,
        build: impl Fn() -> reqwest::RequestBuilder,
    ) -> Result<Option<reqwest::Response>, NationalError> {
        for attempt in 0..2 {
            let mut req = build();
            if let Some(t) = self.bearer(system).await? {
                req = req.bearer_auth(t);
            }
            let res = req.send().await.map_err(|e| unavailable(system, e.to_string()))?;
            let status = res.status().as_u16();
            match status {
                200..=299 => return Ok(Some(res)),
                404 => return Ok(None),
                401 if attempt == 0
                    && matches!(self.credentials, Credentials::ClientCredentials { .. }) =>
                {
                    *self.token.lock().await = None;
                }
                400..=499 => {
                    let reason = reason(res).await;
                    return Err(NationalError::Refused { system, reason });
                }
                _ => {
                    let reason = format!("{status} — {}", reason(res).await);
                    return Err(unavailable(system, reason));
                }
            }
        }
        Err(NationalError::Refused {
            system, reason: "mã truy cập không được chấp nhận".into()
        })
    }
}

/// The JSON of an answer, if there was one.
async fn json<T: for<'de> Deserialize<'de>>(
    system: &'static str,
    res: Option<reqwest::Response>,
) -> Result<Option<T>, NationalError> {
    match res {
        Some(res) => res
            .json()
            .await
            .map(Some)
            .map_err(|e| unavailable(system, format!("câu trả lời không đọc được: {e}"))),
        None => Ok(None),
    }
}

pub(crate) fn unavailable(system: &'static str, reason: String) -> NationalError {
    NationalError::Unavailable { system, reason }
}

/// The problem's detail (or title) from an error answer, else its status.
async fn reason(res: reqwest::Response) -> String {
    let status = res.status().as_u16();
    match res.json::<Loi>().await {
        Ok(l) => l.detail.unwrap_or(l.title),
        Err(_) => format!("mã lỗi HTTP {status}"),
    }
}

/// The population database's name, in the answers and messages.
pub const POPULATION: &str = "CSDL quốc gia về dân cư";
/// The business registry's name.
pub const BUSINESS: &str = "Hệ thống thông tin quốc gia về đăng ký doanh nghiệp";

/// The national population database over HTTP.
pub struct HttpPopulation(pub Connection);

impl Population for HttpPopulation {
    fn citizen<'a>(
        &'a self,
        id: &'a PersonalId,
        purpose: &'a Purpose,
    ) -> BoxFuture<'a, Result<Option<Citizen>, NationalError>> {
        Box::pin(async move {
            let path = format!("/cong-dan/{}", id.as_str());
            let found: Option<TraLoiCongDan> =
                self.0.get(POPULATION, &path, &[("mucDich", purpose.as_str())]).await?;
            let Some(a) = found else { return Ok(None) };
            let c = a.cong_dan;
            let personal_id = PersonalId::parse(&c.so_dinh_danh)
                .ok()
                .filter(|p| p == id)
                .ok_or_else(|| unavailable(POPULATION, "trả về một số định danh khác".into()))?;
            Ok(Some(Citizen {
                personal_id,
                full_name: c.ho_va_ten,
                birth_date: c.ngay_sinh,
                female: c.gioi_tinh == "Nữ",
                nationality: c.quoc_tich,
                ethnicity: c.dan_toc,
                birth_place: c.noi_dang_ky_khai_sinh,
                permanent_address: c.noi_thuong_tru,
                current_address: c.noi_o_hien_tai,
                source: Source {
                    system: POPULATION.into(),
                    sandbox: a.moi_truong_thu_nghiem,
                    answered_at: a.thoi_diem,
                },
            }))
        })
    }
}

/// The national business registry over HTTP.
pub struct HttpBusiness(pub Connection);

impl BusinessRegistry for HttpBusiness {
    fn enterprise<'a>(
        &'a self,
        code: &'a TaxCode,
    ) -> BoxFuture<'a, Result<Option<Enterprise>, NationalError>> {
        Box::pin(async move {
            let path = format!("/doanh-nghiep/{}", code.as_str());
            let found: Option<TraLoiDoanhNghiep> = self.0.get(BUSINESS, &path, &[]).await?;
            let Some(a) = found else { return Ok(None) };
            let d = a.doanh_nghiep;
            let code = TaxCode::parse(&d.ma_so_doanh_nghiep)
                .ok()
                .filter(|c| c == code)
                .ok_or_else(|| unavailable(BUSINESS, "trả về một mã số khác".into()))?;
            Ok(Some(Enterprise {
                code,
                active: d.tinh_trang == "Đang hoạt động",
                name: d.ten_doanh_nghiep,
                legal_form: d.loai_hinh,
                status: d.tinh_trang,
                founded_on: d.ngay_thanh_lap,
                address: d.dia_chi_tru_so,
                representative: Representative {
                    full_name: d.nguoi_dai_dien.ho_va_ten,
                    title: d.nguoi_dai_dien.chuc_danh,
                },
                main_business: d.nganh_nghe_chinh,
                source: Source {
                    system: BUSINESS.into(),
                    sandbox: a.moi_truong_thu_nghiem,
                    answered_at: a.thoi_diem,
                },
            }))
        })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use cqdt_platform::{ManualClock, PersonalId, SharedClock, TaxCode, TlsTrust};

    use super::*;
    use crate::sandbox::{Sandbox, BUSINESS_BASE, POPULATION_BASE};

    async fn sandbox() -> (String, Sandbox) {
        let clock: SharedClock = Arc::new(ManualClock::new(
            chrono::DateTime::parse_from_rfc3339("2026-12-07T02:00:00Z").expect("time").to_utc(),
        ));
        let s = Sandbox::new(clock);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let router = s.router();
        tokio::spawn(async move { axum::serve(listener, router).await });
        (format!("http://{addr}"), s)
    }

    fn connect(base: &str) -> Connection {
        Connection::new(base, Credentials::None, &TlsTrust::new(None).expect("trust"))
            .expect("connection")
    }

    #[tokio::test]
    async fn the_client_reads_a_citizen_from_the_sandbox_with_the_purpose_recorded_there() {
        let (url, s) = sandbox().await;
        let population = HttpPopulation(connect(&format!("{url}{POPULATION_BASE}")));
        let id = PersonalId::parse("094085000123").expect("id");
        let purpose = Purpose::parse("Tiếp nhận hồ sơ thủ tục hành chính").expect("purpose");
        let c = population.citizen(&id, &purpose).await.expect("answer").expect("found");
        assert_eq!(c.full_name, "Nguyễn Văn An");
        assert_eq!(c.birth_date.to_string(), "1985-09-02");
        assert!(c.source.sandbox, "labelled as the sandbox");
        let reads = s.reads();
        assert_eq!(reads.len(), 1);
        assert_eq!(reads[0].purpose.as_deref(), Some("Tiếp nhận hồ sơ thủ tục hành chính"));
        assert_eq!(reads[0].status, 200);
    }

    #[tokio::test]
    async fn an_unknown_citizen_is_none_and_a_lookup_without_purpose_is_refused_by_the_sandbox() {
        let (url, _s) = sandbox().await;
        let population = HttpPopulation(connect(&format!("{url}{POPULATION_BASE}")));
        let nobody = PersonalId::parse("094099999999").expect("id");
        let purpose = Purpose::parse("Kiểm tra thông tin").expect("purpose");
        assert!(population.citizen(&nobody, &purpose).await.expect("answer").is_none());
        // The real clients cannot send an empty purpose; the sandbox refuses one all the same.
        let res = reqwest::get(format!("{url}{POPULATION_BASE}/cong-dan/094085000123"))
            .await
            .expect("get");
        assert_eq!(res.status().as_u16(), 400);
        assert_eq!(res.headers()["x-sandbox"], "national");
        let body: serde_json::Value = res.json().await.expect("json");
        assert!(body["detail"].as_str().unwrap_or("").contains("mục đích"), "{body}");
    }

    #[tokio::test]
    async fn the_client_reads_an_enterprise_and_an_unreachable_system_is_said_to_be_unavailable() {
        let (url, _s) = sandbox().await;
        let firms = crate::sandbox::data::enterprises(&crate::sandbox::data::citizens());
        let (code, record) = firms.iter().next().expect("one");
        let business = HttpBusiness(connect(&format!("{url}{BUSINESS_BASE}")));
        let e = business
            .enterprise(&TaxCode::parse(code).expect("code"))
            .await
            .expect("answer")
            .expect("found");
        assert_eq!(e.name, record.ten_doanh_nghiep);
        assert_eq!(e.active, record.tinh_trang == "Đang hoạt động");
        let gone = HttpBusiness(connect("http://127.0.0.1:9/dang-ky-doanh-nghiep/v1"));
        let err = gone.enterprise(&TaxCode::parse(code).expect("code")).await.expect_err("down");
        assert!(matches!(err, NationalError::Unavailable { .. }), "{err}");
        assert!(err.to_string().contains(BUSINESS), "{err}");
    }
}
