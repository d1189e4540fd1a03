"""Hostile outputs against the worker's checks: overwriting a checked aggregate through
another spelling of its path, data hidden where a lenient CSV reader skips it, files that
make a parser take gigabytes or minutes, and column names that carry data
(scenarios.disclosure.sqlshape, .check, .files and .bounded)."""

# SQL of these tests is built from their own temporary paths.
# ruff: noqa: S608

import json
import resource
import time
import zlib
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from PIL import Image

from scenarios.disclosure import check, files
from scenarios.disclosure.bounded import CPU, ERROR, MEMORY, TIMEOUT, BoundedFailure, run_bounded
from scenarios.disclosure.check import Limits, check_python_output, check_sql_output
from scenarios.disclosure.files import TableInfo, check_file
from scenarios.disclosure.params import FAIL, PASS, REVIEW, Parameters
from scenarios.disclosure.sqlshape import output_name, output_statements

AGGREGATE = "SELECT berth, count(*) AS n FROM hy_0001 GROUP BY berth"
MARKED = f"-- output: by_type\n{AGGREGATE};\n"
LEAK = (
    "SELECT '# ' || string_agg(berth || '@' || strftime(arrival_time, '%Y%m%d%H'), '~') "
    "FROM hy_0001"
)
MB = 1 << 20


def _maxrss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


# --- Which statement wrote which output --------------------------------------------------


@pytest.mark.parametrize(
    "target",
    [
        "'//output/by_type.csv'",
        "'/output//by_type.csv'",
        "'/output/./by_type.csv'",
        "'/output/../output/by_type.csv'",
        "'by_type.csv'",
        "'./by_type.csv'",
        '"/output/by_type.csv"',
        "'/output/.by_type.csv'",
    ],
)
def test_another_spelling_of_an_aggregates_path_unmaps_it(target):
    code = MARKED + f"COPY ({LEAK}) TO {target};\n"

    assert "by_type.csv" not in output_statements(code)


def test_the_reported_overwrite_unmaps_the_aggregate_in_any_case():
    code = MARKED + f"copy ({LEAK.lower()}) to '//output/by_type.csv';\n"

    assert output_statements(MARKED) == {"by_type.csv": f"{AGGREGATE};\n"}
    assert output_statements(code) == {}


@pytest.mark.parametrize(
    "write",
    [
        "COPY (SELECT 1) TO '/proc/self/cwd/x.csv'",
        "COPY (SELECT 1) TO '/tmp/elsewhere.csv'",
        "COPY (SELECT 1) TO '/OUTPUT/x.csv'",
        "COPY (SELECT 1) TO '/output/sub/x.csv'",
        "COPY (SELECT 1) TO 'file:///output/x.csv'",
        "COPY (SELECT 1) TO '~/x.csv'",
        "COPY (SELECT 1) TO '/output/x y.csv'",
        "COPY (SELECT 1) TO ('/output/' || 'x.csv')",
        "COPY (SELECT 1) TO E'/output/x.csv'",
        "COPY (SELECT 1 AS a, 2 AS b) TO '/output/x' (PARTITION_BY (a))",
        "COPY (SELECT 1) TO '/output/x.csv' (PER_THREAD_OUTPUT true)",
        "EXPORT DATABASE '/output'",
        "ATTACH '/output/x.duckdb' AS other",
        "PREPARE p AS COPY (SELECT 1) TO '/output/x.csv'",
        "EXPLAIN ANALYZE COPY (SELECT 1) TO '/output/x.csv'",
        "PRAGMA version",
        "SET VARIABLE target = '/output/x.csv'",
    ],
)
def test_a_write_to_an_unknown_file_unmaps_every_output(write):
    code = MARKED + f"{write};\n-- output: other\n{AGGREGATE};\n"

    assert output_statements(code) == {}


def test_statements_that_write_no_file_keep_the_mapping():
    code = (
        "CREATE TEMP TABLE t AS SELECT 1 AS a;\nINSERT INTO t VALUES (2);\n"
        "COPY t FROM '/output/by_type.csv';\n" + MARKED
    )

    assert output_statements(code) == {"by_type.csv": f"{AGGREGATE};\n"}


