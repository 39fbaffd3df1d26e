// Liveness + readiness: a real query against the database. 200 when it answers,
// 503 when it does not, so a load balancer takes a broken instance out.
import { pingDatabase } from "~/db.server";

export const loader = async () => {
  const started = Date.now();
  try {
    await pingDatabase();
    return Response.json({ status: "ok", db: "ok", latencyMs: Date.now() - started });
  } catch (error) {
    console.error("health: database check failed:", error instanceof Error ? error.message : error);
    return Response.json({ status: "error", db: "unreachable" }, { status: 503 });
  }
};
