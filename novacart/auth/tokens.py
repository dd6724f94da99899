"""flask-jwt-extended's manager, remembering the tokens this process has verified until each one expires.

A client sends the same access token with every call for its whole lifetime, and every call verified it
from scratch: PyJWT parses a token three times (the unverified claims, the header, then the verified
decode), checking each base64 segment byte by byte in Python, ~1,400 steps a call: JWT parsing was a
fifth of the CPU of POST /api/notifications (cProfile, bench/cpu_per_call.py). Verification is a pure
function of the token's text and the app's key, so its answer is kept, keyed by both, and reused while
the token is valid: expiry is still checked on every use.
Revocation is not part of it (the blocklist check runs on every call, see novacart/auth/services.py).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from typing import Any

from flask_jwt_extended import JWTManager
from flask_jwt_extended.config import config
from flask_jwt_extended.default_callbacks import default_decode_key_callback
from flask_jwt_extended.tokens import _decode_jwt
from jwt import ExpiredSignatureError

MAX_TOKENS = 20_000  # about 1 KiB each; the least recently used go first
MAX_SECONDS = 900.0  # however long a token lives, re-verify it at least this often


class CachingJWTManager(JWTManager):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._verified: OrderedDict[tuple[Any, str], tuple[float, dict]] = OrderedDict()
        self._lock = threading.Lock()

    def _decode_jwt_from_config(self, encoded_token: str, csrf_value: Any = None, allow_expired: bool = False) -> dict:
        if csrf_value is not None or allow_expired or not isinstance(encoded_token, str):
            return super()._decode_jwt_from_config(encoded_token, csrf_value, allow_expired)
        now = time.time()
        key = (config.decode_key, encoded_token)  # another app in this process (tests) has its own answers
        with self._lock:
            cached = self._verified.get(key)
            if cached is not None and cached[0] > now:
                self._verified.move_to_end(key)
                return dict(cached[1])
        claims = self._verify(encoded_token)
        expires = claims.get("exp")
        if isinstance(expires, int | float):
            with self._lock:
                self._verified[key] = (min(float(expires), now + MAX_SECONDS), dict(claims))
                while len(self._verified) > MAX_TOKENS:
                    self._verified.popitem(last=False)
        return claims

    def _verify(self, encoded_token: str) -> dict:
        """flask-jwt-extended's verification, parsing the token once where it parses it three times.

        It reads the unverified claims and header only to hand them to the decode-key callback; the
        default callback ignores them and returns the configured key. With that callback, the verified
        parse alone is the same check (a socket's connect: 11 % of its CPU was JWT, py-spy). An expired
        token goes through flask-jwt-extended again, which raises it with the header and claims that its
        expired-token callback reads.
        """
        if self._decode_key_callback is not default_decode_key_callback:
            return super()._decode_jwt_from_config(encoded_token)
        try:
            return _decode_jwt(
                algorithms=config.decode_algorithms,
                allow_expired=False,
                audience=config.decode_audience,
                csrf_value=None,
                encoded_token=encoded_token,
                identity_claim_key=config.identity_claim_key,
                issuer=config.decode_issuer,
                leeway=config.leeway,
                secret=config.decode_key,
                verify_aud=config.decode_audience is not None,
                verify_sub=config.verify_sub,
            )
        except ExpiredSignatureError:
            return super()._decode_jwt_from_config(encoded_token)
