"""RFC 3161 trusted timestamps for the custody log's signed checkpoints.

A checkpoint is sent, as a SHA-256 *message imprint*, to one or more independent time-stamping
authorities (TSAs). Each answers with a token, signed by the TSA, that binds the imprint to a
time (``genTime``). Tokens are plain bytes: store them, and check them again at any later time,
offline, with the TSA's certificate.

Requesting — :func:`request_timestamp`, :func:`request_all`
    Build a ``TimeStampReq`` with :mod:`rfc3161_client` (SHA-256 imprint of the data, a random
    64-bit nonce, ``certReq`` true), ``POST`` it (``Content-Type: application/timestamp-query``)
    with :mod:`urllib` over ``http``/``https`` only, and check the answer: HTTP 200, a DER
    ``TimeStampResp`` with status *granted* (or *granted with modifications*), a token carrying
    exactly the nonce and the imprint that were sent, and — when the TSA embedded its certificate,
    as ``certReq`` asks — a signature that verifies with that embedded certificate (steps 3–5
    below). That last check only catches broken answers early; it proves nothing about *who*
    signed. Trust comes from :func:`verify_timestamp`, with a certificate obtained out of band.

    :attr:`TimestampToken.token` is the TSA's whole DER ``TimeStampResp`` exactly as received
    (status and token): the ``.tsr`` file that ``openssl ts -reply -in`` and
    ``openssl ts -verify -in`` read. :attr:`TimestampToken.time_stamp_token` is the bare
    RFC 3161 ``TimeStampToken`` (CMS ``ContentInfo``) inside it.

Verifying — :func:`verify_timestamp`, offline: no network, and no clock but the token's own
    ``token`` is a :class:`TimestampToken` or the bytes of a DER ``TimeStampResp`` or of a bare
    ``TimeStampToken``. ``tsa_certificate_pem`` holds one or more PEM certificates: the TSA's
    (several are fine, e.g. before and after a key rollover) and optionally the CAs above it.
    These are the checks, in order; the first that fails raises :class:`TimestampError` naming it:

    1. The bytes parse as DER (definite lengths only): a ``TimeStampResp`` must have status
       *granted* or *granted with modifications* and contain a token; the token is a CMS
       ``SignedData`` whose encapsulated content type is ``id-ct-TSTInfo``, with exactly one
       ``SignerInfo``, and the ``TSTInfo`` parses.
    2. The signer — named by the ``SignerInfo``'s ``sid`` (issuer and serial number, or subject
       key identifier) — is one of the certificates in ``tsa_certificate_pem``. Certificates
       embedded in the token are never trusted for this.
    3. The signed attributes are present, no attribute type appears twice, ``content-type`` is
       ``id-ct-TSTInfo`` and ``message-digest`` equals the digest (SHA-256, -384 or -512, as the
       ``SignerInfo`` says) of the exact ``TSTInfo`` bytes.
    4. An ESS ``signing-certificate-v2`` (RFC 5816) or ``signing-certificate`` (RFC 2634)
       attribute is present and its first ``certHash`` is the hash of the signer certificate,
       binding the signature to that certificate (RFC 3161 §2.4.1).
    5. The signature over the DER signed attributes verifies with the signer certificate's public
       key: RSA PKCS #1 v1.5, ECDSA or Ed25519, with SHA-256, -384 or -512 (RSA-PSS, SHA-1 and
       anything else are refused as unsupported).
    6. The signer certificate has a critical extended-key-usage extension whose only purpose is
       ``id-kp-timeStamping`` (RFC 3161 §2.3); if it has a key-usage extension, that allows
       ``digitalSignature`` or ``nonRepudiation``; and it was valid at ``genTime``.
    7. Only if ``roots_pem`` is given: the signer certificate chains to one of those roots
       through the other certificates of ``tsa_certificate_pem`` and those embedded in the token
       (as untrusted intermediates): each link's signature and issuer name verify, every issuer
       is a CA (basic constraints ``cA``; ``keyCertSign`` if it has key usage), and every
       certificate on the path, the root included, was valid at ``genTime``. Without
       ``roots_pem`` the TSA certificate given is itself the trust anchor (pinned).
    8. The ``TSTInfo`` has version 1, its message imprint uses SHA-256 and equals
       SHA-256(``data``).
    9. For a :class:`TimestampToken`, its recorded ``digest``, ``gen_time``, ``serial`` and
       ``policy`` equal the signed values.

    Not checked: revocation (no CRL or OCSP — offline), the nonce (it only means something at
    request time, where it is checked), the TSA's policy OID (compare
    :attr:`TimestampToken.policy` yourself if it matters), ``accuracy``, ``ordering``, the
    ``tsa`` name field, and today's date: a token made while the TSA certificate was valid stays
    valid after that certificate expires.

Why not :class:`rfc3161_client.Verifier`: in the installed version (1.0.9) it refuses to parse
answers whose embedded certificates are not in DER ``SET OF`` order — which is what OpenSSL-based
TSAs that include their CA certificate send —, it cannot pin a TSA certificate without its root,
and it reports a tampered ``genTime`` as a certificate-validity error. It is still used to build
requests.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import http.client
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import ExtendedKeyUsageOID
from rfc3161_client import HashAlgorithm, TimestampRequestBuilder

from dhakira.errors import DhakiraError

__all__ = [
    "TimestampError",
    "TimestampToken",
    "request_all",
    "request_timestamp",
    "verify_timestamp",
]

QUERY_TYPE = "application/timestamp-query"
REPLY_TYPE = "application/timestamp-reply"
MAX_REPLY = 1 << 20  # a TimeStampResp with a long chain is a few KiB

_SHA256 = "2.16.840.1.101.3.4.2.1"
_SHA384 = "2.16.840.1.101.3.4.2.2"
_SHA512 = "2.16.840.1.101.3.4.2.3"
_SHA1 = "1.3.14.3.2.26"
_HASHES: dict[str, tuple[str, type[hashes.HashAlgorithm]]] = {
    _SHA256: ("sha256", hashes.SHA256),
    _SHA384: ("sha384", hashes.SHA384),
    _SHA512: ("sha512", hashes.SHA512),
}
_ID_SIGNED_DATA = "1.2.840.113549.1.7.2"
_ID_CT_TSTINFO = "1.2.840.113549.1.9.16.1.4"
_ATTR_CONTENT_TYPE = "1.2.840.113549.1.9.3"
_ATTR_MESSAGE_DIGEST = "1.2.840.113549.1.9.4"
_ATTR_SIGNING_CERT = "1.2.840.113549.1.9.16.2.12"
_ATTR_SIGNING_CERT_V2 = "1.2.840.113549.1.9.16.2.47"
_RSA = "1.2.840.113549.1.1.1"
_RSA_WITH = {
    "1.2.840.113549.1.1.11": _SHA256,
    "1.2.840.113549.1.1.12": _SHA384,
    "1.2.840.113549.1.1.13": _SHA512,
}
_EC_PUBLIC_KEY = "1.2.840.10045.2.1"
_ECDSA_WITH = {
    "1.2.840.10045.4.3.2": _SHA256,
    "1.2.840.10045.4.3.3": _SHA384,
    "1.2.840.10045.4.3.4": _SHA512,
}
_ED25519 = "1.3.101.112"

_STATUS = {
    0: "granted",
    1: "grantedWithMods",
    2: "rejection",
    3: "waiting",
    4: "revocationWarning",
    5: "revocationNotification",
}
_FAILURES = {
    0: "badAlg",
    2: "badRequest",
    5: "badDataFormat",
    14: "timeNotAvailable",
    15: "unacceptedPolicy",
    16: "unacceptedExtension",
    17: "addInfoNotAvailable",
    25: "systemFailure",
}


class TimestampError(DhakiraError):
    """A TSA did not give a usable timestamp, or a timestamp does not verify."""


@dataclass(frozen=True)
class TimestampToken:
    """One TSA's timestamp of some data, as stored next to a checkpoint."""

    tsa_url: str
    token: bytes  # the whole DER TimeStampResp, exactly as the TSA sent it
    gen_time: str  # the TSTInfo's genTime, ISO 8601 UTC (dhakira.timeutil's format)
    digest: bytes  # the message imprint: SHA-256 of the timestamped data
    serial: int  # the TSA's serial number of this token
    policy: str  # the TSA policy OID, dotted

    @classmethod
    def from_der(cls, token: bytes, tsa_url: str = "") -> TimestampToken:
        """Rebuild from stored bytes (a ``TimeStampResp`` or a bare ``TimeStampToken``).

        Only parses: nothing is verified, see :func:`verify_timestamp`.
        """
        try:
            tst = _load(token).tst
        except _Malformed as e:
            raise TimestampError(f"not a usable time-stamp token: {e}") from e
        return cls(tsa_url, token, _iso(tst.gen_time), tst.digest, tst.serial, tst.policy)

    @property
    def time_stamp_token(self) -> bytes:
        """The bare RFC 3161 ``TimeStampToken`` (a DER CMS ``ContentInfo``)."""
        try:
            return _load(self.token).raw
        except _Malformed as e:
            raise TimestampError(f"not a usable time-stamp token: {e}") from e


