//! client-portal: tracing → configuration → state → serve.

use client_portal::config::Config;
use client_portal::Application;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let json = match signstash_store::env::flag("SIGNSTASH_LOG_JSON", false) {
        Ok(json) => json,
        Err(e) => {
            eprintln!("client-portal: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
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
    let result = async {
        let config = Config::from_env()?;
        let app = Application::build(&config).await?;
        tracing::info!(port = app.port(), "client-portal listening");
        app.run().await.map_err(|e| e.to_string())
    }
    .await;
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("client-portal: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
