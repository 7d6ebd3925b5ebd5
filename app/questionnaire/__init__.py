"""The questionnaire (DESIGN section 5): answer codes and their words, the question fields and
their checks, the order of the pages and who sees which, and the list of sealed fields.

Shared by the intake (where a referrer answers it) and the provider console (where an advisor
records a referral that came by phone or email, and reads the answers back)."""
