//! backoffice: tracing → configuration → state → serve.
//! `backoffice seed-demo-operators` creates the development operators instead (used by
//! `cargo xtask up`, after `integration-ws seed-demo`).

use backoffice::config::Config;
use backoffice::Application;
use secrecy::ExposeSecret as _;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    signstash_web::start::main("backoffice", || async {
        let config = Config::from_env()?;
        let args: Vec<String> = std::env::args().skip(1).collect();
        match args
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .as_slice()
        {
            [] | ["serve"] => {
                let app = Application::build(&config).await?;
                tracing::info!(port = app.port(), "backoffice listening");
                app.run().await.map_err(|e| e.to_string())
            }
            ["seed-demo-operators"] => {
                let db =
                    signstash_web::server::connect_migrated(config.database_url.expose_secret(), 2)
                        .await?;
                backoffice::demo::seed_demo_operators(&db).await
            }
            _ => Err("usage: backoffice [serve | seed-demo-operators]".into()),
        }
    })
    .await
}
