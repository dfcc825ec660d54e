#!/usr/bin/env bash
# Inbound (port 25) throughput with the sender checks on versus off: iprev,
# HELO, SPF, DKIM (unsigned mail: "none") and DMARC, answered by a DNS
# server on loopback (bench/dnsd.py), resolver cache warm. Rampart on
# SQLite, 127.0.0.1 only.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-10000}; SESSIONS=${SESSIONS:-20}; SIZE=${SIZE:-4096}
SMTP=2527; HTTP=8097; DNS=5399
WORK=$(mktemp -d /var/tmp/rampart-checks.XXXXXX)
cargo build --release -q
BIN=target/release/rampart
python3 bench/dnsd.py $DNS & DNSPID=$!
cat > "$WORK/rampart.toml" <<CONF
hostname = "mx.bench.test"
data_dir = "$WORK"
[listeners]
smtp = "127.0.0.1:$SMTP"
submission = ""
submissions = ""
imap = ""
imaps = ""
pop3 = ""
pop3s = ""
http = "127.0.0.1:$HTTP"
https = ""
[smtp]
max_connections_per_ip = 5000
[dns]
nameservers = ["127.0.0.1:$DNS"]
CONF
RAMPART_LOG=warn "$BIN" --config "$WORK/rampart.toml" serve 2>"$WORK/server.log" & PID=$!
trap 'kill $PID $DNSPID 2>/dev/null; rm -rf "$WORK"' EXIT
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$HTTP/healthz" >/dev/null && break; sleep 0.1; done
TOKEN=$("$BIN" --config "$WORK/rampart.toml" token create --role admin)
api() { curl -sf -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' "$@"; }
api -d '{"name":"bench.test"}' "http://127.0.0.1:$HTTP/v1/domains" >/dev/null
api -d '{"address":"box@bench.test","password":"bench password"}' "http://127.0.0.1:$HTTP/v1/accounts" >/dev/null
# What the checks find for the load generator's mail, once.
api -d '{"ip":"127.0.0.1","helo":"loadgen.bench","mail_from":"load@sender.bench","message":"From: load@sender.bench\r\nSubject: bench\r\n\r\nx\r\n"}' \
    "http://127.0.0.1:$HTTP/v1/tools/sender-check" | python3 -c 'import json,sys; r=json.load(sys.stdin); print("checks:", r["iprev"]["result"], r["spf"]["result"], r["dkim"][0]["result"], (r.get("dmarc") or {}).get("result"), "score", r["score"], r["verdict"])' >&2
run() {
    api -X PUT -d "{\"enabled\": $1}" "http://127.0.0.1:$HTTP/v1/settings/inbound-screening" >/dev/null
    sleep 1.1  # settings are cached for a second
    python3 bench/loadgen.py latency $SMTP "$SESSIONS" "$N" "$SIZE" box@bench.test \
        | python3 -c 'import json,sys; r=json.load(sys.stdin); assert r["errors"] == 0, r; print(r["rate"], r["p50_ms"], r["p99_ms"])'
}
run false >/dev/null   # warm-up
OFF=$(run false); ON=$(run true); OFF2=$(run false); ON2=$(run true)
python3 - "$OFF" "$ON" "$OFF2" "$ON2" <<'PY'
import sys
off1, on1, off2, on2 = (list(map(float, a.split())) for a in sys.argv[1:])
off, on = (off1[0] + off2[0]) / 2, (on1[0] + on2[0]) / 2
print(f"| inbound, sender checks off | {off:.0f} msg/s | p50 {off1[1]} ms, p99 {off1[2]} ms |")
print(f"| inbound, sender checks on | {on:.0f} msg/s | p50 {on1[1]} ms, p99 {on1[2]} ms |")
print(f"on/off ratio: {on/off:.2f} (runs: off {off1[0]:.0f}, {off2[0]:.0f}; on {on1[0]:.0f}, {on2[0]:.0f})")
PY
