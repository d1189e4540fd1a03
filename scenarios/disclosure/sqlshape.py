"""The shape of a SQL job's aggregate query, and which statement produced which output.

``aggregate_shape`` accepts only a query whose evidence trusted code can derive: a single
SELECT over one workspace table, filtered by comparisons of columns and literals (and a
few scalar functions), grouped by columns or such functions of columns, selecting the
group expressions and plain aggregates of columns. Anything else (joins, subqueries,
CTEs, windows, HAVING, DISTINCT, LIMIT, set operations, table functions, unknown
functions ...) gives None: the output goes to review, never to pass.

The query is hostile code. Only its re-generated AST, made of allow-listed nodes, is ever
run (by ``scenarios.disclosure.check``, in a locked DuckDB connection); the text the job
wrote never is.
"""

import functools
import posixpath
import re
from dataclasses import dataclass

import sqlglot
from sqlglot import exp

from scenarios.sandbox.runner import MARKER, alias

DIALECT = "duckdb"

# Scalar functions allowed in filters and group expressions, as sqlglot parses them ...
_FUNCTIONS = (
    exp.TimestampTrunc,
    exp.DateTrunc,
    exp.Year,
    exp.Month,
    exp.Day,
    exp.Hour,
    exp.Lower,
    exp.Upper,
    exp.Abs,
    exp.Round,
    exp.Coalesce,
    exp.Cast,
)
# ... and by name, when sqlglot leaves one of them as an anonymous function.
_FUNCTION_NAMES = {
    "date_trunc",
    "year",
    "month",
    "day",
    "hour",
    "lower",
    "upper",
    "abs",
    "round",
    "coalesce",
}
_SCALAR = (
    exp.Column,
    exp.Identifier,
    exp.Literal,
    exp.Boolean,
    exp.Null,
    exp.Paren,
    exp.Neg,
    exp.And,
    exp.Or,
    exp.Not,
    exp.EQ,
    exp.NEQ,
    exp.GT,
    exp.GTE,
    exp.LT,
    exp.LTE,
    exp.In,
    exp.Between,
    exp.Like,
    exp.ILike,
    exp.Escape,
    exp.Is,
    exp.Add,
    exp.Sub,
    exp.Mul,
    exp.Div,
    exp.DataType,
    exp.DataTypeParam,
    exp.Var,
    exp.Anonymous,
    *_FUNCTIONS,
)
_TYPES = {
    "BOOLEAN",
    "TINYINT",
    "SMALLINT",
    "INT",
    "BIGINT",
    "HUGEINT",
    "UTINYINT",
    "USMALLINT",
    "UINT",
    "UBIGINT",
    "FLOAT",
    "DOUBLE",
    "DECIMAL",
    "VARCHAR",
    "TEXT",
    "CHAR",
    "DATE",
    "TIME",
    "TIMESTAMP",
    "TIMESTAMPNTZ",
    "TIMESTAMPTZ",
}
_WORD = re.compile(r"^[A-Za-z_]{1,20}$")
_PLACEHOLDER = re.compile(r"^[a-z][a-z0-9_]{0,39}$")  # a data service's $parameter
_SELECT_PARTS = {"expressions", "from_", "where", "group", "order"}
# aggregate node -> its name in check records
_AGGREGATES = {
    exp.Count: "count",
    exp.Sum: "sum",
    exp.Avg: "mean",
    exp.Min: "min",
    exp.Max: "max",
    exp.Median: "median",
}
_ANONYMOUS_AGGREGATES = {"mean": "mean", "avg": "mean"}


class _Refused(Exception):
    """The query is not of a shape whose evidence can be derived."""


@dataclass(frozen=True)
class Item:
    """One column of the query's result, in SELECT order."""

    sql: str  # the re-generated expression (no alias, no table qualifier)
    name: str | None  # the output column's name, when the query fixes it
    function: str | None = None  # aggregates: count, sum, mean, min, max, median
    column: str | None = None  # aggregates: the column (None for count(*))

    @property
    def is_aggregate(self) -> bool:
        return self.function is not None

    @property
    def label(self) -> str:
        return f"{self.function}({self.column if self.column is not None else '*'})"


