// Enrolling a NEW customer on a Commerce7 shop, through the wizard's real
// routes and real authentication, against the fake Commerce7 (which, like the
// real one, refuses a membership without the customer's address). Also: each
// step checks itself before the next opens, and tiers without a club take nobody.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createFakeCommerce7, type FakeCommerce7 } from "../../sandbox/fakes/commerce7";
import { importApp, type App } from "../support/app";
import { drainQueue } from "../support/drain";

const C7_SHOP = "napa.myshopify.com";
const SHOPIFY_SHOP = "plain.myshopify.com";
const TENANT = { tenantId: "napa", appId: "app", appSecret: "secret" };
let c7: FakeCommerce7;
let app: App & {
  step1: typeof import("~/routes/app.members.new");
  delivery: typeof import("~/routes/app.members.new_.delivery");
  review: typeof import("~/routes/app.members.new_.review");
  tierForm: typeof import("~/routes/app.tiers.$id");
  tiersPage: typeof import("~/routes/app.tiers._index");
};
const tiers: Record<string, string> = {};
let pickupId = "";

beforeAll(async () => {
  c7 = await createFakeCommerce7({ tenants: [TENANT] });
  process.env.COMMERCE7_API_URL = `${c7.url}/v1`;
  process.env.COMMERCE7_TIMEOUT_MS = "5000";
  process.env.ENROLL_INLINE_SYNC_DEADLINE_MS = "3000";
  process.env.QUEUE_BACKOFF_BASE_MS = "20";
  process.env.QUEUE_BACKOFF_CAP_MS = "100";
  app = {
    ...(await importApp()),
    step1: await import("~/routes/app.members.new"),
    delivery: await import("~/routes/app.members.new_.delivery"),
    review: await import("~/routes/app.members.new_.review"),
    tierForm: await import("~/routes/app.tiers.$id"),
    tiersPage: await import("~/routes/app.tiers._index"),
  };
  const { setCommerce7Credentials } = await import("~/domain/shops.server");
  await setCommerce7Credentials(app.prisma, C7_SHOP, { tenant: TENANT.tenantId, appId: TENANT.appId, appSecret: TENANT.appSecret });
  await app.prisma.shop.update({ where: { domain: C7_SHOP }, data: { crm: "commerce7" } });
  await app.prisma.shop.create({ data: { domain: SHOPIFY_SHOP } });
  for (const [shop, rank, handle, club] of [
    [C7_SHOP, 1, "silver", true],
    [C7_SHOP, 2, "gold", true],
    [C7_SHOP, 3, "unmapped", false],
    [SHOPIFY_SHOP, 1, "silver", false],
  ] as const) {
    const c = club ? c7.addClub(TENANT.tenantId, { title: `${handle} club` }) : null;
    const t = await app.prisma.tier.create({
      data: { shop, name: handle, handle, rank, annualThresholdCents: 120000, initialPurchaseCents: 10000, durationMonths: 12, c7ClubId: c?.id ?? null },
    });
    tiers[`${shop}:${handle}`] = t.id;
  }
  pickupId = c7.addLocation(TENANT.tenantId, { title: "Tasting room" }).id;
  c7.addLocation(TENANT.tenantId, { title: "Warehouse", isPickupLocation: false });
  await app.auth.storeOfflineSession(C7_SHOP);
  await app.auth.storeOfflineSession(SHOPIFY_SHOP);
});
afterAll(async () => {
  await c7.close();
});
beforeEach(() => {
  c7.faults.clear();
  c7.tenant(TENANT.tenantId).creds.requireCard = false;
});

const ADDRESS = { bill_address: "12 Oak Lane", bill_city: "Sonoma", bill_stateCode: "CA", bill_zipCode: "95476", bill_countryCode: "us" };

async function post<T>(route: { action: (a: never) => Promise<T> }, shop: string, path: string, form: Record<string, string>, params: Record<string, string> = {}) {
  const request = await app.auth.adminPost(shop, path, form);
  return route.action(app.auth.routeArgs(request, params) as never).catch((e: unknown) => e);
}

