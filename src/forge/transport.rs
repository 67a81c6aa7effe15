//! The one road to GitHub: octocrab over real HTTP, plus what every request needs.
//!
//! - **Conditional requests.** Every GET sends `If-None-Match` with the ETag of the last answer
//!   and reuses the cached body on `304 Not Modified`, which GitHub does not count against the
//!   rate limit. Polling an unchanged repository is nearly free.
//! - **Retries.** Reads are retried on 5xx, connection errors, timeouts and bodies that do not
//!   parse (a truncated answer), with capped exponential backoff. Rate limits (403/429 with
//!   `retry-after` or `x-ratelimit-remaining: 0`) wait until the reset, up to a bound.
//! - **Writes happen at most once.** A write is retried only when GitHub certainly did not apply
//!   it (a rate-limit refusal). A 5xx, a timeout or a dropped connection after a write was sent
//!   becomes [`ForgeError::Ambiguous`], and the caller looks for the result before trying again.
//! - **Every request has a timeout**, and the token is never printed or logged.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http::header::{ETAG, HeaderName, IF_NONE_MATCH, LINK, LOCATION};
use http::{HeaderMap, Method, StatusCode, Uri};
use http_body_util::BodyExt;
use octocrab::Octocrab;
use serde::de::DeserializeOwned;

use super::auth::Secret;
use super::error::{ForgeError, ForgeResult};
use super::etag_cache::EtagCache;
use super::page;
use super::scheduler::{Kind, Limits, Scheduler};

/// How hard to try before giving up. The defaults suit a person at a terminal; tests shrink them.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Further attempts after the first, for reads and rate-limited writes.
    pub max_retries: u32,
    pub base_delay: Duration,
    pub max_delay: Duration,
    /// Longest rate-limit wait we sit through; beyond it the request fails with the reset time.
    pub max_rate_limit_wait: Duration,
    /// Whole request (connect, send, read the body).
    pub request_timeout: Duration,
    /// How fast requests may go (see [`super::scheduler`]).
    pub pace: Limits,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 5,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(20),
            max_rate_limit_wait: Duration::from_secs(90),
            request_timeout: Duration::from_secs(30),
            pace: Limits::default(),
        }
    }
}

impl RetryPolicy {
    fn backoff(&self, attempt: u32) -> Duration {
        let exp = self
            .base_delay
            .saturating_mul(1u32.checked_shl(attempt.min(16)).unwrap_or(u32::MAX));
        let capped = exp.min(self.max_delay);
        // Jitter (50–100 %) so many clients hitting one outage do not retry in lockstep.
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        capped.mul_f64(0.5 + f64::from(nanos % 1000) / 2000.0)
    }
}

/// What is left of GitHub's primary rate limit (requests an hour).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    pub remaining: u64,
    pub limit: Option<u64>,
}

impl Budget {
    /// Less than a fifth left: background work slows down (304s cost nothing, but the
    /// answers that changed do).
    pub fn is_low(&self) -> bool {
        self.limit
            .is_some_and(|limit| self.remaining.saturating_mul(5) < limit)
    }
}

/// Counters the console's status bar and the tests read.
#[derive(Debug, Default)]
pub struct ApiStats {
    pub requests: AtomicU64,
    pub retries: AtomicU64,
    pub not_modified: AtomicU64,
    /// `x-ratelimit-remaining` of the last answer, -1 before any.
    pub rate_limit_remaining: AtomicI64,
    /// `x-ratelimit-reset` (seconds since the epoch) of the last answer.
    pub rate_limit_reset: AtomicU64,
    /// `x-ratelimit-limit` of the last answer (the hour's budget), 0 before any.
    pub rate_limit_limit: AtomicU64,
    pub last_error: Mutex<Option<String>>,
    /// What a request is retrying or waiting out right now (cleared by the next good
    /// answer), for a console that says why it is slow.
    pub trouble: Mutex<Option<String>>,
}

impl ApiStats {
    fn new() -> Self {
        ApiStats {
            rate_limit_remaining: AtomicI64::new(-1),
            ..Default::default()
        }
    }

    pub fn remaining(&self) -> Option<u64> {
        u64::try_from(self.rate_limit_remaining.load(Ordering::Relaxed)).ok()
    }

    /// The primary budget: requests left of the hour's limit, once GitHub has said.
    pub fn budget(&self) -> Option<Budget> {
        let limit = self.rate_limit_limit.load(Ordering::Relaxed);
        Some(Budget {
            remaining: self.remaining()?,
            limit: (limit > 0).then_some(limit),
        })
    }

    pub fn last_error(&self) -> Option<String> {
        self.last_error.lock().ok().and_then(|e| e.clone())
    }

    fn set_last_error(&self, e: Option<String>) {
        if let Ok(mut slot) = self.last_error.lock() {
            *slot = e;
        }
    }

    /// Why requests are being retried at the moment, if they are.
    pub fn trouble(&self) -> Option<String> {
        self.trouble.lock().ok().and_then(|t| t.clone())
    }

