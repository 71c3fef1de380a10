pytest_plugins = ["tests.worker"]

import pytest

from tests.factories import EditorFactory, ReviewerFactory, UserFactory


@pytest.fixture(autouse=True)
def _unhashed_static_files(settings):
    """Tests do not run collectstatic, so the manifest storage would fail on every page that
    uses ``{% static %}``: serve static names as they are."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


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
