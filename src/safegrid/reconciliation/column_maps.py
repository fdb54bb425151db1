"""Column maps of Chinese banks' CSV/Excel statements, kept as data files.

Chinese banks publish no common statement format; each bank's export is described by one
JSON file in ``column_maps/`` (see the README there for the keys). Adding a bank is adding
a file: no code changes.
"""

from __future__ import annotations

import dataclasses
import functools
import json
from importlib import resources
from typing import Any

from safegrid.platform.errors import ValidationProblem


@dataclasses.dataclass(frozen=True)
class ColumnMap:
    code: str
    name: str
    header_fields: dict[str, tuple[str, ...]]
    table_starts_with: str
    columns: dict[str, str]
    date_formats: tuple[str, ...]
    currency_names: dict[str, str]

    @property
    def signed(self) -> bool:
        return "amount" in self.columns


def _load(raw: dict[str, Any]) -> ColumnMap:
    columns = dict(raw["columns"])
    if "amount" not in columns and not {"debit", "credit"} <= columns.keys():
        raise ValueError(f"column map {raw['code']}: needs 'amount' or 'debit' and 'credit'")
    return ColumnMap(
        code=raw["code"],
        name=raw["name"],
        header_fields={k: tuple(v) for k, v in raw["header_fields"].items()},
        table_starts_with=raw["table_starts_with"],
        columns=columns,
        date_formats=tuple(raw["date_formats"]),
        currency_names=dict(raw.get("currency_names", {})),
    )


@functools.cache
def all_maps() -> dict[str, ColumnMap]:
    folder = resources.files("safegrid.reconciliation") / "column_maps"
    maps = {}
    for item in folder.iterdir():
        if item.name.endswith(".json"):
            m = _load(json.loads(item.read_text(encoding="utf-8")))
            maps[m.code] = m
    return maps


def get(code: str) -> ColumnMap:
    try:
        return all_maps()[code]
    except KeyError:
        known = ", ".join(sorted(all_maps()))
        raise ValidationProblem(
            f"未知的银行列映射 {code!r}（已有：{known}）/ unknown bank column map {code!r} "
            f"(known: {known})",
            field="bank",
        ) from None
