#!/usr/bin/env python3
"""The published OpenAPI as a client author uses it: generate a Python
client for bookreservation with openapi-python-client (from PyPI), then run
the seed's story through that client against the local runner: staff
receives two copies, the book list shows them, a customer reserves one
(202 `Requested`, then `Reserved` by stock's events), another customer is
refused the reservation (403), the owner cancels it, the copy comes back,
and the customer's two notifications arrive. Nothing here is written for
this API by hand but the story."""

import pathlib
import subprocess
import sys
import tempfile

from local_runner import ROOT, Runner, eventually

CONFIG = "project_name_override: bookreservation-client\npackage_name_override: bookreservation_client\npost_hooks: []\n"


def expect(response, status, what):
    if response.status_code != status:
        raise AssertionError(f"{what}: {response.status_code} {response.content!r}, wanted {status}")
    print(f"ok   {what}: {status}")
    return response.parsed


def story(base, tokens):
    from bookreservation_client import AuthenticatedClient
    from bookreservation_client.api.customer import list_notifications
    from bookreservation_client.api.reservation import (cancel_reservation, get_reservation, list_books,
                                                        request_reservation)
    from bookreservation_client.api.stock import receive_stock
    from bookreservation_client.models import ReceiveBody, ReservationStatus, RequestBody

    staff, alice, carol = (AuthenticatedClient(base_url=f"{base}/bookreservation", token=t) for t in tokens)
    book = "isbn-9788966260959"
    expect(receive_stock.sync_detailed(client=alice, body=ReceiveBody(book_id=book, title="Clean Code", quantity=2)),
           403, "a customer receiving stock")
    stock = expect(receive_stock.sync_detailed(client=staff, body=ReceiveBody(book_id=book, title="Clean Code", quantity=2)),
                   200, "staff receives two copies")
    assert stock.quantity == 2, stock
    eventually(lambda: any(b.book_id == book and b.available == 2 for b in list_books.sync(client=alice) or []),
               "the book list shows two copies")
    print("ok   the book list shows two copies")
    requested = expect(request_reservation.sync_detailed(client=alice, body=RequestBody(book_id=book)),
                       202, "alice reserves a copy")
    assert requested.status == ReservationStatus.REQUESTED, requested
    rid = requested.reservation_id
    eventually(lambda: get_reservation.sync(rid, client=alice).status == ReservationStatus.RESERVED,
               "the reservation becomes Reserved")
    eventually(lambda: any(b.book_id == book and b.available == 1 for b in list_books.sync(client=alice) or []),
               "the book list shows one copy left")
    print("ok   stock reserved it: Reserved, one copy left on the book list")
    expect(get_reservation.sync_detailed(rid, client=carol), 403, "another customer reads it")
    canceled = expect(cancel_reservation.sync_detailed(rid, client=alice), 200, "alice cancels")
    assert canceled.status == ReservationStatus.CANCELED, canceled
    eventually(lambda: any(b.book_id == book and b.available == 2 for b in list_books.sync(client=alice) or []),
               "the copy is back on the book list")
    print("ok   the copy is back on the book list")
    kinds = eventually(lambda: [n.kind for n in list_notifications.sync(client=alice) or []] if len(
        list_notifications.sync(client=alice) or []) >= 2 else None, "two notifications")
    assert kinds == ["Reserved", "ReservationCanceled"], kinds
    print(f"ok   alice's notifications: {', '.join(kinds)}")


def main():
    generator = pathlib.Path(sys.executable).parent / "openapi-python-client"
    with tempfile.TemporaryDirectory() as work:
        work = pathlib.Path(work)
        (work / "config.yaml").write_text(CONFIG)
        generated = subprocess.run(
            [str(generator), "generate", "--path", str(ROOT / "docs/contract/bookreservation/openapi.json"),
             "--config", str(work / "config.yaml"), "--output-path", str(work / "client")],
            capture_output=True, text=True)
        if generated.returncode != 0:
            raise AssertionError(f"openapi-python-client failed: {generated.stdout}{generated.stderr}")
        print("ok   openapi-python-client generated bookreservation_client from docs/contract/bookreservation/openapi.json")
        sys.path.insert(0, str(work / "client"))
        with Runner.start("--system", "bookreservation") as runner:
            story(runner.base, [runner.token("gc-staff", "staff"), runner.token("gc-alice"), runner.token("gc-carol")])
    return 0


if __name__ == "__main__":
    sys.exit(main())