# --- requesting ------------------------------------------------------------------------------


def request_timestamp(
    data: bytes,
    url: str,
    *,
    timeout: float = 30.0,
    opener: urllib.request.OpenerDirector | None = None,
) -> TimestampToken:
    """Ask the TSA at ``url`` to timestamp ``data``; see the module docstring for the checks.

    ``opener`` replaces ``urllib.request.build_opener()`` (for proxies, custom TLS, tests).
    Raises :class:`TimestampError` when the TSA cannot be reached or its answer is unusable.
    """
    if not data:
        raise ValueError("nothing to timestamp: data is empty")
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError as e:
        raise TimestampError(f"TSA URL {url!r} is not a valid URL: {e}") from e
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise TimestampError(f"TSA URL {url!r} is not an http:// or https:// URL")

    query = (
        TimestampRequestBuilder()
        .data(data)
        .hash_algorithm(HashAlgorithm.SHA256)
        .nonce(nonce=True)
        .cert_request(cert_request=True)
        .build()
    )
    nonce = query.nonce
    digest = hashlib.sha256(data).digest()
    request = urllib.request.Request(
        url,
        data=query.as_bytes(),
        method="POST",
        headers={"Content-Type": QUERY_TYPE, "Accept": REPLY_TYPE},
    )
    body, content_type = _post(request, url, timeout, opener or urllib.request.build_opener())

    try:
        reply = _parse_reply(body)
    except _Malformed as e:
        raise TimestampError(
            f"TSA {url} did not send a time-stamp response (Content-Type {content_type!r}): {e}"
        ) from e
    if reply.status not in (0, 1):
        raise TimestampError(f"TSA {url} refused the request: {reply.describe_status()}")
    token = reply.token
    if token is None:
        raise TimestampError(f"TSA {url} granted the request but sent no token")
    tst = token.tst
    if nonce is None or tst.nonce != nonce:
        raise TimestampError(
            f"TSA {url} answered with another nonce than was sent (a stale or misrouted answer)"
        )
    if tst.hash_oid != _SHA256 or tst.digest != digest:
        raise TimestampError(
            f"TSA {url} timestamped other data than was sent: its message imprint is "
            f"{tst.digest.hex()} ({tst.hash_oid}), not the SHA-256 {digest.hex()}"
        )
    embedded = _find_signer(token, token.certificates)
    if embedded is not None:
        try:
            _check_signed_attributes(token, embedded)
            _check_signature(token, embedded)
            _check_tsa_certificate(embedded, tst.gen_time)
        except _Invalid as e:
            raise TimestampError(
                f"TSA {url} sent a token that does not verify with its own certificate: {e}"
            ) from e
    return TimestampToken(url, body, _iso(tst.gen_time), tst.digest, tst.serial, tst.policy)


