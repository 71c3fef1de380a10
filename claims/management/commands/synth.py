"""``manage.py synth --claims N``: a synthetic corpus for benchmarks, written with COPY.

Sources, snapshots, claimants, topics, claims, evidence, verdicts and reviews in proportion
(one source per 10 claims, one claimant per 50, 2–4 evidence passages and 1–2 verdicts per
claim), with the text drawn from a vocabulary so that full-text search finds something.

The rows go through every constraint and trigger of the schema, as any other write does:
anchors are offsets into the generated snapshot texts (the anchor triggers check them), a
claim has at most one published verdict, reviewers never review their own verdict, and so on.
pghistory's triggers record every row, each under an audit context naming the synthetic user
who acted and the reason the services would have given. By default rows are inserted in their
final state (one insert event each); with ``--lifecycle`` claims and verdicts are inserted as
drafts and then walk the workflow (submitted, approved or sent back, published, corrected,
retracted) in set-based UPDATEs, for a history like the workflow's. Event rows all carry the
time of the run (``NOW()`` in the triggers); the domain rows carry realistic, spread-out
timestamps. bench/README.md has the proportions, the rules and the measured speed.

Synthetic rows are marked (source notes ``synthetic``, ``synthetic-`` slugs for claimants and
topics, ``synth-`` user names) so that ``--clear`` can delete them, and them only.
"""

import datetime as dt
import hashlib
import json
import math
import multiprocessing
import random
import re
import time
import uuid
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import psycopg
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import IntegrityError, connection, connections, transaction
from django.db.models import CASCADE, SET_NULL, Model

from claims.models import Claim, Claimant, Rating, RatingScale, Topic
from claims.roles import EDITOR, REVIEWER
from sources.models import Source

SYNTHETIC_NOTE = "synthetic"
SLUG_PREFIX = "synthetic-"
USER_PREFIX = "synth-"
URL_PREFIX = "https://synthetic.example.org/"

CLAIMS_PER_SOURCE = 10
CLAIMS_PER_CLAIMANT = 50
SENTENCES_PER_SNAPSHOT = 14  # the first CLAIMS_PER_SOURCE are the claims' quotes
SENTENCES_PER_PARAGRAPH = 4
REVIEWERS, EDITORS = 12, 6
CONTEXT_CHARS = 32  # as sources.anchoring.CONTEXT_CHARS

# --- Vocabulary --------------------------------------------------------------------------------
# Plain words plus a few typographic characters (’ – €), so that offsets are checked in
# characters, not bytes. No tab, backslash or carriage return: see _esc.

SUBJECTS = [
    "Azerbaijan", "Armenia", "Russia", "Belarus", "Israel", "Turkey", "Kazakhstan", "Georgia",
    "Iran", "Ukraine", "the CSTO", "NATO", "the European Union", "the United Nations",
    "the defence ministry", "the finance ministry", "the prime minister’s office",
    "the central bank", "the health agency", "the city council", "the opposition party",
    "the national statistics office", "the energy regulator", "the border service",
    "the state oil company", "the army", "the parliament", "the governor", "the trade union",
    "the port authority",
]  # fmt: skip
VERBS = [
    "spent", "imported", "exported", "supplied", "received", "cut", "raised", "lost", "added",
    "approved", "budgeted", "delivered", "sold", "bought", "promised", "withheld",
]  # fmt: skip
OBJECTS = [
    "of its arms imports", "in military aid", "worth of combat drones", "new jobs",
    "in hospital funding", "tonnes of grain", "barrels of oil a day", "in housing subsidies",
    "of electricity from renewables", "asylum applications", "teachers", "tanks and artillery systems",
    "in fuel subsidies", "in pension payments", "peacekeepers", "vaccine doses", "kilometres of railway",
    "in customs revenue", "in foreign loans", "air-defence batteries", "school places",
    "megawatts of solar capacity", "border guards", "in farm support",
]  # fmt: skip
TIMES = [
    "between 2011 and 2020", "in 2019", "last year", "over the same decade", "since 2010",
    "in the first quarter of 2023", "during the 2020 war", "before the ceasefire", "in 2016–2018",
    "after the 2010 reform", "this spring", "in the past five years", "by the end of 2021",
    "within a single year", "in the run-up to the election",
]  # fmt: skip
ATTRIBUTIONS = [
    "according to SIPRI", "according to the ministry", "the report says", "officials said",
    "data from the statistics office show", "a spokesperson claimed", "the minister told parliament",
    "a leaked memo suggests", "the auditors found", "the company’s annual report states",
    "analysts estimate", "the treaty text records",
]  # fmt: skip
ORGANISATIONS = [
    "SIPRI", "the IMF", "the World Bank", "Eurostat", "the OSCE", "the audit office", "Reuters",
    "the UN refugee agency", "the energy regulator", "the central bank", "Transparency International",
]  # fmt: skip
FIRST_NAMES = [
    "Nikol", "Ilham", "Anna", "Sergei", "Maria", "Levan", "Aliya", "Tomas", "Elena", "Ruben",
    "Leyla", "Dmitri", "Sofia", "Arman", "Nino", "Kamal", "Olga", "Jonas", "Zara", "Mehmet",
]  # fmt: skip
LAST_NAMES = [
    "Pashinyan", "Aliyev", "Petrova", "Lavrov", "Mammadova", "Beridze", "Nazarbayeva", "Novak",
    "Sargsyan", "Hasanov", "Ivanova", "Kowalski", "Gelashvili", "Yilmaz", "Karimova", "Smirnov",
]  # fmt: skip
ROLES = [
    "Prime Minister", "Defence Minister", "Member of Parliament", "Party spokesperson", "Governor",
    "Columnist", "Central bank governor", "Opposition leader", "Ambassador", "Analyst",
]  # fmt: skip
PUBLISHERS = [
    "The Daily Ledger", "Caucasus Courier", "Eurasia Review Weekly", "The Steppe Times",
    "Global Policy Monitor", "Baltic Tribune", "The Morning Wire", "Regional Observer",
]  # fmt: skip
TOPICS = [
    "defence", "arms trade", "energy", "economy", "health", "migration", "elections", "budget",
    "trade", "security", "diplomacy", "agriculture", "transport", "education", "climate", "housing",
]  # fmt: skip
SOURCE_KINDS = ["article"] * 6 + ["commentary", "report", "report", "statement", "dataset", "transcript"]
STANCES = ["supports"] * 35 + ["contradicts"] * 35 + ["context"] * 30
EVIDENCE_NOTES = [
    "The primary figures for the same period.",
    "Gives a different number for the same years.",
    "Shows the wider trend the claim leaves out.",
    "The official record the claim cites.",
    "",
]
ASSESSMENTS = {
    "false": "the figures say the opposite",
    "mostly-false": "the number is far from what the records show",
    "half-true": "the direction is right but the size is not",
    "mostly-true": "the figure is close, with a caveat about the period",
    "true": "the records confirm the figure",
    "misleading": "the figure is accurate but presented out of context",
    "unverifiable": "no public record confirms or refutes it",
}
# Weights of the verdict ratings, roughly as a fact-check desk's output.
RATING_WEIGHTS = {
    "false": 25,
    "mostly-false": 20,
    "half-true": 15,
    "mostly-true": 12,
    "true": 10,
    "misleading": 13,
    "unverifiable": 5,
}
SEND_BACK_COMMENTS = [
    "Cite the primary source for the figure.",
    "The rationale does not address the contradicting evidence.",
    "Check the period: the claim is about a different decade.",
]
# How a claim's story ends, with its share (per cent) of the corpus.
FATES = [
    ("draft", 8),  # a claim nobody has rated yet
    ("sent_back", 5),  # a draft verdict that an editor sent back
    ("in_review", 7),
    ("approved", 5),
    ("published", 65),
    ("corrected", 6),  # published, then a second verdict replaced the first
    ("correcting", 2),  # published, a correction waits in review
    ("retracted", 2),
]

