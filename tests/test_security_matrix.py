"""The role matrix: every persona against every admin page and action, every workspace and
workflow endpoint, every public page and every API endpoint. 0 unauthorised successes.

Endpoints are enumerated, not listed by hand: the admin's URL patterns (site and every model
admin), the public site's patterns, and the API's paths from its OpenAPI schema. What each
persona may do comes from the role permission sets in ``claims/roles.py`` plus the rules the
product states (public pages show only public data; the API needs a key; a newsroom key is
never an admin login; reviewers do not approve, publish or retract; nobody approves their own
verdict; outsiders get nothing).

Every request runs inside a savepoint that is rolled back afterwards, so an allowed write does
not change the world the next probe sees. Around it the whole database is fingerprinted (one
md5 per table, event tables included): a refused request must leave every table as it was, so
"no rows and no audit events" is checked for every refusal, not only a status code.
A write probe counts only once a superuser has shown that its payload really writes; otherwise
a refusal would prove nothing.
"""

import io
import json
import logging
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import lxml.html
import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.http import HttpResponse
from django.test import Client
from django.urls import URLPattern, reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from claims import services
from claims.models import Claim, RatingScale, Verdict, VerdictStatus
from claims.roles import ADMIN_APPS, EDITOR, REVIEWER, ROLE_PERMISSIONS
from claims.workspace.workflow import ACTIONS
from newsroom import services as newsroom_services
from newsroom.models import ExportJob, ImportedReview, WebhookDelivery
from sources.models import Job, JobKind, JobStatus, LinkCheck, LinkOutcome
from tests.factories import (
    TEXT,
    ClaimantFactory,
    ClaimFactory,
    EvidenceFactory,
    ReviewerFactory,
    SnapshotFactory,
    SourceFactory,
    UserFactory,
    default_rating,
)
from tests.publishing import SECRETS, build_site, publish

pytestmark = pytest.mark.django_db

SESSION_PERSONAS = ("reviewer", "editor", "administrator", "outsider")
KEY_PERSONAS = ("api_key", "revoked_key")
PERSONAS = (*SESSION_PERSONAS, "anonymous", *KEY_PERSONAS)
LOGIN_PATH = "/admin/login/"

# Tables whose rows a request may write without that being a success of anything: the
# session store and django-axes' login bookkeeping.
UNWATCHED_TABLES = {"django_session", "axes_accessattempt", "axes_accesslog", "axes_accessfailurelog"}
# ... and columns: when an API key was last used (written by authentication, before any refusal).
UNWATCHED_COLUMNS = {"newsroom_newsroomclient": ("last_used_at",)}


# --- Outcomes -------------------------------------------------------------------------------


@dataclass
class Probe:
    area: str  # "admin page", "admin write", "workflow", "public", "api"
    persona: str
    method: str
    url: str
    allowed: bool
    status: int = 0
    changed: bool = False
    note: str = ""

    @property
    def success(self) -> bool:
        """Reads succeed with a 200; writes succeed when the database changed."""
        if self.method in ("GET", "HEAD"):
            return self.status == 200
        return self.changed

    def __str__(self) -> str:
        return f"{self.persona:13} {self.method:6} {self.url} -> {self.status}{' (wrote)' if self.changed else ''}"


@dataclass
class Ledger:
    probes: list[Probe] = field(default_factory=list)

    def add(self, probe: Probe) -> Probe:
        self.probes.append(probe)
        return probe

    def unauthorised_successes(self) -> list[Probe]:
        return [p for p in self.probes if p.success and not p.allowed]

    def table(self, title: str) -> str:
        rows = Counter()
        for p in self.probes:
            rows[(p.persona, "checked")] += 1
            rows[(p.persona, "allowed ok" if p.allowed and p.success else "")] += 1
            rows[(p.persona, "refused")] += not p.success
            rows[(p.persona, "UNAUTHORISED")] += p.success and not p.allowed
        lines = [
            title,
            f"  {'persona':14}{'checked':>9}{'allowed ok':>12}{'refused':>9}{'UNAUTHORISED':>14}",
        ]
        for persona in PERSONAS:
            if rows[(persona, "checked")]:
                lines.append(
                    f"  {persona:14}{rows[(persona, 'checked')]:>9}{rows[(persona, 'allowed ok')]:>12}"
                    f"{rows[(persona, 'refused')]:>9}{rows[(persona, 'UNAUTHORISED')]:>14}"
                )
        return "\n".join(lines)


SUMMARY: list[str] = []
# Not a security finding, but every probe notices them: reported by the last test.
SERVER_ERRORS: list[str] = []


@pytest.fixture(autouse=True)
def _quiet_refusals() -> Iterator[None]:
    """Thousands of refusals are expected here: keep Django's per-request warnings out."""
    logger = logging.getLogger("django.request")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    yield
    logger.setLevel(level)


