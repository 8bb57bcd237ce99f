//! The Product aggregate (yellow sticky): an item staff added, with its
//! price and the quantity on hand; and the [`Allocation`] of each paid
//! order, which says what product did for it.
//!
//! Keyed by the item code. Staff add it (`ProductAdded`) and restock it
//! (`StockIncreased`, with the new total); a paid order takes its quantity
//! (`DeliveryPrepared`) or finds too little (`OutOfStock`, nothing taken);
//! a canceled order gets back what it took (`StockRestored`).
//!
//! Invariant: `quantity = added − taken + restored`, never negative; every
//! taken unit is tied to one order by its allocation, taken at most once
//! and given back at most once, only if taken.

use framework::Aggregate;
use framework::store::Key;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Product {
    pub item_cd: String,
    pub name: String,
    pub price: u64,
    /// On hand now.
    pub quantity: u64,
    /// Received from staff, in all (the first quantity and every restock).
    pub added: u64,
    /// Taken for orders, in all.
    pub taken: u64,
    /// Given back by canceled orders, in all.
    pub restored: u64,
}

impl Product {
    /// Added by staff (the default product is one nobody added).
    pub fn exists(&self) -> bool {
        !self.item_cd.is_empty()
    }
}

/// What a paid order asks of product (`PayApproved`).
#[derive(Debug, Clone, PartialEq)]
pub struct Demand {
    pub order_id: String,
    pub item_cd: String,
    pub quantity: u64,
    pub address: String,
    pub customer_id: String,
}

#[derive(Debug, Clone)]
pub enum Command {
    Add {
        item_cd: String,
        name: String,
        price: u64,
        quantity: u64,
    },
    Increase {
        quantity: u64,
    },
    /// Take the order's quantity, if there is enough.
    Take(Demand),
    /// Give back what was taken for the order.
    Restore {
        order_id: String,
        quantity: u64,
    },
}

/// The product context's published language.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, strum::VariantNames, schemars::JsonSchema)]
#[serde(tag = "type", content = "data", rename_all_fields = "camelCase")]
pub enum ProductEvent {
    ProductAdded {
        item_cd: String,
        name: String,
        price: u64,
        quantity: u64,
    },
    StockIncreased {
        item_cd: String,
        name: String,
        price: u64,
        /// The new quantity on hand.
        quantity: u64,
        added: u64,
    },
    /// The order's quantity is taken: its parcel can be prepared.
    DeliveryPrepared {
        order_id: String,
        item_cd: String,
        quantity: u64,
        address: String,
        customer_id: String,
    },
    /// Not enough (or no such item): nothing taken.
    OutOfStock {
        order_id: String,
        item_cd: String,
        quantity: u64,
        customer_id: String,
    },
    /// A canceled order's quantity is back; `available` is the new quantity on hand.
    StockRestored {
        order_id: String,
        item_cd: String,
        quantity: u64,
        available: u64,
    },
}

#[derive(Debug, PartialEq, thiserror::Error)]
pub enum ProductError {
    #[error("item {item_cd} is added already")]
    AlreadyAdded { item_cd: String },
    #[error("no such item")]
    Unknown,
}

impl Aggregate for Product {
    const TYPE: &'static str = "Product";
    type Command = Command;
    type Event = ProductEvent;
    type Error = ProductError;

    fn handle(&self, command: Command) -> Result<Vec<ProductEvent>, ProductError> {
        use ProductEvent::*;
        match command {
            Command::Add { .. } if self.exists() => Err(ProductError::AlreadyAdded { item_cd: self.item_cd.clone() }),
            Command::Add { item_cd, name, price, quantity } => {
                Ok(vec![ProductAdded { item_cd, name, price, quantity }])
            }
            // An order of an item nobody added finds none.
            Command::Take(Demand { order_id, item_cd, quantity, customer_id, .. })
                if !self.exists() || quantity > self.quantity =>
            {
                Ok(vec![OutOfStock { order_id, item_cd, quantity, customer_id }])
            }
            _ if !self.exists() => Err(ProductError::Unknown),
            Command::Increase { quantity } => Ok(vec![StockIncreased {
                item_cd: self.item_cd.clone(),
                name: self.name.clone(),
                price: self.price,
                quantity: self.quantity + quantity,
                added: quantity,
            }]),
            Command::Take(Demand { order_id, quantity, address, customer_id, .. }) => {
                Ok(vec![DeliveryPrepared { order_id, item_cd: self.item_cd.clone(), quantity, address, customer_id }])
            }
            Command::Restore { order_id, quantity } => Ok(vec![StockRestored {
                order_id,
                item_cd: self.item_cd.clone(),
                quantity,
                available: self.quantity + quantity,
            }]),
        }
    }