HOUR, DAY = 3600, 86400


def _esc(value: str) -> str:
    """Escape a string for COPY's text format (only newlines occur in the generated text)."""
    if "\\" in value or "\t" in value or "\r" in value:
        raise ValueError("COPY text format: unexpected backslash, tab or carriage return")
    return value.replace("\n", "\\n") if "\n" in value else value


def _slug(text: str, limit: int = 80) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:limit].strip("-") or "claim"


_DAYS: dict[int, str] = {}


def _day(epoch: int) -> str:
    day = epoch // DAY
    text = _DAYS.get(day)
    if text is None:
        text = _DAYS[day] = dt.datetime.fromtimestamp(day * DAY, dt.UTC).strftime("%Y-%m-%d")
    return text


def _ts(epoch: int) -> str:
    """A UTC timestamp literal, cheaper than datetime.isoformat() a few million times over."""
    hours, rest = divmod(epoch % DAY, HOUR)
    return f"{_day(epoch)} {hours:02d}:{rest // 60:02d}:{rest % 60:02d}+00"


def _line(*values: Any) -> str:
    return "\t".join("\\N" if v is None else str(v) for v in values) + "\n"


# --- Tables and their COPY columns ---------------------------------------------------------------

# In the order they are written: a row's foreign keys are checked at commit (Django's are
# deferrable), but triggers look rows up at once: the anchor triggers read the snapshot, the
# review trigger reads the verdict, and a claim's search vector reads its published verdict.
COLUMNS: dict[str, tuple[str, ...]] = {
    "sources_source": (
        "id", "kind", "title", "url", "publisher", "authors", "published_on", "language", "notes",
        "current_snapshot_id", "created_by_id", "created_at", "updated_at",
    ),
    "sources_snapshot": (
        "id", "source_id", "text", "sha256", "retrieved_at", "origin", "extraction", "created_by_id",
        "created_at",
    ),
    "sources_citation": ("citing_id", "cited_id", "note", "created_at"),
    "claims_claimant": (
        "id", "name", "slug", "kind", "description", "same_as", "created_at", "updated_at",
    ),
    "claims_verdict": (
        "id", "claim_id", "rating_id", "original_rating_text", "rationale", "author_id", "status",
        "corrects_id", "public_note", "submitted_at", "approved_at", "published_at", "created_at",
        "updated_at",
    ),
    "claims_claim": (
        "id", "snapshot_id", "exact", "prefix", "suffix", "start", "end", "anchor_method",
        "is_orphaned", "statement", "slug", "claimant_id", "made_on", "status", "published_at",
        "retracted_at", "retraction_note", "public_changed_at", "created_by_id", "created_at",
        "updated_at",
    ),
    "claims_claimtopic": ("claim_id", "topic_id"),
    "claims_claimrelation": ("from_claim_id", "to_claim_id", "kind", "created_by_id", "created_at"),
    "claims_evidence": (
        "id", "claim_id", "snapshot_id", "exact", "prefix", "suffix", "start", "end", "anchor_method",
        "is_orphaned", "stance", "note", "added_by_id", "created_at", "updated_at",
    ),
    "claims_verdictevidence": ("verdict_id", "evidence_id"),
    "claims_review": ("verdict_id", "reviewer_id", "decision", "comment", "created_at"),
}  # fmt: skip

# The workflow steps, applied set-wise from the staging table; see Plan.change.
STEP_SQL = {
    "verdict": """
        UPDATE claims_verdict v SET
            status = s.status,
            submitted_at = CASE WHEN s.status = 'in_review' THEN s.at ELSE v.submitted_at END,
            approved_at = CASE WHEN s.status = 'approved' THEN s.at ELSE v.approved_at END,
            published_at = CASE WHEN s.status = 'published' THEN s.at ELSE v.published_at END,
            corrects_id = COALESCE(s.corrects_id, v.corrects_id),
            public_note = COALESCE(s.note, v.public_note),
            updated_at = s.at
        FROM synth_step s WHERE s.grp = %s AND v.id = s.obj_id
    """,
    "claim": """
        UPDATE claims_claim c SET
            status = s.status,
            published_at = CASE WHEN s.status = 'published' THEN COALESCE(c.published_at, s.at)
                                ELSE c.published_at END,
            public_changed_at = CASE WHEN s.status IN ('published', 'retracted') THEN s.at
                                     ELSE c.public_changed_at END,
            retracted_at = CASE WHEN s.status = 'retracted' THEN s.at ELSE c.retracted_at END,
            retraction_note = COALESCE(s.note, c.retraction_note),
            updated_at = s.at
        FROM synth_step s WHERE s.grp = %s AND c.id = s.obj_id
    """,
    "review": """
        INSERT INTO claims_review (verdict_id, reviewer_id, decision, comment, created_at)
        SELECT s.obj_id, s.actor_id, s.status, COALESCE(s.note, ''), s.at
        FROM synth_step s WHERE s.grp = %s ORDER BY s.obj_id
    """,
}
# Within one step: take the published verdict off before its successor is published (one
# published verdict per claim), then reviews, then the claims follow their verdicts.
STEP_ORDER = {
    ("verdict", "superseded"): 0,
    ("verdict", "retracted"): 0,
    ("review", ""): 1,
    ("verdict", ""): 2,
    ("claim", ""): 3,
}


