"""What an operator reads under ``gunicorn wsgi:app`` with no logging settings at all.

Every refused API request leaves one line at INFO, with its UTC time, the reason, the key
id when there is one, the client address and the request id (also on its access line and
in the answer's ``X-Request-ID``), never the key. With ``FLASK_LOG_FORMAT=json`` every line
gunicorn and the app write is a JSON object. A bad setting stops gunicorn with one line.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest
import requests
from e2e_support import SQLITE_ONLY, TIMEOUT, key_header, server_log_errors, wait_for

from app import PROJECT_ROOT
from app.keys.format import generate_key

from support.apps import BASE_CONFIG

pytestmark = [pytest.mark.gunicorn, SQLITE_ONLY]

TIMESTAMP = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"


def refusal_lines(log: str) -> list[str]:
    return [line for line in log.splitlines() if "API request refused" in line]


def test_each_refusal_leaves_one_line_with_time_reason_key_id_and_address(
    gunicorn, database_url, factory, app
):
    user = factory.user()
    _, key = factory.key(user, "Busy")
    revoked_id, revoked = factory.key(user, "Old")
    with app.app_context():
        from app.keys import service

        service.revoke_key(revoked_id, owner_id=None)
    unknown = generate_key()
    server = gunicorn(database_url, workers=1)

    with requests.Session() as http:

        def call(presented: str) -> requests.Response:
            return http.get(f"{server.url}/api/me", headers=key_header(presented), timeout=TIMEOUT)

        sent = {
            "malformed": ("-", call("ck_not_a_key")),
            "unknown": (unknown.key_id, call(unknown.value)),
            "revoked": (revoked_id, call(revoked)),
        }
        # The default budget: 100 a minute, so the 101st request is over it.
        answers = [call(key) for _ in range(101)]
        assert [answer.status_code for answer in answers].count(200) == 100
        sent["over_budget"] = (key[3:15], answers[-1])

    def logged_every_refusal() -> str | None:
        # An access line is written once its answer has gone: wait for the last one too.
        log = server.log()
        ids = [answer.headers["X-Request-ID"] for _, answer in sent.values()]
        accessed = all(f"[{request_id}] gunicorn.access" in log for request_id in ids)
        return log if accessed and len(refusal_lines(log)) >= len(sent) else None

    log = wait_for(logged_every_refusal, timeout=10, what="the refusal lines")
    lines = refusal_lines(log)
    assert len(lines) == len(sent), "\n".join(lines)
    for reason, (key_id, answer) in sent.items():
        assert answer.status_code in (401, 429)
        request_id = answer.headers["X-Request-ID"]
        [line] = [line for line in lines if f"reason={reason} " in line]
        assert re.match(rf"{TIMESTAMP} INFO \[\d+\] \[{request_id}\] app\.errors: ", line), line
        assert line.endswith(f"reason={reason} key_id={key_id} address=127.0.0.1"), line
        # The access line of that request carries the same id.
        access = [entry for entry in log.splitlines() if f"[{request_id}] gunicorn.access" in entry]
        assert len(access) == 1 and f'/api/me HTTP/1.1" {answer.status_code} ' in access[0]
    for presented in (key, revoked, unknown.value):
        assert presented not in log and presented[16:48] not in log
    assert not server_log_errors(log), log[-3000:]


def test_each_worker_says_when_it_is_ready_and_how_long_its_warm_up_took(
    gunicorn, database_url, redis_url
):
    server = gunicorn(database_url, workers=2, env={"FLASK_RATELIMIT_STORAGE_URI": redis_url})
    ready = re.compile(
        rf"{TIMESTAMP} INFO \[(\d+)\] \[-\] gunicorn\.error: "
        r"Worker ready \(pid: (\d+)\), warmed up in \d+ ms$"
    )

    def both_ready() -> list[tuple[str, str]] | None:
        found = [m.groups() for line in server.log().splitlines() if (m := ready.match(line))]
        return found if len(found) == 2 else None

    found = wait_for(both_ready, timeout=10, what="two workers' ready lines")
    assert all(logged_by == pid for logged_by, pid in found)
    assert len({pid for _, pid in found}) == 2


def test_json_logs_are_one_object_per_line_for_the_app_and_gunicorn(gunicorn, database_url):
    server = gunicorn(database_url, workers=1, env={"FLASK_LOG_FORMAT": "json"})
    with requests.Session() as http:
        for path, headers in [
            ("/livez", {}),
            ("/api/me", {}),
            ("/api/me", key_header(generate_key().value)),
            ("/en/login", {}),
            ("/no-such-page", {}),
        ]:
            http.get(server.url + path, headers=headers, timeout=TIMEOUT)
    assert server.stop() == 0
    lines = [line for line in server.log().splitlines() if line.strip()]
    records = []
    for line in lines:
        try:
            records.append(json.loads(line))
        except ValueError:
            pytest.fail(f"not a JSON line: {line!r}")
    assert all({"time", "level", "logger", "message"} <= set(record) for record in records)
    loggers = {record["logger"] for record in records}
    assert {"gunicorn.error", "gunicorn.access", "app.errors"} <= loggers, loggers
    [refused] = [record for record in records if record.get("reason") == "unknown"]
    assert refused["level"] == "INFO" and refused["client_address"] == "127.0.0.1"


def test_gunicorn_refuses_a_bad_setting_with_one_line(database_url):
    environment = {
        **os.environ,
        "FLASK_SQLALCHEMY_DATABASE_URI": database_url,
        "FLASK_SECRET_KEY": BASE_CONFIG["SECRET_KEY"],
        "FLASK_BCRYPT_ROUNDS": "abc",
    }
    result = subprocess.run(
        [sys.executable, "-m", "gunicorn", "wsgi:app", "--bind", "127.0.0.1:0"],
        cwd=PROJECT_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert (result.stdout + result.stderr).splitlines() == [
        "Configuration error: BCRYPT_ROUNDS must be a whole number from 4 to 31, not 'abc'"
    ]


def test_a_line_break_in_the_path_cannot_start_a_log_line(gunicorn, database_url):
    server = gunicorn(database_url, workers=1)
    with requests.Session() as http:
        # The console redirects to the chosen locale; the API has no such path.
        for path, status in (("/api-keys/%0d%0aX-Injected:1", 302), ("/api/%0aX-Injected:2", 404)):
            answer = http.get(server.url + path, timeout=TIMEOUT, allow_redirects=False)
            assert answer.status_code == status
    assert server.stop() == 0
    lines = server.log().splitlines()
    assert not [line for line in lines if line.startswith("X-Injected")], lines
    assert [line for line in lines if "X-Injected:1" in line and "gunicorn.access" in line]
    assert not server_log_errors(server.log())
