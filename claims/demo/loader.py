"""Builds the demo data set through the workflow services, as the desk would by hand.

Every row is written by a service (``source_create``, ``claim_create``, ``verdict_approve``…)
acting as one of the demo accounts, so the demo's audit trail reads like real work: the
reviewer adds sources, claims, evidence and verdicts; an editor reviews and publishes; a
second editor approves the correction.
"""

import datetime as dt
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from django.apps import apps as django_apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, Group
from django.db import transaction
from django.db.models import Q

from claims import services
from claims.demo.fixture import (
    EXCERPT_JOINER,
    FixtureError,
    SeedText,
    excerpt_text,
    load_fixture,
    locate,
    quotes_by_source,
    seed_texts,
)
from claims.models import Claim, Claimant, Evidence, Rating, RatingScale, Verdict, VerdictStatus
from claims.roles import EDITOR, REVIEWER, apply_roles
from factcheck.errors import DomainError
from sources import services as source_services
from sources.models import Snapshot, SnapshotOrigin, Source

EDITOR_USERNAME = "demo-editor"
REVIEWER_USERNAME = "demo-reviewer"
SECOND_EDITOR_USERNAME = "demo-editor-2"
ACCOUNTS = ((EDITOR_USERNAME, EDITOR), (REVIEWER_USERNAME, REVIEWER), (SECOND_EDITOR_USERNAME, EDITOR))
# The reason on the demo's sources; later steps keep the services' own wording, as a desk would.
REASON = "demo data set"


@dataclass(frozen=True)
class Account:
    username: str
    role: str
    created: bool
    password: str | None  # set only when it was just (re)set: printed once, never stored


@dataclass
class DemoResult:
    loaded_now: bool
    accounts: list[Account]
    full_text_sources: list[str] = field(default_factory=list)
    excerpt_sources: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)


@dataclass
class _Actors:
    reviewer: AbstractBaseUser
    editor: AbstractBaseUser
    second_editor: AbstractBaseUser


def ensure_accounts(*, reset_passwords: bool = False) -> list[Account]:
    """The demo accounts, in their role groups; a password is set only on creation or reset."""
    User = get_user_model()
    accounts = []
    for username, role in ACCOUNTS:
        user, created = User.objects.get_or_create(username=username)
        password = None
        if created or reset_passwords:
            password = secrets.token_urlsafe(12)
            user.set_password(password)
        user.is_staff = user.is_active = True
        user.save()
        user.groups.add(Group.objects.get(name=role))
        accounts.append(Account(username, role, created, password))
    return accounts


def _source_lookup(source: dict) -> Q:
    if source.get("url"):
        return Q(url=source_services.normalize_url(source["url"]))
    return Q(title=source["title"], url="")


def demo_sources(fixture: dict) -> list[Source]:
    query = Q(pk__in=[])
    for source in fixture["sources"]:
        query |= _source_lookup(source)
    return list(Source.objects.filter(query))


def demo_counts(fixture: dict) -> dict[str, int]:
    sources = demo_sources(fixture)
    claims = Claim.objects.filter(snapshot__source__in=sources)
    verdicts = Verdict.objects.filter(claim__in=claims)
    return {
        "sources": len(sources),
        "claims": claims.count(),
        "evidence": Evidence.objects.filter(claim__in=claims).count(),
        "verdicts": verdicts.count(),
        "published": verdicts.filter(status=VerdictStatus.PUBLISHED).count(),
        "corrected": verdicts.filter(corrects__isnull=False).count(),
    }


class DemoLoadError(FixtureError):
    """The load stopped after the accounts were committed: their passwords must still be shown."""

    def __init__(self, message: str, accounts: list[Account]) -> None:
        super().__init__(message)
        self.accounts = accounts


@dataclass
class _Plan:
    """Everything the load will write, checked before the first write."""

    texts: dict[str, str]  # source key -> the snapshot text it will get
    seeds: dict[str, SeedText]
    spans: dict[int, tuple[int, int]]  # id() of a fixture quote -> its offsets


VERDICT_STAGES = ("draft", "in_review", "sent_back", "approved", "published", "correction")


