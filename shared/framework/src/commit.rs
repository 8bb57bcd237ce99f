//! The unit of work: new state, outbox events and the inbox record of the
//! consumed event, written in one transaction.
//!
//! Keys in a context table:
//! - aggregate state: `pk = <Type>#<id>`, `sk = STATE`
//! - outbox: `pk = OUTBOX#<eventId>`, `sk = EVENT` (the stream relays these;
//!   the relay deletes them once published; indexed under `OutboxShard#<n>` /
//!   `<occurredAt>#<eventId>` so the sweeper finds any the stream missed)
//! - inbox: `pk = INBOX#<consumer>#<eventId>`, `sk = INBOX` (created only once)

use serde_json::Value;

use crate::aggregate::Aggregate;
use crate::envelope::{Envelope, EnvelopeError, Origin};
use crate::store::{Condition, Item, Key, StoreError, Table, WriteOp};

pub const STATE_SK: &str = "STATE";
pub const OUTBOX_PREFIX: &str = "OUTBOX#";
const OUTBOX_SK: &str = "EVENT";
/// Outbox items have no expiry: the relay deletes them once published, and
/// one the stream never handed over (a relay broken longer than the
/// stream's 24 h) stays until the sweeper publishes it.
pub const OUTBOX_SHARDS: u32 = 8;
/// Inbox records outlive SQS's longest retention (14 days), so any
/// redelivery still finds them.
const INBOX_TTL_SECS: u64 = 15 * 24 * 3600;

pub fn state_key<A: Aggregate>(id: &str) -> Key {
    Key::new(format!("{}#{id}", A::TYPE), STATE_SK)
}

pub fn outbox_key(event_id: &str) -> Key {
    Key::new(format!("{OUTBOX_PREFIX}{event_id}"), OUTBOX_SK)
}

/// Where the sweeper looks for an outbox item: one of [`OUTBOX_SHARDS`]
/// index partitions (spread so no index partition takes every write),
/// sorted by the time the event was raised.
pub fn outbox_index(envelope: &Envelope) -> Key {
    let shard = envelope.event_id.bytes().fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(b as u32)) % OUTBOX_SHARDS;
    Key::new(outbox_shard(shard), format!("{}#{}", envelope.occurred_at, envelope.event_id))
}

/// The sweeper's index partitions, [`outbox_shard`], all start with this.
pub const OUTBOX_INDEX_PREFIX: &str = "OutboxShard#";

pub fn outbox_shard(shard: u32) -> String {
    format!("{OUTBOX_INDEX_PREFIX}{shard}")
}

pub fn inbox_key(consumer: &str, event_id: &str) -> Key {
    Key::new(format!("INBOX#{consumer}#{event_id}"), "INBOX")
}

/// An aggregate as read from its table: version 0 means not stored yet.
#[derive(Debug)]
pub struct Loaded<A> {
    pub id: String,
    pub state: A,
    pub version: u64,
}

impl<A: Aggregate> Loaded<A> {
    pub fn exists(&self) -> bool {
        self.version > 0
    }
}

pub async fn load<A: Aggregate>(table: &dyn Table, id: &str) -> Result<Loaded<A>, StoreError> {
    let Some(item) = table.get(&state_key::<A>(id)).await? else {
        return Ok(Loaded { id: id.to_owned(), state: A::default(), version: 0 });
    };
    let state = serde_json::from_value(item.body)
        .map_err(|e| StoreError::Invalid(format!("stored {} {id} is unreadable: {e}", A::TYPE)))?;
    Ok(Loaded { id: id.to_owned(), state, version: item.version })
}

/// Where a write in the commit came from, to tell a duplicate from a race.
#[derive(Debug, Clone, PartialEq)]
enum Role {
    State,
    /// The inbox record of the consumed event (its id).
    Inbox(String),
    /// A create-only item that stands for a resource (a car on a day), or
    /// one that must stay absent: failing, it names its key.
    Claim(Key),
    Other,
}

