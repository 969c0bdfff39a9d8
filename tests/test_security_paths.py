"""A path that carries CR, LF or other escapes is answered as a 302 or a 404, never a 500.

The localized redirect builds its Location from the decoded path; every character a client
could have sent percent-encoded goes back percent-encoded, so no header is split or added.
"""

from __future__ import annotations

import logging

import pytest


@pytest.mark.parametrize(
    ("path", "location"),
    [
        ("/api-keys/%0d%0aX-Injected:1", "/en/api-keys/%0D%0AX-Injected:1"),
        ("/api-keys/%0aSet-Cookie:%20a=b", "/en/api-keys/%0ASet-Cookie:%20a=b"),
        ("/api-keys/%2541", "/en/api-keys/%2541"),
        ("/api-keys/%C3%A9", "/en/api-keys/%C3%A9"),
    ],
)
def test_a_path_with_escapes_redirects_with_them_kept(client, caplog, path, location):
    caplog.set_level(logging.ERROR)
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"] == location
    assert "X-Injected" not in response.headers and "Set-Cookie" not in response.headers
    assert not caplog.records  # no "Exception on ..." line, which would carry the path


def test_the_redirected_path_is_a_404_for_a_signed_in_user(client, auth, factory):
    auth.login(factory.user())
    location = client.get("/api-keys/%0d%0aX-Injected:1").headers["Location"]
    response = client.get(location)
    assert response.status_code == 404
    assert "X-Injected" not in response.headers


def test_a_post_with_a_newline_in_its_path_gets_a_308_not_a_500(client):
    response = client.post("/api-keys/%0d%0aX/revoke")
    assert response.status_code == 308
    assert response.headers["Location"] == "/en/api-keys/%0D%0AX/revoke"


def test_the_query_string_goes_back_as_the_client_sent_it(client):
    response = client.get("/api-keys?q=a%20b&next=/x?y&r=%0D%0A")
    assert response.headers["Location"] == "/en/api-keys?q=a%20b&next=/x?y&r=%0D%0A"
    # A byte a client sent unescaped goes back escaped, never as a character of its own.
    response = client.get("/api-keys", environ_overrides={"QUERY_STRING": "q=\xe9"})
    assert response.headers["Location"] == "/en/api-keys?q=%E9"
