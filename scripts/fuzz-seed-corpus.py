#!/usr/bin/env python3
"""Writes the fuzz targets' seed corpora (fuzz/corpus/<target>/) from the XCover
cassettes: request bodies, method + path, Date headers, and Authorization
headers signed as the XCover client signs them (with a throwaway key, as the
cassettes carry none), plus the default catalog. Deterministic: file names are
content hashes, so re-running adds nothing new. Usage: scripts/fuzz-seed-corpus.py
"""
import base64
import glob
import hashlib
import hmac
import json
import os
import sys
import urllib.parse
from email.utils import parsedate_to_datetime

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CASSETTES = os.path.join(ROOT, "tests", "fixtures", "xcover-cassettes")
CORPUS = os.path.join(ROOT, "fuzz", "corpus")
SEED_SECRET = b"fuzz-seed-secret-not-a-real-key"


def write(target, data):
    if isinstance(data, str):
        data = data.encode()
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    name = hashlib.sha1(data).hexdigest()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def fdp_string(s):
    """A string as FuzzedDataProvider::ConsumeRandomLengthString reads it:
    backslashes doubled, ended by a backslash and another character."""
    return s.replace("\\", "\\\\") + "\\ "


def signing_string_seed(headers, carried, method, target):
    # fuzz_signing_string reads from the back: the header count (one byte,
    # 0..8), then one bool per header; from the front: each name, its value
    # when carried, the method; the rest is the target.
    front = ""
    for h in headers:
        front += fdp_string(h)
        if h in carried:
            front += fdp_string(carried[h])
    front += fdp_string(method) + target
    back = bytes(1 if h in carried else 0 for h in reversed(headers)) + bytes([len(headers)])
    return front.encode() + back


def main():
    for path in sorted(glob.glob(os.path.join(CASSETTES, "*.yaml"))):
        with open(path) as f:
            doc = yaml.safe_load(f)
        for interaction in doc.get("interactions", []):
            req = interaction["request"]
            method = req["method"]
            uri = urllib.parse.urlsplit(req["uri"])
            target = uri.path + ("?" + uri.query if uri.query else "")
            write("fuzz_router", f"{method} {target}")
            body = req.get("body")
            if isinstance(body, bytes):
                body = body.decode()
            if body:
                write("fuzz_request_decoder", body)
                try:
                    doc_body = json.loads(body)
                except ValueError:
                    doc_body = None
                if isinstance(doc_body, dict):
                    for q in doc_body.get("request", []) or []:
                        if isinstance(q, dict):
                            write("fuzz_price_quote", json.dumps(q))
                    if isinstance(doc_body.get("policyholder"), dict):
                        write("fuzz_request_decoder", json.dumps(doc_body["policyholder"]))
            headers = {k.lower(): v[0] for k, v in (req.get("headers") or {}).items()}
            date = headers.get("date")
            if not date:
                continue
            write("fuzz_http_date", date)
            dt = parsedate_to_datetime(date)
            write("fuzz_http_date", dt.strftime("%A, %d-%b-%y %H:%M:%S GMT"))  # RFC 850
            write("fuzz_http_date", dt.strftime("%a %b ") + f"{dt.day:2d}" + dt.strftime(" %H:%M:%S %Y"))
            listed = ["(request-target)", "date"]
            lines = [f"(request-target): {method.lower()} {uri.path}", f"date: {date}"]
            sig = base64.b64encode(hmac.new(SEED_SECRET, "\n".join(lines).encode(),
                                            hashlib.sha512).digest()).decode()
            sig = urllib.parse.quote(sig, safe="")
            write("fuzz_signature_header",
                  f'Signature keyId="fuzzseedkey",algorithm="hmac-sha512",'
                  f'headers="{" ".join(listed)}",signature="{sig}"')
            write("fuzz_signature_header", f'Signature keyId="fuzzseedkey",signature="{sig}"')
            write("fuzz_signing_string",
                  signing_string_seed(listed, {"date": date}, method, target))
    with open(os.path.join(ROOT, "catalog", "default.json"), "rb") as f:
        write("fuzz_catalog", f.read())
    for t in sorted(os.listdir(CORPUS)):
        print(f"{t}: {len(os.listdir(os.path.join(CORPUS, t)))} seeds")


if __name__ == "__main__":
    sys.exit(main())
