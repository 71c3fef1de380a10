"""factory_boy factories for the domain. Claims and evidence anchor into real snapshot text."""

import datetime as dt

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from claims.models import Claim, Claimant, Evidence, Rating, RatingScale, Stance, Topic, Verdict
from claims.roles import EDITOR, REVIEWER
from sources.models import Snapshot, SnapshotOrigin, Source

TEXT = (
    "Belarus was the second-largest arms supplier to Azerbaijan after Israel, accounting for "
    "about 7.1% of its arms imports between 2011 and 2020. Russia supplied almost two-thirds "
    "of Azerbaijan's major arms over the same decade, according to SIPRI."
)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    is_staff = True
    password = factory.django.Password("pw-for-tests-only")
    role = None  # a role group name (claims.roles), or None for an outsider

    @classmethod
    def _create(cls, model_class, *args, role: str | None = None, **kwargs):
        user = super()._create(model_class, *args, **kwargs)
        if role:
            user.groups.add(Group.objects.get(name=role))
        return user


class ReviewerFactory(UserFactory):
    role = REVIEWER


class EditorFactory(UserFactory):
    role = EDITOR


class SourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Source

    title = factory.Sequence(lambda n: f"Report on arms transfers no. {n}")
    url = factory.Sequence(lambda n: f"https://news.example.org/articles/{n}")
    publisher = "Example News"
    authors = "A. Writer"
    published_on = dt.date(2024, 4, 1)


class SnapshotFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Snapshot
        skip_postgeneration_save = True

    source = factory.SubFactory(SourceFactory)
    text = TEXT
    sha256 = factory.LazyAttribute(lambda s: Snapshot.hash_text(s.text))
    origin = SnapshotOrigin.PASTE
    retrieved_at = factory.LazyFunction(timezone.now)

    @factory.post_generation
    def make_current(self, create: bool, extracted: bool | None, **kwargs) -> None:
        if create and extracted is not False:
            Source.objects.filter(pk=self.source_id).update(current_snapshot=self)


class ClaimantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Claimant

    name = factory.Sequence(lambda n: f"Claimant {n}")
    slug = factory.Sequence(lambda n: f"claimant-{n}")


class TopicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Topic

    name = factory.Sequence(lambda n: f"Topic {n}")
    slug = factory.Sequence(lambda n: f"topic-{n}")


def _span(text: str, quote: str) -> tuple[int, int]:
    start = text.index(quote)
    return start, start + len(quote)


class ClaimFactory(factory.django.DjangoModelFactory):
    """A claim quoting ``quote`` (default: the first sentence) of its snapshot."""

    class Meta:
        model = Claim
        exclude = ("quote",)

    snapshot = factory.SubFactory(SnapshotFactory)
    quote = "Belarus was the second-largest arms supplier to Azerbaijan after Israel"
    exact = factory.LazyAttribute(lambda c: c.quote)
    start = factory.LazyAttribute(lambda c: _span(c.snapshot.text, c.quote)[0])
    end = factory.LazyAttribute(lambda c: _span(c.snapshot.text, c.quote)[1])
    statement = "Belarus was Azerbaijan's second-largest arms supplier in 2011–2020."
    claimant = factory.SubFactory(ClaimantFactory)


class EvidenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Evidence
        exclude = ("quote",)

    claim = factory.SubFactory(ClaimFactory)
    snapshot = factory.SubFactory(SnapshotFactory)
    quote = "Russia supplied almost two-thirds of Azerbaijan's major arms"
    exact = factory.LazyAttribute(lambda e: e.quote)
    start = factory.LazyAttribute(lambda e: _span(e.snapshot.text, e.quote)[0])
    end = factory.LazyAttribute(lambda e: _span(e.snapshot.text, e.quote)[1])
    stance = Stance.CONTRADICTS
    note = "SIPRI's figures put Russia first."


def default_rating(slug: str = "mostly-false") -> Rating:
    return Rating.objects.get(scale=RatingScale.objects.get(is_default=True), slug=slug)


class VerdictFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Verdict

    claim = factory.SubFactory(ClaimFactory)
    rating = factory.LazyFunction(default_rating)
    rationale = "SIPRI's data show Russia and Israel ahead; the share is misattributed."
    author = factory.SubFactory(ReviewerFactory)
