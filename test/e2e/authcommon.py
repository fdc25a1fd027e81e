"""Helpers shared by the authentication and ACL end-to-end tests."""

import hashlib
import os
import subprocess
import tempfile

from harness import SLUICE_BIN, check_config, to_yaml  # noqa: F401 (re-exported)


def upstream_headers(doc, name):
    """Every value of header name the stub upstream received."""
    return [v for k, v in doc["headers"] if k.lower() == name.lower()]


def upstream_header(doc, name):
    vals = upstream_headers(doc, name)
    assert len(vals) <= 1, doc["headers"]
    return vals[0] if vals else None


def sha1_password(password, consumer_id):
    return hashlib.sha1((password + consumer_id).encode()).hexdigest()
