#!/usr/bin/env python3
"""The live board in a real browser: Playwright (from PyPI) driving the
system's Chromium (Debian's `chromium`; installed when missing and this runs
as root), against the local runner.

It runs the runner with all five systems. On bookreservation it checks
that the board is drawn from the board file (contexts as lanes, stickies by
kind), then runs the seed's story by clicking, on the page's screens (one
form per route of the system's OpenAPI, answers as tables), signing in as a
customer, as staff and as another customer: stock refused to a customer,
received by staff, the book list, a reservation `Requested` then
`Reserved`, refused to another customer. On the board: each sticky of the
saga lit and counted; the saga's timeline once its id is clicked (the
command first, each event before the policy that took it, nothing
waiting). Then stock stopped with the board's switch: a reservation waits,
reserve-stock shows it queued, the timeline says where the saga waits; on
the start it completes. Then `dup` faults from the board's form: the
timeline marks the duplicates absorbed.

Then a story of each other system by clicking, each saga ending with
nothing waiting: bookrental's reservation on MyPage; gamereward's mission,
reward, wallet and gift; rentcar's reservation paid, with payment's calls
taken down on the board first (503 "try later", the circuit shown open,
then closed); productorder's order on the customer center. Usage:

    scripts/browser_check.py [--screenshots DIR]
"""

import argparse
import os
import shutil
import subprocess
import sys

from local_runner import Runner, eventually
from playwright.sync_api import sync_playwright


def chromium():
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found or os.geteuid() != 0:
        return found
    subprocess.run(["apt-get", "install", "-y", "-q", "chromium"], check=False, capture_output=True)
    if not shutil.which("chromium"):
        subprocess.run(["apt-get", "update", "-q"], check=False, capture_output=True)
        subprocess.run(["apt-get", "install", "-y", "-q", "chromium"], check=False, capture_output=True)
    return shutil.which("chromium")


def ok(what):
    print(f"ok   {what}", flush=True)


def count(page, kind, name):
    """A sticky's handled counter, as the page shows it."""
    text = page.locator(f'[id="bookreservation/{kind}/{name}"] .handled').text_content()
    return int(text or 0)


def sign_in(page, sub, staff=False):
    page.fill("#sub", sub)
    page.set_checked("#staff", staff)
    page.click("#signin")
    signed = f"signed in as {sub}" + (" (staff)" if staff else "")
    page.wait_for_function(f"document.querySelector('#signed').textContent === {signed!r}")


def tab(page, name):
    page.click(f"#tab-{name}")


READ_TABLE = """table => table.classList.contains("record")
  ? Object.fromEntries([...table.rows].map((row) => [row.cells[0].textContent, row.cells[1].textContent]))
  : [...table.rows].slice(1).map((row) => Object.fromEntries(
      [...table.rows[0].cells].map((head, i) => [head.textContent, row.cells[i].textContent])))"""


def send(page, operation, fill=None):
    """Fills a screen's fields, presses its Send, and returns what the screen
    shows: its status line, and the table under it read back (a dict of one
    answer's fields, a list of dicts for a list; values as shown, text)."""
    form = page.locator(f"form[data-op={operation}]")
    for name, value in (fill or {}).items():
        form.locator(f"input[name$=':{name}']").fill(str(value))
    answer = form.locator("pre")
    answer.evaluate("element => element.textContent = ''")
    form.locator("button").click()
    eventually(lambda: answer.text_content(), f"{operation} answers on its screen")
    table = form.locator("table")
    return answer.text_content(), table.evaluate(READ_TABLE) if table.count() else None


def field_of(page, operation, name):
    return page.locator(f"form[data-op={operation}] input[name$=':{name}']").input_value()


def status_of(page, operation, path_fill):
    """The `status` of what a screen shows (or its refusal)."""
    shown, data = send(page, operation, path_fill)
    return data["status"] if shown.startswith("200") else shown


