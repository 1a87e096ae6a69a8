//! One endpoint of the API — a method on a path with its handler — so the router is built from a
//! table that a test can also list against the OpenAPI document.

use axum::extract::DefaultBodyLimit;
use axum::handler::Handler;
use axum::routing::{on, MethodFilter, MethodRouter};

use super::AppState;

/// An HTTP method of an [`Endpoint`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    Get,
    Post,
    Put,
    Delete,
}

impl Verb {
    /// The method as an OpenAPI operation names it (`get`, `post`, …).
    pub fn name(self) -> &'static str {
        match self {
            Verb::Get => "get",
            Verb::Post => "post",
            Verb::Put => "put",
            Verb::Delete => "delete",
        }
    }

    fn filter(self) -> MethodFilter {
        match self {
            Verb::Get => MethodFilter::GET,
            Verb::Post => MethodFilter::POST,
            Verb::Put => MethodFilter::PUT,
            Verb::Delete => MethodFilter::DELETE,
        }
    }
}

/// One method on one path, as [`super::app`] serves it and the OpenAPI document describes it.
pub struct Endpoint {
    pub verb: Verb,
    pub path: &'static str,
    pub(super) route: MethodRouter<AppState>,
}

pub(super) fn endpoint<H, T>(verb: Verb, path: &'static str, handler: H) -> Endpoint
where
    H: Handler<T, AppState>,
    T: 'static,
{
    Endpoint {
        verb,
        path,
        route: on(verb.filter(), handler),
    }
}

impl Endpoint {
    /// The endpoint with a request body limit of its own (uploads), instead of the API's.
    #[must_use]
    pub(super) fn with_body_limit(self, bytes: usize) -> Self {
        Endpoint {
            route: self.route.layer(DefaultBodyLimit::max(bytes)),
            ..self
        }
    }
}
