//! Blue stickies of the product context: staff register books and receive
//! copies; anyone reads the catalog.

use std::sync::Arc;

use framework::Origin;
use framework::commit::{execute, load};
use framework::http::{self, ApiError, Caller};
use framework::store::{Query, Table};
use lambda_http::{Body, Request, Response};
use serde::{Deserialize, Serialize};

use crate::SOURCE;
use crate::product::{Command, PRODUCTS, Product, ProductError};

type Reply = Result<Response<Body>, ApiError>;

const MAX_COPIES: u64 = 1_000_000;

#[derive(Debug, Serialize)]
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RegisterProduct {
    title: String,
    stock: i64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IncreaseStock {
    quantity: i64,
}

fn copies(field: &str, value: i64, min: u64) -> Result<u64, ApiError> {
    u64::try_from(value)
        .ok()
        .filter(|n| (min..=MAX_COPIES).contains(n))
        .ok_or_else(|| ApiError::invalid_field(field, format!("must be a whole number from {min} to {MAX_COPIES}")))
}

fn refused(e: ProductError) -> ApiError {
    match e {
        ProductError::Unknown => ApiError::not_found("product", ""),
        ProductError::AlreadyRegistered => ApiError::conflict("already_registered", e.to_string()),
    }
}

/// `POST /products {title, stock}` (staff) → 201: a book with its first copies.
pub async fn register_product(table: Arc<dyn Table>, request: Request) -> Reply {
    let caller = Caller::of(&request)?;
    caller.require_staff()?;
    let input: RegisterProduct = http::body(&request)?;
    let title = http::text_field("title", &input.title, 200)?;
    let stock = copies("stock", input.stock, 0)?;
    let product_id = framework::new_id();
    let origin = Origin { source: SOURCE, correlation_id: product_id.clone() };
    let done = execute::<Product, _>(&*table, &product_id, &origin, None, |_| Command::Register {
        product_id: product_id.clone(),
        title: title.clone(),
        stock,
    })
    .await
    .map_err(|e| ApiError::from_execute(e, refused))?;
    tracing::info!(product_id, stock, "product registered");
    http::created(&format!("/products/{product_id}"), &ProductView::from(&done.aggregate.state))
}

/// `POST /products/{productId}/stock {quantity}` (staff): copies received.
pub async fn increase_stock(table: Arc<dyn Table>, request: Request) -> Reply {
    let caller = Caller::of(&request)?;
    caller.require_staff()?;
    let product_id = http::path_param(&request, "productId")?;
    let input: IncreaseStock = http::body(&request)?;
    let quantity = copies("quantity", input.quantity, 1)?;
    let origin = Origin { source: SOURCE, correlation_id: product_id.clone() };
    let done = execute::<Product, _>(&*table, &product_id, &origin, None, |_| Command::Receive { quantity })
        .await
        .map_err(|e| {
            ApiError::from_execute(e, |refusal| match refusal {
                ProductError::Unknown => ApiError::not_found("product", &product_id),
                other => refused(other),
            })
        })?;
    http::ok(&ProductView::from(&done.aggregate.state))
}

/// `GET /products`: every book, in the order registered.
pub async fn list_products(table: Arc<dyn Table>, request: Request) -> Reply {
    Caller::of(&request)?;
    let items = table.query(&Query::index(PRODUCTS)).await?;
    let products: Vec<Product> = items.into_iter().filter_map(|i| serde_json::from_value(i.body).ok()).collect();
    http::ok(&products.iter().map(ProductView::from).collect::<Vec<_>>())
}

/// `GET /products/{productId}`.
pub async fn get_product(table: Arc<dyn Table>, request: Request) -> Reply {
    Caller::of(&request)?;
    let product_id = http::path_param(&request, "productId")?;
    let product = load::<Product>(&*table, &product_id).await?;
    if !product.exists() {
        return Err(ApiError::not_found("product", &product_id));
    }
    http::ok(&ProductView::from(&product.state))
}
