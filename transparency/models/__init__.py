from transparency.models.report import DisclosureReport, ReportStatus

__all__ = ["DisclosureReport", "ReportStatus"]
