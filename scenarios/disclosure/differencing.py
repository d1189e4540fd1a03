"""Differencing: two aggregates of the same table, grouped alike, over populations that
differ by a few entities. Each may pass on its own; subtracting one from the other gives
the few entities' cells ("all vessels" minus "all vessels but one" is that one vessel).

An aggregate is described as ``{"id", "table", "group_by": [names], "filters": "<WHERE
sql, normalized>", "cells": ...}`` where cells are either a mapping from key (a tuple, or
a JSON list as text, or a single value) to the number of entities, or a list of
``{"key": [...], "entities": n}``. Cells without a number of entities are not compared.
"""

import json
import re
from collections.abc import Iterable

from scenarios.disclosure.params import FAIL, PASS
from scenarios.disclosure.reasons import say

Key = tuple


def _part(value):
    """One group value, comparable across JSON round trips (3, 3.0 and "3" agree)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _key(raw) -> Key:
    if isinstance(raw, str):
        try:
            parsed = json.loads(raw)
        except ValueError:
            parsed = None
        raw = parsed if isinstance(parsed, list) else [raw]
    elif not isinstance(raw, list | tuple):
        raw = [raw]
    return tuple(_part(part) for part in raw)


def _count(value) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return int(value)


def _items(aggregate: dict) -> Iterable[tuple]:
    cells = aggregate.get("cells") or {}
    if isinstance(cells, dict):
        return cells.items()
    return ((cell.get("key"), cell.get("entities")) for cell in cells if isinstance(cell, dict))


def cells_of(aggregate: dict) -> dict[Key, int]:
    """An aggregate's cells as {key: entities}, keys in its group_by order."""
    found: dict[Key, int] = {}
    for raw, entities in _items(aggregate):
        count = _count(entities)
        if count is not None:
            found[_key(raw)] = count
    return found


def _unknown(aggregate: dict) -> set[Key]:
    """Cells shown without a number of entities (suppressed): not taken for zero."""
    return {_key(raw) for raw, entities in _items(aggregate) if _count(entities) is None}


def _filters(aggregate: dict) -> str:
    return re.sub(r"\s+", " ", str(aggregate.get("filters") or "")).strip()


def _aligned(candidate: dict, released: dict) -> list[int] | None:
    """Positions that put the released aggregate's key parts in the candidate's group
    order, or None when the two are not grouped alike."""
    mine = [str(name) for name in candidate.get("group_by") or []]
    theirs = [str(name) for name in released.get("group_by") or []]
    if len(mine) != len(theirs) or len(set(mine)) != len(mine) or set(mine) != set(theirs):
        return None
    return [theirs.index(name) for name in mine]


def find_pairs(candidate: dict, released: list[dict], *, threshold: int) -> list[dict]:
    """The released aggregates that, with the candidate, single out fewer than threshold
    entities in some cell: same table and grouping, other filters, and for some key
    0 < |difference| < threshold (a key on one side only counts as 0 on the other)."""
    mine = cells_of(candidate)
    unknown = _unknown(candidate)
    pairs = []
    for other in released:
        if other.get("id") is not None and other.get("id") == candidate.get("id"):
            continue
        if other.get("table") != candidate.get("table"):
            continue
        order = _aligned(candidate, other)
        if order is None or _filters(other) == _filters(candidate):
            continue

        def align(key: Key, order=order) -> Key:
            return tuple(key[position] for position in order)

        theirs = {align(key): n for key, n in cells_of(other).items() if len(key) == len(order)}
        skipped = unknown | {align(key) for key in _unknown(other) if len(key) == len(order)}
        close = [
            key
            for key in sorted(mine.keys() | theirs.keys(), key=lambda key: json.dumps(key))
            if key not in skipped and 0 < abs(mine.get(key, 0) - theirs.get(key, 0)) < threshold
        ]
        if close:
            grouped = ", ".join(candidate.get("group_by") or []) or "nothing"
            cells = "1 cell" if len(close) == 1 else f"{len(close)} cells"
            pairs.append(
                {
                    "released": other.get("id"),
                    "cells": [list(key) for key in close],
                    "reason": (
                        f"Released output {other.get('id')} is grouped the same way (by "
                        f"{grouped}) over a different population; in {cells} the two "
                        f"differ by fewer than {threshold} entities, so their difference "
                        "would disclose those entities."
                    ),
                }
            )
    return pairs


def differencing_check(candidate: dict, released: list[dict], *, threshold: int) -> dict:
    """The DifferencingCheck entry: fail naming the released outputs it pairs with."""
    pairs = find_pairs(candidate, released, threshold=threshold)
    if not pairs:
        return {
            "status": PASS,
            "reason": (
                "No released aggregate of the same table and grouping differs from this one "
                f"by fewer than {threshold} entities in any cell."
            ),
            "reasons": say("differencing_pass", threshold=threshold),
            "pairs": [],
        }
    names = ", ".join(str(pair["released"]) for pair in pairs)
    outputs = "output" if len(pairs) == 1 else "outputs"
    return {
        "status": FAIL,
        "reason": (
            f"With released {outputs} {names}, this aggregate differs by fewer than "
            f"{threshold} entities in some cells: subtracting one from the other would "
            "disclose them."
        ),
        "reasons": say(
            "differencing_fail", released=[pair["released"] for pair in pairs], threshold=threshold
        ),
        "pairs": pairs,
        "released": [pair["released"] for pair in pairs],
    }
