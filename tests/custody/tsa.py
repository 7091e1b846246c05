"""A real RFC 3161 time-stamping authority on 127.0.0.1, for tests.

Everything is made with the ``openssl`` command: a CA, a TSA certificate signed by it
(``extendedKeyUsage = critical, timeStamping``), and an ``openssl ts -reply`` configuration.
A small ``http.server`` in a thread answers ``POST``\\ s of ``application/timestamp-query`` with
``openssl ts -reply`` output, exactly as a public TSA would.

:class:`LocalTSA` can also be told to misbehave (:attr:`LocalTSA.mode`) for negative tests:

* ``"ok"``            a genuine, signed reply;
* ``"reject"``        a genuine ``rejection`` (status 2) reply from openssl (unsupported policy);
* ``"garbage"``       ``200 OK`` with bytes that are not DER;
* ``"wrong_imprint"`` a genuine signed token, but over another digest (same nonce);
* ``"wrong_nonce"``   a genuine signed token over the right digest, with another nonce;
* ``"http_error"``    ``503 Service Unavailable``;
* ``"silent"``        read the request, then close the connection without any answer;
* ``"hang"``          read the request and say nothing for :attr:`LocalTSA.hang_seconds`.

:func:`dead_url` gives a URL on 127.0.0.1 where nothing listens.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.server
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from tests.conftest import missing

OPENSSL = shutil.which("openssl")
POLICY = "1.2.3.4.1"
TSA_SERIAL = 0x5A5A  # of the session TSA's certificate, so that tests can make a look-alike

Args = list[str | Path]

MODES = (
    "ok",
    "reject",
    "garbage",
    "wrong_imprint",
    "wrong_nonce",
    "http_error",
    "silent",
    "hang",
)

_CA_EXT = """\
[req]
distinguished_name = dn
prompt = no
[dn]
CN = {cn}
O = Dhakira test
[v3_ca]
basicConstraints = critical, CA:true
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[v3_tsa]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature, nonRepudiation
extendedKeyUsage = critical, timeStamping
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid, issuer
"""

_TS_CONF = """\
[tsa]
default_tsa = tsa_config

