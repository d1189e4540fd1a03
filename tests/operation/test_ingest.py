"""Ingestion of each format and encoding, and every kind of bad input."""

import gzip
import json
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from operation.ingest import IngestError, Limits, ingest_file

LIMITS = Limits(max_bytes=10_000_000, max_uncompressed_bytes=50_000_000)


def run(tmp_path: Path, source: Path, fmt: str, **kwargs):
    return ingest_file(
        source,
        tmp_path / "out" / "v1.parquet",
        fmt=fmt,
        tmp_dir=tmp_path / "tmp",
        limits=kwargs.pop("limits", LIMITS),
        **kwargs,
    )


def rows_of(path: Path) -> list[tuple]:
    query = "SELECT * FROM read_parquet($p) ORDER BY 1"
    return duckdb.sql(query, params={"p": str(path)}).fetchall()


def buoy_csv(n: int = 30) -> str:
    lines = ["buoy_id,ts,chlorophyll_a"]
    lines += [f"B{i % 3},2025-01-01 {i % 24:02d}:00:00,{1.5 + i / 10:.2f}" for i in range(n)]
    return "\n".join(lines) + "\n"


def test_csv_becomes_zstd_parquet_with_schema_statistics_and_checksum(tmp_path):
    source = tmp_path / "buoys.csv"
    source.write_text(buoy_csv())
    result = run(tmp_path, source, "csv")
    assert result.row_count == 30
    assert result.schema == [
        {"name": "buoy_id", "type": "string"},
        {"name": "ts", "type": "timestamp"},
        {"name": "chlorophyll_a", "type": "number"},
    ]
    assert result.statistics["chlorophyll_a"]["count"] == 30
    assert result.statistics["buoy_id"]["values"] == [["B0", 10], ["B1", 10], ["B2", 10]]
    metadata = pq.ParquetFile(result.path).metadata
    assert metadata.row_group(0).column(0).compression == "ZSTD"
    import hashlib

    assert result.sha256 == hashlib.sha256(result.path.read_bytes()).hexdigest()
    assert not any((tmp_path / "tmp").iterdir())


def test_gb18030_csv_with_chinese_headers_is_detected_and_stored_as_utf8(tmp_path):
    source = tmp_path / "垃圾.csv"
    source.write_bytes("调查站位,垃圾类型,数量\n鼓浪屿,塑料,12\n环岛路,泡沫,7\n".encode("gb18030"))
    result = run(tmp_path, source, "csv")
    assert result.encoding == "gb18030"
    assert [c["name"] for c in result.schema] == ["调查站位", "垃圾类型", "数量"]
    assert rows_of(result.path) == [("环岛路", "泡沫", 7), ("鼓浪屿", "塑料", 12)]


def test_gbk_can_be_named_explicitly(tmp_path):
    source = tmp_path / "a.csv"
    source.write_bytes("站点,值\n甲,1\n".encode("gbk"))
    assert run(tmp_path, source, "csv", encoding="gbk").encoding == "gbk"


def test_a_byte_that_is_neither_utf8_nor_gb18030_is_reported(tmp_path):
    source = tmp_path / "a.csv"
    source.write_bytes(b"a,b\n1,\x80\n")
    with pytest.raises(IngestError, match="not valid GB18030"):
        run(tmp_path, source, "csv")


def test_json_lines_and_parquet(tmp_path):
    jsonl = tmp_path / "v.jsonl"
    jsonl.write_text(
        "\n".join(json.dumps({"mmsi": 412000000 + i, "berth": "B1"}) for i in range(5))
    )
    assert run(tmp_path, jsonl, "jsonl").row_count == 5
    parquet = tmp_path / "w.parquet"
    pq.write_table(pa.table({"station": ["S1", "S2"], "temp": [20.5, 21.0]}), parquet)
    result = ingest_file(
        parquet,
        tmp_path / "out" / "w.parquet",
        fmt="parquet",
        tmp_dir=tmp_path / "tmp",
        limits=LIMITS,
    )
    assert result.schema == [
        {"name": "station", "type": "string"},
        {"name": "temp", "type": "number"},
    ]


def test_gzip_csv_is_accepted(tmp_path):
    source = tmp_path / "buoys.csv.gz"
    source.write_bytes(gzip.compress(buoy_csv().encode()))
    assert run(tmp_path, source, "csv").row_count == 30


def test_type_overrides_are_applied(tmp_path):
    source = tmp_path / "a.csv"
    source.write_text("code,value\n001,1\n002,2\n")
    result = run(tmp_path, source, "csv", types={"code": "string"})
    assert result.schema[0] == {"name": "code", "type": "string"}
    assert rows_of(result.path)[0][0] == "001"


