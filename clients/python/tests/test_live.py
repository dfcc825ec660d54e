"""The generated client against a live `rampart serve` on 127.0.0.1:
provisioning, sending limits, hijack settings, an auth failure, a signed
webhook verified with the helper, and an attachment downloaded by its link."""

import json
import os
import pathlib
import smtplib
import socket
import ssl
import subprocess
import tempfile
import threading
import time
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, HTTPServer

import httpx
import pytest

from rampart_client import AuthenticatedClient
from rampart_client.api.accounts import create_account, get_account, update_account
from rampart_client.api.attachments import list_links
from rampart_client.api.domains import create_domain
from rampart_client.api.screening import list_failures
from rampart_client.api.settings import put_hijack
from rampart_client.api.webhooks import create_webhook
from rampart_client.models import (
    AttachmentLinking,
    CreateAccountRequest,
    CreateDomainRequest,
    CreateWebhookRequest,
    HijackSettings,
    SendingLimit,
    UpdateAccountRequest,
)
from rampart_client.webhooks import WebhookVerificationError, verify

ROOT = pathlib.Path(__file__).resolve().parents[3]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    binary = os.environ.get("RAMPART_BIN", str(ROOT / "target" / "debug" / "rampart"))
    work = tempfile.TemporaryDirectory()
    ports = {name: free_port() for name in ("submissions", "http", "https")}
    config = pathlib.Path(work.name) / "rampart.toml"
    config.write_text(
        f"""hostname = "mx.client.test"
data_dir = "{work.name}"
public_url = "https://127.0.0.1:{ports['https']}"
[listeners]
smtp = ""
submission = ""
submissions = "127.0.0.1:{ports['submissions']}"
imap = ""
imaps = ""
pop3 = ""
pop3s = ""
http = "127.0.0.1:{ports['http']}"
https = "127.0.0.1:{ports['https']}"
[webhooks]
allow_private_targets = true
retry_delays_seconds = [1]
[dns]
nameservers = ["127.0.0.1:9"]
timeout_ms = 200
"""
    )
    proc = subprocess.Popen([binary, "--config", str(config), "serve"], stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{ports['http']}"
    for _ in range(100):
        try:
            if httpx.get(base + "/healthz").status_code == 200:
                break
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    token = subprocess.check_output(
        [binary, "--config", str(config), "token", "create", "--role", "admin"], text=True
    ).strip()
    client = AuthenticatedClient(base_url=base, token=token)
    yield client, ports
    proc.terminate()
    proc.wait(timeout=30)
    work.cleanup()


def tls() -> ssl.SSLContext:
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def test_provisioning_limits_and_auth_failures(server):
    client, ports = server
    domain = create_domain.sync(client=client, body=CreateDomainRequest(name="client.test"))
    assert domain.name == "client.test"
    account = create_account.sync(
        client=client,
        body=CreateAccountRequest(address="alice@client.test", password="alice passphrase"),
    )
    assert account.address == "alice@client.test"
    updated = update_account.sync(
        "alice@client.test",
        client=client,
        body=UpdateAccountRequest(sending_limit=SendingLimit(max_messages=50, window_seconds=3600)),
    )
    assert updated.sending_limit.max_messages == 50
    assert get_account.sync("alice@client.test", client=client).sending_limit.window_seconds == 3600
    settings = put_hijack.sync(
        client=client,
        body=HijackSettings(
            enabled=True, exempt_accounts=[], freeze_on_limit=True, max_messages=100, window_seconds=600
        ),
    )
    assert settings.max_messages == 100

    with smtplib.SMTP_SSL("127.0.0.1", ports["submissions"], context=tls()) as smtp:
        with pytest.raises(smtplib.SMTPAuthenticationError):
            smtp.login("alice@client.test", "wrong password")
    failures = list_failures.sync(client=client, account="alice@client.test").items
    assert failures and failures[0].username == "alice@client.test"
    assert failures[0].ip == "127.0.0.1"


def test_signed_webhook_and_attachment_link(server):
    client, ports = server
    received: list[tuple[bytes, dict]] = []

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((body, dict(self.headers)))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    http = HTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=http.serve_forever, daemon=True).start()
    hook = create_webhook.sync(
        client=client,
        body=CreateWebhookRequest(
            events=["account.created", "attachment.linked"],
            url=f"http://127.0.0.1:{http.server_port}/hook",
        ),
    )
    assert hook.secret.startswith("whsec_")
    create_account.sync(
        client=client,
        body=CreateAccountRequest(
            address="bob@client.test",
            password="bob passphrase",
            attachment_linking=AttachmentLinking(enabled=True, min_size_bytes=1000, expires_after_days=1),
        ),
    )
    for _ in range(100):
        if received:
            break
        time.sleep(0.1)
    body, headers = received[0]
    event = verify(hook.secret, body, headers)
    assert event["type"] == "account.created"
    assert event["data"]["address"] == "bob@client.test"
    with pytest.raises(WebhookVerificationError):
        verify(hook.secret, body.replace(b"bob", b"eve"), headers)

    content = os.urandom(5000)
    msg = EmailMessage()
    msg["From"] = "bob@client.test"
    msg["To"] = "alice@client.test"
    msg["Subject"] = "file"
    msg.set_content("attached")
    msg.add_attachment(content, maintype="application", subtype="octet-stream", filename="data.bin")
    with smtplib.SMTP_SSL("127.0.0.1", ports["submissions"], context=tls()) as smtp:
        smtp.login("bob@client.test", "bob passphrase")
        smtp.send_message(msg)
    links = list_links.sync(client=client, account="bob@client.test").items
    assert len(links) == 1 and links[0].file_name == "data.bin"
    download = httpx.get(links[0].url, verify=False)
    assert download.status_code == 200
    assert download.content == content
    http.shutdown()
    json.dumps(event)  # the event is plain JSON