[tsa_config]
dir = {dir}
serial = $dir/serial
crypto_device = builtin
signer_cert = $dir/tsa.crt
{certs}signer_key = $dir/tsa.key
signer_digest = sha256
default_policy = {policy}
other_policies = 1.2.3.4.5
digests = sha256, sha384, sha512
accuracy = secs:1, millisecs:0, microsecs:0
clock_precision_digits = 0
ordering = no
tsa_name = yes
ess_cert_id_chain = yes
ess_cert_id_alg = sha256
"""


def require_openssl() -> str:
    """The path of ``openssl``; skip the test (fail it in CI) when it is missing."""
    if OPENSSL is None:
        missing("openssl is not installed: apt-get install -y openssl")
    assert OPENSSL is not None
    return OPENSSL


def _openssl(*args: str | Path, stdin: bytes | None = None) -> bytes:
    assert OPENSSL is not None
    proc = subprocess.run(
        [OPENSSL, *map(str, args)],
        input=stdin,
        capture_output=True,
        check=False,
        timeout=30,
    )
    if proc.returncode != 0:
        raise RuntimeError(
            f"openssl {' '.join(map(str, args))} failed: {proc.stderr.decode(errors='replace')}"
        )
    return proc.stdout


@dataclass(frozen=True)
class TSAKeys:
    """A CA and a TSA certificate it issued, as files in :attr:`dir`."""

    dir: Path
    ts_config: Path

    @property
    def tsa_cert_pem(self) -> bytes:
        return (self.dir / "tsa.crt").read_bytes()

    @property
    def ca_cert_pem(self) -> bytes:
        return (self.dir / "ca.crt").read_bytes()


_KEYS = {
    "ec": ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"),
    "rsa": ("-newkey", "rsa:2048"),
}


def make_tsa_keys(
    directory: Path,
    *,
    name: str = "Dhakira test TSA",
    key: str = "ec",
    include_chain: bool = True,
    serial: int | None = None,
) -> TSAKeys:
    """Generate (with openssl) a CA key and certificate, a TSA key and certificate, a ts config.

    ``key`` is the TSA's key type (``ec`` or ``rsa``); the CA's is always EC P-256.
    With ``include_chain`` the replies carry the CA certificate too (as most public TSAs do),
    otherwise only the TSA's own certificate. ``serial`` fixes the TSA certificate's serial
    number (random otherwise): with the same ``name`` it makes a look-alike of another TSA.
    """
    directory.mkdir(parents=True, exist_ok=True)
    ext = directory / "x509.cnf"
    ext.write_text(_CA_EXT.format(cn=f"{name} root CA"))
    tsa_req_conf = directory / "tsa-req.cnf"
    tsa_req_conf.write_text(_CA_EXT.format(cn=name))
    d = directory
    ca_key, ca_crt = d / "ca.key", d / "ca.crt"
    ca: Args = ["-config", ext, "-extensions", "v3_ca", "-days", "3650", "-sha256"]
    _openssl("req", "-x509", *_KEYS["ec"], "-nodes", "-keyout", ca_key, "-out", ca_crt, *ca)
    tsa_key, tsa_csr, tsa_crt = d / "tsa.key", d / "tsa.csr", d / "tsa.crt"
    req: Args = ["-config", tsa_req_conf, "-keyout", tsa_key, "-out", tsa_csr]
    _openssl("req", "-new", *_KEYS[key], "-nodes", *req)
    number: Args = ["-CAcreateserial"] if serial is None else ["-set_serial", str(serial)]
    sign: Args = ["-CA", ca_crt, "-CAkey", ca_key, *number, "-days", "3650", "-sha256"]
    tsa_ext: Args = ["-extfile", ext, "-extensions", "v3_tsa"]
    _openssl("x509", "-req", "-in", tsa_csr, "-out", tsa_crt, *sign, *tsa_ext)
    (directory / "serial").write_text("01\n")
    ts_config = directory / "ts.cnf"
    certs = "certs = $dir/ca.crt\n" if include_chain else ""
    ts_config.write_text(_TS_CONF.format(dir=directory, policy=POLICY, certs=certs))
    return TSAKeys(directory, ts_config)


# --- a little DER, enough to take a TimeStampReq apart ----------------------------------------


def _der_items(buf: bytes) -> Iterator[tuple[int, int, int]]:
    """(tag, start of contents, end of contents) for each TLV directly inside ``buf``."""
    i = 0
    while i < len(buf):
        tag = buf[i]
        length = buf[i + 1]
        i += 2
        if length & 0x80:
            n = length & 0x7F
            length = int.from_bytes(buf[i : i + n], "big")
            i += n
        yield tag, i, i + length
        i += length


def request_digest(query: bytes) -> tuple[bytes, int, int]:
    """The message imprint's hashedMessage of a DER TimeStampReq and where it lies in ``query``."""
    (_, start, end), *_ = _der_items(query)  # TimeStampReq ::= SEQUENCE
    inner = query[start:end]
    items = list(_der_items(inner))
    _, imp_start, imp_end = items[1]  # version, messageImprint, ...
    _, h_start, h_end = list(_der_items(inner[imp_start:imp_end]))[1]  # algorithm, hash
    offset = start + imp_start
    return inner[imp_start + h_start : imp_start + h_end], offset + h_start, offset + h_end


# --- the server ------------------------------------------------------------------------------


