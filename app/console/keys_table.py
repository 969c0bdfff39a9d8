"""What the keys table shows, read from the query string: filters, search, sort and page."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from app.keys.access import KeyAccess
from app.keys.key_list import (
    ACTS_WITH_ROLE,
    ANY_ACCESS,
    ANY_STATUS,
    KeyFilter,
    KeyOrder,
    keys_slice,
)
from app.keys.rules import MAX_NAME_LENGTH
from app.keys.status import KeyStatus
from app.paging import is_whole_number

if TYPE_CHECKING:
    from app.models import ApiKey

PAGE_SIZE = 50
# No one pages this far; a larger number in a URL shows the last page, not an error.
MAX_PAGE = 10_000
# The value of ``?raised=`` that narrows the table to the keys a role change empowered.
RAISED = "1"


@dataclass(frozen=True)
class KeysPage:
    """One page of the table: its rows, where they start (1-based) and how many match."""

    rows: list[ApiKey]
    number: int
    total: int

    @property
    def first(self) -> int:
        """The position of the first row shown (0 when none)."""
        return (self.number - 1) * PAGE_SIZE + 1 if self.rows else 0

    @property
    def last(self) -> int:
        """The position of the last row shown."""
        return self.first + len(self.rows) - 1 if self.rows else 0

    @property
    def has_next(self) -> bool:
        """Whether rows follow this page."""
        return self.number * PAGE_SIZE < self.total


@dataclass(frozen=True)
class KeysTable:
    """What the keys table shows: status, access, a name search, a sort, a page."""

    status: str = ANY_STATUS
    access: str = ANY_ACCESS
    search: str = ""
    sort: str = KeyOrder.CREATED
    number: int = 1
    # Only the active full keys made before the user's role rose (the role notice's link).
    raised: bool = False

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> KeysTable:
        """The table a query string asks for (anything unknown falls back to the default)."""
        status = args.get("status", ANY_STATUS)
        access = args.get("access", ANY_ACCESS)
        sort = args.get("sort", KeyOrder.CREATED)
        number = args.get("page", "1")
        return cls(
            status=status if status in set(KeyStatus) else ANY_STATUS,
            access=access if access in set(KeyAccess) else ANY_ACCESS,
            search=args.get("q", "").replace("\x00", "").strip()[:MAX_NAME_LENGTH],
            sort=sort if sort in set(KeyOrder) else KeyOrder.CREATED,
            number=min(max(int(number), 1), MAX_PAGE) if is_whole_number(number[:6]) else 1,
            raised=args.get("raised") == RAISED,
        )

    def args(self, **changes: str | int) -> dict[str, str | int]:
        """Query-string arguments for this table with ``changes`` (defaults left out)."""
        values = {
            "status": self.status,
            "access": self.access,
            "q": self.search,
            "sort": self.sort,
            "raised": RAISED if self.raised else "",
            **changes,
        }
        defaults = {"status": ANY_STATUS, "access": ANY_ACCESS, "q": "", "sort": KeyOrder.CREATED}
        return {
            name: value
            for name, value in values.items()
            if value not in ("", None, defaults.get(name)) and not (name == "page" and value == 1)
        }

    @property
    def filtered(self) -> bool:
        """Whether anything narrows the list (so an empty one is "none match", not "none")."""
        return (
            self.status != ANY_STATUS or self.access != ANY_ACCESS or bool(self.search)
        ) or self.raised

    def which(self, raised_at: datetime | None = None) -> KeyFilter:
        """The keys this table lets through, on every page."""
        if self.raised:
            return KeyFilter(
                status=KeyStatus.ACTIVE,
                access=ACTS_WITH_ROLE,
                search=self.search,
                created_before=raised_at,
            )
        return KeyFilter(status=self.status, access=self.access, search=self.search)

    def every_key_id(self, owner_id: int, raised_at: datetime | None, limit: int) -> list[str]:
        """The key ids of every page (at most ``limit``): what "select all" selects."""
        rows, _ = keys_slice(
            owner_id=owner_id, which=self.which(raised_at), sort=self.sort, offset=0, limit=limit
        )
        return [row.key_id for row in rows]

    def page(self, owner_id: int, raised_at: datetime | None = None) -> KeysPage:
        """The page of keys this table shows (past the last page: the last)."""
        which = self.which(raised_at)
        number = self.number
        while True:
            rows, total = keys_slice(
                owner_id=owner_id,
                which=which,
                sort=self.sort,
                offset=(number - 1) * PAGE_SIZE,
                limit=PAGE_SIZE,
            )
            last_number = max(1, -(-total // PAGE_SIZE))
            if rows or number <= last_number:
                return KeysPage(rows, number, total)
            number = last_number
