"""The reviewer workspace: the admin's custom views and the pieces the model admins share.

``base`` holds the audited ModelAdmin every registered model uses; ``workflow`` the claim
page's actions; ``annotate`` the annotation view of a source; ``desk`` the morning queues.
Every write goes through ``claims.services`` / ``sources.services`` or, for plain edits, inside
``factcheck.audit.audit_context`` with the acting user and the reason typed in the form.
"""
