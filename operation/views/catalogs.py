"""Portal pages for development data catalogs: browse and search, and (operator staff)
upload, describe, publish and withdraw."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.humanize.templatetags.humanize import intcomma
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.errors import InvalidInput
from core.portal import form_error, paged
from operation.forms import (
    CatalogCreateForm,
    CatalogFilterForm,
    CatalogMetadataForm,
    ReasonForm,
    ResourceForm,
    VersionForm,
)
from operation.models import DataZone, MaskingRule, ResourceVersion, SensitivityLevel
from operation.personal import personal_data_flags
from operation.selectors import (
    catalog_facets,
    catalog_get,
    catalog_preview,
    catalogs_filter,
    catalogs_visible_to,
)
from operation.services import catalogs as svc
from tenants.models import Organization, OrganizationKind
from tenants.permissions import is_operator_staff


@login_required
def catalog_list(request):
    is_staff = is_operator_staff(request.user)
    visible = catalogs_visible_to(request.user)
    form = CatalogFilterForm(
        request.GET or None,
        zones=DataZone.objects.all(),
        providers=Organization.objects.filter(kind=OrganizationKind.PROVIDER),
        show_status=is_staff,
        counts=catalog_facets(visible, request.GET),
    )
    catalogs = catalogs_filter(visible, request.GET)
    page, query = paged(request, catalogs)
    return render(
        request,
        "operation/catalog_list.html",
        {"form": form, "page": page, "query": query, "is_staff": is_staff},
    )


@login_required
def catalog_detail(request, code: str):
    catalog = catalog_get(request.user, code)
    is_staff = is_operator_staff(request.user)
    return render(
        request,
        "operation/catalog_detail.html",
        {
            "catalog": catalog,
            "preview": catalog_preview(catalog),
            "is_staff": is_staff,
            "versions": catalog.versions.select_related("resource_version") if is_staff else [],
            "withdraw_form": ReasonForm(),
        },
    )


def _ingest_from_form(form, function, **kwargs) -> ResourceVersion:
    data = form.cleaned_data
    with svc.ingest_source(
        by=kwargs["by"], file=data.get("file"), import_path=data.get("import_path")
    ) as (source, name):
        return function(
            source=source,
            source_name=name,
            fmt=data.get("format") or None,
            encoding=data["encoding"],
            types=data.get("types") or None,
            **kwargs,
        )


@login_required
def resource_new(request):
    if not is_operator_staff(request.user):
        raise Http404
    form = ResourceForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            version = _ingest_from_form(
                form,
                svc.resource_register,
                by=request.user,
                provider=form.cleaned_data["provider"],
                name=form.cleaned_data["name"],
            )
        except InvalidInput as error:
            form_error(form, error)
        else:
            messages.success(
                request,
                _("Ingested %(rows)s rows. Now describe the catalog.")
                % {"rows": intcomma(version.row_count)},
            )
            return redirect(f"{reverse('catalog-new')}?version={version.pk}")
    return render(request, "operation/resource_form.html", {"form": form, "catalog": None})


@login_required
def catalog_new(request):
    if not is_operator_staff(request.user):
        raise Http404
    wanted = request.GET.get("version", "")
    version = ResourceVersion.objects.filter(pk=int(wanted)).first() if wanted.isdigit() else None
    if version is None:
        raise Http404
    form = CatalogCreateForm(request.POST or None, initial={"name": version.resource.name})
    if request.method == "POST" and form.is_valid():
        try:
            catalog = svc.catalog_create(
                by=request.user, resource_version=version, **form.cleaned_data
            )
        except InvalidInput as error:
            form_error(form, error)
        else:
            messages.success(
                request,
                _("Draft created: %(code)s %(name)s. Describe its fields, then publish it.")
                % {"code": catalog.code, "name": catalog.name},
            )
            return redirect("catalog-edit", code=catalog.code)
    return render(request, "operation/catalog_new.html", {"form": form, "version": version})


def _posted_fields(request, fields) -> dict[str, dict]:
    posted = {}
    for field in fields:
        prefix = f"f{field.position}-"
        posted[field.column] = {
            "name_zh": request.POST.get(prefix + "name_zh", ""),
            "description": request.POST.get(prefix + "description", ""),
            "level": request.POST.get(prefix + "level") or field.level,
            "is_identifier": request.POST.get(prefix + "is_identifier") == "on",
            "masking": request.POST.get(prefix + "masking", field.masking),
            "generalize": request.POST.get(prefix + "generalize", ""),
        }
    return posted


@login_required
def catalog_edit(request, code: str):
    if not is_operator_staff(request.user):
        raise Http404
    catalog = catalog_get(request.user, code)
    fields = list(catalog.fields.all())
    form = CatalogMetadataForm(request.POST or None, instance=catalog)
    posted = _posted_fields(request, fields) if request.method == "POST" else {}
    if request.method == "POST" and form.is_valid():
        metadata = {key: form.cleaned_data[key] for key in svc.METADATA_FIELDS}
        try:
            svc.catalog_edit(by=request.user, catalog=catalog, metadata=metadata, fields=posted)
        except InvalidInput as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Catalog saved."))
            # "Save and publish": the edits on screen are saved first, then confirmed.
            then = "catalog-publish" if "publish" in request.POST else "catalog-edit"
            return redirect(then, code=catalog.code)
    # Refused: the table shows the grading as typed (never saved), for the user to correct.
    for field in fields:
        for name, value in posted.get(field.column, {}).items():
            setattr(field, name, value)
    flags = {flag.column: flag for flag in personal_data_flags(catalog)}
    return render(
        request,
        "operation/catalog_edit.html",
        {
            "catalog": catalog,
            "form": form,
            "fields": [(field, flags.get(field.column)) for field in fields],
            "levels": SensitivityLevel.choices,
            "maskings": MaskingRule.choices,
        },
    )


@login_required
def catalog_publish(request, code: str):
    """GET: what publishing will do, the grading it freezes and the fields that look like
    personal data; POST: publish."""
    if not is_operator_staff(request.user):
        raise Http404
    catalog = catalog_get(request.user, code)
    if request.method != "POST":
        return render(
            request,
            "operation/catalog_publish.html",
            {
                "catalog": catalog,
                "fields": catalog.fields.order_by("position"),
                "flags": personal_data_flags(catalog),
            },
        )
    try:
        svc.catalog_publish(by=request.user, catalog=catalog)
    except InvalidInput as error:
        messages.error(request, error.message)
        return redirect("catalog-edit", code=code)
    messages.success(request, _("Catalog published."))
    return redirect("catalog-detail", code=code)


@login_required
@require_POST
def catalog_withdraw(request, code: str):
    if not is_operator_staff(request.user):
        raise Http404
    catalog = catalog_get(request.user, code)
    try:
        svc.catalog_withdraw(by=request.user, catalog=catalog, reason=request.POST.get("reason"))
    except InvalidInput as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Catalog withdrawn."))
    return redirect("catalog-detail", code=code)


@login_required
def resource_version_new(request, code: str):
    if not is_operator_staff(request.user):
        raise Http404
    catalog = catalog_get(request.user, code)
    form = VersionForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            version = _ingest_from_form(
                form,
                svc.resource_version_add,
                by=request.user,
                resource=catalog.resource_version.resource,
            )
        except InvalidInput as error:
            form_error(form, error)
        else:
            messages.success(
                request,
                _("Version %(n)d ingested (%(rows)s rows).")
                % {"n": version.number, "rows": intcomma(version.row_count)},
            )
            return redirect("catalog-detail", code=code)
    return render(request, "operation/resource_form.html", {"form": form, "catalog": catalog})