#[derive(Debug, thiserror::Error)]
pub enum CommitError {
    /// The consumed event was already recorded in the inbox: a redelivery.
    #[error("event already consumed")]
    Duplicate,
    /// Someone wrote the same state since it was loaded: load again and retry.
    #[error("state changed since it was loaded")]
    Stale,
    /// A claim of the commit is held already, or an item it needs absent
    /// is there: the key says which. Not a race to retry: an answer.
    #[error("{} / {} is held", .0.pk, .0.sk)]
    Held(Key),
    #[error(transparent)]
    Store(StoreError),
    #[error(transparent)]
    Envelope(#[from] EnvelopeError),
}

#[derive(Default)]
pub struct Commit {
    ops: Vec<WriteOp>,
    roles: Vec<Role>,
    events: Vec<Envelope>,
}

impl Commit {
    pub fn new() -> Self {
        Self::default()
    }

    /// Applies `events` to the aggregate, and records its new state (one
    /// version step per commit) and, for the outbox, the events it does not
    /// keep to itself ([`Aggregate::RECORDED`]).
    pub fn aggregate<A: Aggregate>(
        &mut self,
        loaded: &mut Loaded<A>,
        events: &[A::Event],
        origin: &Origin,
    ) -> Result<(), CommitError> {
        for event in events {
            let envelope = Envelope::wrap(event, origin, loaded.version + 1)?;
            if !A::RECORDED.contains(&envelope.event_type.as_str()) {
                self.emit(envelope);
            }
        }
        self.save(loaded, events)
    }

    /// Applies `events` to the aggregate and records its new state, without
    /// publishing them (they belong to another aggregate of the same commit).
    pub fn save<A: Aggregate>(&mut self, loaded: &mut Loaded<A>, events: &[A::Event]) -> Result<(), CommitError> {
        let loaded_at = loaded.version;
        let version = loaded_at + 1;
        for event in events {
            loaded.state.apply(event);
        }
        let body = serde_json::to_value(&loaded.state)
            .map_err(|e| CommitError::Envelope(EnvelopeError::NotAnEvent(e.to_string())))?;
        let mut item = Item::new(state_key::<A>(&loaded.id), version, body);
        item.index = loaded.state.listed_under();
        self.push(WriteOp::Put { item, condition: Condition::loaded_at(loaded_at) }, Role::State);
        loaded.version = version;
        Ok(())
    }

    /// Adds an event to the outbox.
    pub fn emit(&mut self, envelope: Envelope) {
        let body = serde_json::to_value(&envelope).expect("an envelope always serializes");
        let mut item = Item::new(outbox_key(&envelope.event_id), 1, body);
        item.index = Some(outbox_index(&envelope));
        self.push(WriteOp::Put { item, condition: Condition::NotExists }, Role::Other);
        self.events.push(envelope);
    }

    /// Writes an item that is not an aggregate (a read-model row, a record).
    /// A failed condition reads as [`CommitError::Stale`]: load and retry.
    pub fn put(&mut self, item: Item, condition: Condition) {
        self.push(WriteOp::Put { item, condition }, Role::State);
    }

    /// Claims a resource by creating its item (`item.key`): fails the commit
    /// with [`CommitError::Held`] when someone holds it already.
    pub fn claim(&mut self, item: Item) {
        let key = item.key.clone();
        self.push(WriteOp::Put { item, condition: Condition::NotExists }, Role::Claim(key));
    }

    /// Gives a claimed resource back (deletes its item).
    pub fn release(&mut self, key: Key) {
        self.push(WriteOp::Delete { key, condition: Condition::Always }, Role::Other);
    }

    /// Requires `key` to be absent when the commit lands ([`CommitError::Held`]
    /// otherwise), e.g. the mark of a deleted car.
    pub fn absent(&mut self, key: Key) {
        self.push(WriteOp::Check { key: key.clone(), condition: Condition::NotExists }, Role::Claim(key));
    }

