#!/usr/bin/env bash
# Hostile input against one Rampart server (SQLite), 127.0.0.1 only:
#   1. flood: 50 connections each to IMAP, POP3 and SMTP (MX) send 100 MiB of
#      'A' with no line ending; every one must get its error line (IMAP BAD,
#      POP3 -ERR, SMTP 500 5.5.2) and be closed, RSS peak < baseline + 32 MiB;
#   2. login storm: 5 rounds of 50 parallel IMAPS LOGIN/LOGOUT; peak RSS
#      < 128 MiB and RSS 5 s later within 32 MiB of the baseline;
#   3. ALPN: http/1.1 offered to imaps, pop3s and submissions is refused with
#      no_application_protocol; no ALPN and the listener's own ALPN (imap,
#      pop3, smtp) get the greeting.
# Prints a Markdown table; exits 1 when a pass condition fails.
#
#   bench/hostile.sh                 # everything
#   SKIP_BUILD=1 bench/hostile.sh    # use the existing target/release/rampart
#   CONNS=10 MIB=10 ROUNDS=2 LOGINS=20 bench/hostile.sh   # a quicker run
#   KEEP=1 bench/hostile.sh          # keep the work dir (config, server log, JSON)
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-5}; LOGINS=${LOGINS:-50}
export CONNS=${CONNS:-50} MIB=${MIB:-100}
SMTP=2625; IMAP=2143; IMAPS=2993; POP3=2110; POP3S=2995; SUBS=2465; HTTP=2080; HTTPS=2443
STEP_TIMEOUT=${STEP_TIMEOUT:-900}   # seconds, per step (hostile.py has its own deadlines too)
USER_ADDR="storm@hostile.test"; USER_PASS="hostile-bench-password"
WORK=$(mktemp -d /var/tmp/rampart-hostile.XXXXXX)
RESULTS="$WORK/results.jsonl"
PID=""
cleanup() {
    if [ -n "$PID" ]; then kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; fi
    if [ -n "${KEEP:-}" ]; then echo "work dir kept: $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
log() { echo "== $*" >&2; }
ulimit -n 4096 2>/dev/null || true

if [ -z "${SKIP_BUILD:-}" ]; then
    log "building rampart (release)"
    cargo build --release -q
fi
BIN=target/release/rampart
cat > "$WORK/rampart.toml" <<CONF
hostname = "localhost"
data_dir = "$WORK"
database_url = "sqlite://$WORK/rampart.db"
public_url = "https://127.0.0.1:$HTTPS"
[listeners]
smtp = "127.0.0.1:$SMTP"
submission = ""
submissions = "127.0.0.1:$SUBS"
imap = "127.0.0.1:$IMAP"
imaps = "127.0.0.1:$IMAPS"
pop3 = "127.0.0.1:$POP3"
pop3s = "127.0.0.1:$POP3S"
http = "127.0.0.1:$HTTP"
https = "127.0.0.1:$HTTPS"
[smtp]
max_connections_per_ip = 200
[access]
max_connections_per_ip = 200
# 50 parallel logins to one account: let them all have a session.
max_sessions_per_account = 200
CONF
log "starting rampart"
RAMPART_LOG=warn "$BIN" --config "$WORK/rampart.toml" serve 2>"$WORK/server.log" & PID=$!
up=""
for _ in $(seq 1 150); do
    if curl -sf "http://127.0.0.1:$HTTP/healthz" >/dev/null; then up=1; break; fi
    kill -0 "$PID" 2>/dev/null || break
    sleep 0.1
done
if [ -z "$up" ]; then echo "rampart did not come up; its log:" >&2; tail -n 30 "$WORK/server.log" >&2; exit 1; fi

TOKEN=$("$BIN" --config "$WORK/rampart.toml" token create --role admin)
api() { curl -sf --max-time 30 -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' "$@"; }
api -d '{"name":"hostile.test"}' "http://127.0.0.1:$HTTP/v1/domains" >/dev/null
api -d "{\"address\":\"$USER_ADDR\",\"password\":\"$USER_PASS\"}" "http://127.0.0.1:$HTTP/v1/accounts" >/dev/null
sleep 1   # let the server settle before the first baseline

# One hostile.py step: its JSON line goes to RESULTS; a crash or timeout is a failed row.
step() { # name args...
    local name=$1; shift
    log "$name"
    local out rc=0
    out=$(timeout "$STEP_TIMEOUT" python3 bench/hostile.py "$@") || rc=$?
    if [ "$rc" = 0 ] && [ -n "$out" ]; then
        echo "$out" >> "$RESULTS"
    else
        python3 -c 'import json,sys; print(json.dumps({"kind":"error","step":sys.argv[1],"detail":sys.argv[2],"pass":False}))' \
            "$name" "exit $rc${out:+: ${out:0:200}}" >> "$RESULTS"
    fi
}

# 1. Floods, one protocol after the other.
step "flood imap" flood imap "$IMAP" "$PID"
step "flood pop3" flood pop3 "$POP3" "$PID"
step "flood smtp" flood smtp "$SMTP" "$PID"
# 2. Login storm over implicit TLS.
step "imaps login storm" logins "$IMAPS" "$USER_ADDR" "$USER_PASS" "$PID" "$ROUNDS" "$LOGINS"
# 3. ALPN on the implicit-TLS mail listeners.
step "alpn imaps" alpn imaps "$IMAPS"
step "alpn pop3s" alpn pop3s "$POP3S"
step "alpn submissions" alpn submissions "$SUBS"

if kill -0 "$PID" 2>/dev/null; then alive=true; else alive=false; fi
echo "{\"kind\":\"alive\",\"pass\":$alive}" >> "$RESULTS"
[ "$alive" = true ] || { echo "rampart is gone; the end of its log:" >&2; tail -n 30 "$WORK/server.log" >&2; }

echo
echo "Machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -r); $(date -u +%Y-%m-%d)"
echo "Rampart on SQLite; flood: $CONNS connections × $MIB MiB per protocol; logins: $ROUNDS × $LOGINS over IMAPS"
echo
rc=0
python3 bench/hostile.py report "$RESULTS" || rc=$?
exit "$rc"
