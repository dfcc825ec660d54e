#!/usr/bin/env bash
# IMAP: Rampart (SQLite, release binary) against Debian's Dovecot 2.3 under the
# same load, same run, same machine. 127.0.0.1 only. Never runs cargo.
#
# Transport: both over implicit TLS (imaps), with ONE certificate: an ECDSA
# P-256 self-signed certificate made by openssl into the temp dir is given to
# Rampart ([tls] cert/key) and to Dovecot (ssl = required, ssl_cert/ssl_key);
# each keeps its own TLS defaults (Rampart: rustls; Dovecot: OpenSSL).
# bench/imap_load.py connects to both the same way (no certificate
# verification, no ALPN, SNI = the certificate's name, a full handshake per
# connection) and records the negotiated version and cipher.
#
# Servers:
#   Rampart  target/release/rampart (copied into the temp dir first, so a
#            rebuild during the run changes nothing), SQLite in the temp dir,
#            accounts made over the REST API; [access] limits raised for IDLE.
#   Dovecot  a throwaway instance (config in the temp dir, as in
#            tests/imap_diff/run.sh): passwd-file users with {PLAIN}
#            passwords, maildir, mail user nobody; default fsync
#            (mail_fsync = optimized); imap-login in Dovecot's documented
#            "high-performance" mode (service_count = 0, one process per core,
#            TLS terminated there) unless DOVECOT_LOGIN=security (one
#            imap-login process per connection); one imap process per session
#            (Dovecot's design); process/client limits raised for IDLE.
#   Both log at their default level (each logs every login at info).
#
# Steps (each server in turn, the other one idle):
#   1. APPEND MESSAGES (10 000) generated messages over one connection.
#   2. single client on that INBOX, fresh login each, one warm-up round, then
#      the median of 3: SELECT INBOX; FETCH 1:* (FLAGS ENVELOPE);
#      UID SEARCH SUBJECT "xyz" (no match); SEARCH BODY "needle" (5 per
#      10 000); FETCH 1:100 (BODY.PEEK[]).
#   3. CLIENTS accounts get PER_CLIENT messages each (loaded in parallel),
#      then CLIENTS logged-in clients run the mixed loop for SECONDS; server
#      CPU from /proc/PID/stat (utime+stime of the whole process tree, plus
#      cutime+cstime for processes that ended meanwhile).
#   4. IDLE authenticated connections held open; RSS and PSS
#      (smaps_rollup) of all the server's processes before / held / after.
#   5. login storm: STORM connect+TLS+LOGIN+LOGOUT over STORM_PARALLEL
#      workers. Rampart checks argon2id (19 MiB, t=2); Dovecot's users have
#      {PLAIN} passwords, so the storm is run on Dovecot twice: {PLAIN}, and
#      a user whose passwd-file entry is {ARGON2ID} with Rampart's own stored
#      hash of the same password (same algorithm, same cost).
#
#   bench/imap.sh
#   CLIENTS=10 SECONDS=30 MESSAGES=10000 PER_CLIENT=500 IDLE=1000 STORM=200 STORM_PARALLEL=10 bench/imap.sh
#   KEEP=1 bench/imap.sh            # keep the temp dir (configs, logs, JSON)
#   RESULTS=path.md bench/imap.sh   # default bench/results-<date>-imap.md
#   RAMPART_BIN=path bench/imap.sh  # default target/release/rampart
#
# Exit code: 0 when the run completed (the table may still report errors);
# 2 when a server could not be set up.
# Read SECONDS before bash's own counter moves (an exported SECONDS keeps counting).
if printenv SECONDS >/dev/null 2>&1; then DURATION=$(printenv SECONDS); else DURATION=30; fi
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
CLIENTS=${CLIENTS:-10}
MESSAGES=${MESSAGES:-10000}
PER_CLIENT=${PER_CLIENT:-500}
IDLE=${IDLE:-1000}
STORM=${STORM:-200}
STORM_PARALLEL=${STORM_PARALLEL:-10}
REPEAT=${REPEAT:-3}
DOVECOT_LOGIN=${DOVECOT_LOGIN:-performance}
STEP_TIMEOUT=${STEP_TIMEOUT:-1800}   # seconds per step; imap_load.py has its own deadlines
BIN=${RAMPART_BIN:-target/release/rampart}
RESULTS=${RESULTS:-bench/results-$(date -u +%F)-imap.md}
for v in CLIENTS MESSAGES PER_CLIENT IDLE STORM STORM_PARALLEL REPEAT DURATION; do
    [[ ${!v} =~ ^[0-9]+$ ]] && [ "${!v}" -gt 0 ] || { echo "imap.sh: $v must be a positive integer" >&2; exit 2; }