@pytest.mark.parametrize(
    ("target", "name"),
    [
        ("/output/a.csv", "a.csv"),
        ("//output///a.csv", "a.csv"),
        ("a.csv", "a.csv"),
        ("./x/../a.csv", "a.csv"),
        ("../output/a.csv", "a.csv"),
        ("/output", None),
        ("/output/", None),
        ("/output/..", None),
        ("/output/sub/a.csv", None),
        ("/outputs/a.csv", None),
        ("C:\\output\\a.csv", None),
        ("", None),
    ],
)
def test_output_name_resolves_paths_in_the_output_folder(target, name):
    assert output_name(target) == name


# --- The file must be the query's result, read strictly --------------------------------------


@pytest.fixture
def workspace(tmp_path):
    folder = tmp_path / "workspace"
    folder.mkdir()
    duckdb.connect().execute(
        "COPY (SELECT chr(CAST(65 + range % 3 AS INTEGER)) AS berth, "
        "'V' || (range % 45) AS vessel, "
        "TIMESTAMP '2024-01-01' + INTERVAL (range) HOUR AS arrival_time, "
        "CAST(range % 7 AS DOUBLE) AS tonnage FROM range(900)) "
        f"TO '{folder / 'hy_0001.parquet'}' (FORMAT parquet)"
    )
    manifest = {
        "tables": {
            "HY-0001": {
                "file": "hy_0001.parquet",
                "columns": ["berth", "vessel", "arrival_time", "tonnage"],
                "rows": 900,
            }
        }
    }
    return folder, manifest


def written(workspace, tmp_path, sql, name="by_type.csv") -> Path:
    """What the runner writes for ``sql``: its result by DuckDB's CSV writer."""
    folder, _manifest = workspace
    output = tmp_path / "output"
    output.mkdir(exist_ok=True)
    connection = duckdb.connect()
    connection.execute(
        f"CREATE VIEW hy_0001 AS SELECT * FROM read_parquet('{folder / 'hy_0001.parquet'}')"
    )
    connection.sql(sql).write_csv(str(output / name))
    return output / name


def checked(workspace, path, sql=AGGREGATE, **options):
    folder, manifest = workspace
    return check_sql_output(
        path,
        statement_sql=sql,
        workspace_dir=folder,
        manifest=manifest,
        identifiers={"HY-0001": "vessel"},
        params=Parameters(),
        **options,
    )


def test_a_matching_aggregate_passes_with_the_workers_own_csv(workspace, tmp_path):
    path = written(workspace, tmp_path, AGGREGATE)

    record = checked(workspace, path)

    assert record["status"] == PASS, record["summary"]
    trusted = record["trusted_csv"]
    assert trusted.splitlines()[0] == path.read_text().splitlines()[0] == "berth,n"
    assert sorted(trusted.splitlines()) == sorted(path.read_text().splitlines())
    assert trusted == "berth,n\nA,300\nB,300\nC,300\n"  # ordered by all columns


@pytest.mark.parametrize("where", ["before", "after", "between"])
def test_data_in_comment_lines_of_an_aggregate_is_review(workspace, tmp_path, where):
    path = written(workspace, tmp_path, AGGREGATE)
    connection = duckdb.connect()
    connection.execute(
        f"CREATE VIEW hy_0001 AS SELECT * FROM read_parquet('{workspace[0] / 'hy_0001.parquet'}')"
    )
    leak = connection.sql(LEAK).fetchall()[0][0]
    lines = path.read_text().splitlines(keepends=True)
    position = {"before": 0, "after": len(lines), "between": 2}[where]
    lines.insert(position, leak + "\n")
    path.write_text("".join(lines))

    record = checked(workspace, path)

    assert record["checks"]["FileMatchesQueryCheck"]["status"] == REVIEW
    assert record["status"] != PASS
    assert record["aggregate"] is None and record["trusted_csv"] is None
    assert "@2024" not in json.dumps(record)


