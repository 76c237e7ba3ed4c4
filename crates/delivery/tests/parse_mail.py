"""Parses RFC 5322 messages with Python's standard library (an oracle independent of lettre).

    python parse_mail.py FILE...   ->   a JSON array, one object per file
"""

import base64
import email
import email.policy
import json
import sys


def parse(path):
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
        "attachments": [
            {
                "filename": part.get_filename(),
                "content_type": part.get_content_type(),
                "data_b64": base64.b64encode(part.get_payload(decode=True)).decode(),
            }
            for part in msg.iter_attachments()
        ],
        "defects": defects,
    }


print(json.dumps([parse(p) for p in sys.argv[1:]]))
