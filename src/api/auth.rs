//! Who is asking: the full admin token (`YIZHAN_ADMIN_TOKEN`), or one of the tokens of `yizhan token add`
//! (a name, perhaps some districts, perhaps read-only), and the extractors that let a handler run only for them.
//!
//! Tokens are compared as SHA-256 hashes in constant time, every one of them on every request, so the time
//! taken says nothing about which (if any) matched. The token file is re-read when its length or modification
//! time changed, checked at most once a second on this path: `token add` and `token revoke` take effect
//! within a second, without a restart.

use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, Method};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::error::{ApiError, ApiResult};
use super::extract::ClientAddr;
use super::ratelimit::AuthFailures;
use super::AppState;
use crate::live::Scope;
use crate::store::{hex, tokens, Backend};

/// Failed authentications a client may make in a minute before it is refused for the rest of it.
pub const AUTH_FAILURES_PER_MINUTE: u32 = 10;

/// How often the token file's (length, mtime) is looked at, at most.
const RECHECK: Duration = Duration::from_secs(1);

/// The actor of the full admin token in the audit log.
pub const FULL_ADMIN: &str = "admin";

/// An authenticated admin: the name the audit log gives it, the districts it may change (`None`: all), and
/// whether it may change anything at all.
#[derive(Debug, Clone)]
pub struct Principal {
    pub actor: String,
    pub districts: Option<Arc<[String]>>,
    pub read_only: bool,
}

impl Principal {
    /// The stations its changes may touch.
    pub fn scope(&self) -> Scope<'_> {
        match &self.districts {
            None => Scope::All,
            Some(d) => Scope::Districts(d),
        }
    }

    /// Whether a station of `district` is its to see and change.
    pub fn covers(&self, district: Option<&str>) -> bool {
        self.scope().allows(district)
    }
}

/// One token of the file, as the auth path needs it.
struct Known {
    hash: [u8; 32],
    principal: Principal,
    revoked: bool,
}

struct Cache {
    checked: Option<Instant>,
    stamp: Option<u64>,
    tokens: Arc<[Known]>,
}

/// The store's tokens (`tokens.json`), re-read when they change.
struct TokenBook {
    store: Arc<dyn Backend>,
    cache: Mutex<Cache>,
}

impl TokenBook {
    fn load(store: &dyn Backend) -> Arc<[Known]> {
        match tokens::read(store) {
            Ok(list) => list
                .into_iter()
                .filter_map(|t| {
                    let hash = hex::decode_32(&t.sha256).or_else(|| {
                        tracing::error!(token = %t.name, "a token's hash in tokens.json is damaged; it is refused");
                        None
                    })?;
                    Some(Known {
                        hash,
                        revoked: t.revoked_at.is_some(),
                        principal: Principal {
                            actor: t.name,
                            districts: (!t.districts.is_empty()).then(|| t.districts.into()),
                            read_only: t.read_only,
                        },
                    })
                })
                .collect(),
            // Fail closed: a damaged file lets no token of it in (the full admin token still works).
            Err(e) => {
                tracing::error!(error = %e, "cannot read the admin tokens; only YIZHAN_ADMIN_TOKEN is accepted");
                Arc::from(Vec::new())
            }
        }
    }

    /// The tokens in force, re-read first if the file changed (looked at no more than once a second). On
    /// PostgreSQL the request never waits on the database: the store's watcher calls [`Self::refresh`].
    fn tokens(&self) -> Arc<[Known]> {
        let mut c = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        if !self.store.shared() && c.checked.is_none_or(|t| now.duration_since(t) >= RECHECK) {
            c.checked = Some(now);
            self.reload_if_changed(&mut c);
        }
        c.tokens.clone()
    }

    fn reload_if_changed(&self, c: &mut Cache) {
        let stamp = tokens::stamp(&*self.store);
        if stamp != c.stamp {
            c.tokens = Self::load(&*self.store);
            c.stamp = stamp;
        }
    }
}

/// The full admin token (kept only as its hash), the token file, and the brake on clients that keep guessing.
#[derive(Clone)]
pub struct AdminToken {
    full: Option<[u8; 32]>,
    book: Arc<TokenBook>,
    failures: Arc<AuthFailures>,
}

