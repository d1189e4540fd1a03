import json
import os
import pickle
import sqlite3
import tarfile
import zipfile
import zlib
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from PIL import Image

from scenarios.disclosure import files
from scenarios.disclosure.files import TableInfo, check_file
from scenarios.disclosure.params import FAIL, NOT_APPLICABLE, PASS, REVIEW, Parameters

PSEUDONYM = "P" + "0123456789abcdef4242"
OTHER_PSEUDONYM = "P" + "fedcba9876543210aaaa"
VESSELS = TableInfo(
    code="HY-0001",
    rows=1000,
    columns=("mmsi", "berth", "tonnage"),
    identifier_columns=("mmsi",),
    pseudonym_columns=("mmsi",),
    pseudonyms=frozenset({PSEUDONYM, OTHER_PSEUDONYM}),
)
BUOYS = TableInfo(
    code="HY-0002",
    rows=40,
    columns=("buoy_key", "temperature"),
    identifier_columns=(),
    pseudonym_columns=("buoy_key",),
    pseudonyms=frozenset(),
)
TABLES = {"HY-0001": VESSELS, "HY-0002": BUOYS}
MB = 1 << 20

OLS_SUMMARY = """\
                            OLS Regression Results
==============================================================================
Dep. Variable:                      y   R-squared:                       0.933
Model:                            OLS   Adj. R-squared:                  0.928
Method:                 Least Squares   F-statistic:                     211.8
No. Observations:                  {n}   AIC:                             76.88
Df Residuals:                      {dof}   BIC:                             84.52
Df Model:                           3
Covariance Type:            nonrobust
==============================================================================
"""


def check(path: Path, *, tables=TABLES, params=None, max_bytes=64 * MB) -> dict:
    return check_file(path, tables=tables, params=params or Parameters(), max_bytes=max_bytes)


def write(tmp_path: Path, name: str, content) -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def csv_of(columns: list[str], rows: int) -> str:
    lines = [",".join(columns)]
    lines += [
        ",".join(str(number + position) for position in range(len(columns)))
        for number in range(rows)
    ]
    return "\n".join(lines) + "\n"


# --- Row-level detection -------------------------------------------------------------


def test_an_aggregate_csv_passes_every_check(tmp_path):
    path = write(tmp_path, "by_berth.csv", "berth,vessels\nA,40\nB,25\n")

    result = check(path)

    assert {name: entry["status"] for name, entry in result.items()} == {
        "BlockedTypeCheck": PASS,
        "SizeCheck": PASS,
        "RowLevelCheck": PASS,
        "dof": NOT_APPLICABLE,
    }
    assert result["RowLevelCheck"]["rows"] == 2


@pytest.mark.parametrize("column", ["mmsi", "MMSI", " v.mmsi ", '"mmsi"'])
def test_a_column_named_like_an_identifier_fails(tmp_path, column):
    path = write(tmp_path, "out.csv", f"{column},tonnage\nx,1\n")

    entry = check(path)["RowLevelCheck"]

    assert entry["status"] == FAIL
    assert (
        "1 column named like an identifier or pseudonym column of input table HY-0001"
        in (entry["reason"])
    )
    assert "mmsi" not in entry["reason"].lower()  # the file's own text stays out of it
    assert entry["detail"] == {"columns": [column.replace('"', "")]}  # as CSV reads it


def test_a_column_named_like_a_pseudonym_column_fails(tmp_path):
    path = write(tmp_path, "out.tsv", "buoy_key\ttemperature\nk\t1.5\n")

    entry = check(path)["RowLevelCheck"]

    assert entry["status"] == FAIL
    assert "1 column named like a pseudonym column of input table HY-0002" in entry["reason"]
    assert "buoy_key" not in entry["reason"]
    assert entry["detail"] == {"columns": ["buoy_key"]}


def test_an_aggregate_named_after_an_identifier_is_not_the_identifier(tmp_path):
    path = write(tmp_path, "out.csv", "berth,count(DISTINCT mmsi),mmsi_count\nA,40,40\n")

    assert check(path)["RowLevelCheck"]["status"] == PASS


