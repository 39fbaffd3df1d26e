// Runs once per `vitest run`: builds the migrated template database that every
// test file copies (tests/support/databases.ts).
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { TMP, baseProvider, baseUrl, dropTestDatabases, migrate, pgAdmin, runPrefix, withDatabase } from "./databases";

declare module "vitest" {
  export interface ProvidedContext {
    dbTemplate: string;
    dbRunPrefix: string;
  }
}

export default async function setup(project: TestProject) {
  const url = baseUrl();
  let template: string;
  if (baseProvider() === "sqlite") {
    rmSync(join(TMP, "test-dbs"), { recursive: true, force: true });
    mkdirSync(join(TMP, "test-dbs"), { recursive: true });
    const file = join(TMP, "test-dbs", "template.sqlite");
    template = `file:${file}`;
    migrate(template);
  } else {
    await dropTestDatabases(url, runPrefix());
    const name = `${runPrefix()}template`;
    await pgAdmin(url, (c) => c.query(`CREATE DATABASE "${name}"`));
    template = withDatabase(url, name);
    migrate(template);
  }
  project.provide("dbTemplate", template);
  project.provide("dbRunPrefix", runPrefix());

  return async () => {
    if (baseProvider() === "postgresql") await dropTestDatabases(url, runPrefix());
  };
}
