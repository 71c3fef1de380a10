"""The desk's roles as permission sets. Applied by a data migration; ``apply_roles`` takes an
app registry (a migration's historical ``apps`` or ``django.apps.apps``) and is idempotent, so
``manage.py demo`` and the tests can re-apply it."""

REVIEWER = "Reviewer"
EDITOR = "Editor"
ADMINISTRATOR = "Administrator"

_VIEW_ALL = [
    f"{app}.view_{model}"
    for app, models in {
        "sources": ["source", "snapshot", "citation", "job", "linkcheck"],
        "claims": [
            "claimant",
            "topic",
            "claim",
            "claimtopic",
            "claimrelation",
            "evidence",
            "ratingscale",
            "rating",
            "verdict",
            "verdictevidence",
            "review",
        ],
    }.items()
    for model in models
]

_REVIEWER_WRITE = [
    "sources.add_source",
    "sources.change_source",
    "sources.add_snapshot",
    "sources.add_citation",
    "sources.change_citation",
    "sources.delete_citation",
    # Ingestion jobs: queue a fetch, upload or paste, and retry a failed one.
    "sources.add_job",
    "sources.change_job",
    "claims.add_claimant",
    "claims.change_claimant",
    "claims.add_topic",
    "claims.change_topic",
    "claims.add_claim",
    "claims.change_claim",
    "claims.add_claimtopic",
    "claims.delete_claimtopic",
    "claims.add_claimrelation",
    "claims.delete_claimrelation",
    "claims.add_evidence",
    "claims.change_evidence",
    "claims.delete_evidence",
    "claims.add_verdict",
    "claims.change_verdict",
    "claims.add_verdictevidence",
    "claims.delete_verdictevidence",
]

_EDITOR_EXTRA = [
    "claims.review_verdict",
    "claims.publish_claim",
    "claims.add_review",
    "claims.add_ratingscale",
    "claims.change_ratingscale",
    "claims.add_rating",
    "claims.change_rating",
    # Bulk exports for partners, and the record of imported ClaimReviews.
    "newsroom.view_exportjob",
    "newsroom.add_exportjob",
    "newsroom.view_importedreview",
]

ROLE_PERMISSIONS: dict[str, list[str]] = {
    REVIEWER: _VIEW_ALL + _REVIEWER_WRITE,
    EDITOR: _VIEW_ALL + _REVIEWER_WRITE + _EDITOR_EXTRA,
}
# Administrators get every permission of these apps: user management, API clients and their
# keys, authenticator devices.
ADMIN_APPS = ("sources", "claims", "newsroom", "auth", "otp_totp")


def apply_roles(apps, *, only_existing: bool = False) -> None:
    """Create or update the role groups (works with a migration's historical ``apps``).

    ``only_existing`` is for the first data migration, which runs before the models of later
    migrations (ingestion jobs, newsroom) exist; the migration that adds them applies the
    full set. Everywhere else a missing permission is an error.
    """
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")

    def lookup(codes: list[str]) -> list:
        wanted = {tuple(code.split(".", 1)) for code in codes}
        found = [
            p
            for p in Permission.objects.filter(
                content_type__app_label__in={app for app, _ in wanted}
            ).select_related("content_type")
            if (p.content_type.app_label, p.codename) in wanted
        ]
        missing = wanted - {(p.content_type.app_label, p.codename) for p in found}
        if missing and not only_existing:
            raise RuntimeError(f"permissions missing for roles: {sorted(missing)}")
        return found

    for name, codes in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set(lookup(codes))
    admin, _ = Group.objects.get_or_create(name=ADMINISTRATOR)
    admin.permissions.set(Permission.objects.filter(content_type__app_label__in=ADMIN_APPS))
