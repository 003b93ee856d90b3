#!/usr/bin/env python3
"""tests/hostile/run.py -- send the hostile-input catalogue (tests/hostile/cases/*.jsonl) through
nginx to neon-authd and check each answer; prints one TAP line per case (no plan: the caller,
tests/integration/test_hostile.sh, adds its own checks and prints the plan).

Each line of a case file is one JSON object:
  id, desc            name and what it tries
  method, path        the request line; path is below the branch's base path unless it starts
                      with "//" (then from the root, the "//" made "/"); query is appended raw
  host                the Host header (default: the Auth URL's)
  headers             extra headers {name: value}; a POST with a body gets Content-Type
                      application/json and the Auth URL as Origin unless given ("" drops it)
  body                the body text; placeholders (below) put in raw bytes and big values
  auth                "user" or "admin": send that fixture's session cookie
  mode                "http" (default), "slow" (the body trickled over ~1.5 s), "half" (the
                      headers and part of the body, then the sending side closed), "raw" (the
                      "raw" text sent as it is), "fcgi_half" (half a FastCGI record straight to
                      the daemon's socket, then closed)
  expect              {"status": N or [N...], "code": "X" (the JSON code) or null (a JSON body
                      without a code, or an empty one), "from": "nginx" (nginx answered: no JSON
                      check), "no_location_to": host (a redirect must not leave for it)}
  creates             {table: rows} the valid request adds (test_hostile.sh checks the sums)
  touches             {table: rows} existing rows the request may change as Better Auth does
                      (set-active for a non-member clears the session's active organization)
  reference           what Better Auth 1.7.25 (tests/reference) answers where it differs, and
                      why: {"status", "code", "why"}; neon_only: the route is not Better Auth's

Placeholders: ${ORIGIN} ${BASE} ${HOSTPORT} ${RUNID} ${USER_EMAIL} ${USER_ID} ${ORG_ID}
${NUL} (a 0 byte) ${FF} (0xff) ${BADUTF8} (an overlong and a lone surrogate) ${CRLF}
${REP:<n>:<text>} (text n times), ${DEEP:<n>} (n nested arrays), ${DEEPOBJ:<n>}.

Environment: HOSTILE_ORIGIN, HOSTILE_BASE, HOSTILE_USER_COOKIE, HOSTILE_ADMIN_COOKIE,
HOSTILE_COOKIE_NAME (better-auth.session_token for the reference server), HOSTILE_AGAINST
("reference": judge by each case's "reference" answer where it has one), HOSTILE_SOCK (the daemon's socket), HOSTILE_VARS (more NAME=value lines),
HOSTILE_RESULTS (a file: one JSON line per case with what came back), HOSTILE_CREATES (a file:
"table<TAB>rows added<TAB>rows touched", summed), HOSTILE_ONLY (an id prefix), HOSTILE_GROUPS
(file names without .jsonl, comma-separated: only those files).
"""
import glob
import json
import os
import re
import socket
import sys
import time
from urllib.parse import urlsplit

ORIGIN = os.environ["HOSTILE_ORIGIN"]
BASE = os.environ["HOSTILE_BASE"]
U = urlsplit(ORIGIN)
HOSTPORT = U.netloc
VARS = {
    "ORIGIN": ORIGIN, "BASE": BASE, "HOSTPORT": HOSTPORT,
    "RUNID": os.environ.get("HOSTILE_RUNID", str(os.getpid())),
}
for line in os.environ.get("HOSTILE_VARS", "").splitlines():
    if "=" in line:
        k, v = line.split("=", 1)
        VARS[k.strip()] = v
COOKIES = {"user": os.environ.get("HOSTILE_USER_COOKIE", ""),
           "admin": os.environ.get("HOSTILE_ADMIN_COOKIE", "")}
COOKIE_NAME = os.environ.get("HOSTILE_COOKIE_NAME", "neon-auth.session_token")
AGAINST_REF = os.environ.get("HOSTILE_AGAINST") == "reference"

PH = re.compile(r"\$\{([A-Z_0-9]+)(?::([0-9]+))?(?::([^}]*))?\}")