def test_a_pseudonym_buried_in_a_large_text_file_fails_across_a_chunk_boundary(tmp_path):
    # the pseudonym starts 7 bytes before the end of the first chunk read
    filler = b"The season was calm and the harbour busy. " * (files.CHUNK // 42 + 1)
    content = filler[: files.CHUNK - 7] + PSEUDONYM.encode() + b" was seen.\n" + filler[:5000]
    path = write(tmp_path, "notes.txt", content)

    entry = check(path)["RowLevelCheck"]

    assert entry["status"] == FAIL
    assert "pseudonym" in entry["reason"]
    assert PSEUDONYM not in json.dumps(entry)  # never quoted


@pytest.mark.parametrize(
    "shown",
    [PSEUDONYM.upper(), PSEUDONYM[1:], f"id={PSEUDONYM};", f'{{"v": "{OTHER_PSEUDONYM}"}}'],
)
def test_a_pseudonym_in_any_case_or_without_its_prefix_fails(tmp_path, shown):
    path = write(tmp_path, "notes.md", f"# Findings\n\nThe vessel {shown} stayed longest.\n")

    assert check(path)["RowLevelCheck"]["status"] == FAIL


def test_hex_text_that_is_no_pseudonym_of_the_workspace_passes(tmp_path):
    path = write(tmp_path, "notes.txt", "sha P0123456789abcdef4243 and 0123456789abcdef4242ff\n")

    assert check(path)["RowLevelCheck"]["status"] == PASS


def test_as_many_rows_as_an_input_table_fail(tmp_path):
    path = write(tmp_path, "out.csv", csv_of(["a", "b"], 1000))

    entry = check(path)["RowLevelCheck"]

    assert entry["status"] == FAIL
    assert "1000 rows, comparable to the 1000 rows of input table HY-0001" in entry["reason"]


def test_half_the_rows_of_a_large_input_table_fail_and_fewer_pass(tmp_path):
    half = write(tmp_path, "half.csv", csv_of(["a", "b"], 500))
    fewer = write(tmp_path, "fewer.csv", csv_of(["a", "b"], 499))

    assert check(half)["RowLevelCheck"]["status"] == FAIL
    assert check(fewer)["RowLevelCheck"]["status"] == PASS


def test_up_to_twice_the_rows_of_an_input_table_fail_and_more_pass(tmp_path):
    twice = write(tmp_path, "twice.csv", csv_of(["a"], 80))  # HY-0002 has 40 rows
    more = write(tmp_path, "more.csv", csv_of(["a"], 81))

    assert "input table HY-0002" in check(twice)["RowLevelCheck"]["reason"]
    assert check(more)["RowLevelCheck"]["status"] == PASS


def test_half_the_rows_of_a_table_at_the_threshold_do_not_count(tmp_path):
    small = TableInfo("T", 10, ("a",), (), (), frozenset())
    half = write(tmp_path, "half.csv", csv_of(["a"], 5))
    same = write(tmp_path, "same.csv", csv_of(["a"], 10))

    assert check(half, tables={"T": small})["RowLevelCheck"]["status"] == PASS
    assert check(same, tables={"T": small})["RowLevelCheck"]["status"] == FAIL


def test_a_json_array_of_records_is_checked_like_a_table(tmp_path):
    records = [{"MMSI": f"m{number}", "berth": "A"} for number in range(3)]
    path = write(tmp_path, "out.json", json.dumps(records, indent=1))

    entry = check(path)["RowLevelCheck"]

    assert entry["status"] == FAIL
    assert entry["rows"] == 3 and entry["detail"] == {"columns": ["MMSI"]}


def test_json_in_pandas_orients_and_json_lines_are_tables(tmp_path):
    rows = [{"berth": "A", "n": number} for number in range(40)]
    columns = {"berth": {str(n): "A" for n in range(40)}, "n": {str(n): n for n in range(40)}}
    split = {"columns": ["berth", "n"], "index": list(range(40)), "data": [["A", 1]] * 40}
    lines = "\n".join(json.dumps(row) for row in rows) + "\n"
    for name, content in [
        ("records.json", json.dumps(rows)),
        ("columns.json", json.dumps(columns)),
        ("split.json", json.dumps(split)),
        ("lines.json", lines),
    ]:
        entry = check(write(tmp_path, name, content))["RowLevelCheck"]
        assert entry["status"] == FAIL, name  # 40 rows: as many as HY-0002
        assert entry["rows"] == 40, name


def test_a_large_json_array_is_read_element_by_element(tmp_path, monkeypatch):
    monkeypatch.setattr(files, "CHUNK", 4096)
    monkeypatch.setattr(files, "MAX_JSON_VALUE", 64 * 1024)  # far less than the file
    records = [{"berth": "A" * 300, "n": number} for number in range(1000)]
    path = write(tmp_path, "out.json", json.dumps(records))
    assert path.stat().st_size > 4 * 64 * 1024

    entry = check(path)["RowLevelCheck"]

    assert entry["rows"] == 1000 and entry["status"] == FAIL  # as many as HY-0001's


def test_a_parquet_output_is_checked_by_columns_rows_and_string_values(tmp_path):
    named = tmp_path / "named.parquet"
    pq.write_table(pa.table({"mmsi": ["a", "b"], "n": [1, 2]}), named)
    hidden = tmp_path / "hidden.parquet"
    values = pa.array(["A", "B", f"note {PSEUDONYM.upper()}"]).dictionary_encode()
    pq.write_table(pa.table({"label": values, "n": [1, 2, 3]}), hidden, compression="zstd")
    many = tmp_path / "many.parquet"
    pq.write_table(pa.table({"n": list(range(600))}), many)
    clean = tmp_path / "clean.parquet"
    pq.write_table(pa.table({"berth": ["A", "B"], "n": [40, 25]}), clean)

    assert check(named)["RowLevelCheck"]["detail"] == {"columns": ["mmsi"]}
    assert "pseudonym of the workspace" in check(hidden)["RowLevelCheck"]["reason"]
    assert check(many)["RowLevelCheck"]["status"] == FAIL
    assert check(clean)["RowLevelCheck"]["status"] == PASS


def test_a_long_text_listing_goes_to_review(tmp_path):
    path = write(tmp_path, "listing.txt", "a vessel\n" * 1000)

    entry = check(path)["RowLevelCheck"]

    assert entry["status"] == REVIEW
    assert "1000 lines" in entry["reason"]


# --- Types ---------------------------------------------------------------------------


def _zip(tmp_path) -> bytes:
    target = tmp_path / "a.zip"
    with zipfile.ZipFile(target, "w") as archive:
        archive.writestr("rows.csv", "mmsi\nx\n")
    return target.read_bytes()


def _sqlite(tmp_path) -> bytes:
    target = tmp_path / "a.sqlite"
    connection = sqlite3.connect(target)
    connection.execute("CREATE TABLE rows (mmsi TEXT)")
    connection.commit()
    connection.close()
    return target.read_bytes()


def _tar(tmp_path) -> bytes:
    target = tmp_path / "a.tar"
    source = write(tmp_path, "rows.csv", "mmsi\nx\n")
    with tarfile.open(target, "w") as archive:
        archive.add(source, arcname="rows.csv")
    return target.read_bytes()


def _duckdb(tmp_path) -> bytes:
    target = tmp_path / "a.duckdb"
    connection = duckdb.connect(str(target))
    connection.execute("CREATE TABLE rows (mmsi TEXT)")
    connection.close()
    return target.read_bytes()


@pytest.mark.parametrize(
    ("name", "make", "detected"),
    [
        ("rows.csv", _zip, "archive"),
        ("rows.zip", _zip, "archive"),
        ("rows.csv", _tar, "archive"),
        ("rows.csv", _sqlite, "database"),
        ("rows.sqlite", _sqlite, "database"),
        ("rows.txt", _duckdb, "database"),
        ("model.pkl", lambda _: pickle.dumps({"rows": [1, 2]}), "serialized object"),
        ("model.json", lambda _: pickle.dumps({"rows": [1, 2]}), "serialized object"),
        ("rows.parquet", lambda _: b"\x93NUMPY\x01\x00v\x00{'descr': '<i8'}", "serialized object"),
        ("plot.png", lambda _: b"\x7fELF\x02\x01\x01" + b"\x00" * 64, "executable"),
        ("run.md", lambda _: b"#!/bin/sh\ncurl example.org\n", "executable"),
        ("rows.csv", lambda _: b"\x1f\x8b\x08\x00" + b"\x00" * 20, "archive"),
    ],
)
def test_blocked_content_fails_whatever_its_extension(tmp_path, name, make, detected):
    path = write(tmp_path, name, make(tmp_path))

    result = check(path)

    assert result["BlockedTypeCheck"]["status"] == FAIL
    assert result["BlockedTypeCheck"]["detected"] == detected
    assert result["RowLevelCheck"]["status"] == NOT_APPLICABLE


def test_text_that_happens_to_hold_magic_bytes_is_text(tmp_path):
    duck = write(tmp_path, "species.csv", "species,DUCK\nmallard,12\n")
    custard = write(tmp_path, "menu.txt", "x" * 256 + "custard pie\n")
    pdf = write(tmp_path, "notes.md", "A PDF starts with %PDF-1.7 and ends with %%EOF.\n")

    for path in (duck, custard, pdf):
        assert check(path)["BlockedTypeCheck"]["status"] == PASS, path.name


@pytest.mark.parametrize("name", ["tool.exe", "data.feather", "rows.csv.gz", "noextension"])
def test_extensions_outside_the_allowed_list_fail(tmp_path, name):
    path = write(tmp_path, name, "berth,n\nA,40\n")

    assert check(path)["BlockedTypeCheck"]["status"] == FAIL


def test_content_that_contradicts_its_extension_fails(tmp_path):
    png = tmp_path / "real.png"
    Image.new("RGB", (4, 4)).save(png)
    as_csv = write(tmp_path, "plot.csv", png.read_bytes())
    text_as_png = write(tmp_path, "plot.png", "berth,n\nA,40\n")
    binary_text = write(tmp_path, "noise.txt", bytes(range(256)) * 8)

    assert check(as_csv)["BlockedTypeCheck"]["detected"] == "png"
    assert check(text_as_png)["BlockedTypeCheck"]["status"] == FAIL
    assert check(binary_text)["BlockedTypeCheck"]["status"] == FAIL


def test_allowed_binary_types_pass(tmp_path):
    png, jpg = tmp_path / "plot.png", tmp_path / "photo.jpg"
    Image.new("RGB", (8, 8)).save(png)
    Image.new("RGB", (8, 8)).save(jpg)
    svg = write(tmp_path, "plot.svg", '<?xml version="1.0"?><svg width="4"><rect/></svg>')

    for path in (png, jpg, svg):
        result = check(path)
        assert result["BlockedTypeCheck"]["status"] == PASS, path.name
        assert result["RowLevelCheck"]["status"] == PASS, path.name


def _pdf(text: str) -> bytes:
    """A one-page PDF whose text is in a compressed stream (not visible in its bytes)."""
    stream = zlib.compress(f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode())
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
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


def test_a_pdf_is_checked_by_its_text(tmp_path):
    leaking = write(tmp_path, "leak.pdf", _pdf(f"Vessel {PSEUDONYM} Df Residuals: 5"))
    clean = write(tmp_path, "clean.pdf", _pdf("Berth A: 40 vessels"))
    assert PSEUDONYM.encode() not in leaking.read_bytes()

    result = check(leaking)

    assert result["BlockedTypeCheck"]["status"] == PASS
    assert result["RowLevelCheck"]["status"] == FAIL
    assert result["dof"]["status"] == FAIL
    assert check(clean)["RowLevelCheck"]["status"] == PASS


def test_an_svg_with_a_script_fails(tmp_path):
    path = write(tmp_path, "plot.svg", '<svg><rect onclick="steal()"/></svg>')

    assert check(path)["BlockedTypeCheck"]["status"] == FAIL


def test_a_symbolic_link_fails(tmp_path):
    target = write(tmp_path, "secret.csv", "a\n1\n")
    link = tmp_path / "out.csv"
    os.symlink(target, link)

    assert check(link)["BlockedTypeCheck"]["status"] == FAIL


# --- Files that cannot be read as what they say go to review -------------------------


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("out.csv", b"berth,n\nA\xe9\xff,40\n", "not valid UTF-8"),
        ("out.txt", b"caf\xe9 au lait\n", "not valid UTF-8"),
        ("out.json", b'[{"berth": "A", "n": 40}, {"berth": ', "not valid JSON"),
        ("out.json", b"", "empty"),
        ("out.csv", b'berth,n\n"A' + b"x" * 200_000 + b'",1\n', "cannot be parsed"),
        ("plot.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "cannot be read as a PNG"),
        ("out.parquet", b"PAR1" + b"\x00" * 100 + b"PAR1", "cannot be read as Parquet"),
        ("report.pdf", b"%PDF-1.7\n garbage", "cannot be read as PDF"),
    ],
)
def test_an_unreadable_file_goes_to_review(tmp_path, name, content, reason):
    path = write(tmp_path, name, content)

    entry = check(path)["RowLevelCheck"]

    assert entry["status"] == REVIEW
    assert reason in entry["reason"]


