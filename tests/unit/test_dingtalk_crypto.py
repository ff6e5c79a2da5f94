"""DingTalk's published vectors: the robot sign, the event envelope, the raw AES block.

The fake builds callbacks with the same library classes, so these known answers are what stop
the fake and the app from agreeing on a wrong algorithm.
"""
from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from dingtalk.crypto import DingTalkCrypto, PrpCrypto, _get_signature

from bot.channels.dingtalk.crypto import (
    EventCrypto, EventRefused, EventUnreadable, aes_encrypt, robot_sign, robot_sign_ok)

VECTORS = json.loads((Path(__file__).parents[1] / "fixtures" / "dingtalk" / "vectors.json").read_text())
CRYPTO = {v["id"]: v for v in VECTORS["crypto_vectors"]}
SIGNS = {v["id"]: v for v in VECTORS["sign_vectors"]}


@pytest.mark.parametrize("vector_id", ["ding-robot-sign-doc-secret", "ding-robot-sign-callback-header"])
def test_the_robot_sign_matches_the_published_values(vector_id: str) -> None:
    v = SIGNS[vector_id]
    assert robot_sign(v["timestamp"], v["secret"]) == v["expected_sign"]


def test_the_timestamp_only_hmac_is_a_different_signature() -> None:
    v = SIGNS["ding-timestamp-only-signature-contrast"]
    assert robot_sign(v["timestamp"], v["secret"]) == v["robot_sign_of_same_inputs_observed"]
    assert robot_sign(v["timestamp"], v["secret"]) != v["expected_sign"]


def test_a_sign_is_accepted_only_when_fresh_and_exact() -> None:
    v = SIGNS["ding-robot-sign-doc-secret"]
    at = int(v["timestamp"])
    assert robot_sign_ok(v["timestamp"], v["expected_sign"], v["secret"], at + 3_599_000, 3600)
    assert not robot_sign_ok(v["timestamp"], v["expected_sign"], v["secret"], at + 3_601_000, 3600)
    assert not robot_sign_ok(v["timestamp"], v["expected_sign"], v["secret"], at - 3_601_000, 3600)
    # A '+' read back as a space by a form decoder must not pass.
    assert not robot_sign_ok(v["timestamp"], v["expected_sign"].replace("+", " "), v["secret"], at, 3600)
    assert not robot_sign_ok(v["timestamp"], v["expected_sign_urlencoded"], v["secret"], at, 3600)
    assert not robot_sign_ok(None, v["expected_sign"], v["secret"], at, 3600)
    assert not robot_sign_ok("12ab", v["expected_sign"], v["secret"], at, 3600)


@pytest.mark.parametrize("vector_id", ["ding-suite-check-create-suite-url", "ding-check-url-2020"])
def test_events_decrypt_to_the_published_plaintext(vector_id: str) -> None:
    v = CRYPTO[vector_id]
    q = v["decrypt"]["query"]
    crypto = EventCrypto(v["token"], v["aes_key"], ("someone-else", v["owner_key"]))
    event, owner = crypto.decrypt(q["msg_signature"], q["timestamp"], q["nonce"], v["decrypt"]["body"]["encrypt"])
    assert event == json.loads(v["decrypt"]["expected_plaintext"])
    assert owner == 1


def test_a_wrong_signature_is_refused_and_a_wrong_owner_key_too() -> None:
    v = CRYPTO["ding-suite-check-create-suite-url"]
    q, encrypt = v["decrypt"]["query"], v["decrypt"]["body"]["encrypt"]
    crypto = EventCrypto(v["token"], v["aes_key"], (v["owner_key"],))
    with pytest.raises(EventRefused):
        crypto.decrypt(q["msg_signature"], q["timestamp"], v["decrypt"]["negative_case"]["nonce"], encrypt)
    with pytest.raises(EventRefused):
        EventCrypto(v["token"], v["aes_key"], ("dingother",)).decrypt(q["msg_signature"], q["timestamp"],
                                                                      q["nonce"], encrypt)


def test_a_signed_but_garbled_ciphertext_is_unreadable() -> None:
    v = CRYPTO["ding-suite-check-create-suite-url"]
    garbled = base64.b64encode(b"x" * 20).decode()  # not a whole number of AES blocks
    signature = _get_signature(v["token"], "1", "n", garbled)
    with pytest.raises(EventUnreadable):
        EventCrypto(v["token"], v["aes_key"], (v["owner_key"],)).decrypt(signature, "1", "n", garbled)


def test_our_envelope_is_byte_exact_with_the_published_one() -> None:
    base = CRYPTO["ding-suite-check-create-suite-url"]
    v = base["encrypt"]
    crypto = EventCrypto(base["token"], base["aes_key"], ("someone-else", base["owner_key"]),
                         random16=lambda: v["fixed_random_16"])
    assert crypto.seal(1, v["plaintext"], v["timestamp"], v["nonce"]) == v["expected"]


def test_the_success_answer_is_byte_exact_with_the_library_reproducing_the_vector(
        monkeypatch: pytest.MonkeyPatch) -> None:
    base = CRYPTO["ding-suite-check-create-suite-url"]
    v = base["encrypt"]
    monkeypatch.setattr(PrpCrypto, "get_random_string", lambda self: v["fixed_random_16"])
    library = DingTalkCrypto(base["token"], base["aes_key"], base["owner_key"])
    assert library.encrypt_message(v["plaintext"], nonce=v["nonce"], timestamp=v["timestamp"]) == v["expected"]
    ours = EventCrypto(base["token"], base["aes_key"], (base["owner_key"],), random16=lambda: v["fixed_random_16"])
    answer = ours.success(0, v["timestamp"], v["nonce"])
    assert answer == library.encrypt_message("success", nonce=v["nonce"], timestamp=v["timestamp"])
    assert library.decrypt_encrypt_str(answer["msg_signature"], v["timestamp"], v["nonce"],
                                       answer["encrypt"]) == "success"


def test_two_success_answers_differ_in_their_random_prefix() -> None:
    base = CRYPTO["ding-suite-check-create-suite-url"]
    crypto = EventCrypto(base["token"], base["aes_key"], (base["owner_key"],))
    assert crypto.success(0, "1", "n")["encrypt"] != crypto.success(0, "1", "n")["encrypt"]


def test_the_raw_aes_block_matches_the_published_ciphertext() -> None:
    v: dict[str, Any] = CRYPTO["ding-raw-aes-block"]
    sealed = aes_encrypt(base64.b64decode(v["aes_key"] + "="), v["plaintext_bytes_utf8"].encode())
    assert base64.b64encode(sealed).decode() == v["expected_ciphertext_base64"]
