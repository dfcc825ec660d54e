#!/usr/bin/env bash
# Inbound (port 25) throughput with the sender checks on versus off, against
# DNS that behaves like real resolvers do (issue #17), one connection per
# message as an MX sees it. The sender's domain has no SPF and no DMARC
# record, so most lookups end in NXDOMAIN without an SOA. Three resolvers,
# all bench/dnsd.py on loopback:
#   (a) answers at once, NXDOMAIN without SOA
#   (b) answers everything 200 ms late
#   (c) answers at once but drops a fifth of the queries
# Rampart on SQLite, release build, 127.0.0.1 only. Prints a Markdown table
# and writes it to bench/results-<date>-dns.md.
#
#   N=4000 SESSIONS=20 SIZE=4096 bench/dns_realistic.sh
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-4000}; SESSIONS=${SESSIONS:-20}; SIZE=${SIZE:-4096}
BIN=${RAMPART_BIN:-target/release/rampart}
[ -x "$BIN" ] || { echo "build $BIN first (cargo build --release)" >&2; exit 1; }
SMTP=2528; HTTP=8098; DNS=5398
WORK=$(mktemp -d /var/tmp/rampart-dns.XXXXXX)
PID=""; DNSPID=""
cleanup() { kill $PID $DNSPID 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
BUDGET_MS=4000
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
timeout_ms = 1000
message_budget_ms = $BUDGET_MS
check_interval_seconds = 0
CONF
env -u RAMPART_DATABASE_URL RAMPART_LOG=warn "$BIN" --config "$WORK/rampart.toml" serve 2>"$WORK/server.log" & PID=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$HTTP/healthz" >/dev/null && break; sleep 0.1; done
TOKEN=$("$BIN" --config "$WORK/rampart.toml" token create --role admin)
api() { curl -sf -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' "$@"; }
api -d '{"name":"bench.test"}' "http://127.0.0.1:$HTTP/v1/domains" >/dev/null
api -d '{"address":"box@bench.test","password":"bench password"}' "http://127.0.0.1:$HTTP/v1/accounts" >/dev/null

dns() { # delay_ms drop_fraction
    [ -n "$DNSPID" ] && { kill "$DNSPID" 2>/dev/null || true; wait "$DNSPID" 2>/dev/null || true; }
    python3 bench/dnsd.py $DNS "$1" "$2" & DNSPID=$!
    sleep 0.3
}
run() { # checks on/off -> "rate p50 p99 max errors"
    api -X PUT -d "{\"enabled\": $1}" "http://127.0.0.1:$HTTP/v1/settings/inbound-screening" >/dev/null
    sleep 1.1  # settings are cached for a second
    python3 bench/loadgen.py perconn $SMTP "$SESSIONS" "$N" "$SIZE" box@bench.test "$SENDER" \
        | python3 -c 'import json,sys; r=json.load(sys.stdin); print(r["rate"], r["p50_ms"], r["p99_ms"], r["max_ms"], r["errors"])'
}
ROWS=()
for mode in "a 0 0" "b 200 0" "c 0 0.2"; do
    set -- $mode
    # A new sender domain per resolver, so no answer cached in an earlier
    # mode helps this one.
    SENDER="load@nospf-$1.bench"
    dns "$2" "$3"
    OFF=$(run false); ON=$(run true)
    ROWS+=("$1|$2|$3|$OFF|$ON")
done
DATE=$(date -u +%F)
OUT=bench/results-$DATE-dns.md
python3 - "$N" "$SESSIONS" "$SIZE" "$BUDGET_MS" "${ROWS[@]}" > "$OUT" <<'PY'
import sys
n, sessions, size, budget = sys.argv[1:5]
names = {"a": "(a) NXDOMAIN without SOA, at once", "b": "(b) every answer 200 ms late",
         "c": "(c) a fifth of queries dropped"}
print(f"# bench/dns_realistic.sh\n\n{n} messages of {size} bytes, {sessions} concurrent senders, a new "
      f"connection per message; sender domain without SPF or DMARC; [dns] timeout_ms = 1000, "
      f"message_budget_ms = {budget}. Time per message is connect to final reply.\n")
print("| resolver | checks off msg/s | checks on msg/s | on/off | on: p50 / p99 / max ms | errors off/on |")
print("| --- | ---: | ---: | ---: | --- | --- |")
for row in sys.argv[5:]:
    mode, _, _, off, on = row.split("|")
    off, on = off.split(), on.split()
    print(f"| {names[mode]} | {off[0]} | {on[0]} | {float(on[0]) / float(off[0]):.2f} | "
          f"{on[1]} / {on[2]} / {on[3]} | {off[4]} / {on[4]} |")
PY
cat "$OUT"