done
HOSTNAME_=imapbench.example.test
DOMAIN=example.test
ALICE=alice@$DOMAIN; ALICE_PASS="alice password"
PASS="bench password"
STORM_USER=storm@$DOMAIN; STORM_ARGON=stormargon@$DOMAIN
LOADERS=$(for i in $(seq 1 "$CLIENTS"); do printf 'load%02d@%s,' "$i" "$DOMAIN"; done); LOADERS=${LOADERS%,}
LIMIT=$((IDLE + CLIENTS + 200))
export TZ=UTC

log() { echo "== $(date -u +%T) $*" >&2; }
die() { echo "imap.sh: $*" >&2; exit 2; }

[ -x "$BIN" ] || die "$BIN is missing (build it first; this script never runs cargo)"
command -v dovecot >/dev/null && [ -x /usr/lib/dovecot/imap ] || die "dovecot-imapd is not installed"
command -v openssl >/dev/null || die "openssl is missing"
id dovecot >/dev/null 2>&1 && id dovenull >/dev/null 2>&1 || die "the dovecot/dovenull system users are missing"
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
[ "$(ulimit -n)" -ge $((2 * IDLE + 500)) ] || die "ulimit -n $(ulimit -n) is too low for IDLE=$IDLE"

WORK=$(mktemp -d /var/tmp/rampart-imapbench.XXXXXX)
chmod 0755 "$WORK"   # Dovecot's unprivileged processes traverse it
mkdir -p "$WORK/json"
RPID=""; DPID=""
T_START=$(date +%s)
cleanup() {
    local rc=$?
    if [ -n "$RPID" ]; then kill "$RPID" 2>/dev/null || true; wait "$RPID" 2>/dev/null || true; fi
    if [ -n "$DPID" ]; then kill "$DPID" 2>/dev/null || true; wait "$DPID" 2>/dev/null || true; fi
    if [ -n "${KEEP:-}" ]; then echo "work dir kept: $WORK" >&2; else rm -rf "$WORK"; fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

read -r P_RIMAPS P_HTTP P_DIMAPS < <(python3 - <<'PY'
import socket
socks = []
for _ in range(3):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); socks.append(s)
print(*[s.getsockname()[1] for s in socks])
PY
)

# Rampart reads every RAMPART_* variable as a config override.
UNSET=()
for v in $(compgen -e | grep '^RAMPART_' | grep -v '^RAMPART_LOG$' || true); do UNSET+=(-u "$v"); done
BIN_MTIME=$(date -u -r "$BIN" '+%F %T')
# Warn when the binary is older than the last commit that changed the code.
STALE=""
read -r SRC_HASH SRC_TIME < <(git log -1 --format='%h %ct' -- src migrations Cargo.toml Cargo.lock 2>/dev/null || echo "- 0")
if [ "${SRC_TIME:-0}" -gt "$(stat -c %Y "$BIN")" ]; then
    STALE="the Rampart binary ($BIN_MTIME UTC) is older than commit $SRC_HASH ($(date -u -d "@$SRC_TIME" '+%F %T') UTC), the last one changing src/ or migrations/: these numbers are of an older build"
    log "WARNING: $STALE"
fi
cp "$BIN" "$WORK/rampart-bin"
BIN="$WORK/rampart-bin"
rampart() { env "${UNSET[@]}" "$BIN" "$@"; }

# --- one certificate for both ---------------------------------------------------
mkdir -p "$WORK/tls"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 30 \
    -subj "/CN=$HOSTNAME_" -addext "subjectAltName=DNS:$HOSTNAME_" \
    -keyout "$WORK/tls/key.pem" -out "$WORK/tls/cert.pem" 2>/dev/null || die "openssl could not make the certificate"
chmod 0644 "$WORK/tls/cert.pem" "$WORK/tls/key.pem"

