-- Memberships started and ended per shop, tier and UTC day, for the home page
-- charts (ADR 0029). A trigger on Enrollment appends a delta for every start and
-- every end and takes it back when the row changes or goes, so every write path
-- is counted. A job folds the deltas into MembershipDayCount. Timestamps are
-- stored in UTC (timestamp without time zone), so their date is the UTC day.
CREATE TABLE "MembershipDayCount" (
    "shop" TEXT NOT NULL,
    "tierId" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "day" TEXT NOT NULL,
    "n" INTEGER NOT NULL,

    CONSTRAINT "MembershipDayCount_pkey" PRIMARY KEY ("shop","tierId","kind","day")
);

CREATE TABLE "MembershipDayDelta" (
    "id" SERIAL NOT NULL,
    "shop" TEXT NOT NULL,
    "tierId" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "day" TEXT NOT NULL,
    "n" INTEGER NOT NULL,

    CONSTRAINT "MembershipDayDelta_pkey" PRIMARY KEY ("id")
);

CREATE INDEX "MembershipDayDelta_shop_day_idx" ON "MembershipDayDelta"("shop", "day");

CREATE FUNCTION "enrollment_day_counts"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    INSERT INTO "MembershipDayDelta" ("shop", "tierId", "kind", "day", "n")
      VALUES (OLD."shop", OLD."tierId", 'start', to_char(OLD."startedAt", 'YYYY-MM-DD'), -1);
    IF OLD."status" <> 'active' THEN
      INSERT INTO "MembershipDayDelta" ("shop", "tierId", "kind", "day", "n")
        VALUES (OLD."shop", OLD."tierId", OLD."status", to_char(LEAST(COALESCE(OLD."endedAt", OLD."expiresAt"), OLD."expiresAt"), 'YYYY-MM-DD'), -1);
    END IF;
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    INSERT INTO "MembershipDayDelta" ("shop", "tierId", "kind", "day", "n")
      VALUES (NEW."shop", NEW."tierId", 'start', to_char(NEW."startedAt", 'YYYY-MM-DD'), 1);
    IF NEW."status" <> 'active' THEN
      INSERT INTO "MembershipDayDelta" ("shop", "tierId", "kind", "day", "n")
        VALUES (NEW."shop", NEW."tierId", NEW."status", to_char(LEAST(COALESCE(NEW."endedAt", NEW."expiresAt"), NEW."expiresAt"), 'YYYY-MM-DD'), 1);
    END IF;
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER "Enrollment_day_counts_insert_delete" AFTER INSERT OR DELETE ON "Enrollment"
  FOR EACH ROW EXECUTE FUNCTION "enrollment_day_counts"();

-- Only a change that moves a count: a renewal of an active membership (its
-- expiry) or its sync state moves none.
CREATE TRIGGER "Enrollment_day_counts_update" AFTER UPDATE OF "status", "tierId", "startedAt", "endedAt", "expiresAt" ON "Enrollment"
  FOR EACH ROW
  WHEN (OLD."status" IS DISTINCT FROM NEW."status" OR OLD."tierId" IS DISTINCT FROM NEW."tierId" OR OLD."startedAt" IS DISTINCT FROM NEW."startedAt"
    OR (NEW."status" <> 'active' AND (OLD."endedAt" IS DISTINCT FROM NEW."endedAt" OR OLD."expiresAt" IS DISTINCT FROM NEW."expiresAt")))
  EXECUTE FUNCTION "enrollment_day_counts"();

-- The memberships already there.
INSERT INTO "MembershipDayCount" ("shop", "tierId", "kind", "day", "n")
  SELECT "shop", "tierId", "kind", "day", COUNT(*) FROM (
    SELECT "shop", "tierId", 'start' AS "kind", to_char("startedAt", 'YYYY-MM-DD') AS "day" FROM "Enrollment"
    UNION ALL
    SELECT "shop", "tierId", "status", to_char(LEAST(COALESCE("endedAt", "expiresAt"), "expiresAt"), 'YYYY-MM-DD') FROM "Enrollment" WHERE "status" <> 'active'
  ) x GROUP BY "shop", "tierId", "kind", "day";
