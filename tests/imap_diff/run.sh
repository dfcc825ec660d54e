#!/usr/bin/env bash
# Differential IMAP test: the same scripted conversations against Rampart
# (implicit TLS, imaps) and against Debian's Dovecot (plain IMAP), compared
# after parsing and normalising (see diff.py). 127.0.0.1 only.
#
#   bash tests/imap_diff/run.sh                    # Rampart on SQLite (temp dir)
#   RAMPART_DIFF_DATABASE_URL=postgres://postgres@127.0.0.1/test bash tests/imap_diff/run.sh
#       PostgreSQL: a fresh database is created on that server for the run
#       (named rampart_imapdiff_<random>) and dropped afterwards.
#   RAMPART_DIFF_BIN=path/to/rampart ...           # default target/debug/rampart (never built here)
#   KEEP=1 ...                                     # keep the temp dir (configs, logs)
#   ONLY=fetch,search ...                          # run only these scenarios
#   VERBOSE=1 ...                                  # print every step's parsed answers
#
# Exit code: 0 when the only differences are the ones allowed in diff.py's
# ALLOWED table; 1 otherwise; 2 when a server could not be set up.
set -euo pipefail
cd "$(dirname "$0")/../.."
HERE=tests/imap_diff
BIN=${RAMPART_DIFF_BIN:-target/debug/rampart}
HOSTNAME_=imapdiff.example.test
USER_ADDR=alice@example.test
USER_PASS="alice password"
export TZ=UTC   # Dovecot prints INTERNALDATE in local time; keep it fixed

log() { echo "== $*" >&2; }
die() { echo "imap_diff: $*" >&2; exit 2; }

[ -x "$BIN" ] || die "$BIN is missing (build it first; this script never runs cargo)"

if ! command -v dovecot >/dev/null || [ ! -x /usr/lib/dovecot/imap ]; then
    log "installing dovecot-imapd"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dovecot-imapd >/dev/null
fi
id dovecot >/dev/null 2>&1 || die "the dovecot system user is missing"
id dovenull >/dev/null 2>&1 || die "the dovenull system user is missing"

WORK=$(mktemp -d /tmp/rampart-imapdiff.XXXXXX)
chmod 0755 "$WORK"   # Dovecot's unprivileged processes traverse it
RPID=""; DPID=""; PGDB=""
cleanup() {
    local rc=$?
    if [ -n "$RPID" ]; then kill "$RPID" 2>/dev/null || true; wait "$RPID" 2>/dev/null || true; fi
    if [ -n "$DPID" ]; then kill "$DPID" 2>/dev/null || true; wait "$DPID" 2>/dev/null || true; fi
    if [ -n "$PGDB" ]; then
        psql -q -d "$PG_ADMIN_URL" -c "DROP DATABASE IF EXISTS $PGDB WITH (FORCE)" >/dev/null 2>&1 || true
    fi
    if [ -n "${KEEP:-}" ]; then echo "work dir kept: $WORK" >&2; else rm -rf "$WORK"; fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Three distinct free ports on 127.0.0.1.
read -r P_DOVECOT P_IMAPS P_HTTP < <(python3 - <<'PY'
import socket
socks = []
for _ in range(3):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); socks.append(s)
print(*[s.getsockname()[1] for s in socks])
PY
)

# Rampart reads every RAMPART_* variable as a config override (RAMPART_DIFF_*
# would be refused as unknown keys): run it without them, RAMPART_LOG aside.
UNSET=()
for v in $(compgen -e | grep '^RAMPART_' | grep -v '^RAMPART_LOG$' || true); do UNSET+=(-u "$v"); done
rampart() { env "${UNSET[@]}" "$BIN" "$@"; }   # foreground use only

# A private copy of the binary: a rebuild during the run must not change it.
cp "$BIN" "$WORK/rampart-bin"
BIN="$WORK/rampart-bin"

# --- Dovecot ----------------------------------------------------------------
D="$WORK/dovecot"
mkdir -p "$D/run" "$D/state" "$D/home/alice"
# The mail user is nobody:nogroup (Dovecot refuses UID 0 for mail access).
chown -R 65534:65534 "$D/home"
printf '%s:{PLAIN}%s:65534:65534::%s::\n' "$USER_ADDR" "$USER_PASS" "$D/home/alice" > "$D/users"
chmod 0644 "$D/users"
cat > "$D/dovecot.conf" <<CONF
# Throwaway configuration for tests/imap_diff (no system config is read).
base_dir = $D/run
state_dir = $D/state
log_path = $D/dovecot.log
info_log_path = $D/dovecot.log
instance_name = rampart-imapdiff
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = dovecot
default_internal_group = dovecot
default_login_user = dovenull
first_valid_uid = 1
import_environment = TZ
mail_location = maildir:~/Maildir
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $D/users
}
userdb {
  driver = passwd-file
  args = username_format=%u $D/users
}
# Same hierarchy delimiter, special-use mailboxes and subscriptions as Rampart.
namespace inbox {
  inbox = yes
  separator = /
  mailbox INBOX {
    auto = subscribe
  }
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
    address = 127.0.0.1
    port = $P_DOVECOT
  }
  inet_listener imaps {
    port = 0
  }
}
protocol imap {
  mail_max_userip_connections = 50
}
CONF
log "starting dovecot $(dovecot --version | cut -d' ' -f1) on 127.0.0.1:$P_DOVECOT"
dovecot -F -c "$D/dovecot.conf" 2>>"$D/dovecot.log" & DPID=$!

