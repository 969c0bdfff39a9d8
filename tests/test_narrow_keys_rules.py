"""The rules of what narrows a key, in plain Python: each refusal says what to fix."""

from __future__ import annotations

import pytest

from app.keys.allowed_networks import (
    InvalidNetworks,
    address_hex,
    clean_networks,
    from_script,
    is_allowed,
    to_script,
)
from app.keys.descriptions import InvalidDescription, clean_description
from app.keys.own_limit import InvalidRateLimit, clean_rate_limit
from app.keys.permissions import (
    InvalidPermissions,
    Level,
    Resource,
    is_narrowing,
    parse_permissions,
    permissions_text,
    refusal,
)


def test_permissions_parse_from_text_and_default_to_none():
    permissions = parse_permissions("endpoint=write, keys=read")
    assert permissions == {
        Resource.ENDPOINT: Level.WRITE,
        Resource.KEYS: Level.READ,
        Resource.AUDIT: Level.NONE,
        Resource.ADMIN: Level.NONE,
    }
    assert permissions_text(permissions) == "endpoint=write,keys=read,audit=none,admin=none"
    assert parse_permissions({"audit": "read"})[Resource.AUDIT] == Level.READ


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("billing=read", "'billing' is not a resource"),
        ("keys=admin", "'admin' is not a level"),
        ("keys", "resource=level"),
        ("keys=read,keys=write", "keys is named twice"),
    ],
)
def test_bad_permissions_are_refused_with_what_to_fix(text, words):
    with pytest.raises(InvalidPermissions, match=words):
        parse_permissions(text)


def test_a_refusal_names_the_missing_permission():
    stored = "endpoint=write,keys=read,audit=none,admin=none"
    assert refusal("restricted", stored, Resource.KEYS, "GET") is None
    assert refusal("restricted", stored, Resource.KEYS, "HEAD") is None
    assert refusal("restricted", stored, Resource.KEYS, "POST") == (
        "This key has no write permission on keys."
    )
    assert refusal("restricted", stored, Resource.AUDIT, "GET") == (
        "This key has no read permission on audit."
    )
    assert refusal("read", None, Resource.ENDPOINT, "POST") == (
        "This key is read-only: it may only GET and HEAD."
    )
    assert refusal("full", None, Resource.ADMIN, "DELETE") is None


def test_only_narrowing_is_an_edit():
    some = "endpoint=write,keys=read,audit=none,admin=none"
    less = "endpoint=read,keys=read,audit=none,admin=none"
    more = "endpoint=write,keys=write,audit=none,admin=none"
    assert is_narrowing("restricted", some, "restricted", less)
    assert not is_narrowing("restricted", some, "restricted", more)
    assert is_narrowing("full", None, "restricted", more)
    assert is_narrowing("full", None, "read", None)
    assert not is_narrowing("read", None, "full", None)
    assert not is_narrowing("read", None, "restricted", some)
    assert is_narrowing("restricted", some, "read", None) is False  # keys=read, audit none


def test_networks_are_kept_in_a_canonical_form():
    stored = clean_networks(["127.0.0.2", " 10.0.0.0/8 ", "2001:DB8::/32", "::ffff:192.0.2.1"])
    assert stored == "127.0.0.2/32,10.0.0.0/8,2001:db8::/32,192.0.2.1/32"
    assert clean_networks("127.0.0.2\n10.0.0.0/8") == "127.0.0.2/32,10.0.0.0/8"
    assert clean_networks([]) is None
    assert clean_networks("") is None


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("300.1.2.3", "is not an IP address or CIDR range"),
        ("example.com", "is not an IP address or CIDR range"),
        ("10.0.0.1/8", "did you mean 10.0.0.0/8"),
        ("10.0.0.0/33", "is not an IP address or CIDR range"),
        # A zone (scope id) means nothing off the host, and would make the stored list
        # longer than its column; the Redis record drops it besides.
        ("fe80::1%eth0", "is not an IP address or CIDR range"),
        ("fe80::%eth0/64", "is not an IP address or CIDR range"),
        pytest.param("fe80::1%" + "x" * 1000, "is not an IP address", id="long-zone"),
    ],
)
def test_a_bad_network_is_refused_with_what_to_fix(value, words):
    with pytest.raises(InvalidNetworks, match=words):
        clean_networks([value])


def test_at_most_20_networks():
    clean_networks([f"10.0.0.{n}" for n in range(20)])
    with pytest.raises(InvalidNetworks, match="at most 20"):
        clean_networks([f"10.0.0.{n}" for n in range(21)])


def test_the_scripts_form_of_networks_comes_back_as_stored():
    stored = "127.0.0.2/32,10.0.0.0/13,2001:db8::/32,::/0"
    assert from_script(to_script(stored)) == stored
    assert to_script(None) == "" and from_script("") is None
    assert address_hex("127.0.0.2") == "00000000000000000000ffff7f000002"
    assert address_hex("unknown") == ""


def test_addresses_inside_and_outside():
    stored = "127.0.0.2/32,2001:db8::/32"
    assert is_allowed(stored, "127.0.0.2")
    assert is_allowed(stored, "::ffff:127.0.0.2")
    assert not is_allowed(stored, "127.0.0.3")
    assert is_allowed(stored, "2001:db8::1")
    assert not is_allowed(stored, "unknown")
    assert is_allowed(None, "anything")


def test_a_rate_limit_must_parse_and_fit_the_role():
    assert clean_rate_limit("  10  per Minute ", "100 per minute") == "10 per minute"
    assert clean_rate_limit("", "100 per minute") is None
    assert clean_rate_limit("1000 per hour", "100 per minute") == "1000 per hour"
    with pytest.raises(InvalidRateLimit, match="is not a rate limit"):
        clean_rate_limit("lots", "100 per minute")
    with pytest.raises(InvalidRateLimit, match="is not a rate limit"):
        clean_rate_limit("1 per second; 5 per minute", "100 per minute")
    with pytest.raises(InvalidRateLimit, match="more than the owner's role allows"):
        clean_rate_limit("101 per minute", "100 per minute")
    with pytest.raises(InvalidRateLimit, match="more than the owner's role allows"):
        clean_rate_limit("2 per second", "100 per minute")


def test_a_description_is_at_most_500_characters():
    assert clean_description("  Deploys from CI.\n") == "Deploys from CI."
    assert clean_description("   ") is None
    clean_description("x" * 500)
    with pytest.raises(InvalidDescription, match="at most 500"):
        clean_description("x" * 501)
    with pytest.raises(InvalidDescription, match="control characters"):
        clean_description("bell\x07")
