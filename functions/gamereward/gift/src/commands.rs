//! Blue sticky of the gift context, and its internal function, as typed
//! commands: what a route or a caller (or a test) hands in, what the context
//! decides. Nothing of HTTP here.

use framework::Origin;
use framework::commit::execute;
use framework::http::Caller;
use framework::refusal::{Refused, owned};
use framework::store::Table;

use crate::SOURCE;
use crate::gift::{Command, Gift, GiftError, gift_of_entry};

pub type Outcome<T> = Result<T, Refused<GiftError>>;

/// `issue-gift`: what wallet asks for. The caller is a service, which has
/// checked the customer; gift trusts it, and users cannot reach this.
#[derive(Debug, Clone)]
pub struct IssueGift {
    pub wallet_id: String,
    pub gift_name: String,
    pub customer_id: String,
    /// The caller's saga, which the gift's events join.
    pub correlation_id: String,
}

/// Issues the wallet entry's gift (`GiftIssued`), or returns it if it
/// exists: a retried exchange gets the same gift.
pub async fn issue_gift(table: &dyn Table, command: IssueGift) -> Outcome<Gift> {
    let gift_id = gift_of_entry(&command.wallet_id);
    let origin = Origin { source: SOURCE, correlation_id: command.correlation_id.clone() };
    let done = execute::<Gift, _>(table, &gift_id, &origin, None, |_| Command::Issue {
        wallet_id: command.wallet_id.clone(),
        name: command.gift_name.clone(),
        customer_id: command.customer_id.clone(),
        correlation_id: command.correlation_id.clone(),
    })
    .await?;
    tracing::info!(gift_id, wallet_id = %command.wallet_id, fresh = !done.events.is_empty(), "gift issued");
    Ok(done.aggregate.state)
}

/// `use-gift`: the owner's, once (`GiftUsed`).
pub async fn use_gift(table: &dyn Table, caller: &Caller, gift_id: &str) -> Outcome<Gift> {
    let gift = owned::<Gift>(table, gift_id, caller).await?.state;
    let origin = Origin { source: SOURCE, correlation_id: gift.correlation_id.clone() };
    let done = execute::<Gift, _>(table, gift_id, &origin, None, |_| Command::Use).await?;
    Ok(done.aggregate.state)
}
