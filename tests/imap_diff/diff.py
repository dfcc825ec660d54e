#!/usr/bin/env python3
"""Differential IMAP test: Rampart against Dovecot (Python 3.11, stdlib only).

Both servers get the same account contents (the corpus, APPENDed with fixed
INTERNALDATEs and flags) and the same scripted conversations. Every command
is one step: its responses are parsed (IMAP s-expressions, literals
included), normalised where servers may legitimately differ, and compared.

Normalised away (never compared):
  * the greeting, CAPABILITY responses and [CAPABILITY ...] codes;
  * the human text after status responses and response codes;
  * UIDVALIDITY values (in [UIDVALIDITY], [APPENDUID], [COPYUID], STATUS);
  * the order of FETCH items within a response, the order of untagged
    responses of different kinds within one command (FETCH data of one
    message is merged across responses), the order of flags;
  * equivalent string forms (quoted / literal), the case of atoms the RFCs
    make case-insensitive (FETCH item names, section names, MIME type,
    subtype, encoding, parameter and disposition names);
  * INTERNALDATE is compared as an instant (the zone it is shown in is the
    server's choice), EXPUNGE responses as the set of sequence numbers (of
    the mailbox before the command) that they remove, SEARCH results as sets,
    [COPYUID] as the set of (source, destination) UID pairs.

Everything else differing is a difference, unless it matches the ALLOWED
table below. The exit code is 0 when no step has a difference left.

Run it through run.sh, which starts both servers.
"""
import argparse
import datetime
import json
import os
import re
import socket
import ssl
import sys
import time

READ_TIMEOUT = 10.0  # every socket read
COMMAND_DEADLINE = 30.0  # one whole command, all its responses
MAX_RESPONSE = 32 * 1024 * 1024

# --- known, deliberate differences -----------------------------------------------
# Each entry: "path" is a regular expression matched (fullmatch) against the
# path of one difference (e.g. "FETCH[3].FLAGS", "untagged.OK[PERMANENTFLAGS]",
# "status", "code", "SEARCH"); optional "cmd" is searched in the command text,
# "scenario" matched against the scenario name, and "when" is a function
# (rampart_value, dovecot_value, ctx) -> bool, where ctx has .command,
# .scenario, .answers {"rampart": .., "dovecot": ..} (whole normalised
# answers), .last_recent {side: the RECENT count that side last reported to
# this session, or None} and .readonly (the session's mailbox was EXAMINEd).
# Every entry has a one-line reason. A step passes when each of its
# differences matches an entry. Only add what is clearly not a Rampart bug.

def _flags_of(v):
    if isinstance(v, tuple) and v and v[0] == "PERMANENTFLAGS":
        return v[1]
    return v


def _keywords_only(rv, dv, ctx):
    a, b = _flags_of(rv), _flags_of(dv)
    if a is MISSING or b is MISSING:  # an unsolicited update on one side only
        return not re.match(r"(SELECT|EXAMINE) ", ctx.command)
    if isinstance(a, frozenset) and isinstance(b, frozenset):
        return all(not f.startswith("\\") for f in a ^ b)
    return False


def _only_code(name):
    def check(rv, dv, ctx):
        v = rv if dv is MISSING else dv if rv is MISSING else None
        if isinstance(v, dict):  # the whole untagged.OK group missing on one side
            return set(v) == {name}
        return v == (name,)
    return check


def _recent_update_not_needed(rv, dv, ctx):
    if (rv is MISSING) == (dv is MISSING):
        return False
    side, sent = ("dovecot", dv) if rv is MISSING else ("rampart", rv)
    if ctx.last_recent.get(side) == sent[-1]:
        return True  # a repetition of the count this session already has
    ans = ctx.answers[side]
    return "EXPUNGE" in ans and "EXISTS" not in ans  # only removals happened


def _extra_uid(rv, dv, ctx):
    return dv is MISSING and isinstance(rv, int) and not ctx.command.startswith("UID ")


def _store_unchanged(rv, dv, ctx):
    if dv is not MISSING or rv is MISSING:
        return False
    items = rv.values() if all(isinstance(k, int) for k in rv) else [rv]
    return all(set(i) <= {"FLAGS", "UID"} for i in items)


def _decoded(v):
    import email.header
    if not isinstance(v, bytes):
        return v
    s = v.decode("utf-8", "replace")
    try:
        return str(email.header.make_header(email.header.decode_header(s)))
    except Exception:
        return s


def _same_text(rv, dv, ctx):
    return isinstance(rv, bytes) and isinstance(dv, bytes) and _decoded(rv) == _decoded(dv)


def _rampart_status(status, code=None):
    def check(rv, dv, ctx):
        r = ctx.answers["rampart"]
        return r.get("status") == status and (code is None or r.get("code") == (code,))
    return check


def _readonly_refused(rv, dv, ctx):
    return ctx.readonly and _rampart_status("NO", "READ-ONLY")(rv, dv, ctx)


def _rampart_stricter(rv, dv, ctx):
    return ctx.answers["rampart"].get("status") == "BAD" and ctx.answers["dovecot"].get("status") == "OK"


def _dovecot_extra_crlf(rv, dv, ctx):
    return isinstance(rv, bytes) and isinstance(dv, bytes) and rv.endswith(b"--") and dv == rv + b"\r\n"


def _same_lines_reordered(rv, dv, ctx):
    return isinstance(rv, bytes) and isinstance(dv, bytes) and rv != dv and \
        sorted(rv.split(b"\r\n")) == sorted(dv.split(b"\r\n"))


def _size_of_own_binary(rv, dv, ctx):
    """Rampart's BINARY.SIZE is the length of a BINARY it sent in the same answer."""
    if not isinstance(rv, int):
        return False
    fetch = ctx.answers["rampart"].get("FETCH", {})
    return any(k.startswith("BINARY[") and isinstance(v, bytes) and len(v) == rv
               for items in fetch.values() for k, v in items.items())


def _rampart_finds_more(rv, dv, ctx):
    return isinstance(rv, frozenset) and isinstance(dv, frozenset) and dv < rv


NO_DATE_SEQS = set()  # sequence numbers (at load) of corpus messages without Date:


def _no_date_only(rv, dv, ctx):
    return isinstance(rv, frozenset) and isinstance(dv, frozenset) and (rv ^ dv) <= NO_DATE_SEQS


def _only_recent_flag(rv, dv, ctx):
    if isinstance(rv, frozenset) and isinstance(dv, frozenset):
        return (rv ^ dv) <= {"\\Recent"}
    return True  # RECENT counts


def _placeholder_parent(rv, dv, ctx):
    return (isinstance(rv, tuple) and isinstance(dv, tuple) and rv[0] == dv[0]
            and (dv[1] - rv[1]) <= {"\\NOSELECT"} and not (rv[1] - dv[1]))


SPECIAL_USE = {"\\ALL", "\\ARCHIVE", "\\DRAFTS", "\\FLAGGED", "\\JUNK", "\\SENT", "\\TRASH"}


def _special_use_only(rv, dv, ctx):
    return (isinstance(rv, tuple) and isinstance(dv, tuple) and rv[0] == dv[0]
            and (rv[1] ^ dv[1]) <= SPECIAL_USE)


