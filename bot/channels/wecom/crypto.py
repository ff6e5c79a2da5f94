"""WeCom callback crypto: signature, AES envelope and safe XML.

AES is wechatpy's `WeChatCrypto` (checked against the published vectors in the tests);
XML is parsed with defusedxml because wechatpy's own parser (xmltodict) accepts DOCTYPEs.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from xml.etree.ElementTree import ParseError

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
        """A passive reply envelope (Encrypt, MsgSignature, TimeStamp, Nonce), signed over the new Encrypt."""
        return str(self._crypto.encrypt_message(xml, nonce or secrets.token_hex(8), timestamp))


def cdata(value: str) -> str:
    """CDATA that survives a `]]>` inside the value."""
    return "<![CDATA[" + value.replace("]]>", "]]]]><![CDATA[>") + "]]>"
