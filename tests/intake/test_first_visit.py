"""A newcomer's page is rendered once per worker, yet each request gets its own one-use values,
and nobody's answers are ever kept (app/intake/first_visit.py)."""

import re

from app.intake.first_visit import EXTENSION

CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
CHALLENGE = re.compile(r'name="proof_challenge" value="([^"]+)"')


def test_two_newcomers_get_their_own_csrf_token_and_each_token_works(app, provider_key):
    app.config["WTF_CSRF_ENABLED"] = True
    first, second = app.test_client(), app.test_client()
    pages = [c.get("/referral/service").get_data(as_text=True) for c in (first, second)]
    tokens = [CSRF.search(page).group(1) for page in pages]
    assert tokens[0] != tokens[1]
    assert "\x00" not in pages[0] + pages[1]
    assert pages[0].replace(tokens[0], "") == pages[1].replace(tokens[1], "")
    answered = first.post("/referral/service", data={"csrf_token": tokens[0], "service": "idva"})
    assert answered.status_code == 303
    swapped = second.post("/referral/service", data={"csrf_token": tokens[0], "service": "idva"})
    assert swapped.status_code == 400


def test_each_visit_to_return_gets_a_fresh_challenge(app, client):
    challenges = {CHALLENGE.search(client.get("/return").get_data(as_text=True)).group(1)
                  for _ in range(3)}
    assert len(challenges) == 3


def test_a_page_with_answers_is_never_kept(app, referrer):
    referrer.answer("service", {"service": "idva"})
    page = referrer.client.get("/referral/service").get_data(as_text=True)
    assert 'value="idva" checked' in page
    kept = "".join(app.extensions.get(EXTENSION, {}).values())
    assert " checked" not in kept


def test_a_service_that_closes_is_no_longer_offered_on_the_kept_start_page(app, client,
                                                                            provider_key):
    from app.extensions import intake_db
    from app.models.intake import ServiceRoute

    assert "cannot take" not in client.get("/").get_data(as_text=True)
    with app.app_context():
        intake_db.session.query(ServiceRoute).delete()
        intake_db.session.commit()
    assert client.get("/").get_data(as_text=True) != ""
    assert app.extensions[EXTENSION].keys() >= {(("start", frozenset()), ()),
                                                (("start", frozenset({"idva", "isva",
                                                                      "not_sure"})), ())}
