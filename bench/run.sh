#!/usr/bin/env bash
# Rampart against Postfix on this machine, same load, same run.
#
#   bench/run.sh            # everything (needs root: installs and reconfigures Postfix)
#   N=5000 bench/run.sh     # fewer messages
#   MODES=new bench/run.sh  # only a new connection per message
#
# Receiving: smtp-source pushes N messages of SIZE octets over SESSIONS
# sessions, in two modes: a NEW connection per message (what an MX sees:
# smtp-source without -d) and PERSISTENT sessions (smtp-source -d, many
# messages per connection). Against smtp-sink (no storage: the load
# generator's ceiling), Postfix delivering to virtual Maildir mailboxes,
# Rampart on SQLite and on PostgreSQL delivering to local mailboxes, and
# Rampart on SQLite with its inbound sender checks on (iprev, HELO, SPF,
# DKIM, DMARC, answered by bench/dnsd.py on loopback). A 250 means stored
# durably in each case (Postfix: its queue file fsynced, as shipped).
# Rampart's checks are off in the other rows (the load comes from a trusted
# network) because this Postfix runs no SPF/DKIM/DMARC policy.
# Latency (connect or end of DATA -> 250) comes from bench/loadgen.py; peak
# RSS from /proc. Outbound: the same load relayed to smtp-sink through each
# server. Traffic stays on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
N=${N:-20000}
SIZE=${SIZE:-4096}
SESSIONS=${SESSIONS:-20}
IDLE=${IDLE:-1000}
MODES=${MODES:-"new persistent"}
WORK=$(mktemp -d /var/tmp/rampart-bench.XXXXXX)
chmod 755 "$WORK"
SINK_PORT=2525; POSTFIX_PORT=2526; RAMPART_SMTP=2527; RAMPART_HTTP=8097; DNS_PORT=5399
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
json_field() { python3 -c "import json,sys;print(json.load(sys.stdin)[\"$1\"])"; }

if ! command -v smtp-source >/dev/null || ! command -v postfix >/dev/null; then
    log "installing postfix (brings smtp-source and smtp-sink)"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postfix >/dev/null
fi
log "building rampart (release)"
cargo build --release -q
BIN="$ROOT/target/release/rampart"

# smtp-source: -s sessions, -m messages in all; -d keeps one connection per
# session (persistent); without it every message gets a new connection.
source_load() { # port sessions count recipient mode
    local keep=""
    if [ "$5" = persistent ]; then keep="-d"; fi
    smtp-source $keep -s "$2" -m "$3" -l "$SIZE" -f load@sender.bench -t "$4" "127.0.0.1:$1" >/dev/null
}

declare -A RATE
results=()
record() { results+=("$1|$2|$3"); echo "$1: $2 msg/s $3" >&2; }

# --- 1. smtp-sink: the ceiling ------------------------------------------------
log "smtp-sink"
smtp-sink -u nobody "127.0.0.1:$SINK_PORT" 1024 & PIDS+=($!)
sleep 0.5
for m in $MODES; do
    t0=$(now); source_load $SINK_PORT "$SESSIONS" "$N" sink@bench.test "$m"; t1=$(now)
    RATE["sink $m"]=$(rate "$N" "$t0" "$t1")
    record "smtp-sink, $m" "${RATE["sink $m"]}" ""
done

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
for m in $MODES; do
    expected=$((expected + N))
    t0=$(now); source_load $POSTFIX_PORT "$SESSIONS" "$N" box@bench.test "$m"; t1=$(now)
    while [ "$(maildir_count)" -lt "$expected" ]; do sleep 0.2; done; t2=$(now)
    RATE["postfix $m"]=$(rate "$N" "$t0" "$t1")
    record "postfix, $m" "${RATE["postfix $m"]}" "(in Maildir: $(rate "$N" "$t0" "$t2") msg/s)"
done
log "postfix outbound to smtp-sink"
t0=$(now); source_load $POSTFIX_PORT "$SESSIONS" "$N" someone@remote.bench persistent
while [ -n "$(postqueue -j 2>/dev/null | head -c1)" ]; do sleep 0.2; done; t1=$(now)
record "postfix outbound, persistent (accepted and relayed)" "$(rate "$N" "$t0" "$t1")" ""
postfix stop >/dev/null 2>&1 || true
restore_postfix
trap cleanup EXIT

