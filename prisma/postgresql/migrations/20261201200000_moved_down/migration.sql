-- A tier change used to end every old membership as "upgraded", also a move
-- down. Each one that ended where a membership of a LOWER-ranked tier began
-- for the same member (a tier change starts the new one at the instant the
-- old one ends) was a move down: record it as such.
UPDATE "Enrollment"
SET "status" = 'moved_down'
WHERE "status" = 'upgraded'
  AND EXISTS (
    SELECT 1
    FROM "Enrollment" AS next
    JOIN "Tier" AS nextTier ON nextTier."id" = next."tierId"
    JOIN "Tier" AS oldTier ON oldTier."id" = "Enrollment"."tierId"
    WHERE next."shop" = "Enrollment"."shop"
      AND next."customerId" = "Enrollment"."customerId"
      AND next."id" <> "Enrollment"."id"
      AND next."startedAt" = "Enrollment"."endedAt"
      AND nextTier."rank" < oldTier."rank"
  );