@pytest.mark.parametrize(
    "change",
    [
        lambda text: text + "\n",  # a blank line: an empty record
        lambda text: text.replace("berth,n\n", "berth;n\n").replace(",", ";"),
        lambda text: text.replace("A,300", "A,300,extra"),
        lambda text: text.replace("A,300", '"A",300,"P1@2024010112"'),
    ],
)
def test_a_file_a_lenient_reader_would_accept_is_review(workspace, tmp_path, change):
    path = written(workspace, tmp_path, AGGREGATE)
    path.write_text(change(path.read_text()))

    record = checked(workspace, path)

    assert record["checks"]["FileMatchesQueryCheck"]["status"] == REVIEW
    assert record["trusted_csv"] is None


def test_unnamed_columns_are_compared_by_the_workers_names(workspace, tmp_path):
    sql = "SELECT h.berth, count(*), avg(h.tonnage) FROM hy_0001 AS h GROUP BY h.berth"
    path = written(workspace, tmp_path, sql)

    record = checked(workspace, path, sql)

    assert record["checks"]["FileMatchesQueryCheck"]["status"] == PASS
    assert record["trusted_csv"].splitlines()[0] == "berth,count_star(),avg(tonnage)"

    path.write_text(path.read_text().replace("count_star()", "P1@2024010112~P2@2024010113"))
    record = checked(workspace, path, sql)

    assert record["checks"]["FileMatchesQueryCheck"]["status"] == REVIEW


def test_a_parquet_output_gets_the_trusted_csv_too(workspace, tmp_path):
    folder, _manifest = workspace
    path = tmp_path / "by_type.parquet"
    connection = duckdb.connect()
    connection.execute(
        f"CREATE VIEW hy_0001 AS SELECT * FROM read_parquet('{folder / 'hy_0001.parquet'}')"
    )
    connection.execute(f"COPY ({AGGREGATE}) TO '{path}' (FORMAT parquet)")

    record = checked(workspace, path)

    assert record["checks"]["FileMatchesQueryCheck"]["status"] == PASS
    assert record["trusted_csv"] == "berth,n\nA,300\nB,300\nC,300\n"


def test_a_trusted_csv_over_the_limit_is_left_out(workspace, tmp_path, monkeypatch):
    monkeypatch.setattr(check, "TRUSTED_CSV_MAX_BYTES", 10)
    path = written(workspace, tmp_path, AGGREGATE)

    record = checked(workspace, path, limits=None)

    assert record["status"] == PASS and record["trusted_csv"] is None


# --- Bounded parsing ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def parquet_bomb(tmp_path_factory) -> Path:
    """65,536 rows of 20 KB hex strings, zstd: 1.3 GB of data in a few hundred KB,
    written a thousand rows at a time."""
    path = tmp_path_factory.mktemp("bomb") / "notes.parquet"
    pattern = "0123456789abcdef" * 1280
    schema = pa.schema([("note", pa.string())])
    with pq.ParquetWriter(path, schema, compression="zstd", use_dictionary=False) as writer:
        for start in range(0, 65_536, 1024):
            notes = [f"{row:08x}{pattern[8:]}" for row in range(start, start + 1024)]
            writer.write_table(pa.table({"note": notes}))
    assert path.stat().st_size < 1 * MB
    return path


PSEUDONYMS = TableInfo(
    code="HY-0001",
    rows=900,
    columns=("vessel",),
    identifier_columns=(),
    pseudonym_columns=("vessel",),
    pseudonyms=frozenset({"P0123456789abcdef4242"}),
)


def test_a_parquet_bomb_is_refused_by_its_metadata(parquet_bomb):
    before, started = _maxrss_bytes(), time.monotonic()

    result = check_file(
        parquet_bomb, tables={"HY-0001": PSEUDONYMS}, params=Parameters(), max_bytes=64 * MB
    )

    assert result["RowLevelCheck"]["status"] == REVIEW
    assert "too large to scan" in result["RowLevelCheck"]["reason"]
    assert time.monotonic() - started < 10
    assert _maxrss_bytes() - before < 200 * MB


