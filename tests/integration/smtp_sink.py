#!/usr/bin/python3
"""A real SMTP server on loopback for the email tests (Debian's python3-aiosmtpd).

    smtp_sink.py --port N --dir DIR [--mode accept|reject|tempfail|stall]
                 [--tls-cert F --tls-key F [--implicit-tls]] [--auth USER:PASS]

accept    every message is written to DIR as NNNNNN.eml (envelope in X-Sink-From /
          X-Sink-To lines first), atomically: DIR/.tmp, then rename
reject    550 to every RCPT TO (a permanent failure)
tempfail  451 to every RCPT TO (a temporary failure)
stall     accept TCP connections and never say a word (no greeting)

--tls-cert/--tls-key: STARTTLS offered and required before MAIL; with --implicit-tls the
listener speaks TLS from the first byte instead (smtps).  --auth: AUTH PLAIN/LOGIN with that
user and password is required.  Runs until SIGTERM/SIGINT; prints "ready PORT" once listening.
Listens on 127.0.0.1 only.
"""
import argparse
import asyncio
import os
import signal
import ssl
import sys

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Sink:
    def __init__(self, outdir, mode):
        self.outdir = outdir
        self.mode = mode
        self.n = len([f for f in os.listdir(outdir) if f.endswith(".eml")])

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.mode == "reject":
            return "550 5.1.1 mailbox unavailable (smtp_sink reject mode)"
        if self.mode == "tempfail":
            return "451 4.3.0 try again later (smtp_sink tempfail mode)"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.n += 1
        name = "%06d-%d.eml" % (self.n, os.getpid())
        tmp = os.path.join(self.outdir, ".tmp-" + name + ".part")
        with open(tmp, "wb") as f:
            f.write(b"X-Sink-From: " + envelope.mail_from.encode() + b"\r\n")
            f.write(b"X-Sink-To: " + ",".join(envelope.rcpt_tos).encode() + b"\r\n")
            f.write(envelope.original_content or envelope.content)
            f.flush()
            os.fsync(f.fileno())
        os.rename(tmp, os.path.join(self.outdir, name))
        return "250 Message accepted"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--dir", required=True)
    ap.add_argument("--mode", default="accept", choices=["accept", "reject", "tempfail", "stall"])
    ap.add_argument("--tls-cert")
    ap.add_argument("--tls-key")
    ap.add_argument("--implicit-tls", action="store_true")
    ap.add_argument("--auth")
    a = ap.parse_args()
    os.makedirs(a.dir, exist_ok=True)

    if a.mode == "stall":
        async def hold(reader, writer):
            try:
                await reader.read()   # until the client gives up
            finally:
                writer.close()

        async def run():
            srv = await asyncio.start_server(hold, "127.0.0.1", a.port)
            print("ready %d" % a.port, flush=True)
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for s in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(s, stop.set)
            await stop.wait()
            srv.close()
        asyncio.run(run())
        return

    kw = {}
    if a.tls_cert:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(a.tls_cert, a.tls_key)
        if a.implicit_tls:
            kw["ssl_context"] = ctx
        else:
            kw["tls_context"] = ctx
            kw["require_starttls"] = True
    if a.auth:
        user, pw = a.auth.split(":", 1)

        def check(server, session, envelope, mechanism, auth_data):
            ok = isinstance(auth_data, LoginPassword) and \
                auth_data.login.decode() == user and auth_data.password.decode() == pw
            return AuthResult(success=ok, handled=False)
        kw["authenticator"] = check
        kw["auth_required"] = True
        kw["auth_require_tls"] = bool(a.tls_cert)

    ctl = Controller(Sink(a.dir, a.mode), hostname="127.0.0.1", port=a.port,
                     server_hostname="localhost", **kw)
    ctl.start()
    print("ready %d" % a.port, flush=True)
    got = []

    def stop(*_):
        got.append(1)
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    while not got:
        signal.pause()
    ctl.stop()


if __name__ == "__main__":
    sys.exit(main())
