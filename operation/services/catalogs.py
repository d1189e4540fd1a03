"""Data zones, data resources and catalogs: every change checked, atomic and audited."""

import os
import re
import uuid
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from core import hooks
from core.errors import Conflict, InvalidInput
from core.services.audit import audit_record
from core.storage import data_path
from core.text import LONG_TEXT_MAX, NAME_MAX, REASON_MAX, clean_text
from operation.ingest import FORMATS, IngestError, IngestResult, Limits, ingest_file
from operation.ingest_messages import ingest_message
from operation.models import (
    Catalog,
    CatalogField,
    CatalogStatus,
    CatalogVersion,
    DataResource,
    DataZone,
    FieldType,
    MaskingRule,
    ResourceVersion,
    SensitivityLevel,
)
from operation.zones import ensure_standard_zones
from tenants.models import Organization, OrganizationKind
from tenants.permissions import check_operator_staff
from tenants.uploads import clean_display_name

CODE_RE = re.compile(r"^(?P<prefix>[A-Z]{2,4})-(?P<number>\d{4,6})$")
METADATA_FIELDS = (
    "name",
    "name_en",
    "zone",
    "summary",
    "keywords",
    "update_frequency",
    "data_range",
    "sharing_type",
    "open_type",
    "time_coverage_start",
    "time_coverage_end",
)
FIELD_EDITABLE = ("name_zh", "description", "level", "is_identifier", "masking", "generalize")
GENERALIZATIONS = {
    FieldType.TIMESTAMP: {"hour", "day", "month"},
    FieldType.DATE: {"month", "year"},
}
GRADING = ("level", "is_identifier", "masking", "generalize")
# The masking rules from the one that protects a field's values least to the one that
# protects them most; the time generalizations from the finest to the coarsest.
MASKING_STRENGTH = (
    MaskingRule.KEEP,
    MaskingRule.GENERALIZE,
    MaskingRule.PSEUDONYM,
    MaskingRule.DROP,
)
TIME_STEPS = ("hour", "day", "month", "year")


def _require_staff(by) -> None:
    check_operator_staff(by, _("Only operator staff can manage data resources and catalogs."))


# --- zones ------------------------------------------------------------------------------


def zones_ensure_standard() -> None:
    """Create any missing standard zone (idempotent)."""
    ensure_standard_zones(DataZone)


def zone_create(*, by, key: str, code_prefix: str, name: str, name_en: str) -> DataZone:
    _require_staff(by)
    if not re.fullmatch(r"[A-Z]{2,4}", code_prefix or ""):
        raise InvalidInput(
            _("The code prefix is two to four capital letters."), field="code_prefix"
        )
    if not re.fullmatch(r"[a-z][a-z0-9-]{1,39}", key or ""):
        raise InvalidInput(_("The key is lower-case letters, digits and dashes."), field="key")
    name = clean_text(name, field="name", max_length=100)
    name_en = clean_text(name_en, field="name_en", max_length=100)
    with transaction.atomic():
        if (
            DataZone.objects.filter(key=key).exists()
            or DataZone.objects.filter(code_prefix=code_prefix).exists()
        ):
            raise InvalidInput(_("A zone with this key or prefix exists."), field="key")
        position = (DataZone.objects.aggregate(m=Max("position"))["m"] or 0) + 1
        zone = DataZone.objects.create(
            key=key, code_prefix=code_prefix, name=name, name_en=name_en, position=position
        )
        audit_record(by=by, action="zone.create", target=zone, details={"key": key})
    return zone


# --- files --------------------------------------------------------------------------------


def _tmp_dir() -> Path:
    path = data_path("tmp")
    path.mkdir(parents=True, exist_ok=True)
    return path


