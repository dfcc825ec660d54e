#!/usr/bin/env bash
# Submission throughput with hijack detection on versus off (issue target:
# on/off >= 0.9). Authenticated submissions over implicit TLS (465 style),
# SESSIONS sessions, N messages each run. Rampart on SQLite, 127.0.0.1 only.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-6000}; SESSIONS=${SESSIONS:-20}; SIZE=${SIZE:-4096}
SUB=2528; HTTP=8098
WORK=$(mktemp -d /var/tmp/rampart-hijack.XXXXXX)
cargo build --release -q
BIN=target/release/rampart
cat > "$WORK/rampart.toml" <<CONF
hostname = "mx.bench.test"
data_dir = "$WORK"
[listeners]
smtp = ""
submission = ""
submissions = "127.0.0.1:$SUB"
imap = ""
imaps = ""
pop3 = ""
pop3s = ""
http = "127.0.0.1:$HTTP"
https = ""
[smtp]
max_connections_per_ip = 5000
CONF
RAMPART_LOG=warn "$BIN" --config "$WORK/rampart.toml" serve 2>"$WORK/server.log" & PID=$!
trap 'kill $PID 2>/dev/null; rm -rf "$WORK"' EXIT
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$HTTP/healthz" >/dev/null && break; sleep 0.1; done
TOKEN=$("$BIN" --config "$WORK/rampart.toml" token create --role admin)
api() { curl -sf -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' "$@"; }
api -d '{"name":"bench.test"}' "http://127.0.0.1:$HTTP/v1/domains" >/dev/null
api -d '{"address":"sender@bench.test","password":"bench password"}' "http://127.0.0.1:$HTTP/v1/accounts" >/dev/null
api -d '{"address":"box@bench.test","password":"bench password"}' "http://127.0.0.1:$HTTP/v1/accounts" >/dev/null
run() {
    api -X PUT -d "{\"enabled\": $1, \"max_messages\": 1000000000, \"window_seconds\": 3600, \"freeze_on_limit\": true, \"exempt_accounts\": []}" \
        "http://127.0.0.1:$HTTP/v1/settings/hijack-detection" >/dev/null
    python3 bench/loadgen.py submit $SUB "$SESSIONS" "$N" "$SIZE" sender@bench.test "bench password" box@bench.test \
        | python3 -c 'import json,sys; print(json.load(sys.stdin)["rate"])'
}
run false >/dev/null   # warm-up
OFF=$(run false); ON=$(run true); OFF2=$(run false); ON2=$(run true)
python3 - "$OFF" "$ON" "$OFF2" "$ON2" <<'PY'
import sys
off1, on1, off2, on2 = map(float, sys.argv[1:])
off, on = (off1 + off2) / 2, (on1 + on2) / 2
print(f"| submission, hijack detection off | {off:.0f} msg/s |")
print(f"| submission, hijack detection on | {on:.0f} msg/s |")
print(f"on/off ratio: {on/off:.2f} (runs: off {off1:.0f}, {off2:.0f}; on {on1:.0f}, {on2:.0f})")
PY
