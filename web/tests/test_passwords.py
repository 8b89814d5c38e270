"""The portal's password hash (web/portal/hashers.py): Argon2id at OWASP's parameters
for every new password; a hash made before (Django's default Argon2, PBKDF2) still
signs in and is rehashed with it at that sign-in. The production list of hashers is
used here (the rest of the suite uses a faster one: web/settings/test.py)."""
from __future__ import annotations

import pytest
from argon2 import PasswordHasher, Type
from django.contrib.auth.hashers import PBKDF2PasswordHasher, make_password
from django.test import Client
from django.urls import reverse

from web.settings import base

from .conftest import PASSWORD

pytestmark = pytest.mark.django_db
OWASP = "argon2$argon2id$v=19$m=19456,t=2,p=1$"


@pytest.fixture(autouse=True)
def production_hashers(settings):
    settings.PASSWORD_HASHERS = base.PASSWORD_HASHERS


def test_a_new_password_is_hashed_with_argon2id_at_owasp_parameters(org_factory, user_factory):
    user = user_factory("new@hash.example", org_factory("Hash Aid"))
    assert user.password.startswith(OWASP)
    assert make_password("another long passphrase").startswith(OWASP)
    assert user.check_password(PASSWORD) and not user.check_password("wrong")


@pytest.mark.parametrize("old", [
    # PBKDF2, as Django made them before Argon2 (fewer rounds: the test stays fast; the rounds are in the hash)
    lambda: PBKDF2PasswordHasher().encode(PASSWORD, "oldsaltoldsalt12", iterations=1000),
    # Argon2 with other parameters than the portal's (Django's default is m=102400,t=2,p=8)
    lambda: "argon2" + PasswordHasher(time_cost=1, memory_cost=1024, parallelism=2, type=Type.ID).hash(PASSWORD),
], ids=["pbkdf2", "argon2-other-parameters"])
def test_an_older_hash_signs_in_and_is_rehashed(org_factory, user_factory, old):
    user = user_factory("old@hash.example", org_factory("Old Hash Aid"))
    user.password = old()
    user.save(update_fields=["password"])
    assert not user.password.startswith(OWASP)

    assert Client().post(reverse("login"), {"username": "old@hash.example", "password": "wrong"}).status_code == 200
    user.refresh_from_db()
    assert not user.password.startswith(OWASP)  # a wrong password changes nothing

    signed_in = Client().post(reverse("login"), {"username": "old@hash.example", "password": PASSWORD})
    assert signed_in.status_code == 302
    user.refresh_from_db()
    assert user.password.startswith(OWASP)
    assert user.check_password(PASSWORD)
