"""Which reference spellings the engine may learn from, and which are held out for testing.

The project's generator (``evaluation/``) writes spelling variants into its synthetic
records. If it drew them from the same reference lists the engine uses to undo them, its
accuracy figures would measure the lists, not the engine. So every reference list of
spelling variants is split, here and only here, into two parts:

* the **engine part**, which ``linkage.standardise`` may load into its tables;
* the **held-out part**, which only the generator uses to write variants.

A spelling is held out when the CRC-32 of its normalised form (``spelling_key``: accents
folded, lower case, letters only, so "Abdul-Rehman" and "abdul rehman" are one key)
falls in the lower ``HOLDOUT_PERCENT`` of the range. CRC-32 is fixed by the standard, so
the split is the same on every machine, in every run and in every Python version, and a
spelling keeps its side when lists are added or reordered. The split is by spelling, not
by row: a spelling held out in one group is held out in every group.

The plainest spelling of a group (its canonical form, which the engine maps the others
to) always stays on the engine side (``split_spellings(..., keep=...)``): the engine must
know the name itself, it is only denied some of the ways of misspelling it.

>>> spelling_key("Abdul-Rehman"), spelling_key("Zoë")
('abdulrehman', 'zoe')
>>> is_held_out("Naveed") == is_held_out("NAVEED") == is_held_out(" naveed ")
True
>>> split_spellings(["yousaf", "yusuf", "yousuf", "yusef"], keep=["yousaf"])[0][0]
'yousaf'
"""

from __future__ import annotations

import unicodedata
import zlib
from collections.abc import Iterable

__all__ = ["HOLDOUT_PERCENT", "is_held_out", "spelling_key", "split_spellings"]

#: Share (in percent) of non-canonical reference spellings the engine never sees.
HOLDOUT_PERCENT = 50


def spelling_key(spelling: str) -> str:
    """Accents folded, lower case, letters of any script only: the unit the split decides."""
    text = unicodedata.normalize("NFKD", spelling.casefold())
    return "".join(ch for ch in text if ch.isalpha() and not unicodedata.combining(ch))


def is_held_out(spelling: str) -> bool:
    """True when the spelling belongs to the generator's part (never the engine's)."""
    key = spelling_key(spelling)
    return bool(key) and zlib.crc32(key.encode("utf-8")) % 100 < HOLDOUT_PERCENT


def split_spellings(
    spellings: Iterable[str], keep: Iterable[str] = ()
) -> tuple[list[str], list[str]]:
    """``(engine part, held-out part)`` of one group of spellings, each in input order.

    Spellings whose key is among the keys of ``keep`` (the group's canonical spelling)
    are always in the engine part.
    """
    kept = {spelling_key(k) for k in keep}
    engine: list[str] = []
    held: list[str] = []
    for spelling in spellings:
        key = spelling_key(spelling)
        (held if key not in kept and is_held_out(spelling) else engine).append(spelling)
    return engine, held
