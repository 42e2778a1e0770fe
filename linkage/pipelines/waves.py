"""Reading several waves into one engine frame: link-waves and match-partner both do."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from linkage.engines.base import Engine, Frame
from linkage.errors import InputError
from linkage.intake.mapping import ColumnMapping
from linkage.pipelines.summary import file_fingerprint


@dataclass
class Waves:
    """The waves read: usable records of all of them (with ``wave`` and ``wave_order``,
    an integer from 0 for the oldest), rejected rows, and what each held."""

    records: Frame
    rejected: Frame
    info: list[dict]
    ids_qualified: bool = False


def wave_names(paths: list[str]) -> list[str]:
    """A short unique name per wave: the file name without extension (``wave_2011``)."""
    names: list[str] = []
    for p in paths:
        stem = Path(p).stem or "wave"
        name, k = stem, 2
        while name in names:
            name, k = f"{stem}_{k}", k + 1
        names.append(name)
    return names


def read_waves(
    engine: Engine,
    paths: list[str],
    *,
    mapping: ColumnMapping | None,
    encoding: str | None = None,
    shared_ids: str = "qualify",
) -> Waves:
    """Read and validate each wave into the engine; a wave with no usable row is refused
    by name, with its reasons. A record id two waves use is qualified as
    ``wave:record_id`` (``shared_ids="qualify"``) or refused (``"refuse"``: a match must
    name one record)."""
    names = wave_names(paths)
    usable: list[Frame] = []
    rejected: list[Frame] = []
    info: list[dict[str, Any]] = []
    for order, (path, name) in enumerate(zip(paths, names, strict=True)):
        intake = engine.read_records(path, kind="registry", mapping=mapping, encoding=encoding)
        tag = {"wave": name, "wave_order": order}
        usable.append(engine.with_values(intake.rows, tag))
        rejected.append(engine.with_values(intake.rejected, {"wave": name}))
        info.append(
            {
                "wave": name,
                "path": str(path),
                "fingerprint": file_fingerprint(path),
                "wave_order": order,
                "columns": intake.columns,
                "rows_read": intake.rows_read,
                "rows_used": intake.rows_used,
                "rows_rejected": intake.rows_rejected,
                "rejected_by_reason": intake.rejected_by_reason,
            }
        )
    every = set().union(*(i["columns"] for i in info))
    for i in info:
        i["columns_missing"] = sorted(every - set(i["columns"]))
        del i["columns"]
    records = engine.union(usable)
    shared = engine.duplicated(records, "record_id", within="wave_order")
    qualified = False
    if len(shared) and shared_ids == "refuse":
        waves = sorted(set(shared["wave_order"]))
        ids = list(dict.fromkeys(shared["record_id"].astype(str)))
        raise InputError(
            f"record_id(s) appear in more than one registry wave "
            f"({' and '.join(str(paths[w]) for w in waves[:3])}), e.g. {', '.join(ids[:3])}. "
            "Record ids must be unique across the waves: prefix each wave's ids "
            "(w11-..., w21-...).",
            column="record_id",
        )
    if len(shared):
        records, qualified = engine.qualify_ids(records, "wave"), True
    return Waves(records, engine.union(rejected), info, qualified)