@dataclass(frozen=True)
class Actor:
    id: int
    username: str


@dataclass(frozen=True)
class Step:
    """One transition of the workflow: who moved which verdict or claim to what, when, why."""

    step: int
    kind: str  # "verdict", "claim" or "review" (a review is inserted, with ``status`` its decision)
    obj_id: int  # the verdict's or claim's id (a review's verdict)
    status: str
    at: int
    actor: Actor
    reason: str
    corrects_id: int | None = None
    note: str | None = None  # a correction's public note, a retraction note, a review comment


@dataclass(frozen=True)
class ClaimDraft:
    claim_id: int
    source_index: int
    sentence: int
    author: Actor
    created: int
    fate: str
    passages: list[tuple[int, int, int]]  # (source index, start, end) of each evidence passage


VERDICTS_PER_FATE = {
    fate: 0 if fate == "draft" else 2 if fate in ("corrected", "correcting") else 1 for fate, _ in FATES
}


def _fold(steps: list[Step]) -> dict[str, Any]:
    """The state a verdict or a claim is left in by its steps (what STEP_SQL would write)."""
    state: dict[str, Any] = {}
    for s in sorted(steps, key=lambda s: (s.step, s.at)):
        at = _ts(s.at)
        state |= {"status": s.status, "updated_at": at}
        if s.status == "in_review":
            state["submitted_at"] = at
        elif s.status == "approved":
            state["approved_at"] = at
        elif s.status == "published":
            state.setdefault("published_at", at)
        if s.kind == "claim" and s.status in ("published", "retracted"):
            state["public_changed_at"] = at
        if s.kind == "claim" and s.status == "retracted":
            state["retracted_at"] = at
        if s.corrects_id is not None:
            state["corrects_id"] = s.corrects_id
        if s.note is not None:
            state["note"] = s.note
    return state


@dataclass
class Plan:
    """The rows of one batch: COPY lines by step, table and audit context; workflow changes."""

    copies: dict[int, dict[str, dict[tuple[Actor | None, str], list[str]]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(lambda: defaultdict(list)))
    )
    groups: dict[tuple[int, str, str, Actor, str], int] = field(default_factory=dict)
    step_lines: list[str] = field(default_factory=list)

    def insert(self, step: int, table: str, actor: Actor | None, reason: str, *values: Any) -> None:
        self.copies[step][table][(actor, reason)].append(_line(*values))

    def change(
        self,
        step: int,
        kind: str,
        obj_id: int,
        status: str,
        at: int,
        actor: Actor,
        reason: str,
        corrects_id: int | None = None,
        note: str | None = None,
    ) -> None:
        key = (step, kind, status, actor, reason)
        grp = self.groups.setdefault(key, len(self.groups))
        note = None if note is None else _esc(note)
        self.step_lines.append(_line(grp, obj_id, status, _ts(at), actor.id, corrects_id, note))

    def steps(self) -> list[int]:
        return sorted(set(self.copies) | {key[0] for key in self.groups})

    def groups_of(self, step: int) -> list[tuple[tuple[int, str, str, Actor, str], int]]:
        found = [(key, grp) for key, grp in self.groups.items() if key[0] == step]

        def order(item: tuple[tuple[int, str, str, Actor, str], int]) -> tuple[int, int]:
            (_, kind, status, _, _), grp = item
            return (STEP_ORDER.get((kind, status), STEP_ORDER[(kind, "")]), grp)

        return sorted(found, key=order)


@dataclass
class Corpus:
    """What every batch draws from: users, claimants, topics, ratings."""

    authors: list[Actor]
    editors: list[Actor]
    claimant_ids: list[int]
    topic_ids: list[int]
    ratings: list[tuple[int, str, str]]  # (id, slug, label)
    rating_weights: list[int]


