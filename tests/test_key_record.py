"""``KeyRecord`` is declared once; the SQL read, the Redis records and admit.lua agree with it."""

from __future__ import annotations

import re
from dataclasses import fields
from datetime import timedelta
from pathlib import Path

import pytest

from app.api.gate.redis_gate import ADMIT_LUA
from app.keys.lookup import KEY_READ
from app.keys.record import FIELDS, KEY_FIELDS, OWNER_FIELDS, KeyRecord, from_text, to_text


def test_the_sql_read_selects_the_declared_fields_in_order():
    declared = [field.column.expression for field in FIELDS]
    assert [str(column) for column in KEY_READ.selected_columns] == [str(c) for c in declared]
    assert [field.name for field in FIELDS] == [field.name for field in fields(KeyRecord)]


def test_every_field_is_cached_with_the_key_or_with_its_owner():
    assert set(KEY_FIELDS) | set(OWNER_FIELDS) == {field.name for field in FIELDS}
    assert not set(KEY_FIELDS) & set(OWNER_FIELDS)
    assert "user_id" in KEY_FIELDS  # the script finds the owner's record by it


def test_admit_lua_reads_only_declared_fields():
    lua = ADMIT_LUA + (Path(__file__).parents[1] / "app/api/gate/window.lua").read_text()
    used = set(re.findall(r"\brecord\.(\w+)", lua))
    assert used, "admit.lua reads no field by name?"
    assert used <= {field.name for field in FIELDS}, used - {field.name for field in FIELDS}


@pytest.fixture
def config_overrides(redis_url):
    """On Redis: the record also travels through admit.lua and back."""
    return {"RATELIMIT_STORAGE_URI": redis_url}


@pytest.mark.redis
def test_the_record_admit_lua_answers_is_the_one_the_database_holds(app, factory):
    key_id, key = factory.key(
        factory.user(), "Clé de café", expires_in=timedelta(days=3), access="read"
    )
    gate = app.extensions["api_gate"]
    with app.test_request_context():
        read = gate.verifier.lookup.find(key_id)
        from_the_row = gate.admit(key, "127.0.0.1").key  # the script answers the row it got
        from_the_cache = gate.admit(key, "127.0.0.1").key  # and then its cached record
    assert from_the_row == read
    assert from_the_cache == read
    assert from_text([value.encode() for value in to_text(read)]) == read
