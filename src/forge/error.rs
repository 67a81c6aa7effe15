//! What can go wrong talking to GitHub, in words a user can act on.

use std::time::Duration;

#[derive(Debug, Clone, thiserror::Error)]
pub enum ForgeError {
    /// GitHub answered with an error status.
    #[error("GitHub answered {status} to {method} {path}: {message}")]
    Http {
        method: String,
        path: String,
        status: u16,
        message: String,
    },
    /// Rate limited for longer than we are willing to wait.
    #[error("rate limited by GitHub on {path}; the limit resets in {}s", wait.as_secs())]
    RateLimited { path: String, wait: Duration },
    /// The connection failed or the request timed out after every retry.
    #[error("cannot reach GitHub for {method} {path}: {message}")]
    Network {
        method: String,
        path: String,
        message: String,
    },
    /// A write whose outcome is unknown: the request may or may not have been applied.
    /// Never retried blindly; the caller checks what exists first.
    #[error("{method} {path} may or may not have been applied ({message})")]
    Ambiguous {
        method: String,
        path: String,
        message: String,
    },
    /// The answer was not the JSON we expected (after retries, for reads).
    #[error("unexpected answer to {path}: {message}")]
    Decode { path: String, message: String },
    /// A request we refuse to build (e.g. a path with characters GitHub never uses).
    #[error("invalid request: {0}")]
    Invalid(String),
}

impl ForgeError {
    pub fn status(&self) -> Option<u16> {
        match self {
            ForgeError::Http { status, .. } => Some(*status),
            _ => None,
        }
    }

    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404)
    }

    /// The write may have happened: look before sending it again.
    pub fn maybe_applied(&self) -> bool {
        matches!(self, ForgeError::Ambiguous { .. })
    }
}

pub type ForgeResult<T> = Result<T, ForgeError>;