def stage_upload(uploaded) -> Path:
    """Copy an uploaded file (streamed) to a private temporary path, checking its size."""
    if uploaded.size > settings.INGEST_MAX_BYTES:
        raise InvalidInput(
            _("The file is %(size)d bytes; the limit is %(limit)d bytes.")
            % {"size": uploaded.size, "limit": settings.INGEST_MAX_BYTES},
            field="file",
        )
    staged = _tmp_dir() / f"upload-{uuid.uuid4().hex}"
    with os.fdopen(os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as handle:
        for chunk in uploaded.chunks():
            handle.write(chunk)
    return staged


@contextmanager
def ingest_source(*, by, file=None, import_path: str = ""):
    """The file to ingest, as (path, display name): an upload staged to a private
    temporary path and removed afterwards, or a file named under the import folder (left
    where it is). Only operator staff get this far: nothing is written or looked up for
    anyone else."""
    _require_staff(by)
    if bool(file) == bool(import_path):
        raise InvalidInput(_("Upload a file or name one in the import folder."), field="file")
    if import_path:
        path = import_path_resolve(import_path)
        yield path, path.name
        return
    path = stage_upload(file)
    try:
        yield path, file.name
    finally:
        path.unlink(missing_ok=True)


def import_path_resolve(relative: str) -> Path:
    """A file named under IMPORT_ROOT; anything that leaves it, or that the engine could
    read as a pattern of several files, is refused."""
    root = Path(settings.IMPORT_ROOT).resolve()
    name = (relative or "").strip()
    hostile = any(ord(ch) < 32 or ch in "*?[]{}" for ch in name)
    if not name or hostile or name.startswith("/"):
        raise InvalidInput(_("Name a file inside the import folder."), field="import_path")
    try:
        candidate = (root / name).resolve()
        found = candidate.is_relative_to(root) and candidate.is_file()
    except OSError:  # a name too long for the file system, say
        found = False
    if not found:
        raise InvalidInput(
            _("No such file in the import folder: %(name)s") % {"name": name},
            field="import_path",
        )
    return candidate


def detect_format(path: Path, name: str) -> str:
    """The format from the content first (Parquet magic, gzip, JSON), then the name."""
    with open(path, "rb") as handle:
        head = handle.read(64)
    if head.startswith(b"PAR1"):
        return "parquet"
    lowered = name.lower().removesuffix(".gz")
    if lowered.endswith((".jsonl", ".ndjson", ".json")):
        return "jsonl"
    if lowered.endswith(".parquet"):
        return "parquet"
    if head.lstrip()[:1] == b"{":
        return "jsonl"
    return "csv"


def _limits() -> Limits:
    return Limits(
        max_bytes=settings.INGEST_MAX_BYTES,
        max_uncompressed_bytes=settings.INGEST_MAX_UNCOMPRESSED_BYTES,
        memory_limit=settings.INGEST_MEMORY_LIMIT,
    )


def _ingest_to_tmp(source: Path, *, fmt: str, encoding: str, types) -> IngestResult:
    """The slow part, outside any transaction: DuckDB writes a private temporary Parquet."""
    try:
        return ingest_file(
            source,
            _tmp_dir() / f"ingested-{uuid.uuid4().hex}.parquet",
            fmt=fmt,
            encoding=encoding,
            types=types,
            tmp_dir=_tmp_dir(),
            limits=_limits(),
        )
    except IngestError as exc:
        raise InvalidInput(
            _("The file cannot be ingested: %(reason)s") % {"reason": ingest_message(str(exc))},
            field="file",
        ) from None


def _store_version(resource, number: int, result: IngestResult, *, source_name, fmt, by):
    """Inside the caller's transaction: move the Parquet into place and record it."""
    relative = f"resources/{resource.pk}/v{number}.parquet"
    final = data_path(relative)
    final.parent.mkdir(parents=True, exist_ok=True)
    os.replace(result.path, final)
    os.chmod(final, 0o600)
    result.path = final
    return ResourceVersion.objects.create(
        resource=resource,
        number=number,
        path=relative,
        source_name=source_name,
        source_format=fmt,
        source_encoding=result.encoding,
        row_count=result.row_count,
        bytes=result.bytes,
        sha256=result.sha256,
        schema=result.schema,
        statistics=result.statistics,
        created_by=by,
    )


def resource_register(
    *,
    by,
    provider: Organization,
    name: str,
    source: Path,
    source_name: str,
    fmt: str | None = None,
    encoding: str = "auto",
    types: dict | None = None,
) -> ResourceVersion:
    """Register a provider's data resource from a staged file; its first version."""
    _require_staff(by)
    if provider.kind != OrganizationKind.PROVIDER:
        raise InvalidInput(_("Choose a data provider organization."), field="provider")
    name = clean_text(name, field="name", max_length=NAME_MAX)
    if not name:
        raise InvalidInput(_("Name the data resource."), field="name")
    source_name = clean_display_name(source_name)
    fmt = fmt or detect_format(source, source_name)
    if fmt not in FORMATS:
        raise InvalidInput(_("Upload CSV, JSON lines or Parquet."), field="format")
    result = _ingest_to_tmp(source, fmt=fmt, encoding=encoding, types=types)
    try:
        with transaction.atomic():
            resource = DataResource.objects.create(
                provider=provider, name=name.strip(), created_by=by
            )
            version = _store_version(resource, 1, result, source_name=source_name, fmt=fmt, by=by)
            audit_record(
                by=by,
                action="resource.register",
                target=resource,
                organization=provider,
                details={"version": 1, "rows": result.row_count, "sha256": result.sha256},
            )
    except BaseException:
        result.path.unlink(missing_ok=True)  # nothing half-written outlives the transaction
        raise
    return version


def _mismatch(catalog: Catalog, new_columns: dict[str, str]) -> str | None:
    expected = {f.column: f.data_type for f in catalog.fields.all()}
    if expected == new_columns:
        return None
    shared = set(expected) & set(new_columns)
    return _(
        "The new file does not match catalog %(code)s: missing %(missing)s; "
        "unexpected %(extra)s; type changed %(changed)s."
    ) % {
        "code": catalog.code,
        "missing": ", ".join(sorted(set(expected) - set(new_columns))) or "-",
        "extra": ", ".join(sorted(set(new_columns) - set(expected))) or "-",
        "changed": ", ".join(sorted(c for c in shared if expected[c] != new_columns[c])) or "-",
    }


def resource_version_add(
    *,
    by,
    resource: DataResource,
    source: Path,
    source_name: str,
    fmt: str | None = None,
    encoding: str = "auto",
    types: dict | None = None,
) -> ResourceVersion:
    """A new upload of an existing resource. Its columns must match every catalog that
    describes the resource; those catalogs move to it (a published one gets a new
    version; scenarios keep the version they were authorized on)."""
    _require_staff(by)
    source_name = clean_display_name(source_name)
    fmt = fmt or detect_format(source, source_name)
    if fmt not in FORMATS:
        raise InvalidInput(_("Upload CSV, JSON lines or Parquet."), field="format")
    result = _ingest_to_tmp(source, fmt=fmt, encoding=encoding, types=types)
    new_columns = {c["name"]: c["type"] for c in result.schema}
    try:
        with transaction.atomic():
            resource = DataResource.objects.select_for_update().get(pk=resource.pk)
            catalogs = list(
                Catalog.objects.select_for_update()
                .filter(resource_version__resource=resource)
                .exclude(status=CatalogStatus.WITHDRAWN)
                .order_by("pk")
            )
            for catalog in catalogs:
                problem = _mismatch(catalog, new_columns)
                if problem:
                    raise InvalidInput(problem, field="file")
            number = (resource.versions.aggregate(m=Max("number"))["m"] or 0) + 1
            version = _store_version(
                resource, number, result, source_name=source_name, fmt=fmt, by=by
            )
            audit_record(
                by=by,
                action="resource.version_add",
                target=resource,
                organization=resource.provider,
                details={"version": number, "rows": result.row_count, "sha256": result.sha256},
            )
            for catalog in catalogs:
                catalog.resource_version = version
                catalog.save(update_fields=["resource_version", "updated_at"])
                _after_change(by, catalog, change="resource_version", details={"version": number})
    except BaseException:
        result.path.unlink(missing_ok=True)
        raise
    return version


# --- catalogs -------------------------------------------------------------------------------


def _search_text(catalog: Catalog, fields) -> str:
    parts = [catalog.code, catalog.name, catalog.name_en, catalog.summary, catalog.keywords]
    for f in fields:
        parts += [f.column, f.name_zh, f.description]
    return " ".join(p for p in parts if p).lower()


def _refresh_derived(catalog: Catalog) -> None:
    fields = list(catalog.fields.all())
    catalog.level = max((f.level for f in fields), default=SensitivityLevel.L1)
    catalog.search_text = _search_text(catalog, fields)
    catalog.save(update_fields=["level", "search_text", "updated_at"])


def _snapshot(catalog: Catalog) -> dict:
    return {
        "code": catalog.code,
        "name": catalog.name,
        "name_en": catalog.name_en,
        "zone": catalog.zone.key,
        "provider": catalog.provider_id,
        "summary": catalog.summary,
        "keywords": catalog.keywords,
        "update_frequency": catalog.update_frequency,
        "data_range": catalog.data_range,
        "sharing_type": catalog.sharing_type,
        "open_type": catalog.open_type,
        "time_coverage_start": str(catalog.time_coverage_start or ""),
        "time_coverage_end": str(catalog.time_coverage_end or ""),
        "level": catalog.level,
        "fields": [
            {
                "column": f.column,
                "name_zh": f.name_zh,
                "data_type": f.data_type,
                "description": f.description,
                "level": f.level,
                "is_identifier": f.is_identifier,
                "masking": f.masking,
                "generalize": f.generalize,
            }
            for f in catalog.fields.all()
        ],
    }


def _freeze(by, catalog: Catalog) -> CatalogVersion:
    catalog.version += 1
    catalog.published_at = timezone.now()
    catalog.save(update_fields=["version", "published_at", "updated_at"])
    return CatalogVersion.objects.create(
        catalog=catalog,
        number=catalog.version,
        resource_version=catalog.resource_version,
        snapshot=_snapshot(catalog),
        published_by=by,
    )


def _after_change(by, catalog: Catalog, *, change: str, details: dict, regraded=()) -> None:
    """Audit a change; a published catalog is frozen again as a new version (``regraded``:
    the columns protected less than before, or dropped, for its users to refuse)."""
    _refresh_derived(catalog)
    if catalog.status == CatalogStatus.PUBLISHED:
        _validate_publishable(catalog)
        details = {**details, "new_version": _freeze(by, catalog).number}
        hooks.announce(hooks.CATALOG_REPUBLISHED, by=by, catalog=catalog, regraded=regraded)
    audit_record(
        by=by,
        action=f"catalog.{change}",
        target=catalog,
        organization=catalog.provider,
        details=details,
    )


def next_catalog_code(zone: DataZone) -> str:
    numbers = [
        int(m.group("number"))
        for code in Catalog.objects.filter(code__startswith=f"{zone.code_prefix}-").values_list(
            "code", flat=True
        )
        if (m := CODE_RE.match(code))
    ]
    return f"{zone.code_prefix}-{max(numbers, default=0) + 1:04d}"


def _clean_metadata(values: dict) -> dict:
    unknown = set(values) - set(METADATA_FIELDS)
    if unknown:
        raise InvalidInput(_("Unknown catalog attribute: %(name)s") % {"name": sorted(unknown)[0]})
    start, end = values.get("time_coverage_start"), values.get("time_coverage_end")
    if start and end and start > end:
        raise InvalidInput(_("The time coverage ends before it starts."), field="time_coverage_end")
    if "summary" in values:
        values["summary"] = clean_text(values["summary"], field="summary", max_length=LONG_TEXT_MAX)
    return values


def _validated(catalog: Catalog) -> None:
    from django.core.exceptions import ValidationError

    try:
        catalog.full_clean(exclude=["resource_version", "provider", "search_text"])
    except ValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        raise InvalidInput(messages[0], field=field) from None


def catalog_create(
    *, by, resource_version: ResourceVersion, zone: DataZone, code: str = "", **metadata
) -> Catalog:
    """A draft catalog describing a resource version; fields start from its schema."""
    _require_staff(by)
    metadata = _clean_metadata({**metadata, "zone": zone})
    with transaction.atomic():
        code = (code or "").strip().upper() or next_catalog_code(zone)
        match = CODE_RE.match(code)
        if not match or match.group("prefix") != zone.code_prefix:
            raise InvalidInput(
                _("A catalog code is %(prefix)s- followed by four digits, e.g. %(prefix)s-0001.")
                % {"prefix": zone.code_prefix},
                field="code",
            )
        if Catalog.objects.filter(code=code).exists():
            raise InvalidInput(_("Catalog code %(code)s is taken.") % {"code": code}, field="code")
        catalog = Catalog(
            code=code,
            provider=resource_version.resource.provider,
            resource_version=resource_version,
            **metadata,
        )
        _validated(catalog)
        catalog.save()
        CatalogField.objects.bulk_create(
            CatalogField(
                catalog=catalog,
                position=position,
                column=column["name"],
                name_zh=column["name"],
                data_type=column["type"],
            )
            for position, column in enumerate(resource_version.schema, start=1)
        )
        _refresh_derived(catalog)
        audit_record(
            by=by,
            action="catalog.create",
            target=catalog,
            organization=catalog.provider,
            details={"code": code, "resource_version": resource_version.pk},
        )
    return catalog


def _locked(catalog: Catalog) -> Catalog:
    return Catalog.objects.select_for_update().select_related("zone").get(pk=catalog.pk)


def _editable(catalog: Catalog) -> Catalog:
    catalog = _locked(catalog)
    if catalog.status == CatalogStatus.WITHDRAWN:
        raise Conflict(_("A withdrawn catalog cannot be changed."))
    return catalog


def _apply_metadata(catalog: Catalog, metadata: dict) -> list[str]:
    if "zone" in metadata and metadata["zone"] != catalog.zone:
        raise InvalidInput(_("A catalog's zone is part of its code."), field="zone")
    changed = sorted(k for k, v in metadata.items() if getattr(catalog, k) != v)
    for key in changed:
        setattr(catalog, key, metadata[key])
    _validated(catalog)
    catalog.save()
    return changed


def catalog_update(*, by, catalog: Catalog, **metadata) -> Catalog:
    """Change a catalog's description; a published one becomes a new version."""
    return catalog_edit(by=by, catalog=catalog, metadata=metadata, fields={})


def catalog_edit(*, by, catalog: Catalog, metadata: dict, fields: dict[str, dict]) -> Catalog:
    """Change the description and fields together, all or nothing; a published catalog
    becomes one new version."""
    _require_staff(by)
    metadata = _clean_metadata(metadata)
    with transaction.atomic():
        catalog = _editable(catalog)
        changed = _apply_metadata(catalog, metadata)
        changed_fields, regraded = _apply_fields(catalog, fields)
        if changed or changed_fields:
            _after_change(
                by,
                catalog,
                change="update",
                details={"changed": changed, "fields": changed_fields},
                regraded=regraded,
            )
    return catalog


def _check_field(field: CatalogField) -> None:
    where = {"column": field.column}
    if field.level not in SensitivityLevel.values:
        raise InvalidInput(_("Sensitivity is L1 to L4."), field="level")
    if field.masking not in MaskingRule.values:
        raise InvalidInput(_("Unknown masking rule."), field="masking")
    if field.level == SensitivityLevel.L4 and field.masking != MaskingRule.DROP:
        raise InvalidInput(
            _("%(column)s is L4: L4 fields never enter a workspace, so its rule must be drop.")
            % where,
            field="masking",
        )
    if field.is_identifier and field.masking == MaskingRule.KEEP:
        raise InvalidInput(
            _("%(column)s identifies an entity: pseudonymize, generalize or drop it.") % where,
            field="masking",
        )
    if field.masking == MaskingRule.PSEUDONYM and field.data_type not in (
        FieldType.STRING,
        FieldType.INTEGER,
    ):
        raise InvalidInput(
            _("%(column)s: only text and integer fields can be pseudonymized.") % where,
            field="masking",
        )
    if field.masking == MaskingRule.GENERALIZE:
        _check_generalization(field)
    elif field.generalize:
        field.generalize = ""


def _check_generalization(field: CatalogField) -> None:
    rule = (field.generalize or "").strip()
    allowed = GENERALIZATIONS.get(field.data_type)
    if allowed is not None:
        ok = rule in allowed
    elif field.data_type in (FieldType.NUMBER, FieldType.INTEGER):
        match = re.fullmatch(r"(grid|band):(\d+(\.\d+)?)", rule)
        ok = bool(match) and float(match.group(2)) > 0
    else:
        ok = False
    if not ok:
        raise InvalidInput(
            _(
                "%(column)s: say how to generalize it: hour, day or month for a timestamp; "
                "month or year for a date; grid:0.1 (coordinates) or band:10 (numbers)."
            )
            % {"column": field.column},
            field="generalize",
        )
    field.generalize = rule


def _field_value(column: str, key: str, value):
    """Type-check one submitted attribute of a field."""
    if key == "level":
        if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).isdigit():
            raise InvalidInput(
                _("%(column)s: the level is 1 to 4.") % {"column": column}, field="level"
            )
        return int(value)
    if key == "is_identifier":
        if not isinstance(value, bool):
            raise InvalidInput(
                _("%(column)s: say true or false.") % {"column": column}, field="is_identifier"
            )
        return value
    if not isinstance(value, str):
        raise InvalidInput(
            _("%(column)s: %(key)s is text.") % {"column": column, "key": key}, field=key
        )
    return clean_text(value, field=key, max_length=CatalogField._meta.get_field(key).max_length)


