//! For tests that make a fault happen: stores that fail on cue.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::store::{BoxFuture, Item, Key, Query, StoreError, Table, WriteOp};

/// A table whose next transaction fails as if the store were out of reach:
/// a crash or timeout of a commit after its side effects elsewhere (a
/// synchronous call) already happened. Reads and later transactions go
/// through.
pub struct FailNextTransaction {
    inner: Arc<dyn Table>,
    armed: AtomicBool,
}

impl FailNextTransaction {
    pub fn new(inner: Arc<dyn Table>) -> Self {
        Self { inner, armed: AtomicBool::new(true) }
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
        if self.armed.swap(false, Ordering::SeqCst) {
            return Box::pin(std::future::ready(Err(StoreError::Unavailable("the commit was lost".into()))));
        }
        self.inner.transact(ops)
    }
}
