from app.extensions import intake_db
from app.models.intake import Referral
from crypto.envelope import open_record


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
        recipients.register("Another service", other.public_key)
        recipients.assign("isva", "Another service")
    referrer.sign_in(phrase)
    assert referrer.send_message("Still there?").status_code == 303
    with app.app_context():
        message = intake_db.session.scalars(intake_db.select(Message)).one()
        opened = open_record("message", message.id, message.sealed_for_provider, provider_key)
    assert opened["body"] == "Still there?"
