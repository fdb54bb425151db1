"""The positive control of the sqlmap run: a deliberately injectable HTTP endpoint (stdlib
only, SQLite in memory), so a run that finds nothing in SafeGrid is known to be able to find
something. Never imported by SafeGrid; started by tests/attack/test_sqlmap.py."""

from __future__ import annotations

import sqlite3
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

DB = sqlite3.connect(":memory:", check_same_thread=False)
DB.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)")
DB.executemany("INSERT INTO customers VALUES (?, ?)", [(1, "alice"), (2, "bob")])


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        wanted = parse_qs(urlparse(self.path).query).get("id", ["1"])[0]
        try:
            # The flaw on purpose: the parameter is pasted into the SQL.
            rows = DB.execute(f"SELECT name FROM customers WHERE id = {wanted}").fetchall()
            status, body = 200, ",".join(r[0] for r in rows)
        except sqlite3.Error as exc:
            status, body = 500, str(exc)
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        pass


if __name__ == "__main__":
    ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
