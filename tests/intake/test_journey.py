import re

from app.extensions import intake_db
from app.models.intake import Referral
from app.questionnaire.forms import ConfidentialityForm
from crypto.envelope import open_record
from tests.provider_signing import register_signed
from tests.referrer import FULL_ANSWERS, MINIMAL_ANSWERS


def test_a_whole_referral_is_sealed_to_the_provider_and_opens_with_its_key(
    app, referrer, provider_key
):
    referrer.refer()
    with app.app_context():
        referral = intake_db.session.scalars(intake_db.select(Referral)).one()
        fields = open_record("referral", referral.id, referral.sealed, provider_key)
    assert fields["name"] == "Sam"
    assert fields["urgency"] == "urgent,safety"
    assert fields["ethnicity"] == "white_irish"
    assert referral.service == "isva"
    assert referral.status == "received"


def test_the_reference_phrase_is_shown_only_once(referrer):
    referrer.refer()
    page = referrer.client.get("/referral/sent").get_data(as_text=True)
    assert "already been shown" in page
    assert "app-phrase__word" not in page


def test_the_phrase_brings_the_referrer_back_to_their_status_and_messages(referrer):
    phrase = referrer.refer()
    assert referrer.sign_in(phrase.upper().replace(" ", "-")).headers["Location"] == "/status"
    assert referrer.send_message("Thank you, mornings are best").status_code == 303
    page = referrer.client.get("/status").get_data(as_text=True)
    assert "Thank you, mornings are best" in page
    assert "Received" in page


def test_a_wrong_phrase_is_told_plainly(referrer):
    referrer.refer()
    page = referrer.sign_in("abandon " * 8).get_data(as_text=True)
    assert "We could not find a referral with that reference phrase" in page


def test_the_check_page_sends_people_back_to_a_required_question_they_skipped(referrer):
    referrer.answer("service", {"service": "idva"})
    response = referrer.client.get("/referral/check")
    assert response.headers["Location"] == "/referral/contact"


def test_a_message_goes_to_the_provider_that_has_the_referral_even_after_rerouting(
    app, referrer, provider_key
):
    from app.intake import recipients
    from app.models.intake import Message
    from crypto.keys import PrivateKey

    phrase = referrer.refer()
    other = PrivateKey.generate()
    with app.app_context():
        register_signed("Another service", other.public_key)
        recipients.assign("isva", "Another service")
    referrer.sign_in(phrase)
    assert referrer.send_message("Still there?").status_code == 303
    with app.app_context():
        message = intake_db.session.scalars(intake_db.select(Message)).one()
        opened = open_record("message", message.id, message.sealed_for_provider, provider_key)
    assert opened["body"] == "Still there?"


# Issue 10: the phrase page per route, the short way through, and the intake findings.


def main_words(referrer, answers) -> str:
    """The words of the phrase page shown after sending these answers."""
    referrer.fill_in(answers)
    assert referrer.send().status_code == 303
    html = referrer.client.get("/referral/sent").get_data(as_text=True)
    main = html[html.index("<main") : html.index("</main>")]
    return " ".join(re.sub(r"<[^>]+>", " ", main).split())


def test_someone_without_contact_details_is_told_to_come_back_and_when(referrer):
    page = main_words(referrer, MINIMAL_ANSWERS)
    assert "Nobody will call or email you" in page
    assert "Come back after 1 working day" in page
    assert "reply to you here, on this website" in page
    assert "try to call or email you" not in page


def test_someone_with_contact_details_is_told_an_advisor_will_contact_them(referrer):
    page = main_words(referrer, FULL_ANSWERS)
    assert "An advisor will try to call or email you within 2 working days" in page
    assert "You do not need to come back" in page
    assert "Nobody will call or email you" not in page


def test_the_phrase_page_says_how_to_keep_the_phrase_and_offers_no_download(referrer):
    referrer.fill_in(MINIMAL_ANSWERS)
    referrer.send()
    html = referrer.client.get("/referral/sent").get_data(as_text=True)
    assert "Keep your phrase safe" in html
    assert "Write it on paper" in html and "password manager" in html
    assert not re.search(r"\bdownload\b|href=\"(data|blob):", html, re.I)


def test_the_999_warning_is_shown_once_on_the_first_question(referrer):
    html = referrer.client.get("/referral/service").get_data(as_text=True)
    assert html.count("In danger now?") == 1
    assert "govuk-warning-text" not in html
    assert 'name="urgency"' in html  # urgency is asked here, with the service


def test_check_your_answers_offers_the_optional_questions_and_keeps_answers_given(
    app, referrer, provider_key
):
    referrer.fill_in(MINIMAL_ANSWERS)
    page = referrer.client.get("/referral/check").get_data(as_text=True)
    assert "Answer the optional questions" in page and "Send my referral" in page
    optional = page[page.index("Optional questions") :]
    assert optional.count("Not answered") == 5  # one row per optional page, not per question
    assert "When did it happen?" not in page  # never asked of an IDVA referral

    walk = referrer.client.get("/referral/optional")
    assert walk.headers["Location"] == "/referral/role"
    assert referrer.answer("role", {"role_group": "officer"}).headers["Location"] == (
        "/referral/connection"
    )
    referrer.answer("connection", {})
    referrer.answer("what-happened", {"account": "Kept answer"})
    referrer.answer("access-needs", {})
    assert referrer.answer("equality", {"sex": "male"}).headers["Location"] == "/referral/check"
    page = referrer.client.get("/referral/check").get_data(as_text=True)
    assert "Kept answer" in page and "Police officer" in page and "Male" in page
    optional = page[page.index("Optional questions") :]
    assert optional.count("Not answered") == 2  # connection and access needs

    assert referrer.send().status_code == 303
    with app.app_context():
        referral = intake_db.session.scalars(intake_db.select(Referral)).one()
        fields = open_record("referral", referral.id, referral.sealed, provider_key)
    assert (fields["role_group"], fields["account"], fields["sex"]) == (
        "officer",
        "Kept answer",
        "male",
    )
    assert fields["recent"] == "" and fields["police_connected"] == ""


def test_the_provider_name_is_never_said_twice_when_it_is_not_set(referrer):
    referrer.fill_in(MINIMAL_ANSWERS)
    for path in ("/", "/privacy", "/referral/confidentiality", "/accessibility"):
        words = " ".join(
            re.sub(r"<[^>]+>", " ", referrer.client.get(path).get_data(as_text=True)).split()
        )
        assert not re.search(r"advisor service, (the|an) independent advisor service", words)
        assert words.count("independent advisor service") <= 2, path


def test_the_consent_box_says_what_the_summary_and_console_say(referrer):
    referrer.fill_in({k: v for k, v in MINIMAL_ANSWERS.items() if k != "confidentiality"})
    html = referrer.client.get("/referral/confidentiality").get_data(as_text=True)
    words = ConfidentialityForm.consent.args[0]
    assert "when confidentiality may be broken" in words
    assert words in html and "when it may be shared" not in html


def test_the_return_page_shows_the_phrase_in_a_box_of_several_lines(client):
    html = client.get("/return").get_data(as_text=True)
    box = re.search(r"<textarea[^>]*name=\"phrase\"[^>]*>", html)
    assert box and int(re.search(r'rows="(\d+)"', box.group(0)).group(1)) >= 3
