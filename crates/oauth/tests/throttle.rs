//! The token endpoint's use of its [`ClientThrottle`]: asked before any lookup or argon2 work,
//! told the outcome of every try it admits (also when the caller hangs up), by the address
//! the request comes from. The database throttle itself is tested over HTTP in integration-ws.

mod common;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use axum::extract::connect_info::MockConnectInfo;
use axum::http::StatusCode;
use axum::Router;
use common::{basic, client, form_post, send, ISSUER};
use signstash_domain::AddressScope;
use signstash_oauth::{
    router, Admission, Attempt, ClientDirectory, ClientRecord, ClientThrottle, DirectoryError,
    InMemoryClientDirectory, KeyRing, OAuthState, SigningKey, TokenService,
};

/// What the throttle was asked and told.
#[derive(Default)]
struct Log {
    admitted: Mutex<Vec<(String, String)>>,
    finished: Mutex<Vec<bool>>,
}

struct FakeThrottle {
    log: Arc<Log>,
    /// `Some`: refuse every try with this wait.
    refuse: Option<Duration>,
    fail: bool,
}

struct FakeAttempt(Arc<Log>);

#[async_trait]
impl ClientThrottle for FakeThrottle {
    async fn admit(
        &self,
        client_id: &str,
        address: &AddressScope,
    ) -> Result<Admission, DirectoryError> {
        if self.fail {
            return Err("the database is gone".into());
        }
        self.log
            .admitted
            .lock()
            .expect("lock")
            .push((client_id.to_owned(), address.to_string()));
        Ok(match self.refuse {
            Some(retry_after) => Admission::Throttled { retry_after },
            None => Admission::Admitted(Box::new(FakeAttempt(self.log.clone()))),
        })
    }
}

#[async_trait]
impl Attempt for FakeAttempt {
    async fn finish(self: Box<Self>, failed: bool) -> Result<(), DirectoryError> {
        self.0.finished.lock().expect("lock").push(failed);
        Ok(())
    }
}

/// The demo directory, counting lookups and taking `delay` for each.
struct CountingDirectory {
    inner: InMemoryClientDirectory,
    lookups: AtomicUsize,
    delay: Duration,
}

#[async_trait]
impl ClientDirectory for CountingDirectory {
    async fn find_by_alias(&self, alias: &str) -> Result<Option<ClientRecord>, DirectoryError> {
        self.lookups.fetch_add(1, Ordering::SeqCst);
        tokio::time::sleep(self.delay).await;
        self.inner.find_by_alias(alias).await
    }
}

struct Server {
    app: Router,
    log: Arc<Log>,
    directory: Arc<CountingDirectory>,
}

fn server(refuse: Option<Duration>, fail: bool, trust_forwarded_for: bool) -> Server {
    server_with_delay(refuse, fail, trust_forwarded_for, Duration::ZERO)
}

fn server_with_delay(
    refuse: Option<Duration>,
    fail: bool,
    trust_forwarded_for: bool,
    delay: Duration,
) -> Server {
    let inner = InMemoryClientDirectory::new();
    inner.insert(client(1, "demo", "demo-secret", true));
    inner.insert(client(3, "sleeping", "sleeping-secret", false));
    let directory = Arc::new(CountingDirectory {
        inner,
        lookups: AtomicUsize::new(0),
        delay,
    });
    let log = Arc::new(Log::default());
    let tokens = TokenService::new(
        KeyRing::new(SigningKey::generate_es256().expect("key")),
        ISSUER,
    );
    let mut state =
        OAuthState::new(tokens, directory.clone()).with_throttle(Arc::new(FakeThrottle {
            log: log.clone(),
            refuse,
            fail,
        }));
    state.trust_forwarded_for = trust_forwarded_for;
    let app = router()
        .with_state(state)
        .layer(MockConnectInfo(SocketAddr::from(([192, 0, 2, 7], 40000))));
    Server {
        app,
        log,
        directory,
    }
}

fn demo(secret: &str) -> axum::http::Request<axum::body::Body> {
    form_post(
        "/oauth/token",
        Some(&basic("demo", secret)),
        "grant_type=client_credentials",
    )
}