@dataclass(frozen=True)
class Shape:
    table: str  # the workspace table's catalog code
    where: str  # the re-generated filter ('' without one)
    items: tuple[Item, ...]
    group_by: tuple[str, ...]  # re-generated group expressions
    qualifiers: tuple[str, ...] = ()  # the names the query gives the table (lower case)

    @property
    def groups(self) -> tuple[Item, ...]:
        return tuple(item for item in self.items if not item.is_aggregate)

    @property
    def aggregates(self) -> tuple[Item, ...]:
        return tuple(item for item in self.items if item.is_aggregate)

    def filtered_sql(self, source: str) -> str:
        """The rows of the cells: ``source`` (a relation name, quoted) filtered."""
        where = f" WHERE {self.where}" if self.where else ""
        return f"SELECT * FROM {source}{where}"  # noqa: S608

    def query_sql(self, source: str) -> str:
        """The query itself, re-generated over ``source``, columns named c0, c1 ..."""
        columns = ", ".join(f'{item.sql} AS "c{index}"' for index, item in enumerate(self.items))
        group = f" GROUP BY {', '.join(self.group_by)}" if self.group_by else ""
        return f"SELECT {columns} FROM ({self.filtered_sql(source)}) AS cell_rows{group}"  # noqa: S608

    def result_sql(self, source: str) -> str:
        """The query as the job's result names its columns: by the query's own names, and
        by DuckDB's names of the re-generated expressions where the query gives none."""
        columns = ", ".join(
            item.sql
            if item.name is None
            else f'{item.sql} AS "{item.name.replace(chr(34), chr(34) * 2)}"'
            for item in self.items
        )
        group = f" GROUP BY {', '.join(self.group_by)}" if self.group_by else ""
        return f"SELECT {columns} FROM ({self.filtered_sql(source)}) AS cell_rows{group}"  # noqa: S608


def _sql(node: exp.Expression) -> str:
    """The node re-generated, identifiers quoted, comments and column qualifiers dropped
    (the query reads one table)."""
    copy = node.copy()
    for column in copy.find_all(exp.Column):
        column.set("table", None)
    return copy.sql(dialect=DIALECT, identify=True, comments=False)


def _check_scalar(
    node: exp.Expression, qualifiers: set[str], *, placeholders: bool = False
) -> None:
    for part in node.walk():
        if placeholders and isinstance(part, exp.Placeholder):
            if not isinstance(part.this, str) or not _PLACEHOLDER.match(part.this):
                raise _Refused("placeholder")
            continue
        if not isinstance(part, _SCALAR):
            raise _Refused(type(part).__name__)
        if isinstance(part, exp.Column):
            if not isinstance(part.this, exp.Identifier) or part.args.get("db"):
                raise _Refused("column")
            if part.args.get("catalog") or part.args.get("join_mark"):
                raise _Refused("column")
            table = part.args.get("table")
            if table is not None and table.name.lower() not in qualifiers:
                raise _Refused("qualifier")
        elif isinstance(part, exp.Anonymous):
            if str(part.this).lower() not in _FUNCTION_NAMES:
                raise _Refused("function")
        elif isinstance(part, exp.Var):
            if not _WORD.match(str(part.this)):
                raise _Refused("var")
        elif isinstance(part, exp.DataType):
            kind = part.this
            if getattr(kind, "name", None) not in _TYPES:
                raise _Refused("type")
            if any(not isinstance(p, exp.DataTypeParam) for p in part.expressions):
                raise _Refused("type")
        elif isinstance(part, exp.In) and (
            part.args.get("query") or part.args.get("unnest") or part.args.get("field")
        ):
            raise _Refused("in")


def _column_name(node: exp.Expression, qualifiers: set[str]) -> str:
    if not isinstance(node, exp.Column):
        raise _Refused("aggregate of an expression")
    _check_scalar(node, qualifiers)
    return node.name


