-- CreateTable
CREATE TABLE "PaceBucket" (
    "shop" TEXT NOT NULL,
    "platform" TEXT NOT NULL,
    "tokens" DOUBLE PRECISION NOT NULL,
    "at" TIMESTAMP(3) NOT NULL,
    "version" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "PaceBucket_pkey" PRIMARY KEY ("shop","platform")
);