    fn set_trouble(&self, t: Option<String>) {
        if let Ok(mut slot) = self.trouble.lock() {
            *slot = t;
        }
    }
}

/// An answer, its body already read.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Reply {
    fn json<T: DeserializeOwned>(&self) -> Result<T, String> {
        serde_json::from_slice(&self.body).map_err(|e| e.to_string())
    }
}

/// Largest log we download; beyond it the log is cut (its end kept).
pub const MAX_LOG_BYTES: usize = 512 * 1024 * 1024;

/// A GitHub API client: octocrab with conditional requests, retries and counters.
pub struct Transport {
    client: Octocrab,
    /// The same, for GraphQL: on Enterprise Server it lives outside the REST base.
    graphql: Octocrab,
    api_url: Uri,
    policy: RetryPolicy,
    cache: EtagCache,
    /// Every request of this client passes here first.
    scheduler: Scheduler,
    stats: Arc<ApiStats>,
    /// Log download clients, by origin (see [`Transport::download_client`]).
    downloads: Mutex<std::collections::HashMap<String, Octocrab>>,
}

/// Download origins whose clients are kept (GitHub's logs come from a few dozen storage
/// hosts); beyond this, one is let go for each new one.
const DOWNLOAD_ORIGINS: usize = 64;

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transport")
            .field("api_url", &self.api_url)
            .finish_non_exhaustive()
    }
}

/// What one try of a request came to.
enum Outcome<T> {
    Done(T),
    /// Worth another try after `wait` (see [`Transport::retrying`]).
    Retry {
        wait: Duration,
        why: RetryReason,
    },
    Fail(ForgeError),
}

/// Why a try is worth repeating: what the retry's log line and the status bar say, and what
/// giving up becomes (a rate limit stays a rate limit; the rest is a network failure).
#[derive(Debug, Clone, PartialEq)]
enum RetryReason {
    /// GitHub asked us to wait (429, or 403 with the budget spent).
    RateLimited(StatusCode),
    /// A read answered 5xx.
    Server { status: StatusCode, message: String },
    /// The connection failed, stalled or was cut.
    Network(String),
    /// The answer arrived but is not whole JSON.
    Unreadable(String),
    /// A job log's download failed (its storage host, not the API).
    Download(String),
}

impl std::fmt::Display for RetryReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RetryReason::RateLimited(status) => write!(f, "rate limited ({status})"),
            RetryReason::Server { status, message } => write!(f, "{status}: {message}"),
            RetryReason::Network(message) | RetryReason::Download(message) => f.write_str(message),
            RetryReason::Unreadable(e) => write!(f, "unreadable answer: {e}"),
        }
    }
}

impl Transport {
    /// A client for the API at `api_url` (`https://api.github.com`, an Enterprise
    /// `https://HOST/api/v3`, or the simulator's loopback address).
    pub fn new(api_url: &str, token: Option<&Secret>, policy: RetryPolicy) -> ForgeResult<Self> {
        let api_url: Uri = api_url
            .trim_end_matches('/')
            .parse()
            .map_err(|e| ForgeError::Invalid(format!("GITHUB_API_URL {api_url:?}: {e}")))?;
        if api_url.scheme().is_none() || api_url.authority().is_none() {
            return Err(ForgeError::Invalid(format!(
                "GITHUB_API_URL {api_url} must be an absolute URL such as https://api.github.com"
            )));
        }
        let client = octocrab_for(&api_url, token, &policy)?;
        let graphql_url = graphql_base(&api_url);
        let graphql = if graphql_url == api_url {
            client.clone()
        } else {
            octocrab_for(&graphql_url, token, &policy)?
        };
        Ok(Transport {
            client,
            graphql,
            api_url,
            scheduler: Scheduler::new(policy.pace),
            policy,
            cache: EtagCache::in_memory(),
            stats: Arc::new(ApiStats::new()),
            downloads: Default::default(),
        })
    }

    /// Keeps the answers of conditional requests in `dir` too, for the next process.
    pub fn with_disk_cache(mut self, dir: std::path::PathBuf) -> Self {
        self.cache = EtagCache::on_disk(dir, &self.api_url.to_string());
        self
    }

    pub fn stats(&self) -> Arc<ApiStats> {
        self.stats.clone()
    }

    pub fn api_url(&self) -> &Uri {
        &self.api_url
    }

    /// GET a JSON document (conditional, retried).
    pub async fn get_json<T: DeserializeOwned>(&self, path: &str) -> ForgeResult<T> {
        let reply = self.get(path).await?;
        Ok(reply.1)
    }

    /// GET a JSON document that never changes (a commit, a comparison of two commits): a kept
    /// answer is used without asking again, so reading it twice costs one request, ever.
    pub async fn get_json_kept<T: DeserializeOwned>(&self, path: &str) -> ForgeResult<T> {
        if let Some(etag) = self.cache.etag(path)
            && let Some(body) = self.cache.body_for(path, &etag)
        {
            match serde_json::from_slice(&body) {
                Ok(v) => return Ok(v),
                Err(_) => self.cache.forget(path),
            }
        }
        self.get_json(path).await
    }