# --- Rampart ----------------------------------------------------------------
R="$WORK/rampart"
mkdir -p "$R"
DB_URL="sqlite://$R/rampart.db"
if [ -n "${RAMPART_DIFF_DATABASE_URL:-}" ]; then
    case "$RAMPART_DIFF_DATABASE_URL" in
    postgres://*|postgresql://*)
        command -v psql >/dev/null || die "psql is needed for a PostgreSQL run"
        PG_ADMIN_URL=$RAMPART_DIFF_DATABASE_URL
        PGDB="rampart_imapdiff_$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
        psql -q -v ON_ERROR_STOP=1 -d "$PG_ADMIN_URL" -c "CREATE DATABASE $PGDB" >/dev/null \
            || { PGDB=""; die "could not create a database on $PG_ADMIN_URL"; }
        # Same server and credentials, the fresh database's name as the path.
        DB_URL=$(python3 -c 'import sys, urllib.parse as u; p = u.urlsplit(sys.argv[1]); print(u.urlunsplit(p._replace(path="/" + sys.argv[2])))' \
            "$PG_ADMIN_URL" "$PGDB")
        ;;
    *) DB_URL=$RAMPART_DIFF_DATABASE_URL ;;
    esac
fi
cat > "$R/rampart.toml" <<CONF
hostname = "$HOSTNAME_"
data_dir = "$R"
database_url = "$DB_URL"
public_url = "http://127.0.0.1:$P_HTTP"
[listeners]
smtp = ""
submission = ""
submissions = ""
imap = ""
imaps = "127.0.0.1:$P_IMAPS"
pop3 = ""
pop3s = ""
http = "127.0.0.1:$P_HTTP"
https = ""
[dns]
nameservers = ["127.0.0.1:9"]
check_interval_seconds = 0
CONF
log "starting rampart ($BIN, database ${DB_URL%%:*}) imaps 127.0.0.1:$P_IMAPS"
# env execs the binary, so $! is the server's own PID.
env "${UNSET[@]}" RAMPART_LOG="${RAMPART_LOG:-warn}" "$BIN" --config "$R/rampart.toml" serve 2>"$R/server.log" & RPID=$!

# --- wait for both (bounded) ------------------------------------------------
up() { python3 -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1).close()' "$1" 2>/dev/null; }
r_up=""; d_up=""
for _ in $(seq 1 200); do
    [ -z "$r_up" ] && curl -sf --max-time 2 "http://127.0.0.1:$P_HTTP/healthz" >/dev/null && r_up=1
    [ -z "$d_up" ] && up "$P_DOVECOT" && d_up=1
    [ -n "$r_up" ] && [ -n "$d_up" ] && break
    kill -0 "$RPID" 2>/dev/null || break
    kill -0 "$DPID" 2>/dev/null || break
    sleep 0.1
done
if [ -z "$d_up" ]; then echo "dovecot did not come up; its log:" >&2; tail -n 30 "$D/dovecot.log" >&2; exit 2; fi
if [ -z "$r_up" ]; then echo "rampart did not come up; its log:" >&2; tail -n 30 "$R/server.log" >&2; exit 2; fi

TOKEN=$(rampart --config "$R/rampart.toml" token create --role admin)
api() { curl -sf --max-time 30 -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' "$@"; }
api -d '{"name":"example.test"}' "http://127.0.0.1:$P_HTTP/v1/domains" >/dev/null \
    || die "could not create the domain"
api -d "{\"address\":\"$USER_ADDR\",\"password\":\"$USER_PASS\"}" "http://127.0.0.1:$P_HTTP/v1/accounts" >/dev/null \
    || die "could not create the account"

log "running the scripts"
rc=0
python3 "$HERE/diff.py" \
    --rampart "127.0.0.1:$P_IMAPS" --rampart-sni "$HOSTNAME_" \
    --dovecot "127.0.0.1:$P_DOVECOT" \
    --user "$USER_ADDR" --password "$USER_PASS" \
    --corpus "$HERE/corpus" --corpus tests/corpus/nested.eml || rc=$?
if ! kill -0 "$RPID" 2>/dev/null; then
    echo "rampart exited during the run; the end of its log:" >&2; tail -n 30 "$R/server.log" >&2; rc=1
fi
exit "$rc"
