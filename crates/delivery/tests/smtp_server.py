"""A real aiosmtpd server that refuses some messages, for the delivery tests.

    python smtp_server.py --port P --maildir DIR --stage {rcpt,data} --reply "451 4.3.0 Later" --count N

The first N messages (N = -1: all of them) get REPLY at the RCPT or DATA stage; the others are
stored in the Maildir DIR, like `python -m aiosmtpd -c aiosmtpd.handlers.Mailbox DIR`.
The server exits when its standard input closes, so it cannot outlive the test that started it.
"""

import argparse
import os
import sys
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Mailbox


class RefusingMailbox(Mailbox):
    def __init__(self, maildir, stage, reply, count):
        super().__init__(maildir)
        self.stage = stage
        self.reply = reply
        self.remaining = count
        self.lock = threading.Lock()

    def refuse(self, stage):
        if stage != self.stage:
            return False
        with self.lock:
            if self.remaining == 0:
                return False
            if self.remaining > 0:
                self.remaining -= 1
            return True

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.refuse("rcpt"):
            return self.reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.refuse("data"):
            return self.reply
        return await super().handle_DATA(server, session, envelope)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--maildir", required=True)
    parser.add_argument("--stage", choices=["rcpt", "data"], required=True)
    parser.add_argument("--reply", required=True)
    parser.add_argument("--count", type=int, required=True)
    args = parser.parse_args()

    handler = RefusingMailbox(args.maildir, args.stage, args.reply, args.count)
    controller = Controller(handler, hostname="127.0.0.1", port=args.port)
    controller.start()
    print("ready", flush=True)
    try:
        # Block until the test closes our stdin (or dies).
        while sys.stdin.buffer.read(4096):
            pass
    finally:
        try:
            controller.stop()
        finally:
            os._exit(0)


if __name__ == "__main__":
    main()
