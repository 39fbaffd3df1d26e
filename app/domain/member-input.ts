// The enrollment wizard's first step (who, and which tier): pure, so the page
// can show the same limits the server enforces.
import { z } from "zod";

export const MAX_EMAIL = 254;
export const MAX_NAME = 100;

/** The wizard's first step: who, and which tier. Every field's message is the merchant's. */
export const memberInput = z.object({
  tierId: z.string().trim().min(1, "Choose a tier"),
  platformId: z.string().trim().max(200).optional(),
  email: z
    .string()
    .trim()
    .min(1, "Enter the customer's email")
    .max(MAX_EMAIL, `Email can be at most ${MAX_EMAIL} characters`)
    .pipe(z.email("Enter a real email address, like name@example.com"))
    .transform((e) => e.toLowerCase()),
  firstName: z.string().trim().max(MAX_NAME, `First name can be at most ${MAX_NAME} characters`).default(""),
  lastName: z.string().trim().max(MAX_NAME, `Last name can be at most ${MAX_NAME} characters`).default(""),
});
export const MEMBER_LABELS = { tierId: "Tier", email: "Email", firstName: "First name", lastName: "Last name", platformId: "Customer" };

export type EnrollFields = "tierId" | "email" | "firstName" | "lastName" | "form" | "delivery";