# --- 3. Rampart: SQLite, PostgreSQL, SQLite with sender checks -----------------
run_rampart() { # label database_url [checks]
    local label=$1 db=$2 checks=${3:-} dir="$WORK/rampart-$1"
    mkdir -p "$dir"
    cat > "$dir/rampart.toml" <<CONF
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
[dns]
nameservers = ["127.0.0.1:$DNS_PORT"]
CONF
    RAMPART_LOG=warn "$BIN" --config "$dir/rampart.toml" serve 2>"$dir/server.log" & local pid=$!; PIDS+=($pid)
    for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$RAMPART_HTTP/healthz" >/dev/null && break; sleep 0.1; done
    local token; token=$("$BIN" --config "$dir/rampart.toml" token create --role admin)
    local api=(curl -sf -H "Authorization: Bearer $token" -H 'Content-Type: application/json')
    "${api[@]}" -d '{"name":"bench.test"}' "http://127.0.0.1:$RAMPART_HTTP/v1/domains" >/dev/null
    "${api[@]}" -d '{"address":"box@bench.test","password":"bench password"}' "http://127.0.0.1:$RAMPART_HTTP/v1/accounts" >/dev/null
    if [ -n "$checks" ]; then
        # A stranger: every message goes through the sender checks.
        "${api[@]}" -X PUT -d '{"enabled": true}' "http://127.0.0.1:$RAMPART_HTTP/v1/settings/inbound-screening" >/dev/null
    else
        "${api[@]}" -X PUT -d '{"trusted_networks":["127.0.0.0/8"],"require_auth_for_local_senders":true,"sender_must_match_auth":true}' \
            "http://127.0.0.1:$RAMPART_HTTP/v1/settings/relay" >/dev/null
    fi
    log "rampart ($label)"
    local m lat p50 p99 errs
    for m in $MODES; do
        t0=$(now); source_load $RAMPART_SMTP "$SESSIONS" "$N" box@bench.test "$m"; t1=$(now)
        RATE["$label $m"]=$(rate "$N" "$t0" "$t1")
        if [ "$m" = new ]; then
            lat=$(python3 bench/loadgen.py perconn $RAMPART_SMTP "$SESSIONS" 5000 "$SIZE" box@bench.test load@sender.bench)
        else
            lat=$(python3 bench/loadgen.py latency $RAMPART_SMTP "$SESSIONS" 5000 "$SIZE" box@bench.test)
        fi
        p50=$(echo "$lat" | json_field p50_ms); p99=$(echo "$lat" | json_field p99_ms); errs=$(echo "$lat" | json_field errors)
        record "rampart $label, $m" "${RATE["$label $m"]}" "loadgen: p50 $p50 ms, p99 $p99 ms, errors $errs"
    done
    local hwm; hwm=$(awk '/VmHWM/ {print $2}' /proc/$pid/status)
    record "rampart $label, peak RSS" "-" "$((hwm / 1024)) MiB"
    if [ -z "$checks" ]; then
        log "rampart ($label) outbound to smtp-sink"
        t0=$(now); source_load $RAMPART_SMTP "$SESSIONS" "$N" someone@remote.bench persistent
        local pending
        while true; do
            pending=$("${api[@]}" "http://127.0.0.1:$RAMPART_HTTP/v1/queue?limit=1" | python3 -c 'import json,sys;print(len(json.load(sys.stdin)["items"]))')
            [ "$pending" = 0 ] && break
            sleep 0.2
        done
        t1=$(now)
        record "rampart $label outbound, persistent (accepted and relayed)" "$(rate "$N" "$t0" "$t1")" ""
    fi
    if [ "$label" = sqlite ]; then
        local idle; idle=$(python3 bench/loadgen.py idle $RAMPART_SMTP "$IDLE" 2 "$pid")
        record "rampart $label, RSS with $IDLE idle connections" "-" "$(( $(echo "$idle" | json_field rss_kib) / 1024 )) MiB"
    fi
    kill "$pid"; wait "$pid" 2>/dev/null || true
}
python3 bench/dnsd.py $DNS_PORT & PIDS+=($!)
run_rampart sqlite "sqlite://$WORK/rampart-sqlite/rampart.db"
if pg_isready -h 127.0.0.1 -q 2>/dev/null; then
    psql -h 127.0.0.1 -U postgres -d test -qc "DROP DATABASE IF EXISTS rampart_bench" >/dev/null
    psql -h 127.0.0.1 -U postgres -d test -qc "CREATE DATABASE rampart_bench" >/dev/null
    run_rampart postgres "postgres://postgres@127.0.0.1/rampart_bench"
fi
MODES=new run_rampart sqlite-checks "sqlite://$WORK/rampart-sqlite-checks/rampart.db" checks

# --- Report --------------------------------------------------------------------
ratio() { # numerator-key denominator-key
    if [ -n "${RATE[$1]:-}" ] && [ -n "${RATE[$2]:-}" ]; then
        python3 -c "print(f'{$(printf %s "${RATE[$1]}")/$(printf %s "${RATE[$2]}"):.2f}')"
    else
        echo "-"
    fi
}
echo
echo "Machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -r); $(date -u +%Y-%m-%d)"
echo "Load: $N messages of $SIZE octets over $SESSIONS sessions; new = a connection per message (smtp-source), persistent = smtp-source -d"
echo
echo "| run | messages/s | notes |"
echo "| --- | ---: | --- |"
for r in "${results[@]}"; do echo "| $(echo "$r" | cut -d'|' -f1) | $(echo "$r" | cut -d'|' -f2) | $(echo "$r" | cut -d'|' -f3) |"; done
echo
for m in $MODES; do
    echo "$m: SQLite/Postfix $(ratio "sqlite $m" "postfix $m")x, SQLite/smtp-sink $(ratio "sqlite $m" "sink $m"), PostgreSQL/Postfix $(ratio "postgres $m" "postfix $m")x"
done
echo "new, sender checks on: /Postfix $(ratio "sqlite-checks new" "postfix new")x, on/off $(ratio "sqlite-checks new" "sqlite new")"
rm -rf "$WORK"