def test_utf16_text_goes_to_review_unread(tmp_path):
    path = write(tmp_path, "out.csv", "mmsi,n\n1,2\n".encode("utf-16"))

    result = check(path)

    assert result["BlockedTypeCheck"]["status"] == REVIEW
    assert result["RowLevelCheck"]["status"] == REVIEW


def test_a_line_too_long_to_hold_goes_to_review(tmp_path, monkeypatch):
    monkeypatch.setattr(files, "CHUNK", 1024)
    monkeypatch.setattr(files, "MAX_LINE", 4096)
    path = write(tmp_path, "out.csv", "berth,n\n" + "A" * 10_000 + ",1\n")

    entry = check(path)["RowLevelCheck"]

    assert entry["status"] == REVIEW
    assert "too long" in entry["reason"]


def test_a_json_value_too_large_to_hold_goes_to_review(tmp_path, monkeypatch):
    monkeypatch.setattr(files, "CHUNK", 1024)
    monkeypatch.setattr(files, "MAX_JSON_VALUE", 8192)
    path = write(tmp_path, "out.json", json.dumps({"berth": ["A"] * 10_000}))

    entry = check(path)["RowLevelCheck"]

    assert entry["status"] == REVIEW
    assert "too large" in entry["reason"]


# --- Degrees of freedom --------------------------------------------------------------