# --- Rampart ------------------------------------------------------------------------
R="$WORK/rampart"
mkdir -p "$R"
cat > "$R/rampart.toml" <<CONF
hostname = "$HOSTNAME_"
data_dir = "$R"
database_url = "sqlite://$R/rampart.db"
public_url = "http://127.0.0.1:$P_HTTP"
[listeners]
smtp = ""
submission = ""
submissions = ""
imap = ""
imaps = "127.0.0.1:$P_RIMAPS"
pop3 = ""
pop3s = ""
http = "127.0.0.1:$P_HTTP"
https = ""
[tls]
cert = "$WORK/tls/cert.pem"
key = "$WORK/tls/key.pem"
[dns]
nameservers = ["127.0.0.1:9"]
check_interval_seconds = 0
[access]
max_sessions_per_account = $LIMIT
max_connections_per_ip = $LIMIT
max_connections = $((LIMIT + 500))
CONF
log "starting rampart (binary of $BIN_MTIME UTC) imaps 127.0.0.1:$P_RIMAPS"
env "${UNSET[@]}" "$BIN" --config "$R/rampart.toml" serve 2>"$R/server.log" & RPID=$!
for _ in $(seq 1 200); do
    curl -sf --max-time 2 "http://127.0.0.1:$P_HTTP/healthz" >/dev/null && break
    kill -0 "$RPID" 2>/dev/null || { tail -n 30 "$R/server.log" >&2; die "rampart exited"; }
    sleep 0.1
