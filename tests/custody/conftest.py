"""Fixtures for the custody tests: a real local RFC 3161 time-stamp authority on 127.0.0.1."""

from tests.custody import tsa as local

_tsa_server = local._tsa_server
tsa = local.tsa
tsa_keys = local.tsa_keys
other_tsa_keys = local.other_tsa_keys
