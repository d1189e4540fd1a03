"""``{{ key|job_limit }}``: a job's resource limit by name, with its unit."""

from django import template
from django.utils.translation import gettext_lazy

register = template.Library()

LIMITS = {
    "cpu_seconds": gettext_lazy("CPU time (s)"),
    "wall_seconds": gettext_lazy("wall-clock time (s)"),
    "memory_mb": gettext_lazy("memory (MB)"),
    "processes": gettext_lazy("processes"),
    "file_size_mb": gettext_lazy("largest file (MB)"),
    "open_files": gettext_lazy("open files"),
    "tmp_mb": gettext_lazy("temporary space (MB)"),
}


@register.filter
def job_limit(key: str) -> str:
    return str(LIMITS.get(key, key))
