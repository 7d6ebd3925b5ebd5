"""A fair front door (G10): a building can refer itself, one abuser cannot shut the door.

Everything here runs for real: requests through ProxyFix as the TLS terminator would send
them, the limiter's own store (memory, and Redis where the store is the point), real
threads against a real server for the burst of lookups. Time is a controllable clock
(`fair_use.now`), never a sleep.
"""

from __future__ import annotations

import hashlib
import ipaddress
import itertools
import re
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from werkzeug.test import TestResponse

from app import create_intake_app
from app.extensions import intake_db, limiter
from app.questionnaire import journey
from app.web import expensive, fair_use, proof_of_work
from app.web.privacy_logging import client_address_bucket, permutation_key, unpermute
from tests.conftest import intake_settings
from tests.referrer import CHALLENGE, CSRF, Referrer

ROOT = Path(__file__).resolve().parents[2]
BUILDING = "203.0.113.7"  # one police building, or one carrier's address, shared by many
ELSEWHERE = "198.51.100.23"
TLS_TERMINATOR = "10.0.0.2"
WRONG_PHRASE = "abandon ability able about above absent absorb abstract"


class Clock:
    """The clock limits and challenges read. It starts in a future hour: the memory store
    expires counters by the real clock, so none of them may expire during a test."""

    def __init__(self) -> None:
        self.at = float((int(time.time()) // 3600 + 2) * 3600 + 1)

    def __call__(self) -> float:
        return self.at

    def advance(self, seconds: float) -> None:
        self.at += seconds


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    moving = Clock()
    monkeypatch.setattr(fair_use, "now", moving)
    return moving


def pins(app: Flask) -> dict[str, object]:
    """The provider's pinned signing key, as the `provider_key` fixture set it up."""
    return {"PINNED_PROVIDER_KEYS": app.config.get("PINNED_PROVIDER_KEYS") or {}}


def front_door_settings(database_url: str, **more: object) -> dict[str, object]:
    """Production's limits and proof of work, one trusted proxy in front."""
    return {
        **intake_settings(database_url),
        "RATELIMIT_ENABLED": True,
        "TRUSTED_PROXIES": 1,
        "PROOF_OF_WORK_WAIT_SECONDS": 15,
        **more,
    }


@pytest.fixture
def front_door(app: Flask, database_url: str, provider_key: object) -> Iterator[Flask]:
    door = create_intake_app(front_door_settings(database_url, **pins(app)))
    yield door
    with door.app_context():
        intake_db.session.remove()
        intake_db.engine.dispose()
    limiter.init_app(app)  # the limiter is shared: switch it off again for other tests


class Person(Referrer):
    """Someone reaching intake through the TLS terminator, who pays for the expensive steps:
    with JavaScript (solving the challenge, as assets/js does) or without (waiting it out)."""

    def __init__(
        self, app: Flask, address: str, javascript: bool = True, clock: Clock | None = None
    ) -> None:
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = TLS_TERMINATOR
        client.environ_base["HTTP_X_FORWARDED_FOR"] = address
        super().__init__(client)
        self.javascript = javascript
        self.clock = clock

    def post(self, url: str, data: Mapping[str, object]) -> TestResponse:
        page = self.client.get(url).get_data(as_text=True)
        return self.client.post(url, data={**data, **self.pay(page)})

    def pay(self, page: str) -> dict[str, str]:
        match = CSRF.search(page)
        assert match, page[:500]
        fields = {"csrf_token": match.group(1)}
        challenge = CHALLENGE.search(page)
        if challenge:
            fields["proof_challenge"] = challenge.group(1)
            if self.javascript:
                fields["proof"] = solve(challenge.group(1), bits_of(page))
            else:
                assert self.clock is not None
                self.clock.advance(15)  # reading the page, typing: the wait passes
        return fields


def bits_of(page: str) -> int:
    return int(re.search(r'data-proof-of-work-bits="(\d+)"', page)[1])


def solve(token: str, bits: int) -> str:
    """What assets/js/proof-of-work.mjs does, in Python."""
    for counter in itertools.count():
        digest = hashlib.sha256(f"{token}:{counter}".encode()).digest()
        if int.from_bytes(digest, "big") >> (256 - bits) == 0:
            return str(counter)
    raise AssertionError("unreachable")


def count(app: Flask, table: str) -> int:
    with app.app_context():
        return intake_db.session.scalar(sa.text(f"select count(*) from {table}"))


def stored_keys(app: Flask) -> str:
    return " ".join(limiter.storage.storage)  # the memory store's counters


# --- 1. who the client is -----------------------------------------------------------------


def test_the_client_is_the_address_the_trusted_proxy_saw_not_one_the_client_wrote(front_door):
    person = Person(front_door, f"192.0.2.66, {BUILDING}")  # the first entry is the client's own
    person.sign_in(WRONG_PHRASE)
    keys = stored_keys(front_door)
    assert f"/b{client_address_bucket(BUILDING, front_door.config['SECRET_KEY']):04x}/" in keys
    for not_the_client in ("192.0.2.66", TLS_TERMINATOR):
        bucket = client_address_bucket(not_the_client, front_door.config["SECRET_KEY"])
        assert f"/b{bucket:04x}/" not in keys


def test_without_trusted_proxies_a_forwarded_for_header_is_ignored(app, database_url):
    door = create_intake_app(front_door_settings(database_url, TRUSTED_PROXIES=0))
    try:
        Person(door, BUILDING).sign_in(WRONG_PHRASE)
        keys = stored_keys(door)
        secret = door.config["SECRET_KEY"]
        assert f"/b{client_address_bucket(TLS_TERMINATOR, secret):04x}/" in keys
        assert f"/b{client_address_bucket(BUILDING, secret):04x}/" not in keys
    finally:
        with door.app_context():
            intake_db.engine.dispose()
        limiter.init_app(app)


def test_development_trusts_no_proxy_by_default(monkeypatch):
    from app.config import intake_config

    monkeypatch.delenv("TRUSTED_PROXIES", raising=False)
    monkeypatch.delenv("SAFE_REFERRAL_ENV", raising=False)
    assert intake_config()["TRUSTED_PROXIES"] == 0


# --- 2. limits that stop one abuser, not a building -------------------------------------------


def referrals_made(app: Flask) -> int:
    return count(app, "referrals")


def test_fifty_colleagues_behind_one_address_each_complete_a_referral_within_one_hour(
    front_door, clock
):
    phrases = []
    for colleague in range(50):
        # Half with JavaScript (solving the challenge), half without (waiting it out).
        person = Person(front_door, BUILDING, javascript=colleague % 2 == 0, clock=clock)
        phrases.append(person.refer())
        clock.advance(20)
    assert clock.at - Clock().at < 3600  # all inside one hour of the clock
    assert len(set(phrases)) == 50
    assert referrals_made(front_door) == 50
    # And each can come back with their phrase, still from the same address.
    for phrase in phrases[:5]:
        assert Person(front_door, BUILDING).sign_in(phrase).status_code == 303


def test_one_client_sending_ten_thousand_requests_is_throttled_and_makes_no_more_than_its_share(
    front_door, clock
):
    hammer = Person(front_door, BUILDING)
    bystander = Person(front_door, ELSEWHERE)
    answers = list(journey_answers().items())
    sent = refused = 0
    for request_number in range(10_000):
        slug, data = answers[request_number % len(answers)]
        response = hammer.send() if slug == "check" else hammer.answer(slug, data)
        refused += response.status_code == 429
        if response.status_code == 303 and response.location.endswith("/referral/sent"):
            sent += 1
        if request_number % 500 == 0:  # the service answers a bystander throughout
            started = time.perf_counter()
            assert bystander.client.get("/").status_code == 200
            assert time.perf_counter() - started < 1
        clock.advance(0.3)  # 10,000 requests in 50 minutes: one window of the hour
    assert sent <= 5  # LIMIT_SUBMIT: five sends an hour per session
    assert referrals_made(front_door) == sent
    assert refused > 9_000
    assert bystander.refer()  # and someone else still gets through
    assert referrals_made(front_door) == sent + 1


def journey_answers() -> dict[str, Mapping[str, object]]:
    from tests.referrer import FULL_ANSWERS

    return {**FULL_ANSWERS, "check": {}}


def test_a_client_that_drops_its_cookies_meets_the_loose_bound_of_its_address(
    front_door, clock
):
    refused = 0
    for _ in range(3_100):
        person = Person(front_door, BUILDING)  # a fresh session every time
        response = person.answer("service", {"service": "isva"})
        refused += response.status_code == 429
    assert refused == 100  # LIMIT_FORM_PAGES: 3000 an hour per address bucket
    # A colleague at another address is not held up.
    assert Person(front_door, ELSEWHERE).answer("service", {"service": "isva"}).status_code == 303


def test_the_global_budget_holds_even_against_many_addresses(app, database_url, clock):
    door = create_intake_app(
        front_door_settings(database_url, LIMIT_SUBMIT="3 per hour for everyone")
    )
    try:
        codes = []
        for number in range(5):
            person = Person(door, f"192.0.2.{number + 1}")
            token = CSRF.search(person.client.get("/return").get_data(as_text=True))[1]
            response = person.client.post("/referral/check", data={"csrf_token": token})
            codes.append(response.status_code)
        assert codes == [303, 303, 303, 429, 429]
    finally:
        with door.app_context():
            intake_db.engine.dispose()
        limiter.init_app(app)


def test_a_limited_person_is_told_calmly_when_to_try_again(front_door, clock):
    person = Person(front_door, BUILDING)
    for _ in range(10):
        person.sign_in(WRONG_PHRASE)
    clock.advance(1800)  # half way through the hour
    response = person.sign_in(WRONG_PHRASE)
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) == fair_use.window_end(3600) - int(clock.at)
    page = response.get_data(as_text=True)
    assert "Please wait before trying again" in page
    assert "try again in 30 minutes" in page
    assert "<script>" not in page and "style=" not in page


# --- the proof of work: with JavaScript, and without -----------------------------------------


def lookup_happened(response: TestResponse) -> bool:
    return "We could not find a referral with that reference phrase" in response.get_data(
        as_text=True
    )


def test_with_javascript_a_solved_challenge_goes_through_at_once(front_door, clock):
    assert lookup_happened(Person(front_door, BUILDING).sign_in(WRONG_PHRASE))


def test_without_javascript_a_fast_request_gets_a_plain_wait_page_then_goes_through(
    front_door, clock
):
    person = Person(front_door, BUILDING)
    page = person.client.get("/return").get_data(as_text=True)
    hurried = person.client.post(
        "/return",
        data={"phrase": WRONG_PHRASE, "csrf_token": CSRF.search(page)[1],
              "proof_challenge": CHALLENGE.search(page)[1]},
    )
    wait_page = hurried.get_data(as_text=True)
    assert hurried.status_code == 200 and not lookup_happened(hurried)
    assert "Wait 15 seconds, then select ‘Continue’" in wait_page
    assert "<script>" not in wait_page and "style=" not in wait_page
    assert re.search(r'<button type="submit"[^>]*>Continue</button>', wait_page)

    clock.advance(15)
    hidden = dict(re.findall(r'<input[^>]*name="([a-z_]+)"[^>]*value="([^"]*)"', wait_page))
    assert hidden["phrase"] == WRONG_PHRASE
    assert lookup_happened(person.client.post("/return", data=hidden))


def test_a_wrong_proof_does_not_pay(front_door, clock):
    person = Person(front_door, BUILDING)
    page = person.client.get("/return").get_data(as_text=True)
    token = CHALLENGE.search(page)[1]
    wrong = next(str(n) for n in itertools.count() if not proof_of_work.solved(token, str(n), 16))
    response = person.client.post(
        "/return",
        data={"phrase": WRONG_PHRASE, "csrf_token": CSRF.search(page)[1],
              "proof_challenge": token, "proof": wrong},
    )
    assert not lookup_happened(response) and "Wait 15 seconds" in response.get_data(as_text=True)


def test_a_paid_challenge_is_spent_once(front_door, clock):
    person = Person(front_door, BUILDING)
    page = person.client.get("/return").get_data(as_text=True)
    paid = {"phrase": WRONG_PHRASE, **person.pay(page)}
    assert lookup_happened(person.client.post("/return", data=paid))
    replay = person.client.post("/return", data=paid)
    assert not lookup_happened(replay)
    assert "Wait 15 seconds" in replay.get_data(as_text=True)  # a fresh challenge to pay


def test_a_challenge_paid_in_one_session_does_not_pay_for_another(front_door, clock):
    payer, freeloader = Person(front_door, BUILDING), Person(front_door, BUILDING)
    paid = payer.pay(payer.client.get("/return").get_data(as_text=True))
    own_token = CSRF.search(freeloader.client.get("/return").get_data(as_text=True))[1]
    response = freeloader.client.post(
        "/return", data={**paid, "csrf_token": own_token, "phrase": WRONG_PHRASE}
    )
    assert not lookup_happened(response)


def test_an_expired_challenge_does_not_pay(front_door, clock):
    person = Person(front_door, BUILDING)
    page = person.client.get("/return").get_data(as_text=True)
    paid = {"phrase": WRONG_PHRASE, **person.pay(page)}
    clock.advance(1801)
    assert not lookup_happened(person.client.post("/return", data=paid))


@pytest.mark.skipif(shutil.which("node") is None, reason="node is needed to run the JS module")
def test_the_browser_module_solves_challenges_the_server_accepts(front_door, clock):
    with front_door.test_request_context():
        challenge = proof_of_work.issue("lookup")
    script = (
        f'import {{ solve }} from "{ROOT}/assets/js/proof-of-work.mjs";\n'
        f'solve("{challenge.token}", {challenge.bits}).then((answer) => console.log(answer));\n'
    )
    answer = subprocess.run(
        ["node", "--input-type=module", "-e", script],
        capture_output=True, text=True, timeout=60, check=True,
    ).stdout.strip()
    assert proof_of_work.solved(challenge.token, answer, challenge.bits)
    assert not proof_of_work.solved(challenge.token, str(int(answer) + 1), 64)


# --- 3. bounded expensive work ----------------------------------------------------------------


def test_when_every_argon2_slot_is_taken_a_lookup_is_told_busy_at_once(front_door, clock):
    slots = front_door.extensions[expensive.EXTENSION]
    held = 0
    while slots.acquire(blocking=False):
        held += 1
    assert held == front_door.config["ARGON2_CONCURRENCY"] == 2
    try:
        started = time.perf_counter()
        response = Person(front_door, BUILDING).sign_in(WRONG_PHRASE)
        assert time.perf_counter() - started < 1
    finally:
        for _ in range(held):
            slots.release()
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "60"
    page = response.get_data(as_text=True)
    assert "The service is busy" in page and "try again in a minute" in page
    assert lookup_happened(Person(front_door, BUILDING).sign_in(WRONG_PHRASE))  # slots back


# --- 4. no state for strangers ---------------------------------------------------------------


def intake_get_pages(app: Flask) -> list[str]:
    """Every GET page of the intake, from the URL map (each question page by its slug)."""
    pages = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("intake.") or "GET" not in (rule.methods or ()):
            continue
        if rule.arguments == {"slug"}:
            pages += [rule.rule.replace("<slug>", step.slug) for step in journey.STEPS]
        elif not rule.arguments:
            pages.append(rule.rule)
    return pages


def test_a_thousand_cookieless_gets_of_every_intake_page_create_no_row(app, client):
    pages = intake_get_pages(app)
    assert {"/", "/return", "/referral/service", "/referral/check", "/status"} <= set(pages)
    visits = 0
    for page in itertools.islice(itertools.cycle(pages), 1000 * len(pages)):
        response = app.test_client().get(page)  # a new visitor each time: no cookie
        assert response.status_code < 500, page
        for cookie in response.headers.getlist("Set-Cookie"):
            value = cookie.split(";", 1)[0].split("=", 1)[1]
            assert value == "" or value.startswith("L."), (page, cookie)  # cookie-only
        visits += 1
    assert visits == 1000 * len(pages)
    assert count(app, "draft_sessions") == 0


def test_the_first_answer_is_the_first_thing_kept(app, client, provider_key):
    person = Referrer(client)
    person.client.get("/referral/service")
    assert count(app, "draft_sessions") == 0
    assert person.answer("service", {"service": "isva"}).status_code == 303
    assert count(app, "draft_sessions") == 1


def intake_post_routes(app: Flask) -> list[str]:
    routes = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("intake.") or "POST" not in (rule.methods or ()):
            continue
        if rule.endpoint == "intake.exit_page":
            continue  # leaving needs no token: it only ends a session (test_headers_and_cookies)
        routes += (
            [rule.rule.replace("<slug>", step.slug) for step in journey.STEPS]
            if rule.arguments == {"slug"} else [rule.rule]
        )
    return routes


def test_csrf_still_refuses_every_post_without_a_valid_token(app, client):
    other = app.test_client()
    others_token = CSRF.search(other.get("/return").get_data(as_text=True))[1]
    routes = intake_post_routes(app)
    assert {"/return", "/referral/check", "/referral/service", "/status"} <= set(routes)
    for route in routes:
        visitor = app.test_client()
        visitor.get("/return")  # a cookie-only session with a CSRF secret of its own
        for token in (None, "forged", others_token):
            data = {"phrase": WRONG_PHRASE, "service": "isva", "body": "hello"}
            if token is not None:
                data["csrf_token"] = token
            response = visitor.post(route, data=data)
            assert response.status_code == 400, (route, token)
            assert "This page has expired" in response.get_data(as_text=True)
    assert count(app, "draft_sessions") == 0
    assert count(app, "referrals") == 0


def test_a_cookie_only_session_that_was_tampered_with_is_worth_nothing(app):
    visitor = app.test_client()
    page = visitor.get("/referral/service").get_data(as_text=True)
    cookie = visitor.get_cookie(app.config["SESSION_COOKIE_NAME"])
    assert cookie is not None and cookie.value.startswith("L.")
    payload, signature = cookie.value.rsplit(".", 1)
    visitor.set_cookie(app.config["SESSION_COOKIE_NAME"], payload + "." + signature[::-1])
    response = visitor.post(
        "/referral/service", data={"service": "isva", "csrf_token": CSRF.search(page)[1]}
    )
    assert response.status_code == 400
    assert count(app, "draft_sessions") == 0


# --- the rate-limit store, read back from Redis ------------------------------------------------


def redis_or_skip() -> object:
    redis = pytest.importorskip("redis")
    connection = redis.Redis(host="127.0.0.1", port=6379, socket_connect_timeout=0.5)
    try:
        connection.ping()
    except redis.RedisError:
        pytest.skip("Redis is not reachable at 127.0.0.1:6379")
    return connection


@pytest.fixture
def redis_door(
    app: Flask, database_url: str, provider_key: object
) -> Iterator[tuple[Flask, object, str]]:
    connection = redis_or_skip()
    prefix = f"test-{uuid.uuid4().hex}"
    limiter._key_prefix = ""  # Flask-Limiter keeps the first app's prefix unless told
    door = create_intake_app(
        front_door_settings(
            database_url,
            RATELIMIT_STORAGE_URI="redis://127.0.0.1:6379/0",
            RATELIMIT_KEY_PREFIX=prefix,
            **pins(app),
        )
    )
    yield door, connection, prefix
    for key in connection.scan_iter(match=f"*{prefix}*"):
        connection.delete(key)
    limiter._key_prefix = ""
    with door.app_context():
        intake_db.engine.dispose()
    limiter.init_app(app)


def test_the_stored_keys_narrow_an_address_to_no_fewer_than_65536_even_with_every_secret(
    redis_door,
):
    door, redis, prefix = redis_door
    for address in (BUILDING, ELSEWHERE, "2001:db8:1:2::7"):
        person = Person(door, address)
        person.sign_in(WRONG_PHRASE)
        person.answer("service", {"service": "isva"})
    keys = [key.decode() for key in redis.scan_iter(match=f"*{prefix}*")]
    assert keys
    # What a key can say about a client: its bucket (b + 4 hex), a session hash, or nothing.
    buckets = set()
    for key in keys:
        for part in key.split("/"):
            assert not re.search(r"\d+\.\d+\.\d+\.\d+|[0-9a-f]{1,4}:[0-9a-f:]+", part), key
            if re.fullmatch(r"b[0-9a-f]{4}", part):
                buckets.add(int(part[1:], 16))
        assert redis.get(key).isdigit()  # a count, nothing else
    secret = door.config["SECRET_KEY"]  # every secret of the deployment, in hand
    mine = client_address_bucket(BUILDING, secret)
    assert mine in buckets

    # Brute force the building's whole /16: which addresses would give this key?
    network = ipaddress.ip_network(f"{BUILDING}/16", strict=False)
    in_slash_16 = [
        str(a) for a in network if client_address_bucket(str(a), secret) == mine
    ]
    assert BUILDING in in_slash_16
    # ... and the whole of IPv4, by running the permutation backwards from the bucket.
    key = permutation_key(secret)
    candidates = {unpermute((mine << 16) | low, 32, key) for low in range(1 << 16)}
    assert len(candidates) == 65_536
    assert int(ipaddress.ip_address(BUILDING)) in candidates
    assert all(client_address_bucket(str(ipaddress.IPv4Address(c)), secret) == mine
               for c in itertools.islice(candidates, 2000))
    # The /16 is no shortcut: its share of the candidates is what chance gives any /16.
    assert len(in_slash_16) < 20


def redis_now_ms(redis: object) -> int:
    seconds, micros = redis.time()
    return seconds * 1000 + micros // 1000


def test_the_stored_keys_hold_no_time_finer_than_their_window(redis_door):
    door, redis, prefix = redis_door
    for address in (BUILDING, ELSEWHERE):
        person = Person(door, address)
        person.sign_in(WRONG_PHRASE)  # limits per session, per bucket; one spent challenge
        person.answer("service", {"service": "isva"})
    keys = [key.decode() for key in redis.scan_iter(match=f"*{prefix}*")]
    assert len(keys) >= 6
    for key in keys:
        expires_ms = redis_now_ms(redis) + redis.pttl(key)
        window = 3600 if "/spent/" in key else window_seconds(key)
        offset = expires_ms % (window * 1000)
        assert min(offset, window * 1000 - offset) <= 5, (key, offset)  # at a window's end


def window_seconds(key: str) -> int:
    *_, multiples, granularity = key.split("/")
    return int(multiples) * {"second": 1, "minute": 60, "hour": 3600, "day": 86400}[granularity]


def test_flask_limiters_own_fixed_window_would_give_the_first_request_away(redis_door):
    """Why the aligned strategy exists: the stock one expires a window after the first hit."""
    from limits import parse
    from limits.storage import RedisStorage
    from limits.strategies import FixedWindowRateLimiter

    _, redis, prefix = redis_door
    storage = RedisStorage("redis://127.0.0.1:6379/0", key_prefix=prefix)
    item = parse("10 per hour")
    first_hit_ms = redis_now_ms(redis)
    FixedWindowRateLimiter(storage).hit(item, "b0000")
    (key,) = [k for k in redis.scan_iter(match=f"{prefix}*")]
    expires_ms = redis_now_ms(redis) + redis.pttl(key)
    assert abs(expires_ms - 3_600_000 - first_hit_ms) < 1500  # the first hit, to the second


# --- 40 concurrent phrase lookups against a real server -----------------------------------


def rss_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def test_forty_concurrent_lookups_stay_under_the_memory_ceiling_and_the_excess_hear_busy(
    app, database_url
):
    from benchmarks.front_door import lookups_at_once
    from crypto.keyfile import Argon2Params
    from tests.two_apps import serving

    production_cost = Argon2Params(time_cost=3, memory_kib=65536, parallelism=4)
    door = create_intake_app(
        front_door_settings(database_url, PHRASE_ARGON2=production_cost, PROOF_OF_WORK_BITS=8)
    )
    ceiling = door.config["ARGON2_CONCURRENCY"] * 64 * 2**20  # docs/benchmarks.md, per worker
    try:
        with serving(door) as base_url:
            result = lookups_at_once(base_url, 40, WRONG_PHRASE, rss_bytes)
    finally:
        with door.app_context():
            intake_db.engine.dispose()
        limiter.init_app(app)
    assert len(result.statuses) == 40
    assert set(result.statuses) <= {200, 503}
    assert result.statuses.count(200) >= 2  # the ones that found a slot were answered
    assert result.statuses.count(503) >= 20  # the rest heard "busy" at once
    assert all(after == "60" for after in result.busy_retry_after)
    # Request threads and buffers take a little beside the derivations themselves.
    assert result.peak_rss - result.baseline_rss < ceiling + 32 * 2**20, result
