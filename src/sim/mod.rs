//! A GitHub-compatible HTTP server on loopback: the demo's data source and the tests' GitHub.
//!
//! Not a mock object: it speaks GitHub's REST paths, status codes, headers (ETag, Link,
//! rate limits, 302 to log blobs) and JSON, so the demo and the tests drive the same octocrab
//! client a real user drives. It keeps state (writes show in later reads), plays the Copilot
//! coding agent, counts every request, and misbehaves on demand (`faults.rs`).
//!
//! Control endpoints (not GitHub's): `GET/DELETE /_sim/requests` (the request log),
//! `GET/POST /_sim/faults` (fault switches).

pub mod copilot;
pub mod faults;
pub mod graphql;
pub mod json;
pub mod organisation;
pub mod routes;
pub mod scenario;
pub mod world;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use chrono::Utc;
use serde::Serialize;

pub use faults::{Faults, ScriptedFault};
pub use scenario::LoadedScenario;
pub use world::{World, WorldOptions};

use faults::{Dice, FaultAction};

/// What the server shares between requests.
pub struct Shared {
    world: Mutex<World>,
    faults: Mutex<(Faults, Dice)>,
    requests: Mutex<Vec<RequestRecord>>,
    counter: AtomicU64,
    base_url: OnceLock<String>,
    rate_remaining: AtomicI64,
    rate_reset: u64,
}

impl Shared {
    /// The world, even if a handler panicked while holding it (its state is still usable).
    pub fn world(&self) -> MutexGuard<'_, World> {
        self.world.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn base_url(&self) -> String {
        self.base_url.get().cloned().unwrap_or_default()
    }

    /// The user every write is attributed to (the token's owner).
    pub fn author(&self) -> String {
        "octocat".into()
    }

    pub fn rate_limit_snapshot(&self) -> (i64, u64) {
        (
            self.rate_remaining.load(Ordering::Relaxed).max(0),
            self.rate_reset,
        )
    }

    fn faults(&self) -> MutexGuard<'_, (Faults, Dice)> {
        self.faults.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn requests(&self) -> MutexGuard<'_, Vec<RequestRecord>> {
        self.requests.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// One request as the simulator saw it.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct RequestRecord {
    pub n: u64,
    pub method: String,
    /// Path and query.
    pub path: String,
    pub status: u16,
    /// The request carried `If-None-Match`.
    pub conditional: bool,
    /// The request carried an `Authorization` header.
    pub authorized: bool,
    /// A fault was injected into this request.
    pub fault: Option<String>,
    /// When it arrived, in milliseconds since the Unix epoch (it is recorded once answered).
    #[serde(default)]
    pub arrived_ms: i64,
}

impl RequestRecord {
    pub fn is_write(&self) -> bool {
        self.method != "GET" && self.method != "HEAD"
    }
}

/// Everything a simulator starts from.
#[derive(Debug, Clone)]
pub struct SimOptions {
    pub scenario: LoadedScenario,
    pub world: WorldOptions,
    pub faults: Faults,
    pub layout: ApiLayout,
}

impl SimOptions {
    pub fn demo() -> Result<Self, String> {
        Ok(SimOptions {
            scenario: LoadedScenario::demo()?,
            world: WorldOptions::default(),
            faults: Faults::default(),
            layout: ApiLayout::default(),
        })
    }
}

/// Where the API lives on the simulated host.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ApiLayout {
    /// github.com: REST at the root, GraphQL at `/graphql`.
    #[default]
    DotCom,
    /// GitHub Enterprise Server: REST under `/api/v3`, GraphQL at `/api/graphql`.
    EnterpriseServer,
}

impl ApiLayout {
    fn rest_prefix(self) -> &'static str {
        match self {
            ApiLayout::DotCom => "",
            ApiLayout::EnterpriseServer => "/api/v3",
        }
    }

    fn graphql_path(self) -> &'static str {
        match self {
            ApiLayout::DotCom => "/graphql",
            ApiLayout::EnterpriseServer => "/api/graphql",
        }
    }
}

/// A running simulator; dropping it stops the server.
pub struct RunningSim {
    addr: SocketAddr,
    shared: Arc<Shared>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

impl RunningSim {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// What `GITHUB_API_URL` should be: `http://127.0.0.1:PORT`, with `/api/v3` in the
    /// Enterprise Server layout.
    pub fn url(&self) -> String {
        self.shared.base_url()
    }

    pub fn requests(&self) -> Vec<RequestRecord> {
        self.shared.requests().clone()
    }

    pub fn clear_requests(&self) {
        self.shared.requests().clear();
    }