def render(s):
    """The text with its placeholders expanded, as bytes."""
    out = bytearray()
    pos = 0
    for m in PH.finditer(s):
        out += s[pos:m.start()].encode("utf-8")
        name, n, arg = m.group(1), m.group(2), m.group(3)
        if name == "NUL":
            out += b"\x00"
        elif name == "FF":
            out += b"\xff"
        elif name == "BADUTF8":
            out += b"\xc0\xaf\xed\xa0\x80"
        elif name == "CRLF":
            out += b"\r\n"
        elif name == "REP":
            out += (arg or "a").encode("utf-8") * int(n)
        elif name == "DEEP":
            out += b"[" * int(n) + b"]" * int(n)
        elif name == "DEEPOBJ":
            out += b'{"a":' * int(n) + b"1" + b"}" * int(n)
        elif name in VARS:
            out += VARS[name].encode("utf-8")
        else:
            raise KeyError("unknown placeholder ${%s}" % name)
        pos = m.end()
    out += s[pos:].encode("utf-8")
    return bytes(out)


def build(case):
    method = case.get("method", "GET")
    path = case.get("path", "/ok")
    target = render(path[1:] if path.startswith("//") else BASE + path)
    if case.get("query"):
        target += b"?" + render(case["query"])
    body = render(case["body"]) if "body" in case else b""
    hdrs = {}
    host = render(case["host"]) if "host" in case else HOSTPORT.encode()
    if body and method != "GET":
        hdrs["Content-Type"] = b"application/json"
        hdrs["Origin"] = ORIGIN.encode()
    if case.get("auth"):
        hdrs["Cookie"] = ("%s=%s" % (COOKIE_NAME, COOKIES[case["auth"]])).encode()
    for k, v in case.get("headers", {}).items():
        if v == "":
            hdrs.pop(k, None)
        else:
            hdrs[k] = render(v)
    head = bytearray()
    head += method.encode() + b" " + target + b" HTTP/1.1\r\n"
    head += b"Host: " + host + b"\r\n"
    for k, v in hdrs.items():
        head += k.encode() + b": " + v + b"\r\n"
    if method != "GET" or body:
        head += b"Content-Length: " + str(len(body)).encode() + b"\r\n"
    head += b"Connection: close\r\n\r\n"
    return bytes(head), body


def read_reply(s, timeout):
    s.settimeout(timeout)
    data = bytearray()
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    except (socket.timeout, ConnectionResetError):
        pass
    return bytes(data)


def parse(data):
    if not data:
        return 0, {}, b""
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    try:
        status = int(lines[0].split()[1])
    except (IndexError, ValueError):
        return -1, {}, data
    hdrs = {}
    for l in lines[1:]:
        k, _, v = l.partition(b":")
        hdrs[k.strip().lower().decode("latin-1")] = v.strip().decode("latin-1")
    if hdrs.get("transfer-encoding", "").lower() == "chunked":
        out, rest = bytearray(), body
        while rest:
            size, _, rest = rest.partition(b"\r\n")
            try:
                n = int(size.split(b";")[0], 16)
            except ValueError:
                break
            if n == 0:
                break
            out += rest[:n]
            rest = rest[n + 2:]
        body = bytes(out)
    return status, hdrs, body


