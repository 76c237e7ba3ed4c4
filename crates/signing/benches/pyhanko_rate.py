"""pyHanko's PAdES B-B signing rate, measured in-process (Python start-up and imports excluded).

Used by `crates/signing/benches/signing.rs`:

    python pyhanko_rate.py KEY.pem CERT.pem IN.pdf SECONDS

Loads the key and certificate once, signs IN.pdf once to warm up, then signs it in a loop for
at least SECONDS (and at least 3 times), timing only the loop. Each signature is a fresh
incremental update of the same input, materialised in memory (pyHanko's default BytesIO output).
Prints one JSON line: {"iterations": N, "seconds": T, "output_len": L, "pyhanko": VERSION}.
"""

import importlib.metadata
import io
import json
import sys
import time

from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers


def main() -> None:
    key, cert, pdf, seconds = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
    signer = signers.SimpleSigner.load(key, cert)
    if signer is None:
        sys.exit("pyHanko could not load the key and certificate")
    with open(pdf, "rb") as f:
        data = f.read()
    meta = signers.PdfSignatureMetadata(
        field_name="Signature1", subfilter=fields.SigSeedSubFilter.PADES
    )

    def sign_once() -> int:
        writer = IncrementalPdfFileWriter(io.BytesIO(data))
        out = signers.sign_pdf(writer, meta, signer=signer)
        return len(out.getbuffer())

    output_len = sign_once()
    iterations = 0
    start = time.perf_counter()
    while True:
        sign_once()
        iterations += 1
        elapsed = time.perf_counter() - start
        if iterations >= 3 and elapsed >= seconds:
            break
    print(
        json.dumps(
            {
                "iterations": iterations,
                "seconds": elapsed,
                "output_len": output_len,
                "pyhanko": importlib.metadata.version("pyhanko"),
            }
        )
    )


if __name__ == "__main__":
    main()