def test_a_model_below_the_minimum_degrees_of_freedom_fails(tmp_path):
    path = write(tmp_path, "model.txt", OLS_SUMMARY.format(n=13, dof=9))

    entry = check(path)["dof"]

    assert entry["status"] == FAIL
    assert entry["detail"] == {"dof": 9}
    assert "9" not in entry["reason"]  # the number is the file's


def test_a_model_at_the_minimum_degrees_of_freedom_passes(tmp_path):
    path = write(tmp_path, "model.txt", OLS_SUMMARY.format(n=14, dof=10))

    assert check(path)["dof"] == {
        "status": PASS,
        "reason": (
            "Of 1 model in the file, the lowest residual degrees of freedom are at least the "
            "minimum of 10."
        ),
        "reasons": [{"code": "dof_pass", "params": {"models": 1, "min_dof": 10}}],
        "detail": {"dof": 10},
    }


def test_the_lowest_of_several_models_counts_even_across_a_chunk_boundary(tmp_path):
    first = OLS_SUMMARY.format(n=50, dof=46).encode()
    # the second summary's "Df Residuals:" line straddles the end of the first chunk
    padding = b" " * (files.CHUNK - len(first) - OLS_SUMMARY.index("Df Residuals:") - 20)
    second = OLS_SUMMARY.format(n=12, dof=8).encode()
    path = write(tmp_path, "models.txt", first + padding + second)
    assert len(first + padding) < files.CHUNK < len(first + padding + second)

    assert check(path)["dof"]["detail"]["dof"] == 8