    /// Records that `consumer` has handled `event_id`; a second commit with
    /// the same record fails as [`CommitError::Duplicate`] and writes nothing.
    pub fn consumed(&mut self, consumer: &str, event_id: &str) {
        let mut item = Item::new(inbox_key(consumer, event_id), 1, Value::Null);
        item.expires_at = Some(crate::now_secs() + INBOX_TTL_SECS);
        self.push(WriteOp::Put { item, condition: Condition::NotExists }, Role::Inbox(event_id.to_owned()));
    }

    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }

    pub fn events(&self) -> &[Envelope] {
        &self.events
    }

    fn push(&mut self, op: WriteOp, role: Role) {
        self.ops.push(op);
        self.roles.push(role);
    }

    /// One transaction. Returns the events that went to the outbox.
    pub async fn submit(self, table: &dyn Table) -> Result<Vec<Envelope>, CommitError> {
        if self.ops.is_empty() {
            return Ok(Vec::new());
        }
        match table.transact(self.ops).await {
            Ok(()) => {
                crate::witness::committed(&self.events);
                Ok(self.events)
            }
            Err(StoreError::ConditionFailed { index }) => match self.roles.get(index) {
                Some(Role::Inbox(event_id)) => {
                    crate::witness::absorbed(event_id);
                    Err(CommitError::Duplicate)
                }
                Some(Role::State) => Err(CommitError::Stale),
                Some(Role::Claim(key)) => Err(CommitError::Held(key.clone())),
                _ => Err(CommitError::Store(StoreError::ConditionFailed { index })),
            },
            Err(StoreError::Conflict) => Err(CommitError::Stale),
            Err(e) => Err(CommitError::Store(e)),
        }
    }
}

/// How many times a command is decided again after losing a race.
const ATTEMPTS: usize = 8;

/// Waits before attempt `attempt` (1-based) after a lost race: full jitter
/// over an exponential window (2 ms, 4 ms, … capped at 100 ms), so writers
/// contending for one hot item (a popular book's stock) spread out instead
/// of colliding again in lockstep and using up the message's receives.
async fn back_off(attempt: usize) {
    let window_ms = (2u64 << attempt.min(6)).min(100);
    let jitter = (uuid::Uuid::now_v7().as_u128() as u64) % (window_ms * 1000 + 1);
    tokio::time::sleep(std::time::Duration::from_micros(jitter)).await;
}

#[derive(Debug, thiserror::Error)]
pub enum ExecuteError<E: std::error::Error + 'static> {
    /// The aggregate refused the command: a business answer, not a fault.
    #[error(transparent)]
    Refused(E),
    #[error("gave up after {ATTEMPTS} concurrent updates")]
    Contended,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Envelope(#[from] EnvelopeError),
}

/// What [`execute`] did.
#[derive(Debug)]
pub struct Executed<A: Aggregate> {
    pub aggregate: Loaded<A>,
    pub events: Vec<Envelope>,
    /// The consumed event had already been handled: nothing was written.
    pub duplicate: bool,
}

/// The inbox record of the event a policy is reacting to.
#[derive(Debug, Clone, Copy)]
pub struct Inbox<'a> {
    pub consumer: &'a str,
    pub event_id: &'a str,
}

/// Loads one aggregate, decides, and commits state + outbox (+ inbox) in one
/// transaction, deciding again on a lost race. A decision that raises no
/// event writes nothing.
pub async fn execute<A, F>(
    table: &dyn Table,
    id: &str,
    origin: &Origin,
    inbox: Option<Inbox<'_>>,
    command: F,
) -> Result<Executed<A>, ExecuteError<A::Error>>
where
    A: Aggregate,
    F: Fn(&Loaded<A>) -> A::Command,
{
    decide(table, id, Some(origin), inbox, command).await
}

/// As [`execute`], for a change that is the context's own business: the
/// new state (and inbox record) are written, the events are not published.
/// (A mission noting its reward id: the world already heard `RewardAllocated`.)
pub async fn record<A, F>(
    table: &dyn Table,
    id: &str,
    inbox: Option<Inbox<'_>>,
    command: F,
) -> Result<Executed<A>, ExecuteError<A::Error>>
where
    A: Aggregate,
    F: Fn(&Loaded<A>) -> A::Command,
{
    decide(table, id, None, inbox, command).await
}

