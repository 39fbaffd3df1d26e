-- Items the app cancelled itself (uninstall) recorded discardedBy 'system'.
-- discardedBy now names only a staff user (null: the app did it).
UPDATE "CrmSyncQueue" SET "discardedBy" = NULL WHERE "discardedBy" = 'system';