def plan_demo(fixture: dict, seeds_dir: Path | None) -> _Plan:
    """Check the whole fixture against the texts (anchors, keys, ratings, stages)."""
    seeds = seed_texts(fixture, seeds_dir)
    quotes = quotes_by_source(fixture)
    texts = {
        key: seeds[key].text if key in seeds else excerpt_text([q["quote"] for q in quotes[key]])
        for key in quotes
    }
    spans = {}
    titles = {s["key"]: s["seed"] or s["title"] for s in fixture["sources"]}
    for key, quoted_list in quotes.items():
        for quoted in quoted_list:
            spans[id(quoted)] = locate(texts[key], quoted, where=titles[key])
    claimants = {c["key"] for c in fixture["claimants"]}
    ratings = set(Rating.objects.filter(scale__is_default=True).values_list("slug", flat=True))
    claim_keys = {c["key"] for c in fixture["claims"]}
    for claim in fixture["claims"]:
        if claim["claimant"] not in claimants:
            raise FixtureError(f"{claim['key']}: unknown claimant {claim['claimant']!r}")
        if unknown := set(claim["topics"]) - set(fixture["topics"]):
            raise FixtureError(f"{claim['key']}: unknown topics {sorted(unknown)}")
        if any(e["source"] == claim["source"] for e in claim["evidence"]):
            raise FixtureError(f"{claim['key']}: evidence must come from another source")
        for n, verdict in enumerate(claim["verdicts"]):
            if verdict["rating"] not in ratings:
                raise FixtureError(f"{claim['key']}: unknown rating {verdict['rating']!r}")
            if verdict["stage"] not in VERDICT_STAGES:
                raise FixtureError(f"{claim['key']}: unknown verdict stage {verdict['stage']!r}")
            if (verdict["stage"] == "correction") != (n > 0):
                raise FixtureError(f"{claim['key']}: only a later verdict can be a correction")
            if any(i >= len(claim["evidence"]) for i in verdict.get("evidence", ())):
                raise FixtureError(f"{claim['key']}: a verdict rests on evidence the claim lacks")
    for relation in fixture["relations"]:
        if not {relation["from"], relation["to"]} <= claim_keys:
            raise FixtureError(f"relation between unknown claims: {relation}")
    return _Plan(texts, seeds, spans)


def load_demo(*, seeds_dir: Path | None, reset_passwords: bool = False) -> DemoResult:
    """Load the demo unless it is there already; the accounts are ensured either way.

    The fixture is checked against the texts before anything is written (a quote that
    cannot be anchored writes nothing). The writes then happen in the order a desk works,
    one transaction per step: the audit trail stamps every event with its transaction's
    start time, so one transaction for everything would give the whole history a single
    instant and no order. No audit context wraps the load either: pghistory merges nested
    contexts, which would credit every event to one actor; each service call sets its own.
    """
    fixture = load_fixture()
    plan = plan_demo(fixture, seeds_dir)
    with transaction.atomic():
        # New permissions reach the role groups of an existing database too.
        apply_roles(django_apps)
        accounts = ensure_accounts(reset_passwords=reset_passwords)
        existing = demo_sources(fixture)
        if existing and len(existing) < len(fixture["sources"]):
            found = {s.title for s in existing}
            missing = [s["title"] for s in fixture["sources"] if s["title"] not in found]
            raise FixtureError(
                "Part of the demo data is present, part is not (missing: "
                + "; ".join(missing)
                + "). Remove the demo sources or add the missing ones by hand."
            )
        result = DemoResult(loaded_now=not existing, accounts=accounts)
        users = {a.username: get_user_model().objects.get(username=a.username) for a in accounts}
        actors = _Actors(users[REVIEWER_USERNAME], users[EDITOR_USERNAME], users[SECOND_EDITOR_USERNAME])
        if not existing:
            snapshots = _add_sources(fixture, plan, actors.reviewer, result)
    if not existing:
        try:
            _add_claims_and_verdicts(fixture, plan, snapshots, actors)
        except DomainError as exc:
            raise DemoLoadError(f"The demo load stopped: {exc}", accounts) from exc
    result.counts = demo_counts(fixture)
    return result


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def _add_sources(fixture: dict, plan: _Plan, reviewer: AbstractBaseUser, result: DemoResult) -> dict:
    sources: dict[str, Source] = {}
    snapshots: dict[str, Snapshot] = {}
    for spec in fixture["sources"]:
        key = spec["key"]
        source = source_services.source_create(
            actor=reviewer,
            title=spec["title"],
            kind=spec["kind"],
            url=spec["url"],
            publisher=spec["publisher"],
            authors=spec["authors"],
            published_on=_date(spec["published_on"]),
            language=spec["language"],
            notes=spec["notes"],
            reason=REASON,
        )
        if key in plan.seeds:
            # The seed is a file handed to the system, not fetched from the web: an upload.
            origin = SnapshotOrigin.UPLOAD
            extraction = {"cleaned_by": "sources.cleaning", "seed": plan.seeds[key].filename}
            result.full_text_sources.append(key)
        else:
            origin = SnapshotOrigin.EXCERPT
            extraction = {
                "excerpt": True,
                "label": "Excerpt: quoted passages only, not the full text",
                "joined_with": EXCERPT_JOINER,
                "built_from": "claims/demo/demo.json",
                "note": spec.get("excerpt_note", "The full text was not available when the demo was loaded."),
            }
            result.excerpt_sources.append(key)
        snapshots[key], _ = source_services.snapshot_add(
            actor=reviewer,
            source=source,
            text=plan.texts[key],
            origin=origin,
            extraction=extraction,
            reason=REASON,
        )
        sources[key] = source
    for citation in fixture["citations"]:
        source_services.citation_add(
            actor=reviewer,
            citing=sources[citation["citing"]],
            cited=sources[citation["cited"]],
            note=citation["note"],
            reason=REASON,
        )
    return snapshots