def test_a_parquet_bomb_gives_review_in_a_bounded_child(parquet_bomb):
    before, started = _maxrss_bytes(), time.monotonic()

    record = check_python_output(parquet_bomb, tables={"HY-0001": PSEUDONYMS}, params=Parameters())

    assert record["status"] == REVIEW
    assert "too large to scan" in record["checks"]["RowLevelCheck"]["reason"]
    assert time.monotonic() - started < 20
    assert _maxrss_bytes() - before < 200 * MB


def test_a_dictionary_encoded_bomb_is_read_without_expanding_it(tmp_path):
    # one 20 KB value, repeated 65,536 times by the encoding: 1.3 GB once decoded
    path = tmp_path / "repeated.parquet"
    value = "0123456789abcdef" * 1280
    notes = pa.DictionaryArray.from_arrays(pa.array([0] * 65_536, pa.int32()), pa.array([value]))
    pq.write_table(pa.table({"note": notes}), path, compression="zstd")
    assert pq.read_metadata(path).row_group(0).total_byte_size < 10 * MB
    before, started = _maxrss_bytes(), time.monotonic()

    result = check_file(
        path, tables={"HY-0001": PSEUDONYMS}, params=Parameters(), max_bytes=64 * MB
    )

    assert result["RowLevelCheck"]["status"] in (PASS, FAIL)  # read, not refused
    assert time.monotonic() - started < 10
    assert _maxrss_bytes() - before < 300 * MB


def test_a_parquet_file_over_the_cap_is_not_scanned(tmp_path, monkeypatch):
    monkeypatch.setattr(files, "PARQUET_MAX_BYTES", 1 * MB)
    path = tmp_path / "wide.parquet"
    notes = [f"{row:08x}" + "x" * 4000 for row in range(1000)]  # 4 MB uncompressed
    pq.write_table(pa.table({"note": notes}), path, use_dictionary=False)

    entry = check_file(path, tables={}, params=Parameters(), max_bytes=64 * MB)["RowLevelCheck"]

    assert entry["status"] == REVIEW and "too large to scan" in entry["reason"]


def test_an_image_over_the_pixel_cap_is_not_decoded(tmp_path):
    path = tmp_path / "huge.png"
    Image.new("1", (8000, 8000)).save(path)  # 64 million pixels, a few KB

    entry = check_file(path, tables={}, params=Parameters(), max_bytes=64 * MB)["RowLevelCheck"]

    assert entry["status"] == REVIEW and "too large" in entry["reason"]


def _pdf(pages: list[str]) -> bytes:
    """A PDF with one page per text, each in a compressed stream."""
    count = len(pages)
    kids = " ".join(f"{3 + 2 * index} 0 R" for index in range(count)).encode()
    font = 3 + 2 * count
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [" + kids + b"] /Count %d >>" % count,
    ]
    for index, text in enumerate(pages):
        stream = zlib.compress(f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode())
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents %d 0 R "
            b"/Resources << /Font << /F1 %d 0 R >> >> >>" % (4 + 2 * index, font)
        )
        objects.append(
            b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream)
            + stream
            + b"\nendstream"
        )
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    content, offsets = b"%PDF-1.4\n", []
    for number, body in enumerate(objects, 1):
        offsets.append(len(content))
        content += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(content)
    content += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    content += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    content += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return content


def test_a_pdf_with_more_text_than_the_cap_is_partly_checked(tmp_path, monkeypatch):
    monkeypatch.setattr(files, "PDF_MAX_TEXT", 20)
    path = tmp_path / "report.pdf"
    path.write_bytes(_pdf(["Berth A had forty vessels in May", "Berth B", "Berth C"]))

    entry = check_file(path, tables={}, params=Parameters(), max_bytes=64 * MB)["RowLevelCheck"]

    assert entry["status"] == REVIEW and "first 1 pages" in entry["reason"]