def _coarseness(rule: str) -> tuple[str, float]:
    if rule in TIME_STEPS:
        return "time", TIME_STEPS.index(rule)
    kind, _sep, width = rule.partition(":")
    return kind, float(width)


def _regraded(before: dict, field: CatalogField) -> bool:
    """Whether ``field``'s new grading takes away what those using it were granted on:
    a lower level, an identifier no longer said to be one (output checks look for
    identifiers), a weaker masking rule, a finer generalization, or a drop (the field
    leaves the workspaces that hold it)."""
    if field.level < before["level"] or (before["is_identifier"] and not field.is_identifier):
        return True
    old, new = MASKING_STRENGTH.index(before["masking"]), MASKING_STRENGTH.index(field.masking)
    if old != new:
        return new < old or field.masking == MaskingRule.DROP
    if field.masking == MaskingRule.GENERALIZE and field.generalize != before["generalize"]:
        (old_kind, old_width), (new_kind, new_width) = map(
            _coarseness, (before["generalize"], field.generalize)
        )
        return new_kind != old_kind or new_width < old_width
    return False


def _apply_fields(catalog: Catalog, fields: dict[str, dict]) -> tuple[list[str], list[str]]:
    """Apply the fields' new descriptions; the columns changed, and those regraded."""
    current = {f.column: f for f in catalog.fields.all()}
    unknown = sorted(set(fields) - set(current))
    if unknown:
        raise InvalidInput(
            _("Catalog %(code)s has no field %(column)s.")
            % {"code": catalog.code, "column": unknown[0]},
            field="fields",
        )
    changed, regraded = [], []
    for column, values in fields.items():
        if not isinstance(values, dict):
            raise InvalidInput(_("Describe each field as an object."), field="fields")
        extra = set(values) - set(FIELD_EDITABLE)
        if extra:
            raise InvalidInput(_("Unknown field attribute: %(name)s") % {"name": sorted(extra)[0]})
        field = current[column]
        before = [getattr(field, k) for k in FIELD_EDITABLE]
        grading = {k: getattr(field, k) for k in GRADING}
        for key, value in values.items():
            setattr(field, key, _field_value(column, key, value))
        if not field.name_zh:
            raise InvalidInput(
                _("%(column)s needs a Chinese name.") % {"column": column}, field="name_zh"
            )
        _check_field(field)
        if before != [getattr(field, k) for k in FIELD_EDITABLE]:
            changed.append(field)
        if _regraded(grading, field):
            regraded.append(column)
    CatalogField.objects.bulk_update(changed, list(FIELD_EDITABLE))
    return [f.column for f in changed], regraded


