-- Who ended a membership (cancel, tier change): the staff user id, or null
-- when the app did. Existing rows: not recorded, null.
ALTER TABLE "Enrollment" ADD COLUMN "endedBy" TEXT;
