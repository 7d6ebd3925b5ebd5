"""A person using the intake through Flask's test client, with real CSRF tokens."""

from __future__ import annotations

import re
from collections.abc import Mapping

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
CHALLENGE = re.compile(r'name="proof_challenge" value="([^"]+)"')

# A complete set of answers, one entry per question page: the required pages in journey order,
# then the optional pages offered from check-your-answers, in the order they are walked.
FULL_ANSWERS: dict[str, dict[str, object]] = {
    "service": {"service": "isva", "urgency": ["urgent", "safety"]},
    "contact": {"name": "Sam", "contact_method": "details"},
    "contact-details": {
        "phone": "07700 900982",
        "email": "safe@example.org",
        "safe_to_call": "yes",
        "safe_times": "Weekdays 10 to 2",
        "voicemail": "first_name",
        "safe_to_text": "no",
        "someone_else_answers": "Say wrong number",
    },
    "confidentiality": {"consent": "y"},
    "role": {"role_group": "staff"},
    "connection": {"police_connected": "yes"},
    "what-happened": {"account": "It started last year.", "recent": "recent", "reported": "no"},
    "access-needs": {"access_needs": "Large print"},
    "equality": {"age_group": "35-44", "sex": "female", "ethnicity": "white_irish"},
}

# The fewest answers that make a referral: the required pages only, with no contact details.
MINIMAL_ANSWERS: dict[str, dict[str, object]] = {
    "service": {"service": "idva"},
    "contact": {"name": "Alex", "contact_method": "phrase_only"},
    "confidentiality": {"consent": "y"},
}


class Referrer:
    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def token(self, url: str) -> str:
        page = self.client.get(url)
        match = CSRF.search(page.get_data(as_text=True))
        assert match, f"no CSRF token on {url} ({page.status_code})"
        return match.group(1)

    def hidden(self, url: str) -> dict[str, str]:
        """The form's hidden fields: its CSRF token and, where asked, its proof-of-work
        challenge (tests wait 0 seconds, so a challenge needs no proof)."""
        page = self.client.get(url).get_data(as_text=True)
        match = CSRF.search(page)
        assert match, f"no CSRF token on {url}"
        fields = {"csrf_token": match.group(1)}
        if challenge := CHALLENGE.search(page):
            fields["proof_challenge"] = challenge.group(1)
        return fields

    def post(self, url: str, data: Mapping[str, object]) -> TestResponse:
        return self.client.post(url, data={**data, **self.hidden(url)})

    def answer(self, slug: str, data: Mapping[str, object]) -> TestResponse:
        return self.post(f"/referral/{slug}", data)

    def fill_in(self, answers: Mapping[str, Mapping[str, object]] = FULL_ANSWERS) -> None:
        """Answer every page, following the journey's own redirects."""
        for slug, data in answers.items():
            response = self.answer(slug, data)
            assert response.status_code == 303, (slug, response.get_data(as_text=True)[:2000])

    def send(self) -> TestResponse:
        return self.post("/referral/check", {})

    def refer(self, answers: Mapping[str, Mapping[str, object]] = FULL_ANSWERS) -> str:
        """Make a whole referral and return the reference phrase shown."""
        self.fill_in(answers)
        response = self.send()
        assert response.status_code == 303, response.get_data(as_text=True)[:2000]
        page = self.client.get("/referral/sent").get_data(as_text=True)
        words = re.findall(r'class="app-phrase__word">([a-z]+)<', page)
        assert len(words) == 8, page[:2000]
        return " ".join(words)

    def sign_in(self, phrase: str) -> TestResponse:
        return self.post("/return", {"phrase": phrase})

    def send_message(self, body: str) -> TestResponse:
        return self.post("/status", {"body": body})
