import pytest

from tests.factories import EditorFactory, ReviewerFactory, UserFactory


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