def request_all(
    data: bytes,
    urls: Sequence[str],
    *,
    timeout: float = 30.0,
    opener: urllib.request.OpenerDirector | None = None,
) -> tuple[list[TimestampToken], list[str]]:
    """Ask every TSA in ``urls`` at once; return the tokens of those that answered (in the order
    of ``urls``) and one error line for each that did not."""
    if not urls:
        return [], []
    with ThreadPoolExecutor(max_workers=min(len(urls), 8), thread_name_prefix="tsa") as pool:
        futures = [
            pool.submit(request_timestamp, data, url, timeout=timeout, opener=opener)
            for url in urls
        ]
    tokens: list[TimestampToken] = []
    errors: list[str] = []
    for future in futures:
        try:
            tokens.append(future.result())
        except TimestampError as e:
            errors.append(str(e))
    return tokens, errors


def _post(
    request: urllib.request.Request,
    url: str,
    timeout: float,
    opener: urllib.request.OpenerDirector,
) -> tuple[bytes, str]:
    try:
        with opener.open(request, timeout=timeout) as response:
            body: bytes = response.read(MAX_REPLY + 1)
            content_type = str(response.headers.get("Content-Type", ""))
    except urllib.error.HTTPError as e:
        e.close()
        raise TimestampError(f"TSA {url} did not answer: HTTP {e.code} {e.reason}") from e
    except urllib.error.URLError as e:
        raise TimestampError(f"TSA {url} did not answer: {_describe(e.reason)}") from e
    except (OSError, http.client.HTTPException) as e:
        raise TimestampError(f"TSA {url} did not answer: {_describe(e)}") from e
    if len(body) > MAX_REPLY:
        raise TimestampError(f"TSA {url} sent more than {MAX_REPLY} bytes")
    return body, content_type


