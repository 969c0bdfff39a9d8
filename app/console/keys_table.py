"""What the keys table shows, read from the query string: status, search, sort and page."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from app.keys.key_list import ANY_STATUS, KeyOrder, keys_page
from app.keys.rules import MAX_NAME_LENGTH
from app.keys.status import KeyStatus
from app.paging import Page, PagingError

if TYPE_CHECKING:
    from app.models import ApiKey

PAGE_SIZE = 50


@dataclass(frozen=True)
class KeysTable:
    """What the keys table shows: a status, a name search, a sort, a page."""

    status: str = ANY_STATUS
    search: str = ""
    sort: str = KeyOrder.CREATED
    cursor: str | None = None

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> KeysTable:
        """The table a query string asks for (anything unknown falls back to the default)."""
        status = args.get("status", ANY_STATUS)
        sort = args.get("sort", KeyOrder.CREATED)
        return cls(
            status=status if status in set(KeyStatus) else ANY_STATUS,
            search=args.get("q", "").replace("\x00", "").strip()[:MAX_NAME_LENGTH],
            sort=sort if sort in set(KeyOrder) else KeyOrder.CREATED,
            cursor=args.get("cursor") or None,
        )

    def args(self, **changes: str) -> dict[str, str]:
        """Query-string arguments for this table with ``changes`` (defaults left out)."""
        values = {"status": self.status, "q": self.search, "sort": self.sort, **changes}
        defaults = {"status": ANY_STATUS, "q": "", "sort": KeyOrder.CREATED, "cursor": None}
        return {name: value for name, value in values.items() if value != defaults.get(name)}

    @property
    def filtered(self) -> bool:
        """Whether anything narrows the list (so an empty one is "none match", not "none")."""
        return self.status != ANY_STATUS or bool(self.search)

    def page(self, owner_id: int) -> Page[ApiKey]:
        """The page of keys this table shows (a cursor the app never gave: the first)."""
        query = partial(
            keys_page,
            owner_id=owner_id,
            limit=PAGE_SIZE,
            status=self.status,
            search=self.search,
            sort=self.sort,
        )
        try:
            return query(cursor=self.cursor)
        except PagingError:
            return query()
