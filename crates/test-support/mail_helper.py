"""Mail helpers for the delivery tests of crates/delivery and services/integration-ws.

    python mail_helper.py serve --port P --maildir DIR [--stage {rcpt,data} --reply "451 ..." --count N]
                                [--auth-user U --auth-password PW]
    python mail_helper.py parse FILE...   ->   a JSON array, one object per message

`serve`: a real aiosmtpd server storing messages in the Maildir DIR (aiosmtpd's Mailbox
handler); the first N messages (N = -1: all of them, N = 0: none) get REPLY at the RCPT or DATA
stage. With --auth-user, the server offers AUTH PLAIN and LOGIN without TLS and refuses MAIL
before a successful AUTH with exactly that user and password (530; a wrong one gets 535). It
prints "ready" once listening and exits when its standard input closes, so it cannot
outlive the test that started it.

`parse`: reads messages with Python's standard `email` package, an oracle independent of lettre.
"""

import argparse
import base64
import email
import email.policy
import json
import os
import sys
import threading
import warnings


def serve(args):
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Mailbox
    from aiosmtpd.smtp import AuthResult, LoginPassword

    # AUTH without TLS is what the tests want (a local server); aiosmtpd warns about it.
    warnings.filterwarnings("ignore", message="Requiring AUTH while not requiring TLS")

    class RefusingMailbox(Mailbox):
        def __init__(self):
            super().__init__(args.maildir)
            self.remaining = args.count
            self.lock = threading.Lock()

        def refuse(self, stage):
            if stage != args.stage:
                return False
            with self.lock:
                if self.remaining == 0:
                    return False
                if self.remaining > 0:
                    self.remaining -= 1
                return True

        async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
            if self.refuse("rcpt"):
                return args.reply
            envelope.rcpt_tos.append(address)
            return "250 OK"

        async def handle_DATA(self, server, session, envelope):
            if self.refuse("data"):
                return args.reply
            return await super().handle_DATA(server, session, envelope)

    auth = {}
    if args.auth_user is not None:
        expected = (args.auth_user.encode(), (args.auth_password or "").encode())

        def authenticator(server, session, envelope, mechanism, auth_data):
            ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == expected
            print("AUTH %s %s" % (mechanism, "accepted" if ok else "refused"), file=sys.stderr, flush=True)
            # handled=False: aiosmtpd answers 535 itself on a refusal.
            return AuthResult(success=ok, handled=False)

        auth = dict(auth_required=True, auth_require_tls=False, authenticator=authenticator)

    controller = Controller(RefusingMailbox(), hostname="127.0.0.1", port=args.port, **auth)
    controller.start()
    print("ready", flush=True)
    try:
        while sys.stdin.buffer.read(4096):
            pass
    finally:
        try:
            controller.stop()
        finally:
            os._exit(0)


def structure(part):
    """The MIME tree as text: `multipart/alternative(text/plain,text/html)`."""
    if part.is_multipart():
        return "%s(%s)" % (part.get_content_type(), ",".join(structure(p) for p in part.iter_parts()))
    return part.get_content_type()


def part_json(part):
    return {
        "filename": part.get_filename(),
        "content_type": part.get_content_type(),
        "content_id": part["content-id"] and str(part["content-id"]),
        "disposition": part.get_content_disposition(),
        "data_b64": base64.b64encode(part.get_payload(decode=True)).decode(),
    }


def parse_one(path):
    with open(path, "rb") as f:
        raw = f.read()
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    defects = [type(d).__name__ for part in msg.walk() for d in part.defects]
    plain = msg.get_body(("plain",))
    html = msg.get_body(("html",))
    return {
        "path": path,
        "raw": raw.decode("utf-8", "replace"),
        "content_type": msg.get_content_type(),
        "header_names": [name.lower() for name in msg.keys()],
        "subject": str(msg["subject"]),
        "from": str(msg["from"]),
        "to": str(msg["to"]),
        "text": plain.get_content() if plain is not None else None,
        "html": html.get_content() if html is not None else None,
        "structure": structure(msg),
        "attachments": [part_json(part) for part in msg.iter_attachments()],
        "inline": [
            part_json(part)
            for part in msg.walk()
            if not part.is_multipart() and part["content-id"] is not None
        ],
        "defects": defects,
    }



def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("serve")
    s.add_argument("--port", type=int, required=True)
    s.add_argument("--maildir", required=True)
    s.add_argument("--stage", choices=["rcpt", "data"], default="rcpt")
    s.add_argument("--reply", default="451 4.3.0 Try again later")
    s.add_argument("--count", type=int, default=0)
    s.add_argument("--auth-user")
    s.add_argument("--auth-password")
    p = sub.add_parser("parse")
    p.add_argument("files", nargs="*")
    args = parser.parse_args()
    if args.command == "serve":
        serve(args)
    else:
        print(json.dumps([parse_one(f) for f in args.files]))


if __name__ == "__main__":
    main()
