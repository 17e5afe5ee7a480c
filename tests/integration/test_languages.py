"""Pages in Kazakh, Russian and English: chosen by the switcher (remembered in a cookie)
or by Accept-Language; <html lang> follows; dates and numbers are written the
language's way. Subscriptions carry the language of their e-mails."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from flask.testing import FlaskClient

from service.alerts.scan import OverdueScanner
from service.bootstrap import Services
from tests.alerting import Tracked, project_read_models
from tests.conftest import bearer
from tests.integration.test_api_imports import build_world
from tests.integration.test_dashboards_html import sign_in
from tests.report_files import csv_file, row

# A known string of each page kind, and the overdue milestone's due date, per language.
EXPECTED = {
    "kk": {"overview": "Бағдарламалар", "alerts": "Ашық ескертулер", "due": "2026\u202fж. 16 қар."},
    "ru": {
        "overview": "Программы",
        "alerts": "Открытые оповещения",
        "due": "16 нояб. 2026\u202fг.",
    },
    "en": {"overview": "Programmes", "alerts": "Open alerts", "due": "2026-11-16"},
}


@pytest.fixture
def pages(client: FlaskClient, tokens: dict[str, str], services: Services) -> list[str]:
    """Every page kind, with an alert 9 days overdue on it (the clock reads 2026-11-25)."""
    tracked = Tracked(services)
    late = tracked.milestone(services.clock.today() - timedelta(days=9), "Video surveillance")
    project_read_models(services)
    OverdueScanner(services).scan()
    [alert] = services.alerts.open_alerts()
    sign_in(client, tokens["overseer"])
    return [
        "/ui/",
        f"/ui/programmes/{tracked.programme_id}",
        f"/ui/initiatives/{tracked.initiative_id}",
        f"/ui/milestones/{late}",
        "/ui/agencies/",
        f"/ui/agencies/{alert['owner_agency']}",
        "/ui/alerts",
        f"/ui/alerts/{alert['alert_id']}",
        "/ui/reports/",
        "/ui/login",
        "/ui/no/such/page",
    ]


def html_lang(html: str) -> str:
    found = re.search(r'<html lang="([^"]+)">', html)
    assert found, html[:200]
    return found.group(1)


@pytest.mark.parametrize("language", ["kk", "ru", "en"])
def test_every_page_renders_in_the_chosen_language(
    client: FlaskClient, pages: list[str], language: str
) -> None:
    chosen = client.get(f"/ui/language/{language}?next=/ui/alerts")
    assert chosen.status_code == 303 and chosen.headers["Location"] == "/ui/alerts"
    for page in pages:
        response = client.get(page)
        assert response.status_code == (404 if "no/such" in page else 200), page
        html = response.get_data(as_text=True)
        assert html_lang(html) == language, page
        # The switcher, on every page: each language named in itself, with its lang.
        switcher = html[html.index('<nav class="languages"') :]
        for code, name in (("kk", "Қазақша"), ("ru", "Русский"), ("en", "English")):
            assert f'lang="{code}" hreflang="{code}"' in switcher and name in switcher
        assert f'hreflang="{language}" aria-current="true"' in switcher
    overview = client.get("/ui/").get_data(as_text=True)
    assert f"<h1>{EXPECTED[language]['overview']}</h1>" in overview
    alerts = client.get("/ui/alerts").get_data(as_text=True)
    assert f"<h1>{EXPECTED[language]['alerts']}</h1>" in alerts
    assert EXPECTED[language]["due"] in alerts


def test_english_pages_carry_no_kazakh_or_russian(client: FlaskClient, pages: list[str]) -> None:
    client.get("/ui/language/en?next=/ui/")
    for page in pages:
        html = client.get(page).get_data(as_text=True)
        # Cyrillic appears only in the switcher's own names of the languages.
        outside = html.replace("Қазақша", "").replace("Русский", "")
        assert not re.search("[А-Яа-яЁёӘәҒғҚқҢңӨөҰұҮүҺһІі]", outside), page


def test_accept_language_chooses_until_the_switcher_is_used(
    client: FlaskClient, tokens: dict[str, str]
) -> None:
    sign_in(client, tokens["viewer"])
    russian = {"Accept-Language": "ru-RU,ru;q=0.9,en;q=0.5"}
    assert html_lang(client.get("/ui/", headers=russian).get_data(as_text=True)) == "ru"
    kazakh = {"Accept-Language": "kk-KZ, ru;q=0.8"}
    assert html_lang(client.get("/ui/", headers=kazakh).get_data(as_text=True)) == "kk"
    other = {"Accept-Language": "de-DE, fr;q=0.8"}
    assert html_lang(client.get("/ui/", headers=other).get_data(as_text=True)) == "en"

    chosen = client.get("/ui/language/kk?next=/ui/agencies/")
    cookie = chosen.headers["Set-Cookie"]
    assert cookie.startswith("rt_language=kk;") and "Path=/ui" in cookie
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    # Remembered: the cookie wins over the browser's languages from now on.
    html = client.get("/ui/", headers=russian).get_data(as_text=True)
    assert html_lang(html) == "kk" and "<h1>Бағдарламалар</h1>" in html


def test_language_switch_refuses_unknown_languages_and_other_sites(
    client: FlaskClient, tokens: dict[str, str]
) -> None:
    sign_in(client, tokens["viewer"])
    unknown = client.get("/ui/language/de?next=/ui/")
    assert unknown.status_code == 404 and "Set-Cookie" not in unknown.headers
    assert "There is no page in this language." in unknown.get_data(as_text=True)
    for elsewhere in ("https://evil.example/ui/", "//evil.example/ui/", "/api/x", "/\\evil"):
        answer = client.get("/ui/language/ru", query_string={"next": elsewhere})
        assert answer.status_code == 303 and answer.headers["Location"] == "/ui/", elsewhere
    kept = client.get("/ui/language/ru", query_string={"next": "/ui/alerts?sort=newest"})
    assert kept.headers["Location"] == "/ui/alerts?sort=newest"


def test_numbers_and_percentages_follow_the_language(
    client: FlaskClient, pages: list[str], services: Services
) -> None:
    milestone = next(p for p in pages if p.startswith("/ui/milestones/"))
    tracked, milestone_id = Tracked(services), milestone.rsplit("/", 1)[1]
    tracked.command(milestone_id, "start")
    tracked.command(milestone_id, "report-progress", percent=42)
    project_read_models(services)
    client.get(f"/ui/language/ru?next={milestone}")
    assert "42\xa0%" in client.get(milestone).get_data(as_text=True)  # Russian: a space
    client.get(f"/ui/language/en?next={milestone}")
    assert ">42%<" in client.get(milestone).get_data(as_text=True)


def test_subscription_language_is_validated_defaulted_and_shown(
    client: FlaskClient, tokens: dict[str, str]
) -> None:
    admin = bearer(tokens["admin"])
    email = {"channel": "email", "address": "desk@example.org"}
    refused = client.post("/subscriptions", headers=admin, json={**email, "language": "de"})
    assert refused.status_code == 422
    assert refused.mimetype == "application/problem+json"
    assert "language" in refused.get_data(as_text=True)
    assert client.get("/subscriptions", headers=admin).get_json() == []
    default = client.post("/subscriptions", headers=admin, json=email).get_json()
    assert default["language"] == "en"
    russian = client.post("/subscriptions", headers=admin, json={**email, "language": "ru"})
    assert russian.status_code == 201 and russian.get_json()["language"] == "ru"
    found = client.get("/subscriptions", headers=admin).get_json()
    listed = {s["id"]: s["language"] for s in found}
    assert listed == {default["id"]: "en", russian.get_json()["id"]: "ru"}


def test_dashboard_sentences_follow_the_language(client: FlaskClient, pages: list[str]) -> None:
    """RAG reasons and chart descriptions are written by the dashboards in English and
    said on the page in the reader's language."""
    initiative = next(p for p in pages if p.startswith("/ui/initiatives/"))
    client.get("/ui/language/ru?next=/ui/")
    russian = client.get(initiative).get_data(as_text=True)
    assert "<li>просрочено на 9 дн.</li>" in russian and "<li>9 days overdue</li>" not in russian
    assert "1 веха с " in russian
    client.get("/ui/language/kk?next=/ui/")
    assert "<li>9 күн кешікті</li>" in client.get(initiative).get_data(as_text=True)
    client.get("/ui/language/en?next=/ui/")
    english = client.get(initiative).get_data(as_text=True)
    assert "<li>9 days overdue</li>" in english and "1 milestone from " in english


