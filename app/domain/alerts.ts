// The failure alert a merchant receives. Pure: text only.
import { ACTION_LABELS } from "../queue/types";

export type FailedSync = { action: string; member: string | null; error: string | null; failedAt: Date };

/** One email for every failure not reported yet. `queueUrl` opens the app's sync queue screen. */
export function failureDigest(shop: string, platform: string, failures: FailedSync[], queueUrl: string): { subject: string; text: string } {
  const n = failures.length;
  const where = platform === "commerce7" ? "Commerce7" : "Shopify";
  const subject = `Club Tiers: ${n} membership ${n === 1 ? "change" : "changes"} could not reach ${where} (${shop})`;
  const lines = failures.map((f) => {
    const who = f.member ? ` for ${f.member}` : "";
    return `- ${ACTION_LABELS[f.action as keyof typeof ACTION_LABELS] ?? f.action}${who}, ${f.failedAt.toISOString().slice(0, 16).replace("T", " ")} UTC: ${f.error ?? "failed"}`;
  });
  const text = [
    `These changes are saved in Club Tiers, but ${where} does not have them yet, and they will not be retried automatically:`,
    "",
    ...lines,
    "",
    `Fix the cause (the message says what went wrong), then retry them from the sync queue: ${queueUrl}`,
  ].join("\n");
  return { subject, text };
}
