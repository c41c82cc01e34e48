-- DropForeignKey
ALTER TABLE "ActivityEvent" DROP CONSTRAINT "ActivityEvent_orgId_fkey";

-- Without the foreign key, every feed entry written (a webhook's, a run's, a sync's) no longer
-- checks its organization (a lookup and a row lock each: about a third of an entry's insert,
-- measured on PostgreSQL 15). Entries are written with the organization of a row or an
-- authenticated caller, and deleting an organization still deletes its entries (below).
-- The body's semicolons are written \073 (an E-string escape): the schema engine splits a
-- migration into statements at every semicolon, dollar quotes or not.
CREATE FUNCTION "patchbay_delete_organization_activity"() RETURNS trigger LANGUAGE plpgsql
  AS E'BEGIN DELETE FROM "ActivityEvent" WHERE "orgId" = OLD."id"\073 RETURN OLD\073 END';

CREATE TRIGGER "Organization_delete_activity" AFTER DELETE ON "Organization"
  FOR EACH ROW EXECUTE FUNCTION "patchbay_delete_organization_activity"();
