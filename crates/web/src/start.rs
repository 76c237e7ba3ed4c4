//! A service's `main`: tracing first (so configuration errors are logged like the rest), then
//! its body; a failure is one line on stderr, `<service>: <what>`, and exit code 1.

use std::future::Future;
use std::process::ExitCode;

/// Sets up tracing: the filter from `RUST_LOG` (default `info`), JSON lines when
/// `SIGNSTASH_LOG_JSON` is true.
pub fn init_tracing() -> Result<(), String> {
    let json = signstash_store::env::flag("SIGNSTASH_LOG_JSON", false)?;
    let filter =
        tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
    if json {
        tracing_subscriber::fmt()
            .with_env_filter(filter)
            .json()
            .init();
    } else {
        tracing_subscriber::fmt().with_env_filter(filter).init();
    }
    Ok(())
}

/// Tracing, then `body`; its error (or tracing's) printed as `name: error`.
pub async fn main<F>(name: &str, body: impl FnOnce() -> F) -> ExitCode
where
    F: Future<Output = Result<(), String>>,
{
    let result = match init_tracing() {
        Ok(()) => body().await,
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{name}: {e}");
            ExitCode::FAILURE
        }
    }
}
