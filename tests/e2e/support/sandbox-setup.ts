// Starts one sandbox (fakes + app + frame page) for the whole browser run.
import type { TestProject } from "vitest/node";
import { startSandbox } from "../../../sandbox/run";

declare module "vitest" {
  export interface ProvidedContext {
    sandbox: { url: string; appUrl: string; frameOrigin: string; shops: { shopify: string; commerce7: string }; fakes: { shopify: string; commerce7: string; smtp: string } };
  }
}

export default async function setup(project: TestProject) {
  process.env.SANDBOX_QUIET = "1";
  const sandbox = await startSandbox({ port: Number(process.env.E2E_SANDBOX_PORT ?? 4200) });
  project.provide("sandbox", {
    url: sandbox.url,
    appUrl: sandbox.appUrl,
    frameOrigin: new URL(sandbox.url).origin,
    shops: sandbox.shops,
    fakes: { shopify: sandbox.fakes.shopify.url, commerce7: sandbox.fakes.commerce7.url, smtp: sandbox.fakes.smtp.controlUrl },
  });
  return () => sandbox.stop();
}
