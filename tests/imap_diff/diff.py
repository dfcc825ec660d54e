import socket, ssl, sys, time, argparse
ap = argparse.ArgumentParser()
ap.add_argument("--rampart"); ap.add_argument("--rampart-sni"); ap.add_argument("--dovecot")
ap.add_argument("--user"); ap.add_argument("--password"); ap.add_argument("--corpus", action="append")
a = ap.parse_args()
def conn(hp, tls):
    h, p = hp.rsplit(":", 1)
    s = socket.create_connection((h, int(p)), timeout=10)
    if tls:
        c = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT); c.check_hostname=False; c.verify_mode=ssl.CERT_NONE
        s = c.wrap_socket(s, server_hostname=a.rampart_sni)
    return s
for name, hp, tls in [("rampart", a.rampart, True), ("dovecot", a.dovecot, False)]:
    s = conn(hp, tls)
    cmds = [b'a CAPABILITY', b'b LOGIN "alice@example.test" "alice password"', b'c LIST "" "*"', b'd CREATE t1',
            b'e APPEND t1 (\\Seen $Foo) "01-Nov-2026 10:00:00 +0100" {17}\r\nSubject: x\r\n\r\nhi\r\n', b'f SELECT t1',
            b'g FETCH 1:* (UID FLAGS INTERNALDATE RFC822.SIZE BODYSTRUCTURE)', b'h SELECT INBOX', b'i LOGOUT']
    out = b""
    s.sendall(b"")
    time.sleep(0.3)
    for c in cmds:
        s.sendall(c + b"\r\n"); time.sleep(0.3)
    time.sleep(0.5)
    s.settimeout(1)
    try:
        while True:
            d = s.recv(65536)
            if not d: break
            out += d
    except Exception as e: print(e)
    print("=====", name); print(out.decode(errors="replace"))
