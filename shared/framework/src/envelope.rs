//! The event envelope of the contract, and the bridge between it and a
//! context's typed events.
//!
//! A context declares its events as an adjacently tagged serde enum
//! (`#[serde(tag = "type", content = "data")]`), so the variant name is the
//! event `type` on the wire and its fields are the `data`. Consumers declare
//! their own enum of the events they read (a tolerant reader): they never
//! depend on the publishing context's crate.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// An event as it travels between contexts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Envelope {
    pub event_id: String,
    #[serde(rename = "type")]
    pub event_type: String,
    /// The bounded context that raised the event.
    pub source: String,
    /// RFC 3339, UTC, millisecond precision.
    pub occurred_at: String,
    /// Ties the events of one saga together (for example the reservation id).
    pub correlation_id: String,
    /// Version of the aggregate after this event.
    pub version: u64,
    pub data: Value,
}

#[derive(Debug, thiserror::Error)]
pub enum EnvelopeError {
    #[error("event is not an adjacently tagged enum variant: {0}")]
    NotAnEvent(String),
    #[error("event {event_type} does not match the expected shape: {source}")]
    Shape { event_type: String, source: serde_json::Error },
}

/// Where an event comes from: the context that raises it and the saga it belongs to.
#[derive(Debug, Clone)]
pub struct Origin {
    pub source: &'static str,
    pub correlation_id: String,
}

impl Envelope {
    /// Wraps a typed event with a fresh id and the current time.
    pub fn wrap<E: Serialize>(event: &E, origin: &Origin, version: u64) -> Result<Self, EnvelopeError> {
        let value = serde_json::to_value(event).map_err(|e| EnvelopeError::NotAnEvent(e.to_string()))?;
        let Value::Object(mut tagged) = value else {
            return Err(EnvelopeError::NotAnEvent("not an object".into()));
        };
        let Some(Value::String(event_type)) = tagged.remove("type") else {
            return Err(EnvelopeError::NotAnEvent("no string `type`".into()));
        };
        Ok(Self {
            event_id: crate::new_id(),
            event_type,
            source: origin.source.to_owned(),
            occurred_at: crate::now_rfc3339(),
            correlation_id: origin.correlation_id.clone(),
            version,
            data: tagged.remove("data").unwrap_or(Value::Object(Default::default())),
        })
    }

    /// Reads the envelope as one of the events `E` knows. `Ok(None)` when the
    /// type is not one of them: a consumer ignores what it does not subscribe to.
    pub fn open<E: DeserializeOwned>(&self) -> Result<Option<E>, EnvelopeError> {
        let tagged = serde_json::json!({ "type": self.event_type, "data": self.data });
        match serde_json::from_value::<E>(tagged) {
            Ok(event) => Ok(Some(event)),
            Err(e) if e.to_string().starts_with("unknown variant") => Ok(None),
            Err(source) => Err(EnvelopeError::Shape { event_type: self.event_type.clone(), source }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    #[serde(tag = "type", content = "data", rename_all_fields = "camelCase")]
    enum Published {
        BookShelved { book_id: String, shelf: u32 },
    }

    #[derive(Debug, PartialEq, Deserialize)]
    #[serde(tag = "type", content = "data", rename_all_fields = "camelCase")]
    enum Consumed {
        BookShelved { book_id: String },
    }

    fn origin() -> Origin {
        Origin { source: "library", correlation_id: "c-1".into() }
    }

    #[test]
    fn wraps_the_variant_name_as_type_and_fields_as_camel_case_data() {
        let env = Envelope::wrap(&Published::BookShelved { book_id: "b1".into(), shelf: 3 }, &origin(), 7).unwrap();
        assert_eq!(env.event_type, "BookShelved");
        assert_eq!(env.data, serde_json::json!({"bookId": "b1", "shelf": 3}));
        assert_eq!((env.source.as_str(), env.version), ("library", 7));
        let wire = serde_json::to_value(&env).unwrap();
        for field in ["eventId", "type", "source", "occurredAt", "correlationId", "version", "data"] {
            assert!(wire.get(field).is_some(), "envelope lacks {field}");
        }
    }

    #[test]
    fn a_consumer_reads_only_the_fields_it_declares() {
        let env = Envelope::wrap(&Published::BookShelved { book_id: "b1".into(), shelf: 3 }, &origin(), 1).unwrap();
        assert_eq!(env.open::<Consumed>().unwrap(), Some(Consumed::BookShelved { book_id: "b1".into() }));
    }

    #[test]
    fn an_unknown_type_is_not_an_error_but_a_wrong_shape_is() {
        let mut env = Envelope::wrap(&Published::BookShelved { book_id: "b1".into(), shelf: 3 }, &origin(), 1).unwrap();
        env.event_type = "BookBurned".into();
        assert!(env.open::<Consumed>().unwrap().is_none());
        env.event_type = "BookShelved".into();
        env.data = serde_json::json!({"bookId": 5});
        assert!(env.open::<Consumed>().is_err());
    }
}
