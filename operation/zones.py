"""The standard data zones (key, catalog code prefix, Chinese name, English name)."""

STANDARD_ZONES = [
    ("marine", "HY", "海洋数据专区", "Marine"),
    ("ecology", "ST", "生态环境数据专区", "Ecology and environment"),
    ("transport", "JT", "交通运输数据专区", "Transport"),
    ("meteorology", "QX", "气象数据专区", "Meteorology"),
    ("water", "SL", "水利数据专区", "Water conservancy"),
]


def ensure_standard_zones(zone_model) -> None:
    """Create any missing standard zone; takes the model so migrations can use it too."""
    for position, (key, prefix, name, name_en) in enumerate(STANDARD_ZONES, start=1):
        zone_model.objects.get_or_create(
            key=key,
            defaults={
                "code_prefix": prefix,
                "name": name,
                "name_en": name_en,
                "position": position,
            },
        )
