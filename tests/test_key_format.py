"""The key format: ``ck_``, a public key id, 190 bits of secret, a CRC32 checksum."""

from __future__ import annotations

import math
import re

from hypothesis import given
from hypothesis import strategies as st

from app.keys.format import (
    KEY_LENGTH,
    SECRET_LENGTH,
    checksum,
    generate_key,
    is_key_id,
    parse_key,
)


def test_generated_keys_match_the_spec():
    key = generate_key()
    assert key.value.startswith("ck_")
    assert len(key.value) == KEY_LENGTH <= 72
    assert re.fullmatch(r"[A-Za-z0-9_]+", key.value)
    assert key.value.isascii()
    assert key.value[3:15] == key.key_id
    assert key.prefix == key.value[:11]
    assert parse_key(key.value) == (key.value, key.key_id)


def test_secret_has_at_least_160_bits():
    secret = generate_key().value.split("_")[2][:-6]
    assert len(secret) == SECRET_LENGTH
    assert len(secret) * math.log2(62) >= 160


def test_keys_are_unique():
    keys = {generate_key().value for _ in range(2000)}
    assert len(keys) == 2000


@given(position=st.integers(min_value=3, max_value=KEY_LENGTH - 1), data=st.data())
def test_any_single_character_typo_is_rejected(position, data):
    key = generate_key().value
    original = key[position]
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
    replacement = data.draw(st.sampled_from(alphabet.replace(original, "")))
    typo = key[:position] + replacement + key[position + 1 :]
    # CRC32 catches every single-character change (and the "_" must stay where it is).
    assert parse_key(typo) is None


def test_swapped_adjacent_characters_are_rejected():
    key = generate_key().value
    for position in range(16, KEY_LENGTH - 7):
        swapped = key[:position] + key[position + 1] + key[position] + key[position + 2 :]
        if swapped != key:
            assert parse_key(swapped) is None


@given(st.text())
def test_parse_never_raises(text):
    assert parse_key(text) is None or text.startswith("ck_")


def test_non_ascii_nul_and_overlong_values_are_rejected():
    key = generate_key().value
    assert parse_key(key + "A") is None
    assert parse_key(key[:-1]) is None
    assert parse_key(key[:20] + "\x00" + key[21:]) is None
    assert parse_key(key[:20] + "é" + key[21:]) is None
    assert parse_key(key.replace("ck_", "CK_", 1)) is None
    assert parse_key(" " + key[1:]) is None


def test_checksum_is_six_base62_characters():
    assert re.fullmatch(r"[0-9A-Za-z]{6}", checksum("ck_anything"))


def test_is_key_id():
    assert is_key_id(generate_key().key_id)
    assert not is_key_id("short")
    assert not is_key_id("AAAAAAAAAAA\x00")
    assert not is_key_id("../AAAAAAAAA")
