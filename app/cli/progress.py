"""Progress of a long command on the terminal: on stderr, and only when stderr is one."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

import click

T = TypeVar("T")


def with_progress(items: Iterable[T], count: Callable[[], int], label: str) -> Iterator[T]:
    """``items`` as they come, with a bar on stderr when it is a terminal.

    ``count`` (how many there are) is asked only then: counting a long table costs a scan.
    """
    if not sys.stderr.isatty():
        yield from items
        return
    with click.progressbar(items, length=count(), label=label, file=sys.stderr) as bar:
        yield from bar
