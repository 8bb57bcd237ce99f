//! The Product aggregate (yellow sticky): a book and the copies on hand.
//! Staff register it and receive copies (`StockIncreased`); a reservation
//! takes one (`StockDecreased`) or finds none (`StockShortage`); a canceled
//! delivery gives its copy back (`StockIncreased` for that reservation).
//!
//! Invariant: `stock = received − taken + restored`, never negative; every
//! taken copy is tied to one reservation by its [`Allocation`].

use framework::Aggregate;
use framework::store::Key;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Product {
    pub product_id: String,
    pub title: String,
    pub stock: u64,
    pub received: u64,
    pub taken: u64,
    pub restored: u64,
}

impl Product {
    pub fn exists(&self) -> bool {
        !self.product_id.is_empty()
    }
}

#[derive(Debug, Clone)]
pub enum Command {
    Register { product_id: String, title: String, stock: u64 },
    Receive { quantity: u64 },
    Take { reservation_id: String, customer_id: String },
    Restore { reservation_id: String },
}

/// The product context's published language.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, strum::VariantNames, schemars::JsonSchema)]
#[serde(tag = "type", content = "data", rename_all_fields = "camelCase")]
pub enum ProductEvent {
    StockIncreased {
        product_id: String,
        title: String,
        quantity: u64,
        stock: u64,
        /// Set when the copy comes back from a canceled reservation.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reservation_id: Option<String>,
    },
    StockDecreased {
        product_id: String,
        title: String,
        reservation_id: String,
        customer_id: String,
        stock: u64,
    },
    StockShortage {
        product_id: String,
        reservation_id: String,
    },
}

#[derive(Debug, PartialEq, thiserror::Error)]
pub enum ProductError {
    #[error("the product is already registered")]
    AlreadyRegistered,
    #[error("no such product")]
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
            Command::Register { .. } if self.exists() => Err(ProductError::AlreadyRegistered),
            Command::Register { product_id, title, stock } => {
                Ok(vec![StockIncreased { product_id, title, quantity: stock, stock, reservation_id: None }])
            }
            _ if !self.exists() => Err(ProductError::Unknown),
            Command::Receive { quantity } => Ok(vec![StockIncreased {
                product_id: self.product_id.clone(),
                title: self.title.clone(),
                quantity,
                stock: self.stock + quantity,
                reservation_id: None,
            }]),
            Command::Take { reservation_id, .. } if self.stock == 0 => {
                Ok(vec![StockShortage { product_id: self.product_id.clone(), reservation_id }])
            }
            Command::Take { reservation_id, customer_id } => Ok(vec![StockDecreased {
                product_id: self.product_id.clone(),
                title: self.title.clone(),
                reservation_id,
                customer_id,
                stock: self.stock - 1,
            }]),
            Command::Restore { reservation_id } => Ok(vec![StockIncreased {
                product_id: self.product_id.clone(),
                title: self.title.clone(),
                quantity: 1,
                stock: self.stock + 1,
                reservation_id: Some(reservation_id),
            }]),
        }
    }

    fn apply(&mut self, event: &ProductEvent) {
        match event {
            ProductEvent::StockIncreased { product_id, title, quantity, stock, reservation_id } => {
                self.product_id = product_id.clone();
                self.title = title.clone();
                self.stock = *stock;
                if reservation_id.is_some() {
                    self.restored += quantity;
                } else {
                    self.received += quantity;
                }
            }
            ProductEvent::StockDecreased { stock, .. } => {
                self.stock = *stock;
                self.taken += 1;
            }
            ProductEvent::StockShortage { .. } => {}
        }
    }

    /// Listed together, in the order they were registered.
    fn listed_under(&self) -> Option<Key> {
        Some(Key::new(PRODUCTS, self.product_id.clone()))
    }
}

pub const PRODUCTS: &str = "Products";

/// What product did for one reservation: a copy is given back only if it
/// was taken for it, and only once. A cancel that arrives before the
/// reservation did leaves `Released`, so the copy is never taken afterwards.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Allocation {
    pub reservation_id: String,
    pub product_id: String,
    pub customer_id: String,
    pub status: Option<AllocationStatus>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AllocationStatus {
    /// A copy is set aside for the reservation.
    Taken,
    /// There was none; nothing to give back.
    Short,
    /// Given back, or canceled before any was taken.
    Released,
}

