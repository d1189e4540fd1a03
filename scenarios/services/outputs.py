"""Job outputs after a job: automatic disclosure checks in trusted code, mitigation into
derived outputs, differencing against released aggregates, audited downloads."""

import csv
import hashlib
import io
import logging
from pathlib import Path

import duckdb
from django.db import transaction
from django.utils.translation import gettext as _

from core.duck import quote_ident, quote_literal
from core.errors import Conflict, InvalidInput, NotFound
from core.services.audit import audit_record
from core.storage import data_path
from operation.models import Catalog
from scenarios.disclosure import check as disclosure
from scenarios.disclosure.differencing import differencing_check
from scenarios.disclosure.files import TableInfo
from scenarios.disclosure.mitigate import round_to_base, suppress
from scenarios.disclosure.params import FAIL, PASS, REVIEW, Parameters, overall
from scenarios.disclosure.sqlshape import output_statements
from scenarios.models import (
    CheckStatus,
    Job,
    JobLanguage,
    JobOutput,
    JobOutputKind,
    ReleasedAggregate,
)
from tenants.permissions import check_member, is_member

logger = logging.getLogger(__name__)

MAX_CHECKED_BYTES = 512 * 1024 * 1024


def _tables(job: Job) -> tuple[dict[str, TableInfo], dict[str, str | None]]:
    """What the checks know of the job's workspace: per table its rows, columns,
    identifier and pseudonym columns and every pseudonym; and the entity column."""
    folder = data_path(job.workspace.path)
    tables, identifiers = {}, {}
    connection = duckdb.connect(config={"threads": 2, "memory_limit": "1GB"})
    try:
        for code, info in job.workspace.manifest.get("tables", {}).items():
            catalog = Catalog.objects.filter(code=code).first()
            flagged = set()
            if catalog is not None:
                flagged = set(
                    catalog.fields.filter(is_identifier=True).values_list("column", flat=True)
                )
            columns = tuple(info["columns"])
            masking = info.get("masking", {})
            pseudonymous = tuple(c for c in columns if masking.get(c) == "pseudonym")
            identifying = tuple(c for c in columns if c in flagged)
            values: set[str] = set()
            source = quote_literal(str(folder / info["file"]))
            for column in pseudonymous:
                name = quote_ident(column)
                query = f"SELECT DISTINCT {name} FROM read_parquet({source}) "  # noqa: S608
                rows = connection.execute(query + f"WHERE {name} IS NOT NULL").fetchall()
                values.update(str(row[0]) for row in rows)
            tables[code] = TableInfo(
                code=code,
                rows=int(info.get("rows", 0)),
                columns=columns,
                identifier_columns=identifying,
                pseudonym_columns=pseudonymous,
                pseudonyms=frozenset(values),
            )
            identifiers[code] = identifying[0] if identifying else None
    finally:
        connection.close()
    return tables, identifiers


def outputs_stale(*, older_than) -> list[int]:
    """Real jobs that ended before ``older_than`` with outputs still unchecked (the check's
    message or worker was lost): their ids, for beat to check them again."""
    return list(
        Job.objects.filter(
            dry_run=False,
            finished_at__lt=older_than,
            outputs__check_status=CheckStatus.PENDING,
            outputs__discarded_at__isnull=True,
        )
        .order_by("pk")
        .values_list("pk", flat=True)
        .distinct()[:100]
    )


