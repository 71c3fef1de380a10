"""Maintain ``Claim.search_vector`` in the database, for every path that writes.

The vector weighs the claim's statement and exact quote (A), the claimant's name (B) and the
rationale of the claim's *published* verdict (C) - never a draft's. A BEFORE trigger on
claims_claim computes it on every insert and update; the verdict and claimant triggers only
touch ``search_vector`` on the claims they affect, so the claim trigger recomputes it.

pghistory's update trigger on claims_claim fires only when a tracked column changes, and
``search_vector`` is excluded from tracking: these refreshes write no audit events
(tests/test_public_search.py checks it).

Also creates pg_trgm where the server has it (the embedded PostgreSQL does not).
"""

from django.db import migrations

FORWARD = r"""
CREATE OR REPLACE FUNCTION claims_claim_search_vector_compute() RETURNS trigger AS $$
BEGIN
    NEW.search_vector :=
        setweight(to_tsvector('english', coalesce(NEW.statement, '')), 'A')
        || setweight(to_tsvector('english', coalesce(NEW.exact, '')), 'A')
        || setweight(to_tsvector('english', coalesce(
            (SELECT c.name FROM claims_claimant c WHERE c.id = NEW.claimant_id), '')), 'B')
        || setweight(to_tsvector('english', coalesce(
            (SELECT v.rationale FROM claims_verdict v
             WHERE v.claim_id = NEW.id AND v.status = 'published' LIMIT 1), '')), 'C');
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

DROP TRIGGER IF EXISTS claims_claim_search_vector ON claims_claim;
CREATE TRIGGER claims_claim_search_vector
    BEFORE INSERT OR UPDATE ON claims_claim
    FOR EACH ROW EXECUTE FUNCTION claims_claim_search_vector_compute();

CREATE OR REPLACE FUNCTION claims_verdict_search_vector_touch() RETURNS trigger AS $$
BEGIN
    -- Only a change to or from the published verdict changes what the claim's vector holds.
    IF TG_OP = 'DELETE' THEN
        IF OLD.status = 'published' THEN
            UPDATE claims_claim SET search_vector = NULL WHERE id = OLD.claim_id;
        END IF;
        RETURN NULL;
    END IF;
    IF NEW.status = 'published' OR (TG_OP = 'UPDATE' AND OLD.status = 'published') THEN
        UPDATE claims_claim SET search_vector = NULL WHERE id = NEW.claim_id;
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

DROP TRIGGER IF EXISTS claims_verdict_search_vector ON claims_verdict;
CREATE TRIGGER claims_verdict_search_vector
    AFTER INSERT OR DELETE OR UPDATE OF status, rationale, claim_id ON claims_verdict
    FOR EACH ROW EXECUTE FUNCTION claims_verdict_search_vector_touch();

CREATE OR REPLACE FUNCTION claims_claimant_search_vector_touch() RETURNS trigger AS $$
BEGIN
    UPDATE claims_claim SET search_vector = NULL WHERE claimant_id = NEW.id;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

DROP TRIGGER IF EXISTS claims_claimant_search_vector ON claims_claimant;
CREATE TRIGGER claims_claimant_search_vector
    AFTER UPDATE OF name ON claims_claimant
    FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name)
    EXECUTE FUNCTION claims_claimant_search_vector_touch();

-- Fill the vector of existing rows (the BEFORE trigger computes it).
UPDATE claims_claim SET search_vector = NULL;

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm') THEN
        CREATE EXTENSION IF NOT EXISTS pg_trgm;
    END IF;
END $$;
"""

BACKWARD = r"""
DROP TRIGGER IF EXISTS claims_claimant_search_vector ON claims_claimant;
DROP TRIGGER IF EXISTS claims_verdict_search_vector ON claims_verdict;
DROP TRIGGER IF EXISTS claims_claim_search_vector ON claims_claim;
DROP FUNCTION IF EXISTS claims_claimant_search_vector_touch();
DROP FUNCTION IF EXISTS claims_verdict_search_vector_touch();
DROP FUNCTION IF EXISTS claims_claim_search_vector_compute();
"""


class Migration(migrations.Migration):
    dependencies = [("claims", "0003_roles_and_default_scale")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