async fn decide<A, F>(
    table: &dyn Table,
    id: &str,
    origin: Option<&Origin>,
    inbox: Option<Inbox<'_>>,
    command: F,
) -> Result<Executed<A>, ExecuteError<A::Error>>
where
    A: Aggregate,
    F: Fn(&Loaded<A>) -> A::Command,
{
    for attempt in 0..ATTEMPTS {
        if attempt > 0 {
            back_off(attempt).await;
        }
        let mut loaded = load::<A>(table, id).await?;
        let events = loaded.state.handle(command(&loaded)).map_err(ExecuteError::Refused)?;
        if events.is_empty() {
            return Ok(Executed { aggregate: loaded, events: Vec::new(), duplicate: false });
        }
        let mut commit = Commit::new();
        let staged = match origin {
            Some(origin) => commit.aggregate(&mut loaded, &events, origin),
            None => commit.save(&mut loaded, &events),
        };
        staged.map_err(|e| match e {
            CommitError::Envelope(e) => ExecuteError::Envelope(e),
            other => ExecuteError::Store(StoreError::Invalid(other.to_string())),
        })?;
        if let Some(inbox) = inbox {
            commit.consumed(inbox.consumer, inbox.event_id);
        }
        match commit.submit(table).await {
            Ok(events) => {
                return Ok(Executed { aggregate: loaded, events, duplicate: false });
            }
            Err(CommitError::Duplicate) => {
                return Ok(Executed { aggregate: loaded, events: Vec::new(), duplicate: true });
            }
            Err(CommitError::Stale) => continue,
            Err(CommitError::Held(key)) => {
                return Err(StoreError::Invalid(format!("{} / {} is held", key.pk, key.sk)).into());
            }
            Err(CommitError::Store(e)) => return Err(e.into()),
            Err(CommitError::Envelope(e)) => return Err(e.into()),
        }
    }
    Err(ExecuteError::Contended)
}

/// Runs `attempt` again while it loses races ([`CommitError::Stale`]).
pub async fn retry_stale<T, F, Fut>(mut attempt: F) -> Result<T, CommitError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, CommitError>>,
{
    for n in 1..ATTEMPTS {
        match attempt().await {
            Err(CommitError::Stale) => back_off(n).await,
            other => return other,
        }
    }
    attempt().await
}

#[cfg(test)]
mod tests {
    use serde::{Deserialize, Serialize};

    use super::*;

    #[derive(Debug, Default, Serialize, Deserialize)]
    struct Parcel {
        notes: u32,
    }

    #[derive(Debug, Clone, PartialEq, Serialize, strum::VariantNames, schemars::JsonSchema)]
    #[serde(tag = "type", content = "data")]
    enum ParcelEvent {
        Shipped { id: String },
        Noted { id: String },
    }

    impl Aggregate for Parcel {
        const TYPE: &'static str = "Parcel";
        const RECORDED: &'static [&'static str] = &["Noted"];
        type Command = ();
        type Event = ParcelEvent;
        type Error = std::convert::Infallible;

        fn handle(&self, (): ()) -> Result<Vec<ParcelEvent>, Self::Error> {
            Ok(vec![])
        }

        fn apply(&mut self, event: &ParcelEvent) {
            if let ParcelEvent::Noted { .. } = event {
                self.notes += 1;
            }
        }
    }

    #[test]
    fn recorded_events_change_the_aggregate_and_never_reach_the_outbox() {
        let mut loaded = Loaded { id: "p1".to_owned(), state: Parcel::default(), version: 0 };
        let origin = Origin { source: "test", correlation_id: "c".into() };
        let events = [ParcelEvent::Noted { id: "p1".into() }, ParcelEvent::Shipped { id: "p1".into() }];
        let mut commit = Commit::new();
        commit.aggregate(&mut loaded, &events, &origin).unwrap();
        let outbox: Vec<&str> = commit.events.iter().map(|e| e.event_type.as_str()).collect();
        assert_eq!(outbox, ["Shipped"]);
        assert_eq!(loaded.state.notes, 1, "the recorded event was applied");
    }
}