@pytest.fixture(scope="module", autouse=True)
def _print_summary(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None and SUMMARY:
        reporter.write_line("")
        for block in SUMMARY:
            reporter.write_line(block)


def report(ledger: Ledger, title: str) -> None:
    SUMMARY.append(ledger.table(title))
    bad = ledger.unauthorised_successes()
    assert not bad, "unauthorised successes:\n" + "\n".join(map(str, bad))


# --- Database fingerprint -------------------------------------------------------------------


def fingerprint_sql() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")
        tables = [t for (t,) in cursor.fetchall() if t not in UNWATCHED_TABLES]
    parts = []
    for name in tables:
        row = "to_jsonb(t)" + "".join(f" - '{c}'" for c in UNWATCHED_COLUMNS.get(name, ()))
        parts.append(
            f"(SELECT md5(coalesce(string_agg(({row})::text, '|' ORDER BY ({row})::text), '')) FROM \"{name}\" t)"
        )
    return "SELECT " + ", ".join(parts)


class World:
    """Everything a probe needs: objects in every state, personas, and a way to send one
    request inside a rolled-back savepoint while watching the database."""

    def __init__(self, users: dict[str, Any], keys: dict[str, str], objects: dict[str, Any]) -> None:
        self.users = users
        self.keys = keys
        self.objects = objects
        self._sql = fingerprint_sql()
        self._clients: dict[str, Client] = {}

    def fingerprint(self) -> tuple:
        with connection.cursor() as cursor:
            cursor.execute(self._sql)
            return cursor.fetchone()

    def client(self, persona: str) -> Client:
        if persona not in self._clients:
            if persona in KEY_PERSONAS:
                key = self.keys[persona]
                client = Client(
                    headers={"authorization": f"Api-Key {key}", "x-api-key": key},
                    raise_request_exception=False,
                )
            else:
                client = Client(raise_request_exception=False)
                if persona != "anonymous":
                    client.force_login(self.users[persona])
            self._clients[persona] = client
        return self._clients[persona]

    def send(
        self, persona: str, method: str, url: str, data: Any = None, **extra: Any
    ) -> tuple[HttpResponse, bool]:
        """The response, and whether the request changed any watched table (then undone)."""
        cache.clear()  # throttles and cached public pages start fresh for every probe
        client = self.client(persona)
        with transaction.atomic():
            before = self.fingerprint()
            if method == "GET":
                response = client.get(url, data or {}, **extra)
            else:
                response = getattr(client, method.lower())(url, data or {}, **extra)
            # A streamed export reads the database as it is consumed: consume it in here.
            raw = b"".join(response.streaming_content) if response.streaming else response.content
            response.body_text = raw.decode("utf-8", "replace")
            after = self.fingerprint()
            transaction.set_rollback(True)
        if response.status_code >= 500:
            SERVER_ERRORS.append(f"{persona} {method} {url} -> {response.status_code}")
        return response, before != after


# --- The world ------------------------------------------------------------------------------


def perms_of(persona: str) -> set[str]:
    """What a persona may do, from the role definitions (not from the database)."""
    if persona == "reviewer":
        return set(ROLE_PERMISSIONS[REVIEWER])
    if persona == "editor":
        return set(ROLE_PERMISSIONS[EDITOR])
    if persona == "administrator":
        return {
            f"{p.content_type.app_label}.{p.codename}"
            for p in Permission.objects.filter(content_type__app_label__in=ADMIN_APPS).select_related(
                "content_type"
            )
        }
    return set()


CLAIMREVIEW = {
    "@context": "https://schema.org",
    "@type": "ClaimReview",
    "url": "https://checker.example.net/checks/matrix",
    "claimReviewed": "Armenia left the CSTO in 2024.",
    "datePublished": "2024-03-01",
    "author": {"@type": "Organization", "name": "Checker Network"},
    "reviewRating": {
        "@type": "Rating",
        "ratingValue": 2,
        "worstRating": 1,
        "bestRating": 5,
        "alternateName": "Wrong",
    },
    "itemReviewed": {
        "@type": "Claim",
        "author": {"@type": "Person", "name": "A. Politician"},
        "datePublished": "2024-02-01",
        "firstAppearance": {
            "@type": "CreativeWork",
            "url": "https://news.example.am/story/m",
            "headline": "A story",
        },
    },
}


def in_review(claim: Claim, author: Any) -> Verdict:
    verdict = services.verdict_propose(
        actor=author, claim=claim, rating=default_rating(), rationale="Because."
    )
    return services.verdict_submit(actor=author, verdict=verdict)


@pytest.fixture
def world(reviewer, editor, second_editor, administrator, outsider, settings, tmp_path) -> World:
    settings.MEDIA_ROOT = tmp_path
    other_reviewer = ReviewerFactory(username="rex-reviewer")
    site = build_site(reviewer, editor, second_editor)
    objects: dict[str, Any] = dict(site)

    # A claim in every workflow state the actions need.
    objects["fresh"] = ClaimFactory(created_by=reviewer)
    EvidenceFactory(claim=objects["fresh"])
    objects["draft_verdict_claim"] = ClaimFactory()
    services.verdict_propose(
        actor=reviewer,
        claim=objects["draft_verdict_claim"],
        rating=default_rating(),
        rationale="Draft.",
        evidence=[EvidenceFactory(claim=objects["draft_verdict_claim"])],
    )
    # A draft verdict written by someone else: the reviewer persona may not edit it.
    objects["other_draft"] = services.verdict_propose(
        actor=other_reviewer, claim=ClaimFactory(), rating=default_rating(), rationale="Rex's draft."
    )
    objects["review_by_reviewer"] = ClaimFactory()
    in_review(objects["review_by_reviewer"], reviewer)
    for persona, user in (("editor", editor), ("administrator", administrator)):
        objects[f"review_by_{persona}"] = ClaimFactory()
        in_review(objects[f"review_by_{persona}"], user)
    objects["approved"] = ClaimFactory()
    services.verdict_approve(actor=second_editor, verdict=in_review(objects["approved"], reviewer))
    objects["correctable"] = ClaimFactory()
    publish(objects["correctable"], author=reviewer, editor=second_editor)
    services.verdict_approve(actor=second_editor, verdict=in_review(objects["correctable"], reviewer))

    # Ingestion, link checks, newsroom records, a two-factor device, so that every admin has a row.
    src = site["source"]
    objects["failed_job"] = Job.objects.create(
        kind=JobKind.FETCH,
        status=JobStatus.FAILED,
        source=src,
        input_url=src.url,
        error="HTTP 503",
        attempts=1,
    )
    LinkCheck.objects.create(source=src, checked_at=timezone.now(), outcome=LinkOutcome.DEAD, status_code=404)
    client, key = newsroom_services.client_create(actor=None, name="Daily Planet", rate="100000/hour")
    revoked, revoked_key = newsroom_services.client_create(actor=None, name="Old Gazette")
    newsroom_services.client_revoke(actor=None, client=revoked)
    WebhookDelivery.objects.create(
        client=client, event_id="6f1c1f1e-0000-4000-8000-000000000001", event_type="claim.published",
        claim_id=site["claim"].pk, attempt=1, url="https://hooks.example.org/x", outcome="delivered",
    )  # fmt: skip
    export = ExportJob.objects.create(
        format="ndjson", status=ExportJob.Status.SUCCEEDED, rows_total=1, rows_done=1
    )
    export.file.save("claims-matrix.ndjson", ContentFile(b"{}\n"))
    ImportedReview.objects.create(
        url="https://checker.example.net/checks/old",
        publisher="Checker",
        claim=site["retracted"],
        document={},
    )
    TOTPDevice.objects.create(user=second_editor, name="phone", confirmed=True)
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    AccessAttempt.objects.create(username="x", ip_address="10.0.0.1", failures_since_start=1)
    AccessLog.objects.create(username="x", ip_address="10.0.0.1")
    AccessFailureLog.objects.create(username="x", ip_address="10.0.0.1")

    # Rows nothing refers to, so that deleting one is something a superuser can do.
    SourceFactory(title="Unreferenced source")
    ClaimantFactory(name="Unreferenced claimant")
    RatingScale.objects.create(name="Spare scale", slug="spare-scale")

    root = UserFactory(username="root", is_superuser=True)
    users = {
        "reviewer": reviewer,
        "editor": editor,
        "administrator": administrator,
        "outsider": outsider,
        "root": root,
    }
    objects["api_client"] = client
    return World(users, {"api_key": key, "revoked_key": revoked_key}, objects)


def sample(model: type) -> Any:
    """The first row of a model (the world fixture made one of each)."""
    if model is Verdict:
        return Verdict.objects.filter(status=VerdictStatus.DRAFT, author__username="rex-reviewer").get()
    if model is Claim:
        return Claim.objects.get(statement=SECRETS["draft claim"])
    if model._meta.label == "pghistory.Events":
        return model.objects.across(apps.get_model("claims", "ClaimEvent")).first()
    return model._default_manager.order_by("pk").first()


# --- Admin pages ----------------------------------------------------------------------------

# Admins that write nothing through their forms, by design: immutable or machine-written rows.
READ_ONLY_ADMINS = {
    "sources.snapshot", "sources.job", "sources.linkcheck", "claims.verdictevidence", "claims.review",
    "newsroom.webhookdelivery", "newsroom.importedreview", "otp_totp.totpdevice", "pghistory.events",
    "axes.accessattempt", "axes.accesslog", "axes.accessfailurelog",
}  # fmt: skip
# Made from a passage of a source (annotation view) or from the claim page, never by "Add".
NO_ADD_FORM = {"claims.claim", "claims.evidence", "claims.verdict"}
# Snapshots never change, but a new text is added through the snapshot's paste form.
NO_ADD = (READ_ONLY_ADMINS - {"sources.snapshot"}) | NO_ADD_FORM
NO_DELETE = READ_ONLY_ADMINS - {"otp_totp.totpdevice", "newsroom.importedreview", "axes.accessattempt",
                                "axes.accesslog", "axes.accessfailurelog"} | {"claims.verdict"}  # fmt: skip
# Whoever may see sources may follow the jobs and link checks that brought them in.
VISIBLE_WITH_SOURCES = {"sources.job", "sources.linkcheck"}


def may(persona: str, perm: str) -> bool:
    return perm in perms_of(persona)


def may_view(persona: str, label: str) -> bool:
    app, model = label.split(".")
    if label in VISIBLE_WITH_SOURCES and may(persona, "sources.view_source"):
        return True
    return may(persona, f"{app}.view_{model}") or may(persona, f"{app}.change_{model}")


def may_module(persona: str, app_label: str) -> bool:
    return any(p.startswith(f"{app_label}.") for p in perms_of(persona)) or (
        app_label == "sources" and may(persona, "sources.view_source")
    )


CUSTOM_VIEW_RULES: dict[str, Callable[[str], bool]] = {
    "sources_source_annotate": lambda p: may(p, "sources.view_source"),
    "sources_job_ingest_url": lambda p: may(p, "sources.add_source"),
    "sources_job_ingest_upload": lambda p: may(p, "sources.add_source"),
    "sources_job_ingest_paste": lambda p: may(p, "sources.add_source"),
    "sources_job_retry": lambda p: False,  # POST only
    "claims_claim_workflow": lambda p: False,  # POST only
    "claims_claim_similar": lambda p: may(p, "claims.view_claim"),
    "claims_desk": lambda p: may(p, "claims.view_claim"),
    "newsroom_newsroomclient_rotate": lambda p: may(p, "newsroom.change_newsroomclient"),
    "newsroom_exportjob_download": lambda p: may(p, "newsroom.view_exportjob"),
    "newsroom_importedreview_upload": lambda p: may(p, "claims.publish_claim"),
    "auth_user_password_change": lambda p: may(p, "auth.change_user"),
}
# Pages of the admin any staff member has: their own password and two-factor settings.
ANY_STAFF = {"index", "password_change", "password_change_done", "jsi18n", "view_on_site"}


@dataclass
class AdminPage:
    name: str
    url: str
    rule: Callable[[str], bool]


def _param_names(pattern: URLPattern) -> list[str]:
    return list(pattern.pattern.regex.groupindex)


def admin_pages(world: World) -> list[AdminPage]:
    pages = []
    for pattern in admin.site.get_urls():
        if not isinstance(pattern, URLPattern) or not pattern.name:
            continue
        name, params = pattern.name, _param_names(pattern)
        if name == "app_list":
            for app_label in sorted({m._meta.app_label for m in admin.site._registry}):
                pages.append(
                    AdminPage(
                        f"app_list:{app_label}",
                        reverse("admin:app_list", kwargs={"app_label": app_label}),
                        lambda p, a=app_label: may_module(p, a),
                    )
                )
        elif name == "view_on_site":
            claim = world.objects["claim"]
            ct = ContentType.objects.get_for_model(Claim)
            url = reverse("admin:view_on_site", kwargs={"content_type_id": ct.pk, "object_id": claim.pk})
            pages.append(AdminPage(name, url, lambda p: False))  # a redirect, never a page
        elif name in ("login", "logout", "autocomplete"):
            continue  # login: below; logout is POST only; autocomplete: per field, below
        else:
            assert not params, f"admin URL {name} takes {params}: teach the matrix to fill them"
            pages.append(AdminPage(name, reverse(f"admin:{name}"), lambda p: True))
    for model, model_admin in admin.site._registry.items():
        label = model._meta.label_lower
        obj = sample(model)
        assert obj is not None, f"the world has no {label}: the matrix would skip its admin"
        prefix = f"{model._meta.app_label}_{model._meta.model_name}_"
        for pattern in model_admin.get_urls():
            if not pattern.name:
                continue
            name, params = pattern.name, _param_names(pattern)
            kinds = []
            if name in CUSTOM_VIEW_RULES:
                rule = CUSTOM_VIEW_RULES[name]
            else:
                kind = name.removeprefix(prefix)
                if kind in ("changelist", "change", "history"):
                    rule = lambda p, lb=label: may_view(p, lb)  # noqa: E731
                elif kind == "add":
                    rule = lambda p, lb=label: (  # noqa: E731
                        may(p, lb.replace(".", ".add_")) and lb not in NO_ADD
                    )
                elif kind == "delete":
                    rule = lambda p, lb=label: may(p, lb.replace(".", ".delete_")) and lb not in NO_DELETE  # noqa: E731
                else:
                    raise AssertionError(f"admin URL {name} has no rule in the matrix")
            kwargs = {}
            for param in params:
                if param in ("object_id", "pk", "id"):
                    kwargs[param] = obj.pk
                elif param == "action":
                    kinds = list(ACTIONS)
                else:
                    raise AssertionError(f"admin URL {name} takes {param}: teach the matrix to fill it")
            if name == "claims_claim_similar":
                pages.append(AdminPage(name, reverse(f"admin:{name}") + "?q=Belarus+arms", rule))
            elif kinds:
                for action in kinds:
                    pages.append(
                        AdminPage(name, reverse(f"admin:{name}", kwargs={**kwargs, "action": action}), rule)
                    )
            else:
                pages.append(AdminPage(name, reverse(f"admin:{name}", kwargs=kwargs), rule))
        # The autocomplete of every field the workspace offers one for.
        for field_name in model_admin.autocomplete_fields:
            remote = model._meta.get_field(field_name).remote_field.model
            url = reverse("admin:autocomplete") + (
                f"?app_label={model._meta.app_label}&model_name={model._meta.model_name}"
                f"&field_name={field_name}&term="
            )
            pages.append(
                AdminPage(
                    f"autocomplete:{label}.{field_name}",
                    url,
                    lambda p, r=remote: may_view(p, r._meta.label_lower),
                )
            )
    # The two-factor settings page: every staff member's own.
    pages.append(AdminPage("two-factor", reverse("accounts:two-factor"), lambda p: True))
    return pages


def test_admin_pages(world: World) -> None:
    ledger = Ledger()
    pages = admin_pages(world)
    assert len(pages) > 100
    wrong_refusals = []
    for page in pages:
        for persona in PERSONAS:
            staff = persona in SESSION_PERSONAS
            allowed = staff and page.rule(persona)
            response, changed = world.send(persona, "GET", page.url)
            probe = ledger.add(
                Probe("admin page", persona, "GET", page.url, allowed, response.status_code, changed)
            )
            if not staff:
                # Anonymous callers and newsroom keys only ever see the login page.
                assert response.status_code == 302 and response["Location"].startswith(LOGIN_PATH), str(probe)
            if allowed and not probe.success and response.status_code < 500:
                wrong_refusals.append(str(probe))
            assert not (changed and not allowed), f"a refused page wrote: {probe}"
        # The login page itself: open to anyone not logged in.
    for persona in ("anonymous", *KEY_PERSONAS):
        response, _ = world.send(persona, "GET", LOGIN_PATH)
        ledger.add(Probe("admin page", persona, "GET", LOGIN_PATH, True, response.status_code))
    report(ledger, f"Admin pages: {len(pages)} URLs x {len(PERSONAS)} personas")
    # The matrix is not vacuous: whoever the roles allow does get the page.
    assert not wrong_refusals, "allowed but refused:\n" + "\n".join(wrong_refusals)


# --- Writes through the admin and the workspace -------------------------------------------


@dataclass
class WriteProbe:
    name: str
    url: str
    data: dict[str, Any]
    rule: Callable[[str], bool]


def harvest(world: World, url: str) -> tuple[dict[str, list[str]], Any]:
    """The admin form on ``url`` as a superuser's browser would submit it unchanged."""
    response, _ = world.send("root", "GET", url)
    assert response.status_code == 200, f"{url} -> {response.status_code}"
    doc = lxml.html.fromstring(response.content.decode())
    form = next(f for f in doc.forms if (f.get("id") or "").endswith("_form"))
    data: dict[str, list[str]] = {}
    for name, value in form.form_values():
        data.setdefault(name, []).append(value)
    return data, form


def tweak(data: dict[str, list[str]], form: Any) -> bool:
    """Change one editable text of the main form (not an inline's, not the reason)."""
    # Text areas first (prose edits nothing else depends on), then one-line text boxes.
    candidates = sorted(form.inputs, key=lambda e: e.tag != "textarea")
    for element in candidates:
        name = element.get("name") or ""
        if (
            not name
            or "-" in name
            or name in ("change_reason", "slug", "username")
            or element.get("readonly") is not None
        ):
            continue
        if "vDateField" in (element.get("class") or "") or "vTimeField" in (element.get("class") or ""):
            continue
        if element.tag == "textarea" or (
            element.tag == "input" and element.get("type") in ("text", "url", "email")
        ):
            value = (data.get(name) or [""])[0]
            if element.get("type") == "url":
                data[name] = [(value or "https://example.org/x") + "/edited"]
            elif element.get("type") == "email":
                data[name] = ["edited." + (value or "x@example.org")]
            else:
                data[name] = [value + " (edited)"]
            return True
    return False


def deletable(world: World, model: type) -> Any:
    """A row of ``model`` a superuser can delete in the admin (one nothing protects)."""
    label = model._meta
    for obj in model._default_manager.order_by("-pk")[:6]:
        if getattr(obj, "is_superuser", False):
            continue  # only a superuser may delete a superuser (accounts/users.py)
        url = reverse(f"admin:{label.app_label}_{label.model_name}_delete", args=[obj.pk])
        _response, changed = world.send("root", "POST", url, {"post": "yes"})
        if changed:
            return obj
    return None


ADD_FIELDS: dict[str, Callable[[World], dict[str, Any]]] = {
    "sources.source": lambda w: {"title": "Added by the matrix", "url": "https://matrix.example.org/a", "kind": "article", "language": "en"},
    "sources.snapshot": lambda w: {"source": w.objects["sipri"].pk, "origin": "paste", "text": "New text from the matrix.", "change_reason": "probe"},
    "sources.citation": lambda w: {"citing": w.objects["sipri"].pk, "cited": w.objects["source"].pk, "note": "probe"},
    "claims.claimant": lambda w: {"name": "Matrix Person", "slug": "matrix-person", "kind": "person"},
    "claims.topic": lambda w: {"name": "Matrix topic", "slug": "matrix-topic"},
    "claims.claimrelation": lambda w: {"from_claim": w.objects["fresh"].pk, "to_claim": w.objects["approved"].pk, "kind": "same_as"},
    "claims.claimtopic": lambda w: {"claim": w.objects["fresh"].pk, "topic": w.objects["topic"].pk},
    "claims.ratingscale": lambda w: {"name": "Matrix scale", "slug": "matrix-scale"},
    "claims.rating": lambda w: {"scale": default_rating().scale_id, "label": "Matrix", "slug": "matrix", "position": "20"},
    "newsroom.newsroomclient": lambda w: {"name": "Matrix Times", "rate": "10/minute"},
    "newsroom.exportjob": lambda w: {"format": "csv"},
    "auth.user": lambda w: {"username": "matrix-user", "password1": "a-Long-pass-phrase-42", "password2": "a-Long-pass-phrase-42", "usable_password": "true"},
    "auth.group": lambda w: {"name": "Matrix group"},
}  # fmt: skip


def admin_write_probes(world: World) -> tuple[list[WriteProbe], list[str]]:
    probes, inert = [], []
    for model, model_admin in admin.site._registry.items():
        label = model._meta.label_lower
        app, name = model._meta.app_label, model._meta.model_name
        # Change: the superuser's own form, one text edited, with a reason.
        obj = sample(model)
        url = reverse(f"admin:{app}_{name}_change", args=[obj.pk])
        data, form = harvest(world, url)
        if tweak(data, form):
            data["change_reason"] = ["matrix probe"]
            rule = lambda p, lb=label: may(p, lb.replace(".", ".change_")) and lb not in READ_ONLY_ADMINS  # noqa: E731
            if label == "claims.verdict":
                # A draft verdict by another reviewer: only editors (and its author) edit it.
                rule = lambda p: may(p, "claims.review_verdict")  # noqa: E731
            probes.append(WriteProbe(f"change {label}", url, data, rule))
        else:
            inert.append(f"change {label}")
        # Delete: a row nothing protects.
        target = deletable(world, model)
        if target is None:
            inert.append(f"delete {label}")
        else:
            rule = lambda p, lb=label: may(p, lb.replace(".", ".delete_")) and lb not in NO_DELETE  # noqa: E731
            probes.append(
                WriteProbe(
                    f"delete {label}",
                    reverse(f"admin:{app}_{name}_delete", args=[target.pk]),
                    {"post": "yes"},
                    rule,
                )
            )
            # The same row through the changelist's bulk actions.
            for action in model_admin.get_actions(_request_as(world.users["root"])):
                if app == "axes" and action != "delete_selected":
                    continue  # its clean-up actions delete only expired records: delete_selected covers them
                changelist = reverse(f"admin:{app}_{name}_changelist")
                assert action in ACTION_RULES or action == "delete_selected", f"no rule for action {action}"
                rule = ACTION_RULES.get(action) or (
                    lambda p, lb=label: may(p, lb.replace(".", ".delete_")) and lb not in NO_DELETE
                )
                selected = ACTION_TARGETS.get(action, lambda w, t=target: t)(world)
                payload = {"action": action, "_selected_action": [selected.pk], "index": "0", "post": "yes"}
                probes.append(WriteProbe(f"action {action} on {label}", changelist, payload, rule))
        # Add: the superuser's empty form, filled in.
        if label in ADD_FIELDS:
            url = reverse(f"admin:{app}_{name}_add")
            data, _ = harvest(world, url)
            data.update({k: [str(v)] for k, v in ADD_FIELDS[label](world).items()})
            rule = lambda p, lb=label: may(p, lb.replace(".", ".add_")) and lb not in NO_ADD  # noqa: E731
            probes.append(WriteProbe(f"add {label}", url, data, rule))
    return probes, inert


def _request_as(user: Any) -> Any:
    from django.test import RequestFactory

    request = RequestFactory().get("/admin/")
    request.user = user
    return request


ACTION_RULES: dict[str, Callable[[str], bool]] = {
    "retry_jobs": lambda p: may(p, "sources.add_source"),
    "refetch_sources": lambda p: may(p, "sources.add_source"),
    "refetch": lambda p: may(p, "sources.add_source"),
    "check_again": lambda p: may(p, "sources.add_source"),
    "revoke_keys": lambda p: may(p, "newsroom.change_newsroomclient"),
}
ACTION_TARGETS: dict[str, Callable[[World], Any]] = {
    "retry_jobs": lambda w: w.objects["failed_job"],
    "refetch_sources": lambda w: w.objects["source"],
    "refetch": lambda w: LinkCheck.objects.get(),
    "check_again": lambda w: LinkCheck.objects.get(),
    "revoke_keys": lambda w: w.objects["api_client"],
}


def workspace_write_probes(world: World) -> list[WriteProbe]:
    o = world.objects

    def wf(claim: Claim, action: str) -> str:
        return reverse("admin:claims_claim_workflow", args=[claim.pk, action])

    def open_verdict(claim: Claim) -> int:
        return claim.verdicts.get(status__in=services.OPEN_VERDICT_STATUSES).pk

    editor_may = lambda perm: lambda p: may(p, perm)  # noqa: E731
    probes = [
        WriteProbe("workflow propose", wf(o["fresh"], "propose"),
                   {"rating": default_rating().pk, "rationale": "Matrix rationale."}, editor_may("claims.add_verdict")),
        WriteProbe("workflow submit (reviewer's draft)", wf(o["draft_verdict_claim"], "submit"),
                   {"verdict": open_verdict(o["draft_verdict_claim"])},
                   lambda p: p == "reviewer" or may(p, "claims.review_verdict")),
        WriteProbe("workflow publish", wf(o["approved"], "publish"), {}, editor_may("claims.publish_claim")),
        WriteProbe("workflow correct", wf(o["correctable"], "correct"),
                   {"verdict": open_verdict(o["correctable"]), "public_note": "Corrected.", "reason": "New data."},
                   editor_may("claims.publish_claim")),
        WriteProbe("workflow retract", wf(o["claim"], "retract"),
                   {"public_note": "Withdrawn.", "reason": "Matrix."}, editor_may("claims.publish_claim")),
    ]  # fmt: skip
    # Approve and send back: editors, never on a verdict they wrote themselves.
    for author in ("reviewer", "editor", "administrator"):
        claim = o[f"review_by_{author}"]
        for action, extra in (("approve", {"comment": "ok"}), ("send_back", {"comment": "Fix it."})):
            probes.append(
                WriteProbe(
                    f"workflow {action} ({author}'s verdict)",
                    wf(claim, action),
                    {"verdict": open_verdict(claim), **extra},
                    lambda p, a=author: may(p, "claims.review_verdict") and p != a,
                )
            )
    # The annotation view: a new claim from a passage, and a passage attached as evidence.
    snapshot = o["annotate_snapshot"]
    quote = "Russia supplied almost two-thirds of Azerbaijan's major arms"
    start = snapshot.text.index(quote)
    selection = {
        "snapshot_id": snapshot.pk,
        "sha256": snapshot.sha256,
        "start": start,
        "end": start + len(quote),
        "exact": quote,
    }
    annotate = reverse("admin:sources_source_annotate", args=[snapshot.source_id])
    probes += [
        WriteProbe("annotate: create claim", annotate,
                   {"op": "claim", **{f"claim-{k}": v for k, v in selection.items()},
                    "claim-statement": "Russia supplied two-thirds.", "claim-new_claimant": "SIPRI"},
                   lambda p: may(p, "claims.add_claim")),
        WriteProbe("annotate: attach evidence", annotate,
                   {"op": "evidence", **{f"evidence-{k}": v for k, v in selection.items()},
                    "evidence-claim": o["fresh"].pk, "evidence-stance": "context", "evidence-note": "n"},
                   lambda p: may(p, "claims.add_evidence")),
    ]  # fmt: skip
    # Ingestion, jobs, newsroom keys, imports, two-factor enrolment.
    probes += [
        WriteProbe("ingest paste", reverse("admin:sources_job_ingest_paste"),
                   {"title": "Pasted", "text": "Some pasted text.", "kind": "article", "language": "en"},
                   lambda p: may(p, "sources.add_source")),
        WriteProbe("ingest url", reverse("admin:sources_job_ingest_url"),
                   {"url": "https://matrix.example.org/fetch-me", "title": "", "kind": "article"},
                   lambda p: may(p, "sources.add_source")),
        WriteProbe("job retry", reverse("admin:sources_job_retry", args=[o["failed_job"].pk]), {},
                   lambda p: may(p, "sources.add_source")),
        WriteProbe("rotate API key", reverse("admin:newsroom_newsroomclient_rotate", args=[o["api_client"].pk]), {},
                   lambda p: may(p, "newsroom.change_newsroomclient")),
        WriteProbe("import ClaimReview", reverse("admin:newsroom_importedreview_upload"),
                   {"file": lambda: _upload("review.json", json.dumps(CLAIMREVIEW).encode())},
                   lambda p: may(p, "claims.publish_claim")),
        WriteProbe("two-factor enrolment (own)", reverse("accounts:two-factor-start"), {}, lambda p: True),
    ]  # fmt: skip
    return probes


def _upload(name: str, content: bytes) -> io.BytesIO:
    handle = io.BytesIO(content)
    handle.name = name
    return handle


def _materialise(data: dict[str, Any]) -> dict[str, Any]:
    # Uploaded files are read once: make a fresh one for every request.
    return {k: (v() if callable(v) else v) for k, v in data.items()}


def run_write_probes(
    world: World, probes: list[WriteProbe], area: str
) -> tuple[Ledger, list[str], list[str]]:
    ledger, inert, wrong_refusals = Ledger(), [], []
    for wp in probes:
        _, changed = world.send("root", "POST", wp.url, _materialise(wp.data))
        if not changed:
            inert.append(wp.name)
            continue
        for persona in PERSONAS:
            allowed = persona in SESSION_PERSONAS and wp.rule(persona)
            response, changed = world.send(persona, "POST", wp.url, _materialise(wp.data))
            probe = ledger.add(
                Probe(area, persona, "POST", f"{wp.url} [{wp.name}]", allowed, response.status_code, changed)
            )
            if allowed and not changed:
                wrong_refusals.append(str(probe))
    return ledger, inert, wrong_refusals


@pytest.fixture
def annotate_world(world: World) -> World:
    world.objects["annotate_snapshot"] = SnapshotFactory(source=SourceFactory(title="Unannotated"), text=TEXT)
    return world


def test_admin_writes(annotate_world: World) -> None:
    world = annotate_world
    probes, not_writable = admin_write_probes(world)
    ledger, inert, wrong_refusals = run_write_probes(world, probes, "admin write")
    report(
        ledger,
        f"Admin writes (change, add, delete, bulk actions): {len(probes)} probes x {len(PERSONAS)} personas",
    )
    # Every writable admin was exercised with a payload that really writes.
    assert not inert, f"probes that wrote nothing even for a superuser: {inert}"
    assert not wrong_refusals, "allowed but refused:\n" + "\n".join(wrong_refusals)
    SUMMARY.append(
        "  no probe (read-only by design, or no text field to edit): " + ", ".join(sorted(not_writable))
    )


def test_workspace_and_workflow_writes(annotate_world: World) -> None:
    world = annotate_world
    probes = workspace_write_probes(world)
    ledger, inert, wrong_refusals = run_write_probes(world, probes, "workflow")
    report(ledger, f"Workspace and workflow POSTs: {len(probes)} probes x {len(PERSONAS)} personas")
    assert not inert, f"probes that wrote nothing even for a superuser: {inert}"
    assert not wrong_refusals, "allowed but refused:\n" + "\n".join(wrong_refusals)


# --- The public site ------------------------------------------------------------------------


@dataclass
class PublicPage:
    url: str
    public: bool  # False: something only the desk may see; 404 for everyone here
    statuses: tuple[int, ...] = (200,)
    echo: str = ""  # a search term the page repeats back in its search box


def public_pages(world: World) -> list[PublicPage]:
    o = world.objects
    published, draft, retracted = o["claim"], o["draft"], o["retracted"]
    private_source = draft.snapshot.source
    by_name: dict[str, list[tuple[dict[str, Any], bool]]] = {
        "claim-detail": [
            ({"pk": published.pk, "slug": published.slug}, True),
            ({"pk": retracted.pk, "slug": retracted.slug}, True),  # a retraction notice is public
            ({"pk": draft.pk, "slug": draft.slug}, False),
        ],
        "claim-detail-short": [({"pk": draft.pk}, False)],
        "claimant-detail": [({"slug": published.claimant.slug}, True), ({"slug": "draft-claimant"}, False)],
        "topic-detail": [({"slug": "arms-trade"}, True), ({"slug": "draft-topic"}, False)],
        "source-detail": [({"pk": o["source"].pk}, True), ({"pk": private_source.pk}, False)],
        "source-snapshot": [
            ({"pk": o["source"].pk, "snapshot_id": published.snapshot_id}, True),
            ({"pk": private_source.pk, "snapshot_id": draft.snapshot_id}, False),
        ],
    }
    pages = []
    from claims import urls as public_urls

    for pattern in public_urls.urlpatterns:
        params = _param_names(pattern)
        if not params:
            pages.append(PublicPage(reverse(f"public:{pattern.name}"), True))
            continue
        assert pattern.name in by_name, f"public URL {pattern.name} takes {params}: teach the matrix"
        for kwargs, public in by_name[pattern.name]:
            pages.append(PublicPage(reverse(f"public:{pattern.name}", kwargs=kwargs), public))
    # Search and filters reach drafts only if a selector forgets the status.
    base = reverse("public:claim-list")
    for query in ("q=SECRET", f"q={SECRETS['draft claim']}", "topic=draft-topic", "claimant=draft-claimant"):
        # A filter naming a private topic or claimant is refused as an unknown choice.
        pages.append(PublicPage(f"{base}?{query}", True, (200, 400), query.partition("=")[2]))
    pages += [PublicPage("/healthz/live", True)]
    return pages


def test_public_pages(world: World) -> None:
    ledger = Ledger()
    pages = public_pages(world)
    leaks = []
    for page in pages:
        for persona in PERSONAS:
            response, changed = world.send(persona, "GET", page.url)
            ledger.add(Probe("public", persona, "GET", page.url, page.public, response.status_code, changed))
            assert not changed, f"a public page wrote: {persona} {page.url}"
            if page.public:
                assert response.status_code in page.statuses, (
                    f"{persona} {page.url} -> {response.status_code}"
                )
            else:
                # Not even the desk sees a draft on the public site: that is the admin's job.
                assert response.status_code == 404, f"{persona} {page.url} -> {response.status_code}"
            body = response.body_text.replace(page.echo, "") if page.echo else response.body_text
            leaks += [f"{persona} {page.url}: {what}" for what, secret in SECRETS.items() if secret in body]
            # The public site is read-only: every other method is refused and writes nothing.
            for method in ("POST", "PUT", "DELETE"):
                response, changed = world.send(persona, method, page.url)
                ledger.add(Probe("public", persona, method, page.url, False, response.status_code, changed))
    report(ledger, f"Public site: {len(pages)} URLs x {len(PERSONAS)} personas x 4 methods")
    assert not leaks, "private text on public pages:\n" + "\n".join(leaks)


# --- The newsroom API -----------------------------------------------------------------------


def api_paths(world: World) -> list[tuple[str, bool]]:
    """Every path of the OpenAPI schema, filled with a public and a private object."""
    from drf_spectacular.generators import SchemaGenerator

    o = world.objects
    schema = SchemaGenerator().get_schema(request=None, public=True)
    assert len(schema["paths"]) >= 10
    fills = {
        "/api/v1/claims/{id}/": [(o["claim"].pk, True), (o["retracted"].pk, True), (o["draft"].pk, False)],
        "/api/v1/sources/{id}/": [(o["source"].pk, True), (o["draft"].snapshot.source_id, False)],
        "/api/v1/claimants/{slug}/": [(o["claim"].claimant.slug, True), ("draft-claimant", False)],
        "/api/v1/topics/{slug}/": [("arms-trade", True), ("draft-topic", False)],
    }
    paths = [(path, True) for path in DOCS]
    for path in schema["paths"]:
        if "{" not in path:
            paths.append((path, True))
            continue
        assert path in fills, f"API path {path} has parameters: teach the matrix to fill them"
        for value, public in fills[path]:
            paths.append((path.replace("{id}", str(value)).replace("{slug}", str(value)), public))
    return paths


DOCS = ("/api/v1/schema/", "/api/v1/docs/", "/api/v1/redoc/")


@pytest.mark.parametrize("anonymous_rate", ["", "100000/hour"], ids=["keys-only", "anonymous-on"])
def test_api_endpoints(world: World, settings, anonymous_rate: str) -> None:
    settings.API_ANONYMOUS_RATE = anonymous_rate
    ledger, leaks = Ledger(), []
    paths = api_paths(world)
    for path, public in paths:
        for persona in PERSONAS:
            keyed = persona == "api_key" or (persona != "revoked_key" and bool(anonymous_rate))
            # The schema and its docs describe the API and show no data: open to all.
            allowed = public and (keyed or path in DOCS)
            response, changed = world.send(persona, "GET", path)
            ledger.add(Probe("api", persona, "GET", path, allowed, response.status_code, changed))
            if path in DOCS:
                assert response.status_code == 200, f"{persona} {path} -> {response.status_code}"
            elif persona == "revoked_key" or not keyed:
                # A staff session is not an API key: the API never shows them drafts either.
                assert response.status_code == 401, f"{persona} {path} -> {response.status_code}"
            else:
                assert response.status_code == (200 if public else 404), (
                    f"{persona} {path} -> {response.status_code}"
                )
            body = response.body_text
            leaks += [f"{persona} {path}: {what}" for what, secret in SECRETS.items() if secret in body]
            # Read-only: no method but GET does anything, whoever asks.
            for method in ("POST", "PUT", "PATCH", "DELETE"):
                response, changed = world.send(persona, method, path, content_type="application/json")
                ledger.add(Probe("api", persona, method, path, False, response.status_code, changed))
                assert response.status_code in (401, 403, 404, 405), (
                    f"{persona} {method} {path} -> {response.status_code}"
                )
    report(
        ledger,
        f"API ({anonymous_rate or 'keys only'}): {len(paths)} URLs x {len(PERSONAS)} personas x 5 methods",
    )
    assert not leaks, "private text in API answers:\n" + "\n".join(leaks)


def test_every_write_needs_a_csrf_token(annotate_world: World) -> None:
    """The probes above run without CSRF checks, as Django's test client does; a browser on
    another site gets none of them done, even with an administrator's session."""
    world = annotate_world
    probes = workspace_write_probes(world) + admin_write_probes(world)[0]
    client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    client.force_login(world.users["root"])
    for wp in probes:
        with transaction.atomic():
            before = world.fingerprint()
            response = client.post(wp.url, _materialise(wp.data))
            changed = world.fingerprint() != before
            transaction.set_rollback(True)
        assert response.status_code == 403 and not changed, f"{wp.name}: {response.status_code}"
    SUMMARY.append(
        f"CSRF: {len(probes)} write probes without a token, as a superuser: all refused (403), none wrote"
    )


def test_no_server_errors_during_the_matrix() -> None:
    """Runs last: no probe above, allowed or refused, made the server fail."""
    assert not SERVER_ERRORS, "server errors:\n" + "\n".join(dict.fromkeys(SERVER_ERRORS))
