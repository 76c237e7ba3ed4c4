//! integration-ws: tracing → configuration → state → serve.
//! `integration-ws seed-demo PKI_DIR OUT_DIR` creates the development tenants instead (used by
//! `cargo xtask up`): clients `demo` / `demo2` with secrets `demo-secret` / `demo2-secret`.

use integration_ws::config::Config;
use integration_ws::Application;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    signstash_web::start::main("integration-ws", || async {
        let config = Config::from_env()?;
        let args: Vec<String> = std::env::args().skip(1).collect();
        match args
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .as_slice()
        {
            [] | ["serve"] => serve(config).await,
            ["seed-demo", pki, out] => seed_demo(config, pki, out).await,
            _ => Err("usage: integration-ws [serve | seed-demo PKI_DIR OUT_DIR]".into()),
        }
    })
    .await
}

async fn serve(config: Config) -> Result<(), String> {
    let app = Application::build(&config).await?;
    tracing::info!(port = app.port(), "integration-ws listening");
    app.run().await.map_err(|e| e.to_string())
}

async fn seed_demo(config: Config, pki: &str, out: &str) -> Result<(), String> {
    use integration_ws::demo::{sample_sign_request, seed_demo_tenants};
    use secrecy::ExposeSecret;
    let db = signstash_store::connect(config.database_url.expose_secret(), 2)
        .await
        .map_err(|e| e.to_string())?;
    signstash_store::MIGRATOR
        .run(&db)
        .await
        .map_err(|e| e.to_string())?;
    let master_key =
        signstash_store::MasterKey::from_base64(&config.master_key).map_err(|e| e.to_string())?;
    seed_demo_tenants(&db, &master_key, std::path::Path::new(pki)).await?;
    std::fs::create_dir_all(out).map_err(|e| e.to_string())?;
    let reference = format!("DEMO-{}", time::OffsetDateTime::now_utc().unix_timestamp());
    let request =
        serde_json::to_vec_pretty(&sample_sign_request(&reference)).map_err(|e| e.to_string())?;
    std::fs::write(std::path::Path::new(out).join("sign-request.json"), request)
        .map_err(|e| e.to_string())?;
    Ok(())
}