    /// Sets what the rate-limit headers say is left of the hour's 5,000 requests.
    pub fn set_rate_remaining(&self, remaining: i64) {
        self.shared
            .rate_remaining
            .store(remaining, Ordering::Relaxed);
    }

    pub fn set_faults(&self, faults: Faults) {
        let seed = faults.seed;
        *self.shared.faults() = (faults, Dice::new(seed));
    }

    /// Reads or changes the world directly (tests arrange situations this way).
    pub fn with_world<R>(&self, f: impl FnOnce(&mut World) -> R) -> R {
        f(&mut self.shared.world())
    }

    /// Waits until the server has stopped accepting.
    pub fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

impl Drop for RunningSim {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Starts the simulator on `addr` (port 0 picks a free port) on the current tokio runtime.
pub async fn start(addr: SocketAddr, options: SimOptions) -> std::io::Result<RunningSim> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let seed = options.faults.seed;
    let shared = Arc::new(Shared {
        world: Mutex::new(World::new(&options.scenario, options.world)),
        faults: Mutex::new((options.faults, Dice::new(seed))),
        requests: Mutex::new(Vec::new()),
        counter: AtomicU64::new(0),
        base_url: OnceLock::new(),
        rate_remaining: AtomicI64::new(5000),
        rate_reset: (Utc::now().timestamp() + 3600) as u64,
    });
    let _ = shared
        .base_url
        .set(format!("http://{addr}{}", options.layout.rest_prefix()));
    let app = router(shared.clone(), options.layout);
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        let server = axum::serve(listener, app).with_graceful_shutdown(async {
            let _ = rx.await;
        });
        if let Err(e) = server.await {
            tracing::error!(error = %e, "simulator stopped");
        }
    });
    Ok(RunningSim {
        addr,
        shared,
        shutdown: Some(tx),
    })
}

fn router(shared: Arc<Shared>, layout: ApiLayout) -> Router {
    let control = Router::new()
        .route("/", get(index))
        .route("/_sim/requests", get(get_requests).delete(delete_requests))
        .route("/_sim/faults", get(get_faults).post(post_faults))
        .with_state(shared.clone());
    let behaviour = || axum::middleware::from_fn_with_state(shared.clone(), github_behaviour);
    let rest = routes::router(shared.clone()).layer(behaviour());
    let graphql = graphql::router(shared.clone(), layout.graphql_path()).layer(behaviour());
    let github = match layout.rest_prefix() {
        "" => rest,
        prefix => Router::new().nest(prefix, rest),
    };
    github.merge(graphql).merge(control)
}

async fn index() -> &'static str {
    "autoheal simulator: a GitHub-compatible REST API for the demo and the tests.\n\
     Point GITHUB_API_URL here. Control: /_sim/requests, /_sim/faults.\n"
}

async fn get_requests(State(sim): State<Arc<Shared>>) -> Response {
    Json(sim.requests().clone()).into_response()
}

async fn delete_requests(State(sim): State<Arc<Shared>>) -> Response {
    sim.requests().clear();
    StatusCode::NO_CONTENT.into_response()
}

async fn get_faults(State(sim): State<Arc<Shared>>) -> Response {
    Json(sim.faults().0.clone()).into_response()
}

async fn post_faults(State(sim): State<Arc<Shared>>, Json(faults): Json<Faults>) -> Response {
    let seed = faults.seed;
    *sim.faults() = (faults.clone(), Dice::new(seed));
    Json(faults).into_response()
}

/// Largest answer the middleware buffers to compute an ETag (logs included).
const MAX_BODY: usize = 1024 * 1024 * 1024;

