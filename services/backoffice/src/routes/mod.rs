//! The route table: every page and form of the backoffice, once. [`table`] builds the router
//! and the role-matrix test enumerates it, so a route cannot exist without its row in the
//! matrix. Each feature's module holds its handlers and templates; each handler takes a
//! [`crate::page::Signed`] (or a [`crate::page::SignedForm`]) and passes its scope to the
//! store.

pub mod audit_log;
pub mod auth;
pub mod client_services;
pub mod issuers;
pub mod operators;
pub mod partners;
pub mod system;
pub mod templates;

use axum::http::Method;
use axum::routing::{get, post, MethodRouter};
use axum::Router;

use crate::AppState;

/// One route: a method, a path (axum's syntax, `{id}` for an id) and its handler.
pub struct Route {
    pub method: Method,
    pub path: &'static str,
    pub handler: MethodRouter<AppState>,
}

pub fn route(method: Method, path: &'static str, handler: MethodRouter<AppState>) -> Route {
    Route {
        method,
        path,
        handler,
    }
}

/// Every route of the service, but the health and metrics endpoints and the static assets
/// ([`crate::router`] adds those).
pub fn table() -> Vec<Route> {
    let mut routes = vec![
        route(Method::GET, "/", get(auth::root)),
        route(Method::GET, "/sign-in", get(auth::sign_in_page)),
        route(Method::POST, "/sign-in", post(auth::sign_in)),
        route(Method::POST, "/sign-out", post(auth::sign_out)),
        route(Method::GET, "/home", get(auth::home)),
    ];
    routes.extend(partners::routes());
    routes.extend(operators::routes());
    routes.extend(system::routes());
    routes.extend(audit_log::routes());
    routes.extend(client_services::routes());
    routes.extend(templates::routes());
    routes.extend(issuers::routes());
    routes.extend(auth::unbuilt_menus());
    routes
}

/// The router of [`table`].
pub fn router() -> Router<AppState> {
    table()
        .into_iter()
        .fold(Router::new(), |router, r| router.route(r.path, r.handler))
}
