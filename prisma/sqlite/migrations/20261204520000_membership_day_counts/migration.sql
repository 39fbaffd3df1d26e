-- Memberships started and ended per shop, tier and UTC day, for the home page
-- charts (ADR 0029). Triggers on Enrollment append a delta for every start and
-- every end and take it back when the row changes or goes, so every write path
-- is counted. A job folds the deltas into MembershipDayCount.
CREATE TABLE "MembershipDayCount" (
    "shop" TEXT NOT NULL,
    "tierId" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "day" TEXT NOT NULL,
    "n" INTEGER NOT NULL,

    PRIMARY KEY ("shop", "tierId", "kind", "day")
);

CREATE TABLE "MembershipDayDelta" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "shop" TEXT NOT NULL,
    "tierId" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "day" TEXT NOT NULL,
    "n" INTEGER NOT NULL
);

CREATE INDEX "MembershipDayDelta_shop_day_idx" ON "MembershipDayDelta"("shop", "day");

-- Dates are stored as ISO text in UTC, an integer (epoch milliseconds) is read too.
-- An end is the earlier of endedAt and expiresAt, as the charts count it.
CREATE TRIGGER "Enrollment_day_counts_insert" AFTER INSERT ON "Enrollment"
BEGIN
  INSERT INTO "MembershipDayDelta" ("shop", "tierId", "kind", "day", "n")
    VALUES (NEW."shop", NEW."tierId", 'start', CASE WHEN typeof(NEW."startedAt") = 'integer' THEN date(NEW."startedAt" / 1000, 'unixepoch') ELSE date(NEW."startedAt") END, 1);
  INSERT INTO "MembershipDayDelta" ("shop", "tierId", "kind", "day", "n")
    SELECT NEW."shop", NEW."tierId", NEW."status", CASE WHEN typeof(e) = 'integer' THEN date(e / 1000, 'unixepoch') ELSE date(e) END, 1
    FROM (SELECT CASE WHEN NEW."endedAt" IS NOT NULL AND NEW."endedAt" < NEW."expiresAt" THEN NEW."endedAt" ELSE NEW."expiresAt" END AS e)
    WHERE NEW."status" <> 'active';
END;

CREATE TRIGGER "Enrollment_day_counts_delete" AFTER DELETE ON "Enrollment"
BEGIN
  INSERT INTO "MembershipDayDelta" ("shop", "tierId", "kind", "day", "n")
    VALUES (OLD."shop", OLD."tierId", 'start', CASE WHEN typeof(OLD."startedAt") = 'integer' THEN date(OLD."startedAt" / 1000, 'unixepoch') ELSE date(OLD."startedAt") END, -1);
  INSERT INTO "MembershipDayDelta" ("shop", "tierId", "kind", "day", "n")
    SELECT OLD."shop", OLD."tierId", OLD."status", CASE WHEN typeof(e) = 'integer' THEN date(e / 1000, 'unixepoch') ELSE date(e) END, -1
    FROM (SELECT CASE WHEN OLD."endedAt" IS NOT NULL AND OLD."endedAt" < OLD."expiresAt" THEN OLD."endedAt" ELSE OLD."expiresAt" END AS e)
    WHERE OLD."status" <> 'active';
END;

-- Only a change that moves a count: a renewal of an active membership (its
-- expiry) or its sync state moves none.
CREATE TRIGGER "Enrollment_day_counts_update" AFTER UPDATE OF "status", "tierId", "startedAt", "endedAt", "expiresAt" ON "Enrollment"
WHEN OLD."status" IS NOT NEW."status" OR OLD."tierId" IS NOT NEW."tierId" OR OLD."startedAt" IS NOT NEW."startedAt"
  OR (NEW."status" <> 'active' AND (OLD."endedAt" IS NOT NEW."endedAt" OR OLD."expiresAt" IS NOT NEW."expiresAt"))
BEGIN
  INSERT INTO "MembershipDayDelta" ("shop", "tierId", "kind", "day", "n")
    VALUES (OLD."shop", OLD."tierId", 'start', CASE WHEN typeof(OLD."startedAt") = 'integer' THEN date(OLD."startedAt" / 1000, 'unixepoch') ELSE date(OLD."startedAt") END, -1);
  INSERT INTO "MembershipDayDelta" ("shop", "tierId", "kind", "day", "n")
    SELECT OLD."shop", OLD."tierId", OLD."status", CASE WHEN typeof(e) = 'integer' THEN date(e / 1000, 'unixepoch') ELSE date(e) END, -1
    FROM (SELECT CASE WHEN OLD."endedAt" IS NOT NULL AND OLD."endedAt" < OLD."expiresAt" THEN OLD."endedAt" ELSE OLD."expiresAt" END AS e)
    WHERE OLD."status" <> 'active';
  INSERT INTO "MembershipDayDelta" ("shop", "tierId", "kind", "day", "n")
    VALUES (NEW."shop", NEW."tierId", 'start', CASE WHEN typeof(NEW."startedAt") = 'integer' THEN date(NEW."startedAt" / 1000, 'unixepoch') ELSE date(NEW."startedAt") END, 1);
  INSERT INTO "MembershipDayDelta" ("shop", "tierId", "kind", "day", "n")
    SELECT NEW."shop", NEW."tierId", NEW."status", CASE WHEN typeof(e) = 'integer' THEN date(e / 1000, 'unixepoch') ELSE date(e) END, 1
    FROM (SELECT CASE WHEN NEW."endedAt" IS NOT NULL AND NEW."endedAt" < NEW."expiresAt" THEN NEW."endedAt" ELSE NEW."expiresAt" END AS e)
    WHERE NEW."status" <> 'active';
END;

-- The memberships already there.
INSERT INTO "MembershipDayCount" ("shop", "tierId", "kind", "day", "n")
  SELECT "shop", "tierId", "kind", "day", COUNT(*) FROM (
    SELECT "shop", "tierId", 'start' AS "kind", CASE WHEN typeof("startedAt") = 'integer' THEN date("startedAt" / 1000, 'unixepoch') ELSE date("startedAt") END AS "day" FROM "Enrollment"
    UNION ALL
    SELECT "shop", "tierId", "status", CASE WHEN typeof(e) = 'integer' THEN date(e / 1000, 'unixepoch') ELSE date(e) END
    FROM (SELECT "shop", "tierId", "status", CASE WHEN "endedAt" IS NOT NULL AND "endedAt" < "expiresAt" THEN "endedAt" ELSE "expiresAt" END AS e FROM "Enrollment" WHERE "status" <> 'active')
  ) GROUP BY "shop", "tierId", "kind", "day";
