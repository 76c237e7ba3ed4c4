//! The failure counters every service shares: counting after the work (the portal) and
//! admitting before it (the token endpoint), under concurrency and across windows.
#![cfg(signstash_db_tests)]
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use signstash_store::rate_limits::{self, Admission, Admitted, Limit};
use sqlx::PgPool;

const WINDOW: time::Duration = time::Duration::minutes(15);

fn limits(pair: i32, address: i32) -> Vec<Limit> {
    vec![
        Limit {
            scope: "token:192.0.2.1:demo".into(),
            max: pair,
        },
        Limit {
            scope: "token:192.0.2.1".into(),
            max: address,
        },
    ]
}

async fn admitted(pool: &PgPool, limits: &[Limit], window: time::Duration) -> Admitted {
    match rate_limits::admit(pool, limits, window).await.unwrap() {
        Admission::Admitted(a) => a,
        Admission::Refused { retry_after } => panic!("refused, retry after {retry_after:?}"),
    }
}

async fn refused(pool: &PgPool, limits: &[Limit], window: time::Duration) -> Duration {
    match rate_limits::admit(pool, limits, window).await.unwrap() {
        Admission::Admitted(a) => panic!("admitted under {:?}", a.scopes()),
        Admission::Refused { retry_after } => retry_after,
    }
}

async fn row(pool: &PgPool, scope: &str) -> (i32, i32) {
    sqlx::query_as("SELECT failures, in_flight FROM rate_limits WHERE scope = $1")
        .bind(scope)
        .fetch_one(pool)
        .await
        .unwrap()
}

#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn counting_after_the_work_starts_a_new_window_when_the_last_is_over(pool: PgPool) {
    let second = time::Duration::seconds(1);
    assert_eq!(
        rate_limits::count(&pool, "link:192.0.2.1", WINDOW)
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        rate_limits::record(&pool, "link:192.0.2.1", WINDOW)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        rate_limits::record(&pool, "link:192.0.2.1", WINDOW)
            .await
            .unwrap(),
        2
    );
    assert_eq!(
        rate_limits::count(&pool, "link:192.0.2.1", WINDOW)
            .await
            .unwrap(),
        2
    );
    assert_eq!(
        rate_limits::count(&pool, "link:192.0.2.2", WINDOW)
            .await
            .unwrap(),
        0
    );
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(
        rate_limits::count(&pool, "link:192.0.2.1", second)
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        rate_limits::record(&pool, "link:192.0.2.1", second)
            .await
            .unwrap(),
        1
    );
}

#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn failures_fill_a_counter_until_its_window_ends(pool: PgPool) {
    let limits = limits(3, 100);
    for _ in 0..3 {
        admitted(&pool, &limits, WINDOW)
            .await
            .finish(&pool, true)
            .await
            .unwrap();
    }
    assert_eq!(row(&pool, "token:192.0.2.1:demo").await, (3, 0));
    assert_eq!(row(&pool, "token:192.0.2.1").await, (3, 0));
    let wait = refused(&pool, &limits, WINDOW).await;
    assert!(
        wait > Duration::from_secs(14 * 60) && wait <= Duration::from_secs(15 * 60),
        "{wait:?}"
    );
    // A refused try takes nothing: not from the counter that is full, nor from the others.
    assert_eq!(row(&pool, "token:192.0.2.1").await, (3, 0));
    // Another client id from the same address has its own counter.
    let other = [Limit {
        scope: "token:192.0.2.1:demo2".into(),
        max: 3,
    }];
    admitted(&pool, &other, WINDOW)
        .await
        .finish(&pool, false)
        .await
        .unwrap();
}

#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn successes_give_their_place_back_and_count_nothing(pool: PgPool) {
    let limits = limits(2, 100);
    for _ in 0..10 {
        admitted(&pool, &limits, WINDOW)
            .await
            .finish(&pool, false)
            .await
            .unwrap();
    }
    assert_eq!(row(&pool, "token:192.0.2.1:demo").await, (0, 0));
}

#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn tries_under_way_count_so_a_burst_cannot_outrun_the_limit(pool: PgPool) {
    let limits = limits(5, 100);
    let tries = (0..40).map(|_| {
        let pool = pool.clone();
        let limits = limits.clone();
        tokio::spawn(async move { rate_limits::admit(&pool, &limits, WINDOW).await.unwrap() })
    });
    let mut held = Vec::new();
    let mut waits = Vec::new();
    for t in tries {
        match t.await.unwrap() {
            Admission::Admitted(a) => held.push(a),
            Admission::Refused { retry_after } => waits.push(retry_after),
        }
    }
    assert_eq!(held.len(), 5);
    // Full of tries under way, not of failures: come back in a second.
    assert!(
        waits.iter().all(|w| *w == Duration::from_secs(1)),
        "{waits:?}"
    );
    assert_eq!(row(&pool, "token:192.0.2.1:demo").await, (0, 5));
    let mut held = held.into_iter();
    held.next().unwrap().finish(&pool, false).await.unwrap();
    admitted(&pool, &limits, WINDOW)
        .await
        .finish(&pool, true)
        .await
        .unwrap();
    for a in held {
        a.finish(&pool, true).await.unwrap();
    }
    assert_eq!(row(&pool, "token:192.0.2.1:demo").await, (5, 0));
    refused(&pool, &limits, WINDOW).await;
}

#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn the_loose_counter_refuses_every_client_id_of_its_scope(pool: PgPool) {
    for i in 0..3 {
        let limits = [
            Limit {
                scope: format!("token:192.0.2.1:guess{i}"),
                max: 10,
            },
            Limit {
                scope: "token:192.0.2.1".into(),
                max: 3,
            },
        ];
        admitted(&pool, &limits, WINDOW)
            .await
            .finish(&pool, true)
            .await
            .unwrap();
    }
    let wait = refused(&pool, &limits(10, 3), WINDOW).await;
    assert!(wait > Duration::from_secs(60), "{wait:?}");
    // The refusal left no counter behind for the client id it refused.
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM rate_limits WHERE scope = $1")
        .bind("token:192.0.2.1:demo")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(rows, 0);
}

#[sqlx::test(migrator = "signstash_store::MIGRATOR")]
async fn a_new_window_forgets_failures_and_tries_left_behind(pool: PgPool) {
    let window = time::Duration::seconds(1);
    let limits = limits(2, 100);
    admitted(&pool, &limits, window)
        .await
        .finish(&pool, true)
        .await
        .unwrap();
    // A try whose process died: never finished.
    drop(admitted(&pool, &limits, window).await);
    let wait = refused(&pool, &limits, window).await;
    assert_eq!(wait, Duration::from_secs(1));
    tokio::time::sleep(Duration::from_millis(1100)).await;
    admitted(&pool, &limits, window)
        .await
        .finish(&pool, true)
        .await
        .unwrap();
    assert_eq!(row(&pool, "token:192.0.2.1:demo").await, (1, 0));
}