def test_the_sign_in_form_is_translated_before_signing_in(client: FlaskClient) -> None:
    assert client.get("/ui/language/ru?next=/ui/login").status_code == 303
    html = client.get("/ui/login").get_data(as_text=True)
    assert html_lang(html) == "ru" and "<h1>Войти</h1>" in html


def test_refusals_on_pages_follow_the_language_and_the_api_stays_english(
    client: FlaskClient, pages: list[str], tokens: dict[str, str]
) -> None:
    """A page names an unknown record and a refused acknowledgement in its reader's
    language, from the error's code and values; the API keeps the English message."""
    missing = "00000000-0000-4000-8000-000000000000"
    client.get("/ui/language/ru?next=/ui/")
    for path, said in (
        (f"/ui/programmes/{missing}", f"Программы {missing} нет."),
        (f"/ui/initiatives/{missing}", f"Инициативы {missing} нет."),
        ("/ui/agencies/Nobody", "У ведомства Nobody нет вех."),
    ):
        response = client.get(path)
        html = response.get_data(as_text=True)
        assert response.status_code == 404 and said in html and "does not exist" not in html
    client.get("/ui/language/kk?next=/ui/")
    kazakh = client.get(f"/ui/programmes/{missing}").get_data(as_text=True)
    assert f"{missing} бағдарламасы жоқ." in kazakh
    api = client.get(f"/programmes/{missing}/dashboard", headers=bearer(tokens["viewer"]))
    assert (
        api.status_code == 404 and api.get_json()["detail"] == f"programme {missing} does not exist"
    )

    alert = next(p for p in pages if re.fullmatch(r"/ui/alerts/[0-9a-f-]{36}", p))
    post = f"{alert}/acknowledge"

    def acknowledge(note: str) -> tuple[int, str]:
        csrf = re.search(r'name="csrf_token" value="([0-9a-f]{64})"', client.get(alert).text)
        assert csrf, "no acknowledgement form"
        answer = client.post(post, data={"csrf_token": csrf.group(1), "note": note})
        return answer.status_code, answer.text

    client.get("/ui/language/ru?next=/ui/")
    status, html = acknowledge(" ")
    assert status == 422 and "напишите примечание" in html and "note is required" not in html
    status, html = acknowledge("x" * 2001)
    assert status == 422 and "Примечание длиннее 2\xa0000 символов." in html
    sign_in(client, tokens["viewer"])
    status, html = acknowledge("смотрю")
    assert status == 403 and "не позволяет это сделать" in html and "may not" not in html
    sign_in(client, tokens["overseer"])
    csrf = re.search(r'name="csrf_token" value="([0-9a-f]{64})"', client.get(alert).text)
    assert csrf
    assert (
        client.post(post, data={"csrf_token": csrf.group(1), "note": "в работе"}).status_code == 303
    )
    again = client.post(post, data={"csrf_token": csrf.group(1), "note": "ещё раз"})
    assert again.status_code == 409
    assert "нельзя подтвердить: его состояние — подтверждено" in again.text
    assert "cannot acknowledge" not in again.text


