-- Member imports (issue 15, ADR 0022): the uploaded file's rows, staged and
-- validated before anything is written, then committed by the queue.

-- CreateTable
CREATE TABLE "MemberImport" (
    "id" TEXT NOT NULL,
    "shop" TEXT NOT NULL,
    "fileHash" TEXT NOT NULL,
    "fileName" TEXT NOT NULL DEFAULT '',
    "status" TEXT NOT NULL DEFAULT 'uploading',
    "totalRows" INTEGER NOT NULL DEFAULT 0,
    "invalidRows" INTEGER NOT NULL DEFAULT 0,
    "importedRows" INTEGER NOT NULL DEFAULT 0,
    "failedRows" INTEGER NOT NULL DEFAULT 0,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "committedAt" TIMESTAMP(3),
    "completedAt" TIMESTAMP(3),

    CONSTRAINT "MemberImport_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "MemberImportRow" (
    "importId" TEXT NOT NULL,
    "row" INTEGER NOT NULL,
    "shop" TEXT NOT NULL,
    "email" TEXT NOT NULL,
    "firstName" TEXT NOT NULL,
    "lastName" TEXT NOT NULL,
    "tier" TEXT NOT NULL,
    "startDate" TEXT NOT NULL,
    "expiryDate" TEXT NOT NULL,
    "platformCustomerId" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "error" TEXT,

    CONSTRAINT "MemberImportRow_pkey" PRIMARY KEY ("importId","row")
);

-- CreateIndex
CREATE INDEX "MemberImport_shop_createdAt_idx" ON "MemberImport"("shop", "createdAt");

-- CreateIndex
CREATE UNIQUE INDEX "MemberImport_shop_fileHash_key" ON "MemberImport"("shop", "fileHash");

-- CreateIndex
CREATE INDEX "MemberImportRow_importId_status_row_idx" ON "MemberImportRow"("importId", "status", "row");

-- CreateIndex
CREATE INDEX "MemberImportRow_shop_email_idx" ON "MemberImportRow"("shop", "email");

-- AddForeignKey
ALTER TABLE "MemberImportRow" ADD CONSTRAINT "MemberImportRow_importId_fkey" FOREIGN KEY ("importId") REFERENCES "MemberImport"("id") ON DELETE CASCADE ON UPDATE CASCADE;
