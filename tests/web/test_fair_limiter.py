"""The limiter lets a GET through at once only where no limit could count it, and every
other request is weighed in full (app/web/fair_limiter.py)."""

from __future__ import annotations

from app.extensions import limiter
from app.web.fair_limiter import NOTHING_COUNTS
from tests.intake.test_rate_limits import WRONG_PHRASE, limited_app, person_at

__all__ = ["limited_app"]  # the fixture, shared with the rate limit tests


def test_a_get_of_a_page_limited_only_for_posts_skips_the_limiter(limited_app):
    client = limited_app.test_client()
    for path in ("/", "/privacy", "/referral/service", "/return"):
        assert client.get(path).status_code == 200
    skipped = limited_app.extensions[NOTHING_COUNTS]
    assert skipped[("intake.return_with_phrase", "GET")] is True
    assert skipped[("intake.question", "GET")] is True
    assert not any(method == "POST" for _, method in skipped)


def test_posts_are_still_counted_after_the_gets(limited_app):
    person = person_at(limited_app)
    for _ in range(30):
        person.client.get("/return")
    answers = [person.sign_in(WRONG_PHRASE).status_code for _ in range(11)]
    assert answers[:10] == [200] * 10 and answers[10] == 429


def test_a_get_under_a_limit_for_every_method_is_still_counted(limited_app):
    def counted() -> str:
        return "counted"

    limited_app.add_url_rule(
        "/test-only/counted", "test_counted", limiter.limit("2 per minute")(counted)
    )
    client = limited_app.test_client()
    assert [client.get("/test-only/counted").status_code for _ in range(3)] == [200, 200, 429]
    assert limited_app.extensions[NOTHING_COUNTS][("test_counted", "GET")] is False
