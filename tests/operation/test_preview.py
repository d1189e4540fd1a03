"""Catalog previews and the synthetic data made from them (operation.synthetic), on the
demo's red-tide buoy and red-tide event tables: what is published is as narrow as the
data, and made-up values follow it without ever showing more."""

import json
from datetime import datetime
from types import SimpleNamespace

import pytest

from operation.selectors import catalog_preview
from operation.synthetic import SyntheticTable
from tests.factories import published_demo_catalog, staff_user

pytestmark = pytest.mark.django_db

NUMBERS = ["longitude", "latitude", "water_temp", "salinity", "ph", "dissolved_oxygen"]
RARE_SPECIES = ["锥状斯克里普藻", "球形棕囊藻", "米氏凯伦藻", "赤潮异弯藻", "红色中缢虫"]


@pytest.fixture
def buoys(tmp_path):
    return published_demo_catalog(staff_user("op"), tmp_path, "redtide_buoys")


@pytest.fixture
def events(tmp_path):
    return published_demo_catalog(staff_user("op"), tmp_path, "redtide_events")


def published(catalog) -> dict[str, dict]:
    return {field.column: shown for field, shown in catalog_preview(catalog)["fields"]}


def made_up(catalog, rows: int, seed: str = "test") -> dict[str, list]:
    """The columns of ``rows`` synthetic rows from the catalog's published statistics."""
    table = SyntheticTable(
        catalog.fields.all(),
        published(catalog),
        table_rows=catalog.resource_version.row_count,
        seed=seed,
    )
    columns: dict[str, list] = {}
    for batch in table.batches(rows, batch_rows=700):  # the columns continue across batches
        for column, values in batch.items():
            columns.setdefault(column, []).extend(values)
    return columns


def quantile(values: list, q: float):
    ordered = sorted(values)
    return ordered[int(q * (len(ordered) - 1))]


def test_typical_ranges_are_as_narrow_as_the_real_data(buoys):
    shown = published(buoys)
    real = buoys.resource_version.statistics
    for column, (south_west, north_east) in {
        "longitude": (118.0, 118.3),
        "latitude": (24.3, 24.6),
    }.items():
        low, high = shown[column]["typical_range"]
        assert south_west <= low < shown[column]["mean"] < high <= north_east
    for column in NUMBERS:
        low, high = shown[column]["typical_range"]
        p10, p90 = real[column]["p10"], real[column]["p90"]
        assert low <= p10 < p90 <= high  # rounded outwards, by a tenth of the width at most
        assert (p10 - low) + (high - p90) <= 0.2 * (p90 - p10) + 1e-9


def test_synthetic_numbers_follow_the_published_quantiles_and_mean(buoys):
    shown = published(buoys)
    columns = made_up(buoys, 5000)
    for column in [*NUMBERS, "chlorophyll_a"]:
        values = columns[column]
        low, high = shown[column]["typical_range"]
        width = high - low
        assert abs(quantile(values, 0.1) - low) <= 0.05 * width, column
        assert abs(quantile(values, 0.9) - high) <= 0.05 * width, column
        assert low < quantile(values, 0.5) < high, column
        assert abs(sum(values) / len(values) - shown[column]["mean"]) <= 0.05 * width, column
        assert low - width < min(values) and max(values) < high + 10 * width, column
    # chlorophyll-a's mean sits at its 90 % point (rare blooms): the tail stretches
    assert max(columns["chlorophyll_a"]) > 2 * shown["chlorophyll_a"]["typical_range"][1]
    assert min(columns["chlorophyll_a"]) >= 0