def _aggregate(node: exp.Expression, qualifiers: set[str]) -> tuple[str, str | None] | None:
    """(function, column) of a plain aggregate; None for a node without aggregates."""
    if isinstance(node, exp.Round) and isinstance(node.this, exp.AggFunc | exp.Anonymous):
        inner = _aggregate(node.this, qualifiers)
        if inner is not None:
            for key, value in node.args.items():
                if key != "this" and value is not None:
                    _check_scalar(value, qualifiers)
            return inner
    function = None
    if type(node) in _AGGREGATES:
        function = _AGGREGATES[type(node)]
        argument = node.this
        extra = {k: v for k, v in node.args.items() if k not in ("this", "big_int") and v}
        if extra:
            raise _Refused("aggregate arguments")
    elif isinstance(node, exp.Anonymous) and str(node.this).lower() in _ANONYMOUS_AGGREGATES:
        function = _ANONYMOUS_AGGREGATES[str(node.this).lower()]
        if len(node.expressions) != 1:
            raise _Refused("aggregate arguments")
        argument = node.expressions[0]
    if function is None:
        if any(isinstance(part, exp.AggFunc | exp.Window) for part in node.walk()):
            raise _Refused("aggregate inside an expression")
        return None
    if function == "count":
        if isinstance(argument, exp.Star):
            return function, None
        if isinstance(argument, exp.Literal) and not argument.is_string and argument.this.isdigit():
            return function, None  # count(1)
    return function, _column_name(argument, qualifiers)


def _table(select: exp.Select, tables: dict[str, str]) -> tuple[str, set[str]]:
    source = select.args.get("from_")
    if not isinstance(source, exp.From) or any(v for k, v in source.args.items() if k != "this"):
        raise _Refused("from")
    table = source.this
    if not isinstance(table, exp.Table) or not isinstance(table.this, exp.Identifier):
        raise _Refused("not a table")
    if any(v for k, v in table.args.items() if k not in ("this", "alias")):
        raise _Refused("table options")
    name = table.this.name
    code = next(
        (c for c in tables if name.lower() in (c.lower(), alias(c).lower())),
        None,
    )
    if code is None:
        raise _Refused("not a workspace table")
    qualifiers = {name.lower()}
    table_alias = table.args.get("alias")
    if table_alias is not None:
        if table_alias.args.get("columns") or not isinstance(table_alias.this, exp.Identifier):
            raise _Refused("alias")
        qualifiers.add(table_alias.name.lower())
    return code, qualifiers


def _shape(statement_sql: str, tables: dict[str, str], placeholders: bool) -> Shape:
    try:
        parsed = [p for p in sqlglot.parse(statement_sql, read=DIALECT) if p is not None]
    except (sqlglot.errors.SqlglotError, ValueError, RecursionError):
        raise _Refused("parse") from None
    if len(parsed) != 1 or type(parsed[0]) is not exp.Select:
        raise _Refused("not one SELECT")
    select = parsed[0]
    for key, value in select.args.items():
        if value and key not in _SELECT_PARTS:
            raise _Refused(key)
    code, qualifiers = _table(select, tables)
    where = ""
    if select.args.get("where") is not None:
        condition = select.args["where"].this
        _check_scalar(condition, qualifiers, placeholders=placeholders)
        where = _sql(condition)

    items: list[Item] = []
    nodes: list[exp.Expression] = []
    for expression in select.expressions:
        name, node = None, expression
        if isinstance(expression, exp.Alias):
            if not isinstance(expression.args.get("alias"), exp.Identifier):
                raise _Refused("alias")
            name, node = expression.alias, expression.this
        aggregate = _aggregate(node, qualifiers)
        if aggregate is not None:
            items.append(Item(_sql(node), name, aggregate[0], aggregate[1]))
        else:
            _check_scalar(node, qualifiers)
            if name is None and isinstance(node, exp.Column):
                name = node.name
            items.append(Item(_sql(node), name))
        nodes.append(node)
    if not any(item.is_aggregate for item in items):
        raise _Refused("no aggregate")

    group = select.args.get("group")
    groups: list[str] = []
    if group is not None:
        if any(v for k, v in group.args.items() if k not in ("expressions", "all")):
            raise _Refused("grouping sets")
        if group.args.get("all"):
            groups = [item.sql for item in items if not item.is_aggregate]
        for expression in group.expressions:
            groups.append(_group_expression(expression, items, nodes, qualifiers))
    chosen = set(groups)
    # every non-aggregate column is a group expression, every group expression a column
    if {item.sql for item in items if not item.is_aggregate} != chosen:
        raise _Refused("group expressions and columns differ")
    return Shape(code, where, tuple(items), tuple(dict.fromkeys(groups)), tuple(sorted(qualifiers)))


