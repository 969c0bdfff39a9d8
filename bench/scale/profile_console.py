"""The console's three measured pages, profiled in one process (cProfile, the Flask test client).

Builds the 10,000-key data set (dataset.py) in a database of its own, signs in as the busiest
owner and as the admin, warms each page up, then times ``--rounds`` requests of each and
prints the CPU per request and, with ``--profile``, cProfile's top entries by own time.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import re
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(1, str(Path(__file__).resolve().parent.parent))  # bench/: fixtures, servers

import psycopg
from dataset import ADMIN_EMAIL, PASSWORD, build
from fixtures import dispose, make_app, migrate, postgres_database

CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


def sign_in(client, email: str) -> None:
    """Sign ``client`` in through the form."""
    token = CSRF.search(client.get("/en/login").get_data(as_text=True)).group(1)
    form = {"email": email, "password": PASSWORD, "csrf_token": token}
    answer = client.post("/en/login", data=form)
    while answer.status_code == 429:  # password checks are one a second: wait it out
        time.sleep(1)
        answer = client.post("/en/login", data=form)
    assert answer.status_code in (302, 303), answer.status_code


def main() -> int:
    """Profile the pages; 0."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keys", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument(
        "--postgres-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test"
    )
    args = parser.parse_args()
    with postgres_database(args.postgres_url) as url:
        app = make_app(url, "memory://")
        migrate(app)
        dsn = url.replace("postgresql+psycopg://", "postgresql://")
        built = build(app, dsn, args.keys, args.keys // 10)
        with psycopg.connect(dsn) as connection:  # the key's page shows 90 days of usage
            (key_row,) = connection.execute(
                "SELECT id FROM api_keys WHERE key_id = %s", (built.key_of_owner,)
            ).fetchone()
            connection.execute("DELETE FROM key_usage WHERE api_key_id = %s", (key_row,))
            with connection.cursor().copy(
                "COPY key_usage (api_key_id, day, requests, refused) FROM STDIN"
            ) as copy:
                for age in range(90):
                    copy.write_row((key_row, date.today() - timedelta(age), 100 + age, age))
        user, admin = app.test_client(), app.test_client()
        sign_in(user, built.busiest_owner_email)
        sign_in(admin, ADMIN_EMAIL)
        pages = [
            ("key list", user, "/en/api-keys"),
            ("key page", user, f"/en/api-keys/{built.key_of_owner}"),
            ("admin audit", admin, "/en/admin/audit"),
        ]
        for name, client, path in pages:
            for _ in range(5):
                answer = client.get(path)
                assert answer.status_code == 200, (name, answer.status_code)
            batches = []
            for _ in range(5):  # the least of five batches: the machine is shared
                started = time.process_time()
                for _ in range(args.rounds):
                    client.get(path)
                batches.append((time.process_time() - started) / args.rounds * 1000)
            print(
                f"{name:12} {path}: {min(batches):.1f} ms CPU per request "
                f"(batches: {', '.join(f'{cpu:.1f}' for cpu in batches)})",
                flush=True,
            )
            if args.profile:
                profile = cProfile.Profile()
                profile.enable()
                for _ in range(args.rounds):
                    client.get(path)
                profile.disable()
                stats = pstats.Stats(profile).strip_dirs()
                stats.sort_stats("tottime").print_stats(args.top)
                stats.sort_stats("cumulative").print_stats(args.top)
        dispose(app)
    return 0


if __name__ == "__main__":
    sys.exit(main())
