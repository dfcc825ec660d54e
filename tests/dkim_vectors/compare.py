#!/usr/bin/env python3
"""DKIM verdicts of Rampart's inbound checks against dkimpy's, on dkimpy's
own test data (from its PyPI sdist) and on messages dkimpy signs here with
its test keys, each also sent tampered; every Authentication-Results header
Rampart writes must parse with the `authres` package. 127.0.0.1 only.

  compare.py DKIMPY_TESTS_DATA ZONE_OUT          write the DNS zone (keys), then exit
  compare.py DKIMPY_TESTS_DATA SMTP_PORT IMAPS_PORT USER PASSWORD
                                                 send, fetch, compare; exit 1 on a mismatch
"""
import base64
import imaplib
import json
import os
import re
import smtplib
import ssl
import sys
import time

import authres
import dkim

DOMAIN = "vectors.example"


def read(data, name):
    with open(os.path.join(data, name), "rb") as f:
        return f.read()


def pem_body(pem):
    return b"".join(l.strip() for l in pem.splitlines() if l and not l.startswith(b"-----"))


def keys(data):
    """(selector, domain, private key or None, TXT record)."""
    out = []
    # dkimpy's test keys for its sample data (RFC 8463's example domain).
    out.append(("test", "football.example.com", None,
                "k=rsa; p=MFwwDQYJKoZIhvcNAQEBBQADSwAwSAJBANmBe10IgY+u7h3enWTukkqtUD5PR52T"
                "b/mPfjC0QJTocVBq6Za/PlzfV+Py92VaCak19F4WrbVTK5Gg5tW220MCAwEAAQ=="))
    out.append(("brisbane", "football.example.com", None,
                "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="))
    # Keys we sign with: RSA 2048 and Ed25519 from the test data.
    rsa = read(data, "2048_testkey.key")
    rsa_pub = read(data, "2048_testkey_wo_markers.pub.txt").strip()
    # The file holds the whole record ("v=DKIM1; g=*; k=rsa; p=...").
    out.append(("rsa", DOMAIN, rsa, rsa_pub.decode()))
    # The same key in a record that repeats its tags: invalid (RFC 6376 3.2).
    out.append(("dup", DOMAIN, rsa, "v=DKIM1; k=rsa; p=" + rsa_pub.decode()))
    ed = read(data, "ed25519test.key").strip()
    from nacl.signing import SigningKey  # dkimpy's Ed25519 backend (PyNaCl)
    ed_pub = base64.b64encode(bytes(SigningKey(base64.b64decode(ed)).verify_key)).decode()
    out.append(("ed", DOMAIN, ed, "v=DKIM1; k=ed25519; p=" + ed_pub))
    # A revoked key (empty p=) and a key for the wrong algorithm.
    out.append(("revoked", DOMAIN, None, "v=DKIM1; k=rsa; p="))
    return out


def zone(data):
    z = []
    for sel, domain, _, txt in keys(data):
        z.append([f"{sel}._domainkey.{domain}", "TXT", txt])
    z.append(["1.0.0.127.in-addr.arpa", "PTR", "sender.vectors.example"])
    z.append(["sender.vectors.example", "A", "127.0.0.1"])
    return z


def dns_from_zone(z):
    records = {(n.lower().rstrip(".") + "."): v for n, t, v in z if t == "TXT"}

    def dnsfunc(name, timeout=5):
        name = name.decode() if isinstance(name, bytes) else name
        return records.get(name.lower())
    return dnsfunc


BASE = (b"From: Joe <joe@vectors.example>\r\nTo: Suzie <suzie@example.test>\r\n"
        b"Subject: Is dinner ready?\r\nDate: Fri, 11 Jul 2003 21:00:37 -0700\r\n"
        b"Message-ID: <vectors-%d@vectors.example>\r\n\r\n"
        b"Hi.\r\n\r\nWe lost the game.  Are you hungry yet?\r\n\r\nJoe.\r\n")