def _describe(reason: object) -> str:
    if isinstance(reason, TimeoutError):
        return "timed out"
    if isinstance(reason, OSError) and reason.strerror:
        return reason.strerror
    text = str(reason)
    return text or type(reason).__name__


# --- verifying -------------------------------------------------------------------------------


def verify_timestamp(
    token: TimestampToken | bytes,
    data: bytes,
    *,
    tsa_certificate_pem: bytes,
    roots_pem: bytes | None = None,
) -> str:
    """Verify ``token`` over ``data`` offline; return its ``genTime`` (ISO 8601 UTC).

    See the module docstring for exactly what is checked. Raises :class:`TimestampError`
    naming the first check that failed.
    """
    der = token.token if isinstance(token, TimestampToken) else token
    pinned = _load_pem(tsa_certificate_pem, "tsa_certificate_pem")
    roots = _load_pem(roots_pem, "roots_pem") if roots_pem is not None else None
    try:
        parsed = _load(der)
    except _Malformed as e:
        raise TimestampError(f"timestamp does not verify: not a usable token: {e}") from e
    tst = parsed.tst
    try:
        signer = _find_signer(parsed, pinned)
        if signer is None:
            raise _Invalid(
                "it was not signed by the TSA certificate given "
                f"(the signer is {_describe_sid(parsed)})"
            )
        _check_signed_attributes(parsed, signer)
        _check_signature(parsed, signer)
        _check_tsa_certificate(signer, tst.gen_time)
        if roots is not None:
            pool = [c for c in [*pinned, *parsed.certificates] if c != signer]
            if not _chains_to(signer, pool, roots, tst.gen_time, depth=0, seen=[]):
                raise _Invalid(
                    f"the TSA certificate ({signer.subject.rfc4514_string()}) does not chain to "
                    "the given roots (with certificates valid at the token's time)"
                )
        if tst.version != 1:
            raise _Invalid(f"TSTInfo version is {tst.version}, not 1")
        if tst.hash_oid != _SHA256:
            raise _Invalid(f"its message imprint uses {tst.hash_oid}, not SHA-256")
        if tst.digest != hashlib.sha256(data).digest():
            raise _Invalid("the data differs from what was timestamped (message imprint mismatch)")
        gen_time = _iso(tst.gen_time)
        if isinstance(token, TimestampToken):
            recorded = (token.digest, token.gen_time, token.serial, token.policy)
            if recorded != (tst.digest, gen_time, tst.serial, tst.policy):
                raise _Invalid(
                    "the recorded digest, gen_time, serial or policy differ from the signed ones"
                )
    except _Invalid as e:
        raise TimestampError(f"timestamp does not verify: {e}") from e
    return gen_time


def _load_pem(pem: bytes, name: str) -> list[x509.Certificate]:
    try:
        return x509.load_pem_x509_certificates(pem)
    except ValueError as e:
        raise TimestampError(f"{name}: no PEM certificate could be read ({e})") from e


class _Invalid(Exception):
    """A verification step failed (internal; surfaces as TimestampError)."""


def _find_signer(token: _Token, candidates: Sequence[x509.Certificate]) -> x509.Certificate | None:
    si = token.signer
    for cert in candidates:
        if si.ski is not None:
            try:
                ski = cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
            except (x509.ExtensionNotFound, ValueError):
                continue
            if ski.value.digest == si.ski:
                return cert
        elif cert.serial_number == si.serial and _raw_issuer(cert) == si.issuer:
            return cert
    return None


def _raw_issuer(cert: x509.Certificate) -> bytes:
    """The issuer Name exactly as encoded in the certificate (compared byte for byte)."""
    try:
        fields = _der(cert.tbs_certificate_bytes, "tbsCertificate").children()
        if fields and fields[0].tag == _CTX0:  # [0] version
            fields = fields[1:]
        return fields[2].raw  # serialNumber, signature, issuer
    except (_Malformed, IndexError):
        return b""


def _describe_sid(token: _Token) -> str:
    si = token.signer
    if si.ski is not None:
        return f"the certificate with subject key identifier {si.ski.hex()}"
    for cert in token.certificates:
        if cert.serial_number == si.serial and _raw_issuer(cert) == si.issuer:
            return f"{cert.subject.rfc4514_string()}, serial {cert.serial_number:x}"
    return f"serial {si.serial or 0:x} of another issuer"


