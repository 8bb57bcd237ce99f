#!/usr/bin/env python3
"""The live board in a real browser: Playwright (from PyPI) driving the
system's Chromium (Debian's `chromium`; installed when missing and this runs
as root), against the local runner.

It opens `/#bookreservation` and checks that the board is drawn from the
board file (contexts as lanes, stickies by kind), then runs the seed's story
through the API and watches the page: each sticky of the saga lights and
counts (command, events, policies, view), the flow lists the saga's steps
and, once its id is clicked, only them, each event before the policy that
took it. Then it stops the stock context: a reservation waits (its
`ReservationRequested` is on the board, `reserve-stock` does not count it),
and after the start it completes. Usage:

    scripts/browser_check.py [--screenshot PATH]
"""

import argparse
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


def story(page, api, screenshot):
    page.goto(f"{api.base}/#bookreservation")
    page.wait_for_function("document.querySelector('#status').textContent === 'live'")
    lanes = page.locator(".lane h2").all_text_contents()
    assert [lane.split(" · ")[0] for lane in lanes] == ["reservation", "stock", "customer"], lanes
    for kind, selector in [("command", "request-reservation"), ("event", "StockReserved"), ("policy", "reserve-stock"),
                           ("view", "book-list-view"), ("aggregate", "Reservation")]:
        element = page.locator(f".sticky.{kind}", has_text=selector)
        assert element.count() >= 1, f"no {kind} sticky {selector}"
    ok("the board is drawn from bookreservation's board: three lanes, stickies by kind")

    staff, alice = api.token("bw-staff", "staff"), api.token("bw-alice")
    status, _ = api.call("POST", "/bookreservation/stocks", staff, {"bookId": "isbn-1", "title": "Clean Code", "quantity": 2})
    assert status == 200, status
    eventually(lambda: count(page, "fn", "book-list-view") >= 1, "the book list view lights")
    status, reservation = api.call("POST", "/bookreservation/reservations", alice, {"bookId": "isbn-1"})
    assert status == 202, (status, reservation)
    saga = reservation["reservationId"]
    for kind, name in [("fn", "request-reservation"), ("event", "ReservationRequested"), ("fn", "reserve-stock"),
                       ("event", "StockReserved"), ("fn", "confirm-reservation"), ("event", "Reserved"),
                       ("fn", "notify-customer")]:
        eventually(lambda: count(page, kind, name) >= 1, f"{name} lights and counts")
    ok("the saga lit its stickies: request-reservation, ReservationRequested, reserve-stock, StockReserved, "
       "confirm-reservation, Reserved, notify-customer")

    page.locator("#steps .saga", has_text=saga[-8:]).first.click()
    eventually(lambda: page.locator("#saga").text_content().startswith(f"saga {saga}"), "the saga is followed")
    steps = page.locator("#steps li").all_text_contents()
    shown = list(reversed(steps))  # newest first on the page
    assert all(saga[-8:] in step for step in shown), shown
    order = [next(i for i, s in enumerate(shown) if f" {name} " in s) for name in
             ["ReservationRequested", "reserve-stock", "StockReserved", "confirm-reservation", "Reserved",
              "notify-customer"]]
    assert order == sorted(order), shown
    ok(f"clicking the saga shows its {len(shown)} steps alone, each event before the policy that took it")
    if screenshot:
        page.screenshot(path=screenshot, full_page=True)
        ok(f"screenshot in {screenshot}")
    page.locator("#steps .saga").first.click()  # all sagas again

    status, _ = api.call("POST", "/_local/bookreservation/contexts/stock/stop", None, {})
    assert status == 200, status
    before = count(page, "fn", "reserve-stock")
    status, waiting = api.call("POST", "/bookreservation/reservations", alice, {"bookId": "isbn-1"})
    assert status == 202, status
    eventually(lambda: count(page, "event", "ReservationRequested") >= 2, "the second request is on the board")
    time.sleep(0.5)
    assert count(page, "fn", "reserve-stock") == before, "stock is stopped: reserve-stock takes nothing"
    status, seen = api.call("GET", f"/bookreservation/reservations/{waiting['reservationId']}", alice)
    assert seen["status"] == "Requested", seen
    ok("stock stopped: the reservation waits Requested, its ReservationRequested is counted on the board, "
       "reserve-stock stays idle")
    status, _ = api.call("POST", "/_local/bookreservation/contexts/stock/start", None, {})
    assert status == 200, status
    eventually(lambda: count(page, "fn", "reserve-stock") > before, "reserve-stock takes it after the start")
    eventually(lambda: api.call("GET", f"/bookreservation/reservations/{waiting['reservationId']}", alice)[1][
        "status"] == "Reserved", "the waiting reservation completes")
    ok("stock started: reserve-stock lights, the reservation is Reserved")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--screenshot")
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
        story(page, api, args.screenshot)
        browser.close()
        assert not errors, errors
    return 0


if __name__ == "__main__":
    sys.exit(main())