ALLOWED = [
    {"path": r"FLAGS|untagged\.OK(\[PERMANENTFLAGS\])?", "when": _keywords_only,
     "reason": "FLAGS/PERMANENTFLAGS must list the system flags; which keywords they list is the server's choice (RFC 3501 7.2.6)"},
    {"path": r"untagged\.OK(\[CLOSED\])?", "when": _only_code("CLOSED"),
     "reason": "Dovecot announces [CLOSED] (RFC 7162 3.2.11) on re-SELECT even without QRESYNC; clients ignore unknown codes"},
    {"path": r"untagged\.OK(\[HIGHESTMODSEQ\])?", "when": _only_code("HIGHESTMODSEQ"),
     "reason": "a CONDSTORE server sends [HIGHESTMODSEQ] on every SELECT/EXAMINE (RFC 7162 3.1.2.1); Dovecot only once enabled"},
    {"path": r"code", "when": _only_code("CLIENTBUG"),
     "reason": "[CLIENTBUG] (RFC 5530) is an optional hint (Dovecot: STATUS of the selected mailbox)"},
    {"path": r"code", "when": _only_code("NONEXISTENT"),
     "reason": "[NONEXISTENT] (RFC 5530) is optional; the NO status is what matters"},
    {"path": r"RECENT", "when": _recent_update_not_needed,
     "reason": "a RECENT repeating the known count, or one after expunges only, is optional (RFC 3501 7.3.2, 7.4.1)"},
    {"path": r"FETCH\[\d+\]\.UID", "when": _extra_uid,
     "reason": "a server may add UID to any FETCH response (RFC 3501 7.4.2); Rampart does in unsolicited ones"},
    {"path": r"FETCH(\[\d+\])?", "cmd": r"^(UID )?STORE \S+ [+-]?FLAGS \(", "when": _store_unchanged,
     "reason": "STORE may report flags of messages it did not change (RFC 3501 6.4.6 'normally'); Dovecot reports changed ones only"},
    {"path": r"FETCH\[\d+\]\.ENVELOPE\[\d+\](\[\d+\]\[0\])?", "when": _same_text,
     "reason": "README: display names go out re-encoded as RFC 2047 words; equal once decoded"},
    {"path": r"status|code|EXPUNGE|FETCH", "cmd": r"^(UID )?(STORE|EXPUNGE)", "when": _readonly_refused,
     "reason": "EXAMINE forbids changes (RFC 3501 6.3.2); Rampart says NO [READ-ONLY], Dovecot OK without changing anything"},
    {"path": r"status|code|EXPUNGE|untagged\.OK", "cmd": r"^(UID )?MOVE ", "when": _readonly_refused,
     "reason": "Dovecot MOVEs out of an EXAMINEd mailbox, against RFC 3501 6.3.2; Rampart's NO [READ-ONLY] is right"},
    {"path": r"status|code|SEARCH", "cmd": r"CHARSET (?!(UTF-8|US-ASCII) )", "when": _rampart_status("NO", "BADCHARSET"),
     "reason": "only US-ASCII (and UTF-8, RFC 9051) must be supported in SEARCH CHARSET (RFC 3501 6.4.4)"},
    {"path": r"status|FETCH|SEARCH",
     "cmd": r"BODY(\.PEEK)?\[(\d+\.)*0[].]|^STORE \S+ [+-]?FLAGS(\.SILENT)?$|ON 31-Feb-",
     "when": _rampart_stricter,
     "reason": "not valid RFC 3501 syntax/values (section-part is nz-number; store-att-flags needs flags; no 31 Feb); BAD is right, Dovecot is lenient"},
    {"path": r"FETCH\[\d+\]\.BINARY\[[\d.]*\]", "when": _same_lines_reordered,
     "reason": "BINARY rewrites inner Content-Transfer-Encoding fields to binary; Dovecot moves the field to the end of the part's header, Rampart keeps it in place; field order carries no meaning (RFC 2045 9, RFC 5322 3.6)"},
    {"path": r"FETCH\[\d+\]\.BINARY\.SIZE\[[\d.]*\]", "when": _size_of_own_binary,
     "reason": "RFC 3516 4.2: BINARY.SIZE is the size of what BINARY returns; Dovecot's differs from the length of its own BINARY answer for nested multiparts, Rampart's equals it"},
    {"path": r"FETCH\[\d+\]\.(BODY|BINARY)\[[\d.]+\]", "when": _dovecot_extra_crlf,
     "reason": "Dovecot adds the CRLF after a nested close-delimiter, which belongs to the outer delimiter (RFC 2046 5.1.1)"},
    {"path": r"SEARCH", "cmd": r"^SEARCH SENT(BEFORE|ON|SINCE) ", "when": _no_date_only,
     "reason": "a message without Date: has no sent date; RFC 3501 6.4.4 leaves SENT* undefined for it (Dovecot uses 1970)"},
    {"path": r"FETCH\[\d+\]\.FLAGS|RECENT(\[\d+\])?", "scenario": r"two-sessions", "when": _only_recent_flag,
     "reason": "with several sessions on a mailbox it is undefined which one sees \\Recent (RFC 3501 2.3.2)"},
    {"path": r"status", "cmd": r"^STORE \S+ \+FLAGS \(\\Recent\)$", "when": _rampart_status("OK"),
     "reason": "clients cannot alter \\Recent (RFC 3501 2.3.2): Dovecot refuses with BAD, Rampart ignores it; either keeps it unchanged"},
    {"path": r"LIST\[.*\]", "when": _placeholder_parent,
     "reason": "CREATE a/b may create a/ as a real mailbox or a \\Noselect placeholder (RFC 3501 6.3.3)"},
    {"path": r"SEARCH", "cmd": r"TEXT .*\.(bin|pdf)", "when": _rampart_finds_more,
     "reason": "Rampart's TEXT also matches attachment file names decoded from RFC 2231/2047 parameters; a superset of Dovecot's raw match"},
    {"path": r"LSUB\[.*\]", "when": _special_use_only,
     "reason": "special-use attributes are defined for LIST (RFC 6154 2); their presence in LSUB is optional"},
]


# --- connections ------------------------------------------------------------------

class ServerGone(Exception):
    pass


class Literal:
    """A literal argument of a command (sent as a synchronizing literal)."""

    def __init__(self, data):
        self.data = data if isinstance(data, bytes) else data.encode()

    def __repr__(self):
        return "{%d}%s" % (len(self.data), shorten(self.data, 60))


class Conn:
    def __init__(self, addr, tls, sni):
        host, port = addr.rsplit(":", 1)
        sock = socket.create_connection((host, int(port)), timeout=READ_TIMEOUT)
        if tls:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            sock = ctx.wrap_socket(sock, server_hostname=sni or None)
        sock.settimeout(READ_TIMEOUT)
        self.sock = sock
        self.buf = b""
        self.tagn = 0
        self.greeting = self.read_response(time.monotonic() + READ_TIMEOUT)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def _fill(self, deadline):
        left = deadline - time.monotonic()
        if left <= 0:
            raise ServerGone("no complete answer within %ds" % COMMAND_DEADLINE)
        self.sock.settimeout(min(READ_TIMEOUT, left))
        try:
            data = self.sock.recv(65536)
        except (socket.timeout, TimeoutError):
            raise ServerGone("read timed out")
        except (OSError, ssl.SSLError) as e:
            raise ServerGone("connection error: %s" % e)
        if not data:
            raise ServerGone("connection closed by the server")
        self.buf += data
        if len(self.buf) > MAX_RESPONSE:
            raise ServerGone("response over %d bytes" % MAX_RESPONSE)

    def _line(self, deadline):
        while True:
            i = self.buf.find(b"\r\n")
            if i >= 0:
                line, self.buf = self.buf[: i + 2], self.buf[i + 2:]
                return line
            self._fill(deadline)

    def _exactly(self, n, deadline):
        while len(self.buf) < n:
            self._fill(deadline)
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def read_response(self, deadline):
        """One response: a line, plus the literals it announces and the rest."""
        out = b""
        while True:
            line = self._line(deadline)
            out += line
            m = re.search(rb"~?\{(\d+)\}\r\n$", line)
            if not m:
                return out
            out += self._exactly(int(m.group(1)), deadline)

    def command(self, pieces):
        """Sends one command; returns (tag, [untagged raw responses], tagged raw)."""
        self.tagn += 1
        tag = b"t%03d" % self.tagn
        deadline = time.monotonic() + COMMAND_DEADLINE
        untagged = []
        chunk = tag + b" "
        try:
            for p in pieces:
                if isinstance(p, Literal):
                    self.sock.sendall(chunk + b"{%d}\r\n" % len(p.data))
                    while True:
                        r = self.read_response(deadline)
                        if r.startswith(b"+"):
                            break
                        if r.startswith(tag + b" "):
                            return tag, untagged, r
                        untagged.append(r)
                    chunk = p.data
                else:
                    chunk += p
            self.sock.sendall(chunk + b"\r\n")
            while True:
                r = self.read_response(deadline)
                if r.startswith(tag + b" "):
                    return tag, untagged, r
                if r.startswith(b"+"):
                    raise ServerGone("unexpected continuation request: %s" % shorten(r, 80))
                untagged.append(r)
        except (OSError, ssl.SSLError) as e:
            if isinstance(e, ServerGone):
                raise
            raise ServerGone("connection error: %s" % e)


# --- the IMAP response parser -----------------------------------------------------

class ParseError(Exception):
    pass


ATOM_END = b' ()"{\r\n'


