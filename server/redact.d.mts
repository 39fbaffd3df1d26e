export function describeRequestUrl(url: string): { path: string; query: string[] };
export function requestLogLine(r: { method: string; url: string; status: number; ms: number }): string;
