"""DingTalk request authentication: the robot callback sign and the event-subscription envelope.

Robot callbacks carry `timestamp` (ms) and `sign` headers; the sign covers only the timestamp,
so the body is deduplicated on msgId elsewhere. Events arrive encrypted with the same scheme as
WeCom: dingtalk-sdk's `DingTalkCrypto` checks and decrypts them; the encrypted `success` reply is
sealed here (AES-256-CBC, IV = key[:16], PKCS#7 to 32, sha1 signature), so the published vectors
test our own code and the fake, which uses the library, checks it independently.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
import string
import struct
from collections.abc import Callable
from typing import Any

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes


def robot_sign(timestamp: str, secret: str) -> str:
    """base64(HmacSHA256(key=secret, msg=timestamp + "\\n" + secret))."""
    digest = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def robot_sign_ok(timestamp: str | None, sign: str | None, secret: str, now_ms: int, window_s: int) -> bool:
    """A fresh timestamp and the right sign; the comparison takes the same time either way."""
    if not sign or timestamp is None or not fresh(timestamp, now_ms, window_s):
        return False
    return hmac.compare_digest(robot_sign(timestamp, secret).encode(), sign.encode())


def fresh(timestamp: str | None, now_ms: int, window_s: int) -> bool:
    """A millisecond timestamp within the window either side of now."""
    if not timestamp or not timestamp.isdigit() or len(timestamp) > 16:
        return False
    return abs(now_ms - int(timestamp)) <= window_s * 1000


class EventRefused(Exception):
    """The envelope is not from DingTalk (wrong signature or owner key): answer 403."""


class EventUnreadable(Exception):
    """Signed correctly but not decryptable or not JSON: answer 400."""


class EventCrypto:
    """Decrypts event pushes and builds the encrypted `success` answer.

    The trailing id inside the ciphertext is the app's AppKey in the new console and the
    CorpId for older corp-level callbacks; either one configured is accepted.
    """

    def __init__(self, token: str, aes_key: str, owner_keys: tuple[str, ...],
                 random16: Callable[[], str] | None = None) -> None:
        self._token, self._key = token, base64.b64decode(aes_key + "=")
        self._owners = [key for key in owner_keys if key]
        # dingtalk-sdk loads its whole API client (about 10 MB) with any module of it: only a desk
        # with DingTalk events switched on builds this, so only it pays for that.
        from dingtalk.crypto import DingTalkCrypto
        self._cryptos = [DingTalkCrypto(token, aes_key, key) for key in self._owners]
        self._random16 = random16 or _random16

    def decrypt(self, signature: str, timestamp: str, nonce: str, encrypt: str) -> tuple[dict[str, Any], int]:
        """The event as a dict, and which owner key matched (the reply must use the same)."""
        from dingtalk.core.exceptions import InvalidCorpIdOrSuiteKeyException, InvalidSignatureException
        for index, crypto in enumerate(self._cryptos):
            try:
                plain = crypto.decrypt_encrypt_str(signature, timestamp, nonce, encrypt)
            except InvalidSignatureException:
                raise EventRefused("signature") from None
            except InvalidCorpIdOrSuiteKeyException:
                continue
            except (ValueError, TypeError, struct.error, binascii.Error, UnicodeDecodeError, IndexError):
                raise EventUnreadable("ciphertext") from None
            return _event_dict(plain), index
        raise EventRefused("owner key")

    def success(self, index: int, timestamp: str, nonce: str) -> dict[str, str]:
        """{msg_signature, timeStamp, nonce, encrypt} with encrypt = encrypt("success")."""
        return self.seal(index, "success", timestamp, nonce)

    def seal(self, index: int, message: str, timestamp: str, nonce: str) -> dict[str, str]:
        """The envelope DingTalk expects: random(16) | length (4, big-endian) | message | owner key."""
        text = message.encode()
        framed = self._random16().encode() + struct.pack(">I", len(text)) + text + self._owners[index].encode()
        encrypt = base64.b64encode(aes_encrypt(self._key, framed)).decode()
        signature = hashlib.sha1("".join(sorted([self._token, timestamp, nonce, encrypt])).encode()).hexdigest()
        return {"msg_signature": signature, "encrypt": encrypt, "timeStamp": timestamp, "nonce": nonce}


def aes_encrypt(key: bytes, data: bytes) -> bytes:
    """AES-256-CBC with IV = key[:16] over data PKCS#7-padded to a multiple of 32 bytes."""
    pad = 32 - len(data) % 32
    encryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    return encryptor.update(data + bytes([pad]) * pad) + encryptor.finalize()


def _random16() -> str:
    return "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(16))


def _event_dict(plain: str) -> dict[str, Any]:
    try:
        event = json.loads(plain)
    except ValueError:
        raise EventUnreadable("not JSON") from None
    if not isinstance(event, dict):
        raise EventUnreadable("not an object")
    return event