    fn apply(&mut self, event: &ProductEvent) {
        match event {
            ProductEvent::ProductAdded { item_cd, name, price, quantity } => {
                *self = Self {
                    item_cd: item_cd.clone(),
                    name: name.clone(),
                    price: *price,
                    quantity: *quantity,
                    added: *quantity,
                    taken: 0,
                    restored: 0,
                }
            }
            ProductEvent::StockIncreased { quantity, added, .. } => {
                self.quantity = *quantity;
                self.added += added;
            }
            ProductEvent::DeliveryPrepared { quantity, .. } => {
                self.quantity = self.quantity.saturating_sub(*quantity);
                self.taken += quantity;
            }
            ProductEvent::OutOfStock { .. } => {}
            ProductEvent::StockRestored { quantity, available, .. } => {
                self.quantity = *available;
                self.restored += quantity;
            }
        }
    }

    /// Listed together, by item code.
    fn listed_under(&self) -> Option<Key> {
        Some(Key::new(PRODUCTS, self.item_cd.clone()))
    }
}

/// The index partition every product is listed under.
pub const PRODUCTS: &str = "Products";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, strum::Display)]
pub enum AllocationStatus {
    /// The order's quantity is taken.
    Taken,
    /// There was not enough: nothing taken, nothing to give back.
    Short,
    /// Given back, or the order was canceled before anything was taken
    /// (then nothing ever will be).
    Released,
}

/// What product did for one order (keyed by the order id).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Allocation {
    pub order_id: String,
    pub item_cd: String,
    /// Taken (or asked for, when short).
    pub quantity: u64,
    /// `None` before product heard of the order.
    pub status: Option<AllocationStatus>,
}

impl Allocation {
    /// Whether its quantity is out of stock now, to be given back on a cancel.
    pub fn holds_stock(&self) -> bool {
        self.status == Some(AllocationStatus::Taken)
    }
}

#[derive(Debug, Clone)]
pub enum AllocationCommand {
    /// Product took the order's quantity (it raised `DeliveryPrepared`).
    Take { order_id: String, item_cd: String, quantity: u64 },
    /// Product had too little (it raised `OutOfStock`).
    Short { order_id: String, item_cd: String, quantity: u64 },
    /// The order was canceled.
    Release { order_id: String, item_cd: String },
}

/// The allocation's own record (never published).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, strum::VariantNames, schemars::JsonSchema)]
#[serde(tag = "type", content = "data", rename_all_fields = "camelCase")]
pub enum AllocationEvent {
    StockTaken {
        order_id: String,
        item_cd: String,
        quantity: u64,
    },
    StockShort {
        order_id: String,
        item_cd: String,
        quantity: u64,
    },
    /// `quantity` is what goes back: what was taken, or 0.
    StockReleased {
        order_id: String,
        item_cd: String,
        quantity: u64,
    },
}

