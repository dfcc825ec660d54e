#!/usr/bin/env bash
# Linked-attachment downloads: one 100 MiB file over HTTPS, then 20 parallel
# downloads while the server's RSS is sampled (target: under 64 MiB above
# its RSS at rest). Rampart on SQLite, 127.0.0.1 only.
set -euo pipefail
cd "$(dirname "$0")/.."
MIB=${MIB:-100}; PARALLEL=${PARALLEL:-20}
SUB=2529; HTTP=8099; HTTPS=8449
WORK=$(mktemp -d /var/tmp/rampart-attach.XXXXXX)
cargo build --release -q
BIN=target/release/rampart
cat > "$WORK/rampart.toml" <<CONF
hostname = "localhost"
data_dir = "$WORK"
public_url = "https://127.0.0.1:$HTTPS"
[listeners]
smtp = ""
submission = ""
submissions = "127.0.0.1:$SUB"
imap = ""
imaps = ""
pop3 = ""
pop3s = ""
http = "127.0.0.1:$HTTP"
https = "127.0.0.1:$HTTPS"
[smtp]
max_message_size = 314572800
CONF
RAMPART_LOG=warn "$BIN" --config "$WORK/rampart.toml" serve 2>"$WORK/server.log" & PID=$!
trap 'kill $PID 2>/dev/null; rm -rf "$WORK"' EXIT
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$HTTP/healthz" >/dev/null && break; sleep 0.1; done
TOKEN=$("$BIN" --config "$WORK/rampart.toml" token create --role admin)
api() { curl -sf -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' "$@"; }
api -d '{"name":"bench.test"}' "http://127.0.0.1:$HTTP/v1/domains" >/dev/null
api -d '{"address":"sender@bench.test","password":"bench password","attachment_linking":{"enabled":true,"min_size_bytes":1048576,"expires_after_days":1}}' \
    "http://127.0.0.1:$HTTP/v1/accounts" >/dev/null
api -d '{"address":"box@bench.test","password":"bench password"}' "http://127.0.0.1:$HTTP/v1/accounts" >/dev/null
python3 - "$SUB" "$MIB" <<'PY'
import smtplib, ssl, sys, os
from email.message import EmailMessage
port, mib = int(sys.argv[1]), int(sys.argv[2])
msg = EmailMessage()
msg["From"] = "sender@bench.test"; msg["To"] = "box@bench.test"; msg["Subject"] = "big file"
msg.set_content("The file is attached.")
msg.add_attachment(os.urandom(mib * 1024 * 1024), maintype="application", subtype="octet-stream", filename="big.bin")
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
with smtplib.SMTP_SSL("127.0.0.1", port, context=ctx) as s:
    s.login("sender@bench.test", "bench password")
    s.send_message(msg)
PY
URL=$(api "http://127.0.0.1:$HTTP/v1/attachment-links" | python3 -c 'import json,sys; print(json.load(sys.stdin)["items"][0]["url"])')
sleep 2
rss() { awk '/VmRSS/ {print $2}' /proc/$PID/status; }
REST=$(rss)
t0=$(date +%s.%N); curl -sk -o /dev/null "$URL"; t1=$(date +%s.%N)
SINGLE=$(python3 -c "print(round($MIB/($t1-$t0),1))")
( while kill -0 $PID 2>/dev/null; do rss; sleep 0.05; done ) > "$WORK/rss.log" & SAMPLER=$!
t0=$(date +%s.%N)
PIDS=()
for _ in $(seq 1 "$PARALLEL"); do curl -sk -o /dev/null "$URL" & PIDS+=($!); done
wait "${PIDS[@]}"
t1=$(date +%s.%N)
kill $SAMPLER 2>/dev/null || true
PEAK=$(sort -n "$WORK/rss.log" | tail -1)
python3 - "$MIB" "$PARALLEL" "$t0" "$t1" "$SINGLE" "$REST" "$PEAK" <<'PY'
import sys
mib, n, t0, t1, single, rest, peak = sys.argv[1:]
mib, n, t0, t1, rest, peak = int(mib), int(n), float(t0), float(t1), int(rest), int(peak)
print(f"| one {mib} MiB download over HTTPS | {single} MiB/s |")
print(f"| {n} parallel downloads over HTTPS | {mib*n/(t1-t0):.1f} MiB/s in all |")
print(f"| RSS at rest / peak during the {n} downloads | {rest//1024} MiB / {peak//1024} MiB (+{(peak-rest)//1024} MiB) |")
PY
