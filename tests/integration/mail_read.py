#!/usr/bin/python3
"""Read a message the SMTP sink stored (tests/integration/smtp_sink.py).

    mail_read.py FILE WHAT

WHAT: subject, from, to, date, message-id, kind (X-Neon-Authd-Kind, else X-Reference-Mail),
rcpt (the envelope recipient), text, html, link (the first http(s) URL of the text part),
code (the first run of 6 digits of the text part), parts (the content types, one per line),
header:NAME (a raw header, unfolded), check (exit 0 when the message is well formed: a
Message-ID, a Date, a From, and a text/plain and a text/html part that decode as UTF-8).
Headers are decoded (RFC 2047) except header:NAME.  Prints nothing and exits 1 when absent.
"""
import email
import email.policy
import re
import sys


def main():
    path, what = sys.argv[1], sys.argv[2]
    with open(path, "rb") as f:
        raw = f.read()
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    text = html = None
    types = []
    for part in msg.walk():
        ct = part.get_content_type()
        types.append(ct)
        if ct == "text/plain" and text is None:
            text = part.get_content()
        elif ct == "text/html" and html is None:
            html = part.get_content()
    out = None
    if what in ("subject", "from", "to", "date", "message-id"):
        out = msg.get(what)
        out = str(out) if out is not None else None
    elif what == "kind":
        out = msg.get("X-Neon-Authd-Kind") or msg.get("X-Reference-Mail") or msg.get("X-Peer-Mail")
    elif what == "rcpt":
        out = msg.get("X-Sink-To")
    elif what == "text":
        out = text
    elif what == "html":
        out = html
    elif what == "parts":
        out = "\n".join(types)
    elif what == "link":
        m = re.search(r"https?://[^\s<>\"]+", text or "")
        out = m.group(0) if m else None
    elif what == "code":
        m = re.search(r"\b(\d{6})\b", text or "")
        out = m.group(1) if m else None
    elif what.startswith("header:"):
        m = email.message_from_bytes(raw, policy=email.policy.compat32)
        v = m.get(what[7:])
        out = re.sub(r"\r?\n[ \t]", " ", v) if v is not None else None
    elif what == "check":
        ok = bool(msg.get("Message-ID")) and bool(msg.get("Date")) and \
            bool(msg.get("From")) and text is not None and html is not None
        return 0 if ok else 1
    if out is None:
        return 1
    sys.stdout.write(out if out.endswith("\n") or what in ("text", "html") else out + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
