//! Failed client authentications at the token endpoint, throttled in the database (issue 12,
//! part 4), over HTTP against the real service: per client id and address tightly, per
//! address loosely, 429 `slow_down` with `Retry-After` before any argon2 work, shared by every
//! instance; a client service is never locked out from another address. Other addresses are
//! other loopback addresses (127.0.0.2, …), which Linux routes to the same listener.
#![allow(clippy::unwrap_used)]

use std::net::IpAddr;
use std::time::{Duration, Instant};

use integration_ws::config::TokenThrottle;
use serde_json::Value;
use sqlx::PgPool;

mod common;
use common::{Options, TestApp};

/// A client whose connections come from `address`.
fn from(address: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(address.parse::<IpAddr>().unwrap())
        .build()
        .unwrap()
}

struct Answer {
    status: u16,
    retry_after: Option<u64>,
    body: Value,
}

/// Asks `url`'s token endpoint for a token of `alias` with `secret`, by Basic auth.
async fn token_at(
    http: &reqwest::Client,
    url: &str,
    alias: &str,
    secret: &str,
    forwarded_for: Option<&str>,
) -> Answer {
    let mut request = http
        .post(format!("{url}/oauth/token"))
        .basic_auth(alias, Some(secret))
        .form(&[("grant_type", "client_credentials")]);
    if let Some(xff) = forwarded_for {
        request = request.header("x-forwarded-for", xff);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().parse().unwrap());
    let cache = response.headers().get("cache-control").cloned();
    let body: Value = response.json().await.unwrap();
    assert_eq!(cache.unwrap(), "no-store", "{body}");
    Answer {
        status,
        retry_after,
        body,
    }
}

impl TestApp {
    async fn token_from(&self, http: &reqwest::Client, alias: &str, secret: &str) -> Answer {
        token_at(http, &self.url, alias, secret, None).await
    }
}

fn assert_throttled(answer: &Answer, window: Duration) {
    assert_eq!(answer.status, 429, "{}", answer.body);
    assert_eq!(answer.body["error"], "slow_down", "{}", answer.body);
    let wait = answer.retry_after.expect("Retry-After");
    assert!(
        wait >= 1 && wait <= window.as_secs(),
        "Retry-After {wait} outside 1..={}",
        window.as_secs()
    );
}

const WINDOW: Duration = Duration::from_secs(15 * 60);

#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn wrong_secrets_for_one_client_from_one_address_are_throttled_there_only(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let attacker = from("127.0.0.1");
    let started = Instant::now();
    for _ in 0..10 {
        let a = app.token_from(&attacker, "demo", "guess").await;
        assert_eq!(a.status, 401, "{}", a.body);
        assert_eq!(a.body["error"], "invalid_client");
    }
    let checked = started.elapsed();

    // The eleventh try, and every one after it: 429 without checking, whatever the secret.
    let started = Instant::now();
    for _ in 0..10 {
        assert_throttled(&app.token_from(&attacker, "demo", "guess").await, WINDOW);
    }
    let throttled = started.elapsed();
    assert_throttled(
        &app.token_from(&attacker, "demo", "demo-secret").await,
        WINDOW,
    );
    // Refused before argon2: ten refusals take far less than ten checks of a secret.
    assert!(
        throttled * 2 < checked,
        "10 throttled tries took {throttled:?}, 10 checked ones {checked:?}"
    );

    // The client service itself, from its own address, is not locked out.
    let a = app
        .token_from(&from("127.0.0.2"), "demo", "demo-secret")
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    // Nor is another client service from the attacker's address (ten failures < 100).
    let a = app.token_from(&attacker, "demo2", "demo2-secret").await;
    assert_eq!(a.status, 200, "{}", a.body);

    // The refusals counted nothing more; the successes neither.
    let failures: Vec<(String, i32, i32)> = sqlx::query_as(
        "SELECT scope, failures, in_flight FROM rate_limits WHERE scope LIKE 'token:%' ORDER BY scope",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(
        failures,
        [
            ("token:127.0.0.1".to_owned(), 10, 0),
            ("token:127.0.0.1:demo".to_owned(), 10, 0),
            ("token:127.0.0.1:demo2".to_owned(), 0, 0),
            ("token:127.0.0.2".to_owned(), 0, 0),
            ("token:127.0.0.2:demo".to_owned(), 0, 0),
        ]
    );
}

#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn many_client_ids_from_one_address_meet_the_loose_limit(pool: PgPool) {
    let app = TestApp::spawn_with(
        pool,
        Options {
            token_throttle: TokenThrottle {
                per_address: 6,
                ..TokenThrottle::default()
            },
            ..Options::default()
        },
    )
    .await;
    let sprayer = from("127.0.0.3");
    for i in 0..6 {
        let a = app.token_from(&sprayer, &format!("guess{i}"), "x").await;
        assert_eq!(a.status, 401, "{}", a.body);
    }
    assert_throttled(&app.token_from(&sprayer, "guess6", "x").await, WINDOW);
    assert_throttled(
        &app.token_from(&sprayer, "demo", "demo-secret").await,
        WINDOW,
    );
    let a = app
        .token_from(&from("127.0.0.4"), "demo", "demo-secret")
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
}

