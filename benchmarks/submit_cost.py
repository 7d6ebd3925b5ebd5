"""Cost of one referral: sealing alone, and a submit split into Argon2id, sealing and database.

Run: .venv/bin/python -m benchmarks.submit_cost [--database-url URL]
Prints medians over many runs; record the figures in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import secrets
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import date

from app import create_intake_app
from app.extensions import intake_db
from app.intake import recipients, referrals
from app.models.base import random_id
from app.models.intake import Recipient, RecipientKey, Referral, ServiceRoute
from app.questionnaire import journey
from crypto.envelope import ReferrerBinding, seal_record
from crypto.key_set import sign_key_set, verify_key_set
from crypto.keyfile import Argon2Params
from crypto.keys import PrivateKey
from crypto.phrase import derive_referrer_secrets, new_phrase
from crypto.signing import SigningKey

TYPICAL = {name: "" for name in journey.SEALED_FIELDS} | {
    "service": "idva",
    "contact_method": "details",
    "phone": "07700 900982",
    "email": "someone.safe@example.org",
    "safe_to_call": "yes",
    "safe_times": "Weekdays 10am to 2pm",
    "voicemail": "first_name",
    "safe_to_text": "no",
    "someone_else_answers": "Say it is a wrong number",
    "name": "Sam",
    "role_group": "staff",
    "police_connected": "yes",
    "account": "He has been controlling my money and checking my phone for a year. " * 6,
    "reported": "no",
    "urgency": "urgent,safety",
    "consent": "yes",
    "age_group": "35-44",
    "sex": "female",
    "ethnicity": "white_british",
}


def median_us(action: Callable[[], object], runs: int) -> float:
    timings = []
    for _ in range(runs):
        start = time.perf_counter_ns()
        action()
        timings.append(time.perf_counter_ns() - start)
    return statistics.median(timings) / 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url")
    parser.add_argument("--runs", type=int, default=1000)
    args = parser.parse_args()
    recipient = PrivateKey.generate().public_key
    # Version 2, as submit seals: the referrer's reply key and auth key inside (issue 8).
    binding = ReferrerBinding(PrivateKey.generate().public_key, secrets.token_bytes(32))
    seal_us = median_us(
        lambda: seal_record("referral", random_id(), TYPICAL, recipient, referrer=binding),
        args.runs,
    )
    seal_v1_us = median_us(
        lambda: seal_record("referral", random_id(), TYPICAL, recipient), args.runs
    )
    params = Argon2Params()
    argon_us = median_us(
        lambda: derive_referrer_secrets(new_phrase(), b"benchmark-pepper-123", params), 20
    )

    url = args.database_url or f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite"
    app = create_intake_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        intake_db.drop_all()
        intake_db.create_all()
        owner = Recipient(name="Benchmark")
        intake_db.session.add(owner)
        intake_db.session.commit()
        sealed = seal_record("referral", "x", TYPICAL, recipient, referrer=binding)
        referrer_key = PrivateKey.generate().public_key.to_bytes()

        def store() -> None:
            intake_db.session.add(
                Referral(
                    service="idva",
                    recipient_id=owner.id,
                    sealed=sealed,
                    lookup_id=random_id() * 2,
                    referrer_public_key=referrer_key,
                )
            )
            intake_db.session.commit()

        db_us = median_us(store, min(args.runs, 500))
        for service in ("idva", "isva", "not_sure"):
            intake_db.session.add(ServiceRoute(service=service, recipient_id=owner.id))
        # As in production: the key set signed by a pinned signing key (DESIGN G2).
        signer = SigningKey.generate()
        blob = sign_key_set(
            signer, provider="Benchmark", sequence=1, issued=date.today(), public_keys=[recipient]
        )
        app.config["PINNED_PROVIDER_KEYS"] = {"Benchmark": signer.verify_key.fingerprint}
        owner.key_set = blob
        intake_db.session.add(
            RecipientKey(
                key_id=recipient.key_id,
                recipient_id=owner.id,
                generation=1,
                public_key=recipient.to_bytes(),
                fingerprint=recipient.fingerprint,
            )
        )
        intake_db.session.commit()
        fingerprint = signer.verify_key.fingerprint
        verify_us = median_us(lambda: verify_key_set(blob, fingerprint), min(args.runs, 500))
        # What submit pays before every seal: load the route and its key set, check the
        # signature (remembered for these exact bytes and pin) and the newest key row.
        check_us = median_us(lambda: recipients.route_for("idva"), min(args.runs, 500))
        pepper = app.config["REFERENCE_PEPPER"]
        whole_us = median_us(lambda: referrals.submit(TYPICAL, pepper, params), 20)
        intake_db.drop_all()

    print(f"sealing one typical referral ({len(sealed)} bytes sealed): median {seal_us:.0f} µs")
    print(f"submit, Argon2id (t=3, m=64 MiB, p=4):  median {argon_us / 1000:.1f} ms")
    print(f"submit, sealing (version 2):            median {seal_us / 1000:.2f} ms")
    print(f"sealing without the referrer binding (version 1, baseline): median {seal_v1_us:.0f} µs")
    print(f"submit, database insert+commit ({url.split(':')[0]}): median {db_us / 1000:.2f} ms")
    print(f"submit, whole domain call (referrals.submit): median {whole_us / 1000:.1f} ms")
    print(f"key set check per seal, signature verified uncached: median {verify_us / 1000:.2f} ms")
    print(f"key set check per seal, as submit does it (route_for): median {check_us / 1000:.2f} ms")
    print(f"submit, everything except Argon2id, baseline: {(seal_us + db_us) / 1000:.2f} ms")
    print(
        f"submit, everything except Argon2id, with check: {(seal_us + db_us + check_us) / 1000:.2f}"
        " ms (target < 5 ms)"
    )


if __name__ == "__main__":
    main()
