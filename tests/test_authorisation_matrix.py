"""Who may use what: every route of both apps x every kind of caller, against one table.

TABLE below is the whole authorisation policy of both deployments in one place. Each row is a
(surface, method, URL rule) from the apps' own URL maps and says which callers get through;
everyone else must be refused (401, 403, or sent to sign in) or find nothing (404). The test
asks every route as every caller of tests/callers.py, with real ids of recipient A's
referral, message, case and key, so a refusal means "not for you", never "no such row".

A route added to either app without a row here fails `test_every_route_has_a_row`, and the
message names the row to add. CSRF checking is off for the walk so that the access guards,
not the CSRF check, answer every POST (CSRF is proved separately, on every form).
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import date

from werkzeug.routing import Rule

from tests.callers import CALLERS, World, verdict, world_fixture

world = world_fixture()

CONSOLE_STAFF = ("manager", "advisor", "advisor_without_grant")
GRANTED = ("manager", "advisor")  # hold the provider's key, so can open cases
EVERYONE = CALLERS
NOBODY: tuple[str, ...] = ()
TOKENS = ("token_a", "token_b")

# (surface, method, rule) -> the callers who get through. Everyone else is refused or
# finds nothing. Rows with ids use recipient A's objects, so only A's token reaches them.
TABLE: dict[tuple[str, str, str], tuple[str, ...]] = {
    # --- intake: anonymous pages, open to anyone (holding a session or a token changes nothing)
    ("intake", "GET", "/"): EVERYONE,
    ("intake", "GET", "/accessibility"): EVERYONE,
    ("intake", "GET", "/privacy"): EVERYONE,
    # Load-balancer probes: one fixed word each, nothing about the service (app/web/health.py).
    ("intake", "GET", "/healthz"): EVERYONE,
    ("intake", "GET", "/readyz"): EVERYONE,
    ("console", "GET", "/healthz"): EVERYONE,
    ("console", "GET", "/readyz"): EVERYONE,
    ("intake", "GET", "/safety"): EVERYONE,
    ("intake", "GET", "/deleted"): EVERYONE,
    ("intake", "GET", "/exit"): EVERYONE,
    ("intake", "POST", "/exit"): EVERYONE,
    ("intake", "GET", "/sign-out"): EVERYONE,
    ("intake", "GET", "/referral/start"): EVERYONE,
    ("intake", "GET", "/referral/optional"): EVERYONE,
    ("intake", "GET", "/referral/<slug>"): EVERYONE,
    ("intake", "POST", "/referral/<slug>"): EVERYONE,
    ("intake", "GET", "/referral/change/<slug>"): EVERYONE,
    ("intake", "GET", "/referral/check"): EVERYONE,
    ("intake", "POST", "/referral/check"): EVERYONE,
    ("intake", "GET", "/referral/sent"): EVERYONE,
    ("intake", "GET", "/return"): EVERYONE,
    ("intake", "POST", "/return"): EVERYONE,
    ("intake", "GET", "/static/<path:filename>"): EVERYONE,
    # --- intake: the referrer's own status, messages and withdrawal
    ("intake", "GET", "/status"): ("referrer",),
    ("intake", "POST", "/status"): ("referrer",),
    ("intake", "GET", "/status/delete"): ("referrer",),
    ("intake", "POST", "/status/delete"): ("referrer",),
    # --- standards: analysts only, past the sign-in steps
    ("intake", "GET", "/standards/"): ("analyst",),
    ("intake", "GET", "/standards/tables"): ("analyst",),
    ("intake", "GET", "/standards/releases"): ("analyst",),
    ("intake", "GET", "/standards/about-the-figures"): ("analyst",),
    ("intake", "POST", "/standards/periods/<slug>/export"): ("analyst",),
    ("intake", "GET", "/standards/sign-in"): EVERYONE,
    ("intake", "POST", "/standards/sign-in"): EVERYONE,
    ("intake", "GET", "/standards/sign-in/code"): NOBODY,  # only after a right password
    ("intake", "POST", "/standards/sign-in/code"): NOBODY,
    ("intake", "GET", "/standards/setup/<token>"): NOBODY,  # only with a link really issued
    ("intake", "POST", "/standards/setup/<token>"): NOBODY,
    ("intake", "GET", "/standards/setup/two-factor"): NOBODY,  # only mid-setup
    ("intake", "POST", "/standards/setup/two-factor"): NOBODY,
    ("intake", "GET", "/standards/sign-out"): NOBODY,  # ends any session, then to sign in
    # --- delivery API: bearer tokens only; A's objects only to A
    ("intake", "GET", "/api/v1/openapi.yaml"): EVERYONE,  # the published contract
    ("intake", "GET", "/api/v1/referrals"): TOKENS,
    ("intake", "GET", "/api/v1/messages"): TOKENS,
    ("intake", "GET", "/api/v1/withdrawals"): TOKENS,
    ("intake", "POST", "/api/v1/referrals/delivered"): TOKENS,
    ("intake", "POST", "/api/v1/messages/delivered"): TOKENS,
    ("intake", "POST", "/api/v1/withdrawals/acknowledged"): TOKENS,
    ("intake", "POST", "/api/v1/referrals/<referral_id>/delivered"): ("token_a",),
    ("intake", "POST", "/api/v1/messages/<message_id>/delivered"): ("token_a",),
    ("intake", "POST", "/api/v1/withdrawals/<referral_id>/acknowledged"): ("token_a",),
    ("intake", "PUT", "/api/v1/referrals/<referral_id>/events/<event>"): ("token_a",),
    ("intake", "PUT", "/api/v1/referrals/<referral_id>/replies/<reply_id>"): ("token_a",),
    ("intake", "PUT", "/api/v1/returns/<period>"): TOKENS,
    ("intake", "GET", "/api/v1/key-set"): TOKENS,  # each token its own recipient's
    ("intake", "PUT", "/api/v1/key-set"): TOKENS,
    ("intake", "GET", "/api/v1/audit-heads"): TOKENS,
    ("intake", "POST", "/api/v1/audit-heads"): TOKENS,
    # --- console: sign-in steps
    ("console", "GET", "/sign-in"): EVERYONE,
    ("console", "POST", "/sign-in"): EVERYONE,
    ("console", "GET", "/sign-in/code"): NOBODY,  # only after a right password
    ("console", "POST", "/sign-in/code"): NOBODY,
    ("console", "GET", "/setup/<token>"): NOBODY,  # only with a link really issued
    ("console", "POST", "/setup/<token>"): NOBODY,
    ("console", "GET", "/setup/two-factor"): NOBODY,  # only mid-setup
    ("console", "POST", "/setup/two-factor"): NOBODY,
    ("console", "GET", "/sign-out"): NOBODY,  # ends any session, then to sign in
    ("console", "GET", "/no-access"): CONSOLE_STAFF,
    ("console", "GET", "/static/<path:filename>"): EVERYONE,
    # --- console: casework needs the provider key
    ("console", "GET", "/"): GRANTED,
    ("console", "GET", "/cases/<case_id>"): GRANTED,
    ("console", "GET", "/cases/<case_id>/export"): GRANTED,
    ("console", "GET", "/cases/<case_id>/assign"): GRANTED,
    ("console", "POST", "/cases/<case_id>/assign"): GRANTED,
    ("console", "GET", "/cases/<case_id>/progress"): GRANTED,
    ("console", "POST", "/cases/<case_id>/progress"): GRANTED,
    ("console", "GET", "/cases/<case_id>/close"): GRANTED,
    ("console", "POST", "/cases/<case_id>/close"): GRANTED,
    ("console", "GET", "/cases/<case_id>/notes/new"): GRANTED,
    ("console", "POST", "/cases/<case_id>/notes/new"): GRANTED,
    ("console", "GET", "/cases/<case_id>/reply"): GRANTED,
    ("console", "POST", "/cases/<case_id>/reply"): GRANTED,
    ("console", "POST", "/cases/<case_id>/subject-access"): GRANTED,
    ("console", "GET", "/cases/new"): GRANTED,
    ("console", "POST", "/cases/new"): GRANTED,
    ("console", "GET", "/sync"): GRANTED,
    ("console", "POST", "/sync"): GRANTED,
    # --- console: the manager's pages
    ("console", "GET", "/returns"): ("manager",),
    ("console", "GET", "/returns/<period>"): ("manager",),
    ("console", "POST", "/returns/<period>"): ("manager",),
    ("console", "GET", "/team"): ("manager",),
    ("console", "POST", "/team/invite"): ("manager",),
    ("console", "POST", "/team/keys"): ("manager",),
    ("console", "GET", "/team/keys/rotate"): ("manager",),
    ("console", "POST", "/team/keys/rotate"): ("manager",),
    ("console", "GET", "/team/keys/<key_id>/public-key"): ("manager",),
    ("console", "POST", "/team/<advisor_id>/<action>"): ("manager",),
}

# Calls that end the caller's session: the caller signs in again after, if it has to.
ENDS_SESSION = {"/sign-out", "/standards/sign-out", "/exit"}


# The referrer's withdrawal deletes their referral, so it is asked last.
LAST = ("intake", "POST", "/status/delete")


def routes(world: World) -> Iterator[tuple[str, str, Rule]]:
    found = [
        (surface, method, rule)
        for surface, app in world.apps.items()
        for rule in app.url_map.iter_rules()
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})
    ]
    yield from sorted(found, key=lambda r: ((r[0], r[1], r[2].rule) == LAST, r[0], r[2].rule, r[1]))


# Well-formed bodies where the API checks the body before whose referral it is, so that the
# answer to recipient B is about the referral, not the body.
WELL_FORMED = {
    "/api/v1/referrals/<referral_id>/events/<event>": {"on": date.today().isoformat()},
    "/api/v1/referrals/<referral_id>/replies/<reply_id>": {
        "sealed": base64.b64encode(b"sealed reply").decode(),
        "sent_on": date.today().isoformat(),
        "sequence": 1,
        "proof": base64.b64encode(bytes(32)).decode(),
    },
}


def body_for(method: str, rule: Rule) -> dict[str, object]:
    """An empty form, or for the API a JSON object, so that what answers is the guard (and
    then the handler's own check of the body), not the content type."""
    if rule.rule.startswith("/api/") and method in ("POST", "PUT"):
        return {"json": WELL_FORMED.get(rule.rule, {})}
    return {"data": {}}


def test_every_route_has_a_row(world):
    found = {(surface, method, rule.rule) for surface, method, rule in routes(world)}
    missing = sorted(found - TABLE.keys())
    gone = sorted(TABLE.keys() - found)
    assert not missing, (
        "Routes with no row in tests/test_authorisation_matrix.py TABLE; add one saying who "
        "may call each:\n" + "\n".join(f"    {row!r}: (...)," for row in missing)
    )
    assert not gone, f"Rows for routes that no longer exist; remove them: {gone}"


def test_every_caller_gets_exactly_what_the_table_gives_them(world):
    for app in world.apps.values():
        app.config["WTF_CSRF_ENABLED"] = False
    wrong: list[str] = []
    asked = 0
    for surface, method, rule in routes(world):
        allowed = TABLE.get((surface, method, rule.rule))
        if allowed is None:
            continue  # test_every_route_has_a_row names it
        url = world.url_for_rule(surface, rule)
        for name in CALLERS:
            caller = world.callers[name]
            response = caller.open(world, surface, method, url, **body_for(method, rule))
            asked += 1
            got = verdict(response)
            expected = "allowed" if name in allowed else "refused or hidden"
            ok = got == "allowed" if name in allowed else got in ("refused", "hidden")
            if not ok:
                wrong.append(
                    f"{surface} {method} {url} as {name}: {got} ({response.status_code} "
                    f"{response.location or ''}), table says {expected}"
                )
            if rule.rule in ENDS_SESSION and caller.renew:
                caller.renew()
    assert asked >= len(TABLE) * len(CALLERS)
    assert not wrong, "\n".join(wrong)


def test_the_table_refuses_by_default():
    # No row may open a staff or analyst page to anyone outside the staff it names.
    for (surface, _method, rule), allowed in TABLE.items():
        if surface == "console" and rule not in ("/sign-in", "/static/<path:filename>",
                                                  "/healthz", "/readyz"):
            assert set(allowed) <= set(CONSOLE_STAFF), rule
        if rule.startswith("/standards/") and rule != "/standards/sign-in":
            assert set(allowed) <= {"analyst"}, rule
        if rule.startswith("/api/v1/") and rule != "/api/v1/openapi.yaml":
            assert set(allowed) <= set(TOKENS), rule
