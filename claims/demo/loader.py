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
from sources import services as source_services
from sources.models import Snapshot, SnapshotOrigin, Source

EDITOR_USERNAME = "demo-editor"
REVIEWER_USERNAME = "demo-reviewer"
SECOND_EDITOR_USERNAME = "demo-editor-2"
ACCOUNTS = ((EDITOR_USERNAME, EDITOR), (REVIEWER_USERNAME, REVIEWER), (SECOND_EDITOR_USERNAME, EDITOR))
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


def load_demo(*, seeds_dir: Path | None, reset_passwords: bool = False) -> DemoResult:
    """Load the demo unless it is there already; the accounts are ensured either way.

    One transaction: a quote that cannot be anchored leaves nothing behind, accounts
    included, so no password is printed for an account that does not exist.
    """
    fixture = load_fixture()
    # No audit context around the whole load: pghistory merges nested contexts into one,
    # which would credit every event to one actor; each service call sets its own.
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
        if not existing:
            users = {a.username: get_user_model().objects.get(username=a.username) for a in accounts}
            actors = _Actors(users[REVIEWER_USERNAME], users[EDITOR_USERNAME], users[SECOND_EDITOR_USERNAME])
            _build(fixture, seed_texts(fixture, seeds_dir), actors, result)
        result.counts = demo_counts(fixture)
    return result


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def _build(fixture: dict, texts: dict[str, SeedText], actors: _Actors, result: DemoResult) -> None:
    reviewer = actors.reviewer
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

    snapshots: dict[str, Snapshot] = {}
    sources: dict[str, Source] = {}
    quotes = quotes_by_source(fixture)
    for spec in fixture["sources"]:
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
        key = spec["key"]
        if key in texts:
            # The seed is a file handed to the system, not fetched from the web: an upload.
            snapshot, _ = source_services.snapshot_add(
                actor=reviewer,
                source=source,
                text=texts[key].text,
                origin=SnapshotOrigin.UPLOAD,
                extraction={"cleaned_by": "sources.cleaning", "seed": texts[key].filename},
                reason=REASON,
            )
            result.full_text_sources.append(key)
        else:
            snapshot, _ = source_services.snapshot_add(
                actor=reviewer,
                source=source,
                text=excerpt_text([q["quote"] for q in quotes[key]]),
                origin=SnapshotOrigin.EXCERPT,
                extraction={
                    "excerpt": True,
                    "label": "Excerpt: quoted passages only, not the full text",
                    "joined_with": EXCERPT_JOINER,
                    "built_from": "claims/demo/demo.json",
                    "note": spec.get(
                        "excerpt_note", "The full text was not available when the demo was loaded."
                    ),
                },
                reason=REASON,
            )
            result.excerpt_sources.append(key)
        sources[key], snapshots[key] = source, snapshot

    for citation in fixture["citations"]:
        source_services.citation_add(
            actor=reviewer,
            citing=sources[citation["citing"]],
            cited=sources[citation["cited"]],
            note=citation["note"],
            reason=REASON,
        )

    claims: dict[str, Claim] = {}
    for spec in fixture["claims"]:
        claims[spec["key"]] = _claim(spec, snapshots, claimants, topics, actors)

    for relation in fixture["relations"]:
        services.claim_relate(
            actor=reviewer,
            from_claim=claims[relation["from"]],
            to_claim=claims[relation["to"]],
            kind=relation["kind"],
            reason=REASON,
        )


def _anchored(snapshot: Snapshot, quoted: dict) -> dict:
    where = f"the snapshot of {snapshot.source.title!r}"
    start, end = locate(snapshot.text, quoted, where=where)
    return {"snapshot": snapshot, "exact": quoted["quote"], "start": start, "end": end}


def _claim(spec: dict, snapshots: dict, claimants: dict, topics: dict, actors: _Actors) -> Claim:
    claim = services.claim_create(
        actor=actors.reviewer,
        **_anchored(snapshots[spec["source"]], spec),
        statement=spec["statement"],
        claimant=claimants[spec["claimant"]],
        made_on=_date(spec["made_on"]),
        topics=[topics[name] for name in spec["topics"]],
        reason=REASON,
    )
    evidence = [
        services.evidence_add(
            actor=actors.reviewer,
            claim=claim,
            **_anchored(snapshots[item["source"]], item),
            stance=item["stance"],
            note=item["note"],
            reason=REASON,
        )
        for item in spec.get("evidence", ())
    ]
    for verdict_spec in spec.get("verdicts", ()):
        _verdict(claim, verdict_spec, evidence, actors)
    return claim


def _rating(slug: str) -> Rating:
    return Rating.objects.get(scale=RatingScale.objects.get(is_default=True), slug=slug)


def _verdict(claim: Claim, spec: dict, evidence: list[Evidence], actors: _Actors) -> Verdict:
    """Walk one verdict through the workflow up to its ``stage``."""
    stage = spec["stage"]
    verdict = services.verdict_propose(
        actor=actors.reviewer,
        claim=claim,
        rating=_rating(spec["rating"]),
        rationale=spec["rationale"],
        evidence=[evidence[i] for i in spec.get("evidence", ())],
        reason=REASON,
    )
    if stage == "draft":
        return verdict
    verdict = services.verdict_submit(actor=actors.reviewer, verdict=verdict, reason=REASON)
    if stage == "in_review":
        return verdict
    if stage == "sent_back":
        return services.verdict_send_back(
            actor=actors.editor, verdict=verdict, comment=spec["review_comment"]
        )
    # A correction is approved by an editor other than the one who publishes it.
    approver = actors.second_editor if stage == "correction" else actors.editor
    verdict = services.verdict_approve(
        actor=approver, verdict=verdict, comment=spec.get("review_comment", "")
    )
    if stage == "approved":
        return verdict
    if stage == "published":
        services.claim_publish(actor=actors.editor, claim=claim, reason=REASON)
    elif stage == "correction":
        verdict = services.verdict_correct(
            actor=actors.editor, verdict=verdict, public_note=spec["public_note"], reason=spec["reason"]
        )
    else:
        raise FixtureError(f"Unknown verdict stage {stage!r} for claim {claim.statement[:60]!r}")
    return verdict
