//! Blue sticky of the wallet context as a typed command: what a route (or a
//! test) hands in, what the context decides. Nothing of HTTP here.

use std::sync::Arc;

use framework::Origin;
use framework::call::{CallError, Client};
use framework::commit::execute;
use framework::http::Caller;
use framework::refusal::{Refused, owned};
use framework::store::Table;
use serde::{Deserialize, Serialize};

use crate::SOURCE;
use crate::wallet::{Command, WalletEntry, WalletError};

pub type Outcome<T> = Result<T, Refused<WalletError>>;

/// What `exchange-reward` needs: its table and a guarded client of gift.
#[derive(Clone)]
pub struct Exchange {
    pub table: Arc<dyn Table>,
    pub gift: Client,
}

/// `exchange-reward`: the caller's wallet entry, for a gift of that name.
#[derive(Debug, Clone)]
pub struct ExchangeReward {
    pub wallet_id: String,
    pub gift_name: String,
}

/// What gift's `issue-gift` is asked, and what it answers.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct IssueGift<'a> {
    wallet_id: &'a str,
    gift_name: &'a str,
    customer_id: &'a str,
    correlation_id: &'a str,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct IssuedGift {
    gift_id: String,
    name: String,
}

/// The owner's entry, and only while `Issued`.
///
/// Gift is called first, synchronously, through the circuit breaker; the
/// wallet changes only once the gift exists. Gift down, slow, or the circuit
/// open → `Unavailable`, and nothing written here. Gift issues one gift per
/// wallet entry, so a retry after a lost answer gets the same gift.
pub async fn exchange_reward(exchange: &Exchange, caller: &Caller, command: ExchangeReward) -> Outcome<WalletEntry> {
    let table = &*exchange.table;
    let wallet_id = command.wallet_id.as_str();
    let entry = owned::<WalletEntry>(table, wallet_id, caller).await?.state;
    entry.exchangeable().map_err(Refused::Domain)?;
    let request = IssueGift {
        wallet_id,
        gift_name: &command.gift_name,
        customer_id: &entry.customer_id,
        correlation_id: &entry.mission_id,
    };
    let gift: IssuedGift = exchange.gift.call(&request).await.map_err(|e| match e {
        CallError::Unavailable(error) => Refused::from(error),
        CallError::Refused(refusal) => refusal.upstream("gift_refused"),
    })?;
    let origin = Origin { source: SOURCE, correlation_id: entry.mission_id.clone() };
    let done = execute::<WalletEntry, _>(table, wallet_id, &origin, None, |_| Command::Exchange {
        gift_id: gift.gift_id.clone(),
        gift_name: gift.name.clone(),
    })
    .await?;
    tracing::info!(wallet_id, gift_id = %gift.gift_id, "reward exchanged");
    Ok(done.aggregate.state)
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use embedded::SqliteTable;
    use framework::Envelope;
    use framework::call::{CallSettings, Circuits, Remote, RemoteError};
    use framework::commit::load;
    use framework::store::BoxFuture;
    use serde_json::{Value, json};

    use super::*;
    use crate::policies::issue_wallet_entry::{self, Inbound};
    use crate::wallet::{Status, entry_of_reward};

    fn customer(sub: &str) -> Caller {
        Caller { sub: sub.into(), groups: vec![] }
    }

    /// Gift as a test sets it: every call gets `reply` (`None`: unreachable).
    struct Gift {
        reply: Option<Value>,
        calls: AtomicU32,
    }

    impl Remote for Gift {
        fn invoke(&self, _request: Value) -> BoxFuture<'_, Result<Value, RemoteError>> {
            self.calls.fetch_add(1, Ordering::SeqCst);
            let reply = self.reply.clone();
            Box::pin(async move { reply.ok_or_else(|| RemoteError::Unreachable("down".into())) })
        }
    }

    /// Alice's wallet entry of reward `r1` (reward's news, as the policy
    /// hears it), and gift answering `reply`.
    async fn alices_entry(reply: Option<Value>) -> (Exchange, Arc<Gift>, String) {
        let table: Arc<dyn Table> = Arc::new(SqliteTable::open(None).unwrap());
        let heard =
            Inbound::RewardAllocated { reward_id: "r1".into(), mission_id: "m1".into(), customer_id: "alice".into() };
        let envelope = Envelope {
            event_id: "e1".into(),
            event_type: "RewardAllocated".into(),
            source: "reward".into(),
            occurred_at: framework::now_rfc3339(),
            correlation_id: "m1".into(),
            version: 1,
            data: json!({}),
        };
        issue_wallet_entry::on_event(table.clone(), envelope, heard).await.unwrap();
        let gift = Arc::new(Gift { reply, calls: AtomicU32::new(0) });
        let settings = CallSettings { failure_threshold: 1, ..CallSettings::default() };
        let client = Client::new("test→gift", gift.clone(), settings, &Circuits::default());
        (Exchange { table, gift: client }, gift, entry_of_reward("r1"))
    }

    fn coffee(wallet_id: &str) -> ExchangeReward {
        ExchangeReward { wallet_id: wallet_id.into(), gift_name: "Coffee Coupon".into() }
    }

    fn issued(gift_id: &str) -> Value {
        json!({"status": 200, "body": {"giftId": gift_id, "walletId": "w", "name": "Coffee Coupon", "status": "Issued"}})
    }

    async fn status_of(exchange: &Exchange, wallet_id: &str) -> Option<Status> {
        load::<WalletEntry>(&*exchange.table, wallet_id).await.unwrap().state.status
    }

    #[tokio::test]
    async fn only_the_owner_exchanges_and_strangers_never_reach_gift() {
        let (exchange, gift, id) = alices_entry(Some(issued("g1"))).await;
        assert_eq!(
            exchange_reward(&exchange, &customer("carol"), coffee(&id)).await,
            Err(Refused::NotOwner { what: "WalletEntry" })
        );
        assert_eq!(
            exchange_reward(&exchange, &customer("alice"), coffee("nobody")).await,
            Err(Refused::NotFound { what: "WalletEntry", id: "nobody".into() })
        );
        assert_eq!(gift.calls.load(Ordering::SeqCst), 0);
    }

    #[tokio::test]
    async fn an_issued_entry_is_exchanged_once_for_the_gift() {
        let (exchange, gift, id) = alices_entry(Some(issued("g1"))).await;
        let exchanged = exchange_reward(&exchange, &customer("alice"), coffee(&id)).await.unwrap();
        assert_eq!((exchanged.status, exchanged.gift_id.as_deref()), (Some(Status::Exchanged), Some("g1")));
        assert_eq!(
            exchange_reward(&exchange, &customer("alice"), coffee(&id)).await,
            Err(Refused::Domain(WalletError::AlreadyExchanged))
        );
        assert_eq!(gift.calls.load(Ordering::SeqCst), 1, "an exchanged entry does not call gift again");
    }

    #[tokio::test]
    async fn gift_down_is_unavailable_and_leaves_the_entry_issued() {
        let (exchange, _, id) = alices_entry(None).await;
        let refused = exchange_reward(&exchange, &customer("alice"), coffee(&id)).await;
        assert!(matches!(refused, Err(Refused::Unavailable { .. })), "{refused:?}");
        assert_eq!(status_of(&exchange, &id).await, Some(Status::Issued));
    }

    #[tokio::test]
    async fn a_refusal_from_gift_is_the_wallets_and_leaves_the_entry_issued() {
        let no = json!({"status": 409, "error": {"code": "invalid_state", "message": "no"}});
        let (exchange, _, id) = alices_entry(Some(no)).await;
        assert_eq!(
            exchange_reward(&exchange, &customer("alice"), coffee(&id)).await,
            Err(Refused::Upstream { code: "gift_refused", message: "no".into() })
        );
        assert_eq!(status_of(&exchange, &id).await, Some(Status::Issued));
    }
}