def test_json_models_report_df_resid(tmp_path):
    low = write(tmp_path, "low.json", json.dumps({"model": {"params": [1.0], "df_resid": 4.0}}))
    fine = write(tmp_path, "fine.json", json.dumps([{"name": "m", "dof": 30}]))
    none = write(tmp_path, "none.json", json.dumps({"berth": "A"}))

    assert check(low)["dof"]["status"] == FAIL
    assert check(fine)["dof"]["status"] == PASS
    assert check(none)["dof"]["status"] == NOT_APPLICABLE


def test_the_minimum_comes_from_the_parameters(tmp_path):
    path = write(tmp_path, "model.txt", OLS_SUMMARY.format(n=24, dof=20))

    assert check(path, params=Parameters(min_dof=25))["dof"]["status"] == FAIL


# --- Size ----------------------------------------------------------------------------


def test_a_file_over_the_size_limit_fails_and_one_at_it_passes(tmp_path):
    path = write(tmp_path, "out.csv", "berth,n\nA,40\n")
    size = path.stat().st_size

    over = check(path, max_bytes=size - 1)
    at = check(path, max_bytes=size)

    assert over["SizeCheck"]["status"] == FAIL
    assert over["RowLevelCheck"]["status"] == REVIEW  # not read: never a silent pass
    assert at["SizeCheck"] == {
        "status": PASS,
        "reason": f"The file has {size} bytes, within the limit of {size}.",
        "reasons": [{"code": "size_pass", "params": {"size": size, "limit": size}}],
        "bytes": size,
        "max_bytes": size,
    }
