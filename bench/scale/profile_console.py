"""The console's three measured pages, in one process: CPU, instructions, cProfile.

Builds the 10,000-key data set (dataset.py) in a PostgreSQL database of its own, gives
the busiest owner's key 90 days of usage, signs in as that owner and as the admin through
the login form (the Flask test client), warms each page up, then, for each of the key
list, the key's page and the admin audit log:

- by default, the CPU time per request (the least of five batches: the machine is shared);
- ``--profile``: cProfile's top functions by own and by cumulative time;
- ``--instructions``: instructions per request counted by valgrind's callgrind, which do
  not move with the machine's load (as bench/instructions.py counts the API's).

    .venv/bin/python bench/scale/profile_console.py [--profile | --instructions]
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import re
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(1, str(Path(__file__).resolve().parent.parent))  # bench/: fixtures, servers

import psycopg
from dataset import ADMIN_EMAIL, PASSWORD, build
from fixtures import dispose, make_app, migrate, postgres_database

CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
PAGES = ("key list", "key page", "admin audit")
WARM_UP = 5


def parse_args() -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keys", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=20, help="requests per batch")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--instructions", action="store_true")
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument(
        "--postgres-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test"
    )
    parser.add_argument("--serve", nargs=3, metavar=("URL", "OWNER", "KEY"), help=argparse.SUPPRESS)
    return parser.parse_args()


def main() -> int:
    """Build the data set, then measure the pages; 0."""
    args = parse_args()
    if args.serve:
        serve(*args.serve, args.rounds)
        return 0
    with postgres_database(args.postgres_url) as url:
        app = make_app(url, "memory://")
        migrate(app)
        dsn = url.replace("postgresql+psycopg://", "postgresql://")
        built = build(app, dsn, args.keys, args.keys // 10)
        dispose(app)
        give_usage(dsn, built.key_of_owner)
        if args.instructions:
            for page, instructions in count(url, built.busiest_owner_email, built.key_of_owner,
                                            args.rounds).items():  # fmt: skip
                print(f"{page:12} {instructions:,.0f} instructions per request")
            return 0
        app = make_app(url, "memory://")
        for name, client, path in signed_in(app, built.busiest_owner_email, built.key_of_owner):
            for _ in range(WARM_UP):
                answer = client.get(path)
                assert answer.status_code == 200, (name, answer.status_code)
            batches = []
            for _ in range(5):
                started = time.process_time()
                for _ in range(args.rounds):
                    client.get(path)
                batches.append((time.process_time() - started) / args.rounds * 1000)
            each = ", ".join(f"{cpu:.1f}" for cpu in batches)
            print(f"{name:12} {path}: {min(batches):.1f} ms CPU per request (batches: {each})")
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


def give_usage(dsn: str, key_id: str) -> None:
    """90 days of usage for the key whose page is measured."""
    with psycopg.connect(dsn) as connection:
        (row,) = connection.execute(
            "SELECT id FROM api_keys WHERE key_id = %s", (key_id,)
        ).fetchone()
        connection.execute("DELETE FROM key_usage WHERE api_key_id = %s", (row,))
        with connection.cursor().copy(
            "COPY key_usage (api_key_id, day, requests, refused) FROM STDIN"
        ) as copy:
            for age in range(90):
                copy.write_row((row, date.today() - timedelta(age), 100 + age, age))


def signed_in(app, owner: str, key_id: str) -> list[tuple[str, object, str]]:
    """(page, a client signed in to read it, its path) for each page."""
    user, admin = app.test_client(), app.test_client()
    sign_in(user, owner)
    sign_in(admin, ADMIN_EMAIL)
    paths = ("/en/api-keys", f"/en/api-keys/{key_id}", "/en/admin/audit")
    return list(zip(PAGES, (user, user, admin), paths, strict=True))


def sign_in(client, email: str) -> None:
    """Sign ``client`` in through the form."""
    token = CSRF.search(client.get("/en/login").get_data(as_text=True)).group(1)
    form = {"email": email, "password": PASSWORD, "csrf_token": token}
    answer = client.post("/en/login", data=form)
    while answer.status_code == 429:  # password checks are one a second: wait it out
        time.sleep(1)
        answer = client.post("/en/login", data=form)
    assert answer.status_code in (302, 303), answer.status_code


def count(url: str, owner: str, key_id: str, requests: int) -> dict[str, float]:
    """Run ``serve`` under callgrind; each page's instructions per counted request."""
    with tempfile.TemporaryDirectory() as work:
        out = Path(work) / "callgrind.out"
        command = [
            "valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
            "--dump-before=getppid", f"--log-file={Path(work) / 'valgrind.log'}",
            sys.executable, __file__, "--serve", url, owner, key_id, "--rounds", str(requests),
        ]  # fmt: skip
        done = subprocess.run(command, env={**os.environ, "PYTHONHASHSEED": "0"},
                              capture_output=True, text=True, check=False)  # fmt: skip
        if done.returncode != 0:
            sys.exit(f"the counted run failed:\n{done.stderr[-3000:]}")
        # Dumps are numbered from 1; the counted requests are between dumps 2k and 2k+1.
        dumps = sorted(Path(work).glob("callgrind.out.*"), key=lambda path: int(path.suffix[1:]))
        totals = [_total(path) for path in dumps]
    return {page: totals[2 * n + 1] / requests for n, page in enumerate(PAGES)}


def _total(dump: Path) -> int:
    match = re.search(r"^(?:summary|totals): (\d+)", dump.read_text(), re.M)
    if match is None:
        sys.exit(f"no totals in {dump}")
    return int(match.group(1))


def serve(url: str, owner: str, key_id: str, requests: int) -> None:
    """The counted run: sign in, then each page's requests between two ``getppid`` calls."""
    app = make_app(url, "memory://")
    for name, client, path in signed_in(app, owner, key_id):
        for _ in range(WARM_UP):
            assert client.get(path).status_code == 200, name
        os.getppid()  # callgrind dumps here: what follows is counted alone
        for _ in range(requests):
            client.get(path)
        os.getppid()
    dispose(app)


if __name__ == "__main__":
    sys.exit(main())