@pytest.mark.security
@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("a,b,c\n1,2,3\n4,5\n7,8,9\n", "line 3: 2 fields where the header has 3"),
        ("a,b,c\n1,2,3\n4,5,6,7\n", "line 3: 4 fields where the header has 3"),
        ("a,b\n" + "1,2\n" * 30000 + "x,3\n", 'Line: 30002; Error when converting column "a"'),
        ("a,b\n", "header but no rows"),
    ],
)
def test_malformed_csv_is_reported_with_line_and_column(tmp_path, content, message):
    source = tmp_path / "bad.csv"
    source.write_text(content)
    with pytest.raises(IngestError, match=message.replace("(", r"\(").replace(")", r"\)")):
        run(tmp_path, source, "csv")
    assert not (tmp_path / "out" / "v1.parquet").exists()


@pytest.mark.security
def test_empty_and_oversize_files_are_refused(tmp_path):
    empty = tmp_path / "e.csv"
    empty.write_bytes(b"")
    with pytest.raises(IngestError, match="empty"):
        run(tmp_path, empty, "csv")
    big = tmp_path / "b.csv"
    big.write_text(buoy_csv(200))
    with pytest.raises(IngestError, match="limit"):
        run(tmp_path, big, "csv", limits=Limits(max_bytes=100, max_uncompressed_bytes=10**9))


@pytest.mark.security
def test_nested_json_is_an_unsupported_type(tmp_path):
    source = tmp_path / "n.jsonl"
    source.write_text('{"a": 1, "b": {"x": 1}}\n')
    with pytest.raises(IngestError, match="unsupported type STRUCT"):
        run(tmp_path, source, "jsonl")


@pytest.mark.security
def test_a_gzip_bomb_is_refused_without_filling_the_disk(tmp_path):
    source = tmp_path / "bomb.csv.gz"
    with gzip.open(source, "wb", compresslevel=9) as handle:
        handle.write(b"a,b\n")
        for _ in range(64):
            handle.write(b"1,1\n" * 250_000)  # 64 MB of text, a few hundred KB compressed
    assert source.stat().st_size < 1_000_000
    with pytest.raises(IngestError, match="compression bomb"):
        run(tmp_path, source, "csv")
    assert sum(p.stat().st_size for p in (tmp_path / "tmp").rglob("*") if p.is_file()) == 0


@pytest.mark.security
def test_a_parquet_bomb_is_refused_from_its_metadata(tmp_path):
    source = tmp_path / "bomb.parquet"
    table = pa.table({"a": ["x" * 1000] * 60_000})  # 60 MB that zstd squeezes to almost nothing
    pq.write_table(table, source, compression="zstd", use_dictionary=False)
    with pytest.raises(IngestError, match="compression bomb"):
        run(tmp_path, source, "parquet")


@pytest.mark.security
def test_a_corrupt_parquet_is_refused(tmp_path):
    source = tmp_path / "c.parquet"
    source.write_bytes(b"PAR1 this is not parquet PAR1")
    with pytest.raises(IngestError, match="corrupt"):
        run(tmp_path, source, "parquet")


@pytest.mark.security
def test_hostile_column_names_are_refused(tmp_path):
    source = tmp_path / "h.csv"
    source.write_text('"a\x01b",c\n1,2\n')
    with pytest.raises(IngestError, match="control characters"):
        run(tmp_path, source, "csv")


def test_a_file_of_several_row_groups_is_written_and_counted_in_one_pass(tmp_path):
    source = tmp_path / "buoys.csv"
    source.write_text("n,label\n" + "".join(f"{i},L{i % 7}\n" for i in range(300_000)))
    result = run(tmp_path, source, "csv")
    assert result.row_count == 300_000
    assert result.statistics["n"]["count"] == 300_000
    assert result.statistics["n"]["mean"] == pytest.approx(149_999.5)
    assert result.statistics["label"]["values"][0] == ["L0", 42_858]
    metadata = pq.ParquetFile(result.path).metadata
    assert metadata.num_rows == 300_000 and metadata.num_row_groups >= 2
    last = metadata.row_group(metadata.num_row_groups - 1).column(0).statistics
    assert last.has_min_max and last.max == 299_999  # data services can prune by range
    assert sum(row[0] for row in rows_of(result.path)) == sum(range(300_000))


def test_a_bad_value_after_the_first_row_group_names_its_line_only(tmp_path):
    source = tmp_path / "buoys.csv"
    source.write_text("n,label\n" + "".join(f"{i},x\n" for i in range(300_000)) + "abc,x\n")
    with pytest.raises(IngestError) as caught:
        run(tmp_path, source, "csv")
    message = str(caught.value)
    assert "Line: 300002" in message and 'Could not convert string "abc"' in message
    assert "tee" not in message and "pyarrow" not in message and "Traceback" not in message
    assert not (tmp_path / "out").exists()
