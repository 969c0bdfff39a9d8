"""After an API answer: its budget headers, the key's usage, and what is written once sent.

The request was already decided; this is bookkeeping. The rate-limit headers go on every
answer; the request is counted for the key it presented (in memory, app/usage); and once
the answer has gone (``call_on_close``), a verifier admitted under a fallback secret is
rewritten under the current one, the key's use is recorded at most once a minute
and a network new to this process is looked up, so no answer waits for any of them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import cast

from flask import Flask, Response, current_app, g, request
from werkzeug.local import LocalProxy

from app.api.gate.local import TOUCH_SECONDS
from app.keys.record import KeyRecord
from app.models.columns import utcnow
from app.ratelimit import client_address
from app.usage.networks import NetworkWatch, network_of

log = logging.getLogger(__name__)

TOUCH_INTERVAL = timedelta(seconds=TOUCH_SECONDS)


def after_api_request(response: Response) -> Response:
    """Put the caller's budget on the answer; count the key's use, and record it once sent."""
    headers = g.get("rate_limit_headers")
    if headers is not None:
        response.headers.extend(headers)
    key_pk = g.get("presented_key_pk")
    if key_pk is None:  # not an API request, or no key id to count (missing or malformed)
        return response
    current_app.extensions["usage_counter"].count(key_pk, response.status_code)
    api_key = g.get("api_key")
    if api_key is not None:
        work = _after_sending(api_key)
        if work is not None:
            response.call_on_close(work)
    return response


def _after_sending(api_key: KeyRecord) -> Callable[[], None] | None:
    """The bookkeeping of this request, to run once its answer has gone (or None)."""
    # Flask types current_app as the app it stands for; it is a proxy of it.
    app = cast("LocalProxy[Flask]", current_app)._get_current_object()
    address = client_address()
    touch = g.get("record_use") is not None
    renew: str | None = g.get("renew_verifier")
    network = network_of(address)
    watch: NetworkWatch = app.extensions["network_watch"]
    if network is not None and not watch.is_new_here(api_key.key_pk, network):
        network = None  # not new here: nothing to record
    if not touch and network is None and renew is None:
        return None
    user_agent = request.headers.get("User-Agent", "")
    base_url = request.url_root

    def work() -> None:
        # Never a reason to fail a request: its answer is already sent.
        try:
            with app.app_context():
                if renew is not None:
                    app.extensions["api_gate"].verifier.store_verifier(api_key, renew)
                if touch:
                    lookup = app.extensions["api_gate"].verifier.lookup
                    lookup.touch(api_key.key_pk, utcnow(), TOUCH_INTERVAL, address, user_agent)
                if network is not None:
                    watch.record(
                        api_key.key_pk, api_key.key_id, api_key.user_id, network, address,
                        user_agent, base_url,
                    )  # fmt: skip
        except Exception:
            log.warning("could not record the use of a key", exc_info=True)

    return work
