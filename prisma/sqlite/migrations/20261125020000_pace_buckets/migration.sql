-- CreateTable
CREATE TABLE "PaceBucket" (
    "shop" TEXT NOT NULL,
    "platform" TEXT NOT NULL,
    "tokens" REAL NOT NULL,
    "at" DATETIME NOT NULL,
    "version" INTEGER NOT NULL DEFAULT 0,

    PRIMARY KEY ("shop", "platform")
);
