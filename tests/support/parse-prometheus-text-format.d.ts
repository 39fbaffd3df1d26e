// Types for the parser the metrics tests read the exposition with (the package ships none).
declare module "parse-prometheus-text-format" {
  export type Sample = {
    labels?: Record<string, string>;
    value?: string;
    buckets?: Record<string, string>;
    count?: string;
    sum?: string;
  };
  export type Family = { name: string; help: string; type: "COUNTER" | "GAUGE" | "HISTOGRAM" | "SUMMARY" | "UNTYPED"; metrics: Sample[] };
  /** Throws on a line that is not valid text exposition. */
  export default function parsePrometheusTextFormat(text: string): Family[];
}