impl Aggregate for Allocation {
    const TYPE: &'static str = "Allocation";
    const RECORDED: &'static [&'static str] = &["StockTaken", "StockShort", "StockReleased"];
    type Command = AllocationCommand;
    type Event = AllocationEvent;
    type Error = ProductError;

    fn handle(&self, command: AllocationCommand) -> Result<Vec<AllocationEvent>, ProductError> {
        use AllocationEvent::*;
        match (command, self.status) {
            (AllocationCommand::Take { order_id, item_cd, quantity }, None) => {
                Ok(vec![StockTaken { order_id, item_cd, quantity }])
            }
            (AllocationCommand::Short { order_id, item_cd, quantity }, None) => {
                Ok(vec![StockShort { order_id, item_cd, quantity }])
            }
            // Answered already (a redelivery), or canceled first: nothing is taken.
            (AllocationCommand::Take { .. } | AllocationCommand::Short { .. }, Some(_)) => Ok(vec![]),
            // Canceled before product heard of the order: a tombstone.
            (AllocationCommand::Release { order_id, item_cd }, None) => {
                Ok(vec![StockReleased { order_id, item_cd, quantity: 0 }])
            }
            (AllocationCommand::Release { .. }, Some(AllocationStatus::Taken)) => Ok(vec![StockReleased {
                order_id: self.order_id.clone(),
                item_cd: self.item_cd.clone(),
                quantity: self.quantity,
            }]),
            (AllocationCommand::Release { .. }, Some(AllocationStatus::Short | AllocationStatus::Released)) => {
                Ok(vec![])
            }
        }
    }

    fn apply(&mut self, event: &AllocationEvent) {
        let (order_id, item_cd, quantity, status) = match event {
            AllocationEvent::StockTaken { order_id, item_cd, quantity } => {
                (order_id, item_cd, *quantity, AllocationStatus::Taken)
            }
            AllocationEvent::StockShort { order_id, item_cd, quantity } => {
                (order_id, item_cd, *quantity, AllocationStatus::Short)
            }
            // What was taken is kept: the record says what went back.
            AllocationEvent::StockReleased { order_id, item_cd, .. } => {
                (order_id, item_cd, self.quantity, AllocationStatus::Released)
            }
        };
        self.order_id = order_id.clone();
        self.item_cd = item_cd.clone();
        self.quantity = quantity;
        self.status = Some(status);
    }
}

#[cfg(test)]
mod tests {
    use framework::aggregate::given;

    use super::*;
    use ProductEvent::*;

    fn added(quantity: u64) -> ProductEvent {
        ProductAdded { item_cd: "ITEM-001".into(), name: "Wireless Mouse".into(), price: 12_000, quantity }
    }

    fn demand(order_id: &str, quantity: u64) -> Demand {
        Demand {
            order_id: order_id.into(),
            item_cd: "ITEM-001".into(),
            quantity,
            address: "1 Main St".into(),
            customer_id: "alice".into(),
        }
    }

    fn prepared(order_id: &str, quantity: u64) -> ProductEvent {
        DeliveryPrepared {
            order_id: order_id.into(),
            item_cd: "ITEM-001".into(),
            quantity,
            address: "1 Main St".into(),
            customer_id: "alice".into(),
        }
    }

    fn out_of_stock(order_id: &str, quantity: u64) -> ProductEvent {
        OutOfStock { order_id: order_id.into(), item_cd: "ITEM-001".into(), quantity, customer_id: "alice".into() }
    }

    fn taken(quantity: u64) -> AllocationEvent {
        AllocationEvent::StockTaken { order_id: "o1".into(), item_cd: "ITEM-001".into(), quantity }
    }

    fn short(quantity: u64) -> AllocationEvent {
        AllocationEvent::StockShort { order_id: "o1".into(), item_cd: "ITEM-001".into(), quantity }
    }

    fn released(quantity: u64) -> AllocationEvent {
        AllocationEvent::StockReleased { order_id: "o1".into(), item_cd: "ITEM-001".into(), quantity }
    }

    fn take(quantity: u64) -> AllocationCommand {
        AllocationCommand::Take { order_id: "o1".into(), item_cd: "ITEM-001".into(), quantity }
    }

    fn release() -> AllocationCommand {
        AllocationCommand::Release { order_id: "o1".into(), item_cd: "ITEM-001".into() }
    }

    fn balanced(p: &Product) -> bool {
        p.quantity == p.added - p.taken + p.restored
    }

    #[test]
    fn adding_an_item_puts_its_first_quantity_on_hand() {
        let add =
            Command::Add { item_cd: "ITEM-001".into(), name: "Wireless Mouse".into(), price: 12_000, quantity: 10 };
        let state = given::<Product>([]).when(add).then_expect(vec![added(10)]);
        assert_eq!((state.price, state.quantity, state.added), (12_000, 10, 10));
    }