class Parser:
    def __init__(self, data):
        self.d = data
        self.i = 0

    def at_end(self):
        return self.i >= len(self.d) or self.d[self.i:self.i + 2] == b"\r\n"

    def peek(self):
        return self.d[self.i:self.i + 1]

    def sp(self):
        while self.peek() == b" ":
            self.i += 1

    def rest_of_line(self):
        j = self.d.find(b"\r\n", self.i)
        j = len(self.d) if j < 0 else j
        s, self.i = self.d[self.i:j], j
        return s

    def atom(self):
        start = self.i
        while self.i < len(self.d):
            c = self.d[self.i:self.i + 1]
            if c == b"[":
                # BODY[HEADER.FIELDS (A B)]<0>: the section may hold spaces and parens
                j = self.d.find(b"]", self.i)
                if j < 0:
                    raise ParseError("unterminated [ at %d" % self.i)
                self.i = j + 1
                continue
            if c in ATOM_END or c == b"]":
                break
            self.i += 1
        if self.i == start:
            raise ParseError("expected an atom at %d: %r" % (self.i, self.d[self.i:self.i + 20]))
        return self.d[start:self.i].decode("utf-8", "replace")

    def quoted(self):
        assert self.peek() == b'"'
        self.i += 1
        out = bytearray()
        while True:
            if self.i >= len(self.d):
                raise ParseError("unterminated quoted string")
            c = self.d[self.i]
            if c == 0x5C:  # backslash
                out.append(self.d[self.i + 1])
                self.i += 2
            elif c == 0x22:
                self.i += 1
                return bytes(out)
            elif c in (0x0D, 0x0A):
                raise ParseError("CR/LF in a quoted string")
            else:
                out.append(c)
                self.i += 1

    def literal(self):
        if self.peek() == b"~":
            self.i += 1
        m = re.compile(rb"\{(\d+)\+?\}\r\n").match(self.d, self.i)
        if not m:
            raise ParseError("bad literal at %d" % self.i)
        n = int(m.group(1))
        self.i = m.end()
        data = self.d[self.i:self.i + n]
        if len(data) != n:
            raise ParseError("short literal")
        self.i += n
        return data

    def value(self):
        self.sp()
        c = self.peek()
        if c == b"(":
            self.i += 1
            items = []
            while True:
                self.sp()
                if self.peek() == b")":
                    self.i += 1
                    return items
                if self.at_end():
                    raise ParseError("unterminated list")
                items.append(self.value())
        if c == b'"':
            return self.quoted()
        if c == b"{" or (c == b"~" and self.d[self.i + 1:self.i + 2] == b"{"):
            return self.literal()
        a = self.atom()
        if a.upper() == "NIL":
            return None
        if a.isdigit():
            return int(a)
        return a

    def code(self):
        """After `[`: the response code name and its raw argument text."""
        depth, j = 0, self.i
        while j < len(self.d):
            c = self.d[j:j + 1]
            if c == b"(":
                depth += 1
            elif c == b")":
                depth -= 1
            elif c == b"]" and depth <= 0:
                break
            elif c in b"\r\n":
                raise ParseError("unterminated response code")
            j += 1
        inner, self.i = self.d[self.i:j], j + 1
        name, _, args = inner.partition(b" ")
        return name.decode("ascii", "replace").upper(), args


def parse_status_tail(p):
    """`[CODE args] text` -> (code name or None, args bytes)."""
    p.sp()
    if p.peek() == b"[":
        p.i += 1
        name, args = p.code()
        p.rest_of_line()
        return name, args
    p.rest_of_line()
    return None, b""


def parse_response(raw):
    """One raw response -> a tuple (kind, ...). Tagged: ('TAGGED', status, code, args)."""
    p = Parser(raw)
    if raw.startswith(b"* "):
        p.i = 2
        first = p.atom()
        if first.isdigit():
            n = int(first)
            p.sp()
            kind = p.atom().upper()
            if kind == "FETCH":
                p.sp()
                items = p.value()
                if not isinstance(items, list):
                    raise ParseError("FETCH without a list")
                return ("FETCH", n, items)
            return (kind, n)
        kind = first.upper()
        if kind in ("OK", "NO", "BAD", "BYE", "PREAUTH"):
            name, args = parse_status_tail(p)
            return ("STATUS", kind, name, args)
        if kind == "FLAGS":
            return ("FLAGS", p.value())
        if kind == "SEARCH":
            nums = []
            while not p.at_end():
                v = p.value()
                nums.append(v)
            return ("SEARCH", nums)
        if kind == "ESEARCH":
            items = []
            while not p.at_end():
                items.append(p.value())
            return ("ESEARCH", items)
        if kind in ("LIST", "LSUB"):
            attrs = p.value()
            delim = p.value()
            name = p.value()
            return (kind, attrs, delim, name)
        if kind == "STATUS":
            name = p.value()
            items = p.value()
            return ("MBSTATUS", name, items)
        return (kind, p.rest_of_line())
    tag, _, _ = raw.partition(b" ")
    p.i = len(tag) + 1
    status = p.atom().upper()
    name, args = parse_status_tail(p)
    return ("TAGGED", status, name, args)


# --- normalisation ---------------------------------------------------------------

UIDVALIDITY = "<uidvalidity>"
IGNORED_CODES = {"CAPABILITY"}


def as_text(v):
    return v.decode("utf-8", "replace") if isinstance(v, bytes) else v


def uid_set(text):
    out = []
    for part in text.split(","):
        if ":" in part:
            a, b = part.split(":")
            a, b = int(a), int(b)
            out.extend(range(min(a, b), max(a, b) + 1))
        elif part:
            out.append(int(part))
    return out


def norm_code(name, args):
    """A response code -> a comparable value (None: ignored)."""
    if name is None or name in IGNORED_CODES:
        return None
    a = args.decode("utf-8", "replace").strip()
    try:
        if name == "UIDVALIDITY":
            return (name, UIDVALIDITY)
        if name == "APPENDUID":
            uv, uids = a.split()
            return (name, UIDVALIDITY, tuple(uid_set(uids)))
        if name == "COPYUID":
            uv, src, dst = a.split()
            return (name, UIDVALIDITY, tuple(sorted(zip(uid_set(src), uid_set(dst)))))
        if name in ("UIDNEXT", "UNSEEN"):
            return (name, int(a))
        if name == "PERMANENTFLAGS":
            return (name, frozenset(Parser(args).value()))
    except (ValueError, ParseError, TypeError):
        return (name, a)
    # Others: the name only (BADCHARSET's charset list, for one, is the server's choice)
    return (name,)


SECTION_KEY = re.compile(r"^(BODY|BINARY|BINARY\.SIZE)\[(.*)\](<\d+>)?$", re.S)


def norm_key(key):
    k = key.upper()
    m = SECTION_KEY.match(k)
    if m:
        section = re.sub(r"\s+", " ", m.group(2).replace('"', "")).strip()
        section = section.replace("( ", "(").replace(" )", ")")
        return "%s[%s]%s" % (m.group(1), section, m.group(3) or "")
    return k


