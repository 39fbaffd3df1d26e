// Bounded inputs through the real routes and real authentication: too-long
// fields get field errors and write nothing; unknown filter and sort values in
// a URL fall back to the defaults; over-long search terms and reasons never
// answer 500.
import { beforeAll, describe, expect, it } from "vitest";
import { Prisma } from "#prisma/sqlite";
import { importApp, type App } from "../support/app";

const SHOP = "bounds.myshopify.com";
let app: App & {
  review: typeof import("~/routes/app.members.new_.review");
  members: typeof import("~/routes/app.members._index");
  member: typeof import("~/routes/app.members.$id");
  queue: typeof import("~/routes/app.queue");
};
let tierId: string;

beforeAll(async () => {
  app = {
    ...(await importApp()),
    review: await import("~/routes/app.members.new_.review"),
    members: await import("~/routes/app.members._index"),
    member: await import("~/routes/app.members.$id"),
    queue: await import("~/routes/app.queue"),
  };
  await app.prisma.shop.create({ data: { domain: SHOP } });
  tierId = (
    await app.prisma.tier.create({
      data: { shop: SHOP, name: "Silver", handle: "silver", rank: 1, annualThresholdCents: 0, initialPurchaseCents: 0, durationMonths: 12, discountPercent: 10 },
    })
  ).id;
  await app.auth.storeOfflineSession(SHOP);
});

async function everyTable(): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const model of Object.values(Prisma.ModelName)) {
    if (model === "Session") continue; // authentication may refresh the session row
    const delegate = (app.prisma as unknown as Record<string, { count(): Promise<number> }>)[model.charAt(0).toLowerCase() + model.slice(1)]!;
    counts[model] = await delegate.count();
  }
  return counts;
}

let n = 0;
async function submit(over: Record<string, string>) {
  const form = { email: `b${++n}@example.com`, firstName: "Bo", lastName: "Unds", tierId, platformId: "", idempotencyKey: `bounds-${n}-key`, ...over };
  const request = await app.auth.adminPost(SHOP, "/app/members/new/review", form);
  return app.review.action(app.auth.routeArgs(request)).catch((e: unknown) => e);
}

describe("bounded inputs", () => {
  it("a 255-character email and a 101-character name get field errors and write nothing", async () => {
    const before = await everyTable();
    const email = `${"a".repeat(255 - "@example.com".length)}@example.com`;
    expect(email).toHaveLength(255);
    expect(await submit({ email })).toMatchObject({ ok: false, errors: { email: "Email can be at most 254 characters" } });
    expect(await submit({ firstName: "x".repeat(101) })).toMatchObject({ ok: false, errors: { firstName: "First name can be at most 100 characters" } });
    expect(await submit({ lastName: "y".repeat(101) })).toMatchObject({ ok: false, errors: { lastName: "Last name can be at most 100 characters" } });
    expect(await everyTable()).toEqual(before);
    // At the limits, the same enrollment is accepted.
    const ok = await submit({ email: `${"a".repeat(254 - "@example.com".length)}@example.com`, firstName: "x".repeat(100) });
    expect(ok).toBeInstanceOf(Response);
    expect((ok as Response).status).toBe(302);
  });

  it("?status=foo, an unknown sort, sync state or cursor fall back to the defaults; a 10,000-character search is cut, not a 500", async () => {
    const list = async (query: string) => {
      const request = await app.auth.adminGet(SHOP, `/app/members?${query}`);
      return (await app.members.loader(app.auth.routeArgs(request))) as { query: Record<string, unknown>; members: unknown[] };
    };
    const defaults = await list("");
    const odd = await list("status=foo&sort=sideways&sync=maybe&cursor=%%%&tier=" + "t".repeat(1_000));
    expect(odd.query).toMatchObject({ status: "active", sort: "enrolled", sync: "", tier: "" });
    expect(odd.members).toEqual(defaults.members); // an unreadable cursor is the first page
    expect((await list("status=foo")).members).toEqual(defaults.members);
    const long = await list(`q=${"z".repeat(10_000)}`);
    expect(long.query.q).toHaveLength(200);
    expect(long.members).toEqual([]);
  });

  it("a cancellation reason over 500 characters is refused with a message, and the membership stays active", async () => {
    const r = await app.enrollments.enroll(app.prisma, SHOP, { idempotencyKey: "bounds-reason-key", tierId, email: "reason@example.com" });
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    const cancel = async (reason: string) => {
      const request = await app.auth.adminPost(SHOP, `/app/members/${r.enrollmentId}`, { intent: "cancel", reason });
      return app.member.action(app.auth.routeArgs(request, { id: r.enrollmentId })).catch((e: unknown) => e);
    };
    expect(await cancel("r".repeat(501))).toMatchObject({ ok: false, message: "The reason can be at most 500 characters (this one has 501)." });
    expect((await app.prisma.enrollment.findUniqueOrThrow({ where: { id: r.enrollmentId } })).status).toBe("active");
    const item = await app.prisma.crmSyncQueue.findFirstOrThrow({ where: { shop: SHOP, enrollmentId: r.enrollmentId } });
    const discard = await app.queue.action(app.auth.routeArgs(await app.auth.adminPost(SHOP, "/app/queue", { intent: "discard", id: item.id, reason: "d".repeat(600) })));
    expect(discard).toMatchObject({ ok: false, reason: "The reason can be at most 500 characters (this one has 600)." });
    expect((await app.prisma.crmSyncQueue.findUniqueOrThrow({ where: { id: item.id } })).status).toBe("pending");
  });
});