def _sleep() -> None:
    time.sleep(60)


def _hog() -> int:
    return len(bytearray(4 << 30))


def _spin() -> None:
    while True:
        pass


def _add(a, b=0):
    return {"sum": a + b, "pair": (a, b)}


def test_run_bounded_returns_the_result_as_json_gives_it():
    result = run_bounded(_add, 2, b=3, memory_bytes=256 * MB, cpu_seconds=5, wall_seconds=10)

    assert result == {"sum": 5, "pair": [2, 3]}


def test_a_function_that_sleeps_is_killed_at_the_wall_clock():
    started = time.monotonic()

    with pytest.raises(BoundedFailure) as failure:
        run_bounded(_sleep, memory_bytes=256 * MB, cpu_seconds=5, wall_seconds=1)

    assert failure.value.kind == TIMEOUT
    assert time.monotonic() - started < 5


def test_a_memory_hog_fails_cleanly():
    before = _maxrss_bytes()

    with pytest.raises(BoundedFailure) as failure:
        run_bounded(_hog, memory_bytes=256 * MB, cpu_seconds=10, wall_seconds=20)

    assert failure.value.kind == MEMORY
    assert _maxrss_bytes() - before < 100 * MB


def test_a_busy_loop_is_stopped_at_the_cpu_limit():
    with pytest.raises(BoundedFailure) as failure:
        run_bounded(_spin, memory_bytes=256 * MB, cpu_seconds=1, wall_seconds=20)

    assert failure.value.kind == CPU


def test_an_exception_is_reported_by_its_class_only():
    with pytest.raises(BoundedFailure) as failure:
        run_bounded(int, "P1@2024010112", memory_bytes=256 * MB, cpu_seconds=5, wall_seconds=10)

    assert failure.value.kind == ERROR
    assert "ValueError" in str(failure.value) and "P1@" not in str(failure.value)


def test_checks_beyond_their_limits_give_review(workspace, tmp_path, monkeypatch):
    monkeypatch.setattr(files, "check_file", lambda *args, **kwargs: _sleep())
    path = written(workspace, tmp_path, AGGREGATE)

    record = checked(workspace, path, limits=Limits(wall_seconds=1))

    assert record["status"] == REVIEW
    assert record["checks"]["QueryShapeCheck"]["limit"] == TIMEOUT
    assert record["checks"]["RowLevelCheck"]["status"] == REVIEW
    assert record["aggregate"] is None and record["trusted_csv"] is None

    monkeypatch.setattr(files, "check_file", lambda *args, **kwargs: _hog())
    record = check_python_output(path, params=Parameters(), limits=Limits(memory_bytes=256 * MB))

    assert record["status"] == REVIEW
    assert record["checks"]["QueryShapeCheck"]["limit"] == MEMORY


# --- Reasons carry no text of the file ----------------------------------------------------


def test_a_column_name_carrying_data_stays_out_of_the_reason(tmp_path):
    identifiers = TableInfo("HY-0001", 900, ("mmsi",), ("mmsi",), (), frozenset())
    name = "P1@2024010112~P2@2024010113.mmsi"
    path = tmp_path / "out.csv"
    path.write_text(f"{name},n\nA,1\n")

    entry = check_file(path, tables={"HY-0001": identifiers}, params=Parameters(), max_bytes=MB)[
        "RowLevelCheck"
    ]

    assert entry["status"] == FAIL
    assert "P1@" not in entry["reason"]
    assert "1 column named like an identifier column of input table HY-0001" in entry["reason"]
    assert entry["detail"] == {"columns": [name]}


def test_an_extension_carrying_data_stays_out_of_the_reason(tmp_path):
    path = tmp_path / "out.P1_2024010112"
    path.write_text("a\n")

    entry = check_file(path, tables={}, params=Parameters(), max_bytes=MB)["BlockedTypeCheck"]

    assert entry["status"] == FAIL
    assert "P1_" not in entry["reason"].upper()
    assert entry["detail"] == {"extension": "p1_2024010112"}