def send(case):
    mode = case.get("mode", "http")
    if mode == "fcgi_half":
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(5)
        s.connect(os.environ["HOSTILE_SOCK"])
        # FCGI_BEGIN_REQUEST header announcing 8 bytes, then 3 of them
        s.sendall(bytes([1, 1, 0, 1, 0, 8, 0, 0, 0, 1, 0]))
        time.sleep(0.3)
        s.close()
        return 0, {}, b""
    s = socket.create_connection((U.hostname, U.port or 80), timeout=10)
    try:
        if mode == "raw":
            s.sendall(render(case["raw"]))
            return parse(read_reply(s, 10))
        head, body = build(case)
        if mode == "slow":
            s.sendall(head)
            step = max(1, len(body) // 15)
            for i in range(0, len(body), step):
                s.sendall(body[i:i + step])
                time.sleep(0.1)
        elif mode == "half":
            s.sendall(head + body[: len(body) // 2])
            s.shutdown(socket.SHUT_WR)
            return parse(read_reply(s, 8))
        else:
            s.sendall(head + body)
        return parse(read_reply(s, 15))
    except (BrokenPipeError, ConnectionResetError):
        return parse(read_reply(s, 2))
    finally:
        s.close()


def check(case, status, hdrs, body):
    """A list of problems (empty: as expected)."""
    exp = case.get("expect", {})
    if AGAINST_REF and "reference" in case:
        exp = dict(exp, **case["reference"])
        if "code" not in case["reference"]:
            exp.pop("code", None)
    want = exp.get("status")
    probs = []
    if want is not None:
        ok = status in want if isinstance(want, list) else status == want
        if not ok:
            probs.append("status %s, want %s" % (status, want))
    if status >= 500 and not (want == status or (isinstance(want, list) and status in want)):
        probs.append("a server error")
    if exp.get("from") == "nginx" or status <= 0:
        return probs
    ctype = hdrs.get("content-type", "")
    if "code" in exp:
        code = None
        if body:
            if not ctype.startswith("application/json"):
                probs.append("content type %r for a JSON error" % ctype)
            try:
                j = json.loads(body)
                code = j.get("code") if isinstance(j, dict) else None
                if isinstance(j, dict) and exp["code"] is None and "message" not in j and j:
                    probs.append("no message in %s" % body[:100])
            except ValueError:
                probs.append("body is not JSON: %r" % body[:100])
        if code != exp["code"]:
            probs.append("code %s, want %s" % (code, exp["code"]))
    host = exp.get("no_location_to")
    if host:
        loc = hdrs.get("location", "")
        if host in urlsplit(loc).netloc or loc.startswith("//"):
            probs.append("redirect to %s" % loc)
        if host.encode() in body and b"url" in body:
            probs.append("the body names %s as a url" % host)
    for h in ("location",):
        if "\r" in hdrs.get(h, "") or "\n" in hdrs.get(h, ""):
            probs.append("CR/LF in %s" % h)
    return probs


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    files = sorted(glob.glob(os.path.join(here, "cases", "*.jsonl")))
    if os.environ.get("HOSTILE_GROUPS"):
        want = os.environ["HOSTILE_GROUPS"].split(",")
        files = [f for f in files if os.path.basename(f)[:-6] in want]
    only = os.environ.get("HOSTILE_ONLY", "")
    results = open(os.environ["HOSTILE_RESULTS"], "w") if os.environ.get("HOSTILE_RESULTS") else None
    n = 0
    seen = set()
    creates = {}
    for f in files:
        for lineno, line in enumerate(open(f, encoding="utf-8"), 1):
            line = line.strip()
            if not line or line.startswith("//"):
                continue
            case = json.loads(line)
            cid = case["id"]
            if cid in seen:
                raise SystemExit("%s:%d: duplicate id %s" % (f, lineno, cid))
            seen.add(cid)
            if only and not cid.startswith(only):
                continue
            n += 1
            if AGAINST_REF and case.get("neon_only"):
                print("ok - %s: %s # SKIP neon-authd only" % (cid, case.get("desc", "")))
                continue
            try:
                status, hdrs, body = send(case)
            except OSError as e:
                status, hdrs, body = -2, {}, str(e).encode()
            probs = check(case, status, hdrs, body)
            if results:
                results.write(json.dumps({"id": cid, "t": time.time(), "status": status,
                                          "body": body[:300].decode("utf-8", "replace"),
                                          "location": hdrs.get("location", "")}) + "\n")
            # the rows this case added: what a passing case creates
            added = (case.get("creates") or {}) if not probs else {}
            for t, k in added.items():
                creates.setdefault(t, [0, 0])[0] += k
            for t, k in (case.get("touches") or {}).items():
                creates.setdefault(t, [0, 0])[1] += k
            desc = "%s: %s" % (cid, case.get("desc", ""))
            if not probs:
                print("ok - %s" % desc)
            else:
                print("not ok - %s" % desc)
                for p in probs:
                    print("#   %s" % p)
                print("#   reply: %s %s" % (status, body[:200].decode("utf-8", "replace")))
            sys.stdout.flush()
    if os.environ.get("HOSTILE_CREATES"):
        with open(os.environ["HOSTILE_CREATES"], "w") as f:
            for t, (k, m) in sorted(creates.items()):
                f.write("%s\t%d\t%d\n" % (t, k, m))
    print("# hostile cases: %d" % n)


if __name__ == "__main__":
    main()
