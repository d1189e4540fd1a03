"""The whole portal in one language: every page each demo role reaches, crawled in
Simplified Chinese, shows no internal code (dotted audit actions, check classes, snake_case
keys, True/False, bare pass/fail/review), no untranslated English and no ASCII colon or
parentheses in Chinese prose; in English, no Chinese. Data values (names, e-mails, SQL, file
names, people's words) are the data's own language and are left out, as are code blocks and
scripts."""

import io
import re
from html.parser import HTMLParser
from urllib.parse import urldefrag, urljoin, urlsplit

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client

pytestmark = pytest.mark.django_db

# The demo's data sets reduced to what its two scenario types use (the seed is otherwise
# the demo's own: accounts, admission, types, scenarios, a real job, a release, calls).
COMPACT_DATASETS = {"HY-0001", "HY-0002", "HY-0003", "HY-0004"}
ROLES = {
    "operator staff": "operator",
    "reviewer": "reviewer1",
    "developer": "xmu_lab",
    "org admin": "insurer",
    "provider": "ocean_bureau",
    "anonymous": None,
}
MAX_PAGES_PER_ROLE = 120
SKIP_PREFIXES = ("/api/", "/admin/", "/static/", "/media/", "/i18n/", "/logout/")
SKIP_SUFFIXES = (".csv", ".json", ".jsonld", ".zip", ".png", ".pdf", ".parquet", ".py")

