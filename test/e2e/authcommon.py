"""Helpers shared by the authentication and ACL end-to-end tests."""

import hashlib
import os
import subprocess
import tempfile

from harness import SLUICE_BIN, to_yaml


def check_config(doc):
    """Runs `sluice check` on doc; returns (exit status, stderr)."""
    d = tempfile.mkdtemp(prefix="sluice-auth-")
    path = os.path.join(d, "kong.yml")
    with open(path, "w") as f:
        f.write(doc if isinstance(doc, str) else to_yaml(doc))
    p = subprocess.run([SLUICE_BIN, "check", path], capture_output=True, text=True, timeout=30)
    return p.returncode, p.stderr


def upstream_headers(doc, name):
    """Every value of header name the stub upstream received."""
    return [v for k, v in doc["headers"] if k.lower() == name.lower()]


def upstream_header(doc, name):
    vals = upstream_headers(doc, name)
    assert len(vals) <= 1, doc["headers"]
    return vals[0] if vals else None


def sha1_password(password, consumer_id):
    return hashlib.sha1((password + consumer_id).encode()).hexdigest()
