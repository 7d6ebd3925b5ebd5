"""Intake pages. Thin: the journey, referrals and recipients modules do the work."""

from __future__ import annotations

import logging

from flask import (
    Blueprint,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from werkzeug.wrappers import Response

from app.extensions import csrf
from app.intake import first_visit, recipients, referrals
from app.questionnaire import forms, journey
from app.web import expensive, fair_use, proof_of_work, signed
from crypto.errors import PhraseError
from crypto.keyfile import Argon2Params
from crypto.phrase import normalise_phrase

Page = str | Response | tuple[str, int]  # a body, a redirect, or a body with its status

bp = Blueprint("intake", __name__)
log = logging.getLogger(__name__)


def _answers() -> journey.Answers:
    return dict(session.get("answers", {}))


def _cost() -> tuple[bytes, Argon2Params]:
    return current_app.config["REFERENCE_PEPPER"], current_app.config["PHRASE_ARGON2"]


@bp.get("/")
def start() -> Page:
    opened = recipients.open_services()
    return first_visit.page(
        ("start", frozenset(opened)),
        lambda: render_template("intake/start.html", open_services=opened),
    )


@bp.get("/safety")
def safety() -> Page:
    return first_visit.page("safety", lambda: render_template("intake/safety.html"))


@bp.get("/privacy")
def privacy() -> Page:
    return first_visit.page("privacy", lambda: render_template("intake/privacy.html"))


@bp.get("/accessibility")
def accessibility() -> Page:
    return first_visit.page(
        "accessibility", lambda: render_template("intake/accessibility.html")
    )


@bp.route("/exit", methods=["GET", "POST"])
@csrf.exempt  # leaving must never be stopped by an expired token; it only ends a session
def exit_page() -> Response:
    """Exit this page: end the session, then leave for a neutral site."""
    session.clear()
    return redirect(current_app.config["NEUTRAL_EXIT_URL"], code=303)


def _paid_for(purpose: str) -> proof_of_work.Verdict:
    """Has this request paid for the expensive step (app/web/proof_of_work.py)?"""
    return proof_of_work.check(
        purpose,
        request.form.get(proof_of_work.FIELD),
        request.form.get(proof_of_work.PROOF_FIELD),
    )


def _wait_page(verdict: proof_of_work.Verdict, keep: dict[str, str]) -> Page:
    """Without JavaScript, a fast request waits out its challenge: a plain page, a button."""
    return render_template(
        "intake/wait.html",
        challenge=verdict.challenge,
        seconds=max(verdict.wait_seconds, 1),
        keep=keep,
    )


@bp.route("/referral/<slug>", methods=["GET", "POST"])
@fair_use.limit("LIMIT_FORM_PAGES")
def question(slug: str) -> Page:
    step = journey.BY_SLUG.get(slug)
    answers = _answers()
    if step is None or not step.applies(answers):
        abort(404)
    # A newcomer's page is kept rendered (first_visit), so its form is built only when needed.
    newcomer = request.method == "GET" and not answers
    # Saved answers fill the page shown; a page sent back is read only from what was sent.
    form = None if newcomer else step.form(
        data=journey.form_data(step, answers) if request.method == "GET" else None
    )
    if form is not None and form.validate_on_submit():
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
    opened = recipients.open_services()

    def render() -> str:
        back = journey.previous_slug(answers, slug)
        if back:
            back_url = url_for(".question", slug=back)
        else:  # the optional pages are reached from check-your-answers
            back_url = url_for(".check") if step.optional else url_for(".start")
        return render_template(
            f"intake/questions/{slug}.html",
            form=form or step.form(data=journey.form_data(step, answers)),
            step=step,
            back_url=back_url,
            # Tab titles stay neutral (G7): someone glancing at history sees only a number.
            page_title=journey.page_title(answers, step),
            open_services=opened,
        )

    if newcomer:
        return first_visit.page(
            ("question", slug, frozenset(opened)), render, csrf=signed.csrf_token()
        )
    return render()


@bp.get("/referral/start")
def begin() -> Response:
    session.pop("changing", None)
    return redirect(url_for(".question", slug=journey.STEPS[0].slug), code=303)


@bp.get("/referral/optional")
def optional_questions() -> Response:
    """'Answer the optional questions' on check-your-answers: walk through them all."""
    session.pop("changing", None)
    return redirect(url_for(".question", slug=journey.OPTIONAL_STEPS[0].slug), code=303)


@bp.get("/referral/change/<slug>")
def change(slug: str) -> Response:
    """A 'Change' link on check-your-answers: return there after the page."""
    session["changing"] = True
    return redirect(url_for(".question", slug=slug), code=303)


@bp.route("/referral/check", methods=["GET", "POST"])
@fair_use.limit("LIMIT_SUBMIT")
def check() -> Page:
    answers = _answers()
    missing = journey.first_missing(answers)
    if missing:
        return redirect(url_for(".question", slug=missing), code=303)
    form = forms.SubmitForm()
    problem = None
    if form.validate_on_submit():
        verdict = _paid_for("submit")
        if not verdict.accepted:
            return _wait_page(verdict, {})
        pepper, params = _cost()
        try:
            with expensive.slot():
                sent = referrals.submit(answers, pepper, params)
        except referrals.NoRecipient:
            problem = "no_recipient"
        except referrals.NotStored:
            problem = "not_stored"
        except recipients.KeysNotVouched as refusal:
            # Content-free: why, never what was typed (G1). Nothing was sealed or stored.
            log.error("referral not sealed: %s", refusal)
            problem = "keys_unverified"
        else:
            quota_id = session.get(fair_use.SESSION_ID)
            session.clear()
            session[fair_use.SESSION_ID] = quota_id  # the session's quota outlives its answers
            session["sent_phrase"] = sent.phrase
            # The phrase page says what happens next in the words of the route chosen.
            session["sent_route"] = answers.get("contact_method", "")
            return redirect(url_for(".sent"), code=303)
    status = 503 if problem in ("not_stored", "keys_unverified") else 200
    return render_template(
        "intake/check.html",
        form=form,
        rows=journey.summary(answers),
        problem=problem,
        challenge=proof_of_work.issue("submit"),
    ), status


@bp.get("/referral/sent")
def sent() -> Page:
    phrase = session.pop("sent_phrase", None)
    route = session.pop("sent_route", None)
    return render_template(
        "intake/sent.html",
        phrase=phrase.split(" ") if phrase else None,
        phrase_only=route == "phrase_only",
    )


@bp.route("/return", methods=["GET", "POST"])
@fair_use.limit("LIMIT_PHRASE_LOOKUP")
def return_with_phrase() -> Page:
    # A GET's page is the same for everyone and kept rendered, so its form is built only when
    # it is rendered (first_visit).
    form = forms.ReturnForm() if request.method == "POST" else None
    if form is not None and form.validate_on_submit():
        try:
            phrase = normalise_phrase(form.phrase.data)
        except PhraseError as error:
            form.phrase.errors = [str(error)]
        else:
            verdict = _paid_for("lookup")
            if not verdict.accepted:
                return _wait_page(verdict, {"phrase": form.phrase.data})
            with expensive.slot():
                found = referrals.find(phrase, *_cost())
            if found is None or found[0].status == "withdrawn":
                form.phrase.errors = [
                    "We could not find a referral with that reference phrase. Check each word"
                ]
            else:
                referral, referrer = found
                # `session` is typed as Flask's SessionMixin; ours is a SplitSession.
                session.regenerate()  # type: ignore[attr-defined]
                session["referrer"] = {"referral": referral.id, **referrer.to_session()}
                return redirect(url_for(".status"), code=303)
    challenge = proof_of_work.issue("lookup")

    def render() -> str:
        return render_template(
            "intake/return.html", form=form or forms.ReturnForm(), challenge=challenge
        )

    if request.method == "GET":  # an empty form: the same page for everyone
        return first_visit.page(
            "return", render, csrf=signed.csrf_token(), challenge=challenge.token
        )
    return render()


def _signed_in() -> tuple[referrals.Referral, referrals.Referrer]:
    stored = session.get("referrer")
    if not stored or "auth" not in stored:  # a session from before proofs: sign in again
        abort(403)
    referral = referrals.db.session.get(referrals.Referral, stored["referral"])
    if referral is None or referral.status == "withdrawn":
        session.clear()
        abort(403)
    return referral, referrals.Referrer.from_session(stored)


@bp.route("/status", methods=["GET", "POST"])
@fair_use.limit("LIMIT_MESSAGES")
def status() -> Page:
    referral, referrer = _signed_in()
    form = forms.MessageForm()
    problem = None
    if form.validate_on_submit():
        try:
            referrals.send_message(referral, referrer, form.body.data)
        except referrals.NoRecipient:
            problem = "closed"
        except referrals.NotStored:
            problem = "not_stored"
        except recipients.KeysNotVouched as refusal:
            log.error("message not sealed: %s", refusal)
            problem = "keys_unverified"
        else:
            session["message_sent"] = True
            return redirect(url_for(".status"), code=303)
    return render_template(
        "intake/status.html",
        referral=referral,
        status=referrals.status_words(referral),
        messages=referrals.messages(referral, referrer),
        form=form,
        problem=problem,
        just_sent=session.pop("message_sent", False),
    ), 503 if problem in ("not_stored", "keys_unverified") else 200


@bp.route("/status/delete", methods=["GET", "POST"])
def delete() -> Page:
    referral, referrer = _signed_in()
    form = forms.ConfirmForm()
    if form.validate_on_submit():
        referrals.withdraw(referral, referrer)
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