def outputs_check(job: Job) -> None:
    """Check every output of a finished real job (system action, on the worker)."""
    if job.dry_run:
        return
    outputs = list(job.outputs.filter(check_status=CheckStatus.PENDING, discarded_at__isnull=True))
    if not outputs:
        return
    params = Parameters.of_type(job.scenario.scenario_type)
    try:
        tables, identifiers = _tables(job)
        statements = output_statements(job.code) if job.language == JobLanguage.SQL else {}
    except Exception:  # e.g. the workspace is gone: nothing passes unchecked
        logger.exception("checks of job %s could not start", job.pk)
        tables = identifiers = statements = None
    for output in outputs:
        path = data_path(output.path)
        try:
            if tables is None:
                raise RuntimeError("no check context")
            if job.language == JobLanguage.SQL and output.kind == JobOutputKind.FILE:
                record = disclosure.check_sql_output(
                    path,
                    statement_sql=statements.get(output.name),
                    workspace_dir=data_path(job.workspace.path),
                    manifest=job.workspace.manifest,
                    identifiers=identifiers,
                    tables=tables,
                    params=params,
                    max_bytes=MAX_CHECKED_BYTES,
                )
            else:
                record = disclosure.check_python_output(
                    path, tables=tables, params=params, max_bytes=MAX_CHECKED_BYTES
                )
        except Exception:  # a check that cannot run never passes
            logger.exception("checks of output %s failed", output.pk)
            record = {
                "status": REVIEW,
                "summary": "review; the checks could not run on this output",
                "parameters": params.to_dict(),
                "checks": {},
                "aggregate": None,
            }
        trusted = record.pop("trusted_csv", None)
        if trusted is not None and output.name.endswith(".csv"):
            # The file that can leave is the worker's own rendering of the checked query,
            # never bytes the job wrote.
            _replace(output, trusted.encode())
        elif trusted is not None:
            record["best"] = REVIEW  # Parquet or TSV can hide data in their formatting
        if output.kind != JobOutputKind.FILE or job.language == JobLanguage.PYTHON:
            record["best"] = REVIEW  # logs and Python outputs never pass on their own
        _store(output, record)
        differencing_refresh(output)


def _replace(output: JobOutput, content: bytes) -> None:
    path = data_path(output.path)
    staged = path.with_name(f".{path.name}.trusted")
    staged.write_bytes(content)
    staged.chmod(0o440)
    staged.replace(path)
    output.size, output.sha256 = len(content), hashlib.sha256(content).hexdigest()
    JobOutput.objects.filter(pk=output.pk).update(size=output.size, sha256=output.sha256)


def _status(record: dict) -> str:
    status = overall(entry.get("status") for entry in record.get("checks", {}).values())
    if record.get("status") in (FAIL, REVIEW) and not record.get("checks"):
        status = record["status"]
    if status == PASS and record.get("best") == REVIEW:
        status = REVIEW
    return status


def _store(output: JobOutput, record: dict) -> None:
    record["status"] = _status(record)
    with transaction.atomic():
        locked = JobOutput.objects.select_for_update().get(pk=output.pk)
        locked.check_record = record
        locked.check_status = record["status"]
        locked.save(update_fields=["check_record", "check_status"])
        audit_record(
            by=None,
            action="output.check",
            target=locked,
            organization=locked.job.scenario.organization,
            details={"status": record["status"], "summary": record.get("summary", "")},
        )
    output.check_record, output.check_status = record, record["status"]


def differencing_refresh(output: JobOutput, *, also=()) -> None:
    """Compare an aggregate output with every released aggregate of the same table (and
    with the aggregates of ``also``, outputs released together with it): a population
    that differs by fewer entities than the threshold in some cell fails."""
    record = output.check_record or {}
    aggregate = record.get("aggregate")
    if not aggregate:
        return
    released = [
        {
            "id": item.output_id,
            "table": item.table,
            "group_by": item.group_by,
            "filters": item.filters,
            "cells": item.cells,
        }
        for item in ReleasedAggregate.objects.filter(table=aggregate["table"]).exclude(
            output=output
        )
    ]
    for other in also:
        theirs = (other.check_record or {}).get("aggregate")
        if theirs and theirs.get("table") == aggregate["table"]:
            released.append({**theirs, "id": other.pk})
    candidate = {**aggregate, "id": output.pk}
    threshold = record.get("parameters", {}).get("threshold", Parameters().threshold)
    entry = differencing_check(candidate, released, threshold=threshold)
    if record.get("checks", {}).get("DifferencingCheck") == entry:
        return
    record.setdefault("checks", {})["DifferencingCheck"] = entry
    _store(output, record)


