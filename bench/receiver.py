"""The bench's webhook receiver: a partner's endpoint on loopback.

``python -m bench.receiver PORT`` serves until stopped. Every POST to
``/hook`` is a delivery: the receiver notes the time it arrived (before
anything else), verifies the Standard Webhooks signature with the
``standardwebhooks`` package as a provider would (the secret is in
BENCH_WEBHOOK_SECRET), waits the configured delay (a partner's own work) and
answers 204, or 400 for a bad signature. The bench reads what arrived from
``GET /_bench/receipts`` (JSON lines: webhook id, referral id, arrival time)
and sets the delay with ``POST /_bench/delay?ms=N`` or clears the record with
``POST /_bench/reset``.

A thread per request (ThreadingHTTPServer): a slow partner slows each
delivery, not the receiver as a whole.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


class State:
    def __init__(self, secret: str) -> None:
        self.webhook = Webhook(secret)
        self.lock = threading.Lock()
        self.delay_seconds = 0.0
        self.receipts: list[tuple[str, int | None, float]] = []
        self.bad_signatures = 0


class Handler(BaseHTTPRequestHandler):
    server: Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _answer(self, status: int, body: bytes = b"") -> None:
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        if body:
            self.send_header("Content-Type", "application/json")
        self.end_headers()
        if body:
            self.wfile.write(body)

    def do_GET(self) -> None:
        state = self.server.state
        if self.path == "/_bench/receipts":
            with state.lock:
                lines = [
                    json.dumps({"id": message_id, "referral": referral, "at": at})
                    for message_id, referral, at in state.receipts
                ]
                summary = {"bad_signatures": state.bad_signatures, "count": len(lines)}
            self._answer(200, "\n".join([json.dumps(summary), *lines]).encode())
        elif self.path == "/health":
            self._answer(200, b'{"ok": true}')
        else:
            self._answer(404)

    def do_POST(self) -> None:
        arrived = time.time()
        state = self.server.state
        body = self.rfile.read(int(self.headers.get("content-length") or 0))
        url = urllib.parse.urlsplit(self.path)
        if url.path == "/_bench/reset":
            with state.lock:
                state.receipts.clear()
                state.bad_signatures = 0
            self._answer(204)
            return
        if url.path == "/_bench/delay":
            milliseconds = float(urllib.parse.parse_qs(url.query)["ms"][0])
            state.delay_seconds = milliseconds / 1000
            self._answer(204)
            return
        if url.path != "/hook":
            self._answer(404)
            return
        headers = {key.lower(): value for key, value in self.headers.items()}
        try:
            payload = state.webhook.verify(body, headers)
        except WebhookVerificationError:
            with state.lock:
                state.bad_signatures += 1
            self._answer(400)
            return
        referral = payload.get("data", {}).get("referral_id")
        with state.lock:
            state.receipts.append((headers["webhook-id"], referral, arrived))
        if state.delay_seconds:
            time.sleep(state.delay_seconds)
        self._answer(204)


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024

    def __init__(self, port: int, state: State) -> None:
        super().__init__(("127.0.0.1", port), Handler)
        self.state = state


def main() -> None:
    port = int(sys.argv[1])
    Server(port, State(os.environ["BENCH_WEBHOOK_SECRET"])).serve_forever()


if __name__ == "__main__":
    main()
