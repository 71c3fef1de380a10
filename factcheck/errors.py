class DomainError(Exception):
    """A rule of the domain refused an action. Nothing was written.

    ``field`` names the input at fault when there is one, so that the admin can attach the
    message to a form field and the API can name the field in its 400 body.
    """

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def __str__(self) -> str:
        return self.message


class PermissionDenied(DomainError):
    """The acting user's role does not allow the action."""