# Proper nouns and notations that stay as they are in Chinese text.
ALLOWED_WORDS = {
    "API",
    "CPU",
    "CSV",
    "DCAT",
    "DuckDB",
    "GET",
    "PDF",
    "POST",
    "GB",
    "GBK",
    "UTF",
    "gzip",
    "HMAC",
    "ID",
    "JSON",
    "JSON-LD",
    "JPEG",
    "KB",
    "MB",
    "MMSI",
    "OpenAPI",
    "Parquet",
    "PNG",
    "Python",
    "pandas",
    "PSU",
    "WGS",
    "ROC",
    "SHA",
    "SQL",
    "UTC",
    "URL",
    "pds",
    "pH",
}
UNIT_WORDS = {"s", "h", "ms", "km", "m", "mg", "L", "µg", "px", "x", "vs"}
INTERNAL_CODES = [
    ("dotted action", re.compile(r"\b[a-z][a-z_]*\.[a-z][a-z_]*(?:\.[a-z_]+)*\b")),
    ("CamelCase class", re.compile(r"\b[A-Z][a-z]+(?:[A-Z][a-z0-9]+)+\b")),
    ("snake_case key", re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")),
    ("Python boolean", re.compile(r"\b(?:True|False|None)\b")),
    ("bare status", re.compile(r"\b(?:pass|fail|review)\b", re.IGNORECASE)),
]
ENGLISH_WORD = re.compile(r"[A-Za-zµ][A-Za-z\-]*")
# ASCII punctuation in Chinese prose: a colon or an opening parenthesis after a Chinese
# word, parentheses around one (Chinese text takes ：（）).
HAN = r"[\u3400-\u9fff]"
ASCII_PUNCTUATION = re.compile(rf"{HAN}[ \t]*[:(]|\([ \t]*{HAN}[^()\n]*\)|{HAN}[ \t]*\)")
CHINESE = re.compile(r"[\u3400-\u9fff\uff01-\uff5e\u3001-\u3011]+")
# Notations that are data whatever the language: e-mails, addresses, file names, hashes,
# credit codes, dates and times, versions, key prefixes.
DATA_PATTERNS = re.compile(
    r"[\w.+-]+@[\w.-]+"
    r"|https?://\S+"
    r"|\b[\w-]+\.(?:csv|tsv|png|pdf|parquet|py|sql|json|zip|txt|jpg|jpeg)\b"
    r"|\bsbx_[\w-]+"
    r"|\b[0-9a-f]{8,64}\b"
    r"|\b[0-9A-Z]{18}\b"
    r"|YYYY-MM-DD|\$\w+|Accept: text/csv|JSON Lines"
)


class _VisibleText(HTMLParser):
    """The page's visible text (and its links), without scripts, styles, code, pre,
    textareas, the elements marked as data (``data-value``, ``translate="no"``) and those
    in a language of their own (``lang``)."""

    HIDDEN = {"script", "style", "code", "pre", "textarea", "template", "svg", "kbd", "samp"}
    VOID = {"br", "img", "input", "meta", "link", "hr", "col", "source", "wbr", "area"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.links: list[str] = []
        self.hidden_stack: list[bool] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        hidden = bool(
            tag in self.HIDDEN
            or "data-value" in attrs
            or attrs.get("translate") == "no"
            or ("lang" in attrs and tag != "html")  # in its own language: the switch
            or (self.hidden_stack and self.hidden_stack[-1])
        )
        if not hidden:  # tooltips and names read aloud; placeholders are examples of input
            self.text += [attrs[name] for name in ("title", "alt", "aria-label") if attrs.get(name)]
        if tag not in self.VOID:
            self.hidden_stack.append(hidden)

    def handle_endtag(self, tag):
        if tag not in self.VOID and self.hidden_stack:
            self.hidden_stack.pop()

    def handle_data(self, data):
        if not (self.hidden_stack and self.hidden_stack[-1]):
            self.text.append(data)


def page_text(html: str) -> tuple[str, list[str]]:
    parser = _VisibleText()
    parser.feed(html)
    return "\n".join(parser.text), parser.links


def data_values(language: str) -> re.Pattern:
    """What people and data sources wrote, in their language: names, descriptions,
    comments, codes and the data's own values (longest first, so that a name containing
    another goes whole). The catalogs' field descriptions are Chinese metadata: data on
    English pages, checked on Chinese ones."""
    from assets.models import AssetApplication, DataAsset
    from demands.models import Demand, DemandEvent
    from operation.models import Catalog, CatalogField, DataResource, DataZone
    from scenarios.agreement import AGREEMENT_TEXT
    from scenarios.models import (
        ApiKey,
        ComputeVoucher,
        DataService,
        Job,
        JobOutput,
        ReleaseItem,
        ReleaseRequest,
        Scenario,
        ScenarioType,
        ServiceDefinition,
    )
    from tenants.models import AdmissionApplication, Organization

    columns = {
        get_user_model(): ["username", "email"],
        Organization: [
            "name",
            "name_en",
            "contact_person",
            "email",
            "address",
            "business_scope",
        ],
        DataZone: ["key", "name", "name_en"],
        DataResource: ["name"],
        Catalog: ["code", "name", "name_en", "summary", "keywords"],
        CatalogField: ["column", "name_zh"] + (["description"] if language == "en" else []),
        ScenarioType: ["name", "name_en", "purpose", "public_interest"],
        Scenario: ["name", "purpose", "responsible_person", "reason"],
        ServiceDefinition: ["name", "name_en", "description"],
        Job: ["name", "worker"],
        JobOutput: ["name", "path"],
        ApiKey: ["name", "prefix"],
        ComputeVoucher: ["reason"],
        DataService: ["price_unit", "price_basis"],
        ReleaseRequest: ["purpose", "price_unit", "price_basis"],
        ReleaseItem: ["context", "controls", "exception"],
        AdmissionApplication: ["business_scope", "security_measures", "reason"],
        DataAsset: ["certificate_number", "name", "description", "status_reason"],
        AssetApplication: ["name", "description", "reason"],
        Demand: [
            "title",
            "fields_wanted",
            "area",
            "period",
            "purpose",
            "legal_basis",
            "reason",
        ],
        DemandEvent: ["note"],
    }
    values: set[str] = set()
    for model, names in columns.items():
        present = [n for n in names if n in {f.name for f in model._meta.get_fields()}]
        for row in model.objects.values_list(*present) if present else []:
            values.update(v for v in row if isinstance(v, str))
    values.update(_nested_values())
    values.update(demand.number for demand in Demand.objects.all())
    values.update(line.strip() for line in AGREEMENT_TEXT.splitlines())  # signed as written
    values = {v for v in values if len(v) > 1}
    alternatives = "|".join(re.escape(v) for v in sorted(values, key=len, reverse=True))
    return re.compile(rf"(?<![\w.])(?:{alternatives})(?![\w])")


def _nested_values() -> set[str]:
    """Names inside the data: service codes and parameters, scope columns, comments."""
    from scenarios.models import (
        AmendmentReview,
        ReleaseReview,
        ServiceDefinition,
        ServiceReview,
        TypeReview,
    )

    values = set()
    for definition in ServiceDefinition.objects.all():
        values.add(definition.service.code)
        for item in definition.parameters or []:
            values.update(str(item.get(k) or "") for k in ("name", "label"))
            values.update(str(choice) for choice in item.get("choices") or [])
        values.update(str(c) for c in definition.columns or [] if isinstance(c, str))
        values.add(definition.unit)
    for model in (TypeReview, AmendmentReview, ServiceReview, ReleaseReview):
        for field in ("comment", "comment_public", "comment_private"):
            if field in {f.name for f in model._meta.get_fields()}:
                values.update(v for v in model.objects.values_list(field, flat=True) if v)
    return values


def findings(text: str, language: str, data: re.Pattern) -> list[str]:
    text = data.sub(" ", text)
    text = DATA_PATTERNS.sub(" ", text)
    problems = []
    if language == "en":
        problems += [f"Chinese {m!r}" for m in CHINESE.findall(text)]
        return problems
    for name, pattern in INTERNAL_CODES:
        problems += [f"{name} {m!r}" for m in pattern.findall(text)]
    problems += [f"ASCII punctuation {m!r}" for m in ASCII_PUNCTUATION.findall(text)]
    for word in ENGLISH_WORD.findall(text):
        word = word.strip("-")
        if len(word) > 1 and word not in ALLOWED_WORDS and word not in UNIT_WORDS:
            problems.append(f"English {word!r}")
    return problems


def test_ascii_punctuation_in_chinese_prose_is_found_and_times_and_codes_are_not():
    nothing = re.compile(r"(?!)")
    found = [
        findings(text, "zh", nothing)
        for text in ("应用场景: 赤潮预警", "（PDF, 460 字节)", "泛化 (精确到小时)")
    ]
    fine = findings("应用场景：赤潮预警 · 12:00 · SHA-256 (L3) ·（PDF，460 字节）", "zh", nothing)

    assert all(problems and problems[0].startswith("ASCII punctuation") for problems in found)
    assert fine == []


def _shape(url: str) -> str:
    """Pages of one kind (a catalog, a job) look alike: one of each is enough."""
    return re.sub(r"[A-Z]{2}-\d{4}|\d+", "N", url)


def crawl(
    client: Client, language: str, data: re.Pattern, shapes: set[str]
) -> dict[str, list[str]]:
    """GET every page reachable from the home page by the site's own links (bounded),
    and the problems each shows."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans" if language == "zh" else "en"
    queue, seen, report = ["/"], {"/"}, {}
    while queue and len(seen) <= MAX_PAGES_PER_ROLE:
        url = queue.pop(0)
        response = client.get(url)
        if response.status_code in (301, 302):
            target = urljoin(url, response["Location"])
            if urlsplit(target).path.startswith(SKIP_PREFIXES) or target in seen:
                continue
            seen.add(target)
            queue.append(target)
            continue
        if "text/html" not in response.get("Content-Type", ""):
            response.getvalue()  # a download read to its end: the client closes its file
            continue
        assert response.status_code < 500, url
        text, links = page_text(response.content.decode())
        problems = findings(text, language, data)
        if problems:
            report[url] = sorted(set(problems))
        for link in links:
            target = urldefrag(urljoin(url, link)).url
            parts = urlsplit(target)
            if parts.netloc and parts.netloc != "testserver":
                continue
            path = parts.path
            if path.startswith(SKIP_PREFIXES) or path.endswith(SKIP_SUFFIXES):
                continue
            local = path + (f"?{parts.query}" if parts.query else "")
            if _shape(local) not in shapes:
                shapes.add(_shape(local))
                seen.add(local)
                queue.append(local)
    return report


@pytest.fixture
def compact_demo(settings, monkeypatch):
    from demo.data import DATASETS
    from demo.management.commands import seed_demo

    settings.DEMO_PASSWORD = "demo-pass-test-1"
    monkeypatch.setattr(
        seed_demo, "DATASETS", tuple(d for d in DATASETS if d.code in COMPACT_DATASETS)
    )
    call_command("seed_demo", stdout=io.StringIO())


def test_every_page_speaks_one_language_for_every_role(compact_demo):
    report = {}
    for language in ("zh", "en"):
        data = data_values(language)
        shared = {"/"}
        for role, username in ROLES.items():
            client = Client()
            if username:
                client.force_login(get_user_model().objects.get(username=username))
            # Chinese: each role's own pages; English: each kind of page once, whoever
            # reaches it first (the Chinese in them is data, the same for everyone).
            shapes = {"/"} if language == "zh" else shared
            for url, problems in crawl(client, language, data, shapes).items():
                report[f"{role} {language} {url}"] = problems
    report = {key: problems for key, problems in report.items() if problems}
    assert report == {}
