//! What the published contract (OpenAPI, `cargo contract generate`) says of
//! each route, stated in the context's `routes.rs` beside the handlers it
//! describes: what a success answers, the body it takes, and the refusals
//! that route alone can give. The rest comes from the board (path, method,
//! who may call it, the call it makes) and from what every route shares:
//! `401` always, `403` for staff and owner routes, `400` and `413` with a
//! body, `400` for a page's `limit` and `cursor`, `404` for an id in the
//! path, `503` when it calls another context.
//!
//! ```ignore
//! pub const API: &[Api] = &[
//!     Api::accepted::<ReservationView>("request-reservation", "Reserve a copy of a book")
//!         .body::<RequestBody>()
//!         .refuses(&[404]),
//!     Api::page::<ReservationView>("list-reservations", "The caller's reservations, newest first"),
//! ];
//! ```

use schemars::{JsonSchema, Schema, SchemaGenerator};

/// The schema of a body, generated into the document's components.
pub type SchemaFn = fn(&mut SchemaGenerator) -> Schema;

fn schema<T: JsonSchema>(generator: &mut SchemaGenerator) -> Schema {
    generator.subschema_for::<T>()
}

/// What a route answers when it succeeds.
#[derive(Clone, Copy)]
pub enum Answer {
    /// `200` with the body.
    Ok(SchemaFn),
    /// `201` with the body and a `Location`.
    Created(SchemaFn),
    /// `202` with the body: accepted, decided later by events.
    Accepted(SchemaFn),
    /// `200` with one page of a list (an array of the body), `?limit=` and
    /// `?cursor=`, and a `Link` to the next page while more remain.
    Page(SchemaFn),
}

/// A query parameter a route needs (a page's `limit` and `cursor` are implied).
#[derive(Clone, Copy)]
pub struct Param {
    pub name: &'static str,
    pub description: &'static str,
}

/// One route of a context as the contract states it.
#[derive(Clone, Copy)]
pub struct Api {
    /// The function, by its board name.
    pub name: &'static str,
    pub summary: &'static str,
    pub answer: Answer,
    /// The JSON body it takes, if any.
    pub request: Option<SchemaFn>,
    pub query: &'static [Param],
    /// The statuses only this route gives, beyond the shared ones above
    /// (e.g. `404` for an id in the body, `409` for a refused transition).
    pub refuses: &'static [u16],
}

impl Api {
    const fn new(name: &'static str, summary: &'static str, answer: Answer) -> Self {
        Self { name, summary, answer, request: None, query: &[], refuses: &[] }
    }

    pub const fn ok<T: JsonSchema>(name: &'static str, summary: &'static str) -> Self {
        Self::new(name, summary, Answer::Ok(schema::<T>))
    }

    pub const fn created<T: JsonSchema>(name: &'static str, summary: &'static str) -> Self {
        Self::new(name, summary, Answer::Created(schema::<T>))
    }

    pub const fn accepted<T: JsonSchema>(name: &'static str, summary: &'static str) -> Self {
        Self::new(name, summary, Answer::Accepted(schema::<T>))
    }

    pub const fn page<T: JsonSchema>(name: &'static str, summary: &'static str) -> Self {
        Self::new(name, summary, Answer::Page(schema::<T>))
    }

    /// It takes a JSON body of type `B`.
    pub const fn body<B: JsonSchema>(mut self) -> Self {
        self.request = Some(schema::<B>);
        self
    }

    pub const fn query(mut self, params: &'static [Param]) -> Self {
        self.query = params;
        self
    }

    pub const fn refuses(mut self, statuses: &'static [u16]) -> Self {
        self.refuses = statuses;
        self
    }
}

/// The contract's error body, `{"error": {"code", "message", "field"?}}`.
#[derive(JsonSchema)]
#[allow(dead_code)]
pub struct Error {
    pub error: ErrorDetail,
}

#[derive(JsonSchema)]
#[allow(dead_code)]
pub struct ErrorDetail {
    /// Stable and machine-readable (`invalid_field`, `not_found`, `invalid_state`, …);
    /// a client treats a code it does not know by its status.
    pub code: String,
    /// For people; may change.
    pub message: String,
    /// The field or parameter at fault, for `invalid_field`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}
