"""Staff accounts, written once for both deployments (DESIGN 4, G8).

Advisors and managers sign in to the provider console; DPS analysts sign in to the standards
surface. Both use the same rules and the same pages, over a small store interface that each
surface implements for its own table:

- `passwords`: the password rule, Argon2id hashing and the dummy verify for unknown emails;
- `totp`: time-based one-time codes (RFC 6238), their sealing and the setup QR code;
- `throttle`: sign-in limits that neither lock a real person out nor reveal who has an account;
- `store`: the `AccountStore` protocol a surface implements (advisors, analysts);
- `flow`: sign-in, set-password and set-up-two-factor over a store;
- `forms`, `views`: the forms and the pages, registered by each surface on its own blueprint
  with its own store, layout and audit hook (templates in `templates/accounts/`);
- `links`: setup links built from a configured base URL, never from the request's Host.

Nothing here imports a surface.
"""
