import pytest

from tests.factories import admitted_developer, staff_user, submitted_developer

pytestmark = pytest.mark.django_db


def test_home_shows_live_figures_from_the_database(client):
    operator = staff_user("op")
    admitted_developer("海洋实验室", "lab", by=operator)
    admitted_developer("保险公司", "insurer", by=operator)
    submitted_developer("数据公司", "applicant")
    page = client.get("/").content.decode()
    assert 'id="fig-admitted-developers">2<' in page
    assert 'id="fig-published-catalogs">0<' in page


def test_home_speaks_chinese_by_default_and_english_on_request(client, settings):
    settings.LANGUAGE_CODE = "zh-hans"
    assert "公共数据授权运营" in client.get("/").content.decode()
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    page = client.get("/").content.decode()
    assert "Public Data Authorized Operation Sandbox" in page
    assert 'lang="en"' in page


def test_navigation_follows_the_role(client):
    operator = staff_user("op")
    client.force_login(operator)
    page = client.get("/").content.decode()
    assert "/admissions/" in page and "/audit/" in page
    _org, admin = submitted_developer("海洋实验室", "lab")
    client.force_login(admin)
    page = client.get("/").content.decode()
    assert "/admissions/" not in page and "/audit/" not in page and "/organization/" in page


def test_a_notification_leads_to_its_object_and_is_read_once_opened(client):
    _org, admin = submitted_developer("海洋实验室", "lab")
    notification = admin.notifications.get()
    client.force_login(admin)
    page = client.get("/notifications/").content.decode()
    menu = page[page.index('id="main-menu"') : page.index("</nav>")]
    assert 'href="/notifications/">' in menu and 'data-badge="1"' in menu
    assert f'href="/notifications/{notification.pk}/"' in page and 'data-read="no"' in page

    response = client.get(f"/notifications/{notification.pk}/")

    assert response.status_code == 302 and response["Location"] == "/organization/"
    page = client.get("/notifications/").content.decode()
    assert 'data-read="yes"' in page and 'data-badge="1"' not in page
    _other_org, other = submitted_developer("保险公司", "insurer")
    client.force_login(other)
    assert client.get(f"/notifications/{notification.pk}/").status_code == 404


def test_mark_all_read_clears_the_menu_count(client):
    _org, admin = submitted_developer("海洋实验室", "lab")
    client.force_login(admin)
    assert 'data-action="mark-all-read"' in client.get("/notifications/").content.decode()

    assert client.post("/notifications/read/").status_code == 302

    page = client.get("/notifications/").content.decode()
    assert 'data-read="no"' not in page and 'data-action="mark-all-read"' not in page