impl AdminToken {
    /// `token`: `YIZHAN_ADMIN_TOKEN` (or the token file's); `store` holds the other tokens. Blocking (reads
    /// the tokens once).
    pub fn new(token: Option<&str>, store: Arc<dyn Backend>) -> Self {
        let book = TokenBook {
            cache: Mutex::new(Cache {
                checked: None,
                stamp: tokens::stamp(&*store),
                tokens: TokenBook::load(&*store),
            }),
            store,
        };
        AdminToken {
            full: token
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(|t| Sha256::digest(t.as_bytes()).into()),
            book: Arc::new(book),
            failures: Arc::new(AuthFailures::per_minute(AUTH_FAILURES_PER_MINUTE)),
        }
    }

    /// Re-reads the tokens if they changed: the store's watcher calls this (blocking) when another replica or
    /// `yizhan token` changed them.
    pub fn refresh(&self) {
        let mut c = self.book.cache.lock().unwrap_or_else(|p| p.into_inner());
        self.book.reload_if_changed(&mut c);
    }

    /// Whether any token can work: the full one, or any in the token file (revoked ones included: they get
    /// 401, not "admin is disabled").
    pub fn is_enabled(&self) -> bool {
        self.full.is_some() || !self.book.tokens().is_empty()
    }

    /// [`check`](Self::check) for `client`: a client that failed too often lately gets 429 whatever it sends;
    /// a failure is logged (the client's address, never the token) and counted.
    pub fn authorize(&self, headers: &HeaderMap, client: IpAddr) -> ApiResult<Principal> {
        let book = self.book.tokens();
        if self.full.is_some() || !book.is_empty() {
            self.failures
                .check_at(client, Instant::now())
                .map_err(|retry_after| ApiError::TooManyRequests { retry_after })?;
        }
        let result = self.check(headers, &book);
        if let Err(ApiError::Unauthorized) = &result {
            tracing::warn!(client = %client, "admin authentication failed");
            self.failures.fail_at(client, Instant::now());
        }
        result
    }

    /// 403 when no token is configured at all, 401 when the bearer token is missing, wrong or revoked.
    fn check(&self, headers: &HeaderMap, book: &[Known]) -> ApiResult<Principal> {
        if self.full.is_none() && book.is_empty() {
            return Err(ApiError::AdminDisabled);
        }
        // Bytes, not `to_str`: a token may contain non-ASCII characters (sent as UTF-8).
        let given = headers
            .get(header::AUTHORIZATION)
            .map(|v| v.as_bytes())
            .and_then(|v| {
                v.strip_prefix(b"Bearer ")
                    .or_else(|| v.strip_prefix(b"bearer "))
            })
            .map(|v| v.trim_ascii())
            .ok_or(ApiError::Unauthorized)?;
        let got: [u8; 32] = Sha256::digest(given).into();
        // Every comparison runs, whatever matched first.
        let full = self.full.is_some_and(|want| bool::from(got.ct_eq(&want)));
        let mut found = None;
        for k in book {
            if bool::from(got.ct_eq(&k.hash)) && found.is_none() {
                found = Some(k);
            }
        }
        match found {
            _ if full => Ok(Principal {
                actor: FULL_ADMIN.to_owned(),
                districts: None,
                read_only: false,
            }),
            Some(k) if !k.revoked => Ok(k.principal.clone()),
            _ => Err(ApiError::Unauthorized),
        }
    }
}

/// Whether a request of `method` only reads.
fn reads_only(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD)
}

async fn principal(parts: &mut Parts, app: &AppState) -> ApiResult<Principal> {
    let Ok(ClientAddr(client)) = ClientAddr::from_request_parts(parts, app).await;
    let p = app.admin.authorize(&parts.headers, client)?;
    if p.read_only && !reads_only(&parts.method) {
        return Err(ApiError::ReadOnly);
    }
    Ok(p)
}

/// An authorised admin request that may change anything it asks to: a district token is refused (403) for
/// anything but reads, since the handler does not look at districts. Extracting it answers 403, 401 or 429
/// otherwise (see [`AdminToken::authorize`]). Put it first among a handler's extractors.
pub struct Admin(pub Principal);

impl FromRequestParts<AppState> for Admin {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, ApiError> {
        let p = principal(parts, app).await?;
        if let (Some(d), false) = (&p.districts, reads_only(&parts.method)) {
            return Err(ApiError::AllDistrictsOnly(d.join(", ")));
        }
        Ok(Admin(p))
    }
}

/// An authorised admin request whose handler applies the token's districts itself ([`Principal::scope`]).
pub struct DistrictAdmin(pub Principal);

impl FromRequestParts<AppState> for DistrictAdmin {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, ApiError> {
        principal(parts, app).await.map(DistrictAdmin)
    }
}
