//! client-portal: tracing → configuration → state → serve.

use client_portal::config::Config;
use client_portal::Application;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    signstash_web::start::main("client-portal", || async {
        let config = Config::from_env()?;
        let app = Application::build(&config).await?;
        tracing::info!(port = app.port(), "client-portal listening");
        app.run().await.map_err(|e| e.to_string())
    })
    .await
}