@dataclass
class LocalTSA:
    """A running TSA on 127.0.0.1; set :attr:`mode` to make it misbehave."""

    keys: TSAKeys
    url: str = ""
    mode: str = "ok"
    hang_seconds: float = 2.0
    requests: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def tsa_cert_pem(self) -> bytes:
        return self.keys.tsa_cert_pem

    @property
    def ca_cert_pem(self) -> bytes:
        return self.keys.ca_cert_pem

    def reply(self, query: bytes) -> bytes:
        """``openssl ts -reply`` for ``query`` (a DER TimeStampReq), as the current mode wants."""
        with self._lock, tempfile.TemporaryDirectory(prefix="tsa-") as tmp:
            qfile = Path(tmp) / "query.tsq"
            if self.mode == "wrong_imprint":
                digest, start, end = request_digest(query)
                other = hashlib.sha256(b"not what was asked" + digest).digest()[: len(digest)]
                query = query[:start] + other + query[end:]
            elif self.mode in ("wrong_nonce", "reject"):
                digest, _, _ = request_digest(query)
                policy = ("-tspolicy", "1.2.3.9.9") if self.mode == "reject" else ()
                query = _openssl(
                    "ts", "-query", "-digest", digest.hex(), "-sha256", "-cert", *policy
                )
            qfile.write_bytes(query)
            out = Path(tmp) / "reply.tsr"
            conf = self.keys.ts_config
            _openssl("ts", "-reply", "-config", conf, "-queryfile", qfile, "-out", out)
            return out.read_bytes()


def _handler(tsa: LocalTSA) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            tsa.requests += 1
            query = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            mode = tsa.mode
            if mode == "silent":
                self.close_connection = True
                return
            if mode == "hang":
                time.sleep(tsa.hang_seconds)
                self.close_connection = True
                return
            if mode == "http_error":
                self.send_error(503, "TSA is resting")
                return
            if self.headers.get("Content-Type") != "application/timestamp-query":
                self.send_error(415, "expected application/timestamp-query")
                return
            if mode == "garbage":
                body = b"<html>this is not a time-stamp response</html>"
            else:
                try:
                    body = tsa.reply(query)
                except RuntimeError as e:
                    self.send_error(500, str(e).splitlines()[0])
                    return
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass  # keep test output quiet

    return Handler


@contextlib.contextmanager
def serve(keys: TSAKeys) -> Iterator[LocalTSA]:
    """Run a :class:`LocalTSA` for ``keys`` on a free port of 127.0.0.1 until the block ends."""
    tsa = LocalTSA(keys)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler(tsa))
    server.daemon_threads = True
    tsa.url = f"http://127.0.0.1:{server.server_address[1]}/tsr"
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="local-tsa", daemon=True
    )
    thread.start()
    try:
        yield tsa
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def dead_url() -> str:
    """A URL on 127.0.0.1 where (right now) nothing listens."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/tsr"


# --- fixtures --------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def tsa_keys(tmp_path_factory: pytest.TempPathFactory) -> TSAKeys:
    """Keys and certificates of the test TSA, made once per session."""
    require_openssl()
    return make_tsa_keys(tmp_path_factory.mktemp("tsa"), serial=TSA_SERIAL)


@pytest.fixture(scope="session")
def other_tsa_keys(tmp_path_factory: pytest.TempPathFactory) -> TSAKeys:
    """A second, unrelated TSA (its own CA; RSA; replies without the CA certificate)."""
    require_openssl()
    directory = tmp_path_factory.mktemp("other-tsa")
    return make_tsa_keys(directory, name="Other test TSA", key="rsa", include_chain=False)


@pytest.fixture(scope="session")
def _tsa_server(tsa_keys: TSAKeys) -> Iterator[LocalTSA]:
    with serve(tsa_keys) as tsa:
        yield tsa


@pytest.fixture
def tsa(_tsa_server: LocalTSA) -> Iterator[LocalTSA]:
    """The session's local TSA, well-behaved at the start of every test."""
    _tsa_server.mode = "ok"
    _tsa_server.hang_seconds = 2.0
    yield _tsa_server
    _tsa_server.mode = "ok"
