"""The default rating scale, created by a data migration (idempotent, re-applicable)."""

# The default rating scale: ordinal labels 1 (False) to 5 (True), ClaimReview's numbers, plus
# two labels the field needs that sit outside the order.
DEFAULT_SCALE = [
    # (label, slug, value, description)
    ("False", "false", 1, "The claim is not accurate."),
    (
        "Mostly false",
        "mostly-false",
        2,
        "The claim contains an element of truth but ignores facts that would give a different impression.",
    ),
    (
        "Half true",
        "half-true",
        3,
        "The claim is partially accurate but leaves out important details or takes things out of context.",
    ),
    (
        "Mostly true",
        "mostly-true",
        4,
        "The claim is accurate but needs clarification or additional information.",
    ),
    ("True", "true", 5, "The claim is accurate and nothing significant is missing."),
    (
        "Misleading",
        "misleading",
        None,
        "The facts stated may be accurate, but they are presented to leave a false impression.",
    ),
    (
        "Unverifiable",
        "unverifiable",
        None,
        "The available evidence can neither confirm nor refute the claim.",
    ),
]


def ensure_default_scale(apps) -> None:
    RatingScale = apps.get_model("claims", "RatingScale")
    Rating = apps.get_model("claims", "Rating")
    scale, _ = RatingScale.objects.get_or_create(
        slug="factcheck",
        defaults={
            "name": "factcheck rating scale",
            "is_default": True,
            "description": "Five ordinal ratings from False to True, and two labels outside the order.",
        },
    )
    for position, (label, slug, value, description) in enumerate(DEFAULT_SCALE):
        Rating.objects.get_or_create(
            scale=scale,
            slug=slug,
            defaults={"label": label, "value": value, "description": description, "position": position},
        )