function location(r: unknown): URL {
  expect(r, JSON.stringify(r)).toBeInstanceOf(Response);
  return new URL((r as Response).headers.get("location")!, "http://app.invalid");
}

/** Step 1 → delivery → review → Enroll, as the browser does; returns each step's answer. */
async function enrollThroughWizard(shop: string, member: Record<string, string>, delivery: Record<string, string>) {
  const afterStep1 = location(await post(app.step1, shop, "/app/members/new", member));
  const afterDelivery = location(await post(app.delivery, shop, `/app/members/new/delivery${afterStep1.search}`, { ...Object.fromEntries(afterStep1.searchParams), ...delivery }));
  const form = { ...Object.fromEntries(afterDelivery.searchParams), idempotencyKey: `key-${member.email}` };
  const enrolled = location(await post(app.review, shop, "/app/members/new/review", form));
  return { afterStep1, afterDelivery, enrolled };
}

describe("each wizard step checks itself before the next opens", () => {
  it("an empty step 1 gets field errors and no redirect", async () => {
    const r = await post(app.step1, C7_SHOP, "/app/members/new", { email: "", firstName: "", lastName: "", tierId: "" });
    expect(r).toEqual({ errors: { email: "Enter the customer's email", tierId: "Choose a tier" } });
  });

  it("bounds say which field and how long: email at most 254 characters, a real address, names at most 100", async () => {
    const long = await post(app.step1, SHOPIFY_SHOP, "/app/members/new", {
      email: `${"a".repeat(250)}@example.com`,
      firstName: "x".repeat(5000),
      lastName: "y".repeat(101),
      tierId: tiers[`${SHOPIFY_SHOP}:silver`]!,
    });
    expect(long).toEqual({
      errors: { email: "Email can be at most 254 characters", firstName: "First name can be at most 100 characters", lastName: "Last name can be at most 100 characters" },
    });
    const fake = await post(app.step1, SHOPIFY_SHOP, "/app/members/new", { email: "ann@", tierId: tiers[`${SHOPIFY_SHOP}:silver`]! });
    expect(fake).toEqual({ errors: { email: "Enter a real email address, like name@example.com" } });
    // Trimmed and lower-cased on the way to the next step.
    const ok = location(await post(app.step1, SHOPIFY_SHOP, "/app/members/new", { email: "  Ann@Example.COM ", tierId: tiers[`${SHOPIFY_SHOP}:silver`]! }));
    expect(ok.pathname).toBe("/app/members/new/review");
    expect(ok.searchParams.get("email")).toBe("ann@example.com");
  });

  it("a new Commerce7 customer needs a name, then goes to the delivery step, which needs an address", async () => {
    const noName = await post(app.step1, C7_SHOP, "/app/members/new", { email: "new@example.com", tierId: tiers[`${C7_SHOP}:silver`]! });
    expect(noName).toEqual({ errors: { firstName: "Enter a first or last name: Commerce7 needs one for a new customer" } });
    const next = location(await post(app.step1, C7_SHOP, "/app/members/new", { email: "new@example.com", firstName: "Nia", tierId: tiers[`${C7_SHOP}:silver`]! }));
    expect(next.pathname).toBe("/app/members/new/delivery");
    expect(next.searchParams.get("needsAddress")).toBe("1");
    const empty = await post(app.delivery, C7_SHOP, "/app/members/new/delivery", { ...Object.fromEntries(next.searchParams), deliveryMethod: "Ship", shipSame: "1" });
    expect(empty).toEqual({
      errors: {
        bill_address: "Enter the street address",
        bill_city: "Enter the city",
        bill_stateCode: "Enter the state or province",
        bill_zipCode: "Enter the ZIP or postal code",
        bill_countryCode: "Use the two-letter country code, such as US",
      },
    });
    const pickupNowhere = await post(app.delivery, C7_SHOP, "/app/members/new/delivery", { ...Object.fromEntries(next.searchParams), ...ADDRESS, deliveryMethod: "Pickup", pickupLocationId: "warehouse-or-anything" });
    expect(pickupNowhere).toEqual({ errors: { pickupLocationId: "Choose one of the pickup locations listed" } });
  });

  it("the review page sends an invalid selection back to its step instead of showing it", async () => {
    const r = await app.review.loader(app.auth.routeArgs(await app.auth.adminGet(C7_SHOP, "/app/members/new/review?email=x&tierId=")) as never).catch((e: unknown) => e);
    expect(location(r).pathname).toBe("/app/members/new");
    expect(location(r).searchParams.get("check")).toBe("1");
  });
});

