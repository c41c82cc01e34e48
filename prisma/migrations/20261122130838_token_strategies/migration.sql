-- CreateEnum
CREATE TYPE "TokenStrategy" AS ENUM ('SERVICE_ACCOUNT', 'PER_USER', 'PASSTHROUGH');

-- DropIndex
DROP INDEX "Connection_orgId_integrationKey_idx";

-- AlterTable
ALTER TABLE "Connection" ADD COLUMN     "tokenStrategy" "TokenStrategy" NOT NULL DEFAULT 'SERVICE_ACCOUNT';

-- AlterTable
ALTER TABLE "Run" ADD COLUMN     "endUserId" TEXT,
ADD COLUMN     "userMetadata" TEXT;

-- CreateIndex
CREATE INDEX "Connection_orgId_integrationKey_endUserId_idx" ON "Connection"("orgId", "integrationKey", "endUserId");
