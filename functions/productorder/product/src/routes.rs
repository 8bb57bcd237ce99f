//! The routes of the product context: each turns its request into a typed
//! command or query, and the outcome into the contract's JSON. The
//! context's own refusals become the contract's errors here, in one place.

use std::sync::Arc;

use framework::http::{self, ApiError, Caller};
use framework::store::Table;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::{Deserialize, Serialize};

use crate::commands::{self, AddProduct, IncreaseStock};
use crate::product::{Product, ProductError};
use crate::queries;
use framework::api::Api;

type Reply = Result<Response<Body>, ApiError>;

impl From<ProductError> for ApiError {
    fn from(e: ProductError) -> Self {
        match e {
            ProductError::AlreadyAdded { item_cd } => {
                ApiError::conflict("already_added", format!("Item {item_cd} is added already; restock it instead."))
            }
            ProductError::Unknown => ApiError::new(StatusCode::NOT_FOUND, "not_found", "No such item."),
        }
    }
}

/// An item as the contract shows it.
#[derive(Debug, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProductView<'a> {
    item_cd: &'a str,
    name: &'a str,
    price: u64,
    quantity: u64,
}

impl<'a> From<&'a Product> for ProductView<'a> {
    fn from(p: &'a Product) -> Self {
        Self { item_cd: &p.item_cd, name: &p.name, price: p.price, quantity: p.quantity }
    }
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct AddBody {
    #[schemars(length(min = 1, max = MAX_ITEM_CD), pattern(r"^[A-Za-z0-9_-]+$"))]
    #[schemars(example = "ITEM-001")]
    item_cd: String,
    #[schemars(length(max = MAX_NAME), pattern(http::NOT_BLANK))]
    #[schemars(example = &"Mug")]
    name: String,
    #[schemars(range(min = 1, max = MAX_PRICE))]
    #[serde(deserialize_with = "http::whole")]
    #[schemars(example = 12000)]
    price: i64,
    #[schemars(range(min = 0, max = MAX_QUANTITY))]
    #[serde(deserialize_with = "http::whole")]
    #[schemars(example = 5)]
    quantity: i64,
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct IncreaseBody {
    #[schemars(range(min = 1, max = MAX_QUANTITY))]
    #[serde(deserialize_with = "http::whole")]
    #[schemars(example = 5)]
    quantity: i64,
}

const MAX_ITEM_CD: usize = 32;
const MAX_NAME: usize = 100;
const MAX_PRICE: u64 = 10_000_000;
const MAX_QUANTITY: u64 = 1_000_000;

/// 1 to 32 letters, digits, `-` or `_`: it is part of a URL (`/products/{itemCd}`).
fn item_cd(value: &str) -> Result<String, ApiError> {
    let valid = !value.is_empty()
        && value.len() <= MAX_ITEM_CD
        && value.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if valid {
        Ok(value.to_owned())
    } else {
        Err(ApiError::invalid_field("itemCd", format!("must be 1 to {MAX_ITEM_CD} letters, digits, '-' or '_'")))
    }
}

/// A whole number from `min` to `max`, or the contract's `400` naming `field`.
fn whole(field: &str, value: i64, min: u64, max: u64) -> Result<u64, ApiError> {
    u64::try_from(value)
        .ok()
        .filter(|n| (min..=max).contains(n))
        .ok_or_else(|| ApiError::invalid_field(field, format!("must be a whole number from {min} to {max}")))
}

/// The routes as the published contract states them (`cargo contract generate`).
pub const API: &[Api] = &[
    Api::created::<ProductView>("add-product", "Add an item with its first stock").body::<AddBody>().refuses(&[409]),
    Api::ok::<ProductView>("increase-stock", "Restock an item").body::<IncreaseBody>(),
    Api::page::<ProductView>("list-products", "Every item and its stock"),
    Api::ok::<ProductView>("get-product", "One item and its stock"),
];

/// `POST /products {itemCd, name, price, quantity}` (staff) → 201 with `Location`.
pub async fn add_product(table: Arc<dyn Table>, request: Request) -> Reply {
    let caller = Caller::of(&request)?;
    // Before the body is read: a customer learns nothing of its validation.
    caller.require_staff()?;
    let input: AddBody = http::body(&request)?;
    let command = AddProduct {
        item_cd: item_cd(&input.item_cd)?,
        name: http::text_field("name", &input.name, MAX_NAME)?,
        price: whole("price", input.price, 1, MAX_PRICE)?,
        quantity: whole("quantity", input.quantity, 0, MAX_QUANTITY)?,
    };
    let product = commands::add_product(&*table, &caller, command).await?;
    http::created(&format!("/products/{}", product.item_cd), &ProductView::from(&product))
}

/// `POST /products/{itemCd}/stock {quantity}` (staff) → 200 with the new quantity.
pub async fn increase_stock(table: Arc<dyn Table>, request: Request) -> Reply {
    let caller = Caller::of(&request)?;
    // Before the path and body are read, as for `add-product`.
    caller.require_staff()?;
    let item_cd = http::path_param(&request, "itemCd")?;
    let input: IncreaseBody = http::body(&request)?;
    let command = IncreaseStock { item_cd, quantity: whole("quantity", input.quantity, 1, MAX_QUANTITY)? };
    let product = commands::increase_stock(&*table, &caller, command).await?;
    http::ok(&ProductView::from(&product))
}

/// `GET /products` (any user): every item, by item code.
pub async fn list_products(table: Arc<dyn Table>, request: Request) -> Reply {
    Caller::of(&request)?;
    let page = http::page_request(&request)?;
    let products = queries::list_products(&*table, &page).await?;
    let views = products.items.iter().map(ProductView::from).collect::<Vec<_>>();
    http::page(&request, &views, products.next.as_ref())
}

/// `GET /products/{itemCd}` (any user).
pub async fn get_product(table: Arc<dyn Table>, request: Request) -> Reply {
    Caller::of(&request)?;
    let item_cd = http::path_param(&request, "itemCd")?;
    let product = queries::get_product(&*table, &item_cd).await?;
    http::ok(&ProductView::from(&product))
}

#[cfg(test)]
mod tests {
    use embedded::SqliteTable;
    use framework::testing::ApiRequest;

    use super::*;

    fn request(method: &str, path: &str, staff: bool, body: Option<&str>) -> Request {
        let sub = if staff { "bob" } else { "alice" };
        ApiRequest::new(method, path)
            .by(sub)
            .staff(staff)
            .body(body)
            .routes(&["/products/{itemCd}", "/products/{itemCd}/stock"])
            .into()
    }

    fn table() -> Arc<dyn Table> {
        Arc::new(SqliteTable::open(None).unwrap())
    }

    fn json(response: &Response<Body>) -> serde_json::Value {
        serde_json::from_slice(response.body().as_ref()).unwrap()
    }

    const MOUSE: &str = r#"{"itemCd":"ITEM-001","name":"Wireless Mouse","price":12000,"quantity":10}"#;

    #[test]
    fn an_item_code_is_letters_digits_dashes_and_underscores() {
        assert_eq!(item_cd("ITEM-001_a").unwrap(), "ITEM-001_a");
        for bad in ["", "ITEM 001", "ITEM/001", "상품1", &"x".repeat(33)] {
            assert_eq!(item_cd(bad).unwrap_err().field.as_deref(), Some("itemCd"), "{bad:?}");
        }
    }

    #[test]
    fn each_refusal_is_the_contracts_status() {
        let answer = |e: ProductError| {
            let e = ApiError::from(e);
            (e.status.as_u16(), e.code)
        };
        assert_eq!(answer(ProductError::AlreadyAdded { item_cd: "ITEM-001".into() }), (409, "already_added"));
        assert_eq!(answer(ProductError::Unknown), (404, "not_found"));
    }

    #[tokio::test]
    async fn adding_answers_201_with_the_item_and_its_location_then_409() {
        let table = table();
        let response = add_product(table.clone(), request("POST", "/products", true, Some(MOUSE))).await.unwrap();
        assert_eq!(response.status().as_u16(), 201);
        assert_eq!(response.headers()["location"], "/products/ITEM-001");
        assert_eq!(
            json(&response),
            serde_json::json!({"itemCd": "ITEM-001", "name": "Wireless Mouse", "price": 12000, "quantity": 10})
        );
        let again = add_product(table.clone(), request("POST", "/products", true, Some(MOUSE))).await.unwrap_err();
        assert_eq!((again.status.as_u16(), again.code), (409, "already_added"));
    }

    #[tokio::test]
    async fn a_bad_field_is_named_and_a_customer_is_refused_before_the_body_is_read() {
        let table = table();
        for (body, field) in [
            (r#"{"itemCd":"ITEM 001","name":"Mouse","price":12000,"quantity":10}"#, "itemCd"),
            (r#"{"itemCd":"ITEM-001","name":" ","price":12000,"quantity":10}"#, "name"),
            (r#"{"itemCd":"ITEM-001","name":"Mouse","price":0,"quantity":10}"#, "price"),
            (r#"{"itemCd":"ITEM-001","name":"Mouse","price":10000001,"quantity":10}"#, "price"),
            (r#"{"itemCd":"ITEM-001","name":"Mouse","price":12.5,"quantity":10}"#, "price"),
            (r#"{"itemCd":"ITEM-001","name":"Mouse","price":12000,"quantity":-1}"#, "quantity"),
            (r#"{"itemCd":"ITEM-001","name":"Mouse","price":12000,"quantity":1000001}"#, "quantity"),
            (r#"{"itemCd":"ITEM-001","name":"Mouse","price":12000}"#, "quantity"),
        ] {
            let refused = add_product(table.clone(), request("POST", "/products", true, Some(body))).await.unwrap_err();
            assert_eq!((refused.status.as_u16(), refused.field.as_deref()), (400, Some(field)), "{body}");
        }
        let long_name = format!(r#"{{"itemCd":"ITEM-001","name":"{}","price":1,"quantity":0}}"#, "n".repeat(101));
        let refused =
            add_product(table.clone(), request("POST", "/products", true, Some(&long_name))).await.unwrap_err();
        assert_eq!(refused.field.as_deref(), Some("name"));
        let refused =
            add_product(table.clone(), request("POST", "/products", false, Some("not json"))).await.unwrap_err();
        assert_eq!(refused.status.as_u16(), 403);
        assert_eq!(
            json(&list_products(table, request("GET", "/products", false, None)).await.unwrap()),
            serde_json::json!([])
        );
    }

    #[tokio::test]
    async fn restocking_answers_200_with_the_new_quantity() {
        let table = table();
        let restock = |staff: bool, body: &'static str| {
            increase_stock(table.clone(), request("POST", "/products/ITEM-001/stock", staff, Some(body)))
        };
        assert_eq!(restock(true, r#"{"quantity":5}"#).await.unwrap_err().status.as_u16(), 404);
        add_product(table.clone(), request("POST", "/products", true, Some(MOUSE))).await.unwrap();
        assert_eq!(restock(false, r#"{"quantity":5}"#).await.unwrap_err().status.as_u16(), 403);
        for bad in [r#"{"quantity":0}"#, r#"{"quantity":1000001}"#, r#"{}"#] {
            let refused = restock(true, bad).await.unwrap_err();
            assert_eq!((refused.status.as_u16(), refused.field.as_deref()), (400, Some("quantity")), "{bad}");
        }
        let response = restock(true, r#"{"quantity":5}"#).await.unwrap();
        assert_eq!(response.status().as_u16(), 200);
        assert_eq!(json(&response)["quantity"], 15);
    }

    #[tokio::test]
    async fn any_user_reads_the_items() {
        let table = table();
        add_product(table.clone(), request("POST", "/products", true, Some(MOUSE))).await.unwrap();
        let list = list_products(table.clone(), request("GET", "/products", false, None)).await.unwrap();
        assert_eq!(json(&list)[0]["itemCd"], "ITEM-001");
        let one = get_product(table.clone(), request("GET", "/products/ITEM-001", false, None)).await.unwrap();
        assert_eq!(json(&one)["price"], 12000);
        let none = get_product(table.clone(), request("GET", "/products/ITEM-404", false, None)).await.unwrap_err();
        assert_eq!(none.status.as_u16(), 404);
    }

    #[tokio::test]
    async fn a_limited_list_links_the_next_page_until_the_last() {
        use lambda_http::RequestExt;
        let table = table();
        for code in ["ITEM-001", "ITEM-002"] {
            let body = MOUSE.replace("ITEM-001", code);
            add_product(table.clone(), request("POST", "/products", true, Some(&body))).await.unwrap();
        }
        let listed = |query: Vec<(&str, String)>| {
            let params: std::collections::HashMap<String, String> =
                query.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
            list_products(table.clone(), request("GET", "/products", false, None).with_query_string_parameters(params))
        };
        let first = listed(vec![("limit", "1".into())]).await.unwrap();
        assert_eq!(json(&first), serde_json::json!([json(&first)[0]]), "one item");
        assert_eq!(json(&first)[0]["itemCd"], "ITEM-001");
        let link = first.headers()["link"].to_str().unwrap().to_owned();
        let cursor = link.split("cursor=").nth(1).and_then(|rest| rest.split('>').next()).unwrap().to_owned();
        let second = listed(vec![("limit", "1".into()), ("cursor", cursor)]).await.unwrap();
        assert_eq!(json(&second)[0]["itemCd"], "ITEM-002");
        assert!(second.headers().get("link").is_none(), "the last page links nothing");
        let refused = listed(vec![("limit", "0".into())]).await.unwrap_err();
        assert_eq!((refused.status.as_u16(), refused.field.as_deref()), (400, Some("limit")));
    }
}
