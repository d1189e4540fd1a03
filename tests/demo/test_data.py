"""The generated demo data sets: catalog metadata, files, determinism and realism."""

# Queries name the test's own temporary files.

import hashlib
import re
from pathlib import Path

import duckdb
import pytest

from demo.data import DATASETS, dataset, generate
from operation.ingest import Limits, ingest_file
from tenants.uscc import check_character

ZONE_PREFIX = {
    "marine": "HY",
    "ecology": "ST",
    "transport": "JT",
    "meteorology": "QX",
    "water": "SL",
}
PROVIDERS = {"ocean", "ecology", "transport", "weather", "water"}
FREQUENCIES = {
    "irregular",
    "realtime",
    "daily",
    "weekly",
    "monthly",
    "quarterly",
    "halfyearly",
    "yearly",
    "other",
}
MASKINGS = {"keep", "pseudonym", "generalize", "drop"}
CJK = re.compile(r"[\u4e00-\u9fff]")


def query(sql: str) -> list[tuple]:
    with duckdb.connect() as connection:
        return connection.sql(sql).fetchall()


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def relation(path: Path, fmt: str) -> str:
    if fmt == "csv":
        return f"read_csv('{path}')"
    if fmt == "jsonl":
        return f"read_json('{path}', format='newline_delimited')"
    return f"read_parquet('{path}')"


def readable(demo, path: Path, work: Path) -> Path:
    """DuckDB reads UTF-8 only: a GB18030 file is transcoded first, as ingestion does."""
    if demo.encoding == "utf-8":
        return path
    copy = work / f"{demo.key}.utf8.csv"
    copy.write_text(path.read_bytes().decode(demo.encoding), encoding="utf-8")
    return copy


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("demo")
    return {demo.key: generate(demo, out) for demo in DATASETS}


def test_catalog_metadata_is_well_formed():
    assert len(DATASETS) >= 12
    assert {d.zone for d in DATASETS} == set(ZONE_PREFIX)
    codes = [d.code for d in DATASETS]
    keys = [d.key for d in DATASETS]
    assert len(set(codes)) == len(codes)
    assert len(set(keys)) == len(keys)
    assert {d.file_format for d in DATASETS} == {"csv", "jsonl", "parquet"}
    gb = [d for d in DATASETS if d.encoding == "gb18030"]
    assert [(d.key, d.file_format) for d in gb] == [("marine_litter", "csv")]
    for d in DATASETS:
        assert re.fullmatch(r"(HY|ST|JT|QX|SL)-\d{4}", d.code), d.code
        assert d.code.startswith(ZONE_PREFIX[d.zone] + "-"), d.code
        assert re.fullmatch(r"[a-z][a-z0-9_]*", d.key)
        assert d.provider in PROVIDERS
        assert d.update_frequency in FREQUENCIES
        assert d.sharing_type in {"unconditional", "conditional", "not_shared"}
        assert d.open_type in {"unconditional", "conditional", "not_open"}
        assert d.encoding in {"utf-8", "gb18030"}
        assert d.base_rows > 0
        assert CJK.search(d.name) and CJK.search(d.summary) and d.name_en
        assert CJK.search(d.keywords) and re.search(r"[a-z]", d.keywords)
        columns = [f.column for f in d.fields]
        assert len(set(columns)) == len(columns), d.key
        for f in d.fields:
            where = f"{d.key}.{f.column}"
            assert re.fullmatch(r"[a-z][a-z0-9_]*", f.column), where
            assert CJK.search(f.name_zh) or f.name_zh.isascii(), where
            assert f.description, where
            assert f.level in (1, 2, 3, 4), where
            assert f.masking in MASKINGS, where
            if f.level == 4:
                assert f.masking == "drop", where
            if f.is_identifier:
                assert f.masking != "keep", where
            if f.masking == "generalize":
                assert re.fullmatch(r"hour|day|month|year|(grid|band):\d+(\.\d+)?", f.generalize)
            else:
                assert f.generalize == "", where
    fields = [f for d in DATASETS for f in d.fields]
    assert {3, 4} <= {f.level for f in fields}
    assert any(f.generalize.startswith("band:") for f in fields)
    assert any(f.generalize == "grid:0.1" for f in fields)
    assert any(f.generalize == "hour" for f in dataset("vessels_in_port").fields)
    identifiers = {(d.key, f.column) for d in DATASETS for f in d.fields if f.is_identifier}
    assert {
        ("redtide_buoys", "buoy_id"),
        ("vessels_in_port", "mmsi"),
        ("vessels_in_port", "owner_phone"),
    } <= identifiers


def test_files_have_the_declared_columns_and_row_counts(generated, tmp_path):
    for demo in DATASETS:
        path = generated[demo.key]
        assert path.name == f"{demo.key}.{demo.file_format}"
        source = relation(readable(demo, path, tmp_path), demo.file_format)
        columns = [row[0] for row in query(f"DESCRIBE SELECT * FROM {source}")]
        assert columns == [f.column for f in demo.fields], demo.key
        [(count,)] = query(f"SELECT count(*) FROM {source}")
        assert count == demo.base_rows, demo.key
    # nothing but the data files is left behind (no partial or work files)
    out = next(iter(generated.values())).parent
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in generated.values())


