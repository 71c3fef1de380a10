import pytest
from django.apps import apps

from tests.factories import EditorFactory, ReviewerFactory, UserFactory

pytest_plugins = ["tests.worker", "tests.fixtures_http", "tests.browser"]


@pytest.fixture(autouse=True)
def _unhashed_static_files(settings):
    """Tests do not run collectstatic, so the manifest storage would fail on every page that
    uses ``{% static %}``: serve static names as they are."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _reference_data(request):
    """Roles and the default rating scale come from a data migration; a transactional test's
    flush removes them, so tests that use the database get them back (one query when present)."""
    if "django_db_setup" not in request.fixturenames and not request.node.get_closest_marker("django_db"):
        return
    request.getfixturevalue("_django_db_helper")
    from django.contrib.auth.models import Group

    from claims.rating_scales import ensure_default_scale
    from claims.roles import ADMINISTRATOR, apply_roles

    if not Group.objects.filter(name=ADMINISTRATOR).exists():
        apply_roles(apps)
        ensure_default_scale(apps)


@pytest.fixture
def reviewer(db):
    return ReviewerFactory(username="rita-reviewer")


@pytest.fixture
def editor(db):
    return EditorFactory(username="ed-editor")


@pytest.fixture
def second_editor(db):
    return EditorFactory(username="eva-editor")


@pytest.fixture
def administrator(db):
    from claims.roles import ADMINISTRATOR

    return UserFactory(username="ada-admin", role=ADMINISTRATOR)


@pytest.fixture
def outsider(db):
    """Logged in, staff flag even, but in no role group."""
    return UserFactory(username="otto-outsider")
