"""Mitigating an aggregate table whose cells fail the checks: suppression of the failing
cells together with the cells that totals would otherwise give away, or rounding to a base.

A table is seen as a grid over its group columns: a cell is one combination of group
values (its key), a *line* is the set of cells that share all group values but one (a row
or a column of a two-way table; the whole table for a one-way table), and a line's total
is a marginal total a reader may know (published elsewhere, or the population). Absent
combinations are structural zeros that everybody knows; they are not cells.

What ``suppress`` guarantees, with every line total known and every published cell known
(non-negativity and other outside knowledge aside: the ranges a suppressed value can take
are not widened on purpose):

- one group column: the table has no suppressed cell or at least two (the grand total
  then gives only their sum); a lone partner is the smallest other cell;
- two group columns: no suppressed cell can be computed from the published cells and the
  row, column and grand totals. First every row and column holding one suppressed cell
  gets its smallest other cell suppressed, until none holds just one. Then, seeing the
  suppressed cells as a bipartite graph (rows and columns as nodes, cells as edges), a
  cell is determined by the totals exactly when it is a bridge of that graph (on no
  cycle); every bridge is closed into a cycle with the smallest cell joining its two
  sides. In a complete table such a cell always exists, so nothing stays exposed;
- three or more group columns: every line along every group column holds no suppressed
  cell or at least two (the partner chosen to open the fewest new lines, then smallest);
  when at most ``AUDIT_LIMIT`` cells are suppressed, the system of all line totals is
  also solved exactly (``determined_cells``) and cells are added until no suppressed cell
  is determined by it. Beyond that limit only the line rule holds.

A cell that no choice of cells can protect (the only cell of its row, say: the row total
*is* the cell) stays suppressed and is reported as *exposed* by ``plan_suppression``: the
total of its line must not be published.
"""

import math
from collections import defaultdict, deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

Key = tuple[str, ...]

AUDIT_LIMIT = 500  # suppressed cells up to which 3+-way tables are audited exactly
_PRIME = (1 << 61) - 1  # exact elimination modulo a large prime (see determined_cells)
_NULLS = {"", "None", "NULL", "null", "NaN", "nan"}


@dataclass
class Suppression:
    primary: set[Key]
    secondary: set[Key] = field(default_factory=set)
    exposed: set[Key] = field(default_factory=set)  # still determined by a line's total

    @property
    def suppressed(self) -> set[Key]:
        return self.primary | self.secondary


def _part(value) -> str:
    return "" if value is None else str(value)


def cell_key(row: dict, group_by: list[str]) -> Key:
    """A row's cell: its group values as text (a missing value is the empty text, as a
    CSV writes NULL)."""
    return tuple(_part(row.get(column)) for column in group_by)


def _weight(value) -> float:
    """How much suppressing a cell hides: its value (the smallest cells go first)."""
    if value is None or isinstance(value, bool):
        return math.inf
    try:
        number = float(value)
    except (TypeError, ValueError):
        return math.inf
    return abs(number) if math.isfinite(number) else math.inf


def _resolve(failing: Iterable[tuple], keys: set[Key]) -> set[Key]:
    """The failing cells as keys of the table; a missing group value may be given as
    None, "None" or "NULL". A failing cell that is not in the table is an error: it
    would otherwise be published."""
    resolved, missing = set(), 0
    for key in failing:
        exact = tuple(_part(part) for part in key)
        loose = tuple("" if part in _NULLS else part for part in exact)
        if exact in keys:
            resolved.add(exact)
        elif loose in keys:
            resolved.add(loose)
        else:
            missing += 1
    if missing:
        raise ValueError(f"{missing} failing cell(s) are not in the table")
    return resolved


def _lines(keys: Iterable[Key], dims: int) -> dict[tuple, list[Key]]:
    lines: dict[tuple, list[Key]] = defaultdict(list)
    for key in sorted(keys):
        for dim in range(dims):
            lines[(dim, key[:dim] + key[dim + 1 :])].append(key)
    return lines


