"""The demo's prices and public disclosure: the red-tide service and the red-tide release
are free for public-interest use, the vessel-traffic service has a guided price, and the
current year's disclosure is drafted from the seeded data and published. Idempotent: a
price already set and a year already published are kept."""

from django.contrib.auth import get_user_model
from django.utils import timezone

from scenarios.models import DataService, FeeBasis, ReleaseRequest, ReleaseStatus
from scenarios.services.pricing import price_set
from transparency.models import DisclosureReport
from transparency.services.reports import report_draft, report_publish

PUBLIC_INTEREST = "赤潮预警服务于海洋防灾减灾，属公益用途，免费提供。"
GUIDED = {
    "fee_basis": FeeBasis.GUIDED,
    "price_amount": "0.20",
    "price_unit": "每次调用",
    "price_basis": "市发展改革委公共数据产品和服务政府指导价目录（演示数据）",
}
PRICES = {"redtide-risk": {"fee_basis": FeeBasis.FREE, "price_basis": PUBLIC_INTEREST}}


def seed_transparency(stdout) -> None:
    operator = get_user_model().objects.get(username="operator")
    for service in DataService.objects.filter(fee_basis="").order_by("code"):
        priced = price_set(by=operator, target=service, **PRICES.get(service.code, GUIDED))
        stdout.write(f"  price of {service.code}: {priced.fee_basis}")
    released = ReleaseRequest.objects.filter(status=ReleaseStatus.APPROVED, fee_basis="")
    for release in released.order_by("pk"):
        price_set(by=operator, target=release, fee_basis=FeeBasis.FREE, price_basis=PUBLIC_INTEREST)
    year = timezone.localdate().year
    if not DisclosureReport.objects.filter(year=year, status="published").exists():
        report_publish(by=operator, report=report_draft(by=operator, year=year))
    stdout.write(f"  public disclosure of {year}: published")