MONTHS = {m: i for i, m in enumerate(
    ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"], 1)}


def norm_internaldate(v):
    s = as_text(v) if v is not None else ""
    m = re.fullmatch(r"\s*(\d{1,2})-(\w{3})-(\d{4}) (\d\d):(\d\d):(\d\d) ([+-])(\d\d)(\d\d)", s)
    if not m or m.group(2).upper() not in MONTHS:
        return ("unparsable", s)
    d, mon, y, hh, mm, ss, sign, zh, zm = m.groups()
    off = datetime.timedelta(hours=int(zh), minutes=int(zm)) * (1 if sign == "+" else -1)
    t = datetime.datetime(int(y), MONTHS[mon.upper()], int(d), int(hh), int(mm), int(ss),
                          tzinfo=datetime.timezone(off))
    return t.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def upper_tok(v):
    return v.upper() if isinstance(v, bytes) else v


def norm_params(v):
    """body-fld-param: (name value ...) -> names upper-cased, order kept."""
    if not isinstance(v, list):
        return v
    out = []
    for i, x in enumerate(v):
        out.append(upper_tok(x) if i % 2 == 0 else x)
    return out


def norm_dsp(v):
    if isinstance(v, list) and len(v) == 2:
        return [upper_tok(v[0]), norm_params(v[1])]
    return v


def norm_body(v):
    """BODY / BODYSTRUCTURE: case-insensitive tokens upper-cased."""
    if not isinstance(v, list) or not v:
        return v
    if isinstance(v[0], list):  # multipart
        parts = []
        i = 0
        while i < len(v) and isinstance(v[i], list):
            parts.append(norm_body(v[i]))
            i += 1
        rest = list(v[i:])
        if rest:
            rest[0] = upper_tok(rest[0])  # subtype
        if len(rest) > 1:
            rest[1] = norm_params(rest[1])
        if len(rest) > 2:
            rest[2] = norm_dsp(rest[2])
        return parts + rest
    out = list(v)
    for i in (0, 1, 5):  # type, subtype, encoding
        if i < len(out):
            out[i] = upper_tok(out[i])
    if len(out) > 2:
        out[2] = norm_params(out[2])
    mtype = out[0] if out else None
    sub = out[1] if len(out) > 1 else None
    ext = 7  # index of the first extension field
    if mtype == b"TEXT":
        ext = 8
    elif mtype == b"MESSAGE" and sub in (b"RFC822", b"GLOBAL") and len(out) >= 10:
        out[8] = norm_body(out[8])
        ext = 10
    # extension: md5, disposition, language, location
    if len(out) > ext + 1:
        out[ext + 1] = norm_dsp(out[ext + 1])
    return out


def norm_fetch_value(key, v):
    if key == "FLAGS":
        return frozenset(v) if isinstance(v, list) else v
    if key == "INTERNALDATE":
        return norm_internaldate(v)
    if key in ("BODY", "BODYSTRUCTURE"):
        return norm_body(v)
    return v


def expunged_originals(seqs):
    """EXPUNGE sequence numbers, in order -> the set of original numbers removed."""
    removed = []
    for e in seqs:
        # the e-th message that is still there
        n, k = 0, 0
        while n < e:
            k += 1
            if k not in removed:
                n += 1
        removed.append(k)
    return frozenset(removed)


def normalise(untagged_raw, tagged_raw):
    """Raw responses of one command -> a comparable dict."""
    out = {}
    tagged = parse_response(tagged_raw)
    _, status, name, args = tagged
    out["status"] = status
    code = norm_code(name, args)
    if code is not None:
        out["code"] = code
    fetch = {}
    expunges = []
    for raw in untagged_raw:
        r = parse_response(raw)
        kind = r[0]
        if kind == "FETCH":
            n, items = r[1], r[2]
            d = fetch.setdefault(n, {})
            if len(items) % 2:
                d["<odd item list>"] = items
            for i in range(0, len(items) - 1, 2):
                k = norm_key(items[i] if isinstance(items[i], str) else str(items[i]))
                d[k] = norm_fetch_value(k, items[i + 1])
        elif kind == "EXPUNGE":
            expunges.append(r[1])
        elif kind in ("EXISTS", "RECENT"):
            out.setdefault(kind, []).append(r[1])
        elif kind == "STATUS":
            _, st, cname, cargs = r
            c = norm_code(cname, cargs)
            if st == "OK" and c is None:
                continue  # an untagged OK with only text (or a CAPABILITY code)
            if st == "OK":
                out.setdefault("untagged.OK", {})[c[0]] = c
            else:
                out.setdefault("untagged." + st, []).append(c)
        elif kind == "FLAGS":
            out["FLAGS"] = frozenset(r[1]) if isinstance(r[1], list) else r[1]
        elif kind == "SEARCH":
            out["SEARCH"] = frozenset(r[1])
        elif kind == "ESEARCH":
            # (TAG "x") is the command's own tag, which differs per server.
            items = [i for i in r[1] if not isinstance(i, list)]
            d = {}
            i = 0
            while i < len(items):
                k = str(items[i]).upper()
                if k == "UID":
                    d["UID"] = True
                    i += 1
                    continue
                v = items[i + 1] if i + 1 < len(items) else None
                i += 2
                d[k] = frozenset(uid_set(str(v))) if k == "ALL" else v
            out["ESEARCH"] = d
        elif kind in ("LIST", "LSUB"):
            _, attrs, delim, name = r
            attrs = frozenset(a.upper() for a in attrs if isinstance(a, str))
            out.setdefault(kind, {})[as_text(name)] = (as_text(delim), attrs)
        elif kind == "MBSTATUS":
            _, name, items = r
            d = {}
            for i in range(0, len(items) - 1, 2):
                k = str(items[i]).upper()
                d[k] = UIDVALIDITY if k == "UIDVALIDITY" else items[i + 1]
            out.setdefault("STATUS", {})[as_text(name)] = d
        elif kind in ("CAPABILITY",):
            continue
        else:
            out.setdefault("other", []).append((kind, as_text(r[1]) if len(r) > 1 else None))
    if fetch:
        out["FETCH"] = fetch
    if expunges:
        out["EXPUNGE"] = expunged_originals(expunges)
    return out


# --- comparison -------------------------------------------------------------------

MISSING = "<absent>"


def diff(a, b, path=""):
    """Yields (path, a, b) for every difference between two normalised values."""
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b), key=lambda x: (str(type(x)), x)):
            p = "%s[%s]" % (path, k) if isinstance(k, int) or path.endswith(("FETCH", "OK", "STATUS", "LIST", "LSUB")) \
                else ("%s.%s" % (path, k) if path else str(k))
            yield from diff(a.get(k, MISSING), b.get(k, MISSING), p)
        return
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b)):
            yield from diff(x, y, "%s[%d]" % (path, i))
        return
    if a != b:
        yield (path, a, b)


class Ctx:
    def __init__(self, **kw):
        self.__dict__.update(kw)


def allowed(path, rv, dv, ctx):
    for entry in ALLOWED:
        if not re.fullmatch(entry["path"], path):
            continue
        if "cmd" in entry and not re.search(entry["cmd"], ctx.command):
            continue
        if "scenario" in entry and not re.fullmatch(entry["scenario"], ctx.scenario):
            continue
        if "when" in entry and not entry["when"](rv, dv, ctx):
            continue
        return entry["reason"]
    return None


def shorten(v, limit=400):
    s = show(v)
    return s if len(s) <= limit else s[:limit] + "...(%d chars)" % len(s)


def show(v):
    if isinstance(v, bytes):
        return repr(v)[1:]
    if isinstance(v, (set, frozenset)):
        return "{" + " ".join(sorted(show(x) for x in v)) + "}"
    if isinstance(v, tuple):
        return "(" + " ".join(show(x) for x in v) + ")"
    if isinstance(v, list):
        return "(" + " ".join(show(x) for x in v) + ")"
    if isinstance(v, dict):
        return "{" + ", ".join("%s: %s" % (k, show(x)) for k, x in v.items()) + "}"
    if v is None:
        return "NIL"
    return str(v)


def jsonable(v):
    if isinstance(v, bytes):
        return v.decode("utf-8", "backslashreplace")
    if isinstance(v, (set, frozenset)):
        return sorted((jsonable(x) for x in v), key=str)
    if isinstance(v, (list, tuple)):
        return [jsonable(x) for x in v]
    if isinstance(v, dict):
        return {str(k): jsonable(x) for k, x in v.items()}
    return v


# --- the runner -------------------------------------------------------------------

class Side:
    def __init__(self, name, addr, tls, sni):
        self.name, self.addr, self.tls, self.sni = name, addr, tls, sni
        self.sessions = {}
        self.dead = {}
        self.recent = {}  # session -> last RECENT count reported to it


class Runner:
    def __init__(self, args):
        self.args = args
        self.sides = [Side("rampart", args.rampart, True, args.rampart_sni),
                      Side("dovecot", args.dovecot, False, None)]
        self.passed = 0
        self.failed = 0
        self.scenario = ""
        self.stepn = 0
        self.records = []
        self.verbose = bool(os.environ.get("VERBOSE"))
        self.readonly = {}

    # sessions
    def open(self, sess):
        """Opens session `sess` on both servers and logs in (one step)."""
        self.readonly[sess] = False
        for side in self.sides:
            side.dead.pop(sess, None)
            side.recent.pop(sess, None)
            try:
                side.sessions[sess] = Conn(side.addr, side.tls, side.sni)
            except (ServerGone, OSError) as e:
                side.dead[sess] = "connect: %s" % e
        self.step(sess, "LOGIN %s %s" % (quote(self.args.user), quote(self.args.password)),
                  show_as="LOGIN <user> <password>")

    def close(self, sess):
        self.step(sess, "LOGOUT")
        for side in self.sides:
            c = side.sessions.pop(sess, None)
            if c:
                c.close()
            side.dead.pop(sess, None)

    def close_all(self):
        for side in self.sides:
            for c in side.sessions.values():
                c.close()
            side.sessions.clear()
            side.dead.clear()

    def step(self, sess, command, show_as=None):
        """Runs one command on both servers; compares; returns the two normalised answers."""
        self.stepn += 1
        pieces = command if isinstance(command, list) else [command]
        pieces = [p.encode() if isinstance(p, str) else p for p in pieces]
        text = show_as or "".join(repr(p) if isinstance(p, Literal) else p.decode("utf-8", "replace")
                                  for p in pieces)
        answers, raws = [], []
        for side in self.sides:
            if sess in side.dead:
                answers.append({"error": "session unusable: " + side.dead[sess]})
                raws.append(b"")
                continue
            conn = side.sessions[sess]
            try:
                _, untagged, tagged = conn.command(pieces)
            except ServerGone as e:
                side.dead[sess] = str(e)
                answers.append({"error": str(e)})
                raws.append(b"")
                continue
            raws.append(b"".join(untagged) + tagged)
            try:
                answers.append(normalise(untagged, tagged))
            except (ParseError, IndexError, ValueError) as e:
                answers.append({"error": "unparsable answer: %s" % e, "raw": raws[-1]})
        r, d = answers
        ctx = Ctx(command=text, scenario=self.scenario,
                  answers={"rampart": r, "dovecot": d},
                  last_recent={s.name: s.recent.get(sess) for s in self.sides},
                  readonly=self.readonly.get(sess, False))
        for side, a in zip(self.sides, answers):
            if a.get("RECENT"):
                side.recent[sess] = a["RECENT"][-1]
        m = re.match(r"(SELECT|EXAMINE) ", text)
        if m:
            self.readonly[sess] = m.group(1) == "EXAMINE"
        diffs, excused = [], []
        for path, rv, dv in diff(r, d):
            why = allowed(path, rv, dv, ctx)
            (excused if why else diffs).append((path, rv, dv, why))
        for side, a in zip(self.sides, answers):  # a dead or garbled server never passes
            if "error" in a and not any(p == "error" for p, _, _, _ in diffs):
                diffs.append(("error", r.get("error", MISSING), d.get("error", MISSING), None))
        ok = not diffs
        if ok:
            self.passed += 1
        else:
            self.failed += 1
        where = "%s #%d" % (self.scenario, self.stepn)
        self.records.append({
            "step": where, "session": sess, "command": text, "ok": ok,
            "differences": [{"path": p, "rampart": jsonable(a), "dovecot": jsonable(b)} for p, a, b, _ in diffs],
            "allowed": [{"path": p, "reason": w} for p, _, _, w in excused],
            "rampart": jsonable(r), "dovecot": jsonable(d),
            "raw": {"rampart": jsonable(raws[0]), "dovecot": jsonable(raws[1])},
        })
        if not ok:
            print("FAIL [%s] session %s: %s" % (where, sess, text))
            for path, rv, dv, _ in diffs:
                print("    %s" % (path or "(answer)"))
                print("        rampart: %s" % shorten(rv))
                print("        dovecot: %s" % shorten(dv))
            print("    rampart answer: %s" % shorten(r, 1500))
            print("    dovecot answer: %s" % shorten(d, 1500))
        elif self.verbose:
            print("ok   [%s] session %s: %s" % (where, sess, text))
            print("    answer: %s" % shorten(r, 1500))
        return r, d