class Writer:
    """Writes plans through one psycopg 3 cursor: COPY, set-based steps, audit contexts."""

    def __init__(self, cursor: Any) -> None:
        self.cur = cursor
        self.contexts: dict[tuple[int | None, str], str] = {}
        self.seconds: dict[str, float] = defaultdict(float)  # time spent per table or step

    def reserve_ids(self, table: str, count: int) -> list[int]:
        """Take ``count`` ids from the table's sequence, so rows can reference each other."""
        if count == 0:
            return []
        self.cur.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            (table, count),
        )
        return [row[0] for row in self.cur.fetchall()]

    def set_context(self, actor: Actor | None, reason: str) -> None:
        """Put the audit context in place for the next statements, as pghistory.context does
        (the same two transaction-local settings its triggers read)."""
        key = (actor.id if actor else None, reason)
        context_id = self.contexts.setdefault(key, str(uuid.uuid4()))
        metadata: dict[str, Any] = {"reason": reason, "synthetic": True}
        if actor:
            metadata |= {"user": actor.id, "username": actor.username}
        # pgtrigger.ignore: every pgtrigger trigger first reads it, and when it is unset the read
        # raises and is caught, a subtransaction per row that cost more than the rest of the
        # trigger. An empty list ignores nothing: every trigger still runs.
        self.cur.execute(
            "SELECT set_config('pghistory.context_id', %s, true), "
            "set_config('pghistory.context_metadata', %s, true), "
            "set_config('pgtrigger.ignore', '{}', true)",
            (context_id, json.dumps(metadata)),
        )

    def copy(self, table: str, lines: list[str], columns: Iterable[str] | None = None) -> int:
        names = ", ".join(f'"{name}"' for name in (columns or COLUMNS[table]))
        with self.cur.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for at in range(0, len(lines), 5000):
                copy.write("".join(lines[at : at + 5000]))
        return len(lines)

    def run(self, plan: Plan) -> dict[str, int]:
        """Write a plan: per step, its inserts, then its workflow changes, each in context."""
        written: dict[str, int] = defaultdict(int)
        self.cur.execute(
            "CREATE TEMP TABLE IF NOT EXISTS synth_step (grp int, obj_id bigint, status varchar(12),"
            " at timestamptz, actor_id int, corrects_id bigint, note text) ON COMMIT DELETE ROWS"
        )
        self.cur.execute("CREATE INDEX IF NOT EXISTS synth_step_grp ON synth_step (grp)")
        # ON COMMIT empties it, but inside an enclosing transaction (tests) nothing commits.
        self.cur.execute("TRUNCATE synth_step")
        self.copy(
            "synth_step",
            plan.step_lines,
            ("grp", "obj_id", "status", "at", "actor_id", "corrects_id", "note"),
        )
        self.cur.execute("ANALYZE synth_step")
        for step in plan.steps():
            # Tables in COLUMNS order, so that rows exist before the rows and triggers that
            # look them up (the anchor triggers read the snapshots).
            for table in COLUMNS:
                for (actor, reason), lines in plan.copies.get(step, {}).get(table, {}).items():
                    started = time.perf_counter()
                    self.set_context(actor, reason)
                    written[table] += self.copy(table, lines)
                    self.seconds[table] += time.perf_counter() - started
            for (_, kind, status, actor, reason), grp in plan.groups_of(step):
                started = time.perf_counter()
                self.set_context(actor, reason)
                self.cur.execute(STEP_SQL[kind], (grp,))
                written["claims_review" if kind == "review" else f"{kind} updates"] += self.cur.rowcount
                self.seconds[f"{kind} → {status}"] += time.perf_counter() - started
        return written


