//! Two jobs:
//! - rebuild when a migration changes (`sqlx::migrate!` embeds `migrations/` at compile time);
//! - enable the database tests (`cfg(signstash_db_tests)`) when `DATABASE_URL` is set **or**
//!   when running under CI (`CI` set). Under CI without a database they are compiled and fail
//!   ("DATABASE_URL must be set"); on a developer machine without one they are skipped, and
//!   `tests/database_gate.rs` says so.

fn main() {
    println!("cargo:rerun-if-changed=../../migrations");
    println!("cargo:rerun-if-env-changed=DATABASE_URL");
    println!("cargo:rerun-if-env-changed=CI");
    println!("cargo::rustc-check-cfg=cfg(signstash_db_tests)");
    if std::env::var_os("DATABASE_URL").is_some() || std::env::var_os("CI").is_some() {
        println!("cargo:rustc-cfg=signstash_db_tests");
    }
}
