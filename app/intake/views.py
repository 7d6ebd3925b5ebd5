"""Intake pages. Thin: the journey, referrals and recipients modules do the work."""

from __future__ import annotations

from flask import abort, current_app, redirect, render_template, session, url_for
from werkzeug.wrappers import Response

from app.extensions import csrf, limiter
from app.intake import bp, forms, journey, recipients, referrals
from crypto.errors import PhraseError
from crypto.keys import PrivateKey
from crypto.phrase import normalise_phrase

Page = str | Response


def _answers() -> journey.Answers:
    return dict(session.get("answers", {}))


def _cost() -> tuple[bytes, object]:
    return current_app.config["REFERENCE_PEPPER"], current_app.config["PHRASE_ARGON2"]


@bp.get("/")
def start() -> Page:
    return render_template("intake/start.html", open_services=recipients.open_services())


@bp.get("/safety")
def safety() -> Page:
    return render_template("intake/safety.html")


@bp.get("/privacy")
def privacy() -> Page:
    return render_template("intake/privacy.html")


@bp.get("/accessibility")
def accessibility() -> Page:
    return render_template("intake/accessibility.html")


@bp.route("/exit", methods=["GET", "POST"])
@csrf.exempt  # leaving must never be stopped by an expired token; it only ends a session
def exit_page() -> Response:
    """Exit this page: end the session, then leave for a neutral site."""
    session.clear()
    return redirect(current_app.config["NEUTRAL_EXIT_URL"], code=303)


@bp.route("/referral/<slug>", methods=["GET", "POST"])
def question(slug: str) -> Page:
    step = journey.BY_SLUG.get(slug)
    answers = _answers()
    if step is None or not step.applies(answers):
        abort(404)
    form = step.form(data=journey.form_data(step, answers))
    if form.validate_on_submit():
        if slug == "service" and form.service.data not in recipients.open_services():
            form.service.errors = [
                "We cannot take referrals for this service at the moment. "
                "Choose another option, or see below for other ways to get support"
            ]
        else:
            session["answers"] = journey.store(answers, step, form)
            following = journey.next_slug(session["answers"], slug)
            missing = journey.first_missing(session["answers"])
            if following and (missing or "changing" not in session):
                return redirect(url_for(".question", slug=following), code=303)
            return redirect(url_for(".check"), code=303)
    back = journey.previous_slug(answers, slug)
    slugs = [each.slug for each in journey.applicable(answers)]
    return render_template(
        f"intake/questions/{slug}.html",
        form=form,
        step=step,
        back_url=url_for(".question", slug=back) if back else url_for(".start"),
        # Tab titles stay neutral (G7): someone glancing at history sees only a number.
        page_title=f"Question {slugs.index(slug) + 1} of {len(slugs)}",
        open_services=recipients.open_services(),
    )


@bp.get("/referral/start")
def begin() -> Response:
    session.pop("changing", None)
    return redirect(url_for(".question", slug=journey.STEPS[0].slug), code=303)


@bp.get("/referral/change/<slug>")
def change(slug: str) -> Response:
    """A 'Change' link on check-your-answers: return there after the page."""
    session["changing"] = True
    return redirect(url_for(".question", slug=slug), code=303)


@bp.route("/referral/check", methods=["GET", "POST"])
@limiter.limit("20 per hour", methods=["POST"])
def check() -> Page:
    answers = _answers()
    missing = journey.first_missing(answers)
    if missing:
        return redirect(url_for(".question", slug=missing), code=303)
    form = forms.SubmitForm()
    problem = None
    if form.validate_on_submit():
        pepper, params = _cost()
        try:
            sent = referrals.submit(answers, pepper, params)
        except referrals.NoRecipient:
            problem = "no_recipient"
        except referrals.NotStored:
            problem = "not_stored"
        else:
            session.clear()
            session["sent_phrase"] = sent.phrase
            return redirect(url_for(".sent"), code=303)
    status = 503 if problem == "not_stored" else 200
    return render_template(
        "intake/check.html", form=form, rows=journey.summary(answers), problem=problem
    ), status


@bp.get("/referral/sent")
def sent() -> Page:
    phrase = session.pop("sent_phrase", None)
    return render_template("intake/sent.html", phrase=phrase.split(" ") if phrase else None)


@bp.route("/return", methods=["GET", "POST"])
@limiter.limit("10 per minute;60 per hour", methods=["POST"])
def return_with_phrase() -> Page:
    form = forms.ReturnForm()
    if form.validate_on_submit():
        try:
            phrase = normalise_phrase(form.phrase.data)
        except PhraseError as error:
            form.phrase.errors = [str(error)]
        else:
            found = referrals.find(phrase, *_cost())
            if found is None or found[0].status == "withdrawn":
                form.phrase.errors = [
                    "We could not find a referral with that reference phrase. Check each word"
                ]
            else:
                referral, key = found
                session.regenerate()  # type: ignore[attr-defined]
                session["referrer"] = {"referral": referral.id, "key": key.to_bytes().hex()}
                return redirect(url_for(".status"), code=303)
    return render_template("intake/return.html", form=form)


def _signed_in() -> tuple[referrals.Referral, PrivateKey]:
    referrer = session.get("referrer")
    if not referrer:
        abort(403)
    referral = referrals.db.session.get(referrals.Referral, referrer["referral"])
    if referral is None or referral.status == "withdrawn":
        session.clear()
        abort(403)
    return referral, PrivateKey.from_bytes(bytes.fromhex(referrer["key"]))


@bp.route("/status", methods=["GET", "POST"])
@limiter.limit("30 per hour", methods=["POST"])
def status() -> Page:
    referral, key = _signed_in()
    form = forms.MessageForm()
    problem = None
    if form.validate_on_submit():
        try:
            referrals.send_message(referral, form.body.data)
        except referrals.NoRecipient:
            problem = "closed"
        except referrals.NotStored:
            problem = "not_stored"
        else:
            session["message_sent"] = True
            return redirect(url_for(".status"), code=303)
    return render_template(
        "intake/status.html",
        referral=referral,
        status=referrals.status_words(referral),
        messages=referrals.messages(referral, key),
        form=form,
        problem=problem,
        just_sent=session.pop("message_sent", False),
    )


@bp.route("/status/delete", methods=["GET", "POST"])
def delete() -> Page:
    referral, _ = _signed_in()
    form = forms.ConfirmForm()
    if form.validate_on_submit():
        referrals.withdraw(referral)
        session.clear()
        return redirect(url_for(".deleted"), code=303)
    return render_template("intake/delete.html", form=form)


@bp.get("/deleted")
def deleted() -> Page:
    return render_template("intake/deleted.html")


@bp.get("/sign-out")
def sign_out() -> Response:
    session.clear()
    return redirect(url_for(".start"), code=303)