class Generator:
    """Builds the plan of each batch from a seeded random source."""

    def __init__(self, *, seed: int, corpus: Corpus, writer: Writer, now: int, lifecycle: bool) -> None:
        self.lifecycle = lifecycle
        self.seed = seed
        self.rng = random.Random(seed)  # noqa: S311 - reproducible test data, not secrets
        self.corpus = corpus
        self.writer = writer
        self.now = now
        self.fates = [name for name, share in FATES for _ in range(share)]

    # -- text

    def clause(self) -> str:
        """An assertion, e.g. "the army bought $310 million worth of combat drones in 2019"."""
        rng = self.rng
        return (
            f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {self.quantity()} "
            f"{rng.choice(OBJECTS)} {rng.choice(TIMES)}"
        )

    def sentence(self) -> tuple[str, str]:
        """A sentence for a snapshot, and the plain statement of what it asserts."""
        rng = self.rng
        clause = self.clause()
        statement = f"{clause[0].upper()}{clause[1:]}."
        form = rng.randrange(3)
        if form == 0:
            text = f"{statement[:-1]}, {rng.choice(ATTRIBUTIONS)}."
        elif form == 1:
            text = f"According to {rng.choice(ORGANISATIONS)}, {clause}."
        else:
            text = f"“{statement[:-1]},” {rng.choice(ATTRIBUTIONS)}."
        return text, statement

    def quantity(self) -> str:
        rng = self.rng
        form = rng.randrange(5)
        if form == 0:
            return f"about {rng.randrange(1, 99)}.{rng.randrange(10)}%"
        if form == 1:
            return f"€{rng.randrange(1, 50)}.{rng.randrange(10)} billion"
        if form == 2:
            return f"${rng.randrange(10, 999)} million"
        if form == 3:
            return f"{rng.randrange(1, 99)},{rng.randrange(1000):03d}"
        return rng.choice(["two-thirds", "half", "a third", "a quarter", "almost all", "none"])

    def snapshot_text(self, title: str) -> tuple[str, list[tuple[int, int, str]]]:
        """A document of sentences in paragraphs; returns it with each sentence's span."""
        parts, spans, at = [title, "\n\n"], [], len(title) + 2
        for index in range(SENTENCES_PER_SNAPSHOT):
            if index and index % SENTENCES_PER_PARAGRAPH == 0:
                parts.append("\n\n")
                at += 2
            elif index:
                parts.append(" ")
                at += 1
            text, statement = self.sentence()
            parts.append(text)
            spans.append((at, at + len(text), statement))
            at += len(text)
        return "".join(parts), spans

    # -- a batch

    def batch(self, claims: int, index: int) -> Plan:
        """One transaction's worth: ``claims`` claims with their sources, evidence, verdicts.

        Each batch has its own random source, seeded from the seed and the batch's index, so
        the corpus is the same however many processes write it.
        """
        self.rng = random.Random(f"{self.seed}-{index}")  # noqa: S311 - as above
        rng, corpus, plan, writer = self.rng, self.corpus, Plan(), self.writer
        authors = corpus.authors
        source_count = max(2, math.ceil(claims / CLAIMS_PER_SOURCE))
        source_ids = writer.reserve_ids("sources_source", source_count)
        snapshot_ids = writer.reserve_ids("sources_snapshot", source_count)
        claim_ids = writer.reserve_ids("claims_claim", claims)

        # Sources and their snapshots.
        texts: list[tuple[str, list[tuple[int, int, str]]]] = []
        source_times: list[int] = []
        for source_id, snapshot_id in zip(source_ids, snapshot_ids, strict=True):
            published = rng.randrange(self.now - 3 * 365 * DAY, self.now - 130 * DAY)
            retrieved = published + rng.randrange(HOUR, 2 * DAY)
            title = self.sentence()[1][:-1]
            text, spans = self.snapshot_text(title)
            texts.append((text, spans))
            source_times.append(retrieved)
            actor = rng.choice(authors)
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            plan.insert(
                0, "sources_source", actor, "source added",
                source_id, rng.choice(SOURCE_KINDS), _esc(title), f"{URL_PREFIX}s/{source_id}",
                rng.choice(PUBLISHERS), f"{first} {last}", _day(published), "en", SYNTHETIC_NOTE,
                snapshot_id, actor.id, _ts(retrieved), _ts(retrieved),
            )  # fmt: skip
            plan.insert(
                0, "sources_snapshot", actor, "snapshot taken",
                snapshot_id, source_id, _esc(text), hashlib.sha256(text.encode()).hexdigest(),
                _ts(retrieved), "fetch", '{"extractor": "synthetic"}', actor.id, _ts(retrieved),
            )  # fmt: skip
            if rng.random() < 0.2:
                cited = rng.choice(source_ids)
                if cited != source_id:
                    plan.insert(
                        0, "sources_citation", actor, "citation added",
                        source_id, cited, "Figures taken from the cited report.", _ts(retrieved),
                    )  # fmt: skip

        # First pass: who says what, where, when, and how the story ends; ids come after.
        drafts: list[ClaimDraft] = []
        for index, claim_id in enumerate(claim_ids):
            source_index = index // CLAIMS_PER_SOURCE
            created = source_times[source_index] + rng.randrange(HOUR, 20 * DAY)
            # Evidence comes from other sources, one passage each (distinct snapshots keep the
            # (claim, snapshot, start, end) passages unique).
            others = [i for i in rng.sample(range(source_count), min(5, source_count)) if i != source_index]
            passages = [(i, *rng.choice(texts[i][1])[:2]) for i in others[: rng.randint(2, 4)]]
            drafts.append(
                ClaimDraft(claim_id, source_index, index % CLAIMS_PER_SOURCE, rng.choice(authors),
                           created, rng.choice(self.fates), passages)
            )  # fmt: skip
        evidence_ids = iter(writer.reserve_ids("claims_evidence", sum(len(d.passages) for d in drafts)))
        verdict_ids = iter(
            writer.reserve_ids("claims_verdict", sum(VERDICTS_PER_FATE[d.fate] for d in drafts))
        )

        for draft in drafts:
            claim_id, author, created = draft.claim_id, draft.author, draft.created
            text, spans = texts[draft.source_index]
            start, end, statement = spans[draft.sentence]
            for topic_id in rng.sample(corpus.topic_ids, min(len(corpus.topic_ids), rng.randint(1, 2))):
                plan.insert(0, "claims_claimtopic", author, "claim created", claim_id, topic_id)
            if rng.random() < 0.02:
                other = rng.choice(claim_ids)
                if other != claim_id:
                    kind = rng.choice(["same_as", "contradicts", "depends_on"])
                    plan.insert(
                        0, "claims_claimrelation", author, "claims related",
                        claim_id, other, kind, author.id, _ts(created),
                    )  # fmt: skip
            evidence = []
            for other_index, e_start, e_end in draft.passages:
                evidence_id = next(evidence_ids)
                evidence.append(evidence_id)
                other_text = texts[other_index][0]
                plan.insert(
                    0, "claims_evidence", author, "evidence added",
                    evidence_id, claim_id, snapshot_ids[other_index], _esc(other_text[e_start:e_end]),
                    _esc(other_text[max(0, e_start - CONTEXT_CHARS) : e_start]),
                    _esc(other_text[e_end : e_end + CONTEXT_CHARS]), e_start, e_end, "given", "f",
                    rng.choice(STANCES), rng.choice(EVIDENCE_NOTES), author.id, _ts(created + HOUR),
                    _ts(created + HOUR),
                )  # fmt: skip

            steps = self.workflow(plan, draft, evidence, verdict_ids)
            claim = _fold([s for s in steps if s.kind == "claim"]) if not self.lifecycle else {}
            plan.insert(
                0, "claims_claim", author, "claim created",
                claim_id, snapshot_ids[draft.source_index], _esc(text[start:end]),
                _esc(text[max(0, start - CONTEXT_CHARS) : start]), _esc(text[end : end + CONTEXT_CHARS]),
                start, end, "given", "f", _esc(statement), _slug(statement),
                rng.choice(corpus.claimant_ids), _day(source_times[draft.source_index]),
                claim.get("status", "draft"), claim.get("published_at"), claim.get("retracted_at"),
                _esc(claim.get("note") or ""), claim.get("public_changed_at"), author.id, _ts(created),
                claim.get("updated_at", _ts(created)),
            )  # fmt: skip
        return plan

    def workflow(
        self, plan: Plan, draft: "ClaimDraft", evidence: list[int], verdict_ids: Iterator[int]
    ) -> list[Step]:
        """A claim's verdicts and the steps they took, as claims.services would have made them.

        Writes the verdicts (and, without --lifecycle, their reviews) into the plan; returns
        every step, for the claim's final state or, with --lifecycle, to be replayed.
        """
        if draft.fate == "draft":
            return []
        rng, corpus, claim_id, author = self.rng, self.corpus, draft.claim_id, draft.author
        reviewer = rng.choice([e for e in corpus.editors if e != author])
        publisher = rng.choice(corpus.editors)
        steps: list[Step] = []

        def step(
            n: int, kind: str, obj: int, status: str, at: int, actor: Actor, reason: str, **kw: Any
        ) -> None:
            steps.append(Step(n, kind, obj, status, at, actor, reason, **kw))

        first = next(verdict_ids)
        proposed = draft.created + rng.randrange(HOUR, 3 * DAY)
        submitted = proposed + rng.randrange(HOUR, 2 * DAY)
        reviewed = submitted + rng.randrange(HOUR, 2 * DAY)
        published = reviewed + rng.randrange(600, DAY)
        later = published + rng.randrange(DAY, 90 * DAY)
        verdicts = [(first, 0, proposed)]
        step(1, "verdict", first, "in_review", submitted, author, "verdict submitted for review")
        step(1, "claim", claim_id, "in_review", submitted, author, "verdict submitted for review")
        fate = draft.fate
        if fate == "sent_back":
            comment = rng.choice(SEND_BACK_COMMENTS)
            step(2, "review", first, "send_back", reviewed, reviewer, comment, note=comment)
            step(2, "verdict", first, "draft", reviewed, reviewer, comment)
            step(2, "claim", claim_id, "draft", reviewed, reviewer, comment)
        elif fate != "in_review":
            step(2, "review", first, "approve", reviewed, reviewer, "verdict approved")
            step(2, "verdict", first, "approved", reviewed, reviewer, "verdict approved")
            step(2, "claim", claim_id, "approved", reviewed, reviewer, "verdict approved")
        if fate in ("published", "corrected", "correcting", "retracted"):
            step(3, "verdict", first, "published", published, publisher, "claim published")
            step(3, "claim", claim_id, "published", published, publisher, "claim published")
        if fate == "retracted":
            note = "This fact-check quoted the claim out of context and has been withdrawn."
            step(6, "verdict", first, "retracted", later, publisher, "quote misattributed")
            step(6, "claim", claim_id, "retracted", later, publisher, "quote misattributed", note=note)
        if fate in ("corrected", "correcting"):
            # A correction: a second verdict, proposed, reviewed and published in place of the first.
            second = next(verdict_ids)
            verdicts.append((second, 4, later))
            submitted = later + rng.randrange(HOUR, DAY)
            step(5, "verdict", second, "in_review", submitted, author, "verdict submitted for review")
            if fate == "corrected":
                reviewed = submitted + rng.randrange(HOUR, DAY)
                step(6, "review", second, "approve", reviewed, reviewer, "verdict approved")
                step(6, "verdict", second, "approved", reviewed, reviewer, "verdict approved")
                corrected = reviewed + rng.randrange(600, DAY)
                reason = "new figures published"
                step(7, "verdict", first, "superseded", corrected, publisher, reason)
                rating_note = "We changed the rating: newer figures were published."
                step(
                    7,
                    "verdict",
                    second,
                    "published",
                    corrected,
                    publisher,
                    reason,
                    corrects_id=first,
                    note=rating_note,
                )
                step(7, "claim", claim_id, "published", corrected, publisher, reason)

        for verdict_id, at_step, at in verdicts:
            final = (
                {}
                if self.lifecycle
                else _fold([s for s in steps if s.kind == "verdict" and s.obj_id == verdict_id])
            )
            self.propose(
                plan, at_step if self.lifecycle else 0, verdict_id, claim_id, author, at, evidence, final
            )
        for s in steps:
            if self.lifecycle:
                plan.change(
                    s.step, s.kind, s.obj_id, s.status, s.at, s.actor, s.reason, s.corrects_id, s.note
                )
            elif s.kind == "review":
                plan.insert(
                    0,
                    "claims_review",
                    s.actor,
                    s.reason,
                    s.obj_id,
                    s.actor.id,
                    s.status,
                    s.note or "",
                    _ts(s.at),
                )
        return steps

    def propose(
        self,
        plan: Plan,
        step: int,
        verdict_id: int,
        claim_id: int,
        author: Actor,
        at: int,
        evidence: list[int],
        final: dict[str, Any],
    ) -> None:
        rng = self.rng
        _, slug, label = rating = self.rating()
        rationale = (
            f"{label}. {ASSESSMENTS[slug][0].upper()}{ASSESSMENTS[slug][1:]}: figures from "
            f"{rng.choice(ORGANISATIONS)} show that {self.clause()}, while "
            f"{rng.choice(ORGANISATIONS)} reports {self.quantity()} {rng.choice(OBJECTS)}. "
            "See the evidence cited."
        )
        plan.insert(
            step, "claims_verdict", author, "verdict proposed",
            verdict_id, claim_id, rating[0], "", _esc(rationale), author.id, final.get("status", "draft"),
            final.get("corrects_id"), _esc(final.get("note") or ""), final.get("submitted_at"),
            final.get("approved_at"), final.get("published_at"), _ts(at), final.get("updated_at", _ts(at)),
        )  # fmt: skip
        for evidence_id in rng.sample(evidence, min(len(evidence), rng.randint(1, 2))):
            plan.insert(step, "claims_verdictevidence", author, "verdict proposed", verdict_id, evidence_id)

    def rating(self) -> tuple[int, str, str]:
        return self.rng.choices(self.corpus.ratings, weights=self.corpus.rating_weights)[0]


