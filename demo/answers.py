"""Synthetic answers to the intake form, for the demo history (demo/history.py).

Every answer is a code the form itself offers (app/questionnaire/choices.py), so the console opens
and counts these cases exactly like real ones. The free text is never a story: one fixed
phrase that says it is synthetic (MARKER), and phone numbers from Ofcom's 07700 900xxx
range, which is kept for drama and never given to anyone. The weights are rough guesses at a
plausible mix, not statistics about anybody.
"""

from __future__ import annotations

import random

from app.questionnaire import journey
from app.questionnaire.forms import PREFER_NOT

MARKER = "Synthetic demo"  # in every free-text answer, so tests can look for plaintext
SKIPPED = ""  # a question left blank: the return counts it as "not answered"
Weights = dict[str, float]

ROLE_GROUP: Weights = {
    "officer": 48, "staff": 36, "volunteer": 5, "contractor": 3, PREFER_NOT[0]: 4, SKIPPED: 4
}
REPORTED: Weights = {
    "police": 12, "dps": 15, "both": 8, "no": 45, PREFER_NOT[0]: 10, SKIPPED: 10
}
RECENT: Weights = {"recent": 55, "non_recent": 35, PREFER_NOT[0]: 5, SKIPPED: 5}
EQUALITY: dict[str, Weights] = {
    "age_group": {"16-24": 8, "25-34": 30, "35-44": 32, "45-54": 20, "55-64": 8, "65+": 2},
    "sex": {"female": 85, "male": 15},
    "gender_identity": {"yes": 96, "no": 4},
    "sexual_orientation": {"straight": 86, "gay_lesbian": 6, "bisexual": 6, "other": 2},
    "ethnicity": {
        "white_british": 60, "white_other": 8, "white_irish": 2, "white_gypsy_traveller": 0.3,
        "white_roma": 0.2, "asian_indian": 5, "asian_pakistani": 3, "asian_bangladeshi": 2,
        "asian_chinese": 1, "asian_other": 2, "black_caribbean": 4, "black_african": 5,
        "black_other": 1, "mixed_white_black_caribbean": 1.5, "mixed_white_black_african": 1,
        "mixed_white_asian": 1.5, "mixed_other": 1, "other_arab": 1, "other_any": 1,
    },
    "religion": {
        "none": 45, "christian": 38, "muslim": 7, "hindu": 3, "sikh": 2, "jewish": 1,
        "buddhist": 1, "other": 3,
    },
    "disability": {"no": 78, "yes_not_at_all": 8, "yes_a_little": 10, "yes_a_lot": 4},
    "marital_status": {"never": 35, "married": 35, "separated": 12, "divorced": 15, "widowed": 3},
    "pregnancy": {"no": 95, "yes": 5},
}
URGENCY_FLAGS = ("urgent", "safety", "children", "court")  # the form's order


def pick(rng: random.Random, weights: Weights) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def police_connected(year_index: int) -> Weights:
    """More perpetrators connected to the police each year: about 40% at first, about 60%
    by 2026-27 (the commissioning decision saw 61% from April 2024)."""
    yes = min(62.0, 40 + 5.5 * year_index)
    return {"yes": yes, "not_sure": 8, PREFER_NOT[0]: 5, SKIPPED: 5, "no": 82 - yes}


def answers(rng: random.Random, source: str, service: str, year_index: int) -> dict[str, str]:
    """The full fixed field set (journey.SEALED_FIELDS), "" for every question left blank."""
    found = dict.fromkeys(journey.SEALED_FIELDS, SKIPPED)
    found |= {"service": service, "name": f"{MARKER} referrer", "consent": "yes"}
    found |= _contact(rng, source)
    found["role_group"] = pick(rng, ROLE_GROUP)
    found["police_connected"] = pick(rng, police_connected(year_index))
    if rng.random() < 0.7:
        found["account"] = f"{MARKER} referral: no real person or event."
    if service != "idva":
        found["recent"] = pick(rng, RECENT)
    found["reported"] = pick(rng, REPORTED)
    found["urgency"] = _urgency(rng)
    if rng.random() < 0.1:
        found["access_needs"] = f"{MARKER} access need."
    # Phone and email referrers are seldom asked the equality questions.
    if rng.random() < (0.7 if source == "online" else 0.3):
        found |= {name: _equality(rng, weights) for name, weights in EQUALITY.items()}
    return found


def _contact(rng: random.Random, source: str) -> dict[str, str]:
    if source == "online" and rng.random() < 0.2:
        return {"contact_method": "phrase_only"}
    # Safe contact details need a phone number or an email address, often both.
    phone = source == "phone" or rng.random() < (0.4 if source == "email" else 0.85)
    email = source == "email" or not phone or rng.random() < 0.25
    found = {"contact_method": "details"}
    if phone:
        found |= {
            "phone": f"07700 900{rng.randrange(1000):03d}",
            "safe_to_call": pick(rng, {"yes": 80, "no": 20}),
            "voicemail": pick(rng, {"nothing": 50, "first_name": 35, "name_and_service": 15}),
            "safe_to_text": pick(rng, {"yes": 60, "no": 40}),
        }
    if email:
        found["email"] = "synthetic.demo@example.com"  # RFC 2606: never a real mailbox
    if rng.random() < 0.6:
        found["safe_times"] = f"{MARKER}: weekdays 10am to 2pm"
    if rng.random() < 0.5:
        found["someone_else_answers"] = f"{MARKER}: say it is a wrong number"
    return found


def _urgency(rng: random.Random) -> str:
    if rng.random() >= 0.18:
        return SKIPPED
    chosen = set(rng.sample(URGENCY_FLAGS, rng.choices((1, 2), weights=(70, 30))[0]))
    return ",".join(flag for flag in URGENCY_FLAGS if flag in chosen)


def _equality(rng: random.Random, weights: Weights) -> str:
    roll = rng.random()
    if roll < 0.06:
        return PREFER_NOT[0]
    return SKIPPED if roll < 0.10 else pick(rng, weights)