done
curl -sf --max-time 2 "http://127.0.0.1:$P_HTTP/healthz" >/dev/null || { tail -n 30 "$R/server.log" >&2; die "rampart did not come up"; }
TOKEN=$(rampart --config "$R/rampart.toml" token create --role admin)
api() { curl -sf --max-time 60 -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' "$@"; }
api -d "{\"name\":\"$DOMAIN\"}" "http://127.0.0.1:$P_HTTP/v1/domains" >/dev/null || die "could not create the domain"
mkacct() { api -d "{\"address\":\"$1\",\"password\":\"$2\"}" "http://127.0.0.1:$P_HTTP/v1/accounts" >/dev/null || die "could not create $1"; }
mkacct "$ALICE" "$ALICE_PASS"
mkacct "$STORM_USER" "$PASS"
for u in ${LOADERS//,/ }; do mkacct "$u" "$PASS"; done
# Rampart's stored argon2id hash of the storm user's password, for Dovecot.
STORM_HASH=$(python3 -c '
import sqlite3, sys
db = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True)
print(db.execute("SELECT password_hash FROM accounts WHERE address = ?", (sys.argv[2],)).fetchone()[0])
' "$R/rampart.db" "$STORM_USER")

# --- Dovecot ------------------------------------------------------------------------
D="$WORK/dovecot"
mkdir -p "$D/run" "$D/state" "$D/home"
{
    printf '%s:{PLAIN}%s:65534:65534::%s::\n' "$ALICE" "$ALICE_PASS" "$D/home/alice"
    printf '%s:{PLAIN}%s:65534:65534::%s::\n' "$STORM_USER" "$PASS" "$D/home/storm"
    printf '%s:{ARGON2ID}%s:65534:65534::%s::\n' "$STORM_ARGON" "$STORM_HASH" "$D/home/stormargon"
    for u in ${LOADERS//,/ }; do printf '%s:{PLAIN}%s:65534:65534::%s::\n' "$u" "$PASS" "$D/home/${u%@*}"; done
} > "$D/users"
chmod 0644 "$D/users"
for h in alice storm stormargon $(for u in ${LOADERS//,/ }; do echo "${u%@*}"; done); do mkdir -p "$D/home/$h"; done
chown -R 65534:65534 "$D/home"
ARGON_OK=""
if doveadm pw -t "{ARGON2ID}$STORM_HASH" -p "$PASS" >/dev/null 2>&1; then ARGON_OK=1; fi
if [ "$DOVECOT_LOGIN" = security ]; then
    LOGIN_MODE="service_count = 1
  process_limit = $LIMIT"
else
    LOGIN_MODE="service_count = 0
  process_min_avail = $(nproc)
  client_limit = $LIMIT
  vsz_limit = 1G"
fi
cat > "$D/dovecot.conf" <<CONF
# Throwaway configuration for bench/imap.sh (no system config is read).
base_dir = $D/run
state_dir = $D/state
log_path = $D/dovecot.log
info_log_path = $D/dovecot.log
instance_name = rampart-imapbench
protocols = imap
listen = 127.0.0.1
ssl = required
ssl_cert = <$WORK/tls/cert.pem
ssl_key = <$WORK/tls/key.pem
auth_mechanisms = plain login
default_internal_user = dovecot
default_internal_group = dovecot
default_login_user = dovenull
first_valid_uid = 1
import_environment = TZ
mail_location = maildir:~/Maildir
default_process_limit = $LIMIT
default_client_limit = $((2 * LIMIT + 100))
passdb {
  driver = passwd-file
  args = username_format=%u $D/users
}
userdb {
  driver = passwd-file
  args = username_format=%u $D/users
}
namespace inbox {
  inbox = yes
  separator = /
  mailbox Sent {
    auto = subscribe
    special_use = \Sent
  }
  mailbox Drafts {
    auto = subscribe
    special_use = \Drafts
  }
  mailbox Trash {
    auto = subscribe
    special_use = \Trash
  }
  mailbox Junk {
    auto = subscribe
    special_use = \Junk
  }
}
service imap-login {
  inet_listener imap {
    port = 0
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = $P_DIMAPS
  }
  $LOGIN_MODE
}
service imap {
  process_limit = $LIMIT
}
protocol imap {
  mail_max_userip_connections = $LIMIT
}
CONF
log "starting dovecot $(dovecot --version | cut -d' ' -f1) imaps 127.0.0.1:$P_DIMAPS (login: $DOVECOT_LOGIN)"
dovecot -F -c "$D/dovecot.conf" 2>>"$D/dovecot.log" & DPID=$!
up() { python3 -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1).close()' "$1" 2>/dev/null; }
for _ in $(seq 1 200); do
    up "$P_DIMAPS" && break
    kill -0 "$DPID" 2>/dev/null || { tail -n 30 "$D/dovecot.log" >&2; die "dovecot exited"; }
    sleep 0.1
done
up "$P_DIMAPS" || { tail -n 30 "$D/dovecot.log" >&2; die "dovecot did not come up"; }

# --- the steps ------------------------------------------------------------------
export SNI=$HOSTNAME_
port_of() { if [ "$1" = rampart ]; then echo "$P_RIMAPS"; else echo "$P_DIMAPS"; fi; }
pid_of() { if [ "$1" = rampart ]; then echo "$RPID"; else echo "$DPID"; fi; }
step() { # name server args...
    local name=$1 server=$2; shift 2
    log "$name $server"
    if timeout --kill-after=10 "$STEP_TIMEOUT" python3 bench/imap_load.py "$@" >"$WORK/json/$name-$server.json.tmp" 2>"$WORK/json/$name-$server.err"; then
        mv "$WORK/json/$name-$server.json.tmp" "$WORK/json/$name-$server.json"
        python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); d.pop("ops", None); d.pop("classes", None); print("   ", json.dumps(d)[:600])' "$WORK/json/$name-$server.json" >&2
    else
        log "$name $server FAILED (exit $?): $(tail -n 3 "$WORK/json/$name-$server.err" | tr '\n' ' ')"
    fi
    for s in rampart dovecot; do
        kill -0 "$(pid_of $s)" 2>/dev/null || log "WARNING: $s is no longer running"
    done
}

for s in rampart dovecot; do
    step append "$s" append "$(port_of $s)" "$ALICE" "$ALICE_PASS" "$MESSAGES" 1
done
for s in rampart dovecot; do
    step single "$s" single "$(port_of $s)" "$ALICE" "$ALICE_PASS" "$REPEAT"
done
for s in rampart dovecot; do
    step load "$s" append "$(port_of $s)" "$LOADERS" "$PASS" "$PER_CLIENT" 100
done
for s in rampart dovecot; do
    step steady "$s" steady "$(port_of $s)" "$LOADERS" "$PASS" "$DURATION" "$(pid_of $s)"
done
for s in rampart dovecot; do
    step idle "$s" idle "$(port_of $s)" "$LOADERS" "$PASS" "$IDLE" "$(pid_of $s)"
done
for s in rampart dovecot; do
    step storm "$s" storm "$(port_of $s)" "$STORM_USER" "$PASS" "$STORM" "$STORM_PARALLEL"
done
if [ -n "$ARGON_OK" ]; then
    step storm dovecot-argon2 storm "$P_DIMAPS" "$STORM_ARGON" "$PASS" "$STORM" "$STORM_PARALLEL"
else
    log "doveadm could not verify Rampart's argon2id hash; no {ARGON2ID} storm for Dovecot"
fi

# --- report ---------------------------------------------------------------------
NOTES=()
[ -z "$STALE" ] || NOTES+=("**$STALE**")
for s in rampart dovecot; do kill -0 "$(pid_of $s)" 2>/dev/null || NOTES+=("$s was not running at the end of the run"); done
sed -E 's/\x1b\[[0-9;]*m//g' "$R/server.log" > "$R/server.plain.log"   # tracing colours its levels
R_WARN=$(grep -c -E ' (WARN|ERROR) ' "$R/server.plain.log" || true)
R_PANIC=$(grep -c -i 'panic' "$R/server.plain.log" || true)
D_ERR=$(grep -c -E '(Error|Fatal|Panic):' "$D/dovecot.log" || true)
D_WARN=$(grep -c -E 'Warning:' "$D/dovecot.log" || true)
NOTES+=("Rampart log: $R_WARN WARN/ERROR lines, $R_PANIC panic lines; Dovecot log: $D_ERR Error/Fatal/Panic lines, $D_WARN warnings")
while IFS= read -r l; do NOTES+=("rampart log: ${l:0:300}"); done < <(grep -E ' (WARN|ERROR) |panic' "$R/server.plain.log" | cut -d" " -f2- | sed -E "s/(127\.0\.0\.1:)[0-9]+/\1N/g" | sort | uniq -c | sort -rn | head -n 8 || true)
while IFS= read -r l; do NOTES+=("dovecot log: ${l:0:300}"); done < <(grep -E '(Error|Fatal|Panic|Warning):' "$D/dovecot.log" | sed -E 's/^[A-Z][a-z]{2} [0-9 ]+ [0-9:]+ //' | sort | uniq -c | sort -rn | head -n 8 || true)
[ -n "$ARGON_OK" ] || NOTES+=("Dovecot could not verify Rampart's argon2id hash: no {ARGON2ID} storm")
NOTES+=("Dovecot login mode: $DOVECOT_LOGIN; Rampart [access] limits and Dovecot process/client/userip limits: $LIMIT")
NOTES+=("the idle connections are spread over the $CLIENTS load accounts (round robin), logged in, nothing selected")
NOTES+=("the load generator (Python threads, one process) shares the 2 cores with the server under test")
NOTES+=("durability differs: Rampart runs SQLite with synchronous = FULL; Dovecot maildir with its default mail_fsync = optimized")
NOTES+=("run time $(( $(date +%s) - T_START )) s")

python3 - "$WORK/meta.json" "${NOTES[@]}" <<PY
import json, os, sys
mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
json.dump({
    "date": "$(date -u '+%F %H:%M UTC')",
    "machine": f"{os.cpu_count()} cores, {mem:.0f} GiB, {os.uname().release}",
    "rampart": "release binary of $BIN_MTIME UTC, HEAD $(git -C "$ROOT" log -1 --format='%h %ci' 2>/dev/null || echo '?')",
    "dovecot": "$(dovecot --version)",
    "transport": "implicit TLS to both (Rampart imaps, Dovecot imaps, ssl = required), one openssl ECDSA P-256 self-signed certificate for both, full handshake per connection",
    "messages": $MESSAGES, "clients": $CLIENTS, "per_client": $PER_CLIENT, "seconds": $DURATION,
    "idle": $IDLE, "storm": $STORM, "storm_parallel": $STORM_PARALLEL, "repeat": $REPEAT,
    "notes": sys.argv[2:],
}, open(sys.argv[1], "w"), indent=1)
PY
python3 bench/imap_load.py report "$RESULTS" "$WORK/json" "$WORK/meta.json"
echo
echo "results written to $RESULTS"