# --- Set-up and clean-up ---------------------------------------------------------------------------


def synthetic_users() -> tuple[list[Actor], list[Actor]]:
    """The desk of the synthetic corpus: inactive accounts with unusable passwords."""
    User = get_user_model()
    groups = {name: Group.objects.get(name=name) for name in (REVIEWER, EDITOR)}
    made: dict[str, list[Actor]] = {REVIEWER: [], EDITOR: []}
    for role, count in ((REVIEWER, REVIEWERS), (EDITOR, EDITORS)):
        for n in range(1, count + 1):
            username = f"{USER_PREFIX}{role.lower()}-{n:02d}"
            user, created = User.objects.get_or_create(
                username=username, defaults={"is_active": False, "is_staff": False}
            )
            if created:
                user.set_unusable_password()
                user.save(update_fields=["password"])
                user.groups.add(groups[role])
            made[role].append(Actor(user.pk, username))
    return made[REVIEWER] + made[EDITOR], made[EDITOR]


def purge(cur: Any, model: type[Model], ids_sql: str, params: tuple, tables: set[str], deleted: dict) -> None:
    """Delete the rows of ``model`` whose id is in ``ids_sql``, doing first what ``on_delete``
    asks of the rows that refer to them (in every app, those of other features included).

    Plain SQL statements, one per table, rather than the ORM's collector, which would load
    millions of objects; every statement still fires the tables' triggers (history included).
    """
    # Every reverse foreign key, hidden ones (related_name="+") included, as Django's own
    # deletion collector finds them. Explicit through models come as their foreign keys.
    relations = [
        f
        for f in model._meta.get_fields(include_hidden=True)
        if f.auto_created and not f.concrete and (f.one_to_many or f.one_to_one)
    ]
    for rel in relations:
        related = rel.related_model
        table = related._meta.db_table
        if table not in tables:  # a model whose migration has not run here
            continue
        column = rel.field.column
        refs = f"SELECT {related._meta.pk.column} FROM {table} WHERE {column} IN ({ids_sql})"
        if rel.on_delete is CASCADE:
            purge(cur, related, refs, params, tables, deleted)
        elif rel.on_delete is SET_NULL:
            cur.execute(f"UPDATE {table} SET {column} = NULL WHERE {column} IN ({ids_sql})", params)
        # PROTECT, DO_NOTHING (the event tables' copies): left alone; a row that still refers
        # to a deleted one fails the foreign key at commit and the whole clear rolls back.
    for m2m in model._meta.many_to_many:
        through = m2m.remote_field.through
        if through._meta.auto_created and through._meta.db_table in tables:
            cur.execute(
                f"DELETE FROM {through._meta.db_table} WHERE {m2m.m2m_column_name()} IN ({ids_sql})",
                params,
            )
    cur.execute(f"DELETE FROM {model._meta.db_table} WHERE {model._meta.pk.column} IN ({ids_sql})", params)
    deleted[model._meta.db_table] += cur.rowcount


