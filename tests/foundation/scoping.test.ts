// Every data-access function is scoped by shop: ids from another shop find nothing.
import { describe, expect, it } from "vitest";
import prisma from "~/db.server";
import { recordedSpendCents } from "~/domain/enrollments.server";
import * as records from "~/domain/records.server";

async function seedShop(shop: string) {
  const tier = await prisma.tier.create({
    data: { shop, name: "Gold", handle: "gold", rank: 1, annualThresholdCents: 1000, initialPurchaseCents: 100, durationMonths: 12 },
  });
  const customer = await prisma.customer.create({ data: { shop, email: "same@example.com", firstName: shop } });
  const enrollment = await prisma.enrollment.create({
    data: { shop, customerId: customer.id, tierId: tier.id, expiresAt: new Date(Date.now() + 1e9) },
  });
  const queue = await prisma.crmSyncQueue.create({
    data: { shop, customerId: customer.id, enrollmentId: enrollment.id, actionType: "add_membership", stageId: tier.id, idempotencyKey: "k" },
  });
  await prisma.purchase.create({ data: { shop, orderId: "1", customerId: customer.id, amountCents: 5, currency: "USD", occurredAt: new Date(), countedAt: new Date() } });
  return { tier, customer, enrollment, queue };
}

describe("shop scoping", () => {
  it("a shop never sees another shop's rows, even by id", async () => {
    const a = await seedShop("a.myshopify.com");
    const b = await seedShop("b.myshopify.com");

    expect((await records.listTiers(prisma, "a.myshopify.com")).map((t) => t.id)).toEqual([a.tier.id]);
    expect(await records.getTier(prisma, "a.myshopify.com", b.tier.id)).toBeNull();
    expect(await records.getCustomer(prisma, "a.myshopify.com", b.customer.id)).toBeNull();
    expect((await records.findCustomerByEmail(prisma, "a.myshopify.com", "SAME@example.com"))?.id).toBe(a.customer.id);
    expect(await records.getEnrollment(prisma, "a.myshopify.com", b.enrollment.id)).toBeNull();
    expect((await records.getEnrollment(prisma, "b.myshopify.com", b.enrollment.id))?.customer.firstName).toBe("b.myshopify.com");
    expect(await records.activeEnrollmentFor(prisma, "a.myshopify.com", b.customer.id)).toBeNull();
    expect(await records.getQueueItem(prisma, "a.myshopify.com", b.queue.id)).toBeNull();
    expect((await records.listQueueItems(prisma, "a.myshopify.com")).map((q) => q.id)).toEqual([a.queue.id]);
    expect(await records.listPurchases(prisma, "a.myshopify.com", b.customer.id)).toEqual([]);

    // Both shops have an order "1": a refund in one shop never touches the other's spend.
    await prisma.refund.create({ data: { shop: "b.myshopify.com", orderId: "1", refundId: "r1", amountCents: 5, occurredAt: new Date() } });
    expect(await recordedSpendCents(prisma, "a.myshopify.com", a.customer.id)).toBe(5);
    expect(await recordedSpendCents(prisma, "b.myshopify.com", b.customer.id)).toBe(0);
    expect(await recordedSpendCents(prisma, "a.myshopify.com", b.customer.id)).toBe(0);
  });
});