def _add_claims_and_verdicts(fixture: dict, plan: _Plan, snapshots: dict, actors: _Actors) -> None:
    reviewer = actors.reviewer
    with transaction.atomic():
        topics = {name: services.topic_get_or_create(actor=reviewer, name=name) for name in fixture["topics"]}
        claimants = {}
        for spec in fixture["claimants"]:
            # Reuse a claimant someone already recorded under the same name.
            claimants[spec["key"]] = Claimant.objects.filter(
                name=spec["name"]
            ).first() or services.claimant_create(
                actor=reviewer,
                name=spec["name"],
                kind=spec["kind"],
                description=spec["description"],
                same_as=spec["same_as"],
            )
        claims: dict[str, Claim] = {}
        evidence: dict[str, list[Evidence]] = {}
        for spec in fixture["claims"]:
            claim = services.claim_create(
                actor=reviewer,
                **_anchored(plan, snapshots[spec["source"]], spec),
                statement=spec["statement"],
                claimant=claimants[spec["claimant"]],
                made_on=_date(spec["made_on"]),
                topics=[topics[name] for name in spec["topics"]],
            )
            claims[spec["key"]] = claim
            evidence[spec["key"]] = [
                services.evidence_add(
                    actor=reviewer,
                    claim=claim,
                    **_anchored(plan, snapshots[item["source"]], item),
                    stance=item["stance"],
                    note=item["note"],
                )
                for item in spec["evidence"]
            ]
        for relation in fixture["relations"]:
            services.claim_relate(
                actor=reviewer,
                from_claim=claims[relation["from"]],
                to_claim=claims[relation["to"]],
                kind=relation["kind"],
            )

    # Verdicts round by round (first verdicts, then corrections), each step of the workflow
    # in its own transaction, so that the history shows propose < submit < review < publish.
    rounds = max((len(spec["verdicts"]) for spec in fixture["claims"]), default=0)
    for n in range(rounds):
        todo = [
            (claims[s["key"]], s["verdicts"][n], evidence[s["key"]])
            for s in fixture["claims"]
            if len(s["verdicts"]) > n
        ]
        with transaction.atomic():
            verdicts = [
                services.verdict_propose(
                    actor=reviewer,
                    claim=claim,
                    rating=_rating(spec["rating"]),
                    rationale=spec["rationale"],
                    evidence=[items[i] for i in spec.get("evidence", ())],
                )
                for claim, spec, items in todo
            ]
        steps = list(zip(verdicts, (spec for _, spec, _ in todo), strict=True))
        with transaction.atomic():
            for verdict, spec in steps:
                if spec["stage"] != "draft":
                    services.verdict_submit(actor=reviewer, verdict=verdict)
        with transaction.atomic():
            for verdict, spec in steps:
                _review(verdict, spec, actors)
        with transaction.atomic():
            for verdict, spec in steps:
                if spec["stage"] == "published":
                    services.claim_publish(actor=actors.editor, claim=verdict.claim)
                elif spec["stage"] == "correction":
                    services.verdict_correct(
                        actor=actors.editor,
                        verdict=verdict,
                        public_note=spec["public_note"],
                        reason=spec["reason"],
                    )


def _review(verdict: Verdict, spec: dict, actors: _Actors) -> None:
    stage = spec["stage"]
    if stage == "sent_back":
        services.verdict_send_back(actor=actors.editor, verdict=verdict, comment=spec["review_comment"])
    elif stage in ("approved", "published", "correction"):
        # A correction is approved by an editor other than the one who publishes it.
        approver = actors.second_editor if stage == "correction" else actors.editor
        services.verdict_approve(actor=approver, verdict=verdict, comment=spec.get("review_comment", ""))


def _anchored(plan: _Plan, snapshot: Snapshot, quoted: dict) -> dict:
    start, end = plan.spans[id(quoted)]
    return {"snapshot": snapshot, "exact": quoted["quote"], "start": start, "end": end}


def _rating(slug: str) -> Rating:
    return Rating.objects.get(scale=RatingScale.objects.get(is_default=True), slug=slug)
