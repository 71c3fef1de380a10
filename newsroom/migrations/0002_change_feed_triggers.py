"""The change feed's triggers (see newsroom.models.PublicChange and docs/api.md).

1. ``newsroom_claim_public_change`` (on claims_claim): every insert or update that changes a
   public claim's status or ``public_changed_at`` appends a row to newsroom_publicchange, in
   the same transaction, whatever code path wrote it.
2. ``newsroom_publicchange_sequence`` (deferred to commit): takes a transaction-level advisory
   lock, then numbers the row from a sequence and stamps ``committed_at``. The lock is held
   until the transaction has committed and become visible, so numbers become visible in
   increasing order: a sync cursor ``seq > n`` can never skip a row that commits late. The
   lock serialises only the last instant of publishing transactions.
"""

from django.db import migrations

# An arbitrary constant that names the change-feed lock among advisory locks.
LOCK_KEY = 4_731_220_061

SQL = f"""
CREATE SEQUENCE newsroom_publicchange_seq;

CREATE FUNCTION newsroom_claim_public_change() RETURNS trigger AS $$
DECLARE
    kind text;
BEGIN
    IF NEW.status NOT IN ('published', 'retracted') THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'INSERT' THEN
        kind := CASE WHEN NEW.status = 'retracted' THEN 'retracted' ELSE 'published' END;
    ELSE
        IF OLD.status IS NOT DISTINCT FROM NEW.status
           AND OLD.public_changed_at IS NOT DISTINCT FROM NEW.public_changed_at THEN
            RETURN NULL;
        END IF;
        kind := CASE
            WHEN NEW.status = 'retracted' THEN 'retracted'
            WHEN OLD.status = 'published' THEN 'corrected'
            ELSE 'published'
        END;
    END IF;
    INSERT INTO newsroom_publicchange (claim_id, change) VALUES (NEW.id, kind);
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER newsroom_claim_public_change
    AFTER INSERT OR UPDATE ON claims_claim
    FOR EACH ROW EXECUTE FUNCTION newsroom_claim_public_change();

CREATE FUNCTION newsroom_publicchange_sequence() RETURNS trigger AS $$
BEGIN
    PERFORM pg_advisory_xact_lock({LOCK_KEY});
    UPDATE newsroom_publicchange
       SET seq = nextval('newsroom_publicchange_seq'), committed_at = clock_timestamp()
     WHERE id = NEW.id;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE CONSTRAINT TRIGGER newsroom_publicchange_sequence
    AFTER INSERT ON newsroom_publicchange
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION newsroom_publicchange_sequence();

-- Claims already public when the feed starts enter it once, in publication order.
INSERT INTO newsroom_publicchange (claim_id, change)
SELECT id, CASE WHEN status = 'retracted' THEN 'retracted' ELSE 'published' END
  FROM claims_claim
 WHERE status IN ('published', 'retracted')
 ORDER BY public_changed_at NULLS FIRST, id;
"""

REVERSE_SQL = """
DROP TRIGGER IF EXISTS newsroom_publicchange_sequence ON newsroom_publicchange;
DROP FUNCTION IF EXISTS newsroom_publicchange_sequence();
DROP TRIGGER IF EXISTS newsroom_claim_public_change ON claims_claim;
DROP FUNCTION IF EXISTS newsroom_claim_public_change();
DROP SEQUENCE IF EXISTS newsroom_publicchange_seq;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("newsroom", "0001_clients_deliveries_exports_change_feed"),
        ("claims", "0003_roles_and_default_scale"),
    ]

    operations = [migrations.RunSQL(SQL, REVERSE_SQL)]
