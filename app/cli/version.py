"""``flask version``: the service's version, the one /healthz and /openapi.json show."""

from __future__ import annotations

import click

from app.version import DISTRIBUTION, __version__


@click.command("version")
def version() -> None:
    """Print the version of the service."""
    click.echo(f"{DISTRIBUTION} {__version__}")
