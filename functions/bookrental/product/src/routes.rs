//! The routes of the product context: each turns its request into a typed
//! command or query, and the outcome into the contract's JSON. The
//! context's own refusals become the contract's errors here, in one place.

use std::sync::Arc;

use framework::http::{self, ApiError, Caller};
use framework::store::Table;
use lambda_http::{Body, Request, Response};
use serde::{Deserialize, Serialize};

use crate::commands::{self, IncreaseStock, RegisterProduct};
use crate::product::{Product, ProductError};
use crate::queries;
use framework::api::Api;

type Reply = Result<Response<Body>, ApiError>;

const MAX_COPIES: u64 = 1_000_000;

impl From<ProductError> for ApiError {
    fn from(e: ProductError) -> Self {
        match e {
            ProductError::Unknown => ApiError::not_found("product", ""),
            ProductError::AlreadyRegistered => ApiError::conflict("already_registered", e.to_string()),
        }
    }
}

/// A book as the contract shows it.
#[derive(Debug, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
struct ProductView<'a> {
    product_id: &'a str,
    title: &'a str,
    stock: u64,
}

impl<'a> From<&'a Product> for ProductView<'a> {
    fn from(p: &'a Product) -> Self {
        Self { product_id: &p.product_id, title: &p.title, stock: p.stock }
    }
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct RegisterBody {
    #[schemars(length(max = 200), pattern(http::NOT_BLANK))]
    #[schemars(example = "The Little Prince")]
    title: String,
    #[schemars(range(min = 0, max = 1_000_000))]
    #[serde(deserialize_with = "http::whole")]
    #[schemars(example = 2)]
    stock: i64,
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct IncreaseBody {
    #[schemars(range(min = 1, max = 1_000_000))]
    #[serde(deserialize_with = "http::whole")]
    #[schemars(example = 1)]
    quantity: i64,
}

fn copies(field: &str, value: i64, min: u64) -> Result<u64, ApiError> {
    u64::try_from(value)
        .ok()
        .filter(|n| (min..=MAX_COPIES).contains(n))
        .ok_or_else(|| ApiError::invalid_field(field, format!("must be a whole number from {min} to {MAX_COPIES}")))
}

/// The routes as the published contract states them (`cargo contract generate`).
pub const API: &[Api] = &[
    Api::created::<ProductView>("register-product", "Register a book with its first copies").body::<RegisterBody>(),
    Api::ok::<ProductView>("increase-stock", "Add copies of a book").body::<IncreaseBody>(),
    Api::page::<ProductView>("list-products", "Every book and its stock"),
    Api::ok::<ProductView>("get-product", "One book and its stock"),
];

/// `POST /products {title, stock}` (staff) → 201: a book with its first copies.
pub async fn register_product(table: Arc<dyn Table>, request: Request) -> Reply {
    let caller = Caller::of(&request)?;
    // Before the body is read: a customer learns nothing of its validation.
    caller.require_staff()?;
    let input: RegisterBody = http::body(&request)?;
    let command = RegisterProduct {
        title: http::text_field("title", &input.title, 200)?,
        stock: copies("stock", input.stock, 0)?,
    };
    let product = commands::register_product(&*table, &caller, command).await?;
    http::created(&format!("/products/{}", product.product_id), &ProductView::from(&product))
}

/// `POST /products/{productId}/stock {quantity}` (staff): copies received.
pub async fn increase_stock(table: Arc<dyn Table>, request: Request) -> Reply {
    let caller = Caller::of(&request)?;
    // Before the path and body are read, as for `register-product`.
    caller.require_staff()?;
    let product_id = http::path_param(&request, "productId")?;
    let input: IncreaseBody = http::body(&request)?;
    let command = IncreaseStock { product_id, quantity: copies("quantity", input.quantity, 1)? };
    let product = commands::increase_stock(&*table, &caller, command).await?;
    http::ok(&ProductView::from(&product))
}

/// `GET /products`: every book, in the order registered.
pub async fn list_products(table: Arc<dyn Table>, request: Request) -> Reply {
    Caller::of(&request)?;
    let page = http::page_request(&request)?;
    let products = queries::list_products(&*table, &page).await?;
    let views = products.items.iter().map(ProductView::from).collect::<Vec<_>>();
    http::page(&request, &views, products.next.as_ref())
}

/// `GET /products/{productId}`.
pub async fn get_product(table: Arc<dyn Table>, request: Request) -> Reply {
    Caller::of(&request)?;
    let product_id = http::path_param(&request, "productId")?;
    let product = queries::get_product(&*table, &product_id).await?;
    http::ok(&ProductView::from(&product))
}
