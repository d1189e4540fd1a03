from django.http import FileResponse

from tenants.models import QualificationFile


def qualification_file_response(record: QualificationFile) -> FileResponse:
    """Serve a private file as a download; the caller has already been checked."""
    response = FileResponse(
        record.file.open("rb"),
        as_attachment=True,
        filename=record.original_name,
        content_type=record.content_type,
    )
    response["Cache-Control"] = "private, no-store"
    return response