def _group_expression(
    expression: exp.Expression, items: list[Item], nodes: list, qualifiers: set[str]
) -> str:
    if isinstance(expression, exp.Literal) and not expression.is_string:
        if not expression.this.isdigit() or not 1 <= int(expression.this) <= len(items):
            raise _Refused("ordinal")
        item = items[int(expression.this) - 1]
        if item.is_aggregate:
            raise _Refused("ordinal of an aggregate")
        return item.sql
    if isinstance(expression, exp.Column) and expression.args.get("table") is None:
        # An output name: only when it names a plain column of the same name (otherwise
        # whether DuckDB reads it as the column or the alias is not for us to guess).
        for item, node in zip(items, nodes, strict=True):
            same_name = item.name is not None and item.name.lower() == expression.name.lower()
            if same_name and not (isinstance(node, exp.Column) and node.name == expression.name):
                raise _Refused("group by an output name")
    _check_scalar(expression, qualifiers)
    return _sql(expression)


def aggregate_shape(
    statement_sql: str, tables: dict[str, str], *, placeholders: bool = False
) -> Shape | None:
    """The shape of an aggregate query over one of ``tables`` (the workspace's tables,
    catalog code -> file, matched by code or by its alias ``hy_0001``), or None when its
    evidence cannot be derived (review). With ``placeholders`` (a data service's
    template), the filter may hold named parameters ``$name``, bound when it runs."""
    try:
        return _shape(statement_sql, tables, placeholders)
    except (_Refused, RecursionError):
        return None


# --- Which statement produced which output ------------------------------------------------

_NAME = re.compile(r"[^A-Za-z0-9._-]")  # as scenarios.sandbox.collect cleans names
OUTPUT_FOLDER = "/output"  # the sandbox's output folder, also the job's working directory
_PLAIN_NAME = re.compile(r"[A-Za-z0-9._-]{1,255}")
# Statement types (DuckDB's) that write no file. Any other (EXPORT, ATTACH, COPY FROM
# DATABASE, PREPARE/EXECUTE and EXPLAIN ANALYZE of a COPY, CALL, PRAGMA, SET ...) may.
_WRITE_NO_FILE = {
    "SELECT",
    "INSERT",
    "UPDATE",
    "DELETE",
    "MERGE_INTO",
    "CREATE",
    "CREATE_FUNC",
    "DROP",
    "ALTER",
    "TRANSACTION",
    "ANALYZE",
    "DETACH",
    "VARIABLE_SET",
}
# COPY ... TO options that still write one file (no partitions, no file per thread ...)
_COPY_OPTIONS = {
    "FORMAT",
    "HEADER",
    "DELIMITER",
    "DELIM",
    "SEP",
    "QUOTE",
    "ESCAPE",
    "NULL",
    "NULLSTR",
    "DATEFORMAT",
    "TIMESTAMPFORMAT",
    "FORCE_QUOTE",
    "COMPRESSION",
    "CODEC",
    "COMPRESSION_LEVEL",
    "ROW_GROUP_SIZE",
    "ROW_GROUP_SIZE_BYTES",
    "PARQUET_VERSION",
    "ARRAY",
}


class _Unresolved(Exception):
    """A statement writes, or may write, a file whose name is not known."""


def _collected_name(name: str) -> str:
    return _NAME.sub("_", name).lstrip(".")[:100] or "output"


def output_name(target: str) -> str | None:
    """The name of the file directly in the output folder that ``target`` (a path as a
    job wrote it; a relative one is relative to the output folder) names, or None: a path
    elsewhere, in a sub-folder, with a scheme (``file:``), a home (``~``), a backslash or
    any character a collected name would not keep. Repeated slashes, ``.`` and ``..``
    are resolved."""
    if not target or any(mark in target for mark in ("\\", ":", "\x00")) or target[0] == "~":
        return None
    path = target if target.startswith("/") else f"{OUTPUT_FOLDER}/{target}"
    path = posixpath.normpath(re.sub("/+", "/", path))
    folder, _, name = path.rpartition("/")
    if folder != OUTPUT_FOLDER or name in (".", "..") or not _PLAIN_NAME.fullmatch(name):
        return None
    return name