def catalog_fields_update(*, by, catalog: Catalog, fields: dict[str, dict]) -> Catalog:
    """Describe fields: ``{column: {name_zh, description, level, is_identifier, masking,
    generalize}}``. Every rule is checked before anything is saved."""
    return catalog_edit(by=by, catalog=catalog, metadata={}, fields=fields)


def _validate_publishable(catalog: Catalog) -> None:
    for field in catalog.fields.all():
        _check_field(field)
    if not catalog.summary.strip():
        raise InvalidInput(_("Write a summary before publishing."), field="summary")


def catalog_publish(*, by, catalog: Catalog) -> Catalog:
    _require_staff(by)
    with transaction.atomic():
        catalog = _locked(catalog)
        if catalog.status != CatalogStatus.DRAFT:
            raise Conflict(
                _("Only a draft can be published; this catalog is %(status)s.")
                % {"status": catalog.get_status_display()}
            )
        _validate_publishable(catalog)
        catalog.status = CatalogStatus.PUBLISHED
        catalog.save(update_fields=["status", "updated_at"])
        version = _freeze(by, catalog)
        audit_record(
            by=by,
            action="catalog.publish",
            target=catalog,
            organization=catalog.provider,
            details={"version": version.number, "resource_version": version.resource_version_id},
        )
        hooks.announce(hooks.CATALOG_PUBLISHED, by=by, catalog=catalog)
    return catalog


def catalog_withdraw(*, by, catalog: Catalog, reason: str) -> Catalog:
    _require_staff(by)
    reason = clean_text(reason, field="reason", max_length=REASON_MAX)
    if not reason:
        raise InvalidInput(_("Give a reason."), field="reason")
    with transaction.atomic():
        catalog = _locked(catalog)
        if catalog.status != CatalogStatus.PUBLISHED:
            raise Conflict(
                _("Only a published catalog can be withdrawn; this one is %(status)s.")
                % {"status": catalog.get_status_display()}
            )
        catalog.status = CatalogStatus.WITHDRAWN
        catalog.withdrawn_reason = reason
        catalog.save(update_fields=["status", "withdrawn_reason", "updated_at"])
        audit_record(
            by=by,
            action="catalog.withdraw",
            target=catalog,
            organization=catalog.provider,
            details={"reason": reason, "version": catalog.version},
        )
        hooks.announce(hooks.CATALOG_WITHDRAWN, by=by, catalog=catalog, reason=reason)
    return catalog
