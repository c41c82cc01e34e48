-- CreateEnum
CREATE TYPE "ManifestKind" AS ENUM ('MANIFEST', 'CUSTOM_TOOL');

-- CreateTable
CREATE TABLE "Manifest" (
    "id" TEXT NOT NULL,
    "orgId" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "displayName" TEXT NOT NULL,
    "kind" "ManifestKind" NOT NULL,
    "definition" JSONB NOT NULL,
    "version" INTEGER NOT NULL DEFAULT 1,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Manifest_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ManifestSubject" (
    "id" TEXT NOT NULL,
    "orgId" TEXT NOT NULL,
    "email" TEXT NOT NULL,
    "data" JSONB NOT NULL DEFAULT '{}',
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "ManifestSubject_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ManifestFile" (
    "id" TEXT NOT NULL,
    "runId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "contentType" TEXT,
    "size" INTEGER NOT NULL,
    "bytes" BYTEA NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ManifestFile_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "SyncState" (
    "id" TEXT NOT NULL,
    "orgId" TEXT NOT NULL,
    "connectionId" TEXT NOT NULL,
    "syncKey" TEXT NOT NULL,
    "model" TEXT NOT NULL,
    "schedule" TEXT,
    "paused" BOOLEAN NOT NULL DEFAULT false,
    "currentRunId" TEXT,
    "checkpoint" JSONB,
    "pages" INTEGER NOT NULL DEFAULT 0,
    "added" INTEGER NOT NULL DEFAULT 0,
    "updated" INTEGER NOT NULL DEFAULT 0,
    "deleted" INTEGER NOT NULL DEFAULT 0,
    "lastRunId" TEXT,
    "lastCompletedAt" TIMESTAMP(3),
    "lastResult" JSONB,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "SyncState_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "SyncRecord" (
    "orgId" TEXT NOT NULL,
    "connectionId" TEXT NOT NULL,
    "model" TEXT NOT NULL,
    "externalId" TEXT NOT NULL,
    "data" JSONB NOT NULL,
    "hash" TEXT NOT NULL,
    "deleted" BOOLEAN NOT NULL DEFAULT false,
    "deletedAt" TIMESTAMP(3),
    "firstSeenAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastRunId" TEXT,

    CONSTRAINT "SyncRecord_pkey" PRIMARY KEY ("connectionId","model","externalId")
);

-- CreateTable
CREATE TABLE "SyncSeen" (
    "runId" TEXT NOT NULL,
    "externalId" TEXT NOT NULL,

    CONSTRAINT "SyncSeen_pkey" PRIMARY KEY ("runId","externalId")
);

-- CreateIndex
CREATE UNIQUE INDEX "Manifest_orgId_key_key" ON "Manifest"("orgId", "key");

-- CreateIndex
CREATE UNIQUE INDEX "ManifestSubject_orgId_email_key" ON "ManifestSubject"("orgId", "email");

-- CreateIndex
CREATE UNIQUE INDEX "ManifestFile_runId_name_key" ON "ManifestFile"("runId", "name");

-- CreateIndex
CREATE UNIQUE INDEX "SyncState_connectionId_syncKey_key" ON "SyncState"("connectionId", "syncKey");

-- CreateIndex
CREATE INDEX "SyncRecord_connectionId_model_updatedAt_idx" ON "SyncRecord"("connectionId", "model", "updatedAt");

-- AddForeignKey
ALTER TABLE "Manifest" ADD CONSTRAINT "Manifest_orgId_fkey" FOREIGN KEY ("orgId") REFERENCES "Organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ManifestSubject" ADD CONSTRAINT "ManifestSubject_orgId_fkey" FOREIGN KEY ("orgId") REFERENCES "Organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "SyncState" ADD CONSTRAINT "SyncState_orgId_fkey" FOREIGN KEY ("orgId") REFERENCES "Organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "SyncState" ADD CONSTRAINT "SyncState_connectionId_fkey" FOREIGN KEY ("connectionId") REFERENCES "Connection"("id") ON DELETE CASCADE ON UPDATE CASCADE;
