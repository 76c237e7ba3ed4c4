//! backoffice: tracing → configuration → state → serve.

use backoffice::config::Config;
use backoffice::Application;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    signstash_web::start::main("backoffice", || async {
        let config = Config::from_env()?;
        let app = Application::build(&config).await?;
        tracing::info!(port = app.port(), "backoffice listening");
        app.run().await.map_err(|e| e.to_string())
    })
    .await
}