describe("a new customer enrolled on Commerce7", () => {
  it("is created with their address, then the membership: synced, one customer, one membership", async () => {
    const { enrolled } = await enrollThroughWizard(
      C7_SHOP,
      { email: "Olive.Grove@example.com", firstName: "Olive", lastName: "Grove", tierId: tiers[`${C7_SHOP}:silver`]! },
      { ...ADDRESS, deliveryMethod: "Ship", shipSame: "1" },
    );
    expect(enrolled.search).toBe("?enrolled=1");
    const customers = [...c7.tenant(TENANT.tenantId).customers.values()].filter((c) => c.emails[0]?.email === "olive.grove@example.com");
    expect(customers).toHaveLength(1);
    const addresses = [...c7.tenant(TENANT.tenantId).addresses.values()].filter((a) => a.customerId === customers[0]!.id);
    expect(addresses).toMatchObject([{ address: "12 Oak Lane", city: "Sonoma", stateCode: "CA", zipCode: "95476", countryCode: "US" }]);
    const memberships = c7.memberships(TENANT.tenantId, customers[0]!.id);
    expect(memberships).toMatchObject([{ status: "Active", orderDeliveryMethod: "Ship", billToCustomerAddressId: addresses[0]!.id, shipToCustomerAddressId: addresses[0]!.id }]);
    const local = await app.prisma.enrollment.findFirstOrThrow({ where: { shop: C7_SHOP, customer: { email: "olive.grove@example.com" } }, include: { customer: { include: { addresses: true } } } });
    expect(local).toMatchObject({ syncState: "synced", platformMembershipId: memberships[0]!.id, customer: { commerce7CustomerId: customers[0]!.id, addresses: [{ kind: "billing", platformAddressId: addresses[0]!.id }] } });

    // Converging again (a retry, a late duplicate) adds nothing remotely.
    await app.prisma.crmSyncQueue.create({
      data: { shop: C7_SHOP, customerId: local.customerId, enrollmentId: local.id, actionType: "add_membership", platform: "commerce7", stageId: local.tierId, idempotencyKey: "again" },
    });
    await drainQueue(app.prisma, app.Worker);
    expect([...c7.tenant(TENANT.tenantId).addresses.values()].filter((a) => a.customerId === customers[0]!.id)).toHaveLength(1);
    expect(c7.memberships(TENANT.tenantId, customers[0]!.id)).toHaveLength(1);
  });

  it("ships to a separate shipping address, or picks up at a Commerce7 pickup location", async () => {
    await enrollThroughWizard(
      C7_SHOP,
      { email: "ship@example.com", firstName: "Shi", tierId: tiers[`${C7_SHOP}:silver`]! },
      { ...ADDRESS, deliveryMethod: "Ship", ship_address: "9 Dock St", ship_city: "Oakland", ship_stateCode: "CA", ship_zipCode: "94607", ship_countryCode: "US" },
    );
    const shipper = [...c7.tenant(TENANT.tenantId).customers.values()].find((c) => c.emails[0]?.email === "ship@example.com")!;
    const [m] = c7.memberships(TENANT.tenantId, shipper.id);
    const addr = (id: string | null) => c7.tenant(TENANT.tenantId).addresses.get(id ?? "")?.address;
    expect([addr(m!.billToCustomerAddressId), addr(m!.shipToCustomerAddressId)]).toEqual(["12 Oak Lane", "9 Dock St"]);

    const { afterDelivery } = await enrollThroughWizard(
      C7_SHOP,
      { email: "pickup@example.com", firstName: "Pia", tierId: tiers[`${C7_SHOP}:gold`]! },
      { ...ADDRESS, deliveryMethod: "Pickup", pickupLocationId: pickupId },
    );
    expect(afterDelivery.pathname).toBe("/app/members/new/review");
    const picker = [...c7.tenant(TENANT.tenantId).customers.values()].find((c) => c.emails[0]?.email === "pickup@example.com")!;
    expect(c7.memberships(TENANT.tenantId, picker.id)).toMatchObject([{ orderDeliveryMethod: "Pickup", pickupInventoryLocationId: pickupId, shipToCustomerAddressId: null }]);
  });

  it("an existing Commerce7 customer with an address is not asked for one; an address already there is reused, not doubled", async () => {
    const known = c7.addCustomer(TENANT.tenantId, { email: "known@example.com", firstName: "Kay", withAddress: true });
    const next = location(await post(app.step1, C7_SHOP, "/app/members/new", { email: "known@example.com", firstName: "Kay", platformId: known.id, tierId: tiers[`${C7_SHOP}:silver`]! }));
    expect(next.searchParams.get("needsAddress")).toBeNull();

    // A customer whose address the wizard took is already in Commerce7 (say, a
    // first try created it and its answer was lost): matched, not created again.
    const twin = c7.addCustomer(TENANT.tenantId, { email: "twin@example.com", firstName: "Tw" });
    const res = await fetch(`${c7.url}/v1/customer/${twin.id}/address`, {
      method: "POST",
      headers: { Authorization: `Basic ${Buffer.from("app:secret").toString("base64")}`, tenant: TENANT.tenantId, "Content-Type": "application/json" },
      body: JSON.stringify({ address: "12 oak lane", city: "SONOMA", zipCode: "95476", stateCode: "CA", countryCode: "US" }),
    });
    expect(res.status).toBe(200);
    await enrollThroughWizard(C7_SHOP, { email: "twin@example.com", firstName: "Tw", tierId: tiers[`${C7_SHOP}:silver`]! }, { ...ADDRESS, deliveryMethod: "Ship", shipSame: "1" });
    expect([...c7.tenant(TENANT.tenantId).addresses.values()].filter((a) => a.customerId === twin.id)).toHaveLength(1);
    expect(c7.memberships(TENANT.tenantId, twin.id)).toHaveLength(1);
  });

  it("a club that needs a card on file fails in plain words, saying what to do in Commerce7", async () => {
    c7.tenant(TENANT.tenantId).creds.requireCard = true;
    const { enrolled } = await enrollThroughWizard(C7_SHOP, { email: "card@example.com", firstName: "Cara", tierId: tiers[`${C7_SHOP}:silver`]! }, { ...ADDRESS, deliveryMethod: "Ship", shipSame: "1" });
    expect(enrolled.search).toBe("?enrolled=1");
    const item = await app.prisma.crmSyncQueue.findFirstOrThrow({ where: { shop: C7_SHOP, customerId: (await app.prisma.customer.findFirstOrThrow({ where: { shop: C7_SHOP, email: "card@example.com" } })).id } });
    expect(item).toMatchObject({
      status: "failed",
      lastError:
        "Commerce7 needs a credit card on file for this club membership, and Club Tiers does not collect cards. In Commerce7, open the customer, add their credit card, then press Retry here.",
    });
  });
});

