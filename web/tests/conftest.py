"""Fixtures of the portal's tests: the pipeline (the real pipeline.partners, recording
what it writes), users, organisations, logos."""
from __future__ import annotations

import io
import os
import shutil
import threading

import pytest
from PIL import Image, ImageDraw

from pipeline import partners as pipeline_partners
from web.portal import printing


@pytest.fixture(scope="session")
def content_copy(tmp_path_factory, django_test_environment):
    from django.conf import settings

    folder = tmp_path_factory.mktemp("content") / "content"
    shutil.copytree(settings.CONTENT_DIR, folder)
    return folder


@pytest.fixture(scope="session")
def project(tmp_path_factory):
    """A copy of assets/ and layouts/ (one per test process): approved partners' logos and
    proof logos land in it, never in the repository's assets/, which the pipeline's
    tests read at the same time."""
    from tests.isolation import project_copy

    return project_copy(tmp_path_factory.mktemp("project"))


# What the portal calls in pipeline.partners, as the module has it.
PIPELINE = {name: getattr(pipeline_partners, name) for name in (
    "campaigns_for_partners", "check_partner", "tracking_clash", "proof", "write_partner", "build_partner")}


@pytest.fixture(autouse=True)
def pipeline_api(tmp_path, settings, content_copy, project):
    """The pipeline the portal calls. The real one writes a partner into content/ and
    assets/, here copies of them: each test's partner ids are unique and their files
    are removed after."""
    from tests.isolation import use_project_copy

    copies = pytest.MonkeyPatch()  # its own: a test's monkeypatch.undo() leaves the copies in place
    use_project_copy(project, copies)
    settings.UPLOADS_DIR = tmp_path / "uploads"
    settings.OUTPUT_DIR = tmp_path / "output"
    # A copy of content/: an approved partner's YAML lands beside the copy, never in
    # the repository's content/ (the pipeline's tests read that at the same time).
    # (one copy per test process, loaded once; approved partners are removed after each test)
    settings.CONTENT_DIR = content_copy
    written = []
    calls, idle = [0], threading.Condition()

    def counted(function):
        """A call the live server's threads may still be making after the test: the
        copies stay in place until it ends (a late live proof writes its logo there)."""
        def call(*args, **kwargs):
            with idle:
                calls[0] += 1
            try:
                return function(*args, **kwargs)
            finally:
                with idle:
                    calls[0] -= 1
                    idle.notify_all()
        return call

    # The seam: pipeline.partners itself, the one module printing.py calls (by attribute).
    ended = threading.Event()
    for name, real in PIPELINE.items():
        def guarded(*args, _real=real, **kwargs):
            if ended.is_set():  # the live server may still be answering a late request
                raise RuntimeError("a request reached the pipeline after its test ended")
            result = _real(*args, **kwargs)
            if _real is PIPELINE["write_partner"]:
                written.extend(result)
            return result

        setattr(pipeline_partners, name, counted(guarded))
    yield pipeline_partners
    ended.set()
    with idle:
        assert idle.wait_for(lambda: calls[0] == 0, timeout=300), \
            "the portal was still calling the pipeline 300 s after the test ended"
    for name, real in PIPELINE.items():
        setattr(pipeline_partners, name, real)
    copies.undo()
    for path in written:
        if path.is_file():
            path.unlink()
    shutil.rmtree(content_copy / "partners", ignore_errors=True)


@pytest.fixture
def seam(pipeline_api):
    """Patches of pipeline.partners that end before pipeline_api puts the module back."""
    patches = pytest.MonkeyPatch()
    yield patches
    patches.undo()


def png_logo(text: str = "LOGO", size=(600, 300), colour=(200, 30, 120)) -> bytes:
    img = Image.new("RGB", size, colour)
    ImageDraw.Draw(img).rectangle([40, 40, size[0] - 40, size[1] - 40], outline="white", width=20)
    buf = io.BytesIO()
    img.save(buf, "PNG", dpi=(300, 300))
    return buf.getvalue()


@pytest.fixture
def org_factory(db):
    from web.portal.models import Organisation

    counter = iter(range(1, 10_000))

    def make(name=None, **kwargs):
        n = next(counter)
        return Organisation.objects.create(name=name or f"Partner {n}",
                                           partner_id=kwargs.pop("partner_id", f"test-partner-{os.getpid()}-{n}"),
                                           contact=kwargs.pop("contact", "Open Monday to Friday"), **kwargs)

    return make


PASSWORD = "correct horse battery staple 42"


@pytest.fixture
def user_factory(db):
    from web.portal.models import User

    def make(email, organisation=None, coordinator=False):
        return User.objects.create_user(username=email, email=email, password=PASSWORD,
                                        organisation=organisation, is_staff=coordinator,
                                        first_name=email.split("@")[0].title())

    return make


@pytest.fixture
def with_logo(settings):
    def attach(org, data: bytes | None = None, ext="png"):
        settings.UPLOADS_DIR.mkdir(parents=True, exist_ok=True)
        name = f"{org.partner_id}-logo.{ext}"
        (settings.UPLOADS_DIR / name).write_bytes(data or png_logo())
        org.logo_file = name
        org.save()
        return org

    return attach


@pytest.fixture
def offer():
    return printing.offers()[0]
