"""The demo's demand list: matched, in progress, open and blocked demands, one matched to
the red-tide buoy catalog, seeded once."""

import io

import pytest

from demands.models import Demand, DemandStatus
from demo.demands import seed_demands
from tests.demands.factories import provider_member
from tests.factories import admitted_developer, developer, published_demo_catalog, staff_user

pytestmark = pytest.mark.django_db


def test_the_demo_demand_list(tmp_path):
    staff = staff_user("operator")
    admitted_developer("海洋大学近海海洋实验室", "xmu_lab", by=staff)
    admitted_developer("海峡财产保险股份有限公司", "insurer", by=staff)
    developer("蓝湾数据科技有限公司", "applicant")
    provider_member("ocean_bureau", "市海洋发展局")
    buoys = published_demo_catalog(staff, tmp_path, "redtide_buoys")

    seed_demands(io.StringIO())
    seed_demands(io.StringIO())

    statuses = sorted(Demand.objects.values_list("status", flat=True))
    assert statuses == sorted(
        [
            DemandStatus.MATCHED,
            DemandStatus.MERGED,
            DemandStatus.PROMISED,
            DemandStatus.DECLINED,
            DemandStatus.BLOCKED,
            DemandStatus.OPEN,
        ]
    )
    matched = Demand.objects.get(status=DemandStatus.MATCHED)
    assert list(matched.catalogs.all()) == [buoys]
    assert matched.duplicates.get().organization.name == "海峡财产保险股份有限公司"
