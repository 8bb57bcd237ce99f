#!/usr/bin/env python3
"""Where a run's commits went: the WAL frames of each table file of a data
directory, counted per saga and told apart by B-tree and key family.

    python3 scripts/wal_pages.py DATA_DIR/SYSTEM SAGAS

Every frame of a `<table>.db-wal` is one page written by one commit; the
frame header names the page and marks a commit's last frame. A page is
attributed to the B-tree that owns it in the final file (SQLite's `dbstat`),
and a page of `items` or `items_gsi1` to the key family of its first cell
(`INBOX`, `OUTBOX`, `Reservation`, ...): an approximation, as a page that
straddles two families counts for the first.

The counts cover the whole run only if nothing was checkpointed (a checkpoint
starts the log again): run the runner with `wal_autocheckpoint` set to 0 in
`open_connection` (`shared/embedded/src/table.rs`), for a few seconds, and
stop it with `kill -9` so that its WAL files stay as they were.
"""

import collections
import os
import shutil
import sqlite3
import struct
import sys
import tempfile

LEAF_INDEX, INTERIOR_INDEX, LEAF_TABLE, INTERIOR_TABLE = 0x0A, 0x02, 0x0D, 0x05


def varint(buf, at):
    value = 0
    for n in range(9):
        byte = buf[at + n]
        if n == 8:
            return (value << 8) | byte, at + 9
        value = (value << 7) | (byte & 0x7F)
        if byte < 0x80:
            return value, at + n + 1
    raise ValueError("varint")


def family(page, pageno):
    """The key family (text before the first '#') of a page's first cell."""
    header = 100 if pageno == 1 else 0
    kind = page[header]
    if kind not in (LEAF_INDEX, INTERIOR_INDEX, LEAF_TABLE, INTERIOR_TABLE):
        return "other"
    if struct.unpack(">H", page[header + 3 : header + 5])[0] == 0:
        return "empty"
    if kind == INTERIOR_TABLE:
        return "interior"
    pointers = header + (12 if kind == INTERIOR_INDEX else 8)
    at = struct.unpack(">H", page[pointers : pointers + 2])[0]
    if kind == INTERIOR_INDEX:
        at += 4
    _, at = varint(page, at)  # payload size
    if kind == LEAF_TABLE:
        _, at = varint(page, at)  # row id
    header_size, serial_at = varint(page, at)
    serial, _ = varint(page, serial_at)
    if serial < 13 or serial % 2 == 0:
        return "other"
    start = at + header_size
    text = page[start : start + (serial - 13) // 2].decode("utf8", "replace")
    return text.split("#")[0]


def frames(wal):
    data = open(wal, "rb").read()
    if len(data) < 32:
        return
    page_size = struct.unpack(">I", data[8:12])[0]
    at = 32
    while at + 24 + page_size <= len(data):
        pageno, commit = struct.unpack(">II", data[at : at + 8])
        yield pageno, commit != 0, data[at + 24 : at + 24 + page_size]
        at += 24 + page_size


def owners(db, wal):
    scratch = tempfile.mkdtemp()
    shutil.copy(db, os.path.join(scratch, "t.db"))
    shutil.copy(wal, os.path.join(scratch, "t.db-wal"))
    conn = sqlite3.connect(os.path.join(scratch, "t.db"))
    return {pageno: name for name, pageno in conn.execute("SELECT name, pageno FROM dbstat")}


def main():
    directory, sagas = sys.argv[1], float(sys.argv[2])
    all_frames = all_commits = 0
    for name in sorted(os.listdir(directory)):
        db = os.path.join(directory, name)
        wal = db + "-wal"
        if not name.endswith(".db") or not os.path.exists(wal):
            continue
        owner = owners(db, wal)
        where = collections.Counter()
        count = commits = 0
        for pageno, commit, page in frames(wal):
            tree = owner.get(pageno, "free")
            if tree in ("items", "items_gsi1"):
                tree += ":" + family(page, pageno)
            where[tree] += 1
            count += 1
            commits += commit
        all_frames += count
        all_commits += commits
        spread = ", ".join(f"{tree} {n / sagas:.2f}" for tree, n in where.most_common() if n / sagas >= 0.05)
        print(f"{name:22} {count / sagas:6.2f} pages {commits / sagas:5.2f} commits a saga: {spread}")
    print(f"{'all':22} {all_frames / sagas:6.2f} pages {all_commits / sagas:5.2f} commits a saga")


if __name__ == "__main__":
    main()
