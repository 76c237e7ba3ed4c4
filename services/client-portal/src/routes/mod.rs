//! The portal's routes, one module per feature, merged here.

pub mod access_code;
pub mod assets;
pub mod brand;
pub mod documents;
pub mod operation;

use axum::Router;

use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(operation::router())
        .merge(documents::router())
        .merge(assets::router())
        .merge(brand::router())
        .merge(access_code::router())
}
