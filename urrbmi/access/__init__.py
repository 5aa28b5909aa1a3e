"""Accounts, roles, sessions and region scope for the API (issue #6).

- :mod:`.roles`: the role → permission table (data, not if-chains);
- :mod:`.settings`: session lifetimes, lock-out, rate limits (environment variables);
- :mod:`.passwords`: argon2id hashing;
- :mod:`.accounts`: users, login with lock-out, sessions and bearer tokens;
- :mod:`.scope`: the :class:`~urrbmi.access.scope.Principal` and the scope checks every API read
  and write goes through;
- :mod:`.channels`: payment channels' HMAC signatures and replay protection;
- :mod:`.ratelimit`: the in-process limiter of the public lookup.
"""
