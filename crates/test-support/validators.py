"""Independent checks that need Python libraries (signxml, lxml, asn1crypto), called by the Rust tests.

  signxml FILE CA                  verify XAdES with signxml's XAdESVerifier (exit 0 = valid)
  xades-token FILE OUT             write the XAdES SignatureTimeStamp token to OUT, print the hex digest (the
                                   token's algorithm) of the exclusive-c14n ds:SignatureValue (what the token must cover)
  cades-token FILE OUT             write the CMS signature-time-stamp token to OUT, print the hex
                                   digest of the signature value
"""
import base64
import hashlib
import sys

from lxml import etree

DS = "http://www.w3.org/2000/09/xmldsig#"
XADES = "http://uri.etsi.org/01903/v1.3.2#"


def signxml_verify(path, ca):
    from signxml.xades import XAdESSignatureConfiguration, XAdESVerifier

    data = open(path, "rb").read()
    XAdESVerifier().verify(data, ca_pem_file=ca, expect_config=XAdESSignatureConfiguration(expect_references=2))
    print("signxml: valid")


def imprint_hash(token_der):
    """A hashlib object for the algorithm the token's message imprint uses."""
    from asn1crypto import cms, tsp  # noqa: F401  (importing tsp teaches cms the TSTInfo type)

    tst = cms.ContentInfo.load(token_der)["content"]["encap_content_info"]["content"].parsed
    return hashlib.new(tst["message_imprint"]["hash_algorithm"]["algorithm"].native)


def xades_token(path, out):
    tree = etree.parse(path, etree.XMLParser(resolve_entities=False, no_network=True))
    sig = tree.find(f".//{{{DS}}}Signature")
    value = sig.find(f"{{{DS}}}SignatureValue")
    token = sig.find(f".//{{{XADES}}}EncapsulatedTimeStamp")
    der = base64.b64decode(token.text)
    open(out, "wb").write(der)
    h = imprint_hash(der)
    h.update(etree.tostring(value, method="c14n", exclusive=True))
    print(h.hexdigest())


def cades_token(path, out):
    from asn1crypto import cms

    info = cms.ContentInfo.load(open(path, "rb").read())
    signer = info["content"]["signer_infos"][0]
    for attr in signer["unsigned_attrs"]:
        if attr["type"].dotted == "1.2.840.113549.1.9.16.2.14":
            der = attr["values"][0].dump()
            open(out, "wb").write(der)
            h = imprint_hash(der)
            h.update(signer["signature"].native)
            print(h.hexdigest())
            return
    sys.exit("no signature-time-stamp attribute")


if __name__ == "__main__":
    cmd, *args = sys.argv[1:]
    {"signxml": signxml_verify, "xades-token": xades_token, "cades-token": cades_token}[cmd](*args)