def story(page, api, screenshots):
    page.goto(f"{api.base}/#bookreservation")
    page.wait_for_function("document.querySelector('#status').textContent === 'live'")
    lanes = page.locator(".lane h2").all_text_contents()
    assert [lane.split(" · ")[0] for lane in lanes] == ["reservation", "stock", "customer"], lanes
    for kind, selector in [("command", "request-reservation"), ("event", "StockReserved"), ("policy", "reserve-stock"),
                           ("view", "book-list-view"), ("aggregate", "Reservation")]:
        element = page.locator(f".sticky.{kind}", has_text=selector)
        assert element.count() >= 1, f"no {kind} sticky {selector}"
    ok("the board is drawn from bookreservation's board: three lanes, stickies by kind")

    tab(page, "screens")
    page.wait_for_selector("form[data-op=receiveStock]")
    sign_in(page, "bw-alice")
    shown, _ = send(page, "receiveStock", {"bookId": "isbn-1", "title": "Clean Code", "quantity": 2})
    assert shown == "403 Only staff may do this.", shown
    sign_in(page, "bw-staff", staff=True)
    shown, stock = send(page, "receiveStock", {"bookId": "isbn-1", "title": "Clean Code", "quantity": 2})
    assert shown == "200" and stock["quantity"] == "2", (shown, stock)

    def books():
        shown, rows = send(page, "listBooks")
        return shown.startswith("200") and any(r["bookId"] == "isbn-1" and r["available"] == "2" for r in rows)
    eventually(books, "the book list's table shows two copies")
    sign_in(page, "bw-alice")
    shown, reservation = send(page, "requestReservation", {"bookId": "isbn-1"})
    assert shown == "202" and reservation["status"] == "Requested", (shown, reservation)
    saga = reservation["reservationId"]
    assert field_of(page, "cancelReservation", "reservationId") == saga, "the new id fills the screens that take it"
    path = {"reservationId": saga}
    eventually(lambda: status_of(page, "getReservation", path) == "Reserved", "the reservation becomes Reserved")
    sign_in(page, "bw-carol")
    shown, _ = send(page, "getReservation", path)
    assert shown.startswith("403"), shown
    ok("by the screens: a customer's stock refused (403), staff's received, the book list shows 2, "
       "alice's reservation Requested then Reserved, refused to carol (403)")

    tab(page, "board")
    for kind, name in [("fn", "request-reservation"), ("event", "ReservationRequested"), ("fn", "reserve-stock"),
                       ("event", "StockReserved"), ("fn", "confirm-reservation"), ("event", "Reserved"),
                       ("fn", "notify-customer")]:
        eventually(lambda: count(page, kind, name) >= 1, f"{name} lights and counts")
    ok("the saga lit its stickies: request-reservation, ReservationRequested, reserve-stock, StockReserved, "
       "confirm-reservation, Reserved, notify-customer")
    follow(page, saga)
    shown = page.locator("#steps li").all_text_contents()  # the saga's timeline, oldest first
    assert all(saga[-8:] in step for step in shown), shown
    assert shown[0].startswith("+0 ms "), shown
    at = {name: next(i for i, step in enumerate(shown) if f" {name} " in step) for name in
          ["request-reservation", "ReservationRequested", "reserve-stock", "StockReserved", "confirm-reservation",
           "Reserved", "notify-customer"]}
    for event, policy in [("ReservationRequested", "reserve-stock"), ("StockReserved", "confirm-reservation"),
                          ("Reserved", "notify-customer")]:
        assert at[event] < at[policy], (event, policy, shown)
    eventually(lambda: page.locator("#waiting").text_content().startswith("Nothing waits"), "the saga waits for nothing")
    ok(f"clicking the saga shows its timeline: {len(shown)} steps from the command's 202, each event before the "
       "policy that took it, and nothing waiting")
    if screenshots:
        page.screenshot(path=f"{screenshots}/live-board.png", full_page=True)
        ok(f"screenshot: {screenshots}/live-board.png")
    follow(page, saga)  # all sagas again

    stock = page.locator('.lane[data-context="stock"] button[data-switch="stop"]')
    stock.click()
    page.wait_for_selector('.lane.stopped[data-context="stock"]')
    before = count(page, "fn", "reserve-stock")
    tab(page, "screens")
    sign_in(page, "bw-alice")
    shown, reservation = send(page, "requestReservation", {"bookId": "isbn-1"})
    assert shown == "202", shown
    waiting = reservation["reservationId"]
    tab(page, "board")
    eventually(lambda: count(page, "event", "ReservationRequested") >= 2, "the second request is on the board")
    queue = page.locator('[id="bookreservation/fn/reserve-stock"] .queue')
    eventually(lambda: queue.text_content().startswith("1 queued"), "reserve-stock's queue holds the request")
    assert count(page, "fn", "reserve-stock") == before, "stock is stopped: reserve-stock takes nothing"
    follow(page, waiting)
    eventually(lambda: "stock reserve-stock has not taken ReservationRequested (its context is stopped)"
               in page.locator("#waiting").text_content(), "the timeline says where the saga waits")
    tab(page, "screens")
    assert status_of(page, "getReservation", {"reservationId": waiting}) == "Requested"
    ok("stock stopped by its switch on the board: the reservation waits Requested on its screen; "
       "reserve-stock shows 1 queued and stays idle; the saga's timeline says it waits at reserve-stock")
    tab(page, "board")
    stock.click()
    page.wait_for_selector('.lane[data-context="stock"]:not(.stopped)')
    eventually(lambda: page.locator("#waiting").text_content().startswith("Nothing waits"), "the saga completes")
    eventually(lambda: queue.text_content() == "", "reserve-stock's queue is empty")
    tab(page, "screens")
    eventually(lambda: status_of(page, "getReservation", {"reservationId": waiting}) == "Reserved",
               "the waiting reservation completes")
    ok("stock started by its switch: the queue drains, the saga waits for nothing, the reservation is Reserved")

    tab(page, "board")
    follow(page, waiting)  # all sagas again
    page.fill("#faults input[name=dup]", "1")
    page.click("#faults button:not([type])")
    eventually(lambda: page.locator("#plan").text_content() == "plan in force: dup 1", "the fault plan is set")
    tab(page, "screens")
    shown, reservation = send(page, "requestReservation", {"bookId": "isbn-1"})
    assert shown == "202", shown
    tab(page, "board")
    absorbed = page.locator("#steps li .mark.absorbed")
    eventually(lambda: absorbed.count() >= 1, "a duplicate delivery shows absorbed", within=20)
    # The counts come with the board's next poll of /_local (each second).
    eventually(lambda: "duplicated" in page.locator("#injected").text_content(), "the form counts the duplicates")
    page.click("#faults-off")
    eventually(lambda: page.locator("#plan").text_content() == "no faults", "the faults are off")
    follow(page, reservation["reservationId"])
    timeline = page.locator("#steps li").all_text_contents()
    assert any("delivery 2" in step or "duplicate absorbed" in step for step in timeline), timeline
    ok("faults from the board's form (dup 1): deliveries come again and the timeline marks each duplicate absorbed")
    follow(page, reservation["reservationId"])


