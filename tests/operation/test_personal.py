"""Fields that look like personal data are flagged, by their names or by their values."""

import pytest

from operation.models import DataZone
from operation.personal import personal_data_flags
from operation.services import catalogs as svc
from tests.factories import provider_org, staff_user

pytestmark = pytest.mark.django_db


def _draft(tmp_path, header: str, rows: list[str]):
    svc.zones_ensure_standard()
    staff = staff_user("op")
    source = tmp_path / "people.csv"
    source.write_text("\n".join([header, *rows]) + "\n")
    version = svc.resource_register(
        by=staff, provider=provider_org(), name="登记", source=source, source_name=source.name
    )
    return svc.catalog_create(
        by=staff,
        resource_version=version,
        zone=DataZone.objects.get(key="marine"),
        name="登记",
        summary="登记",
        update_frequency="daily",
    )


def test_names_and_values_that_look_personal_are_flagged_with_a_suggested_grading(tmp_path):
    rows = [
        f"{i},船长{i},35020319{80 + i % 20}0101{i % 10}23{i % 10},13{i % 9 + 1}0000{i:04d},"
        f"闽D{i:05d},{412000000 + i},{1000 + 37 * i},思明区{i}号"
        for i in range(120)
    ]
    catalog = _draft(tmp_path, "id,captain_name,身份证号,c4,c5,mmsi,tonnage,home_address", rows)
    flags = {flag.column: flag for flag in personal_data_flags(catalog)}
    assert set(flags) == {"captain_name", "身份证号", "c4", "c5", "mmsi", "home_address"}
    assert flags["c4"].by_values and str(flags["c4"].kind) == "phone number"
    assert (flags["c4"].level, flags["c4"].masking) == (4, "drop")
    assert flags["c5"].by_values and flags["c5"].kind == "licence plate"
    assert not flags["身份证号"].by_values and flags["身份证号"].kind == "ID card number"
    assert flags["mmsi"].masking == "pseudonym" and not flags["mmsi"].by_values
    assert not any(flag.graded for flag in flags.values())  # all L1/keep as ingested


def test_a_field_graded_as_suggested_counts_as_graded(tmp_path):
    catalog = _draft(tmp_path, "owner_phone,tonnage", [f"1390000{i:04d},{i}" for i in range(50)])
    svc.catalog_fields_update(
        by=staff_user("op"),
        catalog=catalog,
        fields={"owner_phone": {"level": 4, "is_identifier": True, "masking": "drop"}},
    )
    (flag,) = personal_data_flags(catalog)
    assert flag.column == "owner_phone" and flag.graded