def quote(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


# --- corpus -----------------------------------------------------------------------

# Flags and INTERNALDATE for each corpus file (by file name).
LOAD = {
    "01-plain.eml": (r"\Seen \Answered", "01-Nov-2026 12:00:00 +0000"),
    "02-alternative.eml": (r"\Flagged", "02-Nov-2026 14:30:00 +0200"),
    "03-mixed-attachments.eml": (r"\Seen $Forwarded", "03-Nov-2026 12:00:00 +0000"),
    "04-nested-rfc822.eml": ("", "04-Nov-2026 12:00:00 -0500"),
    "05-groups.eml": (r"\Draft", "05-Nov-2026 12:00:00 +0000"),
    "06-encoded-words.eml": (r"\Seen \Flagged Important", "06-Nov-2026 12:00:00 +0000"),
    "07-rfc2231.eml": ("$Label1", "07-Nov-2026 12:00:00 +0000"),
    "08-missing-headers.eml": (r"\Deleted", "08-Nov-2026 12:00:00 +0000"),
    "09-8bit-latin1.eml": (r"\Seen", "09-Nov-2026 12:00:00 +0100"),
    "10-utf8-headers.eml": ("", "10-Nov-2026 12:00:00 +0000"),
    "11-odd-headers-empty-body.eml": (r"\Answered \Flagged", "11-Nov-2026 12:00:00 +0000"),
    "12-digest.eml": ("$Forwarded $Label1", "12-Nov-2026 12:00:00 +0000"),
    "nested.eml": (r"\Seen", "13-Nov-2026 12:00:00 +0000"),
}


def mime_sections(data):
    """The section specs that exist in a message, from its MIME tree (RFC 3501 6.4.5)."""
    import email
    import email.policy
    msg = email.message_from_bytes(data, policy=email.policy.compat32)

    def walk(m, prefix):
        out = []
        if m.is_multipart():
            for i, sub in enumerate(m.get_payload(), 1):
                p = prefix + str(i)
                out += [p, p + ".MIME"]
                if sub.get_content_type() == "message/rfc822":
                    out += [p + ".HEADER", p + ".TEXT", p + ".HEADER.FIELDS (SUBJECT)"]
                    inner = sub.get_payload(0) if sub.is_multipart() else None
                    if inner is not None:
                        out += walk(inner, p + ".")
                elif sub.is_multipart():
                    out += walk(sub, p + ".")
        else:
            out.append(prefix + "1")
        return out

    return walk(msg, "")


def load_corpus(paths):
    files = []
    for p in paths:
        if os.path.isdir(p):
            files.extend(os.path.join(p, f) for f in sorted(os.listdir(p)) if f.endswith(".eml"))
        else:
            files.append(p)
    corpus = []
    for i, f in enumerate(files):
        with open(f, "rb") as fh:
            data = fh.read()
        data = re.sub(rb"\r?\n", b"\r\n", data)  # the files use LF; IMAP wants CRLF
        name = os.path.basename(f)
        flags, date = LOAD.get(name, ("", "%02d-Dec-2026 12:00:00 +0000" % (i + 1)))
        corpus.append((name, data, flags, date))
    return corpus


# --- scripts ----------------------------------------------------------------------

# Every message: these, then every section its MIME tree has, then the partials.
COMMON_SECTIONS = ["", "HEADER", "TEXT", "HEADER.FIELDS (FROM SUBJECT)",
                   "HEADER.FIELDS.NOT (FROM SUBJECT DATE)", "HEADER.FIELDS (X-NONEXISTENT)"]
PARTIALS = [
    "BODY.PEEK[]<0.10>", "BODY.PEEK[]<5.20>", "BODY.PEEK[TEXT]<0.10>", "BODY.PEEK[1]<2.8>",
    "BODY.PEEK[]<100000.10>", "BODY.PEEK[HEADER.FIELDS (FROM SUBJECT)]<0.10>",
]
# Sections that do not exist or make no sense (HEADER/TEXT of a part that is not
# message/rfc822), asked of a single-part message, a multipart one and nested.eml.
EDGE_SECTIONS = ["1.MIME", "2", "1.1", "9", "2.1", "3.HEADER", "3.TEXT", "3.HEADER.FIELDS (FROM)",
                 "1.2.HEADER", "1.2.TEXT", "1.2.1", "2.MIME", "1.HEADER", "1.TEXT"]
EDGE_MESSAGES = ["01-plain.eml", "03-mixed-attachments.eml", "nested.eml"]


def append_all(r, sess, mailbox, corpus):
    for name, data, flags, date in corpus:
        r.step(sess, ["APPEND %s (%s) \"%s\" " % (mailbox, flags, date), Literal(data)],
                show_as="APPEND %s (%s) \"%s\" {%d} <%s>" % (mailbox, flags, date, len(data), name))


def setup_mailbox(r, sess, mailbox, corpus):
    r.step(sess, "CREATE %s" % mailbox)
    append_all(r, sess, mailbox, corpus)


def scenario_mailboxes(r, corpus):
    r.open("A")
    r.step("A", 'LIST "" "*"')
    r.step("A", 'LIST "" "%"')
    r.step("A", 'LIST "" ""')
    # LIST-STATUS (RFC 5819)
    r.step("A", 'LIST "" "*" RETURN (STATUS (MESSAGES UIDNEXT UNSEEN RECENT))')
    r.step("A", 'LIST "" "%" RETURN (CHILDREN STATUS (MESSAGES))')
    r.step("A", 'LSUB "" "*"')
    r.step("A", "CREATE diff-mb/child")
    r.step("A", 'LIST "" "diff-mb*"')
    r.step("A", 'LIST "" "diff-mb/%"')
    r.step("A", "CREATE diff-mb/child")
    r.step("A", "RENAME diff-mb/child diff-mb/renamed")
    r.step("A", 'LIST "diff-mb/" "*"')
    r.step("A", "SUBSCRIBE diff-mb/renamed")
    r.step("A", 'LSUB "" "diff-mb/*"')
    r.step("A", "UNSUBSCRIBE diff-mb/renamed")
    r.step("A", 'LSUB "" "diff-mb/*"')
    r.step("A", "DELETE diff-mb/renamed")
    r.step("A", "DELETE diff-mb/renamed")
    r.step("A", "SELECT diff-nonexistent")
    r.step("A", "STATUS diff-nonexistent (MESSAGES)")
    setup_mailbox(r, "A", "diff-status", corpus)
    r.step("A", "STATUS diff-status (MESSAGES RECENT UIDNEXT UIDVALIDITY UNSEEN)")
    r.step("A", "EXAMINE diff-status")
    r.step("A", "STATUS diff-status (MESSAGES RECENT UIDNEXT UNSEEN)")
    r.step("A", "CLOSE")
    r.step("A", "SELECT diff-status")
    r.step("A", "CHECK")
    r.step("A", "UNSELECT")
    r.step("A", "FETCH 1 FLAGS")
    r.close("A")


def scenario_fetch(r, corpus):
    r.open("A")
    setup_mailbox(r, "A", "diff-fetch", corpus)
    r.step("A", "SELECT diff-fetch")
    for i, (name, data, _, _) in enumerate(corpus, 1):
        r.step("A", "FETCH %d (UID FLAGS INTERNALDATE RFC822.SIZE ENVELOPE)" % i)
        r.step("A", "FETCH %d BODYSTRUCTURE" % i)
        r.step("A", "FETCH %d BODY" % i)
        sections = COMMON_SECTIONS + mime_sections(data)
        if name in EDGE_MESSAGES:
            sections += [s for s in EDGE_SECTIONS if s not in sections]
        for s in sections:
            r.step("A", "FETCH %d BODY.PEEK[%s]" % (i, s))
        for s in PARTIALS:
            r.step("A", "FETCH %d %s" % (i, s))
        r.step("A", "FETCH %d (RFC822.HEADER RFC822.SIZE)" % i)
    r.step("A", "FETCH 1:* FAST")
    r.step("A", "FETCH 1 ALL")
    r.step("A", "FETCH 4 FULL")
    r.step("A", "FETCH 2:4 (UID)")
    r.step("A", "FETCH * (UID RFC822.SIZE)")
    r.step("A", "FETCH 3,1 (UID)")
    r.step("A", "FETCH 5:3 (UID)")
    r.step("A", "UID FETCH 1:* (FLAGS)")
    r.step("A", "UID FETCH 3,5:6 (RFC822.SIZE)")
    r.step("A", "UID FETCH 4:2 (FLAGS)")
    r.step("A", "UID FETCH 99 (FLAGS)")
    r.step("A", "UID FETCH 99:* (FLAGS)")
    r.step("A", "UID FETCH * (FLAGS)")
    r.step("A", "FETCH 99 (FLAGS)")
    r.step("A", "FETCH 0 (FLAGS)")
    r.step("A", "FETCH 1 (BODY[0])")
    r.step("A", "FETCH 1 (BODY.PEEK[1.0])")
    r.step("A", "FETCH 1 (BODY.PEEK[TEXT.MIME])")
    r.step("A", "FETCH 1 BOGUS")
    r.step("A", "FETCH 1 (FLAGS")
    r.step("A", "FETCH 1 (BODY.PEEK[HEADER.FIELDS ()])")
    r.step("A", "FETCH 1 (BODY.PEEK[MIME])")
    r.step("A", "FETCH 1:2 (FLAGS UID)")
    r.close("A")


def scenario_seen(r, corpus):
    # Non-PEEK fetches set \Seen (RFC 3501 6.4.5), not in EXAMINE.
    r.open("A")
    setup_mailbox(r, "A", "diff-seen", corpus)
    r.step("A", "SELECT diff-seen")
    r.step("A", "FETCH 2 BODY[TEXT]")
    r.step("A", "FETCH 2 FLAGS")
    r.step("A", "FETCH 4 RFC822.HEADER")
    r.step("A", "FETCH 4 FLAGS")
    r.step("A", "FETCH 4 RFC822")
    r.step("A", "FETCH 4 FLAGS")
    r.step("A", "FETCH 5 RFC822.TEXT")
    r.step("A", "FETCH 7 BODY[HEADER]")
    r.step("A", "FETCH 8 (FLAGS BODY[1])")
    r.step("A", "FETCH 10 BODY[]<0.5>")
    r.step("A", "FETCH 1 BODY[]")
    r.step("A", "UID FETCH 12 BODY[1.MIME]")
    r.step("A", "FETCH 1:* FLAGS")
    r.step("A", "STORE 1:* -FLAGS.SILENT (\\Seen)")
    r.step("A", "EXAMINE diff-seen")
    r.step("A", "FETCH 2 BODY[TEXT]")
    r.step("A", "FETCH 2 RFC822")
    r.step("A", "FETCH 1:* FLAGS")
    r.step("A", "STORE 2 +FLAGS (\\Flagged)")
    r.step("A", "EXPUNGE")
    r.close("A")


SEARCHES = [
    "ALL", "ANSWERED", 'BCC "hidden"', "BEFORE 04-Nov-2026", 'BODY "zebracorn"', "BODY ship", "BODY Notes",
    "BODY Welt", "BODY 1.09", 'CC "carol"', "CC dan", "DELETED", "DRAFT", "FLAGGED", 'FROM "alice"', "FROM Alice",
    "FROM example.test", 'HEADER "Message-ID" "plain-1"', 'HEADER X-Priority ""', 'HEADER X-Mailer ""',
    "HEADER Subject digest", "KEYWORD $Forwarded", "KEYWORD $Label1", "KEYWORD Important", "KEYWORD Nonexistent",
    "LARGER 1000", "LARGER 300", "NEW", "NOT SEEN", "NOT 1:3", "OLD", "ON 02-Nov-2026", "ON 04-Nov-2026",
    "OR FLAGGED DRAFT", "OR OR SEEN FLAGGED DELETED", "RECENT", "SEEN", "SENTBEFORE 04-Nov-2026",
    "SENTON 01-Nov-2026", "SENTON 02-Nov-2026", "SENTON 03-Nov-2026", "SENTSINCE 09-Nov-2026",
    "SENTBEFORE 1-Nov-2026", "SINCE 10-Nov-2026", "SINCE 4-Nov-2026", "SMALLER 300", "SMALLER 500",
    'SUBJECT "numbers"', "SUBJECT digest", "SUBJECT menu", "SUBJECT folded", 'SUBJECT "folded subject"',
    'SUBJECT "folded  subject"', "SUBJECT FWD:", 'TEXT "zebracorn"', "TEXT Quarterly", "TEXT ship",
    "TEXT epilogue", "TEXT logo-3", "TEXT report.pdf", "TEXT rates", "TEXT forwarded",
    "TO bob", "TO friends", "TO undisclosed", "TO a@x.test", "TO b@y.test", "TO solo", "TO ivan",
    "UID 2:4", "UID 5,1", "UID *", "UID 100:*",
    "UNANSWERED", "UNDELETED", "UNDRAFT", "UNFLAGGED", "UNKEYWORD $Forwarded", "UNKEYWORD Nonexistent", "UNSEEN",
    "2:4", "*", "1,3,5:*", "5:2", "(FLAGGED SEEN)", "NOT (OR SEEN FLAGGED)", "OR (FROM alice) (TO bob)",
    "(OR FROM alice TO alice) NOT SMALLER 400", "FLAGGED SEEN", "NOT NOT SEEN", "OR 1 2",
    "SEEN UNSEEN", "SUBJECT \"\"", "BODY \"\"", "HEADER \"\" \"\"", "LARGER 0", "SMALLER 0",
    "CHARSET US-ASCII ALL", "CHARSET us-ascii SUBJECT numbers", "CHARSET UTF-8 TEXT zebracorn",
    "CHARSET X-UNKNOWN ALL", "BOGUS", "BEFORE 2026-11-04", "ON 31-Feb-2026", "UID", "LARGER -1",
    "NOT", "OR SEEN", "()", "1:*",
    "HEADER To undisclosed-recipients", "HEADER From Pirard", "HEADER CONTENT-TYPE digest",
]
UTF8_SEARCHES = [
    ("SUBJECT", "Überprüfung"), ("SUBJECT", "café"), ("SUBJECT", "Grüße"), ("FROM", "Jörg"),
    ("FROM", "André"), ("TO", "Zoë"), ("TO", "山田"), ("BODY", "Köln"), ("BODY", "Hallö"),
    ("TEXT", "Café"), ("BODY", "größer"), ("SUBJECT", "März"), ("FROM", "Groß"), ("TEXT", "€"),
    ("BODY", "Überprüfung der"), ("TEXT", "Grüße.bin"),
]


def scenario_search(r, corpus):
    r.open("A")
    setup_mailbox(r, "A", "diff-search", corpus)
    r.step("A", "SELECT diff-search")
    for s in SEARCHES:
        r.step("A", "SEARCH " + s)
    for key, value in UTF8_SEARCHES:
        r.step("A", ["SEARCH CHARSET UTF-8 %s " % key, Literal(value.encode("utf-8"))])
    r.step("A", ["SEARCH CHARSET ISO-8859-1 BODY ", Literal("Köln".encode("latin-1"))])
    r.step("A", "UID SEARCH ALL")
    r.step("A", "UID SEARCH UID 3:*")
    r.step("A", "UID SEARCH 2:3")
    r.step("A", "UID SEARCH FLAGGED")
    # after changes: new flags, an expunge (UIDs and sequence numbers part ways)
    r.step("A", "STORE 1 +FLAGS.SILENT (\\Deleted)")
    r.step("A", "EXPUNGE")
    r.step("A", "SEARCH ALL")
    r.step("A", "SEARCH UID 2:4")
    r.step("A", "UID SEARCH 2:4")
    r.step("A", "SEARCH DELETED")
    r.step("A", "STORE 2 +FLAGS.SILENT (\\Flagged NewKeyword)")
    r.step("A", "SEARCH KEYWORD NewKeyword")
    r.step("A", "SEARCH FLAGGED")
    # ESEARCH (RFC 4731)
    r.step("A", "SEARCH RETURN (MIN MAX COUNT ALL) ALL")
    r.step("A", "UID SEARCH RETURN () UNDELETED")
    r.step("A", "SEARCH RETURN (COUNT) DELETED")
    r.step("A", "SEARCH RETURN (MIN MAX) DELETED")
    r.step("A", "UID SEARCH RETURN (MIN MAX ALL) UID 2:4")
    r.step("A", "SEARCH RETURN (COUNT ALL) KEYWORD NewKeyword")
    r.close("A")


def scenario_store(r, corpus):
    r.open("A")
    setup_mailbox(r, "A", "diff-store", corpus)
    r.step("A", "SELECT diff-store")
    script = [
        "STORE 1 +FLAGS (\\Flagged)", "STORE 1 +FLAGS.SILENT (\\Answered)", "FETCH 1 FLAGS",
        "STORE 1 -FLAGS (\\Flagged)", "STORE 1 -FLAGS.SILENT (\\Answered)", "FETCH 1 FLAGS",
        "STORE 1 FLAGS (\\Seen $Label1 custom)", "STORE 1 FLAGS.SILENT (\\Draft)", "FETCH 1 FLAGS",
        "STORE 2:4 +FLAGS ($Forwarded)", "STORE 2:4 -FLAGS.SILENT ($Forwarded)", "FETCH 2:4 FLAGS",
        "STORE 3 +FLAGS (\\Seen \\Seen)", "STORE 3 +FLAGS ()", "STORE 3 FLAGS ()", "STORE 3 -FLAGS (\\Deleted)",
        "STORE 5 +FLAGS (NonJunk $MDNSent)", "STORE 5 +FLAGS (nonjunk)", "STORE 5 -FLAGS (NONJUNK)",
        "FETCH 5 FLAGS",
        "STORE 6 +FLAGS (\\seen \\FLAGGED)", "STORE 6 FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)",
        "UID STORE 3 +FLAGS (\\Flagged)", "UID STORE 3,5 -FLAGS.SILENT (\\Flagged)", "UID STORE 7:8 FLAGS (kw1 kw2)",
        "UID STORE 99 +FLAGS (\\Seen)", "STORE 99 +FLAGS (\\Seen)", "STORE 0 +FLAGS (\\Seen)",
        "STORE 1 +FLAGS \\Seen", "STORE 1 +FLAGS (\\Seen", "STORE 1 FLAG (\\Seen)", "STORE 1 +FLAGS.SILENT",
        "STORE * FLAGS ()", "STORE 1:* +FLAGS.SILENT (\\Seen)", "FETCH 1:* FLAGS",
        "STORE 1:3 -FLAGS (\\Seen)", "STORE 1:* FLAGS (\\Flagged)",
        # flags a client may not set: \Recent (RFC 3501 2.3.2), undefined \-flags (RFC 3501 9, flag-extension)
        "STORE 13 FLAGS ()", "STORE 13 +FLAGS (\\Recent)", "FETCH 13 FLAGS", "STORE 13 +FLAGS (\\Bogus)",
        "FETCH 13 FLAGS",
    ]
    for s in script:
        r.step("A", s)
    r.close("A")
    r.open("B")
    r.step("B", "SELECT diff-store")  # FLAGS / PERMANENTFLAGS now that keywords exist
    r.step("B", "FETCH 1:* FLAGS")
    r.step("B", "EXAMINE diff-store")
    r.step("B", "STORE 1 +FLAGS (\\Seen)")
    r.close("B")


def scenario_copymove(r, corpus):
    r.open("A")
    setup_mailbox(r, "A", "diff-copy", corpus)
    r.step("A", "CREATE diff-dest")
    r.step("A", "SELECT diff-copy")
    script = [
        "COPY 1:2 diff-dest", "UID COPY 4 diff-dest", "COPY 1 diff-nonexistent", "COPY 99 diff-dest",
        "UID COPY 99 diff-dest", "MOVE 3 diff-dest", "FETCH 1:4 (UID)", "UID MOVE 5:6 diff-dest",
        "FETCH 1:* (UID FLAGS)", "MOVE 1 diff-nonexistent", "UID MOVE 99 diff-dest", "MOVE 99 diff-dest",
        "MOVE 2,4 diff-dest", "COPY 1 diff-copy", "FETCH 1:* (UID)", "MOVE 1 diff-copy", "FETCH 1:* (UID)",
        "STATUS diff-dest (MESSAGES RECENT UIDNEXT UNSEEN)", "COPY 1:* INBOX",
    ]
    for s in script:
        r.step("A", s)
    r.open("B")
    r.step("B", "SELECT diff-dest")
    r.step("B", "FETCH 1:* (UID FLAGS INTERNALDATE RFC822.SIZE ENVELOPE)")
    r.step("B", "FETCH 1:* BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]")
    r.step("B", "EXAMINE diff-copy")
    r.step("B", "COPY 1 diff-dest")
    r.step("B", "MOVE 1 diff-dest")  # read-only source: last, as Dovecot does move
    r.close("B")
    r.close("A")


def scenario_expunge(r, corpus):
    r.open("A")
    setup_mailbox(r, "A", "diff-exp", corpus)
    r.step("A", "SELECT diff-exp")
    script = [
        "SEARCH DELETED", "STORE 2,4,5 +FLAGS.SILENT (\\Deleted)", "EXPUNGE", "FETCH 1:* (UID)",
        "EXPUNGE", "STORE 1:3 +FLAGS.SILENT (\\Deleted)", "UID EXPUNGE 1:4", "FETCH 1:* (UID FLAGS)",
        "UID EXPUNGE 99", "STORE 1 +FLAGS.SILENT (\\Deleted)", "CLOSE", "EXPUNGE",
    ]
    for s in script:
        r.step("A", s)
    r.step("A", "SELECT diff-exp")
    r.step("A", "FETCH 1:* (UID FLAGS)")
    r.step("A", "STORE 1 +FLAGS.SILENT (\\Deleted)")
    r.step("A", "EXAMINE diff-exp")
    r.step("A", "EXPUNGE")
    r.step("A", "CLOSE")
    r.step("A", "SELECT diff-exp")
    r.step("A", "FETCH 1:* (UID FLAGS)")
    r.step("A", "STORE 1:* +FLAGS.SILENT (\\Deleted)")
    r.step("A", "EXPUNGE")
    r.step("A", "FETCH 1 FLAGS")
    r.step("A", "SEARCH ALL")
    r.close("A")


def scenario_two_sessions(r, corpus):
    # Sessions A and B (later C) on one mailbox. Where RFC 3501 lets a server
    # report another session's change either before or after a command's own
    # output, the observing session sends NOOP first, so both servers agree.
    r.open("A")
    setup_mailbox(r, "A", "diff-two", corpus[:6])
    r.step("A", "SELECT diff-two")
    r.open("B")
    r.step("B", "SELECT diff-two")
    extra = corpus[6][1]
    script = [
        # flags stored by both are merged; each sees the other's at its next command
        ("A", "STORE 1 +FLAGS (\\Flagged)"), ("B", "STORE 1 +FLAGS (\\Answered)"), ("A", "NOOP"),
        ("B", "FETCH 1 FLAGS"), ("A", "FETCH 1 FLAGS"),
        ("A", "STORE 2 +FLAGS (kwA)"), ("B", "STORE 2 +FLAGS (kwB)"), ("A", "NOOP"), ("B", "NOOP"),
        ("A", "FETCH 2 FLAGS"), ("B", "FETCH 2 FLAGS"),
        ("A", "STORE 3 +FLAGS.SILENT (\\Seen)"), ("B", "NOOP"), ("B", "FETCH 3 FLAGS"),
        ("B", "STORE 3 -FLAGS.SILENT (\\Seen)"), ("A", "NOOP"), ("A", "SEARCH SEEN"), ("A", "FETCH 3 FLAGS"),
        # an expunge in A: B learns of it at NOOP, never during FETCH, STORE or SEARCH (RFC 3501 7.4.1)
        ("A", "STORE 4 +FLAGS.SILENT (\\Deleted)"), ("B", "NOOP"), ("A", "EXPUNGE"),
        ("B", "FETCH 1:* (UID)"), ("B", "STORE 5 +FLAGS (\\Draft)"), ("B", "SEARCH ALL"),
        ("B", "FETCH 4 (UID FLAGS)"), ("B", "NOOP"), ("B", "FETCH 1:* (UID)"), ("A", "NOOP"),
        # an APPEND to the selected mailbox: EXISTS for the appender and the other session
        ("A", ["APPEND diff-two (\\Seen) \"20-Nov-2026 12:00:00 +0000\" ", Literal(extra)]),
        ("A", "FETCH * (UID FLAGS)"), ("B", "NOOP"), ("B", "FETCH * (UID FLAGS)"),
        ("B", ["APPEND diff-two () \"21-Nov-2026 12:00:00 +0000\" ", Literal(extra)]),
        ("A", "CHECK"), ("A", "FETCH 1:* (UID)"),
        # B expunges while A changes flags of the same message
        ("B", "STORE 1 +FLAGS.SILENT (\\Deleted)"), ("A", "STORE 1 +FLAGS (\\Seen)"), ("B", "EXPUNGE"),
        ("A", "FETCH 1 FLAGS"), ("A", "NOOP"), ("A", "FETCH 1:* (UID FLAGS)"),
        # a MOVE out of the mailbox: the other session sees the EXPUNGE
        ("A", "CREATE diff-two-src"), ("A", "COPY 1 diff-two-src"), ("B", "NOOP"),
        ("A", "MOVE 2 diff-two-src"), ("B", "NOOP"), ("B", "FETCH 1:* (UID)"),
        # copies and moves into the mailbox from a third session
    ]
    for sess, cmd in script:
        if isinstance(cmd, list):
            r.step(sess, cmd, show_as="%s{%d}" % (cmd[0], len(cmd[1].data)))
        else:
            r.step(sess, cmd)
    r.open("C")
    r.step("C", "SELECT diff-two-src")
    r.step("C", "COPY 1 diff-two")
    r.step("B", "NOOP")
    r.step("A", "NOOP")
    r.step("C", "MOVE 1 diff-two")
    r.step("B", "NOOP")
    r.step("B", "FETCH 1:* (UID FLAGS)")
    r.step("A", "NOOP")
    r.step("C", "EXAMINE diff-two")
    r.step("A", "STORE 1 FLAGS (\\Answered)")
    r.step("C", "NOOP")
    r.step("C", "FETCH 1 FLAGS")
    r.close("C")
    r.close("B")
    r.close("A")


def scenario_list_extended(r, corpus):
    # RFC 5258: selection options, several patterns, RETURN (SUBSCRIBED).
    r.open("A")
    for name in ["diff-le", "diff-le/one", "diff-le/two", "diff-le2", "diff-le2/deep", "diff-le2/deep/er"]:
        r.step("A", "CREATE %s" % name)
    r.step("A", "SUBSCRIBE diff-le/one")
    r.step("A", "SUBSCRIBE diff-le2/deep/er")
    r.step("A", "SUBSCRIBE diff-le2")
    r.step("A", 'LIST (SUBSCRIBED) "" "diff-le*"')
    r.step("A", 'LIST (SUBSCRIBED RECURSIVEMATCH) "" "diff-le%"')
    r.step("A", 'LIST (SUBSCRIBED RECURSIVEMATCH) "" "diff-le2/%"')
    r.step("A", 'LIST "" ("diff-le" "diff-le2/*")')
    r.step("A", 'LIST "" "diff-le*" RETURN (SUBSCRIBED)')
    r.step("A", 'LIST "" "diff-le/%" RETURN (SUBSCRIBED CHILDREN)')
    r.step("A", 'LIST (REMOTE) "" "diff-le/%"')
    r.step("A", 'LIST (SUBSCRIBED) "" "diff-le*" RETURN (CHILDREN)')
    r.step("A", 'LIST (RECURSIVEMATCH) "" "*"')
    r.step("A", 'LIST (BOGUS) "" "*"')
    r.step("A", "UNSUBSCRIBE diff-le/one")
    r.step("A", "UNSUBSCRIBE diff-le2/deep/er")
    r.step("A", "UNSUBSCRIBE diff-le2")
    for name in ["diff-le/one", "diff-le/two", "diff-le", "diff-le2/deep/er", "diff-le2/deep", "diff-le2"]:
        r.step("A", "DELETE %s" % name)
    r.close("A")


def scenario_searchres(r, corpus):
    # RFC 5182: SEARCH RETURN (SAVE) and $ in FETCH, STORE, SEARCH, COPY.
    r.open("A")
    setup_mailbox(r, "A", "diff-sr", corpus)
    r.step("A", "CREATE diff-sr-copy")
    r.step("A", "SELECT diff-sr")
    r.step("A", "FETCH $ (FLAGS)")
    r.step("A", "SEARCH RETURN (SAVE) 2:5")
    r.step("A", "FETCH $ (FLAGS)")
    r.step("A", "UID FETCH $ (FLAGS)")
    r.step("A", "SEARCH $")
    r.step("A", "SEARCH NOT $")
    r.step("A", "UID SEARCH OR $ 9 SUBJECT $")
    r.step("A", "STORE $ +FLAGS (\\Flagged)")
    r.step("A", "COPY $ diff-sr-copy")
    r.step("A", "SEARCH RETURN (SAVE MIN MAX) ALL")
    r.step("A", "UID SEARCH UID $")
    r.step("A", "SEARCH RETURN (SAVE COUNT) FLAGGED")
    r.step("A", "SEARCH $")
    r.step("A", "SEARCH RETURN (SAVE) SUBJECT \"no-such-subject-xyz\"")
    r.step("A", "FETCH $ (FLAGS)")
    r.step("A", "SEARCH RETURN (SAVE) 1:3")
    r.step("A", "STORE 2 +FLAGS (\\Deleted)")
    r.step("A", "EXPUNGE")
    r.step("A", "FETCH $ (FLAGS)")
    r.step("A", "UNSELECT")
    r.step("A", "SELECT diff-sr")
    r.step("A", "FETCH $ (FLAGS)")
    r.step("A", "DELETE diff-sr-copy")
    r.close("A")


def scenario_binary(r, corpus):
    # RFC 3516: parts with their transfer encoding undone, sizes, partials,
    # STATUS=SIZE (RFC 8438).
    r.open("A")
    setup_mailbox(r, "A", "diff-binary", corpus)
    r.step("A", "STATUS diff-binary (MESSAGES SIZE)")
    r.step("A", "SELECT diff-binary")
    for i, (name, data, _, _) in enumerate(corpus, 1):
        parts = [s for s in mime_sections(data) if re.fullmatch(r"[0-9.]+", s)]
        r.step("A", "FETCH %d BINARY.PEEK[]" % i)
        for s in parts:
            r.step("A", "FETCH %d (BINARY.PEEK[%s] BINARY.SIZE[%s])" % (i, s, s))
        if parts:
            r.step("A", "FETCH %d BINARY.PEEK[%s]<2.7>" % (i, parts[0]))
    r.step("A", "FETCH 1 BINARY.PEEK[9]")
    r.step("A", "FETCH 1 (FLAGS BINARY[1])")
    r.close("A")


SCENARIOS = [
    ("mailboxes", scenario_mailboxes),
    ("fetch", scenario_fetch),
    ("binary", scenario_binary),
    ("list-extended", scenario_list_extended),
    ("searchres", scenario_searchres),
    ("seen", scenario_seen),
    ("search", scenario_search),
    ("store", scenario_store),
    ("copymove", scenario_copymove),
    ("expunge", scenario_expunge),
    ("two-sessions", scenario_two_sessions),
]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rampart", required=True, help="host:port of Rampart's imaps listener")
    ap.add_argument("--rampart-sni", default="", help="SNI to send to Rampart (empty: none)")
    ap.add_argument("--dovecot", required=True, help="host:port of Dovecot's plain IMAP listener")
    ap.add_argument("--user", required=True)
    ap.add_argument("--password", required=True)
    ap.add_argument("--corpus", action="append", required=True, help="a .eml file or a directory of them")
    ap.add_argument("--json", default=os.environ.get("IMAP_DIFF_JSON"),
                    help="also write every step, parsed, as JSON lines to this file")
    args = ap.parse_args()
    corpus = load_corpus(args.corpus)
    for i, (_, data, _, _) in enumerate(corpus, 1):
        if not re.search(rb"(?im)^date:", data.split(b"\r\n\r\n", 1)[0]):
            NO_DATE_SEQS.add(i)
    only = [s for s in os.environ.get("ONLY", "").split(",") if s]
    r = Runner(args)
    t0 = time.monotonic()
    for name, fn in SCENARIOS:
        if only and name not in only:
            continue
        r.scenario = name
        r.stepn = 0
        before = r.failed
        try:
            fn(r, corpus)
        finally:
            r.close_all()
        print("-- scenario %s: %d failed" % (name, r.failed - before))
    if args.json:
        with open(args.json, "w") as fh:
            for rec in r.records:
                fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
    excused = sum(1 for rec in r.records if rec["allowed"] and rec["ok"])
    print("\n%d steps passed only thanks to ALLOWED entries; %.1f s" % (excused, time.monotonic() - t0))
    print("%d passed, %d failed" % (r.passed, r.failed))
    return 0 if r.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