def clear_corpus(writer: Writer) -> dict[str, int]:
    """Delete every synthetic row (and only those); returns rows deleted per table.

    The delete events stay in the event tables: history is append-only.
    """
    cur = writer.cur
    deleted: dict[str, int] = defaultdict(int)
    tables = set(connection.introspection.table_names(cur))
    writer.set_context(None, "synthetic corpus cleared")
    for name in ("synth_sources", "synth_claims"):
        cur.execute(f"DROP TABLE IF EXISTS {name}")
    # The marked sources, and the claims quoted from them, fixed before anything is deleted.
    cur.execute(
        "CREATE TEMP TABLE synth_sources ON COMMIT DROP AS "
        "SELECT id FROM sources_source WHERE notes = %s AND url LIKE %s",
        (SYNTHETIC_NOTE, URL_PREFIX + "%"),
    )
    cur.execute(
        "CREATE TEMP TABLE synth_claims ON COMMIT DROP AS SELECT c.id FROM claims_claim c "
        "JOIN sources_snapshot s ON s.id = c.snapshot_id WHERE s.source_id IN (SELECT id FROM synth_sources)"
    )
    cur.execute("ANALYZE synth_sources")
    cur.execute("ANALYZE synth_claims")
    purge(cur, Claim, "SELECT id FROM synth_claims", (), tables, deleted)
    purge(cur, Source, "SELECT id FROM synth_sources", (), tables, deleted)
    marked = "SELECT id FROM {} WHERE slug LIKE %s"
    purge(cur, Claimant, marked.format("claims_claimant"), (SLUG_PREFIX + "%",), tables, deleted)
    purge(cur, Topic, marked.format("claims_topic"), (SLUG_PREFIX + "%",), tables, deleted)
    User = get_user_model()
    users = f"SELECT id FROM {User._meta.db_table} WHERE username LIKE %s AND NOT is_active"
    purge(cur, User, users, (USER_PREFIX + "%",), tables, deleted)
    # Check the deferred foreign keys now rather than at commit, so that a real row still
    # referring to a synthetic one fails here, inside the atomic block; then defer them again
    # for whatever else the enclosing transaction does (Django's are all initially deferred).
    cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
    cur.execute("SET CONSTRAINTS ALL DEFERRED")
    return deleted


# --- Writing batches, in this process or in a pool of them ----------------------------------------

# What every batch needs besides its index: set before the batches run (and inherited by forked
# processes), so that only (index, size) crosses process boundaries.
_WORKER: dict[str, Any] = {}


def write_batch(index_and_size: tuple[int, int]) -> tuple[int, dict[str, int], dict[str, float], float]:
    """Generate and write one batch in its own transaction; returns what the report needs."""
    index, size = index_and_size
    started = time.perf_counter()
    writer = Writer(connection.cursor().cursor)
    generator = Generator(
        seed=_WORKER["seed"],
        corpus=_WORKER["corpus"],
        writer=writer,
        now=_WORKER["now"],
        lifecycle=_WORKER["lifecycle"],
    )
    with transaction.atomic():
        plan = generator.batch(size, index)
        writer.seconds["python: building rows"] += time.perf_counter() - started
        written = writer.run(plan)
        commit_started = time.perf_counter()
    writer.seconds["commit (deferred checks)"] += time.perf_counter() - commit_started
    return size, dict(written), dict(writer.seconds), time.perf_counter() - started


# --- The command -------------------------------------------------------------------------------