def test_timestamps_are_ordered_within_the_period_and_identifiers_repeat(buoys):
    columns = made_up(buoys, 3000)
    stamps = columns["ts"]
    assert all(isinstance(t, datetime) for t in stamps)
    assert stamps == sorted(stamps)
    assert datetime(2025, 1, 1) <= stamps[0] and stamps[-1] < datetime(2026, 1, 1)
    assert stamps[len(stamps) // 2].month in (6, 7)  # spread over the year
    buoy_ids = columns["buoy_id"]
    assert len(set(buoy_ids)) == published(buoys)["buoy_id"]["distinct"] == 10
    assert min(buoy_ids.count(b) for b in set(buoy_ids)) > 100
    assert not set(buoy_ids) & {f"XM-B{n:02d}" for n in range(1, 21)}


def test_only_shown_categories_appear_never_a_rare_one(events):
    shown = published(events)
    species = shown["dominant_species"]["categories"]
    assert species == ["东海原甲藻", "夜光藻"]  # 20 and 10 events; the others are rarer
    assert "categories" not in shown["sea_area"]  # every sea area has fewer than 10
    columns = made_up(events, 2000)
    assert set(columns["dominant_species"]) == set(species)
    real_areas = {
        value for value, _count in events.resource_version.statistics["sea_area"]["values"]
    }
    assert not set(columns["sea_area"]) & real_areas
    assert all(
        start <= end for start, end in zip(columns["start_date"], columns["end_date"], strict=True)
    )
    body = json.dumps(catalog_preview(events), ensure_ascii=False, default=str)
    for rare in [*RARE_SPECIES, *real_areas]:
        assert rare not in body


def test_null_rates_follow_the_published_counts():
    field = SimpleNamespace(column="depth", data_type="number", is_identifier=False)
    shown = {"depth": {"count": 600, "distinct": 80, "mean": 5.0, "typical_range": [2.0, 8.0]}}
    table = SyntheticTable([field], shown, table_rows=800, seed="s")
    [batch] = table.batches(4000)
    assert 0.22 < batch["depth"].count(None) / 4000 < 0.28


def test_the_same_catalog_version_gives_the_same_rows(buoys):
    first = catalog_preview(buoys)["sample_rows"]
    assert catalog_preview(buoys)["sample_rows"] == first
    assert len({row["ts"] for row in first}) == len(first)
    assert made_up(buoys, 1500) == made_up(buoys, 1500)
    assert made_up(buoys, 1500)["water_temp"] != made_up(buoys, 1500, seed="other")["water_temp"]


def hostile_catalog(tmp_path):
    """A published catalog of a provider's file whose numbers hold NaN and infinities and
    whose dates run to infinity and beyond the year 9999 (DuckDB reads them all)."""
    from operation.models import DataZone
    from operation.services import catalogs as svc
    from tests.factories import provider_org

    staff = staff_user("op")
    svc.zones_ensure_standard()
    values = [("1.5", "7", "2025-03-01"), ("nan", "8", "infinity"), ("inf", "9", "-infinity")]
    values += [("-inf", "10", "20000-01-01")]
    lines = ["level,depth,day", *(",".join(v) for v in values * 50)]
    source = tmp_path / "hostile.csv"
    source.write_text("\n".join(lines) + "\n")
    version = svc.resource_register(
        by=staff, provider=provider_org(), name="水位", source=source, source_name=source.name
    )
    catalog = svc.catalog_create(
        by=staff,
        resource_version=version,
        zone=DataZone.objects.get(key="marine"),
        name="水位",
        summary="水位观测",
    )
    return svc.catalog_publish(by=staff, catalog=catalog)


def test_non_finite_numbers_and_dates_out_of_range_leave_the_catalog_readable(tmp_path):
    from rest_framework.test import APIClient

    from tests.factories import admitted_developer

    catalog = hostile_catalog(tmp_path)
    _org, reader = admitted_developer("海洋实验室", "lab", by=staff_user("op"))
    client = APIClient()
    client.force_authenticate(reader)
    response = client.get(f"/api/v1/catalogs/{catalog.code}/")
    assert response.status_code == 200
    shown = {f["column"]: f["statistics"] for f in response.json()["fields"]}
    # The finite values' statistics; no infinity or year beyond 9999 stands for a period.
    assert shown["level"]["mean"] == 1.5 and shown["level"]["typical_range"][0] <= 1.5
    assert shown["depth"]["mean"] == 8.5
    assert shown["day"]["period"] == ["2025-03", "2025-03"]
    client.force_login(reader)
    assert client.get(f"/catalogs/{catalog.code}/").status_code == 200
