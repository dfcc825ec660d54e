#!/usr/bin/env bash
# Rampart against Postfix on this machine, same load, same run.
#
#   bench/run.sh            # everything (needs root: installs and reconfigures Postfix)
#   N=5000 bench/run.sh     # fewer messages
#
# Receiving: smtp-source pushes N messages of SIZE octets over SESSIONS
# sessions (and over 1) to smtp-sink (no storage: the load generator's
# ceiling), to Postfix delivering to virtual Maildir mailboxes, and to
# Rampart on SQLite and on PostgreSQL delivering to local mailboxes. A 250
# means stored durably in each case (Postfix: queue file fsynced).
# Latency (end of DATA -> 250) comes from bench/loadgen.py; RSS from /proc.
# Outbound: the same load relayed to smtp-sink through each server.
# Traffic stays on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
N=${N:-20000}
SIZE=${SIZE:-4096}
SESSIONS=${SESSIONS:-20}
IDLE=${IDLE:-1000}
WORK=$(mktemp -d /var/tmp/rampart-bench.XXXXXX)
chmod 755 "$WORK"
SINK_PORT=2525; POSTFIX_PORT=2526; RAMPART_SMTP=2527; RAMPART_HTTP=8097
PIDS=()
cleanup() {
    for p in "${PIDS[@]:-}"; do kill "$p" 2>/dev/null || true; done
    postfix stop >/dev/null 2>&1 || true
}
trap cleanup EXIT
ulimit -n 65536 || true

log() { echo "== $*" >&2; }
now() { date +%s.%N; }
rate() { python3 -c "print(round($1/($3-$2),1))"; }

if ! command -v smtp-source >/dev/null || ! command -v postfix >/dev/null; then
    log "installing postfix (brings smtp-source and smtp-sink)"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postfix >/dev/null
fi
log "building rampart (release)"
cargo build --release -q
BIN="$ROOT/target/release/rampart"

# smtp-source: -d keeps one connection per session; -s sessions; -m total.
source_load() { # port sessions count recipient
    smtp-source -d -s "$2" -m "$3" -l "$SIZE" -f load@sender.bench -t "$4" "127.0.0.1:$1" >/dev/null
}

results=()
record() { results+=("$1|$2|$3"); echo "$1: $2 msg/s $3" >&2; }

# --- 1. smtp-sink: the ceiling ------------------------------------------------
log "smtp-sink"
smtp-sink -u nobody "127.0.0.1:$SINK_PORT" 1024 & PIDS+=($!)
sleep 0.5
for s in "$SESSIONS" 1; do
    t0=$(now); source_load $SINK_PORT "$s" "$N" sink@bench.test; t1=$(now)
    record "smtp-sink, $s sessions" "$(rate "$N" "$t0" "$t1")" ""
done
SINK_RATE=$(echo "${results[0]}" | cut -d'|' -f2)

# --- 2. Postfix to virtual Maildirs -------------------------------------------
log "postfix"
postfix stop >/dev/null 2>&1 || true
mkdir -p "$WORK/postfix-mail" && chown nobody:nogroup "$WORK/postfix-mail"
cp /etc/postfix/main.cf "$WORK/main.cf.orig"; cp /etc/postfix/master.cf "$WORK/master.cf.orig"
restore_postfix() { cp "$WORK/main.cf.orig" /etc/postfix/main.cf; cp "$WORK/master.cf.orig" /etc/postfix/master.cf; }
trap 'cleanup; restore_postfix 2>/dev/null || true' EXIT
postconf -e "inet_interfaces = loopback-only" "inet_protocols = ipv4" "mydestination =" \
    "virtual_mailbox_domains = bench.test" "virtual_mailbox_base = $WORK/postfix-mail" \
    "virtual_mailbox_maps = static:bench/" "virtual_uid_maps = static:65534" "virtual_gid_maps = static:65534" \
    "mynetworks = 127.0.0.0/8" "smtpd_relay_restrictions = permit_mynetworks, reject" \
    "relayhost = [127.0.0.1]:$SINK_PORT" "default_process_limit = 200" "smtp_tls_security_level = none" \
    "maillog_file = $WORK/postfix.log"
postconf -MX smtp/inet >/dev/null 2>&1 || true
postconf -M "127.0.0.1:$POSTFIX_PORT/inet=127.0.0.1:$POSTFIX_PORT inet n - y - - smtpd"
postfix start >/dev/null 2>&1
sleep 1
maildir_count() { find "$WORK/postfix-mail/bench" -type f -path '*/new/*' 2>/dev/null | wc -l; }
expected=0
for s in "$SESSIONS" 1; do
    expected=$((expected + N))
    t0=$(now); source_load $POSTFIX_PORT "$s" "$N" box@bench.test; t1=$(now)
    while [ "$(maildir_count)" -lt "$expected" ]; do sleep 0.2; done; t2=$(now)
    record "postfix, $s sessions" "$(rate "$N" "$t0" "$t1")" "(in Maildir: $(rate "$N" "$t0" "$t2") msg/s)"
done
POSTFIX_RATE=$(echo "${results[2]}" | cut -d'|' -f2)
log "postfix outbound to smtp-sink"
t0=$(now); source_load $POSTFIX_PORT "$SESSIONS" "$N" someone@remote.bench
while [ -n "$(postqueue -j 2>/dev/null | head -c1)" ]; do sleep 0.2; done; t1=$(now)
record "postfix outbound, $SESSIONS sessions (accepted and relayed)" "$(rate "$N" "$t0" "$t1")" ""
POSTFIX_OUT=$(echo "${results[-1]}" | cut -d'|' -f2)
postfix stop >/dev/null 2>&1 || true
restore_postfix
trap cleanup EXIT

