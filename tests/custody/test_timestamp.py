"""RFC 3161 timestamps against a real TSA (openssl ts) on 127.0.0.1."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import subprocess
from pathlib import Path

import pytest
import rfc3161_client
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from tests.custody import tsa as local
from tests.custody.tsa import POLICY, TSA_SERIAL, LocalTSA, TSAKeys, dead_url, make_tsa_keys, serve

from dhakira.custody import timestamp as ts
from dhakira.custody.timestamp import (
    TimestampError,
    TimestampToken,
    request_all,
    request_timestamp,
    verify_timestamp,
)
from dhakira.errors import DhakiraError

# The fixtures live in tests/custody/tsa.py; naming them here makes pytest use them.

DATA = b'{"tree_size": 42, "root": "9f86d081884c7d65"}'


def _parse_iso(s: str) -> dt.datetime:
    return dt.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.UTC)


def _flip(der: bytes, at: int) -> bytes:
    return der[:at] + bytes([der[at] ^ 0x01]) + der[at + 1 :]


@pytest.fixture(scope="module")
def token(_tsa_server: LocalTSA) -> TimestampToken:
    """One good token over DATA, shared by the read-only tests."""
    _tsa_server.mode = "ok"
    return request_timestamp(DATA, _tsa_server.url, timeout=10)


# --- the round trip ----------------------------------------------------------------------------


def test_request_then_verify_offline(tsa: LocalTSA, token: TimestampToken) -> None:
    assert token.tsa_url == tsa.url
    assert token.digest == hashlib.sha256(DATA).digest()
    assert token.policy == POLICY
    assert token.serial > 0
    assert verify_timestamp(token, DATA, tsa_certificate_pem=tsa.tsa_cert_pem) == token.gen_time
    chained = verify_timestamp(
        token, DATA, tsa_certificate_pem=tsa.tsa_cert_pem, roots_pem=tsa.ca_cert_pem
    )
    assert chained == token.gen_time


def test_gen_time_is_now(token: TimestampToken) -> None:
    assert token.gen_time.endswith("Z")
    age = dt.datetime.now(dt.UTC) - _parse_iso(token.gen_time)
    assert dt.timedelta(seconds=-5) < age < dt.timedelta(seconds=60)


def test_stored_bytes_verify_later(tsa: LocalTSA, token: TimestampToken) -> None:
    stored = bytes(token.token)
    assert TimestampToken.from_der(stored, tsa.url) == token
    assert verify_timestamp(stored, DATA, tsa_certificate_pem=tsa.tsa_cert_pem) == token.gen_time
    bare = token.time_stamp_token
    assert bare != stored and bare in stored
    assert verify_timestamp(bare, DATA, tsa_certificate_pem=tsa.tsa_cert_pem) == token.gen_time


def test_openssl_verifies_our_stored_token(
    tsa: LocalTSA, token: TimestampToken, tmp_path: Path
) -> None:
    """The stored bytes are a standard .tsr: anyone can check them without Dhakira."""
    (tmp_path / "data").write_bytes(DATA)
    (tmp_path / "reply.tsr").write_bytes(token.token)
    (tmp_path / "token.der").write_bytes(token.time_stamp_token)
    (tmp_path / "ca.pem").write_bytes(tsa.ca_cert_pem)
    openssl = local.require_openssl()
    base = [openssl, "ts", "-verify", "-data", "data", "-CAfile", "ca.pem"]
    for source in (["-in", "reply.tsr"], ["-token_in", "-in", "token.der"]):
        proc = subprocess.run(
            [*base, *source], cwd=tmp_path, capture_output=True, text=True, check=False
        )
        assert proc.returncode == 0, proc.stderr
        assert "Verification: OK" in proc.stdout


def test_rsa_tsa_and_rfc3161_client_agree(other_tsa_keys: TSAKeys) -> None:
    """An RSA TSA that sends only its own certificate; rfc3161_client's verifier agrees."""
    with serve(other_tsa_keys) as other:
        token = request_timestamp(DATA, other.url, timeout=10)
    pem = other_tsa_keys.tsa_cert_pem
    gen_time = verify_timestamp(token, DATA, tsa_certificate_pem=pem, roots_pem=other.ca_cert_pem)
    reply = rfc3161_client.decode_timestamp_response(token.token)
    verifier = (
        rfc3161_client.VerifierBuilder()
        .tsa_certificate(x509.load_pem_x509_certificate(pem))
        .add_root_certificate(x509.load_pem_x509_certificate(other.ca_cert_pem))
        .build()
    )
    assert verifier.verify_message(reply, DATA)
    assert reply.tst_info.gen_time == _parse_iso(gen_time).replace(microsecond=0)
    assert reply.tst_info.serial_number == token.serial