def follow(page, saga):
    """Clicks a saga's id in the flow (clicking the followed one again shows all)."""
    page.locator("#steps .saga", has_text=saga[-8:]).first.click()


def system(page, name, first_operation):
    page.click(f"#systems button[data-system={name}]")
    tab(page, "screens")
    page.wait_for_selector(f"form[data-op={first_operation}]")


def rows_of(page, operation):
    shown, rows = send(page, operation)
    assert shown.startswith("200"), shown
    return rows


def until_row(page, operation, column, value, what):
    """The rows of a view's screen once one of them shows `column` = `value`."""
    return eventually(lambda: [r for r in rows_of(page, operation) if r[column] == value], what)


def staff_creates(page, name, create, who):
    """Opens a system's screens; its staff sends `create` with the schema's
    examples; then its customer signs in. Returns what was created."""
    system(page, name, create)
    sign_in(page, f"{who}-staff", staff=True)
    shown, made = send(page, create)
    assert shown.startswith("20"), shown
    sign_in(page, f"{who}-alice")
    return made


def saga_waits_for_nothing(page, saga, what):
    tab(page, "board")
    follow(page, saga)
    eventually(lambda: page.locator("#waiting").text_content().startswith("Nothing waits"), f"{what}: nothing waits")
    steps = page.locator("#steps li").all_text_contents()
    follow(page, saga)  # all sagas again
    return len(steps)


def bookrental(page, screenshots):
    product = staff_creates(page, "bookrental", "registerProduct", "br")
    assert field_of(page, "reserve", "productId") == product["productId"], "the new product's id fills reserve"
    shown, reservation = send(page, "reserve")
    assert shown.startswith("20") and reservation["status"] == "Reserved", (shown, reservation)
    mine = until_row(page, "getMypage", "deliveryStatus", "Started", "MyPage shows the delivery started")
    assert mine[0]["reservationStatus"] == "Delivering" and mine[0]["stock"] == "1", mine
    if screenshots:
        page.locator("form[data-op=getMypage]").screenshot(path=f"{screenshots}/mypage.png")
        page.screenshot(path=f"{screenshots}/screens.png", full_page=True)
        ok(f"screenshots: {screenshots}/mypage.png, {screenshots}/screens.png")
    steps = saga_waits_for_nothing(page, reservation["reservationId"], "bookrental's reservation")
    ok(f"bookrental by the screens: staff registers a book, alice reserves it, her MyPage table shows it "
       f"Delivering with the delivery Started; its saga: {steps} steps, nothing waiting")