class Command(BaseCommand):
    help = "Generate (or --clear) a synthetic corpus for benchmarks, written with COPY."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--claims", type=int, default=0, help="How many claims to generate.")
        parser.add_argument("--seed", type=int, default=1, help="Random seed (same seed, same corpus).")
        parser.add_argument(
            "--batch", type=int, default=50_000, help="Claims per transaction (default 50000)."
        )
        parser.add_argument("--clear", action="store_true", help="Delete a previous synthetic corpus first.")
        parser.add_argument(
            "--jobs",
            type=int,
            default=1,
            help="Processes writing batches at once, each with its own connection (default 1).",
        )
        parser.add_argument(
            "--lifecycle",
            action="store_true",
            help="Insert claims and verdicts as drafts and replay every workflow step as an UPDATE "
            "(a fuller audit history, several times slower). Without it, rows are inserted in "
            "their final state: one insert event each.",
        )

    def handle(
        self,
        *args: Any,
        claims: int,
        seed: int,
        batch: int,
        clear: bool,
        lifecycle: bool,
        jobs: int,
        **options: Any,
    ) -> None:
        self.verbosity = options["verbosity"]
        if claims < 0:
            raise CommandError("--claims must be 0 or more.")
        if batch < 1:
            raise CommandError("--batch must be at least 1.")
        if jobs < 1:
            raise CommandError("--jobs must be at least 1.")
        if jobs > 1 and connection.in_atomic_block:
            raise CommandError("--jobs above 1 writes from other connections: not inside a transaction.")
        if not claims and not clear:
            raise CommandError("Say how many claims to generate (--claims N), or --clear.")
        # psycopg 3's own cursor, for COPY; it shares Django's connection and transactions.
        writer = Writer(connection.cursor().cursor)
        if clear:
            started = time.perf_counter()
            try:
                with transaction.atomic():
                    deleted = clear_corpus(writer)
            except (IntegrityError, psycopg.IntegrityError) as error:  # Django's or the raw cursor's
                raise CommandError(
                    f"Nothing was deleted: rows outside the synthetic corpus refer to it. {error}"
                ) from error
            self.stdout.write(
                f"cleared the synthetic corpus in {time.perf_counter() - started:.1f}s: "
                + ", ".join(f"{table} {count}" for table, count in deleted.items() if count)
            )
        if claims:
            self.generate(writer, claims=claims, seed=seed, batch=batch, lifecycle=lifecycle, jobs=jobs)

    def generate(
        self, writer: Writer, *, claims: int, seed: int, batch: int, lifecycle: bool, jobs: int
    ) -> None:
        started = time.perf_counter()
        now = int(time.time())
        with transaction.atomic():
            corpus, claimants = self.setup(writer, claims=claims, seed=seed, now=now)
        totals: dict[str, int] = defaultdict(int)
        totals["claims_claimant"] = claimants
        seconds: dict[str, float] = defaultdict(float)
        batches = [(index, min(batch, claims - at)) for index, at in enumerate(range(0, claims, batch))]
        _WORKER.update(corpus=corpus, seed=seed, now=now, lifecycle=lifecycle)
        if jobs > 1:
            # Each process opens its own connection; none may inherit the parent's.
            connections.close_all()
            pool = multiprocessing.get_context("fork").Pool(min(jobs, len(batches)))
            results = pool.imap_unordered(write_batch, batches)
        else:
            pool, results = None, map(write_batch, batches)
        done = 0
        try:
            for size, written, batch_seconds, elapsed in results:
                done += size
                for table, count in written.items():
                    totals[table] += count
                for name, value in batch_seconds.items():
                    seconds[name] += value
                rows = sum(written.values())
                self.stdout.write(
                    f"{done}/{claims} claims: {rows} rows in {elapsed:.1f}s ({rows / elapsed:,.0f} rows/s)"
                )
        finally:
            if pool is not None:
                if done < claims:  # a batch failed: stop the others (committed batches stay)
                    pool.terminate()
                else:
                    pool.close()
                pool.join()
        after_started = time.perf_counter()
        self.after(writer if jobs == 1 else Writer(connection.cursor().cursor))
        seconds["analyze"] += time.perf_counter() - after_started
        elapsed = time.perf_counter() - started
        rows = sum(totals.values())
        self.stdout.write(
            f"done: {claims} claims, {rows} rows (+ as many audit events) in {elapsed:.1f}s "
            f"({rows / elapsed:,.0f} rows/s, {claims / elapsed:,.0f} claims/s, {jobs} process(es))"
        )
        for table, count in sorted(totals.items()):
            self.stdout.write(f"  {table}: {count}")
        if self.verbosity > 1:
            self.stdout.write("time per table and workflow step (summed over processes):")
            for name, value in sorted(seconds.items(), key=lambda item: -item[1]):
                self.stdout.write(f"  {name}: {value:.2f}s")

    def setup(self, writer: Writer, *, claims: int, seed: int, now: int) -> tuple[Corpus, int]:
        """Users, topics and claimants: the small tables every batch draws from."""
        authors, editors = synthetic_users()
        scale = RatingScale.objects.get(is_default=True)
        ratings = [
            (r.pk, r.slug, r.label)
            for r in Rating.objects.filter(scale=scale, slug__in=RATING_WEIGHTS).order_by("position")
        ]
        if not ratings:
            raise CommandError("The default rating scale has none of the expected labels.")
        rng, cur = random.Random(f"{seed}-setup"), writer.cur  # noqa: S311 - as above
        writer.set_context(None, "topic added")
        cur.execute(
            "INSERT INTO claims_topic (name, slug) SELECT * FROM unnest(%s::text[], %s::text[]) "
            "ON CONFLICT DO NOTHING",
            ([f"{t.capitalize()} (synthetic)" for t in TOPICS], [SLUG_PREFIX + _slug(t) for t in TOPICS]),
        )
        cur.execute("SELECT id FROM claims_topic WHERE slug LIKE %s ORDER BY id", (SLUG_PREFIX + "%",))
        topic_ids = [row[0] for row in cur.fetchall()]

        count = max(1, math.ceil(claims / CLAIMS_PER_CLAIMANT))
        claimant_ids = writer.reserve_ids("claims_claimant", count)
        lines = []
        for claimant_id in claimant_ids:
            if rng.random() < 0.7:
                name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
                kind, description = "person", rng.choice(ROLES)
            else:
                name = f"{rng.choice(PUBLISHERS)} editorial board"
                kind, description = "organization", "Publisher"
            slug = f"{SLUG_PREFIX}{_slug(name, 90)}-{claimant_id}"
            lines.append(_line(claimant_id, name, slug, kind, description, "", _ts(now), _ts(now)))
        writer.set_context(None, "claimant added")
        writer.copy("claims_claimant", lines)
        # Every claim's search-vector trigger looks its claimant up: plan that with true sizes.
        cur.execute("ANALYZE claims_claimant")
        cur.execute("ANALYZE claims_topic")
        corpus = Corpus(
            authors=authors,
            editors=editors,
            claimant_ids=claimant_ids,
            topic_ids=topic_ids,
            ratings=ratings,
            rating_weights=[RATING_WEIGHTS[slug] for _, slug, _ in ratings],
        )
        return corpus, count

    def after(self, writer: Writer) -> None:
        # Fresh planner statistics: benchmarks right after a big load otherwise measure guesses.
        for table in (*COLUMNS, "claims_review"):
            writer.cur.execute(f"ANALYZE {table}")
        from claims import selectors

        refresh = getattr(selectors, "refresh_search_vectors", None)
        if refresh is not None:
            started = time.perf_counter()
            refresh()
            self.stdout.write(f"search vectors refreshed in {time.perf_counter() - started:.1f}s")
