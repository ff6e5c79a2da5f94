"""WeCom callback crypto: signature, AES envelope and safe XML.

Opening is wechatpy's `WeChatCrypto`; sealing a passive reply is done here with the same
`cryptography` cipher (see `CallbackCrypto.seal`). Both are checked against the published vectors
in the tests. XML is parsed with defusedxml because wechatpy's own parser (xmltodict) accepts DOCTYPEs.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import struct
from xml.etree.ElementTree import ParseError

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from defusedxml import ElementTree as SafeTree
from defusedxml.common import DefusedXmlException
from wechatpy.enterprise.crypto import WeChatCrypto
from wechatpy.enterprise.exceptions import InvalidCorpIdException
from wechatpy.exceptions import InvalidSignatureException


class Rejected(Exception):
    """A callback we refuse; `status` is the HTTP answer, `reason` a short log word (never payload)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def signature(token: str, timestamp: str, nonce: str, encrypt: str) -> str:
    """sha1 over the four values sorted lexicographically, no separator (PLATFORMS.md §1)."""
    return hashlib.sha1("".join(sorted([token, timestamp, nonce, encrypt])).encode()).hexdigest()


def parse_xml(text: str | bytes) -> dict[str, str]:
    """The top-level fields of an `<xml>` document; DOCTYPE, entities and junk are refused."""
    try:
        root = SafeTree.fromstring(text, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except (ParseError, DefusedXmlException, ValueError, TypeError):
        raise Rejected(400, "malformed xml") from None
    if root.tag != "xml":
        raise Rejected(400, "malformed xml")
    return {child.tag: child.text or "" for child in root}


class CallbackCrypto:
    """Opens and seals the encrypted envelopes of one app's callback URL."""

    def __init__(self, token: str, encoding_aes_key: str, corp_id: str, window: int) -> None:
        self.token = token
        self.corp_id = corp_id
        self.window = window
        self._crypto = WeChatCrypto(token, encoding_aes_key, corp_id)
        key = self._crypto.key   # the decoded EncodingAESKey
        self._cipher = Cipher(algorithms.AES(key), modes.CBC(key[:16]))   # the platform's IV: the key's first 16 bytes
        self._corp = corp_id.encode()

    def check_time(self, timestamp: str, now: float) -> None:
        """Replays outside the window are refused even when correctly signed."""
        if not timestamp.isdigit():
            raise Rejected(400, "bad timestamp")
        if abs(now - int(timestamp)) > self.window:
            raise Rejected(403, "stale timestamp")

    def open(self, msg_signature: str, timestamp: str, nonce: str, encrypt: str) -> str:
        """The decrypted text; the signature is compared in constant time before any AES work."""
        expected = signature(self.token, timestamp, nonce, encrypt)
        if not hmac.compare_digest(expected, msg_signature.lower()):
            raise Rejected(403, "bad signature")
        try:
            return str(self._crypto.check_signature(expected, timestamp, nonce, encrypt))
        except InvalidCorpIdException:
            raise Rejected(403, "wrong corp id") from None
        except InvalidSignatureException:
            raise Rejected(403, "bad signature") from None
        except Exception:  # signed but undecryptable (bad base64, block size, UTF-8): a broken sender
            raise Rejected(400, "undecryptable") from None

    def seal(self, xml: str, timestamp: str, nonce: str | None = None) -> str:
        """A passive reply envelope (Encrypt, MsgSignature, TimeStamp, Nonce), signed over the new Encrypt.

        The platform's format (PLATFORMS.md §1): 16 random bytes, the body's length (4 bytes, network
        order), the body, the corp id, PKCS#7-padded to 32 bytes, AES-256-CBC, base64. Sealed here,
        not by wechatpy's `encrypt_message`, which builds its cipher and a random string in Python
        on every call: most callbacks carry a passive reply, and this costs a fifth of that."""
        nonce = nonce or secrets.token_hex(8)
        body = xml.encode()
        plain = b"".join((_random_prefix(), struct.pack(">I", len(body)), body, self._corp))
        pad = _BLOCK - len(plain) % _BLOCK
        encryptor = self._cipher.encryptor()
        sealed = encryptor.update(plain + bytes((pad,)) * pad) + encryptor.finalize()
        encrypt = base64.b64encode(sealed).decode()
        return (f"<xml><Encrypt><![CDATA[{encrypt}]]></Encrypt>"
                f"<MsgSignature><![CDATA[{signature(self.token, timestamp, nonce, encrypt)}]]></MsgSignature>"
                f"<TimeStamp>{timestamp}</TimeStamp><Nonce><![CDATA[{nonce}]]></Nonce></xml>")


_BLOCK = 32   # WeCom pads to 32 bytes, not AES's 16


def _random_prefix() -> bytes:
    return os.urandom(16)


def cdata(value: str) -> str:
    """CDATA that survives a `]]>` inside the value."""
    return "<![CDATA[" + value.replace("]]>", "]]]]><![CDATA[>") + "]]>"