def _line_rule(
    lines: dict[tuple, list[Key]], dims: int, weights: dict[Key, float], hidden: set[Key]
) -> set[Key]:
    """Add another cell to each line holding exactly one suppressed cell, until none
    does; return the cells left alone in a line that has no other cell.

    With one or two group columns the smallest other cell is added. With more, the
    smallest among those that leave the fewest new lines with a single suppressed cell
    (each added cell lies on a line in every other direction, and choosing by size
    alone would cascade through the table)."""

    def count(line: tuple) -> int:
        return sum(1 for key in lines[line] if key in hidden)

    def cost(key: Key, along: int) -> tuple:
        if dims <= 2:
            return (weights[key], key)
        opened = sum(
            1
            for dim in range(dims)
            if dim != along and count((dim, key[:dim] + key[dim + 1 :])) == 0
        )
        return (opened, weights[key], key)

    alone: set[Key] = set()
    work = deque(line for line in lines if any(key in hidden for key in lines[line]))
    while work:  # first in, first out: the primary cells' lines go first
        line = work.popleft()
        members = lines[line]
        inside = [key for key in members if key in hidden]
        if len(inside) != 1:
            continue
        others = [key for key in members if key not in hidden]
        if not others:
            alone.add(inside[0])
            continue
        added = min(others, key=lambda key: cost(key, line[0]))
        hidden.add(added)
        work.extend((dim, added[:dim] + added[dim + 1 :]) for dim in range(dims))
    return alone


# --- Two-way tables: bridges of the suppressed cells' graph ------------------------------


def _bridges(hidden: set[Key]) -> list[Key]:
    """Suppressed cells (edges between row r and column c) on no cycle (Tarjan)."""
    adjacent: dict[tuple, list[tuple[tuple, Key]]] = defaultdict(list)
    for key in sorted(hidden):
        row, column = ("r", key[0]), ("c", key[1])
        adjacent[row].append((column, key))
        adjacent[column].append((row, key))
    order: dict[tuple, int] = {}
    low: dict[tuple, int] = {}
    found = []
    for root in adjacent:
        if root in order:
            continue
        order[root] = low[root] = len(order)
        stack = [(root, None, iter(adjacent[root]))]
        while stack:
            node, via, edges = stack[-1]
            step = next(edges, None)
            if step is None:
                stack.pop()
                if stack:
                    parent = stack[-1][0]
                    low[parent] = min(low[parent], low[node])
                    if low[node] > order[parent]:
                        found.append(via)
                continue
            neighbour, key = step
            if key == via:
                continue
            if neighbour in order:
                low[node] = min(low[node], order[neighbour])
            else:
                order[neighbour] = low[neighbour] = len(order)
                stack.append((neighbour, key, iter(adjacent[neighbour])))
    return found


def _side(hidden: set[Key], start: tuple, without: Key) -> set[tuple]:
    adjacent: dict[tuple, list[tuple]] = defaultdict(list)
    for key in hidden:
        if key != without:
            adjacent[("r", key[0])].append(("c", key[1]))
            adjacent[("c", key[1])].append(("r", key[0]))
    seen, todo = {start}, [start]
    while todo:
        for neighbour in adjacent[todo.pop()]:
            if neighbour not in seen:
                seen.add(neighbour)
                todo.append(neighbour)
    return seen


def _close_bridges(keys: set[Key], weights: dict[Key, float], hidden: set[Key]) -> set[Key]:
    """Close every bridge into a cycle with the smallest cell joining its two sides;
    return the bridges that no cell can close."""
    exposed: set[Key] = set()
    while True:
        bridge = next((key for key in _bridges(hidden) if key not in exposed), None)
        if bridge is None:
            return exposed
        one = _side(hidden, ("r", bridge[0]), bridge)
        other = _side(hidden, ("c", bridge[1]), bridge)
        candidates = [
            key
            for key in keys
            if key not in hidden
            and (
                (("r", key[0]) in one and ("c", key[1]) in other)
                or (("r", key[0]) in other and ("c", key[1]) in one)
            )
        ]
        if candidates:
            hidden.add(min(candidates, key=lambda key: (weights[key], key)))
        else:
            exposed.add(bridge)


# --- Any number of group columns: exact audit of the line totals ------------------------


