//! Every sample in `events/` (what `sam local invoke` and `cargo lambda
//! invoke` feed a function) is fed here to the function the template names,
//! through the same deserialization the Lambda runtime uses, in the order of
//! one story, and its answer is checked.

use std::path::PathBuf;
use std::sync::Arc;

use acceptance::repo_root;
use aws_lambda_events::event::sqs::SqsEvent;
use embedded::SqliteTable;
use framework::store::Table;
use framework::{Deps, Function};
use functions::{
    bookrental_delivery, bookrental_mypage, bookrental_product, bookrental_reservation, bookreservation_customer,
    bookreservation_reservation, bookreservation_stock, gamereward_gift, gamereward_mission, gamereward_mypage,
    gamereward_reward, gamereward_wallet, productorder_customercenter, productorder_delivery, productorder_notice,
    productorder_order, productorder_pay, productorder_product, rentcar_car, rentcar_mypage, rentcar_payment,
    rentcar_rating, rentcar_rental, rentcar_reservation,
};
use lambda_http::request::LambdaRequest;
use serde_json::Value;

const R1: &str = "0192f0c4-2b1e-7c3a-9a51-4e3b2f1d0a11";
const R2: &str = "0192f0c4-3c2f-7d4b-8b62-5f4c3e2e1b22";

