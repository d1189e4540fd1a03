"""The published catalog list as CSV and as DCAT JSON-LD, for open-data portals. Catalogs
and zones are named in both languages (a Chinese and an English column; literals tagged zh
and en), so that a harvest is the same whatever language it asks in."""

import csv
import io

from core.csv import spreadsheet_safe
from operation.models import Catalog

FREQUENCY_URI = {
    "realtime": "http://purl.org/cld/freq/continuous",
    "daily": "http://purl.org/cld/freq/daily",
    "weekly": "http://purl.org/cld/freq/weekly",
    "monthly": "http://purl.org/cld/freq/monthly",
    "quarterly": "http://purl.org/cld/freq/quarterly",
    "halfyearly": "http://purl.org/cld/freq/semiannual",
    "yearly": "http://purl.org/cld/freq/annual",
    "irregular": "http://purl.org/cld/freq/irregular",
}
CSV_COLUMNS = [
    "code",
    "name",
    "name_en",
    "zone",
    "zone_en",
    "provider",
    "summary",
    "keywords",
    "update_frequency",
    "data_range",
    "sharing_type",
    "open_type",
    "time_coverage_start",
    "time_coverage_end",
    "level",
    "version",
    "published_at",
    "fields",
]


def catalogs_csv(catalogs) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for c in catalogs:
        row = [
            c.code,
            c.name,
            c.name_en,
            c.zone.name,
            c.zone.name_en,
            c.provider.name,
            c.summary,
            c.keywords,
            c.update_frequency,
            c.data_range,
            c.sharing_type,
            c.open_type,
            c.time_coverage_start or "",
            c.time_coverage_end or "",
            f"L{c.level}",
            c.version,
            c.published_at.isoformat() if c.published_at else "",
            "; ".join(f"{f.column}({f.name_zh})" for f in c.fields.all()),
        ]
        writer.writerow([spreadsheet_safe(value) for value in row])
    return buffer.getvalue()


def _labels(name: str, name_en: str) -> list[dict]:
    """A name as JSON-LD literals: Chinese, and English where there is an English name."""
    return [{"@value": name, "@language": "zh"}] + (
        [{"@value": name_en, "@language": "en"}] if name_en else []
    )


def _dataset(c: Catalog, base_url: str) -> dict:
    dataset = {
        "@id": f"{base_url}/catalogs/{c.code}/",
        "@type": "dcat:Dataset",
        "dct:identifier": c.code,
        "dct:title": _labels(c.name, c.name_en),
        "dct:description": {"@value": c.summary, "@language": "zh"},
        "dcat:keyword": [k.strip() for k in c.keywords.replace("，", ",").split(",") if k.strip()],
        "dcat:theme": {
            "@id": f"{base_url}/zones/{c.zone.key}",
            "skos:prefLabel": _labels(c.zone.name, c.zone.name_en),
        },
        "dct:publisher": {"@type": "foaf:Organization", "foaf:name": c.provider.name},
        "dct:accessRights": f"sharing:{c.sharing_type}; open:{c.open_type}",
        "dcat:version": str(c.version),
        "dcat:landingPage": {"@id": f"{base_url}/catalogs/{c.code}/"},
    }
    if c.update_frequency in FREQUENCY_URI:
        dataset["dct:accrualPeriodicity"] = {"@id": FREQUENCY_URI[c.update_frequency]}
    if c.published_at:
        dataset["dct:modified"] = {"@value": c.published_at.isoformat(), "@type": "xsd:dateTime"}
    if c.time_coverage_start or c.time_coverage_end:
        dataset["dct:temporal"] = {
            "@type": "dct:PeriodOfTime",
            "dcat:startDate": str(c.time_coverage_start or ""),
            "dcat:endDate": str(c.time_coverage_end or ""),
        }
    return dataset


def catalogs_dcat(catalogs, *, base_url: str, title: str) -> dict:
    return {
        "@context": {
            "dcat": "http://www.w3.org/ns/dcat#",
            "dct": "http://purl.org/dc/terms/",
            "foaf": "http://xmlns.com/foaf/0.1/",
            "skos": "http://www.w3.org/2004/02/skos/core#",
            "xsd": "http://www.w3.org/2001/XMLSchema#",
        },
        "@id": f"{base_url}/catalogs/",
        "@type": "dcat:Catalog",
        "dct:title": title,
        "dcat:dataset": [_dataset(c, base_url) for c in catalogs],
    }
