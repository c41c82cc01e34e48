-- CreateTable
CREATE TABLE "WebhookDispatch" (
    "workflowId" TEXT NOT NULL,
    "eventIds" TEXT[],
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "checkedAt" TIMESTAMP(3),

    CONSTRAINT "WebhookDispatch_pkey" PRIMARY KEY ("workflowId")
);

