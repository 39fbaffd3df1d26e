// Reads a live database's structure into one provider-neutral shape, so tests
// can compare SQLite with PostgreSQL, and migrations with the schema.
import { createClient } from "@libsql/client";
import pg from "pg";
import { providerFor } from "../../prisma/provider.mjs";

export type Column = { type: string; nullable: boolean };
export type Index = { unique: boolean; columns: string[]; partial: boolean };
export type Structure = Record<string, { columns: Record<string, Column>; indexes: Record<string, Index> }>;

const IGNORED_TABLES = new Set(["_prisma_migrations"]);

function logicalType(raw: string): string {
  const t = raw.toLowerCase();
  if (t === "text" || t.startsWith("varchar") || t === "character varying") return "text";
  if (t === "integer" || t === "int4" || t === "int") return "int";
  if (t === "bigint" || t === "int8") return "bigint";
  if (t === "boolean" || t === "bool") return "bool";
  if (t === "datetime" || t.startsWith("timestamp")) return "datetime";
  if (t === "real" || t === "double precision" || t === "float8") return "float";
  return t;
}

async function sqliteStructure(url: string): Promise<Structure> {
  const client = createClient({ url });
  try {
    const out: Structure = {};
    const tables = await client.execute(
      "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
    );
    for (const row of tables.rows) {
      const table = String(row.name);
      if (IGNORED_TABLES.has(table)) continue;
      const entry: Structure[string] = (out[table] = { columns: {}, indexes: {} });
      const cols = await client.execute(`PRAGMA table_info("${table}")`);
      for (const c of cols.rows) {
        entry.columns[String(c.name)] = { type: logicalType(String(c.type)), nullable: Number(c.notnull) === 0 && Number(c.pk) === 0 };
      }
      const indexes = await client.execute(`PRAGMA index_list("${table}")`);
      for (const i of indexes.rows) {
        const name = String(i.name);
        if (name.startsWith("sqlite_autoindex")) continue;
        const info = await client.execute(`PRAGMA index_info("${name}")`);
        entry.indexes[name] = {
          unique: Number(i.unique) === 1,
          columns: info.rows.map((r) => String(r.name)),
          partial: Number(i.partial) === 1,
        };
      }
    }
    return out;
  } finally {
    client.close();
  }
}

async function pgStructure(url: string): Promise<Structure> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const out: Structure = {};
    const cols = await client.query<{ table_name: string; column_name: string; is_nullable: string; data_type: string }>(
      `SELECT table_name, column_name, is_nullable, data_type FROM information_schema.columns
       WHERE table_schema = 'public' ORDER BY table_name, ordinal_position`,
    );
    for (const c of cols.rows) {
      if (IGNORED_TABLES.has(c.table_name)) continue;
      const entry = (out[c.table_name] ??= { columns: {}, indexes: {} });
      entry.columns[c.column_name] = { type: logicalType(c.data_type), nullable: c.is_nullable === "YES" };
    }
    const idx = await client.query<{ tablename: string; indexname: string; indexdef: string }>(
      "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'",
    );
    for (const i of idx.rows) {
      const entry = out[i.tablename];
      if (!entry || i.indexname.endsWith("_pkey")) continue;
      const columns = (/\(([^)]*)\)/.exec(i.indexdef)?.[1] ?? "").split(",").map((s) => s.trim().replace(/"/g, ""));
      entry.indexes[i.indexname] = { unique: /CREATE UNIQUE INDEX/.test(i.indexdef), columns, partial: / WHERE /.test(i.indexdef) };
    }
    return out;
  } finally {
    await client.end();
  }
}

export function introspect(url: string): Promise<Structure> {
  return providerFor(url) === "sqlite" ? sqliteStructure(url) : pgStructure(url);
}

/** Human-readable differences between two structures; [] when they match. */
export function diffStructures(a: Structure, b: Structure, names: [string, string]): string[] {
  const out: string[] = [];
  const tables = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const t of [...tables].sort()) {
    const ta = a[t];
    const tb = b[t];
    if (!ta || !tb) {
      out.push(`table ${t} only in ${ta ? names[0] : names[1]}`);
      continue;
    }
    for (const c of new Set([...Object.keys(ta.columns), ...Object.keys(tb.columns)])) {
      const ca = ta.columns[c];
      const cb = tb.columns[c];
      if (!ca || !cb) out.push(`column ${t}.${c} only in ${ca ? names[0] : names[1]}`);
      else if (ca.type !== cb.type || ca.nullable !== cb.nullable)
        out.push(`column ${t}.${c}: ${JSON.stringify(ca)} vs ${JSON.stringify(cb)}`);
    }
    for (const i of new Set([...Object.keys(ta.indexes), ...Object.keys(tb.indexes)])) {
      const ia = ta.indexes[i];
      const ib = tb.indexes[i];
      if (!ia || !ib) out.push(`index ${i} only in ${ia ? names[0] : names[1]}`);
      else if (JSON.stringify(ia) !== JSON.stringify(ib)) out.push(`index ${i}: ${JSON.stringify(ia)} vs ${JSON.stringify(ib)}`);
    }
  }
  return out;
}