    /// GET a JSON document; `None` when GitHub answers 404.
    pub async fn get_json_opt<T: DeserializeOwned>(&self, path: &str) -> ForgeResult<Option<T>> {
        match self.get_json(path).await {
            Ok(v) => Ok(Some(v)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// GET every page of a list, up to `limit` items. `key` names the array inside a wrapper
    /// object (`workflow_runs`, `jobs`); `None` when the answer is the array itself.
    pub async fn get_pages<T: DeserializeOwned>(
        &self,
        path: &str,
        key: Option<&str>,
        limit: usize,
    ) -> ForgeResult<Vec<T>> {
        let mut items = Vec::new();
        let mut next = Some(path.to_string());
        while let Some(page_path) = next.take() {
            // Decoded straight into `T`s: a page of a hundred runs as JSON values takes ten
            // times the memory, and a console polling 200 repositories has a hundred in flight.
            let (reply, page): (Reply, Vec<T>) = self
                .get_decoded(&page_path, |body| match key {
                    Some(k) => page::items(body, k),
                    None => serde_json::from_slice(body),
                })
                .await?;
            let empty = page.is_empty();
            items.extend(page);
            if items.len() >= limit || empty {
                items.truncate(limit);
                break;
            }
            next = next_page(&reply.headers).and_then(|url| self.relative_path(&url));
        }
        Ok(items)
    }

    /// A conditional, retried GET whose body is decoded as JSON inside the retry loop, so a
    /// truncated body is retried like a dropped connection.
    async fn get<T: DeserializeOwned>(&self, path: &str) -> ForgeResult<(Reply, T)> {
        self.get_decoded(path, |body| serde_json::from_slice(body))
            .await
    }

    /// The same, the body decoded by `decode`.
    async fn get_decoded<T>(
        &self,
        path: &str,
        decode: impl Fn(&[u8]) -> serde_json::Result<T>,
    ) -> ForgeResult<(Reply, T)> {
        let decode = &decode;
        let got = self
            .retrying(&Method::GET, path, move |attempt| {
                self.get_once(path, decode, attempt)
            })
            .await?;
        self.stats.set_last_error(None);
        Ok(got)
    }

    /// One try of [`Transport::get_decoded`], retry `attempt`.
    async fn get_once<T>(
        &self,
        path: &str,
        decode: &impl Fn(&[u8]) -> serde_json::Result<T>,
        attempt: u32,
    ) -> Outcome<(Reply, T)> {
        // Only the ETag goes with the request: the kept body is unpacked when GitHub says
        // it still holds (a hundred requests in flight need not each hold a page twice).
        let etag = self.cache.etag(path);
        let mut headers = HeaderMap::new();
        if let Some(etag) = &etag {
            headers.insert(IF_NONE_MATCH, etag.clone());
        }
        match self.send(Method::GET, path, headers, None).await {
            Ok(mut reply) => {
                let kept = match &etag {
                    Some(etag) if reply.status == StatusCode::NOT_MODIFIED => {
                        self.cache.body_for(path, etag)
                    }
                    _ => None,
                };
                let from_cache = kept.is_some();
                if let Some(body) = kept {
                    self.stats.not_modified.fetch_add(1, Ordering::Relaxed);
                    reply.status = StatusCode::OK;
                    reply.body = body;
                }
                match self.classify(&Method::GET, path, &reply, true, attempt) {
                    Outcome::Done(()) => match decode(&reply.body) {
                        Ok(v) => {
                            if !from_cache {
                                self.remember(path, &reply);
                            }
                            Outcome::Done((reply, v))
                        }
                        // Whole JSON that is not what GitHub documents: asking again
                        // gets the same answer.
                        Err(e) if e.is_data() && !from_cache => Outcome::Fail(ForgeError::Decode {
                            path: path.into(),
                            message: e.to_string(),
                        }),
                        Err(e) => {
                            if from_cache {
                                // The kept body is damaged: ask without an ETag next.
                                self.cache.forget(path);
                            }
                            Outcome::Retry {
                                wait: self.policy.backoff(attempt),
                                why: RetryReason::Unreadable(e.to_string()),
                            }
                        }
                    },
                    Outcome::Retry { wait, why } => Outcome::Retry { wait, why },
                    Outcome::Fail(e) => Outcome::Fail(e),
                }
            }
            Err(message) => Outcome::Retry {
                wait: self.policy.backoff(attempt),
                why: RetryReason::Network(message),
            },
        }
    }

    /// Runs `once` (given the retry's number) until it is done or fails for good, backing off
    /// between tries as it asks: the one loop every request goes through (a write's `once`
    /// asks for a retry only when GitHub refused it outright).
    async fn retrying<T, F, Fut>(&self, method: &Method, path: &str, mut once: F) -> ForgeResult<T>
    where
        F: FnMut(u32) -> Fut,
        Fut: std::future::Future<Output = Outcome<T>>,
    {
        let mut attempt = 0;
        loop {
            match once(attempt).await {
                Outcome::Done(v) => return Ok(v),
                Outcome::Fail(e) => return Err(self.failed(e)),
                Outcome::Retry { wait, why } => {
                    if attempt >= self.policy.max_retries {
                        return Err(self.failed(self.give_up(method, path, wait, why)));
                    }
                    self.note_retry(method, path, attempt, wait, &why);
                    tokio::time::sleep(wait).await;
                    attempt += 1;
                }
            }
        }
    }

    /// A write (`POST`, `PATCH`, `PUT`, `DELETE`) sent at most once, unless GitHub refused it
    /// outright for a rate limit. Returns the decoded JSON answer (or `null` for 204).
    pub async fn write_json<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&serde_json::Value>,
    ) -> ForgeResult<T> {
        self.write_via(&self.client, method, path, body).await
    }

    /// A GraphQL request (`POST /graphql` at GraphQL's own address), sent like a write.
    pub async fn graphql<T: DeserializeOwned>(&self, body: &serde_json::Value) -> ForgeResult<T> {
        self.write_via(&self.graphql, Method::POST, "/graphql", Some(body))
            .await
    }

    /// A GraphQL query (no mutation): a read, so it costs a read's point and is retried like
    /// a `GET` when the network or GitHub fails. GraphQL has no ETags: nothing is cached.
    pub async fn graphql_query<T: DeserializeOwned>(
        &self,
        body: &serde_json::Value,
    ) -> ForgeResult<T> {
        let method = Method::POST;
        let path = "/graphql";
        self.retrying(&method, path, |attempt| async move {
            let sent = self
                .send_via(
                    &self.graphql,
                    (Method::POST, Kind::Read),
                    path,
                    HeaderMap::new(),
                    Some(body),
                )
                .await;
            match sent {
                Ok(reply) => match self.classify(&Method::POST, path, &reply, true, attempt) {
                    Outcome::Done(()) => match reply.json::<T>() {
                        Ok(v) => Outcome::Done(v),
                        Err(e) => Outcome::Retry {
                            wait: self.policy.backoff(attempt),
                            why: RetryReason::Unreadable(e),
                        },
                    },
                    Outcome::Retry { wait, why } => Outcome::Retry { wait, why },
                    Outcome::Fail(e) => Outcome::Fail(e),
                },
                Err(message) => Outcome::Retry {
                    wait: self.policy.backoff(attempt),
                    why: RetryReason::Network(message),
                },
            }
        })
        .await
    }

    async fn write_via<T: DeserializeOwned>(
        &self,
        client: &Octocrab,
        method: Method,
        path: &str,
        body: Option<&serde_json::Value>,
    ) -> ForgeResult<T> {
        let method = &method;
        self.retrying(method, path, |attempt| async move {
            let sent = self
                .send_via(
                    client,
                    (method.clone(), Kind::Write),
                    path,
                    HeaderMap::new(),
                    body,
                )
                .await;
            let reply = match sent {
                Ok(reply) => reply,
                // Sent, perhaps received: a write is never sent twice on a guess.
                Err(message) => {
                    return Outcome::Fail(ForgeError::Ambiguous {
                        method: method.to_string(),
                        path: path.into(),
                        message,
                    });
                }
            };
            match self.classify(method, path, &reply, false, attempt) {
                Outcome::Done(()) => {
                    let body: &[u8] = if reply.body.is_empty() {
                        b"null"
                    } else {
                        &reply.body
                    };
                    match serde_json::from_slice(body) {
                        Ok(v) => Outcome::Done(v),
                        // GitHub said yes but the answer arrived cut short: the write
                        // happened, and what it created must be looked up, not re-sent.
                        Err(e) => Outcome::Fail(ForgeError::Ambiguous {
                            method: method.to_string(),
                            path: path.into(),
                            message: format!("the answer was unreadable: {e}"),
                        }),
                    }
                }
                Outcome::Retry { wait, why } => Outcome::Retry { wait, why },
                Outcome::Fail(e) => Outcome::Fail(e),
            }
        })
        .await
    }

    /// Downloads a job log: the API answers 302 with a pre-signed URL to the text, which is
    /// fetched without our token (it must never travel to another host).
    pub async fn get_redirected_text(&self, path: &str) -> ForgeResult<Bytes> {
        self.retrying(&Method::GET, path, |attempt| async move {
            match self.send(Method::GET, path, HeaderMap::new(), None).await {
                Ok(reply) if reply.status.is_redirection() => {
                    match reply.headers.get(LOCATION).and_then(|v| v.to_str().ok()) {
                        Some(location) => self.download(location).await,
                        None => Outcome::Fail(ForgeError::Decode {
                            path: path.into(),
                            message: "redirect without a Location".into(),
                        }),
                    }
                }
                Ok(reply) => match self.classify(&Method::GET, path, &reply, true, attempt) {
                    Outcome::Done(()) => Outcome::Done(reply.body),
                    Outcome::Retry { wait, why } => Outcome::Retry { wait, why },
                    Outcome::Fail(e) => Outcome::Fail(e),
                },
                Err(message) => Outcome::Retry {
                    wait: self.policy.backoff(attempt),
                    why: RetryReason::Network(message),
                },
            }
        })
        .await
    }

    /// The client for log downloads from `origin`, without our token, built once per origin:
    /// a client holds its connections (and its TLS setup), and a console downloads hundreds
    /// of logs a minute from a handful of storage hosts.
    fn download_client(&self, origin: &str) -> Result<Octocrab, String> {
        let kept = || self.downloads.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(client) = kept().get(origin) {
            return Ok(client.clone());
        }
        // Built outside the lock: it takes a while (TLS roots).
        let client = Octocrab::builder()
            .base_uri(origin)
            .and_then(|b| b.build())
            .map_err(|e| e.to_string())?;
        let mut clients = kept();
        if clients.len() >= DOWNLOAD_ORIGINS
            && let Some(any) = clients.keys().next().cloned()
        {
            clients.remove(&any);
        }
        clients.insert(origin.to_string(), client.clone());
        Ok(client)
    }

    /// Fetches a pre-signed download URL with a client of its own: no token, and no base path
    /// prepended (octocrab would prefix an Enterprise `/api/v3` to a foreign host's path). A
    /// relative URL stays on the API host.
    async fn download(&self, location: &str) -> Outcome<Bytes> {
        let uri: Uri = match location.parse() {
            Ok(uri) => uri,
            Err(e) => {
                return Outcome::Fail(ForgeError::Decode {
                    path: location.into(),
                    message: format!("bad redirect target: {e}"),
                });
            }
        };
        let (Some(scheme), Some(authority)) = (uri.scheme_str(), uri.authority()) else {
            // A relative Location stays on the API host.
            return match self
                .send(Method::GET, location, HeaderMap::new(), None)
                .await
            {
                Ok(r) if r.status.is_success() => Outcome::Done(r.body),
                Ok(r) => Outcome::Retry {
                    wait: self.policy.backoff(0),
                    why: RetryReason::Download(format!("download answered {}", r.status)),
                },
                Err(why) => Outcome::Retry {
                    wait: self.policy.backoff(0),
                    why: RetryReason::Network(why),
                },
            };
        };
        let origin = format!("{scheme}://{authority}");
        let client = match self.download_client(&origin) {
            Ok(client) => client,
            Err(e) => {
                return Outcome::Fail(ForgeError::Invalid(format!(
                    "cannot build a download client: {e}"
                )));
            }
        };
        let path_and_query = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
        let fetch = async {
            let response = client
                ._get(path_and_query)
                .await
                .map_err(|e| e.to_string())?;
            let status = response.status();
            let body = read_capped(response.into_body(), MAX_LOG_BYTES).await?;
            Ok::<_, String>((status, body))
        };
        self.stats.requests.fetch_add(1, Ordering::Relaxed);
        match tokio::time::timeout(self.policy.request_timeout * 4, fetch).await {
            Ok(Ok((status, body))) if status.is_success() => Outcome::Done(body),
            Ok(Ok((status, _))) => Outcome::Retry {
                wait: self.policy.backoff(0),
                why: RetryReason::Download(format!("log download answered {status}")),
            },
            Ok(Err(why)) => Outcome::Retry {
                wait: self.policy.backoff(0),
                why: RetryReason::Download(why),
            },
            Err(_) => Outcome::Retry {
                wait: self.policy.backoff(0),
                why: RetryReason::Download("log download timed out".into()),
            },
        }
    }

    /// One HTTP exchange with the REST API (see [`Transport::send_via`]).
    async fn send(
        &self,
        method: Method,
        path: &str,
        headers: HeaderMap,
        body: Option<&serde_json::Value>,
    ) -> Result<Reply, String> {
        let kind = Kind::of(&method);
        self.send_via(&self.client, (method, kind), path, headers, body)
            .await
    }

    /// One HTTP exchange through octocrab, body read, under the request timeout. `Err` is a
    /// transport failure (no answer, or an answer cut short).
    async fn send_via(
        &self,
        client: &Octocrab,
        (method, kind): (Method, Kind),
        path: &str,
        headers: HeaderMap,
        body: Option<&serde_json::Value>,
    ) -> Result<Reply, String> {
        let uri: Uri = path
            .parse()
            .map_err(|e| format!("invalid request path {path:?}: {e}"))?;
        // Held until the answer is read: it counts against the requests in flight.
        let _admitted = self.scheduler.admit(kind).await;
        self.stats.requests.fetch_add(1, Ordering::Relaxed);
        tracing::debug!(%method, path, "request");
        let exchange = async {
            let mut builder = http::Request::builder().method(method.clone()).uri(uri);
            for (name, value) in &headers {
                builder = builder.header(name, value);
            }
            let request = client
                .build_request(builder, body)
                .map_err(|e| e.to_string())?;
            let response = client
                .execute(request)
                .await
                .map_err(|e| describe_octocrab_error(&e))?;
            let status = response.status();
            let headers = response.headers().clone();
            let body = read_capped(response.into_body(), MAX_LOG_BYTES).await?;
            Ok::<_, String>(Reply {
                status,
                headers,
                body,
            })
        };
        let reply = match tokio::time::timeout(self.policy.request_timeout, exchange).await {
            Ok(r) => r?,
            Err(_) => {
                return Err(format!(
                    "no answer within {}s",
                    self.policy.request_timeout.as_secs_f32()
                ));
            }
        };
        self.note_rate_limit(&reply.headers);
        // GitHub answered, and not with trouble: whatever was being retried is over.
        if !reply.status.is_server_error()
            && rate_limit_wait(reply.status, &reply.headers).is_none()
        {
            self.stats.set_trouble(None);
        }
        Ok(reply)
    }

    /// Decides what an answer means: done, retry later (after backing off, this being retry
    /// `attempt`), or a definite failure.
    fn classify(
        &self,
        method: &Method,
        path: &str,
        reply: &Reply,
        is_read: bool,
        attempt: u32,
    ) -> Outcome<()> {
        let status = reply.status;
        if status.is_success() || status == StatusCode::NOT_MODIFIED {
            return Outcome::Done(());
        }
        if let Some(wait) = rate_limit_wait(status, &reply.headers) {
            if wait > self.policy.max_rate_limit_wait {
                return Outcome::Fail(ForgeError::RateLimited {
                    path: path.into(),
                    wait,
                });
            }
            return Outcome::Retry {
                wait,
                why: RetryReason::RateLimited(status),
            };
        }
        let message = error_message(&reply.body);
        if status.is_server_error() {
            if is_read {
                // An outage is not over in a millisecond: back off like any other failure.
                return Outcome::Retry {
                    wait: self.policy.backoff(attempt),
                    why: RetryReason::Server { status, message },
                };
            }
            return Outcome::Fail(ForgeError::Ambiguous {
                method: method.to_string(),
                path: path.into(),
                message: format!("{status}: {message}"),
            });
        }
        Outcome::Fail(ForgeError::Http {
            method: method.to_string(),
            path: path.into(),
            status: status.as_u16(),
            message,
        })
    }

    fn give_up(&self, method: &Method, path: &str, wait: Duration, why: RetryReason) -> ForgeError {
        if let RetryReason::RateLimited(_) = why {
            return ForgeError::RateLimited {
                path: path.into(),
                wait,
            };
        }
        ForgeError::Network {
            method: method.to_string(),
            path: path.into(),
            message: format!("{why} (after {} retries)", self.policy.max_retries),
        }
    }

    fn note_retry(
        &self,
        method: &Method,
        path: &str,
        attempt: u32,
        wait: Duration,
        why: &RetryReason,
    ) {
        self.stats.retries.fetch_add(1, Ordering::Relaxed);
        self.stats.set_trouble(Some(format!(
            "{why}; retry {} of {} in {:.0} s",
            attempt + 1,
            self.policy.max_retries,
            wait.as_secs_f64().ceil()
        )));
        tracing::warn!(%method, path, attempt, wait_ms = wait.as_millis() as u64, %why, "retrying");
    }

    fn failed(&self, e: ForgeError) -> ForgeError {
        self.stats.set_trouble(None);
        tracing::warn!(error = %e, "request failed");
        self.stats.set_last_error(Some(e.to_string()));
        e
    }

    fn note_rate_limit(&self, headers: &HeaderMap) {
        // The REST budget only: GraphQL (`x-ratelimit-resource: graphql`), search and the
        // rest have budgets of their own, and would make the REST one look spent or full.
        if headers
            .get("x-ratelimit-resource")
            .is_some_and(|r| r.as_bytes() != b"core")
        {
            return;
        }
        if let Some(remaining) = header_u64(headers, "x-ratelimit-remaining") {
            self.stats
                .rate_limit_remaining
                .store(remaining as i64, Ordering::Relaxed);
        }
        if let Some(reset) = header_u64(headers, "x-ratelimit-reset") {
            self.stats.rate_limit_reset.store(reset, Ordering::Relaxed);
        }
        if let Some(limit) = header_u64(headers, "x-ratelimit-limit") {
            self.stats.rate_limit_limit.store(limit, Ordering::Relaxed);
        }
    }

    fn remember(&self, path: &str, reply: &Reply) {
        if let Some(etag) = reply.headers.get(ETAG) {
            self.cache.put(path, etag, &reply.body);
        }
    }

    /// Turns an absolute `Link` URL back into a path on our API host, so octocrab attaches the
    /// token (it only does for relative requests). Links to other hosts are not followed.
    fn relative_path(&self, url: &str) -> Option<String> {
        let uri: Uri = url.parse().ok()?;
        if let Some(authority) = uri.authority()
            && Some(authority) != self.api_url.authority()
        {
            tracing::warn!(url, "pagination link to another host ignored");
            return None;
        }
        uri.path_and_query().map(|p| p.as_str().to_string())
    }
}

/// An octocrab client for one API base, with our headers, timeouts and the token.
fn octocrab_for(base: &Uri, token: Option<&Secret>, policy: &RetryPolicy) -> ForgeResult<Octocrab> {
    let mut builder = Octocrab::builder()
        .base_uri(base.clone())
        .map_err(|e| ForgeError::Invalid(format!("GITHUB_API_URL {base}: {e}")))?
        .add_header(
            HeaderName::from_static("x-github-api-version"),
            "2022-11-28".into(),
        )
        .set_connect_timeout(Some(policy.request_timeout))
        .set_read_timeout(Some(policy.request_timeout));
    if let Some(token) = token {
        builder = builder.personal_token(token.expose().to_string());
    }
    builder
        .build()
        .map_err(|e| ForgeError::Invalid(format!("cannot build the HTTP client: {e}")))
}

/// Where GraphQL lives: `/graphql` beside the REST API on github.com (and GHE.com), but
/// `/api/graphql` on Enterprise Server, whose REST API is under `/api/v3`.
fn graphql_base(api: &Uri) -> Uri {
    let Some(api_root) = api
        .path()
        .strip_suffix("/v3")
        .filter(|r| r.ends_with("/api"))
    else {
        return api.clone();
    };
    let mut parts = api.clone().into_parts();
    parts.path_and_query = api_root.parse().ok();
    Uri::from_parts(parts).unwrap_or_else(|_| api.clone())
}

/// How long a rate-limited answer asks us to wait, or `None` when it is not a rate limit.
fn rate_limit_wait(status: StatusCode, headers: &HeaderMap) -> Option<Duration> {
    if status != StatusCode::FORBIDDEN && status != StatusCode::TOO_MANY_REQUESTS {
        return None;
    }
    if let Some(secs) = header_u64(headers, "retry-after") {
        return Some(Duration::from_secs(secs));
    }
    let exhausted = header_u64(headers, "x-ratelimit-remaining") == Some(0);
    if exhausted || status == StatusCode::TOO_MANY_REQUESTS {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let wait = header_u64(headers, "x-ratelimit-reset")
            .map(|reset| reset.saturating_sub(now) + 1)
            .unwrap_or(60);
        return Some(Duration::from_secs(wait));
    }
    None
}

fn header_u64(headers: &HeaderMap, name: &str) -> Option<u64> {
    headers.get(name)?.to_str().ok()?.trim().parse().ok()
}

/// The `rel="next"` target of a `Link` header.
fn next_page(headers: &HeaderMap) -> Option<String> {
    let link = headers.get(LINK)?.to_str().ok()?;
    link.split(',').find_map(|part| {
        let (url, params) = part.split_once(';')?;
        params
            .split(';')
            .any(|p| p.trim() == "rel=\"next\"")
            .then(|| {
                url.trim()
                    .trim_start_matches('<')
                    .trim_end_matches('>')
                    .to_string()
            })
    })
}

/// GitHub's error body is `{"message": ..., "documentation_url": ...}`; fall back to the text.
fn error_message(body: &[u8]) -> String {
    #[derive(serde::Deserialize)]
    struct GitHubError {
        message: String,
    }
    match serde_json::from_slice::<GitHubError>(body) {
        Ok(e) => e.message,
        Err(_) => {
            let text = String::from_utf8_lossy(&body[..body.len().min(200)]);
            let text: String = text.chars().filter(|c| !c.is_control()).collect();
            if text.trim().is_empty() {
                "(empty answer)".into()
            } else {
                text.trim().to_string()
            }
        }
    }
}

fn describe_octocrab_error(e: &octocrab::Error) -> String {
    // octocrab's Display is terse ("Hyper error"); the source chain says what happened.
    let mut message = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        message.push_str(": ");
        message.push_str(&s.to_string());
        source = s.source();
    }
    message
}

async fn read_capped<B>(body: B, cap: usize) -> Result<Bytes, String>
where
    B: http_body::Body<Data = Bytes> + Unpin,
    B::Error: std::fmt::Display,
{
    let mut body = body;
    let mut buf = bytes::BytesMut::new();
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| format!("answer cut short: {e}"))?;
        if let Ok(data) = frame.into_data() {
            buf.extend_from_slice(&data);
            if buf.len() > cap {
                // Keep the end: a failing log's evidence is near its end.
                let excess = buf.len() - cap;
                let _ = buf.split_to(excess);
            }
        }
    }
    Ok(buf.freeze())
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    #[tokio::test]
    async fn only_the_rest_budget_is_the_budget() {
        let transport = Transport::new("http://127.0.0.1:9", None, RetryPolicy::default()).unwrap();
        let headers = |remaining: &'static str, resource: &'static str| {
            let mut h = HeaderMap::new();
            h.insert("x-ratelimit-limit", HeaderValue::from_static("5000"));
            h.insert("x-ratelimit-remaining", HeaderValue::from_static(remaining));
            h.insert("x-ratelimit-resource", HeaderValue::from_static(resource));
            h
        };
        transport.note_rate_limit(&headers("4000", "core"));
        transport.note_rate_limit(&headers("12", "graphql"));
        assert_eq!(transport.stats().remaining(), Some(4000));
    }

    #[test]
    fn graphql_lives_outside_the_rest_base_only_on_enterprise_server() {
        let base = |u: &str| graphql_base(&u.parse().unwrap()).to_string();
        assert_eq!(base("https://api.github.com"), "https://api.github.com/");
        assert_eq!(
            base("https://ghe.example.com/api/v3"),
            "https://ghe.example.com/api"
        );
        assert_eq!(
            base("https://api.octo.ghe.com"),
            "https://api.octo.ghe.com/"
        );
        assert_eq!(base("http://127.0.0.1:8080"), "http://127.0.0.1:8080/");
    }

    #[tokio::test]
    async fn giving_up_keeps_a_rate_limit_a_rate_limit_and_the_rest_a_network_failure() {
        let t = Transport::new("http://127.0.0.1:9", None, RetryPolicy::default()).unwrap();
        let wait = Duration::from_secs(30);
        let limited = RetryReason::RateLimited(StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(limited.to_string(), "rate limited (429 Too Many Requests)");
        assert!(matches!(
            t.give_up(&Method::GET, "/x", wait, limited),
            ForgeError::RateLimited { wait: w, .. } if w == wait
        ));
        let reasons = [
            RetryReason::Server {
                status: StatusCode::BAD_GATEWAY,
                message: "rate limited upstream".into(),
            },
            RetryReason::Network("rate limited by a proxy, connection closed".into()),
            RetryReason::Unreadable("EOF while parsing".into()),
            RetryReason::Download("log download timed out".into()),
        ];
        for why in reasons {
            // Whatever its words say (a 502 may mention a rate limit), only the kind counts.
            let text = why.to_string();
            match t.give_up(&Method::GET, "/x", wait, why) {
                ForgeError::Network { message, .. } => {
                    assert!(message.starts_with(&text), "{message}");
                    assert!(message.ends_with("retries)"), "{message}");
                }
                other => panic!("{text}: {other:?}"),
            }
        }
    }

    #[tokio::test]
    async fn a_server_error_on_a_read_is_retried_after_backing_off() {
        let policy = RetryPolicy {
            base_delay: Duration::from_millis(100),
            ..RetryPolicy::default()
        };
        let t = Transport::new("http://127.0.0.1:9", None, policy).unwrap();
        let reply = Reply {
            status: StatusCode::BAD_GATEWAY,
            headers: HeaderMap::new(),
            body: Bytes::new(),
        };
        for (attempt, at_least) in [(0, 50), (2, 200), (4, 800)] {
            match t.classify(&Method::GET, "/x", &reply, true, attempt) {
                Outcome::Retry { wait, .. } => assert!(
                    wait >= Duration::from_millis(at_least),
                    "attempt {attempt}: {wait:?}"
                ),
                _ => panic!("a 502 on a read is retried"),
            }
        }
        // The same answer to a write: maybe applied, never blindly sent again.
        assert!(matches!(
            t.classify(&Method::POST, "/x", &reply, false, 0),
            Outcome::Fail(ForgeError::Ambiguous { .. })
        ));
    }

    #[test]
    fn next_links_are_found() {
        let mut h = HeaderMap::new();
        h.insert(
            LINK,
            HeaderValue::from_static(
                "<https://api.github.com/repositories/1/issues?page=2>; rel=\"next\", <https://api.github.com/repositories/1/issues?page=5>; rel=\"last\"",
            ),
        );
        assert_eq!(
            next_page(&h).as_deref(),
            Some("https://api.github.com/repositories/1/issues?page=2")
        );
    }

    #[test]
    fn rate_limits_are_recognised() {
        let mut h = HeaderMap::new();
        h.insert("retry-after", HeaderValue::from_static("7"));
        assert_eq!(
            rate_limit_wait(StatusCode::FORBIDDEN, &h),
            Some(Duration::from_secs(7))
        );
        let plain_forbidden = HeaderMap::new();
        assert_eq!(
            rate_limit_wait(StatusCode::FORBIDDEN, &plain_forbidden),
            None
        );
        assert_eq!(rate_limit_wait(StatusCode::NOT_FOUND, &h), None);
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let p = RetryPolicy {
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(1),
            ..RetryPolicy::default()
        };
        assert!(p.backoff(0) <= Duration::from_millis(100));
        assert!(p.backoff(10) <= Duration::from_secs(1));
        assert!(p.backoff(10) >= Duration::from_millis(500));
    }

    #[test]
    fn error_bodies_become_messages() {
        assert_eq!(error_message(br#"{"message":"Not Found"}"#), "Not Found");
        assert_eq!(error_message(b""), "(empty answer)");
        assert_eq!(error_message(b"\x1b]52;c;x\x07oops"), "]52;c;xoops");
    }
}
