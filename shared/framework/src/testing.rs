//! For tests that make a fault happen: stores that fail on cue.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::store::{BoxFuture, Item, Key, Query, StoreError, Table, WriteOp};

/// A table whose next transaction fails as if the store were out of reach:
/// a crash or timeout of a commit after its side effects elsewhere (a
/// synchronous call) already happened. Reads and later transactions go
/// through.
pub struct FailNextTransaction {
    inner: Arc<dyn Table>,
    /// Transactions to let through before the one that fails.
    before: AtomicUsize,
}

impl FailNextTransaction {
    pub fn new(inner: Arc<dyn Table>) -> Self {
        Self::after(inner, 0)
    }

    /// Lets `passing` transactions through, then fails one.
    pub fn after(inner: Arc<dyn Table>, passing: usize) -> Self {
        Self { inner, before: AtomicUsize::new(passing + 1) }
    }
}

impl Table for FailNextTransaction {
    fn get<'a>(&'a self, key: &'a Key) -> BoxFuture<'a, Result<Option<Item>, StoreError>> {
        self.inner.get(key)
    }

    fn query<'a>(&'a self, query: &'a Query) -> BoxFuture<'a, Result<Vec<Item>, StoreError>> {
        self.inner.query(query)
    }

    fn transact(&self, ops: Vec<WriteOp>) -> BoxFuture<'_, Result<(), StoreError>> {
        let left = self.before.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).unwrap_or(0);
        if left == 1 {
            return Box::pin(std::future::ready(Err(StoreError::Unavailable("the commit was lost".into()))));
        }
        self.inner.transact(ops)
    }
}