def _copy_write(statement: str) -> tuple[str, str | None] | None:
    """(file name, query SQL or None) of ``COPY (query) TO '/output/NAME'``; None for a
    COPY that reads (``COPY table FROM``). Raises ``_Unresolved`` for a COPY whose target
    is not one known file of the output folder."""
    try:
        parsed = [p for p in sqlglot.parse(statement, read=DIALECT) if p is not None]
    except (sqlglot.errors.SqlglotError, ValueError, RecursionError):
        raise _Unresolved from None
    if len(parsed) != 1 or not isinstance(parsed[0], exp.Copy):
        raise _Unresolved
    copy = parsed[0]
    if copy.args.get("kind") is True:  # COPY ... FROM: reads a file into a table
        return None
    files = copy.args.get("files") or []
    if len(files) != 1:
        raise _Unresolved
    target = files[0]
    if type(target) is exp.Literal and target.is_string:
        quote = "'"
    elif type(target) is exp.Identifier and target.quoted:
        quote = '"'
    else:  # an expression, an escape, raw or byte string ...
        raise _Unresolved
    text = target.this
    # the target exactly as written, so that sqlglot and DuckDB read the same path
    if quote + text.replace(quote, quote * 2) + quote not in statement:
        raise _Unresolved
    credentials = copy.args.get("credentials")
    if credentials is not None and any(credentials.args.values()):
        raise _Unresolved
    for parameter in copy.args.get("params") or []:
        option = parameter.this if isinstance(parameter, exp.CopyParameter) else None
        if not isinstance(option, exp.Var) or option.name.upper() not in _COPY_OPTIONS:
            raise _Unresolved
    name = output_name(text)
    if name is None:
        raise _Unresolved
    query = copy.this.this if isinstance(copy.this, exp.Subquery) else None
    return name, (query.sql(dialect=DIALECT, comments=False) if query is not None else None)


@functools.cache
def _parser():
    """An empty in-memory DuckDB, only for parsing statements (its cursors are
    independent connections to it)."""
    import duckdb

    return duckdb.connect()


def output_statements(code: str) -> dict[str, str]:
    """Output file name -> SQL of the statement that produced it, as the runner maps them
    (``scenarios.sandbox.runner.run_sql``): ``NAME.csv`` for the first statement after a
    ``-- output: NAME`` line, ``result.csv`` for the last statement when no line names
    any, and the file of each ``COPY (query) TO '/output/NAME'`` (any spelling of that
    path: ``//output/NAME``, ``./NAME``, ``NAME``, ``"/output/NAME"`` ...). A file more
    than one statement writes is left out. A statement that writes, or may write, a file
    whose name is not known (a COPY elsewhere or to a path that is not a plain name, with
    partitions, an EXPORT, ATTACH, PREPARE, EXPLAIN, CALL, PRAGMA or SET ...) could
    overwrite any output: then no output is mapped (each gets review)."""
    import duckdb

    connection = _parser().cursor()  # a cursor is cheap; a new database is not (~70 ms)
    found: dict[str, list] = {}

    def produced(name: str, sql: str | None) -> None:
        clean = _collected_name(name)
        found.setdefault(clean.lower(), [clean]).append(sql)

    try:
        marks = list(MARKER.finditer(code))
        bounds = [(0, None)] + [(m.end(), m.group(1)) for m in marks]
        last = None
        for index, (start, name) in enumerate(bounds):
            end = marks[index].start() if index < len(marks) else len(code)
            try:
                statements = connection.extract_statements(code[start:end])
            except duckdb.Error:
                break  # the runner stops at the same place
            for position, statement in enumerate(statements):
                text = statement.query
                kind = statement.type.name
                if kind == "COPY":
                    target = _copy_write(text)
                    if target is not None:
                        produced(*target)
                elif kind not in _WRITE_NO_FILE:
                    raise _Unresolved
                # Every statement has a result in DuckDB (a DDL statement's is a count):
                # the runner saves it as it saves a query's.
                if name and position == 0:
                    produced(f"{name}.csv", text)
                else:
                    last = text
        if not marks and last is not None:
            produced("result.csv", last)
    except _Unresolved:
        return {}
    finally:
        connection.close()
    return {
        entries[0]: entries[1]
        for entries in found.values()
        if len(entries) == 2 and entries[1] is not None
    }