def test_same_scale_gives_the_same_bytes(generated, tmp_path):
    for demo in DATASETS:
        again = generate(demo, tmp_path)
        assert sha256(again) == sha256(generated[demo.key]), demo.key


def test_buoys_scale_by_adding_buoys(tmp_path):
    buoys = dataset("redtide_buoys")
    first = generate(buoys, tmp_path / "a", scale=2)
    second = generate(buoys, tmp_path / "b", scale=2)
    assert sha256(first) == sha256(second)
    [(rows, ids, start, end)] = query(
        f"SELECT count(*), count(DISTINCT buoy_id), min(ts), max(ts) FROM read_parquet('{first}')"
    )
    assert rows == 2 * 87_600 == buoys.rows(2)
    assert ids == 20
    assert (str(start), str(end)) == ("2025-01-01 00:00:00", "2025-12-31 23:00:00")
    with pytest.raises(ValueError):
        generate(buoys, tmp_path, scale=0)


def test_gb18030_file_is_not_utf8_and_has_chinese_values(generated):
    raw = generated["marine_litter"].read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    lines = raw.decode("gb18030").splitlines()
    assert lines[0] == ",".join(dataset("marine_litter").columns)
    assert CJK.search(lines[1])
    litter_types = {line.split(",")[4] for line in lines[1:]}
    assert litter_types == {"塑料", "泡沫", "玻璃", "金属", "织物", "木制品"}


def test_buoys_show_bloom_episodes(generated):
    path = generated["redtide_buoys"]
    [stats] = query(
        f"""
        SELECT max(chlorophyll_a), median(chlorophyll_a),
            count(DISTINCT buoy_id) FILTER (WHERE chlorophyll_a > 20),
            count(*) FILTER (WHERE chlorophyll_a > 20 AND month(ts) NOT BETWEEN 3 AND 9),
            min(longitude), max(longitude), min(latitude), max(latitude),
            min(water_temp), max(water_temp), min(salinity), max(salinity), min(ph), max(ph)
        FROM read_parquet('{path}')
        """
    )
    top, median, blooming, off_season, *ranges = stats
    assert top > 20 and median < 6
    assert blooming == 10  # every buoy sees blooms, in spring and summer only
    assert off_season == 0
    lon_min, lon_max, lat_min, lat_max, t_min, t_max, s_min, s_max, ph_min, ph_max = ranges
    assert 118.0 <= lon_min < lon_max <= 118.3
    assert 24.3 <= lat_min < lat_max <= 24.6
    assert 12 < t_min < 16 and 28 < t_max < 32
    assert 28 <= s_min < s_max <= 33
    assert 7.9 <= ph_min < ph_max <= 8.3
    # dissolved oxygen swings day and night during blooms more than outside them
    [(swing_bloom, swing_calm)] = query(
        f"""
        SELECT stddev(dissolved_oxygen) FILTER (WHERE chlorophyll_a > 20),
            stddev(dissolved_oxygen) FILTER (WHERE chlorophyll_a < 5 AND month(ts) = 6)
        FROM read_parquet('{path}')
        """
    )
    assert swing_bloom > 2 * swing_calm


def test_identifiers_look_real(generated):
    vessels = generated["vessels_in_port"]
    [bad] = query(
        f"""
        SELECT count(*) FILTER (WHERE mmsi NOT BETWEEN 100000000 AND 999999999),
            count(*) FILTER (WHERE NOT regexp_full_match(owner_phone, '1[3-9][0-9]{{9}}')),
            count(*) FILTER (WHERE departure_time <= arrival_time),
            count(DISTINCT mmsi) - count(DISTINCT (mmsi, vessel_name, owner_phone))
        FROM read_json('{vessels}', format='newline_delimited')
        """
    )
    assert bad == (0, 0, 0, 0)
    codes = query(
        "SELECT DISTINCT credit_code FROM read_json("
        f"'{generated['pollution_source_emissions']}', format='newline_delimited')"
    )
    assert len(codes) == 25
    for (code,) in codes:
        assert len(code) == 18 and code[-1] == check_character(code[:17]), code


def test_files_ingest_with_types_that_fit_their_masking_rules(generated, tmp_path):
    limits = Limits(max_bytes=1 << 30, max_uncompressed_bytes=1 << 32)
    for demo in DATASETS:
        result = ingest_file(
            generated[demo.key],
            tmp_path / f"{demo.key}.parquet",
            fmt=demo.file_format,
            tmp_dir=tmp_path,
            limits=limits,
        )
        assert result.row_count == demo.base_rows
        assert result.encoding == demo.encoding
        types = {column["name"]: column["type"] for column in result.schema}
        assert list(types) == list(demo.columns)
        for f in demo.fields:
            kind, where = types[f.column], f"{demo.key}.{f.column}"
            if f.masking == "pseudonym":
                assert kind in ("string", "integer"), where
            elif f.generalize in ("hour", "day"):
                assert kind == "timestamp", where
            elif f.generalize in ("month", "year"):
                assert kind in ("timestamp", "date"), where
            elif f.generalize:
                assert kind in ("number", "integer"), where
