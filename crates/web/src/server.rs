//! A service bound to its address: `port()` is known before serving (port 0 picks a free one),
//! and serving ends on SIGINT/SIGTERM (or a given future) after the requests in flight finish.

use std::future::Future;
use std::net::SocketAddr;

use axum::Router;
use sqlx::PgPool;

/// A bound listener and the router it serves. Handlers may take
/// `ConnectInfo<SocketAddr>`: the peer's address is always provided.
pub struct Server {
    listener: tokio::net::TcpListener,
    router: Router,
}

impl Server {
    /// Binds `bind` for `router`; the error names the address.
    pub async fn bind(bind: SocketAddr, router: Router) -> Result<Self, String> {
        let listener = tokio::net::TcpListener::bind(bind)
            .await
            .map_err(|e| format!("cannot listen on {bind}: {e}"))?;
        Ok(Self { listener, router })
    }

    pub fn port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or(0)
    }

    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.listener.local_addr().ok()
    }

    /// Serves until SIGINT/SIGTERM, finishing in-flight requests.
    pub async fn run(self) -> std::io::Result<()> {
        self.run_until(shutdown_signal()).await
    }

    /// Serves until `shutdown` completes, finishing in-flight requests.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        axum::serve(
            self.listener,
            self.router
                .into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown)
        .await
    }
}

/// Completes at the first SIGINT (Ctrl-C) or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}

/// The service's pool of at most `max_connections`, with every pending migration applied
/// (sqlx serialises concurrent runs with a lock, so instances may start together).
pub async fn connect_migrated(database_url: &str, max_connections: u32) -> Result<PgPool, String> {
    let db = signstash_store::connect(database_url, max_connections)
        .await
        .map_err(|e| format!("database: {e}"))?;
    signstash_store::MIGRATOR
        .run(&db)
        .await
        .map_err(|e| format!("migrations: {e}"))?;
    Ok(db)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use axum::routing::get;

    #[tokio::test]
    async fn a_bound_server_knows_its_port_and_finishes_when_told() {
        let router = Router::new().route("/", get(|| async { "ok" }));
        let server = Server::bind("127.0.0.1:0".parse().unwrap(), router)
            .await
            .unwrap();
        let port = server.port();
        assert_ne!(port, 0);
        assert_eq!(server.local_addr().unwrap().port(), port);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let serving = tokio::spawn(server.run_until(async {
            let _ = stopped.await;
        }));
        let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .unwrap();
        use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
        stream
            .write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .await
            .unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).await.unwrap();
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        assert!(answer.ends_with("ok"), "{answer}");
        stop.send(()).unwrap();
        serving.await.unwrap().unwrap();
    }

    #[tokio::test]
    async fn an_address_in_use_is_named() {
        let taken = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = taken.local_addr().unwrap();
        let Err(e) = Server::bind(addr, Router::new()).await else {
            panic!("bound a taken address");
        };
        assert!(e.starts_with(&format!("cannot listen on {addr}")), "{e}");
    }
}