def vectors(data):
    """(name, message bytes) to compare."""
    out = []
    for name in ["rfc6376.signed.msg", "rfc6376.signed.rsa.msg", "rfc6376.signed.no_t.msg"]:
        out.append((name, read(data, name).replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")))
    ks = {k[0]: k for k in keys(data)}
    n = 0
    for sel in ["rsa", "ed"]:
        for canon in [(b"simple", b"simple"), (b"relaxed", b"relaxed"), (b"relaxed", b"simple")]:
            n += 1
            msg = BASE % n
            sig = dkim.sign(msg, sel.encode(), DOMAIN.encode(), ks[sel][2], canonicalize=canon,
                            include_headers=[b"from", b"to", b"subject", b"date", b"message-id"],
                            signature_algorithm=b"ed25519-sha256" if sel == "ed" else b"rsa-sha256")
            tag = f"{sel}-{canon[0].decode()}-{canon[1].decode()}"
            out.append((tag, sig + msg))
            out.append((tag + "-body-changed", sig + msg.replace(b"hungry", b"thirsty")))
            out.append((tag + "-subject-changed", sig + msg.replace(b"dinner", b"lunch")))
            bad_b = re.sub(rb"(\bb=[A-Za-z0-9+/]{8})[A-Za-z0-9+/]", rb"\1A", sig, count=1)
            if bad_b == sig:
                bad_b = re.sub(rb"(\bb=[A-Za-z0-9+/]{8})A", rb"\1B", sig, count=1)
            out.append((tag + "-signature-changed", bad_b + msg))
    # relaxed header canonicalisation survives whitespace changes; simple does not.
    n += 1
    msg = BASE % n
    sig = dkim.sign(msg, b"rsa", DOMAIN.encode(), ks["rsa"][2], canonicalize=(b"relaxed", b"relaxed"))
    out.append(("rsa-relaxed-whitespace", sig + msg.replace(b"Subject: Is", b"Subject:   Is")))
    # A signature by the revoked selector.
    n += 1
    msg = BASE % n
    sig = dkim.sign(msg, b"rsa", DOMAIN.encode(), ks["rsa"][2])
    out.append(("revoked-key", sig.replace(b"s=rsa", b"s=revoked") + msg))
    # Signed with the key published under a record with repeated tags.
    n += 1
    msg = BASE % n
    sig = dkim.sign(msg, b"dup", DOMAIN.encode(), ks["dup"][2])
    out.append(("duplicate-tag-key-record", sig + msg))
    return out


def reference(message, dnsfunc):
    """dkimpy's verdict for each signature, in order: True/False."""
    d = dkim.DKIM(message)
    count = len([h for h in d.headers if h[0].lower() == b"dkim-signature"])
    verdicts = []
    for i in range(count):
        try:
            verdicts.append(bool(d.verify(idx=i, dnsfunc=dnsfunc)))
        except Exception:  # noqa: BLE001
            verdicts.append(False)
    return verdicts


def fetch_all(port, user, password):
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    m = imaplib.IMAP4_SSL("127.0.0.1", port, ssl_context=ctx)
    m.login(user, password)
    out = []
    for box in ["INBOX", "Junk"]:
        m.select(box)
        _, data = m.search(None, "ALL")
        for num in data[0].split():
            _, parts = m.fetch(num, "(BODY.PEEK[HEADER])")
            out.append(parts[0][1])
    m.logout()
    return out


def results_of(header_block):
    """The Authentication-Results fields of a message header, parsed."""
    text = header_block.decode("utf-8", "replace").replace("\r\n", "\n")
    unfolded = re.sub(r"\n[ \t]+", " ", text)
    fields = [l.split(":", 1)[1].strip() for l in unfolded.split("\n")
              if l.lower().startswith("authentication-results:")]
    return [authres.AuthenticationResultsHeader.parse("Authentication-Results: " + f) for f in fields]


def main():
    data = sys.argv[1]
    if len(sys.argv) == 3:
        json.dump(zone(data), open(sys.argv[2], "w"))
        return 0
    smtp_port, imaps_port, user, password = int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
    dnsfunc = dns_from_zone(zone(data))
    cases = vectors(data)
    expected = {}
    for name, msg in cases:
        marked = b"X-Vector: " + name.encode() + b"\r\n" + msg
        expected[name] = reference(msg, dnsfunc)
        with smtplib.SMTP("127.0.0.1", smtp_port, local_hostname="sender.vectors.example") as s:
            s.sendmail("joe@vectors.example", [user], marked)
    deadline = time.time() + 30
    got = []
    while time.time() < deadline:
        got = fetch_all(imaps_port, user, password)
        if len(got) >= len(cases):
            break
        time.sleep(0.5)
    failures, checked, parsed = [], 0, 0
    for header in got:
        name = re.search(rb"X-Vector: (\S+)", header).group(1).decode()
        try:
            results = results_of(header)
        except Exception as e:  # noqa: BLE001
            failures.append(f"{name}: Authentication-Results does not parse: {e!r}")
            continue
        parsed += len(results)
        ours = [r for r in results if r.authserv_id]
        dkim_results = [r for ar in ours for r in ar.results if r.method == "dkim"]
        want = expected[name]
        if not want:
            continue
        # Rampart reports one dkim result per signature, in order.
        verdicts = [r.result for r in dkim_results]
        for i, ok in enumerate(want):
            checked += 1
            have = verdicts[i] if i < len(verdicts) else None
            good = (have == "pass") if ok else (have in ("fail", "neutral", "permerror", "policy"))
            # RFC 6376 6.1.3 / RFC 8601: a body hash or signature that does not
            # verify is "fail", not neutral.
            if not ok and name.endswith(("-body-changed", "-signature-changed", "-subject-changed")):
                good = have == "fail"
            if not good:
                failures.append(f"{name} signature {i + 1}: dkimpy {'pass' if ok else 'fail'}, rampart {have}")
    print(f"dkim vectors: {len(cases)} messages, {checked} signatures compared with dkimpy, "
          f"{parsed} Authentication-Results headers parsed by authres, {len(failures)} mismatches")
    for f in failures:
        print("  MISMATCH " + f)
    if len(got) < len(cases):
        print(f"  only {len(got)} of {len(cases)} messages arrived")
        return 1
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
