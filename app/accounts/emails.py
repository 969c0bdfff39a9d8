"""Email addresses: validated, stored in one normal form, and reduced to a skeleton.

``clean_email`` is the only way an address gets into the database (email-validator, then
lower case; invisible characters refused). ``email_skeleton`` is what look-alike addresses
share (UTS #39), so only the first of them can have an account.
"""

from __future__ import annotations

import functools
import hashlib
import unicodedata
from importlib import resources

from email_validator import EmailNotValidError, validate_email

from app.accounts import messages
from app.accounts.messages import AccountRefused
from app.models.columns import EMAIL_LENGTH
from app.models.user import normalize_email

# Past this, no address can be valid: refuse before any parsing.
_MAX_INPUT_LENGTH = 4 * EMAIL_LENGTH

# Default_Ignorable_Code_Point, as DerivedCoreProperties.txt lists it (Unicode 14.0,
# checked against the table Perl 5.36 generates from it). Python's unicodedata does not
# expose the property. The set is stable: it already reserves the blocks where Unicode
# may add more.
DEFAULT_IGNORABLE_RANGES = (
    (0x00AD, 0x00AD),
    (0x034F, 0x034F),
    (0x061C, 0x061C),
    (0x115F, 0x1160),
    (0x17B4, 0x17B5),
    (0x180B, 0x180F),
    (0x200B, 0x200F),
    (0x202A, 0x202E),
    (0x2060, 0x206F),
    (0x3164, 0x3164),
    (0xFE00, 0xFE0F),
    (0xFEFF, 0xFEFF),
    (0xFFA0, 0xFFA0),
    (0xFFF0, 0xFFF8),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
    (0xE0000, 0xE0FFF),
)


def clean_email(email: str | None) -> str:
    """Return ``email`` in the form it is stored and compared in, or raise ``AccountRefused``."""
    email = (email or "").strip()
    if len(email) > _MAX_INPUT_LENGTH:
        raise AccountRefused(messages.INVALID_EMAIL)
    # email-validator refuses most of these itself, but not all (U+034F, say), and its
    # message would not say what is wrong with an address that looks right.
    if any(is_invisible(char) for char in email):
        raise AccountRefused(messages.INVISIBLE_CHARACTERS)
    try:
        valid = validate_email(email, check_deliverability=False)
    except EmailNotValidError:
        raise AccountRefused(messages.INVALID_EMAIL) from None
    email = unicodedata.normalize("NFC", normalize_email(valid.normalized))
    if len(email) > EMAIL_LENGTH:
        raise AccountRefused(messages.INVALID_EMAIL)
    return email


def is_invisible(char: str) -> bool:
    """Whether ``char`` is a format character (Cf) or default-ignorable: it shows as nothing."""
    return unicodedata.category(char) == "Cf" or is_ignorable(char)


def skeleton(text: str) -> str:
    """UTS #39's ``skeleton(text)``: equal for strings that are confusable.

    NFD, drop default-ignorable characters, map each character to its prototype in
    ``confusables.txt``, NFD again (https://www.unicode.org/reports/tr39/#def-skeleton).
    """
    prototypes = _prototypes()
    decomposed = unicodedata.normalize("NFD", text)
    mapped = "".join(prototypes.get(char, char) for char in decomposed if not is_ignorable(char))
    return unicodedata.normalize("NFD", mapped)


def is_ignorable(char: str) -> bool:
    """Whether ``char`` has Unicode's Default_Ignorable_Code_Point property."""
    code = ord(char)
    return any(low <= code <= high for low, high in DEFAULT_IGNORABLE_RANGES)


def email_skeleton(email: str) -> str:
    """The value of ``users.email_skeleton`` for ``email``: a sha256 of its folded skeleton.

    Folded before, because addresses are case-insensitive, and after, because some
    prototypes are capitals (``0`` becomes ``O``, and U+1D400, a bold mathematical A, ``A``).
    Hashed, because a skeleton can be many times longer than its address (one Arabic
    ligature becomes 18 characters) and an index wants a bounded key.
    """
    folded = skeleton(email.casefold()).casefold()
    return hashlib.sha256(folded.encode("utf-8", errors="surrogatepass")).hexdigest()


@functools.cache
def _prototypes() -> dict[str, str]:
    # Loaded on first use (about 6,700 mappings), then kept for the life of the process.
    path = resources.files("app.accounts").joinpath("data/confusables.txt")
    prototypes = {}
    for line in path.read_text(encoding="utf-8-sig").splitlines():
        fields = line.partition("#")[0].split(";")
        if len(fields) < 2:
            continue  # a comment or a blank line
        source, target = fields[0].strip(), fields[1].strip()
        prototypes[chr(int(source, 16))] = "".join(chr(int(code, 16)) for code in target.split())
    return prototypes