/// The allocation's own record of what happened (never published).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, strum::VariantNames, schemars::JsonSchema)]
#[serde(tag = "type", content = "data", rename_all_fields = "camelCase")]
pub enum AllocationEvent {
    CopyTaken { reservation_id: String, product_id: String, customer_id: String },
    CopyShort { reservation_id: String, product_id: String, customer_id: String },
    CopyReleased { reservation_id: String, product_id: String },
}

impl Aggregate for Allocation {
    const TYPE: &'static str = "Allocation";
    const RECORDED: &'static [&'static str] = &["CopyTaken", "CopyShort", "CopyReleased"];
    type Command = AllocationEvent;
    type Event = AllocationEvent;
    type Error = ProductError;

    fn handle(&self, event: AllocationEvent) -> Result<Vec<AllocationEvent>, ProductError> {
        Ok(vec![event])
    }

    fn apply(&mut self, event: &AllocationEvent) {
        let (reservation_id, product_id, status) = match event {
            AllocationEvent::CopyTaken { reservation_id, product_id, customer_id } => {
                self.customer_id = customer_id.clone();
                (reservation_id, product_id, AllocationStatus::Taken)
            }
            AllocationEvent::CopyShort { reservation_id, product_id, customer_id } => {
                self.customer_id = customer_id.clone();
                (reservation_id, product_id, AllocationStatus::Short)
            }
            AllocationEvent::CopyReleased { reservation_id, product_id } => {
                (reservation_id, product_id, AllocationStatus::Released)
            }
        };
        self.reservation_id = reservation_id.clone();
        if !product_id.is_empty() {
            self.product_id = product_id.clone();
        }
        self.status = Some(status);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ProductEvent::*;
    use framework::aggregate::given;

    fn registered(stock: u64) -> ProductEvent {
        StockIncreased {
            product_id: "p1".into(),
            title: "The Little Prince".into(),
            quantity: stock,
            stock,
            reservation_id: None,
        }
    }

    fn taken(stock: u64) -> ProductEvent {
        StockDecreased {
            product_id: "p1".into(),
            title: "The Little Prince".into(),
            reservation_id: "r1".into(),
            customer_id: "alice".into(),
            stock,
        }
    }

    #[test]
    fn registering_a_book_increases_its_stock_from_nothing() {
        let state = given::<Product>([])
            .when(Command::Register { product_id: "p1".into(), title: "The Little Prince".into(), stock: 3 })
            .then_expect(vec![registered(3)]);
        assert_eq!((state.stock, state.received), (3, 3));
    }

    #[test]
    fn received_copies_add_to_the_stock() {
        let state = given::<Product>([registered(1)]).when(Command::Receive { quantity: 2 }).then_expect(vec![
            StockIncreased {
                product_id: "p1".into(),
                title: "The Little Prince".into(),
                quantity: 2,
                stock: 3,
                reservation_id: None,
            },
        ]);
        assert_eq!(state.stock, 3);
        assert_eq!(given::<Product>([]).when(Command::Receive { quantity: 2 }).then_refuse(), ProductError::Unknown);
    }

    #[test]
    fn a_reservation_takes_a_copy_or_meets_a_shortage() {
        let state = given::<Product>([registered(1)])
            .when(Command::Take { reservation_id: "r1".into(), customer_id: "alice".into() })
            .then_expect(vec![taken(0)]);
        assert_eq!((state.stock, state.taken), (0, 1));
        given::<Product>([registered(1), taken(0)])
            .when(Command::Take { reservation_id: "r2".into(), customer_id: "carol".into() })
            .then_expect(vec![StockShortage { product_id: "p1".into(), reservation_id: "r2".into() }]);
    }

    #[test]
    fn a_restored_copy_keeps_the_stock_equation() {
        let state = given::<Product>([registered(1), taken(0)])
            .when(Command::Restore { reservation_id: "r1".into() })
            .then_expect(vec![StockIncreased {
                product_id: "p1".into(),
                title: "The Little Prince".into(),
                quantity: 1,
                stock: 1,
                reservation_id: Some("r1".into()),
            }]);
        assert_eq!(state.stock, state.received - state.taken + state.restored);
    }

    #[test]
    fn a_release_before_the_take_marks_the_allocation_released() {
        let state = given::<Allocation>([])
            .when(AllocationEvent::CopyReleased { reservation_id: "r1".into(), product_id: "p1".into() })
            .then_expect(vec![AllocationEvent::CopyReleased { reservation_id: "r1".into(), product_id: "p1".into() }]);
        assert_eq!(state.status, Some(AllocationStatus::Released));
    }
}
