#!/usr/bin/env python3
"""fcgi_client.py -- a small FastCGI client for the hostile-web-server tests.

  fcgi_client.py get ADDR PATH [HOST]   one complete GET; prints "status N" or "closed"
  fcgi_client.py half ADDR SECONDS      BEGIN_REQUEST and half a PARAMS record, then waits
                                        (at most SECONDS) for the server to end the connection
  fcgi_client.py trickle ADDR SECONDS   full PARAMS for a POST of 64 bytes, then the body one
                                        byte every 0.3 s (for at most SECONDS)

ADDR is a unix socket path or HOST:PORT.  half and trickle print "closed" or "status N" when
the server ended the connection or answered, "open" when it still held it after SECONDS.
"""
import socket
import struct
import sys
import time

BEGIN, PARAMS, STDIN, STDOUT = 1, 4, 5, 6


def record(rtype, content, rid=1):
    return struct.pack(">BBHHBB", 1, rtype, rid, len(content), 0, 0) + content


def nv(name, value):
    def ln(n):
        return bytes([n]) if n < 128 else struct.pack(">I", n | 0x80000000)
    name, value = name.encode(), value.encode()
    return ln(len(name)) + ln(len(value)) + name + value


def connect(addr):
    if addr.startswith("/"):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(addr)
    else:
        host, port = addr.rsplit(":", 1)
        s = socket.create_connection((host, int(port)))
    return s


def params(method, path, host, extra=None):
    p = nv("REQUEST_METHOD", method) + nv("REQUEST_URI", path) + \
        nv("SCRIPT_NAME", path) + nv("HTTP_HOST", host) + \
        nv("REMOTE_ADDR", "127.0.0.1") + nv("SERVER_PORT", "80")
    for k, v in (extra or {}).items():
        p += nv(k, v)
    return p


def outcome(s, seconds):
    """read until the server answers or closes, or seconds pass"""
    s.settimeout(0.2)
    data = b""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            continue
        except OSError:
            return "closed"
        if not chunk:
            break
        data += chunk
    else:
        return "open"
    return status_of(data)


def status_of(data):
    out = b""
    while len(data) >= 8:
        _, rtype, _, clen, plen, _ = struct.unpack(">BBHHBB", data[:8])
        if rtype == STDOUT:
            out += data[8:8 + clen]
        data = data[8 + clen + plen:]
    for line in out.split(b"\r\n"):
        if line.startswith(b"Status:"):
            return "status " + line.split()[1].decode()
    return "closed"


def main():
    mode, addr = sys.argv[1], sys.argv[2]
    s = connect(addr)
    begin = record(BEGIN, struct.pack(">HB5x", 1, 0))
    if mode == "get":
        path = sys.argv[3]
        host = sys.argv[4] if len(sys.argv) > 4 else "127.0.0.1"
        p = params("GET", path, host)
        s.sendall(begin + record(PARAMS, p) + record(PARAMS, b"") +
                  record(STDIN, b""))
        print(outcome(s, 10))
    elif mode == "half":
        seconds = float(sys.argv[3])
        p = params("GET", "/x/auth/ok", "127.0.0.1")
        whole = record(PARAMS, p)
        s.sendall(begin + whole[:8 + len(p) // 2])
        print(outcome(s, seconds))
    elif mode == "trickle":
        seconds = float(sys.argv[3])
        p = params("POST", "/x/auth/sign-in/email", "127.0.0.1",
                   {"CONTENT_LENGTH": "64",
                    "CONTENT_TYPE": "application/json"})
        s.sendall(begin + record(PARAMS, p) + record(PARAMS, b""))
        s.settimeout(0.3)
        deadline = time.monotonic() + seconds
        data = b""
        while time.monotonic() < deadline:
            try:
                s.sendall(record(STDIN, b" "))
            except OSError:
                break
            try:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
                if b"Status:" in data:
                    break
            except socket.timeout:
                pass
            except OSError:
                break
        else:
            print("open")
            return
        # the server may have ended our sending side: read what it answered
        s.settimeout(0.2)
        end = time.monotonic() + 2
        while time.monotonic() < end and b"Status:" not in data:
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                continue
            except OSError:
                break
            if not chunk:
                break
            data += chunk
        print(status_of(data) if data else "closed")
    else:
        sys.exit("unknown mode " + mode)


if __name__ == "__main__":
    main()
