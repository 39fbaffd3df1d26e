// A strict reader of the Prometheus text exposition format (version 0.0.4), for
// tests: it refuses what a Prometheus server would refuse (bad names, labels,
// escapes or values; a family's HELP/TYPE repeated or after its samples; a
// sample outside the family its TYPE declared; a duplicate series) and checks
// histograms whole (every series has +Inf, buckets never decrease, +Inf equals
// _count, and _sum is present). It returns every series with its value.
export type Series = { name: string; labels: Record<string, string>; value: number };
export type MetricFamily = { name: string; type: string; help: string; series: Series[] };

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(["counter", "gauge", "histogram", "summary", "untyped"]);

function parseValue(text: string, line: string): number {
  // Prometheus reads values with Go's ParseFloat: NaN and Inf in any letter case.
  if (/^[+]?inf(inity)?$/i.test(text)) return Infinity;
  if (/^-inf(inity)?$/i.test(text)) return -Infinity;
  if (/^nan$/i.test(text)) return NaN;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) throw new Error(`bad value in: ${line}`);
  return Number(text);
}

function parseLabels(body: string, line: string): Record<string, string> {
  const labels: Record<string, string> = {};
  let i = 0;
  while (i < body.length) {
    const eq = body.indexOf("=", i);
    if (eq < 0) throw new Error(`bad labels in: ${line}`);
    const name = body.slice(i, eq).trim();
    if (!LABEL.test(name) || name in labels) throw new Error(`bad or repeated label name "${name}" in: ${line}`);
    if (body[eq + 1] !== '"') throw new Error(`unquoted label value in: ${line}`);
    let value = "";
    let j = eq + 2;
    for (;; j++) {
      const c = body[j];
      if (c === undefined) throw new Error(`unterminated label value in: ${line}`);
      if (c === '"') break;
      if (c === "\\") {
        const next = body[++j];
        if (next === "n") value += "\n";
        else if (next === "\\" || next === '"') value += next;
        else throw new Error(`bad escape in: ${line}`);
      } else value += c;
    }
    labels[name] = value;
    i = j + 1;
    if (body[i] === ",") i++;
    else if (i < body.length) throw new Error(`bad labels in: ${line}`);
  }
  return labels;
}

/** The family a sample belongs to, given the declared types. */
function familyOf(sample: string, types: Map<string, string>): string {
  for (const suffix of ["_bucket", "_sum", "_count"]) {
    const base = sample.endsWith(suffix) ? sample.slice(0, -suffix.length) : null;
    if (base && (types.get(base) === "histogram" || (suffix !== "_bucket" && types.get(base) === "summary"))) return base;
  }
  return sample;
}

export function parseExposition(text: string): Map<string, MetricFamily> {
  if (!text.endsWith("\n")) throw new Error("the exposition must end with a newline");
  const families = new Map<string, MetricFamily>();
  const types = new Map<string, string>();
  const seen = new Set<string>();
  const family = (name: string) => {
    let f = families.get(name);
    if (!f) families.set(name, (f = { name, type: "untyped", help: "", series: [] }));
    return f;
  };
  for (const line of text.split("\n").slice(0, -1)) {
    if (line.trim() === "") continue;
    const meta = /^#\s*(HELP|TYPE)\s+(\S+)(?:\s(.*))?$/.exec(line);
    if (meta) {
      const [, kind, name, rest = ""] = meta;
      if (!NAME.test(name!)) throw new Error(`bad metric name in: ${line}`);
      const f = family(name!);
      if (f.series.length) throw new Error(`${kind} after samples of ${name}`);
      if (kind === "TYPE") {
        if (types.has(name!) || !TYPES.has(rest)) throw new Error(`bad or repeated TYPE: ${line}`);
        types.set(name!, rest);
        f.type = rest;
      } else {
        if (f.help) throw new Error(`repeated HELP: ${line}`);
        f.help = rest;
      }
      continue;
    }
    if (line.startsWith("#")) continue;
    const m = /^([^\s{]+)(?:\{(.*)\})?\s+(\S+)(?:\s+(-?\d+))?$/.exec(line);
    if (!m || !NAME.test(m[1]!)) throw new Error(`bad sample line: ${line}`);
    const labels = parseLabels(m[2] ?? "", line);
    const id = `${m[1]}${JSON.stringify(Object.entries(labels).sort())}`;
    if (seen.has(id)) throw new Error(`duplicate series: ${line}`);
    seen.add(id);
    family(familyOf(m[1]!, types)).series.push({ name: m[1]!, labels, value: parseValue(m[3]!, line) });
  }
  for (const f of families.values()) if (f.type === "histogram") checkHistogram(f);
  return families;
}

const seriesKey = (labels: Record<string, string>) =>
  JSON.stringify(Object.entries(labels).filter(([k]) => k !== "le").sort());

function checkHistogram(f: MetricFamily) {
  const byKey = new Map<string, { buckets: [number, number][]; sum?: number; count?: number }>();
  for (const s of f.series) {
    const k = seriesKey(s.labels);
    const h = byKey.get(k) ?? { buckets: [] };
    byKey.set(k, h);
    if (s.name === `${f.name}_bucket`) {
      if (s.labels.le === undefined) throw new Error(`${f.name}: bucket without le`);
      h.buckets.push([parseValue(s.labels.le, s.labels.le), s.value]);
    } else if (s.name === `${f.name}_sum`) h.sum = s.value;
    else if (s.name === `${f.name}_count`) h.count = s.value;
    else throw new Error(`${f.name}: unexpected sample ${s.name}`);
  }
  for (const [k, h] of byKey) {
    const sorted = [...h.buckets].sort((a, b) => a[0] - b[0]);
    if (sorted.at(-1)?.[0] !== Infinity) throw new Error(`${f.name}${k}: no +Inf bucket`);
    for (let i = 1; i < sorted.length; i++) if (sorted[i]![1] < sorted[i - 1]![1]) throw new Error(`${f.name}${k}: buckets decrease`);
    if (h.count === undefined || h.sum === undefined || h.count !== sorted.at(-1)![1]) throw new Error(`${f.name}${k}: _count/_sum missing or +Inf ≠ _count`);
  }
}

/** A family's series of one sample name, keyed by the given labels joined with "|". */
export function seriesBy(f: MetricFamily | undefined, sample: string, labelNames: string[]): Map<string, number> {
  if (!f) throw new Error(`no family for ${sample}`);
  return new Map(f.series.filter((s) => s.name === sample).map((s) => [labelNames.map((n) => s.labels[n] ?? "").join("|"), s.value]));
}
