"""gzip for pages, JSON, CSS and JavaScript: a search page of ~24 KB travels as ~4 KB, which
is what members on slow or metered connections notice most.

Only whole, small-enough bodies of textual types are compressed; originals, media, ranges
(206) and streamed bodies pass through untouched, so byte ranges keep meaning the stored
bytes. Pages that carry a CSRF token also reflect what the user typed (a search box), the
shape BREACH attacks: every page therefore carries the token masked with fresh random bytes
(:func:`mask_token`), so no secret repeats from one compressed response to the next.
"""

from __future__ import annotations

import base64
import hmac
import secrets
import zlib

from starlette.types import ASGIApp, Message, Receive, Scope, Send

TEXTUAL = (b"text/html", b"application/json", b"text/css", b"text/javascript")
MIN_SIZE = 1024  # below one packet, compression buys nothing
MAX_SIZE = 4 * 1024 * 1024  # larger JSON bodies (a big listing) go as they are
LEVEL = 6


def mask_token(token: str) -> str:
    """``token`` XORed with a fresh random pad, pad first (base64url): different bytes in
    every response, the same token once unmasked."""
    raw = token.encode()
    pad = secrets.token_bytes(len(raw))
    return base64.urlsafe_b64encode(pad + _xor(pad, raw)).decode()


def token_matches(given: str, token: str) -> bool:
    """True when ``given`` is ``token``, masked (:func:`mask_token`) or as it is."""
    if not given or not token:
        return False
    if len(given) != len(token):
        try:
            both = base64.urlsafe_b64decode(given.encode())
        except (ValueError, UnicodeEncodeError):
            return False
        half = len(both) // 2
        if len(both) != 2 * len(token.encode()):
            return False
        return hmac.compare_digest(_xor(both[:half], both[half:]), token.encode())
    return hmac.compare_digest(given.encode(), token.encode())


def _xor(a: bytes, b: bytes) -> bytes:
    return bytes(x ^ y for x, y in zip(a, b, strict=True))


class Compress:
    """ASGI middleware: gzip a response's single body when the client accepts it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _accepts_gzip(scope):
            await self.app(scope, receive, send)
            return
        start: Message | None = None

        async def compressing(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                if _compressible(message):
                    start = message  # held until the body says whether it is worth it
                    return
                await send(message)
                return
            if start is None or message["type"] != "http.response.body":
                await send(message)
                return
            held, start = start, None
            body = message.get("body", b"")
            if message.get("more_body") or not MIN_SIZE <= len(body) <= MAX_SIZE:
                await send(held)  # streamed or too small: as it is
                await send(message)
                return
            packed = _gzip(body)
            headers = [(k, v) for k, v in held.get("headers", []) if k.lower() != b"content-length"]
            headers += [
                (b"content-encoding", b"gzip"),
                (b"content-length", str(len(packed)).encode()),
                (b"vary", b"Accept-Encoding"),
            ]
            await send({**held, "headers": headers})
            await send({"type": "http.response.body", "body": packed})

        await self.app(scope, receive, compressing)


def _accepts_gzip(scope: Scope) -> bool:
    for name, value in scope.get("headers", []):
        if name == b"accept-encoding":
            return any(
                part.split(b";")[0].strip() == b"gzip" and b"q=0" not in part.replace(b" ", b"")
                for part in value.lower().split(b",")
            )
    return False


def _compressible(start: Message) -> bool:
    if start.get("status") not in (200, 400, 403, 404):
        return False
    kind = b""
    for name, value in start.get("headers", []):
        lowered = name.lower()
        if lowered in (b"content-encoding", b"content-range", b"content-disposition"):
            return False  # already encoded, a byte range, or a download: as it is
        if lowered == b"content-type":
            kind = value.split(b";")[0].strip().lower()
    return kind in TEXTUAL


def _gzip(body: bytes) -> bytes:
    packer = zlib.compressobj(LEVEL, zlib.DEFLATED, 31)  # 31: the gzip wrapper
    return packer.compress(body) + packer.flush()
