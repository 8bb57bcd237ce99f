//! Why a command or query did not go through, as a type: what the logic of
//! a context returns, before anything is HTTP. The refusals every context
//! shares are here; a context's own are its aggregate's error (`Domain`),
//! which the context maps to the contract's errors in one place
//! (`impl From<ItsError> for ApiError`). The HTTP edge turns a `Refused`
//! into the contract's JSON error with [`From`].

use lambda_http::http::StatusCode;

use crate::aggregate::Aggregate;
use crate::commit::{ExecuteError, Loaded, load};
use crate::http::{ApiError, Caller};
use crate::store::{StoreError, Table};

#[derive(Debug, PartialEq)]
pub enum Refused<E> {
    /// No such item: `what` is its aggregate's type (`WalletEntry`).
    NotFound { what: &'static str, id: String },
    /// The item belongs to another customer.
    NotOwner { what: &'static str },
    /// Only staff may do this.
    StaffOnly,
    /// A field of the request does not fit (a value only the store can judge,
    /// such as a page's cursor).
    Invalid { field: String, message: String },
    /// The aggregate refused: its state does not allow this.
    Domain(E),
    /// A callee refused a request the caller had checked (a bug on one side):
    /// answered `502` with `code` and the callee's message, logged where heard.
    Upstream { code: &'static str, message: String },
    /// A dependency is down or busy (the store, a callee, an open circuit):
    /// nothing was changed; try again after `retry_after` seconds.
    Unavailable { message: String, retry_after: u32 },
    /// Cannot happen unless something is broken (logged where it happened).
    Internal,
}

impl<E> Refused<E> {
    pub fn not_found<A: Aggregate>(id: &str) -> Self {
        Self::NotFound { what: A::TYPE, id: id.to_owned() }
    }
}

impl<E> From<StoreError> for Refused<E> {
    fn from(e: StoreError) -> Self {
        ApiError::from(e).into()
    }
}

/// A 503 already in the contract's shape (a call's fallback) as a refusal;
/// anything else is internal.
impl<E> From<ApiError> for Refused<E> {
    fn from(e: ApiError) -> Self {
        match (e.retry_after, e.field) {
            (Some(retry_after), _) if e.status == StatusCode::SERVICE_UNAVAILABLE => {
                Self::Unavailable { message: e.message, retry_after }
            }
            (_, Some(field)) if e.status == StatusCode::BAD_REQUEST => Self::Invalid { field, message: e.message },
            _ => Self::Internal,
        }
    }
}

impl<E: std::error::Error> From<ExecuteError<E>> for Refused<E> {
    fn from(e: ExecuteError<E>) -> Self {
        match e {
            ExecuteError::Refused(e) => Self::Domain(e),
            ExecuteError::Store(e) => e.into(),
            ExecuteError::Contended => Self::Unavailable { message: "This is busy; try again.".into(), retry_after: 1 },
            ExecuteError::Envelope(e) => {
                tracing::error!(error = %e, "event could not be wrapped");
                Self::Internal
            }
        }
    }
}

/// The refusals of a context that has none of its own (a view's queries):
/// `Refused<NoRefusal>` holds only the shared ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoRefusal {}

impl From<NoRefusal> for ApiError {
    fn from(never: NoRefusal) -> Self {
        match never {}
    }
}

/// `WalletEntry` → `wallet entry`, for messages.
fn words(type_name: &str) -> String {
    let mut out = String::new();
    for (i, c) in type_name.chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            out.push(' ');
        }
        out.extend(c.to_lowercase());
    }
    out
}

impl<E: Into<ApiError>> From<Refused<E>> for ApiError {
    fn from(refused: Refused<E>) -> Self {
        match refused {
            Refused::NotFound { what, id } => ApiError::not_found(&words(what), &id),
            Refused::NotOwner { what } => ApiError::not_owner(&words(what)),
            Refused::StaffOnly => ApiError::staff_only(),
            Refused::Invalid { field, message } => {
                let mut error = ApiError::invalid_field(&field, "");
                error.message = message;
                error
            }
            Refused::Domain(e) => e.into(),
            Refused::Upstream { code, message } => ApiError::new(StatusCode::BAD_GATEWAY, code, message),
            Refused::Unavailable { message, retry_after } => ApiError::unavailable(message, retry_after),
            Refused::Internal => ApiError::internal(),
        }
    }
}

/// Staff only: `StaffOnly` for anyone else.
pub fn staff<E>(caller: &Caller) -> Result<(), Refused<E>> {
    if caller.is_staff() { Ok(()) } else { Err(Refused::StaffOnly) }
}

/// The aggregate `id`, which must exist.
pub async fn existing<A: Aggregate>(table: &dyn Table, id: &str) -> Result<Loaded<A>, Refused<A::Error>> {
    let loaded = load::<A>(table, id).await?;
    if loaded.exists() { Ok(loaded) } else { Err(Refused::not_found::<A>(id)) }
}

/// The aggregate `id`, which must exist and belong to the caller
/// ([`Aggregate::owner`]): `NotFound` first, so that a stranger learns
/// nothing more than that it is not theirs.
pub async fn owned<A: Aggregate>(table: &dyn Table, id: &str, caller: &Caller) -> Result<Loaded<A>, Refused<A::Error>> {
    let loaded = existing::<A>(table, id).await?;
    if loaded.state.owner() == Some(caller.sub.as_str()) {
        Ok(loaded)
    } else {
        Err(Refused::NotOwner { what: A::TYPE })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_names_read_as_words() {
        assert_eq!(words("WalletEntry"), "wallet entry");
        assert_eq!(words("Reservation"), "reservation");
    }

    #[test]
    fn each_shared_refusal_is_the_contracts_error() {
        #[derive(Debug, thiserror::Error)]
        #[error("no")]
        struct No;
        impl From<No> for ApiError {
            fn from(_: No) -> Self {
                ApiError::conflict("invalid_state", "no")
            }
        }
        let status = |r: Refused<No>| ApiError::from(r).status.as_u16();
        assert_eq!(status(Refused::NotFound { what: "Gift", id: "g".into() }), 404);
        assert_eq!(status(Refused::NotOwner { what: "Gift" }), 403);
        assert_eq!(status(Refused::StaffOnly), 403);
        assert_eq!(status(Refused::Domain(No)), 409);
        assert_eq!(status(Refused::Unavailable { message: "later".into(), retry_after: 3 }), 503);
        assert_eq!(status(Refused::Upstream { code: "gift_refused", message: "no".into() }), 502);
        assert_eq!(status(Refused::Internal), 500);
        let busy: Refused<No> = StoreError::Unavailable("throttled".into()).into();
        assert!(matches!(busy, Refused::Unavailable { retry_after: 1, .. }));
    }
}
