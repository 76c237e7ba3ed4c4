"""A reference RFC 3161 timestamp authority: `openssl ts -reply` behind HTTP.

usage: reference_tsa.py TSA_CERT TSA_KEY CA_CERT WORKDIR
Listens on 127.0.0.1 on a free port and prints `listening on http://127.0.0.1:PORT` to stdout.
"""
import http.server
import os
import subprocess
import sys
import tempfile
import threading

cert, key, ca, work = sys.argv[1:5]
os.makedirs(work, exist_ok=True)
serial = os.path.join(work, "tsaserial")
if not os.path.exists(serial):
    open(serial, "w").write("01\n")
conf = os.path.join(work, "tsa.cnf")
open(conf, "w").write(f"""
[ tsa ]
default_tsa = tsa_config1
[ tsa_config1 ]
serial = {serial}
crypto_device = builtin
signer_cert = {cert}
certs = {cert}
signer_key = {key}
signer_digest = sha256
default_policy = 1.2.3.4.1
digests = sha256, sha384, sha512
accuracy = secs:1
ordering = no
tsa_name = no
ess_cert_id_chain = no
ess_cert_id_alg = sha256
""")


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        with tempfile.TemporaryDirectory() as d:
            q, r = os.path.join(d, "q.tsq"), os.path.join(d, "r.tsr")
            open(q, "wb").write(body)
            p = subprocess.run(["openssl", "ts", "-reply", "-config", conf, "-queryfile", q, "-out", r], capture_output=True)
            if p.returncode != 0:
                self.send_response(500)
                self.end_headers()
                self.wfile.write(p.stderr)
                return
            reply = open(r, "rb").read()
        self.send_response(200)
        self.send_header("Content-Type", "application/timestamp-reply")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, *args):
        pass


def exit_with_parent():
    # The test that started us holds our stdin; when it ends, so do we.
    sys.stdin.read()
    os._exit(0)


threading.Thread(target=exit_with_parent, daemon=True).start()
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(f"listening on http://127.0.0.1:{server.server_address[1]}", flush=True)
server.serve_forever()