def _check_signed_attributes(token: _Token, cert: x509.Certificate) -> None:
    si = token.signer
    if si.signed_attrs is None:
        raise _Invalid("the signature has no signed attributes")
    attrs: dict[str, list[_Node]] = {}
    try:
        for attr in si.signed_attrs.children():
            kind, values = attr.expect(_SEQ, "attribute").children()
            oid = _oid(kind)
            if oid in attrs:
                raise _Invalid(f"signed attribute {oid} appears twice")
            attrs[oid] = values.expect(_SET, "attribute values").children()
    except (_Malformed, ValueError) as e:
        raise _Invalid(f"unreadable signed attributes: {e}") from e

    def single(oid: str, name: str) -> _Node:
        values = attrs.get(oid, [])
        if len(values) != 1:
            raise _Invalid(f"signed attribute {name} is missing or has {len(values)} values")
        return values[0]

    try:
        if _oid(single(_ATTR_CONTENT_TYPE, "content-type")) != _ID_CT_TSTINFO:
            raise _Invalid("signed content-type is not id-ct-TSTInfo")
        declared = single(_ATTR_MESSAGE_DIGEST, "message-digest").expect(_OCTETS, "digest").body
    except _Malformed as e:
        raise _Invalid(f"unreadable signed attributes: {e}") from e
    if si.digest_oid not in _HASHES:
        raise _Invalid(f"unsupported digest algorithm {si.digest_oid}")
    if hashlib.new(_HASHES[si.digest_oid][0], token.tst.raw).digest() != declared:
        raise _Invalid("the signed message-digest does not match the TSTInfo (altered content)")

    cert_der = cert.public_bytes(Encoding.DER)
    try:
        if _ATTR_SIGNING_CERT_V2 in attrs:
            first = _first_ess_cert_id(single(_ATTR_SIGNING_CERT_V2, "signing-certificate-v2"))
            hash_oid = _SHA256
            if first[0].tag == _SEQ:
                hash_oid = _algorithm(first[0])
                first = first[1:]
            if hash_oid not in _HASHES:
                raise _Invalid(f"unsupported ESS certificate hash {hash_oid}")
            expected = hashlib.new(_HASHES[hash_oid][0], cert_der).digest()
        elif _ATTR_SIGNING_CERT in attrs:
            first = _first_ess_cert_id(single(_ATTR_SIGNING_CERT, "signing-certificate"))
            expected = hashlib.sha1(cert_der).digest()
        else:
            raise _Invalid("no ESS signing-certificate attribute (RFC 3161 §2.4.1)")
        if first[0].expect(_OCTETS, "certHash").body != expected:
            raise _Invalid("the ESS signing-certificate attribute names another certificate")
    except (_Malformed, IndexError) as e:
        raise _Invalid(f"unreadable ESS signing-certificate attribute: {e}") from e


def _first_ess_cert_id(value: _Node) -> list[_Node]:
    certs = value.expect(_SEQ, "SigningCertificate").children()[0].expect(_SEQ, "certs")
    return certs.children()[0].expect(_SEQ, "ESSCertID").children()


def _check_signature(token: _Token, cert: x509.Certificate) -> None:
    si = token.signer
    assert si.signed_attrs is not None  # checked by _check_signed_attributes
    signed = bytes([_SET]) + si.signed_attrs.raw[1:]  # signed as SET OF, sent as [0] IMPLICIT
    key = cert.public_key()
    try:
        if si.sig_oid == _RSA or si.sig_oid in _RSA_WITH:
            hash_cls = _HASHES[_RSA_WITH.get(si.sig_oid, si.digest_oid)][1]
            if not isinstance(key, rsa.RSAPublicKey):
                raise _Invalid("RSA signature, but the certificate's key is not RSA")
            key.verify(si.signature, signed, padding.PKCS1v15(), hash_cls())
        elif si.sig_oid == _EC_PUBLIC_KEY or si.sig_oid in _ECDSA_WITH:
            hash_cls = _HASHES[_ECDSA_WITH.get(si.sig_oid, si.digest_oid)][1]
            if not isinstance(key, ec.EllipticCurvePublicKey):
                raise _Invalid("ECDSA signature, but the certificate's key is not EC")
            key.verify(si.signature, signed, ec.ECDSA(hash_cls()))
        elif si.sig_oid == _ED25519:
            if not isinstance(key, ed25519.Ed25519PublicKey):
                raise _Invalid("Ed25519 signature, but the certificate's key is not Ed25519")
            key.verify(si.signature, signed)
        else:
            raise _Invalid(f"unsupported signature algorithm {si.sig_oid}")
    except KeyError as e:
        raise _Invalid(f"unsupported digest algorithm {si.digest_oid}") from e
    except InvalidSignature as e:
        raise _Invalid("the TSA's signature is invalid (the token was altered)") from e
    except UnsupportedAlgorithm as e:
        raise _Invalid(f"unsupported signature: {e}") from e


