#!/usr/bin/env python3
"""A real SMTP server for tests (aiosmtpd, from PyPI) on loopback: STARTTLS required before
AUTH, AUTH PLAIN/LOGIN against one user, and every accepted message appended to a file as a
JSON line (envelope sender, recipients, the authenticated user, whether TLS was on, the text).
Usage: smtp_receiver.py PORT FILE CERT KEY USER PASSWORD"""
import json
import ssl
import sys
import time

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

port, out, cert, key, user, password = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6]


class Handler:
    async def handle_DATA(self, server, session, envelope):
        line = {"t": time.time(), "from": envelope.mail_from, "to": envelope.rcpt_tos,
                "user": session.auth_data.login.decode() if session.auth_data else None,
                "tls": session.ssl is not None, "text": envelope.content.decode("utf-8")}
        with open(out, "a") as f:
            f.write(json.dumps(line) + "\n")
        return "250 Message accepted for delivery"


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = auth_data.login.decode() == user and auth_data.password.decode() == password
    # handled=False: aiosmtpd answers 535 itself (its default, handled=True, sends nothing).
    return AuthResult(success=ok, handled=False, auth_data=auth_data)


context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
context.load_cert_chain(cert, key)
controller = Controller(Handler(), hostname="127.0.0.1", port=port, tls_context=context, require_starttls=True,
                        authenticator=authenticator, auth_required=True, auth_require_tls=True)
controller.start()
print("ready", flush=True)
try:
    while True:
        time.sleep(3600)
finally:
    controller.stop()
