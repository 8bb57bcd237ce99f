#!/usr/bin/env python3
"""The live board in a real browser: Playwright (from PyPI) driving the
system's Chromium (Debian's `chromium`; installed when missing and this runs
as root), against the local runner.

It opens `/#bookreservation` and checks that the board is drawn from the
board file (contexts as lanes, stickies by kind). Then it runs the seed's
story by clicking, on the page's screens (one form per route of the
system's OpenAPI), signing in as a customer, as staff and as another
customer: stock refused to a customer, received by staff, the book list,
a reservation `Requested` then `Reserved`, refused to another customer.
On the board, each sticky of the saga lit and counted, and the saga's steps
alone once its id is clicked, each event before the policy that took it.
Then it stops the stock context with the board's switch: a reservation made
on the screens waits
(its `ReservationRequested` counts on the board, `reserve-stock` does not),
and after the start it completes. Usage:

    scripts/browser_check.py [--screenshots DIR]
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import time

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


def send(page, operation, fill=None):
    """Fills a screen's fields, presses its Send, and returns its answer as shown."""
    form = page.locator(f"form[data-op={operation}]")
    for name, value in (fill or {}).items():
        form.locator(f"input[name$=':{name}']").fill(str(value))
    answer = form.locator("pre")
    answer.evaluate("element => element.textContent = ''")
    form.locator("button").click()
    eventually(lambda: answer.text_content(), f"{operation} answers on its screen")
    return answer.text_content()


def status_of(page, reservation_id):
    """The reservation's status as its screen shows it."""
    shown = send(page, "getReservation", {"reservationId": reservation_id})
    return json.loads(shown.split("\n", 1)[1])["status"] if shown.startswith("200") else shown


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
    shown = send(page, "receiveStock", {"bookId": "isbn-1", "title": "Clean Code", "quantity": 2})
    assert shown == "403 Only staff may do this.", shown
    sign_in(page, "bw-staff", staff=True)
    shown = send(page, "receiveStock", {"bookId": "isbn-1", "title": "Clean Code", "quantity": 2})
    assert shown.startswith("200") and '"quantity": 2' in shown, shown
    eventually(lambda: '"available": 2' in send(page, "listBooks"), "the book list shows two copies")
    sign_in(page, "bw-alice")
    shown = send(page, "requestReservation", {"bookId": "isbn-1"})
    assert shown.startswith("202") and '"Requested"' in shown, shown
    saga = json.loads(shown.split("\n", 1)[1])["reservationId"]
    field = page.locator("form[data-op=cancelReservation] input[name='path:reservationId']")
    assert field.input_value() == saga, "the new id fills the screens that take it"
    eventually(lambda: status_of(page, saga) == "Reserved", "the reservation becomes Reserved on its screen")
    sign_in(page, "bw-carol")
    shown = send(page, "getReservation", {"reservationId": saga})
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
    page.locator("#steps .saga", has_text=saga[-8:]).first.click()
    eventually(lambda: page.locator("#saga").text_content().startswith(f"saga {saga}"), "the saga is followed")
    shown = list(reversed(page.locator("#steps li").all_text_contents()))  # newest first on the page
    assert all(saga[-8:] in step for step in shown), shown
    at = {name: next(i for i, step in enumerate(shown) if f" {name} " in step) for name in
          ["ReservationRequested", "reserve-stock", "StockReserved", "confirm-reservation", "Reserved",
           "notify-customer"]}
    for event, policy in [("ReservationRequested", "reserve-stock"), ("StockReserved", "confirm-reservation"),
                          ("Reserved", "notify-customer")]:
        assert at[event] < at[policy], (event, policy, shown)
    ok(f"clicking the saga shows its {len(shown)} steps alone, each event before the policy that took it")
    if screenshots:
        page.screenshot(path=f"{screenshots}/live-board.png", full_page=True)
        tab(page, "screens")
        page.screenshot(path=f"{screenshots}/screens.png", full_page=True)
        tab(page, "board")
        ok(f"screenshots: {screenshots}/live-board.png, {screenshots}/screens.png")
    page.locator("#steps .saga").first.click()  # all sagas again

    stock = page.locator('.lane[data-context="stock"] button[data-switch="stop"]')
    stock.click()
    page.wait_for_selector('.lane.stopped[data-context="stock"]')
    before = count(page, "fn", "reserve-stock")
    tab(page, "screens")
    sign_in(page, "bw-alice")
    shown = send(page, "requestReservation", {"bookId": "isbn-1"})
    assert shown.startswith("202"), shown
    waiting = json.loads(shown.split("\n", 1)[1])["reservationId"]
    tab(page, "board")
    eventually(lambda: count(page, "event", "ReservationRequested") >= 2, "the second request is on the board")
    time.sleep(0.5)
    assert count(page, "fn", "reserve-stock") == before, "stock is stopped: reserve-stock takes nothing"
    tab(page, "screens")
    assert status_of(page, waiting) == "Requested"
    ok("stock stopped by its switch on the board: the reservation waits Requested on its screen; its "
       "ReservationRequested counts and reserve-stock stays idle")
    tab(page, "board")
    stock.click()
    page.wait_for_selector('.lane[data-context="stock"]:not(.stopped)')
    tab(page, "screens")
    eventually(lambda: status_of(page, waiting) == "Reserved", "the waiting reservation completes")
    tab(page, "board")
    eventually(lambda: count(page, "fn", "reserve-stock") > before, "reserve-stock takes it after the start")
    ok("stock started by its switch: the reservation is Reserved, reserve-stock lights")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--screenshots", help="a folder to save the board and the screens in, as PNG")
    args = parser.parse_args()
    browser_path = chromium()
    if not browser_path:
        print("skipped: no Chromium (install Debian's `chromium`)")
        return 0
    with Runner.start("--system", "bookreservation") as api, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=browser_path, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        errors = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        story(page, api, args.screenshots)
        browser.close()
        assert not errors, errors
    return 0


if __name__ == "__main__":
    sys.exit(main())