# --- 3. Rampart on SQLite and PostgreSQL --------------------------------------
run_rampart() { # label database_url
    local label=$1 db=$2 dir="$WORK/rampart-$1"
    mkdir -p "$dir"
    cat > "$dir/rampart.toml" <<EOF
hostname = "mx.bench.test"
data_dir = "$dir"
database_url = "$db"
log_format = "json"
[listeners]
smtp = "127.0.0.1:$RAMPART_SMTP"
submission = ""
submissions = ""
imap = ""
imaps = ""
pop3 = ""
pop3s = ""
http = "127.0.0.1:$RAMPART_HTTP"
https = ""
[smtp]
max_connections_per_ip = 5000
max_connections = 5000
[outbound]
relay_host = "127.0.0.1:$SINK_PORT"
EOF
    RAMPART_LOG=warn "$BIN" --config "$dir/rampart.toml" serve 2>"$dir/server.log" & local pid=$!; PIDS+=($pid)
    for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$RAMPART_HTTP/healthz" >/dev/null && break; sleep 0.1; done
    local token; token=$("$BIN" --config "$dir/rampart.toml" token create --role admin)
    local api=(curl -sf -H "Authorization: Bearer $token" -H 'Content-Type: application/json')
    "${api[@]}" -d '{"name":"bench.test"}' "http://127.0.0.1:$RAMPART_HTTP/v1/domains" >/dev/null
    "${api[@]}" -d '{"address":"box@bench.test","password":"bench password"}' "http://127.0.0.1:$RAMPART_HTTP/v1/accounts" >/dev/null
    "${api[@]}" -X PUT -d '{"trusted_networks":["127.0.0.0/8"],"require_auth_for_local_senders":true,"sender_must_match_auth":true}' \
        "http://127.0.0.1:$RAMPART_HTTP/v1/settings/relay" >/dev/null
    log "rampart ($label)"
    local first=""
    for s in "$SESSIONS" 1; do
        t0=$(now); source_load $RAMPART_SMTP "$s" "$N" box@bench.test; t1=$(now)
        local r; r=$(rate "$N" "$t0" "$t1")
        [ -z "$first" ] && first=$r
        record "rampart $label, $s sessions" "$r" ""
    done
    local lat; lat=$(python3 bench/loadgen.py latency $RAMPART_SMTP "$SESSIONS" 5000 "$SIZE" box@bench.test)
    record "rampart $label, latency (loadgen, $SESSIONS sessions)" "$(echo "$lat" | python3 -c 'import json,sys;print(json.load(sys.stdin)["rate"])')" \
        "p50 $(echo "$lat" | python3 -c 'import json,sys;print(json.load(sys.stdin)["p50_ms"])') ms, p99 $(echo "$lat" | python3 -c 'import json,sys;print(json.load(sys.stdin)["p99_ms"])') ms"
    local hwm; hwm=$(awk '/VmHWM/ {print $2}' /proc/$pid/status)
    record "rampart $label, peak RSS" "-" "$((hwm / 1024)) MiB"
    log "rampart ($label) outbound to smtp-sink"
    t0=$(now); source_load $RAMPART_SMTP "$SESSIONS" "$N" someone@remote.bench
    while true; do
        local pending
        pending=$("${api[@]}" "http://127.0.0.1:$RAMPART_HTTP/v1/queue?state=scheduled&limit=1" | python3 -c 'import json,sys;print(len(json.load(sys.stdin)["items"]))')
        pending2=$("${api[@]}" "http://127.0.0.1:$RAMPART_HTTP/v1/queue?state=in_flight&limit=1" | python3 -c 'import json,sys;print(len(json.load(sys.stdin)["items"]))')
        [ "$pending" = 0 ] && [ "$pending2" = 0 ] && break
        sleep 0.2
    done
    t1=$(now)
    record "rampart $label outbound, $SESSIONS sessions (accepted and relayed)" "$(rate "$N" "$t0" "$t1")" ""
    if [ "$label" = sqlite ]; then
        local idle; idle=$(python3 bench/loadgen.py idle $RAMPART_SMTP "$IDLE" 2 "$pid")
        record "rampart $label, RSS with $IDLE idle connections" "-" "$(( $(echo "$idle" | python3 -c 'import json,sys;print(json.load(sys.stdin)["rss_kib"])') / 1024 )) MiB"
        RAMPART_RATE=$first
    fi
    kill "$pid"; wait "$pid" 2>/dev/null || true
}
run_rampart sqlite "sqlite://$WORK/rampart-sqlite/rampart.db"
if pg_isready -h 127.0.0.1 -q 2>/dev/null; then
    psql -h 127.0.0.1 -U postgres -d test -qc "DROP DATABASE IF EXISTS rampart_bench" >/dev/null
    psql -h 127.0.0.1 -U postgres -d test -qc "CREATE DATABASE rampart_bench" >/dev/null
    run_rampart postgres "postgres://postgres@127.0.0.1/rampart_bench"
fi

# --- Report --------------------------------------------------------------------
echo
echo "Machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -r); $(date -u +%Y-%m-%d)"
echo "Load: $N messages of $SIZE octets; smtp-source -d"
echo
echo "| run | messages/s | notes |"
echo "| --- | ---: | --- |"
for r in "${results[@]}"; do echo "| $(echo "$r" | cut -d'|' -f1) | $(echo "$r" | cut -d'|' -f2) | $(echo "$r" | cut -d'|' -f3) |"; done
echo
python3 -c "print(f'Rampart/Postfix ({$SESSIONS} sessions): {float(\"$RAMPART_RATE\")/float(\"$POSTFIX_RATE\"):.2f}x; Rampart/smtp-sink: {float(\"$RAMPART_RATE\")/float(\"$SINK_RATE\"):.2f}')"
rm -rf "$WORK"