    #[test]
    fn an_item_is_added_once() {
        let again = Command::Add { item_cd: "ITEM-001".into(), name: "Other".into(), price: 1, quantity: 0 };
        let refused = given::<Product>([added(10)]).when(again).then_refuse();
        assert_eq!(refused, ProductError::AlreadyAdded { item_cd: "ITEM-001".into() });
    }

    #[test]
    fn a_restock_raises_the_quantity_and_says_the_new_total() {
        let state =
            given::<Product>([added(10)]).when(Command::Increase { quantity: 5 }).then_expect(vec![StockIncreased {
                item_cd: "ITEM-001".into(),
                name: "Wireless Mouse".into(),
                price: 12_000,
                quantity: 15,
                added: 5,
            }]);
        assert_eq!((state.quantity, state.added), (15, 15));
        assert!(balanced(&state));
        assert_eq!(given::<Product>([]).when(Command::Increase { quantity: 5 }).then_refuse(), ProductError::Unknown);
    }

    #[test]
    fn a_paid_order_takes_its_quantity_when_there_is_enough() {
        let state =
            given::<Product>([added(10)]).when(Command::Take(demand("o1", 10))).then_expect(vec![prepared("o1", 10)]);
        assert_eq!((state.quantity, state.taken), (0, 10));
        assert!(balanced(&state));
    }

    #[test]
    fn too_little_is_out_of_stock_and_takes_nothing() {
        let state = given::<Product>([added(10), prepared("o0", 9)])
            .when(Command::Take(demand("o1", 2)))
            .then_expect(vec![out_of_stock("o1", 2)]);
        assert_eq!(state.quantity, 1);
    }

    #[test]
    fn an_item_nobody_added_is_out_of_stock() {
        let state = given::<Product>([]).when(Command::Take(demand("o1", 1))).then_expect(vec![out_of_stock("o1", 1)]);
        assert!(!state.exists());
    }

    #[test]
    fn a_restore_gives_back_and_keeps_the_stock_equation() {
        let state = given::<Product>([added(10), prepared("o1", 3)])
            .when(Command::Restore { order_id: "o1".into(), quantity: 3 })
            .then_expect(vec![StockRestored {
                order_id: "o1".into(),
                item_cd: "ITEM-001".into(),
                quantity: 3,
                available: 10,
            }]);
        assert_eq!((state.quantity, state.taken, state.restored), (10, 3, 3));
        assert!(balanced(&state));
    }

    #[test]
    fn an_order_takes_stock_at_most_once() {
        let state = given::<Allocation>([]).when(take(2)).then_expect(vec![taken(2)]);
        assert!(state.holds_stock());
        given::<Allocation>([taken(2)]).when(take(2)).then_expect(vec![]);
        given::<Allocation>([short(2)]).when(take(2)).then_expect(vec![]);
    }

    #[test]
    fn a_cancel_gives_back_what_was_taken_once() {
        let state = given::<Allocation>([taken(2)]).when(release()).then_expect(vec![released(2)]);
        assert_eq!((state.status, state.quantity), (Some(AllocationStatus::Released), 2));
        assert!(!state.holds_stock());
        given::<Allocation>([taken(2), released(2)]).when(release()).then_expect(vec![]);
    }

    #[test]
    fn a_cancel_of_an_order_that_was_short_gives_nothing_back() {
        given::<Allocation>([short(2)]).when(release()).then_expect(vec![]);
    }

    #[test]
    fn a_cancel_before_the_take_leaves_a_release_the_late_payment_cannot_take() {
        let state = given::<Allocation>([]).when(release()).then_expect(vec![released(0)]);
        assert_eq!(state.status, Some(AllocationStatus::Released));
        let state = given::<Allocation>([released(0)]).when(take(2)).then_expect(vec![]);
        assert!(!state.holds_stock());
        given::<Allocation>([released(0)]).when(release()).then_expect(vec![]);
    }
}
