"""The callback crypto against the published known-answer vectors (shared/vectors/wecom.json).

These tie wechatpy's WeChatCrypto -- used by the app and by the fake -- to answers computed
elsewhere, so the two sides cannot agree on a wrong algorithm.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from unittest import mock

import pytest

from bot.channels.wecom.crypto import CallbackCrypto, Rejected, parse_xml, signature

# A copy of shared/vectors/wecom.json, so the suite does not depend on a checkout beside it.
VECTORS = Path(__file__).resolve().parents[1] / "fixtures" / "wecom" / "vectors.json"


def vectors() -> list[dict[str, Any]]:
    return json.loads(VECTORS.read_text(encoding="utf-8"))["vectors"]  # type: ignore[no-any-return]


def crypto_for(v: dict[str, Any]) -> CallbackCrypto:
    return CallbackCrypto(v["token"], v["encoding_aes_key"], v["receive_id"], window=300)


@pytest.mark.parametrize("v", vectors(), ids=lambda v: v["id"])
def test_url_verification_answers_the_published_echo(v: dict[str, Any]) -> None:
    q = v["verify_url"]["query"]
    expected = v["verify_url"].get("expected_response_body") or v["verify_url"]["expected_response_body_observed"]
    assert crypto_for(v).open(q["msg_signature"], q["timestamp"], q["nonce"], q["echostr"]) == expected


@pytest.mark.parametrize("v", vectors(), ids=lambda v: v["id"])
def test_posts_decrypt_to_the_published_plaintext(v: dict[str, Any]) -> None:
    post = v["decrypt_post"]
    q = post["query"]
    encrypt = parse_xml(post["body"])["Encrypt"]
    plain = crypto_for(v).open(q["msg_signature"], q["timestamp"], q["nonce"], encrypt)
    expected = post.get("expected_plaintext") or post["expected_plaintext_observed"]
    assert plain == expected
    fields = parse_xml(plain)
    for name, value in post.get("expected_fields", {}).items():
        assert fields[name] == value


def test_the_wrong_nonce_of_the_published_negative_case_is_refused() -> None:
    v = next(x for x in vectors() if x["id"] == "wecom-wechatpy-tests")
    q = v["verify_url"]["query"]
    with pytest.raises(Rejected) as refused:
        crypto_for(v).open(q["msg_signature"], q["timestamp"], v["verify_url"]["negative_case"]["nonce"], q["echostr"])
    assert refused.value.status == 403


def test_a_passive_reply_is_encrypted_byte_for_byte_as_published() -> None:
    v = next(x for x in vectors() if x["id"] == "wecom-wechatpy-tests")
    r = v["encrypt_reply"]
    with mock.patch("bot.channels.wecom.crypto._random_prefix", return_value=r["fixed_random_16"].encode()):
        sealed = parse_xml(crypto_for(v).seal(r["plaintext"], r["timestamp"], r["nonce"]))
    assert sealed["Encrypt"] == r["expected_encrypt"]
    assert sealed["MsgSignature"] == r["expected_msg_signature"]
    assert signature(v["token"], r["timestamp"], r["nonce"], r["expected_encrypt"]) == r["expected_msg_signature"]


def test_a_post_for_another_corp_is_refused() -> None:
    v = vectors()[0]
    post, q = v["decrypt_post"], v["decrypt_post"]["query"]
    other = CallbackCrypto(v["token"], v["encoding_aes_key"], "ww0000000000000000", window=300)
    with pytest.raises(Rejected) as refused:
        other.open(q["msg_signature"], q["timestamp"], q["nonce"], parse_xml(post["body"])["Encrypt"])
    assert (refused.value.status, refused.value.reason) == (403, "wrong corp id")


@pytest.mark.parametrize("stamp, status", [("1476422779", None), ("1476422479", None), ("1476422478", 403),
                                           ("1476423080", 403), ("abc", 400)])
def test_the_time_window_is_symmetric_and_300_seconds(stamp: str, status: int | None) -> None:
    crypto = crypto_for(vectors()[0])
    if status is None:
        crypto.check_time(stamp, now=1476422779)
        return
    with pytest.raises(Rejected) as refused:
        crypto.check_time(stamp, now=1476422779)
    assert refused.value.status == status


@pytest.mark.parametrize("xml", [
    "<xml><A>1</A>", "not xml", "<other><A>1</A></other>",
    '<!DOCTYPE xml [<!ENTITY x "y">]><xml><A>&x;</A></xml>',
    '<!DOCTYPE xml SYSTEM "http://127.0.0.1/evil.dtd"><xml><A>1</A></xml>',
])
def test_malformed_or_doctype_xml_is_refused(xml: str) -> None:
    with pytest.raises(Rejected) as refused:
        parse_xml(xml)
    assert refused.value.status == 400