def test_timeline_months_follow_the_language(client: FlaskClient, pages: list[str]) -> None:
    """The initiative's timeline labels its months the language's way; English keeps ISO."""
    initiative = next(p for p in pages if p.startswith("/ui/initiatives/"))
    client.get("/ui/language/ru?next=/ui/")
    russian = client.get(initiative).text
    assert '"middle">окт. 2026' in russian and '"middle">2026-10</text>' not in russian
    client.get("/ui/language/kk?next=/ui/")
    kazakh = client.get(initiative).text
    assert '"middle">2026\u202fж. қаз.</text>' in kazakh
    client.get("/ui/language/en?next=/ui/")
    assert '"middle">2026-10</text>' in client.get(initiative).text


def test_refused_report_rows_follow_the_language(
    client: FlaskClient, services: Services, tokens: dict[str, str]
) -> None:
    """The problems of a refused report's rows are said in the page's language where
    their kind is known; the API's check answers in English."""
    world = build_world(services, tokens)
    sign_in(client, world.tokens["reporter_a"])
    report = csv_file(
        [
            row(world.cameras, "start", percent=10),
            row(world.cameras, "progress"),
            row(world.cameras, "launch"),
        ]
    )

    def refused(language: str) -> str:
        client.get(f"/ui/language/{language}?next=/ui/reports/")
        page = client.get("/ui/reports/").text
        csrf = re.search(r'name="csrf_token" value="([0-9a-f]{64})"', page)
        assert csrf
        form = {"file": (io.BytesIO(report), "report.csv"), "csrf_token": csrf.group(1)}
        answer = client.post("/ui/reports/check", data=form, content_type="multipart/form-data")
        assert answer.status_code == 422
        return answer.text

    russian = refused("ru")
    for said in (
        "столбец percent не относится к команде start",
        "для команды progress нужен столбец percent",
        "неизвестная команда launch; используйте:",
    ):
        assert said in russian
    assert "does not apply" not in russian and "unknown command" not in russian
    assert "percent бағаны start командасына қолданылмайды" in refused("kk")
    assert "percent does not apply to start" in refused("en")
    # The API's answer to the same report, asked by a Russian reader, stays English.
    api = client.post(
        "/imports?dry_run=true",
        data=report,
        content_type="text/csv",
        headers={**bearer(world.tokens["reporter_a"]), "Accept-Language": "ru"},
    )
    problems = [error["problem"] for error in api.get_json()["errors"]]
    assert "percent does not apply to start" in problems, problems