def _check_tsa_certificate(cert: x509.Certificate, at: dt.datetime) -> None:
    subject = cert.subject.rfc4514_string()
    try:
        eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    except x509.ExtensionNotFound:
        raise _Invalid(f"TSA certificate {subject} has no extended key usage") from None
    except ValueError as e:
        raise _Invalid(f"TSA certificate {subject} has unreadable extensions: {e}") from e
    if not eku.critical or list(eku.value) != [ExtendedKeyUsageOID.TIME_STAMPING]:
        raise _Invalid(
            f"TSA certificate {subject} is not for time stamping only "
            "(RFC 3161 wants a critical extended key usage of just id-kp-timeStamping)"
        )
    try:
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
        if not (usage.digital_signature or usage.content_commitment):
            raise _Invalid(f"TSA certificate {subject}'s key usage does not allow signing")
    except x509.ExtensionNotFound:
        pass
    if not _valid_at(cert, at):
        raise _Invalid(
            f"TSA certificate {subject} was not valid at the token's time {_iso(at)} "
            f"(valid {_iso(cert.not_valid_before_utc)} to {_iso(cert.not_valid_after_utc)})"
        )


def _valid_at(cert: x509.Certificate, at: dt.datetime) -> bool:
    return cert.not_valid_before_utc <= at <= cert.not_valid_after_utc


def _issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    try:
        cert.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature, UnsupportedAlgorithm):
        return False
    return True


def _is_ca(cert: x509.Certificate) -> bool:
    try:
        if not cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca:
            return False
    except (x509.ExtensionNotFound, ValueError):
        return False
    try:
        return cert.extensions.get_extension_for_class(x509.KeyUsage).value.key_cert_sign
    except x509.ExtensionNotFound:
        return True
    except ValueError:
        return False


def _chains_to(
    cert: x509.Certificate,
    pool: Sequence[x509.Certificate],
    roots: Sequence[x509.Certificate],
    at: dt.datetime,
    *,
    depth: int,
    seen: list[x509.Certificate],
) -> bool:
    """Whether ``cert`` (already checked) leads through ``pool`` to one of ``roots``."""
    if cert in roots:
        return True
    if depth > 8:
        return False
    for root in roots:
        if _is_ca(root) and _valid_at(root, at) and _issued_by(cert, root):
            return True
    for issuer in pool:
        if issuer in seen or issuer == cert:
            continue
        if _is_ca(issuer) and _valid_at(issuer, at) and _issued_by(cert, issuer):
            path = [*seen, cert]
            if _chains_to(issuer, pool, roots, at, depth=depth + 1, seen=path):
                return True
    return False


def _iso(t: dt.datetime) -> str:
    return t.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# --- a small DER reader: just what TimeStampResp, CMS SignedData and TSTInfo need -------------
#
# Definite lengths only (no BER indefinite form); SET OF order is not enforced, since TSAs built
# on OpenSSL send their certificates in chain order. Everything covered by the signature is
# hashed or verified from the exact bytes received, never from a re-encoding.

_INTEGER, _BITS, _OCTETS, _OID = 0x02, 0x03, 0x04, 0x06
_GENTIME, _SEQ, _SET = 0x18, 0x30, 0x31
_CTX0, _CTX1, _CTX0_PRIMITIVE = 0xA0, 0xA1, 0x80


class _Malformed(Exception):
    """The bytes are not the DER structure expected (internal)."""


@dataclass(frozen=True)
class _Node:
    tag: int
    raw: bytes  # identifier, length and contents
    body: bytes  # contents only

    def children(self) -> list[_Node]:
        return _der_all(self.body)

    def expect(self, tag: int, what: str) -> _Node:
        if self.tag != tag:
            raise _Malformed(f"{what}: expected tag 0x{tag:02x}, found 0x{self.tag:02x}")
        return self


def _der_next(buf: bytes, pos: int) -> tuple[_Node, int]:
    if pos + 2 > len(buf):
        raise _Malformed("truncated")
    tag, first = buf[pos], buf[pos + 1]
    if tag & 0x1F == 0x1F:
        raise _Malformed("multi-byte tags are not supported")
    start = pos + 2
    if first == 0x80:
        raise _Malformed("indefinite length (BER) is not supported")
    if first & 0x80:
        n = first & 0x7F
        if n > 4 or start + n > len(buf):
            raise _Malformed("bad length")
        length = int.from_bytes(buf[start : start + n], "big")
        start += n
    else:
        length = first
    end = start + length
    if end > len(buf):
        raise _Malformed("truncated")
    return _Node(tag, buf[pos:end], buf[start:end]), end


