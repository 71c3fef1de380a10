from django.dispatch import Signal

# Sent after the transaction that changed what the public sees of a claim has committed.
# Arguments: ``claim_id`` (int) and ``change`` ("published", "corrected" or "retracted").
# Receivers enqueue side effects (webhooks, cache purges); they never run inside the write.
public_change = Signal()
