"""The portal's password hash: Argon2id at OWASP's parameters (Password Storage Cheat
Sheet: m = 19 MiB, t = 2, p = 1), strong by current guidance and about 8 times less CPU
than Django's default Argon2 (m = 100 MiB, t = 2, p = 8: 0.25 s of CPU a sign-in, the
slowest page under 50 partners on 2 cores; this one 0.03 s).

Hashes made before keep working: Django verifies an Argon2 hash with the parameters
written in it, and at the next sign-in rehashes it with these (`must_update`); PBKDF2
hashes are verified by the hasher listed after this one and rehashed the same way."""
from __future__ import annotations

from django.contrib.auth.hashers import Argon2PasswordHasher


class PortalArgon2PasswordHasher(Argon2PasswordHasher):
    """Argon2id, m = 19 MiB, t = 2, p = 1 (OWASP). Its algorithm stays `argon2`, so
    Django's own Argon2 hasher is not listed beside it: one hasher per algorithm."""

    time_cost = 2
    memory_cost = 19 * 1024  # KiB
    parallelism = 1
