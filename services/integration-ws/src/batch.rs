//! Group writes: the statements every sign request runs (create the operation, record its end)
//! are gathered from the requests in flight and written together, one statement per batch.
//!
//! A request hands its write to a [`Batcher`] and awaits the answer. A worker takes the first
//! write waiting and every other one already queued (never waiting for more: a lone request is
//! written at once), runs the batch as one statement and answers each. When a batch fails, its
//! writes are retried one by one, so a failure (a reused external reference) is answered to its
//! own request only, with the same error as without batching — unless the database could not
//! be reached at all, which every request of the batch is told at once. What each write means is
//! unchanged: one statement is atomic, and nothing is answered before it is written.

use std::sync::Arc;

use async_trait::async_trait;
use signstash_store::StoreError;
use sqlx::PgPool;
use tokio::sync::{mpsc, oneshot, Mutex};

/// One kind of write that can be run for many requests in one statement.
#[async_trait]
pub trait BatchWrite: Send + Sync + 'static {
    type Request: Send + Sync + 'static;
    type Response: Send + 'static;

    /// Writes all of `requests` or none; answers in their order.
    async fn write(
        &self,
        db: &PgPool,
        requests: &[Self::Request],
    ) -> Result<Vec<Self::Response>, StoreError>;
}

type Job<W> = (
    <W as BatchWrite>::Request,
    oneshot::Sender<Result<<W as BatchWrite>::Response, StoreError>>,
);

/// Gathers writes of one kind. Cheap to clone.
pub struct Batcher<W: BatchWrite> {
    queue: mpsc::Sender<Job<W>>,
}

impl<W: BatchWrite> Clone for Batcher<W> {
    fn clone(&self) -> Self {
        Self {
            queue: self.queue.clone(),
        }
    }
}

impl<W: BatchWrite> std::fmt::Debug for Batcher<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Batcher").finish_non_exhaustive()
    }
}

/// Most writes in one statement.
const MAX_BATCH: usize = 64;

impl<W: BatchWrite> Batcher<W> {
    /// Starts `workers` tasks writing through `db` (two let one batch be written while the
    /// next gathers). They stop when the last `Batcher` clone is dropped.
    pub fn spawn(write: W, db: PgPool, workers: usize) -> Self {
        let (queue, receiver) = mpsc::channel::<Job<W>>(MAX_BATCH * 16);
        let receiver = Arc::new(Mutex::new(receiver));
        let write = Arc::new(write);
        for _ in 0..workers.max(1) {
            tokio::spawn(work(write.clone(), db.clone(), receiver.clone()));
        }
        Self { queue }
    }

    /// Writes `request` with whatever else is waiting; its own answer.
    pub async fn write(&self, request: W::Request) -> Result<W::Response, StoreError> {
        let (answer, answered) = oneshot::channel();
        self.queue
            .send((request, answer))
            .await
            .map_err(|_| StoreError::Config("the batch writer has stopped".into()))?;
        answered
            .await
            .map_err(|_| StoreError::Config("the batch writer dropped a write".into()))?
    }
}

async fn work<W: BatchWrite>(
    write: Arc<W>,
    db: PgPool,
    receiver: Arc<Mutex<mpsc::Receiver<Job<W>>>>,
) {
    loop {
        let mut jobs = Vec::new();
        {
            let mut receiver = receiver.lock().await;
            match receiver.recv().await {
                Some(job) => jobs.push(job),
                None => return,
            }
            while jobs.len() < MAX_BATCH {
                match receiver.try_recv() {
                    Ok(job) => jobs.push(job),
                    Err(_) => break,
                }
            }
        }
        let (requests, answers): (Vec<_>, Vec<_>) = jobs.into_iter().unzip();
        match write.write(&db, &requests).await {
            Ok(responses) if responses.len() == requests.len() => {
                for (answer, response) in answers.into_iter().zip(responses) {
                    // The request may have gone (client disconnected): nothing to tell.
                    let _ = answer.send(Ok(response));
                }
            }
            Ok(_) => {
                for answer in answers {
                    let _ = answer.send(Err(StoreError::Config(
                        "a batch write answered the wrong number of rows".into(),
                    )));
                }
            }
            Err(e) if requests.len() == 1 => {
                if let Some(answer) = answers.into_iter().next() {
                    let _ = answer.send(Err(e));
                }
            }
            Err(e) if unreachable_database(&e) => {
                // Retrying each alone would make the last one wait for every timeout before it.
                tracing::error!(error = %e, size = requests.len(), "a batch could not reach the database");
                for answer in answers {
                    let _ = answer.send(Err(StoreError::Config(format!(
                        "the database could not be reached: {e}"
                    ))));
                }
            }
            Err(_) => {
                // Nothing of the batch was written: each alone, for its own answer.
                for (request, answer) in requests.iter().zip(answers) {
                    let result = write
                        .write(&db, std::slice::from_ref(request))
                        .await
                        .and_then(|mut r| {
                            r.pop()
                                .ok_or_else(|| StoreError::Config("a write answered no row".into()))
                        });
                    let _ = answer.send(result);
                }
            }
        }
    }
}

/// The database or the pool failed, not one request's data: every request of the batch would
/// fail the same way.
fn unreachable_database(e: &StoreError) -> bool {
    use sqlx::Error as E;
    matches!(
        e,
        StoreError::Database(
            E::Io(_)
                | E::Tls(_)
                | E::Protocol(_)
                | E::PoolTimedOut
                | E::PoolClosed
                | E::WorkerCrashed
        )
    )
}