# --- verification failures -------------------------------------------------------------------


def test_tampered_data_fails(tsa: LocalTSA, token: TimestampToken) -> None:
    with pytest.raises(TimestampError, match="data differs from what was timestamped"):
        verify_timestamp(token, DATA + b" ", tsa_certificate_pem=tsa.tsa_cert_pem)


def test_tampered_token_fails(tsa: LocalTSA, token: TimestampToken) -> None:
    der = token.token
    when = _parse_iso(token.gen_time).strftime("%Y%m%d%H%M%S").encode()
    in_tst_info = der.index(when) + len(when) - 1  # the last digit of the signed genTime
    with pytest.raises(TimestampError, match="message-digest does not match the TSTInfo"):
        verify_timestamp(_flip(der, in_tst_info), DATA, tsa_certificate_pem=tsa.tsa_cert_pem)
    with pytest.raises(TimestampError, match="signature is invalid"):
        verify_timestamp(_flip(der, len(der) - 1), DATA, tsa_certificate_pem=tsa.tsa_cert_pem)
    forged = dataclasses.replace(token, gen_time="2020-01-01T00:00:00.000000Z")
    with pytest.raises(TimestampError, match="recorded digest, gen_time, serial or policy"):
        verify_timestamp(forged, DATA, tsa_certificate_pem=tsa.tsa_cert_pem)
    with pytest.raises(TimestampError, match="not a usable token"):
        verify_timestamp(der[:-10], DATA, tsa_certificate_pem=tsa.tsa_cert_pem)


def test_every_corruption_of_the_signed_parts_fails(tsa: LocalTSA, token: TimestampToken) -> None:
    """Flip one bit of each byte: only TimestampError ever comes out, and no change to the
    TSTInfo, the signed attributes or the signature goes unnoticed. (Changes elsewhere — the
    untrusted embedded certificates, the envelope — may pass: nothing there is relied upon.)"""
    der = token.token
    parsed = ts._load(der)
    signed_attrs = parsed.signer.signed_attrs
    assert signed_attrs is not None
    protected: set[int] = set()
    for part in (parsed.tst.raw, signed_attrs.raw, parsed.signer.signature):
        start = der.index(part)
        protected.update(range(start, start + len(part)))
    for i in range(len(der)):
        try:
            verify_timestamp(
                _flip(der, i), DATA, tsa_certificate_pem=tsa.tsa_cert_pem, roots_pem=tsa.ca_cert_pem
            )
        except TimestampError:
            continue
        assert i not in protected, f"a change at byte {i} went unnoticed"


def test_other_tsa_certificate_fails(
    tsa: LocalTSA, token: TimestampToken, other_tsa_keys: TSAKeys
) -> None:
    with pytest.raises(TimestampError, match="not signed by the TSA certificate given") as err:
        verify_timestamp(token, DATA, tsa_certificate_pem=other_tsa_keys.tsa_cert_pem)
    assert "Dhakira test TSA" in str(err.value)  # names the actual signer
    with pytest.raises(TimestampError, match="does not chain to the given roots"):
        verify_timestamp(
            token, DATA, tsa_certificate_pem=tsa.tsa_cert_pem, roots_pem=other_tsa_keys.ca_cert_pem
        )
    with pytest.raises(TimestampError, match="not signed by the TSA certificate given"):
        verify_timestamp(token, DATA, tsa_certificate_pem=tsa.ca_cert_pem)


def test_look_alike_certificate_fails(token: TimestampToken, tmp_path: Path) -> None:
    """Same issuer name and serial number as the real TSA certificate, but another key."""
    twin = make_tsa_keys(tmp_path / "twin", serial=TSA_SERIAL)
    with pytest.raises(TimestampError, match="ESS signing-certificate attribute names another"):
        verify_timestamp(token, DATA, tsa_certificate_pem=twin.tsa_cert_pem)


