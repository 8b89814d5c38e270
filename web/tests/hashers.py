from django.contrib.auth.hashers import Argon2PasswordHasher


class FastArgon2PasswordHasher(Argon2PasswordHasher):
    """Argon2 still (the tests check the prefix), at a cost fit for a test suite."""

    time_cost = 1
    memory_cost = 1024
    parallelism = 1
