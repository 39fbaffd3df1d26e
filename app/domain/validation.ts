// Validation issues → sentences a merchant can act on, beside the field they
// belong to. zod's own messages ("Too big: expected string to have <=100
// characters") name no field and speak a programmer's language; every form
// passes its issues through here instead.
import type { z } from "zod";

/** A field's label as the form shows it ("Name", "Email"). */
export type Labels = Record<string, string>;

/**
 * One issue as a sentence: a message written for the merchant (a custom
 * message given in the schema) is kept; zod's generic ones are rewritten
 * with the field's label.
 */
export function issueSentence(issue: z.core.$ZodIssue, labels: Labels): string {
  if (!isGeneric(issue.message)) return issue.message;
  const key = String(issue.path[0] ?? "");
  const label = labels[key] ?? "This field";
  switch (issue.code) {
    case "too_big":
      if (issue.origin === "string") return `${label} can be at most ${issue.maximum} characters`;
      if (issue.origin === "number") return `${label} can be at most ${issue.maximum}`;
      break;
    case "too_small":
      if (issue.origin === "string") return Number(issue.minimum) <= 1 ? `${label} is required` : `${label} needs at least ${issue.minimum} characters`;
      if (issue.origin === "number") return `${label} must be at least ${issue.minimum}`;
      break;
    case "invalid_format":
      if (issue.format === "email") return `${label} must be an email address, like name@example.com`;
      return `${label} is not in the expected format`;
    case "invalid_type":
      return `${label} is required`;
    case "invalid_value":
      return `Choose one of the offered values for ${label.toLowerCase()}`;
  }
  return `${label} is not valid`;
}

// zod's built-in messages start like this; the schemas' own never do.
function isGeneric(message: string) {
  return /^(Invalid|Too (big|small)|Expected|Required$)/.test(message);
}

/** The first sentence per field (key "form" for issues without a path). */
export function fieldErrors<F extends string>(error: z.ZodError, labels: Labels): Partial<Record<F | "form", string>> {
  const out: Partial<Record<string, string>> = {};
  for (const issue of error.issues) out[String(issue.path[0] ?? "form")] ??= issueSentence(issue, labels);
  return out as Partial<Record<F | "form", string>>;
}