# --- Mitigation ------------------------------------------------------------------------


def _read_rows(path: Path) -> tuple[list[str], list[dict]]:
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        return list(reader.fieldnames or []), list(reader)


def output_mitigate(*, by, output: JobOutput, method: str, base: int = 5) -> JobOutput:
    """A derived output: failing cells suppressed (with secondary suppression) or values
    rounded to a base. It still needs review."""
    check_member(
        by,
        output.job.scenario.organization_id,
        _("Only members of the scenario's organization mitigate."),
    )
    if method not in ("suppress", "round"):
        raise InvalidInput(_("Mitigate by suppress or round."), field="method")
    if method == "round" and (not isinstance(base, int) or not 2 <= base <= 1000):
        raise InvalidInput(_("Round to a base from 2 to 1000."), field="base")
    aggregate = (output.check_record or {}).get("aggregate")
    unavailable = output.released_at is not None or output.discarded_at is not None
    if unavailable or not aggregate or not output.name.endswith(".csv"):
        raise Conflict(_("Only an unreleased aggregate table (CSV) can be mitigated."))
    group_by = list(aggregate["group_by"])
    try:
        columns, rows = _read_rows(data_path(output.path))
    except (OSError, UnicodeDecodeError, csv.Error):
        raise Conflict(_("The output cannot be read as a table.")) from None
    values = [c for c in columns if c not in group_by]
    if method == "suppress":
        failing = {
            tuple("" if part is None else str(part) for part in cell["key"])
            for cell in aggregate.get("cells", [])
            if cell.get("status") == FAIL
        }
        try:
            rows, _protected = suppress(
                rows, group_by=group_by, value_columns=values, failing=failing
            )
        except ValueError:  # the file no longer holds the cells its check found
            raise Conflict(_("The output's cells do not match its check record.")) from None
        # how many more were suppressed to protect them depends on the data: not kept
        derivation = f"suppress:{len(failing)}"
    else:
        rows = round_to_base(rows, value_columns=values, base=base)
        derivation = f"round:{base}"
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    content = buffer.getvalue().encode()
    stem = output.name.removesuffix(".csv")
    with transaction.atomic():
        JobOutput.objects.select_for_update().get(pk=output.pk)  # one mitigation at a time
        number = JobOutput.objects.filter(job=output.job, derived_from=output).count() + 1
        name = f"{stem}.{method}-{number}.csv"
        target = data_path(output.path).with_name(name)
        with open(target, "xb") as handle:  # never over a file whose digest is recorded
            handle.write(content)
        target.chmod(0o440)
        record = dict(output.check_record)
        record["derivation"] = {"from": output.pk, "method": method, "detail": derivation}
        record["best"] = REVIEW
        derived = JobOutput.objects.create(
            job=output.job,
            name=name,
            kind=JobOutputKind.FILE,
            size=len(content),
            sha256=hashlib.sha256(content).hexdigest(),
            path=str(target.relative_to(data_path(""))),
            derived_from=output,
            derivation=derivation,
            check_status=REVIEW,
            check_record={**record, "status": REVIEW},
        )
        audit_record(
            by=by,
            action="output.mitigate",
            target=derived,
            organization=output.job.scenario.organization,
            details={"from": output.pk, "method": method, "detail": derivation},
        )
    return derived


# --- Downloads --------------------------------------------------------------------------


def output_download(*, by, output_id) -> JobOutput:
    """A released output, for a member of its scenario's organization; anything else is
    not found, for everyone. Every download is audited."""
    output = (
        JobOutput.objects.select_related("job__scenario__organization")
        .filter(pk=output_id, released_at__isnull=False, job__dry_run=False)
        .first()
    )
    if output is None or not is_member(by, output.job.scenario.organization_id):
        raise NotFound()
    audit_record(
        by=by,
        action="output.download",
        target=output,
        organization=output.job.scenario.organization,
        details={"sha256": output.sha256, "name": output.name},
    )
    return output
