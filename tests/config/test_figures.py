"""The home page's figures over time: monthly bars drawn on the server as SVG."""

import datetime

import pytest
from django.utils import timezone

from config.figures import platform_trends
from operation.models import Catalog, CatalogVersion
from operation.services.catalogs import catalog_edit
from tests.factories import admitted_developer, published_vessel_catalog, staff_user

pytestmark = pytest.mark.django_db


def _bars(trends: dict, key: str) -> list[dict]:
    return next(series for series in trends["series"] if series["key"] == key)["bars"]


def test_trends_count_each_month_and_draw_the_busiest_tallest(tmp_path):
    operator = staff_user("op")
    published_vessel_catalog(operator, tmp_path)
    admitted_developer("海洋实验室", "lab", by=operator)
    admitted_developer("保险公司", "insurer", by=operator)
    today = datetime.date.today()

    trends = platform_trends(today=today)

    admitted = _bars(trends, "admitted_developers")
    assert len(admitted) == 12 and admitted[-1]["month"] == today.strftime("%Y-%m")
    assert [bar["n"] for bar in admitted] == [0] * 11 + [2]
    assert admitted[-1]["height"] > 0 and admitted[0]["height"] == 0
    assert _bars(trends, "published_catalogs")[-1]["n"] == 1
    # An edit published a new version this month: the catalog stays in its first month.
    catalog = Catalog.objects.get()
    CatalogVersion.objects.filter(catalog=catalog).update(
        published_at=timezone.now() - datetime.timedelta(days=62)
    )
    catalog_edit(by=operator, catalog=catalog, metadata={"name": "在港船舶（新版）"}, fields={})
    assert catalog.versions.count() == 2
    bars = [bar["n"] for bar in _bars(platform_trends(today=today), "published_catalogs")]
    assert sum(bars) == 1 and bars[-1] == 0
    next_year = platform_trends(today=today + datetime.timedelta(days=400))
    assert sum(bar["n"] for bar in _bars(next_year, "admitted_developers")) == 0


def test_the_home_page_draws_the_trends(client, tmp_path):
    published_vessel_catalog(staff_user("op"), tmp_path)

    page = client.get("/").content.decode()

    start = page.index('data-trend="published_catalogs"')
    trend = page[start : page.index("</svg>", start)]
    assert 'role="img"' in trend and 'data-total="1"' in trend and trend.count("<rect") == 12