fn sample_of(system: &str, handler: &str) -> String {
    let path: PathBuf = repo_root().join("events").join(system).join(format!("{handler}.json"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

struct Context {
    system: &'static str,
    deps: Deps,
    table: Arc<dyn Table>,
    functions: framework::Functions,
}

impl Context {
    fn new(functions: framework::Functions) -> Self {
        Self::of("bookreservation", functions)
    }

    fn of(system: &'static str, functions: framework::Functions) -> Self {
        let table: Arc<dyn Table> = Arc::new(SqliteTable::open(None).unwrap());
        Self { system, deps: Deps::new(table.clone()), table, functions }
    }

    fn function(&self, handler: &str) -> Function {
        framework::function(self.functions, handler, self.deps.clone())
            .unwrap_or_else(|| panic!("no function {handler}"))
    }

    /// Feeds the sample to an HTTP function; returns status and JSON body.
    async fn http(&self, handler: &str) -> (u16, Value) {
        let Function::Http(run) = self.function(handler) else { panic!("{handler} is not an HTTP function") };
        let event: LambdaRequest =
            serde_json::from_str(&sample_of(self.system, handler)).expect("an API Gateway request");
        let response = run(event.into()).await;
        let body = serde_json::from_slice(response.body().as_ref()).unwrap_or(Value::Null);
        (response.status().as_u16(), body)
    }

    /// Feeds the sample (a Lambda Invoke payload) to an internal function; returns its reply.
    async fn internal(&self, handler: &str) -> Value {
        let Function::Internal(run) = self.function(handler) else { panic!("{handler} is not an internal function") };
        run(serde_json::from_str(&sample_of(self.system, handler)).expect("JSON")).await
    }

    /// Feeds the sample to a queue function; returns the ids it asked to retry.
    async fn queue(&self, handler: &str) -> Vec<String> {
        let Function::Queue { run, .. } = self.function(handler) else { panic!("{handler} is not a queue function") };
        let event: SqsEvent = serde_json::from_str(&sample_of(self.system, handler)).expect("an SQS event");
        run(event, framework::queue::Deadline::none())
            .await
            .batch_item_failures
            .into_iter()
            .map(|f| f.item_identifier)
            .collect()
    }
}

#[test]
fn every_function_in_the_template_has_a_sample_event() {
    let systems = local::template::load(&repo_root().join("template.yaml")).unwrap();
    for system in systems {
        for function in &system.functions {
            let name = if function.handler == "relay" {
                format!("relay-{}", function.context)
            } else {
                function.handler.clone()
            };
            let path = repo_root().join("events").join(&system.name).join(format!("{name}.json"));
            assert!(path.exists(), "{} has no sample at {}", function.logical_id, path.display());
        }
    }
}

#[tokio::test]
async fn reservation_samples_tell_their_story() {
    let reservation = Context::new(bookreservation_reservation::FUNCTIONS);
    assert!(reservation.queue("book-list-view").await.is_empty());
    let (status, books) = reservation.http("list-books").await;
    assert_eq!(status, 200);
    assert_eq!(books[0]["title"], "Clean Code");

    let (status, requested) = reservation.http("request-reservation").await;
    assert_eq!((status, requested["status"].as_str()), (202, Some("Requested")));

    // The sample answers are about R1 (alice) and R2 (carol), requested earlier.
    for (id, customer) in [(R1, "alice"), (R2, "carol")] {
        let origin = framework::Origin { source: bookreservation_reservation::SOURCE, correlation_id: id.into() };
        framework::commit::execute::<bookreservation_reservation::reservation::Reservation, _>(
            &*reservation.table,
            id,
            &origin,
            None,
            |_| bookreservation_reservation::reservation::Command::Request {
                reservation_id: id.into(),
                book_id: "isbn-9788966260959".into(),
                title: "Clean Code".into(),
                customer_id: customer.into(),
            },
        )
        .await
        .unwrap();
    }
    assert!(reservation.queue("confirm-reservation").await.is_empty());
    let (status, r1) = reservation.http("get-reservation").await;
    assert_eq!((status, r1["status"].as_str()), (200, Some("Reserved")));
    let (status, mine) = reservation.http("list-reservations").await;
    assert_eq!((status, mine.as_array().map(Vec::len)), (200, Some(2)), "R1 and the one requested above");
    let (status, canceled) = reservation.http("cancel-reservation").await;
    assert_eq!((status, canceled["status"].as_str()), (200, Some("Canceled")));
}

#[tokio::test]
async fn stock_samples_tell_their_story() {
    let stock = Context::new(bookreservation_stock::FUNCTIONS);
    let (status, received) = stock.http("receive-stock").await;
    assert_eq!((status, received["quantity"].as_u64()), (200, Some(3)));
    assert!(stock.queue("reserve-stock").await.is_empty(), "R1 reserved, R2 refused (unknown book)");
    let (status, after) = stock.http("get-stock").await;
    assert_eq!((status, after["quantity"].as_u64()), (200, Some(2)));
    assert!(stock.queue("restore-stock").await.is_empty());
    assert_eq!(stock.http("get-stock").await.1["quantity"], 3);
}

#[tokio::test]
async fn customer_samples_tell_their_story() {
    let customer = Context::new(bookreservation_customer::FUNCTIONS);
    assert!(customer.queue("notify-customer").await.is_empty(), "raw and SNS-wrapped records are both read");
    let (status, notes) = customer.http("list-notifications").await;
    assert_eq!(status, 200);
    assert_eq!(notes.as_array().map(Vec::len), Some(1), "alice hears of her own reservation only");
    assert_eq!(notes[0]["kind"], "Reserved");
}

#[tokio::test]
async fn the_health_samples_are_answered_without_a_token() {
    for system in ["bookreservation", "gamereward", "bookrental"] {
        let event: LambdaRequest = serde_json::from_str(&sample_of(system, "health")).expect("an API Gateway request");
        let response = framework::http::health()(event.into()).await;
        assert_eq!(response.status().as_u16(), 200, "{system}");
        let body: Value = serde_json::from_slice(response.body().as_ref()).unwrap();
        assert_eq!(body, serde_json::json!({"status": "ok"}), "{system}");
    }
}

// gamereward: one story, alice's mission M1, whose reward, wallet entry
// and gift ids follow from it (framework::derived_id), as in the samples.
const M1: &str = "0193a0c1-1a2b-7c3d-8e4f-5a6b7c8d9e01";

#[tokio::test]
async fn mission_samples_tell_their_story() {
    let mission = Context::of("gamereward", gamereward_mission::FUNCTIONS);
    let (status, achieved) = mission.http("achieve-mission").await;
    assert_eq!((status, achieved["status"].as_str()), (201, Some("Achieved")));
    let origin = framework::Origin { source: gamereward_mission::SOURCE, correlation_id: M1.into() };
    framework::commit::execute::<gamereward_mission::mission::Mission, _>(&*mission.table, M1, &origin, None, |_| {
        gamereward_mission::mission::Command::Achieve {
            mission_id: M1.into(),
            name: "First Quest".into(),
            customer_id: "alice".into(),
        }
    })
    .await
    .unwrap();
    assert!(mission.queue("record-reward").await.is_empty());
    let (status, m1) = mission.http("get-mission").await;
    assert_eq!(
        (status, m1["rewardId"].as_str()),
        (200, Some(gamereward_reward::reward::reward_of_mission(M1).as_str()))
    );
}

#[tokio::test]
async fn reward_samples_tell_their_story() {
    let reward = Context::of("gamereward", gamereward_reward::FUNCTIONS);
    assert!(reward.queue("allocate-reward").await.is_empty());
    let (status, allocated) = reward.http("get-reward").await;
    assert_eq!(
        (status, allocated["missionId"].as_str(), allocated["status"].as_str()),
        (200, Some(M1), Some("Allocated"))
    );
    assert!(reward.queue("mark-reward-exchanged").await.is_empty());
    assert_eq!(reward.http("get-reward").await.1["status"], "Exchanged");
}

/// Gift's internal function, called in-process (what Lambda Invoke does on AWS).
struct InProcess(framework::call::InternalFn);

impl framework::call::Remote for InProcess {
    fn invoke(&self, request: Value) -> framework::store::BoxFuture<'_, Result<Value, framework::call::RemoteError>> {
        Box::pin(async move { Ok((self.0)(request).await) })
    }
}

#[tokio::test]
async fn wallet_and_gift_samples_tell_their_story() {
    let gift = Context::of("gamereward", gamereward_gift::FUNCTIONS);
    let Function::Internal(issue) = gift.function("issue-gift") else { panic!("issue-gift is internal") };
    let mut wallet = Context::of("gamereward", gamereward_wallet::FUNCTIONS);
    wallet.deps.remotes.insert(gamereward_wallet::GIFT_FUNCTION.into(), Arc::new(InProcess(issue)));
    assert!(wallet.queue("issue-wallet-entry").await.is_empty());
    let (status, entries) = wallet.http("list-wallets").await;
    assert_eq!((status, entries[0]["status"].as_str()), (200, Some("Issued")));
    let (status, exchanged) = wallet.http("exchange-reward").await;
    assert_eq!((status, exchanged["status"].as_str()), (200, Some("Exchanged")), "{exchanged}");

    // The sample call is the one wallet just made: the same gift comes back,
    // and gift's event of it, heard by wallet, changes nothing more.
    let reply = gift.internal("issue-gift").await;
    assert_eq!((reply["status"].as_u64(), &reply["body"]["giftId"]), (Some(200), &exchanged["giftId"]));
    assert!(wallet.queue("follow-gift").await.is_empty());
    assert_eq!(wallet.http("list-wallets").await.1[0]["giftId"], exchanged["giftId"]);
    let (status, issued) = gift.http("get-gift").await;
    assert_eq!((status, issued["status"].as_str()), (200, Some("Issued")));
    let (status, used) = gift.http("use-gift").await;
    assert_eq!((status, used["status"].as_str()), (200, Some("Used")));
}

#[tokio::test]
async fn mypage_samples_tell_their_story() {
    let mypage = Context::of("gamereward", gamereward_mypage::FUNCTIONS);
    assert!(mypage.queue("mypage-view").await.is_empty(), "raw and SNS-wrapped records are both read");
    let (status, rows) = mypage.http("get-mypage").await;
    assert_eq!(status, 200);
    assert_eq!(rows.as_array().map(Vec::len), Some(1));
    let row = &rows[0];
    assert_eq!(
        (row["missionId"].as_str(), row["walletStatus"].as_str(), row["giftStatus"].as_str()),
        (Some(M1), Some("Exchanged"), Some("Used"))
    );
}

// bookrental: alice's reservation R1 of book P1 (carol's R2 meets a shortage).
const P1: &str = "0193b0d2-0a1b-7c2d-8e3f-4a5b6c7d8e10";
const BR1: &str = "0193b0d2-1a2b-7c3d-8e4f-5a6b7c8d9e11";
const BR2: &str = "0193b0d2-2b3c-7d4e-8f5a-6b7c8d9e0f12";

#[tokio::test]
async fn product_samples_tell_their_story() {
    use bookrental_product::product::{Command, Product};
    let product = Context::of("bookrental", bookrental_product::FUNCTIONS);
    let (status, registered) = product.http("register-product").await;
    assert_eq!((status, registered["stock"].as_u64()), (201, Some(3)));
    let origin = framework::Origin { source: bookrental_product::SOURCE, correlation_id: P1.into() };
    framework::commit::execute::<Product, _>(&*product.table, P1, &origin, None, |_| Command::Register {
        product_id: P1.into(),
        title: "The Little Prince".into(),
        stock: 3,
    })
    .await
    .unwrap();
    let (status, increased) = product.http("increase-stock").await;
    assert_eq!((status, increased["stock"].as_u64()), (200, Some(5)));
    assert_eq!(product.http("list-products").await.1.as_array().map(Vec::len), Some(2));
    assert!(product.queue("decrease-stock").await.is_empty());
    assert_eq!(product.http("get-product").await.1["stock"], 4, "R1 took a copy");
    assert!(product.queue("restore-stock").await.is_empty());
    assert_eq!(product.http("get-product").await.1["stock"], 5, "R1's delivery was canceled: the copy is back");
}

#[tokio::test]
async fn rental_samples_tell_their_story() {
    use bookrental_reservation::reservation::{Command, Reservation};
    let delivery = Context::of("bookrental", bookrental_delivery::FUNCTIONS);
    let Function::Internal(cancel) = delivery.function("cancel-delivery") else {
        panic!("cancel-delivery is internal")
    };
    let mut reservation = Context::of("bookrental", bookrental_reservation::FUNCTIONS);
    reservation.deps.remotes.insert(bookrental_reservation::DELIVERY_FUNCTION.into(), Arc::new(InProcess(cancel)));

    assert!(reservation.queue("product-catalog").await.is_empty());
    let (status, reserved) = reservation.http("reserve").await;
    assert_eq!((status, reserved["status"].as_str()), (201, Some("Reserved")));
    for (id, customer) in [(BR1, "alice"), (BR2, "carol")] {
        let origin = framework::Origin { source: bookrental_reservation::SOURCE, correlation_id: id.into() };
        framework::commit::execute::<Reservation, _>(&*reservation.table, id, &origin, None, |_| Command::Reserve {
            reservation_id: id.into(),
            product_id: P1.into(),
            customer_id: customer.into(),
        })
        .await
        .unwrap();
    }
    assert!(reservation.queue("reject-reservation").await.is_empty(), "R2 rejected");
    let r2 = framework::commit::load::<Reservation>(&*reservation.table, BR2).await.unwrap();
    assert_eq!(r2.state.status, Some(bookrental_reservation::reservation::Status::Rejected));

    // R1: delivery starts, is canceled by its owner (through delivery's
    // internal function), and the late news of its start, and of its cancel,
    // changes nothing.
    assert!(delivery.queue("start-delivery").await.is_empty());
    let (status, started) = delivery.http("find-delivery").await;
    assert_eq!((status, started["status"].as_str()), (200, Some("Started")));
    let (status, canceled) = reservation.http("cancel-reservation").await;
    assert_eq!((status, canceled["status"].as_str()), (200, Some("Canceled")), "{canceled}");
    assert_eq!(delivery.http("find-delivery").await.1["status"], "Canceled");
    assert!(reservation.queue("follow-delivery").await.is_empty());
    assert_eq!(reservation.http("get-reservation").await.1["status"], "Canceled");

    // The sample cancel is the one reservation made: canceling twice is one cancel.
    let reply = delivery.internal("cancel-delivery").await;
    assert_eq!((reply["status"].as_u64(), reply["body"]["status"].as_str()), (Some(200), Some("Canceled")));
    let (status, completed) = delivery.http("complete-delivery").await;
    assert_eq!((status, completed["error"]["code"].as_str()), (409, Some("invalid_state")), "a canceled delivery");
}

#[tokio::test]
async fn rental_mypage_samples_tell_their_story() {
    let mypage = Context::of("bookrental", bookrental_mypage::FUNCTIONS);
    assert!(mypage.queue("mypage-view").await.is_empty(), "raw and SNS-wrapped records are both read");
    let (status, rows) = mypage.http("get-mypage").await;
    assert_eq!(status, 200);
    assert_eq!(
        rows,
        serde_json::json!([{
            "reservationId": BR1, "productId": P1, "title": "The Little Prince",
            "reservationStatus": "Delivered", "deliveryStatus": "Delivered", "stock": 2,
        }])
    );
}

#[tokio::test]
async fn rentcar_reservation_and_payment_samples_tell_their_story() {
    use rentcar_reservation::reservation::{Booking, Command};
    let payment = Context::of("rentcar", rentcar_payment::FUNCTIONS);
    let Function::Internal(approve) = payment.function("approve-payment") else {
        panic!("approve-payment is internal")
    };
    let mut reservation = Context::of("rentcar", rentcar_reservation::FUNCTIONS);
    reservation.deps.remotes.insert(rentcar_reservation::PAYMENT_FUNCTION.into(), Arc::new(InProcess(approve)));

    // The catalog hears of car01 and of a rating of it.
    assert!(reservation.queue("car-catalog").await.is_empty());
    let (status, cars) = reservation.http("list-cars").await;
    assert_eq!((status, &cars[0]["carNo"], &cars[0]["rating"]), (200, &Value::from("car01"), &Value::from(4.0)));
    let (status, reserved) = reservation.http("reserve-car").await;
    assert_eq!((status, reserved["amount"].as_u64()), (201, Some(20_000)), "{reserved}");

    // The sample reservation R1 (alice, car01, 8 to 9 December), paid through payment's internal function.
    let origin = framework::Origin { source: rentcar_reservation::SOURCE, correlation_id: R1.into() };
    let booking = Booking {
        reservation_id: R1.into(),
        car_no: "car01".into(),
        customer_id: "alice".into(),
        rental_date: "2026-12-08".into(),
        return_date: "2026-12-09".into(),
        amount: 20_000,
    };
    rentcar_reservation::ledger::change(&*reservation.table, R1, &origin, None, |_| Command::Reserve(booking.clone()))
        .await
        .unwrap();
    assert_eq!(reservation.http("get-reservation").await.1["status"], "Reserved");
    let (status, paid) = reservation.http("pay-reservation").await;
    assert_eq!((status, paid["status"].as_str()), (200, Some("Paid")), "{paid}");

    // Payment's events heard (approved: already Paid; then canceled), and
    // rental's: the reservation ends canceled by its payment, the days free.
    assert!(reservation.queue("follow-payment").await.is_empty());
    assert!(reservation.queue("follow-rental").await.is_empty());
    let (_, canceled) = reservation.http("get-reservation").await;
    assert_eq!(
        (canceled["status"].as_str(), canceled["cancelReason"].as_str()),
        (Some("Canceled"), Some("payment_canceled"))
    );
    let (status, refused) = reservation.http("cancel-reservation").await;
    assert_eq!((status, refused["error"]["code"].as_str()), (409, Some("invalid_state")));
    assert!(reservation.queue("cancel-for-deleted-car").await.is_empty(), "car02 has no reservation");

    // Payment: the sample approval is R1's (the same payment), canceled by
    // its payer; the reservation's cancel and the car's return change nothing more.
    let reply = payment.internal("approve-payment").await;
    assert_eq!((reply["status"].as_u64(), &reply["body"]["paymentId"]), (Some(200), &paid["paymentId"]));
    let (status, refunded) = payment.http("cancel-payment").await;
    assert_eq!((status, refunded["status"].as_str()), (200, Some("Canceled")), "{refunded}");
    assert!(payment.queue("refund-canceled-reservation").await.is_empty());
    assert!(payment.queue("note-return").await.is_empty());
    let (status, again) = payment.http("cancel-payment").await;
    assert_eq!((status, again["error"]["code"].as_str()), (409, Some("invalid_state")));
}

#[tokio::test]
async fn rentcar_car_rental_rating_and_mypage_samples_tell_their_story() {
    // Car: registered, booked twice, one booking canceled and the other
    // returned (released, whatever order), so nothing is live: deleted.
    let car = Context::of("rentcar", rentcar_car::FUNCTIONS);
    let (status, registered) = car.http("register-car").await;
    assert_eq!((status, registered["status"].as_str()), (201, Some("Available")), "{registered}");
    assert!(car.queue("follow-bookings").await.is_empty());
    let (status, deleted) = car.http("delete-car").await;
    assert_eq!((status, deleted["status"].as_str()), (200, Some("Deleted")), "{deleted}");

    // Rental: one rental for an approval delivered twice, returned by staff;
    // a payment canceled before its approval was heard closes the other.
    let rental = Context::of("rentcar", rentcar_rental::FUNCTIONS);
    assert!(rental.queue("start-rental").await.is_empty());
    let (status, found) = rental.http("find-rental").await;
    assert_eq!((status, found["status"].as_str()), (200, Some("Rented")), "{found}");
    let (status, returned) = rental.http("return-car").await;
    assert_eq!((status, returned["status"].as_str()), (200, Some("Returned")), "{returned}");
    assert!(rental.queue("cancel-rental").await.is_empty());

    // Rating: it hears the return before the rental (reordered), then the
    // renter rates once.
    let rating = Context::of("rentcar", rentcar_rating::FUNCTIONS);
    assert!(rating.queue("note-rental").await.is_empty());
    let (status, rated) = rating.http("rate-car").await;
    assert_eq!((status, rated["stars"].as_u64()), (201, Some(4)), "{rated}");
    let (status, twice) = rating.http("rate-car").await;
    assert_eq!((status, twice["error"]["code"].as_str()), (409, Some("already_rated")));

    // MyPage: one row per reservation, whatever order its events came in.
    let mypage = Context::of("rentcar", rentcar_mypage::FUNCTIONS);
    assert!(mypage.queue("mypage-view").await.is_empty());
    let (status, rows) = mypage.http("get-mypage").await;
    assert_eq!(status, 200);
    let row = rows.as_array().and_then(|r| r.iter().find(|r| r["stars"] == 4)).expect("the rated reservation's row");
    assert_eq!((&row["rentalStatus"], &row["paymentStatus"]), (&Value::from("Returned"), &Value::from("Approved")));
}

#[tokio::test]
async fn productorder_samples_tell_their_story() {
    use productorder_order::order::{Command, Draft, Order};
    // Pay, and order placing through it; then the sample order O1 (alice, 2
    // mugs) that the rest of the story follows.
    let pay = Context::of("productorder", productorder_pay::FUNCTIONS);
    let Function::Internal(approve) = pay.function("approve-pay") else { panic!("approve-pay is internal") };
    let mut order = Context::of("productorder", productorder_order::FUNCTIONS);
    order.deps.remotes.insert(productorder_order::PAY_FUNCTION.into(), Arc::new(InProcess(approve)));
    assert!(order.queue("product-prices").await.is_empty());
    let (status, placed) = order.http("place-order").await;
    assert_eq!((status, placed["status"].as_str()), (201, Some("Ordered")), "{placed}");
    let draft = Draft {
        order_id: R1.into(),
        item_cd: "ITEM-001".into(),
        quantity: 2,
        address: "Seoul, Jongno-gu 1".into(),
        customer_id: "alice".into(),
        amount: 24_000,
    };
    framework::commit::record::<Order, _>(&*order.table, R1, None, |_| Command::Place(draft.clone())).await.unwrap();
    assert_eq!(order.http("get-order").await.0, 404, "a pending order is not an order yet");
    assert!(order.queue("follow-pay").await.is_empty(), "approved: Ordered; a refund for a cancel changes nothing");
    assert!(order.queue("follow-delivery").await.is_empty());
    let (status, shipping) = order.http("get-order").await;
    assert_eq!((status, shipping["status"].as_str()), (200, Some("Shipping")), "{shipping}");
    let (status, late) = order.http("cancel-order").await;
    assert_eq!((status, late["error"]["code"].as_str()), (409, Some("invalid_state")), "too late to cancel");
    let reply = pay.internal("approve-pay").await;
    assert_eq!(reply["status"].as_u64(), Some(200), "{reply}");
    assert!(pay.queue("refund").await.is_empty());

    // Product: added, restocked, stock taken for two orders (one delivered
    // twice) and short for a third, one canceled and given back once.
    let product = Context::of("productorder", productorder_product::FUNCTIONS);
    assert_eq!(product.http("add-product").await.0, 201);
    assert_eq!(product.http("increase-stock").await.1["quantity"], 15);
    assert!(product.queue("take-stock").await.is_empty());
    assert_eq!(product.http("get-product").await.1["quantity"], 10);
    assert!(product.queue("restore-stock").await.is_empty());
    let (status, items) = product.http("list-products").await;
    assert_eq!((status, &items[0]["quantity"]), (200, &Value::from(13)));

    // Delivery: O1's parcel prepared (heard twice), started, completed;
    // the canceled order's parcel canceled.
    let delivery = Context::of("productorder", productorder_delivery::FUNCTIONS);
    assert!(delivery.queue("create-delivery").await.is_empty());
    assert_eq!(delivery.http("find-delivery").await.1["status"], "Prepared");
    assert_eq!(delivery.http("start-delivery").await.1["status"], "Started");
    assert_eq!(delivery.http("complete-delivery").await.1["status"], "Completed");
    assert!(delivery.queue("cancel-delivery").await.is_empty());

    // Notices, one per notifying event even when it comes twice; and the
    // customer center's row, whatever order its events came in.
    let notice = Context::of("productorder", productorder_notice::FUNCTIONS);
    assert!(notice.queue("notify-customer").await.is_empty());
    let (_, notices) = notice.http("list-notifications").await;
    assert_eq!(notices.as_array().map(Vec::len), Some(3), "{notices}");
    let center = Context::of("productorder", productorder_customercenter::FUNCTIONS);
    assert!(center.queue("customercenter-view").await.is_empty());
    let (_, rows) = center.http("get-customercenter").await;
    let row = rows.as_array().and_then(|r| r.iter().find(|r| r["orderId"] == R1)).expect("O1's row");
    assert_eq!(
        (&row["orderStatus"], &row["paymentStatus"], &row["deliveryStatus"]),
        (&Value::from("Delivered"), &Value::from("Approved"), &Value::from("Completed"))
    );
}