def _der_all(buf: bytes) -> list[_Node]:
    nodes: list[_Node] = []
    pos = 0
    while pos < len(buf):
        node, pos = _der_next(buf, pos)
        nodes.append(node)
    return nodes


def _der(buf: bytes, what: str) -> _Node:
    node, end = _der_next(buf, 0)
    if end != len(buf):
        raise _Malformed(f"{what}: {len(buf) - end} bytes after the end")
    return node


def _only(node: _Node, what: str) -> _Node:
    children = node.children()
    if len(children) != 1:
        raise _Malformed(f"{what}: expected one element, found {len(children)}")
    return children[0]


def _int(node: _Node) -> int:
    node.expect(_INTEGER, "INTEGER")
    if not node.body:
        raise _Malformed("empty INTEGER")
    return int.from_bytes(node.body, "big", signed=True)


def _oid(node: _Node) -> str:
    body = node.expect(_OID, "OBJECT IDENTIFIER").body
    if not body or body[-1] & 0x80:
        raise _Malformed("bad OBJECT IDENTIFIER")
    arcs: list[int] = []
    value = 0
    for byte in body:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            arcs.append(value)
            value = 0
    top = min(arcs[0] // 40, 2)
    return ".".join(map(str, [top, arcs[0] - 40 * top, *arcs[1:]]))


def _algorithm(node: _Node) -> str:
    """The OID of an AlgorithmIdentifier (parameters are not needed for what is supported)."""
    children = node.expect(_SEQ, "AlgorithmIdentifier").children()
    if not children:
        raise _Malformed("empty AlgorithmIdentifier")
    return _oid(children[0])


_GENERALIZED_TIME = re.compile(rb"(\d{14})(?:\.(\d{1,12}))?Z")


def _gentime(node: _Node) -> dt.datetime:
    match = _GENERALIZED_TIME.fullmatch(node.expect(_GENTIME, "genTime").body)
    if match is None:
        raise _Malformed("genTime is not a UTC GeneralizedTime")
    try:
        t = dt.datetime.strptime(match[1].decode(), "%Y%m%d%H%M%S").replace(tzinfo=dt.UTC)
    except ValueError as e:
        raise _Malformed(f"bad genTime: {e}") from e
    fraction = match[2] or b""
    return t.replace(microsecond=int((fraction + b"000000")[:6].decode()))


@dataclass(frozen=True)
class _TSTInfo:
    raw: bytes  # exactly the bytes the message-digest attribute covers
    version: int
    policy: str
    hash_oid: str
    digest: bytes
    serial: int
    gen_time: dt.datetime
    nonce: int | None


@dataclass(frozen=True)
class _SignerInfo:
    issuer: bytes | None  # raw DER Name, with serial; or ski
    serial: int | None
    ski: bytes | None
    digest_oid: str
    signed_attrs: _Node | None
    sig_oid: str
    signature: bytes


@dataclass(frozen=True)
class _Token:
    raw: bytes  # the TimeStampToken (ContentInfo)
    tst: _TSTInfo
    certificates: list[x509.Certificate]
    signer: _SignerInfo


@dataclass(frozen=True)
class _Reply:
    status: int
    texts: list[str]
    failures: list[str]
    token: _Token | None

    def describe_status(self) -> str:
        out = f"status {self.status} ({_STATUS.get(self.status, 'unknown')})"
        if self.texts:
            out += ": " + " ".join(self.texts)
        if self.failures:
            out += f" [{', '.join(self.failures)}]"
        return out


def _parse_reply(der: bytes) -> _Reply:
    try:
        items = _der(der, "TimeStampResp").expect(_SEQ, "TimeStampResp").children()
        if not 1 <= len(items) <= 2:
            raise _Malformed("TimeStampResp: wrong number of fields")
        info = items[0].expect(_SEQ, "PKIStatusInfo").children()
        if not info:
            raise _Malformed("empty PKIStatusInfo")
        status = _int(info[0])
        texts: list[str] = []
        failures: list[str] = []
        for node in info[1:]:
            if node.tag == _SEQ:
                texts = [c.body.decode("utf-8", "replace") for c in node.children()]
            elif node.tag == _BITS and node.body:
                bits = "".join(f"{byte:08b}" for byte in node.body[1:])
                failures = [_FAILURES.get(i, f"bit {i}") for i, b in enumerate(bits) if b == "1"]
        token = _parse_token(items[1]) if len(items) == 2 else None
    except (IndexError, ValueError) as e:
        raise _Malformed(str(e)) from e
    return _Reply(status, texts, failures, token)


def _load(der: bytes) -> _Token:
    """The token in a stored TimeStampResp (which must be granted) or bare TimeStampToken."""
    try:
        top = _der(der, "token").expect(_SEQ, "token")
        first = top.children()[0]
    except IndexError as e:
        raise _Malformed("empty SEQUENCE") from e
    if first.tag == _OID:
        try:
            return _parse_token(top)
        except (IndexError, ValueError) as e:
            raise _Malformed(str(e)) from e
    reply = _parse_reply(der)
    if reply.status not in (0, 1):
        raise _Malformed(f"the TSA refused it: {reply.describe_status()}")
    if reply.token is None:
        raise _Malformed("the time-stamp response holds no token")
    return reply.token


def _parse_token(node: _Node) -> _Token:
    """Parse a TimeStampToken; may raise _Malformed, IndexError or ValueError."""
    content_type, content = node.expect(_SEQ, "ContentInfo").children()
    if _oid(content_type) != _ID_SIGNED_DATA:
        raise _Malformed("the token is not CMS SignedData")
    fields = _only(content.expect(_CTX0, "content"), "content").expect(_SEQ, "SignedData")
    version, _digest_algorithms, encap, *rest = fields.children()
    _int(version)
    e_type, e_content = encap.expect(_SEQ, "EncapsulatedContentInfo").children()
    if _oid(e_type) != _ID_CT_TSTINFO:
        raise _Malformed("the signed content is not a TSTInfo")
    tst_der = _only(e_content.expect(_CTX0, "eContent"), "eContent").expect(_OCTETS, "eContent")
    certificates: list[x509.Certificate] = []
    if rest and rest[0].tag == _CTX0:
        for choice in rest[0].children():
            if choice.tag != _SEQ:  # other choices (attribute certificates...) are not needed
                continue
            if _certificate_serial(choice) <= 0:
                continue  # cryptography warns on those (RFC 5280 forbids them); never needed
            try:
                certificates.append(x509.load_der_x509_certificate(choice.raw))
            except x509.InvalidVersion as e:
                raise _Malformed(f"embedded certificate: {e}") from e
        rest = rest[1:]
    if rest and rest[0].tag == _CTX1:  # CRLs
        rest = rest[1:]
    if len(rest) != 1:
        raise _Malformed("SignedData: unexpected fields")
    signer_infos = rest[0].expect(_SET, "signerInfos").children()
    if len(signer_infos) != 1:
        raise _Malformed(f"the token has {len(signer_infos)} signatures instead of one")
    return _Token(
        node.raw, _parse_tst_info(tst_der.body), certificates, _parse_signer(signer_infos[0])
    )


def _certificate_serial(certificate: _Node) -> int:
    fields = certificate.children()[0].expect(_SEQ, "tbsCertificate").children()
    if fields[0].tag == _CTX0:  # [0] version
        fields = fields[1:]
    return _int(fields[0])


def _parse_signer(node: _Node) -> _SignerInfo:
    version, sid, digest_alg, *rest = node.expect(_SEQ, "SignerInfo").children()
    _int(version)
    issuer: bytes | None = None
    serial: int | None = None
    ski: bytes | None = None
    if sid.tag == _SEQ:
        name, number = sid.children()
        issuer, serial = name.expect(_SEQ, "issuer").raw, _int(number)
    elif sid.tag == _CTX0_PRIMITIVE:
        ski = sid.body
    else:
        raise _Malformed("SignerInfo: unknown signer identifier")
    signed_attrs = None
    if rest and rest[0].tag == _CTX0:
        signed_attrs, rest = rest[0], rest[1:]
    sig_alg, signature, *_unsigned = rest
    return _SignerInfo(
        issuer,
        serial,
        ski,
        _algorithm(digest_alg),
        signed_attrs,
        _algorithm(sig_alg),
        signature.expect(_OCTETS, "signature").body,
    )


def _parse_tst_info(der: bytes) -> _TSTInfo:
    version, policy, imprint, serial, gen_time, *rest = (
        _der(der, "TSTInfo").expect(_SEQ, "TSTInfo").children()
    )
    hash_alg, hashed = imprint.expect(_SEQ, "MessageImprint").children()
    nonce = None
    for node in rest:  # accuracy, ordering, nonce, tsa, extensions: only nonce is an INTEGER
        if node.tag == _INTEGER:
            nonce = _int(node)
    return _TSTInfo(
        raw=der,
        version=_int(version),
        policy=_oid(policy),
        hash_oid=_algorithm(hash_alg),
        digest=hashed.expect(_OCTETS, "hashedMessage").body,
        serial=_int(serial),
        gen_time=_gentime(gen_time),
        nonce=nonce,
    )