def determined_cells(keys: Iterable[Key], hidden: set[Key]) -> set[Key]:
    """The suppressed cells whose values follow from the published cells and the totals
    of all lines (every marginal total). A cell is determined when the unit vector on it
    lies in the row space of the lines' indicator rows restricted to the suppressed cells:
    in the fully reduced echelon form its pivot row holds nothing else. Elimination is
    done modulo a 61-bit prime: the matrices hold 0 and 1 only, and their ranks agree
    with the rational ranks unless the prime divides a minor."""
    keys = list(keys)
    if not hidden:
        return set()
    dims = len(next(iter(hidden)))
    index = {key: number for number, key in enumerate(sorted(hidden))}
    pivots: dict[int, dict[int, int]] = {}
    for members in _lines(keys, dims).values():
        row = {index[key]: 1 for key in members if key in index}
        for column in [column for column in row if column in pivots]:
            factor = row.get(column, 0)
            if factor:
                for other, value in pivots[column].items():
                    row[other] = (row.get(other, 0) - factor * value) % _PRIME
        row = {column: value for column, value in row.items() if value}
        if not row:
            continue
        pivot = min(row)
        inverse = pow(row[pivot], _PRIME - 2, _PRIME)
        row = {column: value * inverse % _PRIME for column, value in row.items()}
        for other in pivots.values():
            factor = other.get(pivot, 0)
            if factor:
                for column, value in row.items():
                    other[column] = (other.get(column, 0) - factor * value) % _PRIME
                for column in [column for column, value in other.items() if not value]:
                    del other[column]
        pivots[pivot] = row
    names = sorted(hidden)
    return {names[pivot] for pivot, row in pivots.items() if len(row) == 1}


def _close_determined(
    lines: dict[tuple, list[Key]], dims: int, weights: dict[Key, float], hidden: set[Key]
) -> set[Key]:
    """Audit the line totals exactly; for each determined cell, add the smallest cell that
    shares a line with it, and audit again, until none is determined or none can be
    helped. Return those that cannot (the only cell of a line is its line's total)."""
    keys = {key for members in lines.values() for key in members}
    exposed: set[Key] = set()
    while len(hidden) <= AUDIT_LIMIT:
        added = False
        for cell in sorted(determined_cells(keys, hidden) - exposed):
            around = [lines[(dim, cell[:dim] + cell[dim + 1 :])] for dim in range(dims)]
            near = {key for members in around for key in members if key not in hidden}
            if any(len(members) == 1 for members in around) or not near:
                exposed.add(cell)
                continue
            hidden.add(min(near, key=lambda key: (weights[key], key)))
            added = True
        if not added:
            break
        _line_rule(lines, dims, weights, hidden)
    return exposed


def plan_suppression(weights: dict[Key, float], primary: set[Key], dims: int) -> Suppression:
    """Which cells to suppress, given each cell's weight (smaller goes first)."""
    hidden = set(primary)
    plan = Suppression(primary=set(primary))
    if not hidden or dims == 0:
        plan.exposed = set(hidden)
        return plan
    lines = _lines(weights, dims)
    alone = _line_rule(lines, dims, weights, hidden)
    if dims == 1:
        exposed = alone
    elif dims == 2:
        exposed = _close_bridges(set(weights), weights, hidden)
    else:
        exposed = _close_determined(lines, dims, weights, hidden) | alone
    plan.secondary = hidden - plan.primary
    plan.exposed = exposed
    return plan


def suppress(
    rows: list[dict],
    *,
    group_by: list[str],
    value_columns: list[str],
    failing: set[tuple],
    size_column: str | None = None,
) -> tuple[list[dict], set[tuple]]:
    """The rows with the failing cells and their secondary cells suppressed (their value
    columns None, an empty field in CSV), and the keys of every suppressed cell. A cell's
    key is the tuple of its group values as text; secondary cells are chosen smallest
    first by ``size_column`` (the first value column by default)."""
    size_column = size_column or (value_columns[0] if value_columns else None)
    weights: dict[Key, float] = {}
    for row in rows:
        key = cell_key(row, group_by)
        weight = _weight(row.get(size_column)) if size_column else math.inf
        weights[key] = min(weight, weights.get(key, math.inf))
    primary = _resolve(failing, set(weights))
    hidden = plan_suppression(weights, primary, len(group_by)).suppressed
    result = []
    for row in rows:
        row = dict(row)
        if cell_key(row, group_by) in hidden:
            for column in value_columns:
                row[column] = None
        result.append(row)
    return result, hidden


def _rounded(value, base: int):
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, float | Decimal | str):
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            return value  # not a number: a label, left as it is
    else:
        return value
    if not number.is_finite():
        return value
    return int((number / base).quantize(Decimal(1), rounding=ROUND_HALF_UP)) * base


def round_to_base(rows: list[dict], *, value_columns: list[str], base: int = 5) -> list[dict]:
    """The rows with every numeric value rounded to the nearest multiple of base (halves
    away from zero); empty values and text stay as they are."""
    if isinstance(base, bool) or not isinstance(base, int) or base < 1:
        raise ValueError("base must be a positive integer")
    result = []
    for row in rows:
        row = dict(row)
        for column in value_columns:
            if column in row:
                row[column] = _rounded(row[column], base)
        result.append(row)
    return result