/// What every GitHub endpoint does besides its own work: move the clock, count the request,
/// inject faults, answer conditional requests with 304, and send rate-limit headers.
async fn github_behaviour(State(sim): State<Arc<Shared>>, req: Request, next: Next) -> Response {
    let method = req.method().clone();
    // The path as the client sent it (`/api/v3/...` in the Enterprise layout, whose nesting
    // strips the prefix before routing).
    let uri = req
        .extensions()
        .get::<axum::extract::OriginalUri>()
        .map_or_else(|| req.uri().clone(), |o| o.0.clone());
    let path = uri
        .path_and_query()
        .map(|p| p.to_string())
        .unwrap_or_default();
    let if_none_match = req.headers().get(header::IF_NONE_MATCH).cloned();
    let authorized = req.headers().contains_key(header::AUTHORIZATION);
    let arrived_ms = Utc::now().timestamp_millis();
    let n = sim.counter.fetch_add(1, Ordering::Relaxed) + 1;
    {
        let mut world = sim.world();
        copilot::advance(&mut world, Utc::now());
        world::advance_runs(&mut world, Utc::now());
    }

    let (action, stall) = {
        let mut guard = sim.faults();
        let (faults, dice) = &mut *guard;
        let stall = faults.stall(dice);
        (faults.decide(n, method.as_str(), &path, dice), stall)
    };
    if let Some(d) = stall {
        tokio::time::sleep(d).await;
    }
    let fault = match &action {
        FaultAction::None => None,
        other => Some(format!("{other:?}")),
    };

    let response = match action {
        FaultAction::ServerError(code) => github_error(code, "Server Error"),
        FaultAction::RateLimit { reset } => {
            let mut r = github_error(403, "API rate limit exceeded for user ID 583231.");
            let reset_at = Utc::now().timestamp() as u64 + reset.as_secs();
            let h = r.headers_mut();
            h.insert("x-ratelimit-remaining", HeaderValue::from_static("0"));
            h.insert("x-ratelimit-reset", HeaderValue::from(reset_at));
            h.insert("retry-after", HeaderValue::from(reset.as_secs()));
            r
        }
        FaultAction::Scripted {
            status,
            after_effect,
        } => {
            if after_effect {
                let _ = next.run(req).await;
            }
            github_error(status, "Injected failure")
        }
        action @ (FaultAction::None | FaultAction::Truncate | FaultAction::Drop) => {
            let response = next.run(req).await;
            finish(&sim, &method, response, if_none_match.as_ref(), &action).await
        }
    };
    let mut response = response;
    let resource = if path.ends_with("/graphql") {
        "graphql"
    } else {
        "core"
    };
    add_rate_limit_headers(&sim, &mut response, resource);
    sim.requests().push(RequestRecord {
        n,
        method: method.to_string(),
        path,
        status: response.status().as_u16(),
        conditional: if_none_match.is_some(),
        authorized,
        fault,
        arrived_ms,
    });
    response
}

fn github_error(status: u16, message: &str) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (
        status,
        Json(serde_json::json!({
            "message": message,
            "documentation_url": "https://docs.github.com/rest",
            "status": status.as_u16().to_string(),
        })),
    )
        .into_response()
}

/// ETag and 304 for successful GETs; truncation or a dropped connection when asked.
async fn finish(
    sim: &Shared,
    method: &Method,
    response: Response,
    if_none_match: Option<&HeaderValue>,
    action: &FaultAction,
) -> Response {
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_BODY).await else {
        return github_error(500, "Server Error");
    };
    if *method == Method::GET && parts.status == StatusCode::OK {
        let etag = format!("\"{:016x}\"", fnv1a(&bytes));
        if if_none_match.and_then(|v| v.to_str().ok()) == Some(etag.as_str()) {
            let mut r = StatusCode::NOT_MODIFIED.into_response();
            if let Ok(v) = HeaderValue::from_str(&etag) {
                r.headers_mut().insert(header::ETAG, v);
            }
            return r;
        }
        if let Ok(v) = HeaderValue::from_str(&etag) {
            parts.headers.insert(header::ETAG, v);
        }
    }
    // Every answer but a 304 counts against the rate limit, as on GitHub.
    sim.rate_remaining.fetch_sub(1, Ordering::Relaxed);
    parts.headers.remove(header::CONTENT_LENGTH);
    match action {
        FaultAction::Truncate => {
            let half = bytes.slice(..bytes.len() / 2);
            Response::from_parts(parts, Body::from(half))
        }
        FaultAction::Drop => {
            let half = bytes.slice(..bytes.len() / 2);
            let chunks: Vec<Result<bytes::Bytes, std::io::Error>> = vec![
                Ok(half),
                Err(std::io::Error::new(
                    std::io::ErrorKind::ConnectionReset,
                    "connection dropped by the simulator",
                )),
            ];
            Response::from_parts(parts, Body::from_stream(futures_util::stream::iter(chunks)))
        }
        _ => Response::from_parts(parts, Body::from(bytes)),
    }
}

/// GitHub's rate-limit headers; `resource` names the budget (`core` for REST, `graphql`).
fn add_rate_limit_headers(sim: &Shared, response: &mut Response, resource: &'static str) {
    let h = response.headers_mut();
    if h.contains_key("x-ratelimit-remaining") {
        return;
    }
    let (remaining, reset) = sim.rate_limit_snapshot();
    h.insert("x-ratelimit-limit", HeaderValue::from_static("5000"));
    h.insert("x-ratelimit-remaining", HeaderValue::from(remaining));
    h.insert("x-ratelimit-used", HeaderValue::from(5000 - remaining));
    h.insert("x-ratelimit-reset", HeaderValue::from(reset));
    h.insert("x-ratelimit-resource", HeaderValue::from_static(resource));
}

fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h = fnv::FnvHasher::default();
    std::hash::Hasher::write(&mut h, bytes);
    std::hash::Hasher::finish(&h)
}