def test_several_tsa_certificates_may_be_given(
    tsa: LocalTSA, token: TimestampToken, other_tsa_keys: TSAKeys
) -> None:
    bundle = other_tsa_keys.tsa_cert_pem + tsa.ca_cert_pem + tsa.tsa_cert_pem
    assert verify_timestamp(token, DATA, tsa_certificate_pem=bundle) == token.gen_time


def _certificate(
    *, critical: bool = True, also: x509.ObjectIdentifier | None = None
) -> x509.Certificate:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "made up TSA")])
    now = dt.datetime.now(dt.UTC)
    usages = [ExtendedKeyUsageOID.TIME_STAMPING, *([also] if also else [])]
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.ExtendedKeyUsage(usages), critical=critical)
        .sign(key, hashes.SHA256())
    )


def test_certificate_checks(tsa: LocalTSA, token: TimestampToken) -> None:
    tsa_cert = x509.load_pem_x509_certificate(tsa.tsa_cert_pem)
    ca_cert = x509.load_pem_x509_certificate(tsa.ca_cert_pem)
    at = _parse_iso(token.gen_time)
    ts._check_tsa_certificate(tsa_cert, at)
    with pytest.raises(ts._Invalid, match="has no extended key usage"):
        ts._check_tsa_certificate(ca_cert, at)
    with pytest.raises(ts._Invalid, match="not for time stamping only"):
        ts._check_tsa_certificate(_certificate(critical=False), at)
    with pytest.raises(ts._Invalid, match="not for time stamping only"):
        ts._check_tsa_certificate(_certificate(also=ExtendedKeyUsageOID.CODE_SIGNING), at)
    ts._check_tsa_certificate(_certificate(), at)
    with pytest.raises(ts._Invalid, match="was not valid at the token's time 2001"):
        ts._check_tsa_certificate(tsa_cert, dt.datetime(2001, 1, 1, tzinfo=dt.UTC))
    with pytest.raises(TimestampError, match="tsa_certificate_pem: no PEM certificate"):
        verify_timestamp(token, DATA, tsa_certificate_pem=b"not a certificate")


# --- request failures ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "message"),
    [
        (
            "reject",
            r"refused the request: status 2 \(rejection\): "
            r"Requested policy is not supported\. \[unacceptedPolicy\]",
        ),
        ("garbage", r"did not send a time-stamp response \(Content-Type 'application/timestamp"),
        ("wrong_imprint", r"timestamped other data than was sent"),
        ("wrong_nonce", r"answered with another nonce than was sent"),
        ("http_error", r"did not answer: HTTP 503 TSA is resting"),
        ("silent", r"did not answer: Remote end closed connection without response"),
        ("hang", r"did not answer: timed out"),
    ],
)
def test_misbehaving_tsa(tsa: LocalTSA, mode: str, message: str) -> None:
    tsa.mode = mode
    tsa.hang_seconds = 1.0
    with pytest.raises(TimestampError, match=message) as err:
        request_timestamp(DATA, tsa.url, timeout=0.3 if mode == "hang" else 10)
    assert str(err.value).startswith(f"TSA {tsa.url} ")
    assert isinstance(err.value, DhakiraError)


def test_dead_tsa() -> None:
    url = dead_url()
    with pytest.raises(TimestampError, match=rf"^TSA {url} did not answer: Connection refused$"):
        request_timestamp(DATA, url, timeout=5)


def test_only_http_urls(tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_bytes(b"x")
    with pytest.raises(TimestampError, match="not an http:// or https:// URL"):
        request_timestamp(DATA, secret.as_uri())
    with pytest.raises(TimestampError, match="not a valid URL"):
        request_timestamp(DATA, "http://[::1/tsr")
    tokens, errors = request_all(DATA, ["tsa.example.org/tsr"])
    assert tokens == [] and "not an http:// or https:// URL" in errors[0]
    with pytest.raises(ValueError, match="data is empty"):
        request_timestamp(b"", "http://127.0.0.1:9/")


def test_request_all_one_good_one_dead(tsa: LocalTSA) -> None:
    dead = dead_url()
    tokens, errors = request_all(DATA, [tsa.url, dead], timeout=5)
    assert [t.tsa_url for t in tokens] == [tsa.url]
    assert verify_timestamp(tokens[0], DATA, tsa_certificate_pem=tsa.tsa_cert_pem)
    assert len(errors) == 1
    assert errors[0].startswith(f"TSA {dead} did not answer")
    assert request_all(DATA, []) == ([], [])
