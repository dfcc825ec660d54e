#!/usr/bin/env python3
"""A runnable consumer of Rampart's webhooks: verifies every delivery's
signature, ignores redeliveries of an event it already handled (same
`webhook-id`), and prints frozen accounts and blocked IPs.

  RAMPART_WEBHOOK_SECRET=whsec_... python3 webhook_consumer.py [PORT]

Subscribe it with `POST /v1/webhooks {"url": "http://HOST:PORT/", "events":
["account.frozen", "ip.blocked"]}` (the secret is in that response).
Needs `pip install standardwebhooks` (and ./clients/python for the helper).
"""

import os
import sys
from collections import OrderedDict
from http.server import BaseHTTPRequestHandler, HTTPServer

from rampart_client.webhooks import WebhookVerificationError, verify

SECRET = os.environ["RAMPART_WEBHOOK_SECRET"]
SEEN: "OrderedDict[str, None]" = OrderedDict()  # recent webhook-ids, bounded
MAX_SEEN = 10_000


class Consumer(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        try:
            event = verify(SECRET, body, dict(self.headers))
        except WebhookVerificationError:
            self.send_response(401)
            self.end_headers()
            return
        # Answer 2xx for duplicates too, or Rampart keeps retrying.
        webhook_id = self.headers["webhook-id"]
        if webhook_id not in SEEN:
            SEEN[webhook_id] = None
            if len(SEEN) > MAX_SEEN:
                SEEN.popitem(last=False)
            handle(event)
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


def handle(event: dict) -> None:
    data = event["data"]
    if event["type"] == "account.frozen":
        print(f"{event['timestamp']} account frozen: {data['address']} ({data.get('reason', '')})", flush=True)
    elif event["type"] == "ip.blocked":
        print(f"{event['timestamp']} IP blocked: {data.get('network', data)}", flush=True)


if __name__ == "__main__":
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8765
    print(f"listening on 127.0.0.1:{port}", flush=True)
    HTTPServer(("127.0.0.1", port), Consumer).serve_forever()