describe("tiers always reach a club", () => {
  it("a Commerce7 tier without a club is not offered, is refused if sent anyway, and its row says why with the fix", async () => {
    const page = await app.step1.loader(app.auth.routeArgs(await app.auth.adminGet(C7_SHOP, "/app/members/new")) as never);
    expect(page.tiers.map((t) => t.name)).toEqual(["silver", "gold"]);
    const refused = await post(app.step1, C7_SHOP, "/app/members/new", { email: "u@example.com", firstName: "U", tierId: tiers[`${C7_SHOP}:unmapped`]! });
    expect(refused).toEqual({ errors: { tierId: "unmapped has no Commerce7 club yet: choose its club on the tier's page first" } });
    const direct = await app.enrollments.enroll(app.prisma, C7_SHOP, { idempotencyKey: "direct-unmapped", email: "u@example.com", firstName: "U", tierId: tiers[`${C7_SHOP}:unmapped`]! });
    expect(direct).toMatchObject({ ok: false, errors: { tierId: "unmapped has no Commerce7 club yet: choose its club on the tier's page first" } });

    const list = await app.tiersPage.loader(app.auth.routeArgs(await app.auth.adminGet(C7_SHOP, "/app/tiers")) as never);
    expect(list.tiers.map((t) => [t.name, t.club])).toEqual([
      ["silver", "silver club"],
      ["gold", "gold club"],
      ["unmapped", null],
    ]);
  });

  it("the tier form picks the club from the tenant's clubs (cached, refreshable) and saving it opens the tier", async () => {
    const form = await app.tierForm.loader(app.auth.routeArgs(await app.auth.adminGet(C7_SHOP, `/app/tiers/${tiers[`${C7_SHOP}:unmapped`]}`), { id: tiers[`${C7_SHOP}:unmapped`]! }) as never);
    expect(form.clubs?.clubs.map((c) => c.title).sort()).toEqual(["gold club", "silver club"]);
    // A club added in Commerce7 shows after a refresh, not before (the list is cached)…
    const added = c7.addClub(TENANT.tenantId, { title: "reserve club" });
    const cachedForm = await app.tierForm.loader(app.auth.routeArgs(await app.auth.adminGet(C7_SHOP, `/app/tiers/new`), { id: "new" }) as never);
    expect(cachedForm.clubs?.clubs.map((c) => c.title)).not.toContain("reserve club");
    // …and with Commerce7 down, the refresh keeps the cached list and says so.
    await fetch(`${c7.url}/__fake/faults`, { method: "POST", body: JSON.stringify({ mode: "down" }) });
    const down = await app.tierForm.loader(app.auth.routeArgs(await app.auth.adminGet(C7_SHOP, `/app/tiers/new?refreshClubs=1`), { id: "new" }) as never);
    expect(down.clubs).toMatchObject({ clubs: [{}, {}] });
    expect(down.clubs?.error).toMatch(/^Commerce7 could not be reached .* Showing the clubs as last read\.$/);
    c7.faults.clear();
    const refreshed = await app.tierForm.loader(app.auth.routeArgs(await app.auth.adminGet(C7_SHOP, `/app/tiers/new?refreshClubs=1`), { id: "new" }) as never);
    expect(refreshed.clubs?.clubs.map((c) => c.title)).toContain("reserve club");

    const t = await app.prisma.tier.findUniqueOrThrow({ where: { id: tiers[`${C7_SHOP}:unmapped`] } });
    const saved = await post(app.tierForm, C7_SHOP, `/app/tiers/${t.id}`, {
      name: t.name,
      annualThreshold: "1200",
      initialPurchase: "100",
      durationMonths: "12",
      rank: String(t.rank),
      discountPercent: "0",
      c7ClubId: added.id,
    }, { id: t.id });
    expect(location(saved).pathname).toBe("/app/tiers");
    const page = await app.step1.loader(app.auth.routeArgs(await app.auth.adminGet(C7_SHOP, "/app/members/new")) as never);
    expect(page.tiers.map((x) => x.name)).toEqual(["silver", "gold", "unmapped"]);
  });
});