#[tokio::test]
async fn a_throttled_try_is_429_slow_down_before_any_lookup_or_argon2() {
    let s = server(Some(Duration::from_secs(42)), false, false);
    // The right secret too: a throttled try is not checked at all.
    for secret in ["nope", "demo-secret"] {
        let reply = send(&s.app, demo(secret)).await;
        assert_eq!(
            reply.status,
            StatusCode::TOO_MANY_REQUESTS,
            "{}",
            reply.text
        );
        assert_eq!(reply.headers["retry-after"], "42");
        assert_eq!(reply.headers["cache-control"], "no-store");
        assert_eq!(reply.body["error"], "slow_down");
        insta::assert_json_snapshot!("slow_down", reply.body);
    }
    assert_eq!(s.directory.lookups.load(Ordering::SeqCst), 0);
    assert!(s.log.finished.lock().expect("lock").is_empty());
}

#[tokio::test]
async fn admitted_tries_are_finished_with_their_outcome() {
    let s = server(None, false, false);
    assert_eq!(send(&s.app, demo("nope")).await.status, 401);
    assert_eq!(send(&s.app, demo("demo-secret")).await.status, 200);
    let ghost = form_post(
        "/oauth/token",
        None,
        "grant_type=client_credentials&client_id=ghost&client_secret=x",
    );
    assert_eq!(send(&s.app, ghost).await.status, 401);
    // The right secret of an inactive client service is no failure of the secret.
    let sleeping = form_post(
        "/oauth/token",
        Some(&basic("sleeping", "sleeping-secret")),
        "grant_type=client_credentials",
    );
    assert_eq!(send(&s.app, sleeping).await.status, 401);
    // Requests that fail before any credentials are read are not tries.
    let no_grant = form_post("/oauth/token", Some(&basic("demo", "nope")), "");
    assert_eq!(send(&s.app, no_grant).await.status, 400);

    assert_eq!(
        *s.log.admitted.lock().expect("lock"),
        [
            ("demo".to_owned(), "192.0.2.7".to_owned()),
            ("demo".to_owned(), "192.0.2.7".to_owned()),
            ("ghost".to_owned(), "192.0.2.7".to_owned()),
            ("sleeping".to_owned(), "192.0.2.7".to_owned()),
        ]
    );
    assert_eq!(
        *s.log.finished.lock().expect("lock"),
        [true, false, true, false]
    );
}

#[tokio::test]
async fn x_forwarded_for_names_the_address_only_when_trusted() {
    let with_xff = || {
        let mut request = demo("nope");
        request.headers_mut().insert(
            "x-forwarded-for",
            "203.0.113.1, 2001:db8:1:2::99".parse().expect("header"),
        );
        request
    };
    let untrusted = server(None, false, false);
    send(&untrusted.app, with_xff()).await;
    let trusted = server(None, false, true);
    send(&trusted.app, with_xff()).await;
    assert_eq!(
        untrusted.log.admitted.lock().expect("lock")[0].1,
        "192.0.2.7"
    );
    assert_eq!(
        trusted.log.admitted.lock().expect("lock")[0].1,
        "2001:db8:1:2::/64"
    );
}

#[tokio::test]
async fn a_try_is_counted_even_when_the_caller_hangs_up() {
    let s = server_with_delay(None, false, false, Duration::from_millis(300));
    let hung_up = tokio::time::timeout(Duration::from_millis(50), send(&s.app, demo("nope"))).await;
    assert!(
        hung_up.is_err(),
        "the request should still have been running"
    );
    assert!(s.log.finished.lock().expect("lock").is_empty());
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while s.log.finished.lock().expect("lock").is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "the try was never finished"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(*s.log.finished.lock().expect("lock"), [true]);
}

#[tokio::test]
async fn a_throttle_that_cannot_answer_issues_no_token() {
    let s = server(None, true, false);
    let reply = send(&s.app, demo("demo-secret")).await;
    assert_eq!(
        reply.status,
        StatusCode::INTERNAL_SERVER_ERROR,
        "{}",
        reply.text
    );
    assert_eq!(reply.body["error"], "server_error");
    assert_eq!(s.directory.lookups.load(Ordering::SeqCst), 0);
}