#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn a_burst_of_parallel_wrong_secrets_gets_no_more_checks_than_the_limit(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let attacker = from("127.0.0.5");
    let tries = (0..40).map(|i| {
        let (http, url) = (attacker.clone(), app.url.clone());
        tokio::spawn(async move { token_at(&http, &url, "demo", &format!("guess{i}"), None).await })
    });
    let (mut checked, mut throttled) = (0, 0);
    for t in tries {
        let a = t.await.unwrap();
        match a.status {
            401 => checked += 1,
            429 => throttled += 1,
            other => panic!("{other}: {}", a.body),
        }
    }
    assert!((1..=10).contains(&checked), "{checked} checked");
    assert_eq!(checked + throttled, 40);
    let failures: i32 =
        sqlx::query_scalar("SELECT failures FROM rate_limits WHERE scope = 'token:127.0.0.5:demo'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(failures, checked);
}

#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn every_instance_counts_the_same_failures(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let other = app.another_instance().await;
    let attacker = from("127.0.0.6");
    for i in 0..10 {
        // Half of the tries on each instance.
        let url = if i % 2 == 0 { &app.url } else { &other };
        let a = token_at(&attacker, url, "demo", "guess", None).await;
        assert_eq!(a.status, 401, "{}", a.body);
    }
    for url in [&app.url, &other] {
        assert_throttled(
            &token_at(&attacker, url, "demo", "guess", None).await,
            WINDOW,
        );
    }
}

#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn x_forwarded_for_cannot_dodge_the_count_unless_the_proxy_is_trusted(pool: PgPool) {
    // Not trusted (the default): a header the client writes changes nothing.
    let app = TestApp::spawn(pool).await;
    let http = from("127.0.0.7");
    for i in 0..10 {
        let xff = format!("198.51.100.{i}");
        let a = token_at(&http, &app.url, "demo", "guess", Some(&xff)).await;
        assert_eq!(a.status, 401, "{}", a.body);
    }
    let a = token_at(&http, &app.url, "demo", "guess", Some("198.51.100.99")).await;
    assert_throttled(&a, WINDOW);
}

#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn behind_a_trusted_proxy_clients_are_counted_by_x_forwarded_for(pool: PgPool) {
    let app = TestApp::spawn_with(
        pool,
        Options {
            token_throttle: TokenThrottle {
                trust_forwarded_for: true,
                ..TokenThrottle::default()
            },
            ..Options::default()
        },
    )
    .await;
    // Every client comes through the proxy's one address.
    let proxy = from("127.0.0.8");
    let attacker = "203.0.113.66";
    for _ in 0..10 {
        let a = token_at(&proxy, &app.url, "demo", "guess", Some(attacker)).await;
        assert_eq!(a.status, 401, "{}", a.body);
    }
    let a = token_at(&proxy, &app.url, "demo", "guess", Some(attacker)).await;
    assert_throttled(&a, WINDOW);
    // The client service behind the same proxy, from its own address: a token.
    let a = token_at(
        &proxy,
        &app.url,
        "demo",
        "demo-secret",
        Some("192.0.2.10, 2001:db8:7:7::1"),
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let scopes: Vec<String> =
        sqlx::query_scalar("SELECT scope FROM rate_limits WHERE scope LIKE 'token:%' ORDER BY 1")
            .fetch_all(&app.pool)
            .await
            .unwrap();
    assert_eq!(
        scopes,
        [
            "token:2001:db8:7:7::/64",
            "token:2001:db8:7:7::/64:demo",
            "token:203.0.113.66",
            "token:203.0.113.66:demo",
        ]
    );
}

#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn client_ids_that_are_no_alias_share_one_count_and_never_fail_the_server(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let http = from("127.0.0.9");
    let long = "é".repeat(3000);
    let ids = [
        "nul\0inside",
        "é",
        "two words",
        "with:colon",
        "new\nline",
        long.as_str(),
        "tab\there",
        " ",
        "-leading",
        "\u{10ffff}",
    ];
    let form_token = |id: &str| {
        http.post(format!("{}/oauth/token", app.url)).form(&[
            ("grant_type", "client_credentials"),
            ("client_id", id),
            ("client_secret", "x"),
        ])
    };
    for id in ids {
        let r = form_token(id).send().await.unwrap();
        assert_eq!(r.status(), 401, "{id:?}: {}", r.text().await.unwrap());
    }
    let r = form_token("another\tone").send().await.unwrap();
    assert_eq!(r.status(), 429, "{}", r.text().await.unwrap());
    let a = app.token_from(&http, "demo", "demo-secret").await;
    assert_eq!(a.status, 200, "{}", a.body);
}