def gamereward(page):
    system(page, "gamereward", "achieveMission")
    sign_in(page, "gr-alice")
    shown, mission = send(page, "achieveMission")
    assert shown.startswith("20") and mission["status"] == "Achieved", (shown, mission)
    until_row(page, "getMypage", "walletStatus", "Issued", "MyPage shows the reward in the wallet")
    shown, _ = send(page, "exchangeReward")  # the wallet id MyPage showed, the example gift
    assert shown.startswith("20"), shown
    eventually(lambda: [r for r in rows_of(page, "getMypage") if r["giftStatus"] not in ("", "null")],
               "MyPage shows the gift")
    steps = saga_waits_for_nothing(page, mission["missionId"], "gamereward's mission")
    ok(f"gamereward by the screens: alice achieves a mission, MyPage shows its reward issued to her wallet, "
       f"she exchanges it for a gift; the mission's saga: {steps} steps, nothing waiting")


def rentcar(page):
    staff_creates(page, "rentcar", "registerCar", "rc")
    shown, reservation = send(page, "reserveCar", {"rentalDate": "2026-12-20", "returnDate": "2026-12-22"})
    assert shown.startswith("20") and reservation["status"] == "Reserved", (shown, reservation)
    tab(page, "board")
    calls = page.locator('.lane[data-context="payment"] button[data-switch="calls"]')
    calls.click()
    eventually(lambda: calls.text_content() == "calls up", "payment's calls are down")
    tab(page, "screens")
    for _ in range(3):
        shown, _ = send(page, "payReservation")
        assert shown.startswith("503 Payments cannot be taken right now") and "Try later: retry after" in shown, shown
    tab(page, "board")
    circuit = page.locator('[id="rentcar/fn/pay-reservation"] .circuit')
    eventually(lambda: circuit.text_content().startswith("→ payment: circuit open"), "the board shows the circuit open")
    calls.click()
    tab(page, "screens")
    eventually(lambda: send(page, "payReservation")[0] == "200", "pay goes through once payment is back", within=15)
    ok("rentcar: payment's calls taken down on the board, pay answers 503 with try later, the board shows "
       "pay-reservation's circuit open; calls up, pay goes through")
    mine = until_row(page, "getMypage", "rentalStatus", "Rented", "MyPage shows the car rented")
    assert mine[0]["paymentStatus"] == "Approved", mine
    tab(page, "board")
    eventually(lambda: circuit.text_content() == "→ payment: circuit closed", "the circuit closes again")
    steps = saga_waits_for_nothing(page, reservation["reservationId"], "rentcar's reservation")
    ok(f"rentcar by the screens: staff registers a car, alice reserves and pays, MyPage shows it Rented; "
       f"{steps} steps, nothing waiting")


def productorder(page):
    staff_creates(page, "productorder", "addProduct", "po")
    shown, order = send(page, "placeOrder")
    assert shown.startswith("20") and order["status"] == "Ordered", (shown, order)
    until_row(page, "getCustomercenter", "deliveryStatus", "Prepared", "the customer center shows the parcel prepared")
    steps = saga_waits_for_nothing(page, order["orderId"], "productorder's order")
    ok(f"productorder by the screens: staff adds a product, alice orders it (paid), the customer center shows "
       f"the delivery Prepared; {steps} steps, nothing waiting")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--screenshots", help="a folder to save the board and the screens in, as PNG")
    args = parser.parse_args()
    browser_path = chromium()
    if not browser_path:
        print("skipped: no Chromium (install Debian's `chromium`)")
        return 0
    circuit = ["--parameter", "CircuitFailureThreshold=3", "--parameter", "CircuitOpenSeconds=3"]
    with Runner.start("--visibility-timeout-ms", "500", *circuit) as api, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=browser_path, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        errors = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        story(page, api, args.screenshots)
        bookrental(page, args.screenshots)
        gamereward(page)
        rentcar(page)
        productorder(page)
        browser.close()
        assert not errors, errors
    return 0


if __name__ == "__main__":
    sys.exit(main())