/// Creates operations (with documents and deliveries): `operations::create_many`.
pub struct CreateOperations;

#[async_trait]
impl BatchWrite for CreateOperations {
    type Request = signstash_store::operations::NewOperation;
    type Response = signstash_store::operations::CreatedOperation;

    async fn write(
        &self,
        db: &PgPool,
        requests: &[Self::Request],
    ) -> Result<Vec<Self::Response>, StoreError> {
        signstash_store::operations::create_many(db, requests).await
    }
}

/// Records the end of operations: `operations::finish_many`.
pub struct FinishOperations;

#[async_trait]
impl BatchWrite for FinishOperations {
    type Request = signstash_store::operations::Finished;
    type Response = Vec<signstash_store::documents::Document>;

    async fn write(
        &self,
        db: &PgPool,
        requests: &[Self::Request],
    ) -> Result<Vec<Self::Response>, StoreError> {
        signstash_store::operations::finish_many(db, requests).await
    }
}

/// The batched writes of the signing path.
#[derive(Clone, Debug)]
pub struct Writes {
    pub create: Batcher<CreateOperations>,
    pub finish: Batcher<FinishOperations>,
}

impl Writes {
    /// Two writers of each kind, each kind on its own two connections to `db`'s server.
    ///
    /// The finishing statement joins its arrays to `operations` and `documents` by id. Left to
    /// itself, PostgreSQL caches a plan made while those tables were small (a fresh deployment)
    /// and goes on hashing the whole table long after it grew; planning it afresh each time
    /// avoids that but costs more than running it when a batch is small. So the finishing
    /// connections allow neither sequential scans nor hash or merge joins: the one plan they
    /// cache looks each row up by its primary key, whatever the tables' size. Inserting needs
    /// no such care (its joins are between its own rows).
    pub fn spawn(db: &PgPool) -> Self {
        let pool = |options: sqlx::postgres::PgConnectOptions| {
            sqlx::postgres::PgPoolOptions::new()
                .max_connections(2)
                .test_before_acquire(false)
                .acquire_timeout(std::time::Duration::from_secs(5))
                .connect_lazy_with(options)
        };
        let options = (*db.connect_options()).clone();
        let planned = options.clone().options([
            ("plan_cache_mode", "force_generic_plan"),
            ("enable_seqscan", "off"),
            ("enable_hashjoin", "off"),
            ("enable_mergejoin", "off"),
        ]);
        Self {
            create: Batcher::spawn(CreateOperations, pool(options), 2),
            finish: Batcher::spawn(FinishOperations, pool(planned), 2),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::sync::Mutex as StdMutex;

    /// Fails every batch of more than one with `batch_error`; alone, odd numbers are taken.
    struct Fake {
        batch_error: fn() -> StoreError,
        calls: StdMutex<Vec<Vec<u32>>>,
    }

    #[async_trait]
    impl BatchWrite for Arc<Fake> {
        type Request = u32;
        type Response = u32;

        async fn write(&self, _: &PgPool, requests: &[u32]) -> Result<Vec<u32>, StoreError> {
            self.calls.lock().unwrap().push(requests.to_vec());
            match requests {
                [n] if n % 2 == 1 => Err(StoreError::Duplicate(
                    signstash_store::DuplicateKind::OperationReference,
                )),
                [n] => Ok(vec![n * 10]),
                _ => Err((self.batch_error)()),
            }
        }
    }

    async fn run_four(
        batch_error: fn() -> StoreError,
    ) -> (Vec<Result<u32, String>>, Vec<Vec<u32>>) {
        let fake = Arc::new(Fake {
            batch_error,
            calls: StdMutex::new(Vec::new()),
        });
        // Never connects: the fake does not use it.
        let db = sqlx::postgres::PgPoolOptions::new()
            .connect_lazy("postgres://nobody@127.0.0.1:1/none")
            .unwrap();
        let batcher = Batcher::spawn(fake.clone(), db, 1);
        // All four are queued before the worker first runs (one thread): one batch of four.
        let answers = futures::future::join_all((1..=4).map(|n| batcher.write(n))).await;
        let answers = answers
            .into_iter()
            .map(|r| r.map_err(|e| e.to_string()))
            .collect();
        let calls = fake.calls.lock().unwrap().clone();
        (answers, calls)
    }

    #[tokio::test]
    async fn a_failed_batch_is_retried_alone_so_each_gets_its_own_answer() {
        let (answers, calls) =
            run_four(|| StoreError::Duplicate(signstash_store::DuplicateKind::OperationReference))
                .await;
        assert_eq!(
            calls,
            vec![vec![1, 2, 3, 4], vec![1], vec![2], vec![3], vec![4]]
        );
        assert!(answers[0]
            .as_ref()
            .is_err_and(|e| e.contains("already exists")));
        assert_eq!(answers[1], Ok(20));
        assert!(answers[2].is_err());
        assert_eq!(answers[3], Ok(40));
    }

    #[tokio::test]
    async fn an_unreachable_database_fails_the_batch_at_once() {
        let (answers, calls) = run_four(|| StoreError::Database(sqlx::Error::PoolTimedOut)).await;
        assert_eq!(calls, vec![vec![1, 2, 3, 4]]);
        assert!(answers.iter().all(|a| a
            .as_ref()
            .is_err_and(|e| e.contains("could not be reached"))));
    }
}
