//! Aggregates: pure decision makers. No I/O here; the store and the commit
//! live elsewhere, so the rules of a context are tested by plain function calls.

use std::fmt::Debug;

use serde::Serialize;
use serde::de::DeserializeOwned;

/// A yellow sticky: consistency boundary, one item in its context's table.
///
/// `Default` is the aggregate before its first event (version 0); the state
/// is stored as a snapshot with its version, and written with a condition on
/// that version (optimistic concurrency).
pub trait Aggregate: Default + Serialize + DeserializeOwned + Send + Sync {
    /// Key prefix in the context's table, e.g. `Reservation`.
    const TYPE: &'static str;
    type Command;
    /// Its events, one variant each; the variant names are the event types
    /// (`VariantNames`, so the board check can read them), with the JSON
    /// Schema of each (the published contract, `cargo contract`).
    type Event: Serialize + Clone + Debug + PartialEq + Send + strum::VariantNames + schemars::JsonSchema;
    type Error: std::error::Error + Send + Sync + 'static;
    /// The event types it keeps to itself (the board's `recorded`): applied
    /// and stored with the aggregate, never put in the outbox. The board
    /// check holds this list to the board's.
    const RECORDED: &'static [&'static str] = &[];

    /// Decides which events a command raises, given the current state.
    fn handle(&self, command: Self::Command) -> Result<Vec<Self::Event>, Self::Error>;

    /// Moves the state forward by one event. Infallible: an event is a fact.
    fn apply(&mut self, event: &Self::Event);

    /// The customer it belongs to, for owner-only commands and queries
    /// ([`crate::refusal::owned`]); `None` for aggregates nobody owns.
    fn owner(&self) -> Option<&str> {
        None
    }

    /// The secondary-index entry (`gsi1`) this aggregate is listed under,
    /// e.g. its owner, so that "my reservations" is one query.
    fn listed_under(&self) -> Option<crate::store::Key> {
        None
    }
}

/// A yellow sticky as the board check reads it: the aggregate's name, the
/// event types it can raise, and those of them it only records; and, for
/// the published contract, the schema of its event enum.
#[derive(Debug, Clone, Copy)]
pub struct AggregateSticky {
    pub name: &'static str,
    pub events: &'static [&'static str],
    pub recorded: &'static [&'static str],
    /// The event enum's schema (one `{type, data}` variant per event), its
    /// named parts left in the generator's definitions.
    pub events_schema: fn(&mut schemars::SchemaGenerator) -> schemars::Schema,
}

/// The sticky of aggregate `A`, for a context's `AGGREGATES` table.
pub const fn sticky<A: Aggregate>() -> AggregateSticky {
    AggregateSticky {
        name: A::TYPE,
        events: <A::Event as strum::VariantNames>::VARIANTS,
        recorded: A::RECORDED,
        events_schema: <A::Event as schemars::JsonSchema>::json_schema,
    }
}

/// Given/when/then for aggregate tests:
/// `given::<Stock>(past).when(command).then_expect(events)`.
pub fn given<A: Aggregate>(past: impl IntoIterator<Item = A::Event>) -> Given<A> {
    let mut state = A::default();
    for event in past {
        state.apply(&event);
    }
    Given { state }
}

pub struct Given<A: Aggregate> {
    state: A,
}

impl<A: Aggregate> Given<A> {
    pub fn when(self, command: A::Command) -> Then<A> {
        let outcome = self.state.handle(command);
        Then { state: self.state, outcome }
    }
}

pub struct Then<A: Aggregate> {
    state: A,
    outcome: Result<Vec<A::Event>, A::Error>,
}

impl<A: Aggregate> Then<A> {
    /// Asserts the raised events and returns the state after them.
    #[track_caller]
    pub fn then_expect(self, expected: Vec<A::Event>) -> A {
        match self.outcome {
            Ok(events) => {
                assert_eq!(events, expected, "raised events");
                let mut state = self.state;
                for event in &events {
                    state.apply(event);
                }
                state
            }
            Err(e) => panic!("expected events {expected:?}, got error: {e}"),
        }
    }

    /// Asserts the command was refused and returns the error for closer checks.
    #[track_caller]
    pub fn then_refuse(self) -> A::Error {
        match self.outcome {
            Ok(events) => panic!("expected a refusal, got events {events:?}"),
            Err(e) => e,
        }
    }
}
