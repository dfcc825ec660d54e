// The client against a live `rampart serve` on 127.0.0.1: provisioning,
// sending limits, hijack settings, an auth failure, a signed webhook
// verified with the helper, and an attachment downloaded by its link.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import net from "node:net";
import tls from "node:tls";
import os from "node:os";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";

import { rampartClient, verifyWebhook, WebhookVerificationError } from "../src/index.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const binary = process.env.RAMPART_BIN ?? path.join(root, "target/debug/rampart");
let server, work, api, ports;

async function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

before(async () => {
  work = mkdtempSync(path.join(os.tmpdir(), "rampart-ts-"));
  ports = { submissions: await freePort(), http: await freePort(), https: await freePort() };
  const config = path.join(work, "rampart.toml");
  writeFileSync(
    config,
    `hostname = "mx.client.test"
data_dir = "${work}"
public_url = "https://127.0.0.1:${ports.https}"
[listeners]
smtp = ""
submission = ""
submissions = "127.0.0.1:${ports.submissions}"
imap = ""
imaps = ""
pop3 = ""
pop3s = ""
http = "127.0.0.1:${ports.http}"
https = "127.0.0.1:${ports.https}"
[webhooks]
allow_private_targets = true
retry_delays_seconds = [1]
[dns]
nameservers = ["127.0.0.1:9"]
timeout_ms = 200
`,
  );
  server = spawn(binary, ["--config", config, "serve"], { stdio: "ignore" });
  const base = `http://127.0.0.1:${ports.http}`;
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(`${base}/healthz`)).ok) break;
    } catch {}
    await new Promise((r) => setTimeout(r, 100));
  }
  const token = execFileSync(binary, ["--config", config, "token", "create", "--role", "admin"], {
    encoding: "utf8",
  }).trim();
  api = rampartClient(base, token);
});

after(() => {
  server?.kill("SIGTERM");
  rmSync(work, { recursive: true, force: true });
});

/** A minimal SMTP client over implicit TLS: each command's final reply code. */
async function smtp(commands) {
  const socket = tls.connect({ host: "127.0.0.1", port: ports.submissions, rejectUnauthorized: false });
  let buffer = "";
  const waiters = [];
  socket.on("data", (d) => {
    buffer += d.toString();
    let m;
    while ((m = buffer.match(/^(\d{3}) .*\r\n/m))) {
      const end = buffer.indexOf(m[0]) + m[0].length;
      buffer = buffer.slice(end);
      waiters.shift()?.(Number(m[1]));
    }
  });
  const reply = () => new Promise((resolve) => waiters.push(resolve));
  const codes = [await reply()];
  for (const c of commands) {
    const next = reply();
    socket.write(c + "\r\n");
    codes.push(await next);
  }
  socket.end();
  return codes;
}

const plain = (user, pass) => Buffer.from(`\0${user}\0${pass}`).toString("base64");

test("provisioning, limits and auth failures", async () => {
  const domain = await api.POST("/v1/domains", { body: { name: "client.test" } });
  assert.equal(domain.response.status, 201);
  const account = await api.POST("/v1/accounts", {
    body: { address: "alice@client.test", password: "alice passphrase" },
  });
  assert.equal(account.data.address, "alice@client.test");
  const updated = await api.PATCH("/v1/accounts/{address}", {
    params: { path: { address: "alice@client.test" } },
    body: { sending_limit: { max_messages: 50, window_seconds: 3600 } },
  });
  assert.equal(updated.data.sending_limit.max_messages, 50);
  const hijack = await api.PUT("/v1/settings/hijack-detection", {
    body: { enabled: true, exempt_accounts: [], freeze_on_limit: true, max_messages: 100, window_seconds: 600 },
  });
  assert.equal(hijack.data.max_messages, 100);
  const codes = await smtp(["EHLO client.test", `AUTH PLAIN ${plain("alice@client.test", "wrong")}`, "QUIT"]);
  assert.equal(codes[2], 535);
  const failures = await api.GET("/v1/auth-failures", { params: { query: { account: "alice@client.test" } } });
  assert.equal(failures.data.items[0].username, "alice@client.test");
  assert.equal(failures.data.items[0].ip, "127.0.0.1");
});

test("signed webhook and attachment link", async () => {
  const received = [];
  const receiver = createServer((req, res) => {
    let body = "";
    req.on("data", (d) => (body += d));
    req.on("end", () => {
      received.push({ body, headers: req.headers });
      res.writeHead(204).end();
    });
  });
  await new Promise((r) => receiver.listen(0, "127.0.0.1", r));
  const hook = await api.POST("/v1/webhooks", {
    body: { events: ["account.created"], url: `http://127.0.0.1:${receiver.address().port}/hook` },
  });
  assert.ok(hook.data.secret.startsWith("whsec_"));
  await api.POST("/v1/accounts", {
    body: {
      address: "bob@client.test",
      password: "bob passphrase",
      attachment_linking: { enabled: true, min_size_bytes: 1000, expires_after_days: 1 },
    },
  });
  for (let i = 0; i < 100 && received.length === 0; i++) await new Promise((r) => setTimeout(r, 100));
  const { body, headers } = received[0];
  const event = verifyWebhook(hook.data.secret, body, headers);
  assert.equal(event.type, "account.created");
  assert.equal(event.data.address, "bob@client.test");
  assert.throws(() => verifyWebhook(hook.data.secret, body.replace("bob", "eve"), headers), WebhookVerificationError);
  receiver.close();

  const content = randomBytes(5000);
  const b64 = content.toString("base64").replace(/.{76}/g, "$&\r\n");
  const message = [
    "From: bob@client.test",
    "To: alice@client.test",
    "Subject: file",
    "MIME-Version: 1.0",
    'Content-Type: multipart/mixed; boundary="b"',
    "",
    "--b",
    "Content-Type: text/plain",
    "",
    "attached",
    "--b",
    "Content-Type: application/octet-stream",
    'Content-Disposition: attachment; filename="data.bin"',
    "Content-Transfer-Encoding: base64",
    "",
    b64,
    "--b--",
    ".",
  ].join("\r\n");
  const codes = await smtp([
    "EHLO client.test",
    `AUTH PLAIN ${plain("bob@client.test", "bob passphrase")}`,
    "MAIL FROM:<bob@client.test>",
    "RCPT TO:<alice@client.test>",
    "DATA",
    message,
    "QUIT",
  ]);
  assert.deepEqual(codes.slice(1, 7), [250, 235, 250, 250, 354, 250]);
  const links = await api.GET("/v1/attachment-links", { params: { query: { account: "bob@client.test" } } });
  assert.equal(links.data.items.length, 1);
  assert.equal(links.data.items[0].file_name, "data.bin");
  process.env.NODE_TLS_REJECT_UNAUTHORIZED = "0"; // the server's self-signed certificate
  const download = await fetch(links.data.items[0].url);
  assert.equal(download.status, 200);
  assert.deepEqual(Buffer.from(await download.arrayBuffer()), content);
});
