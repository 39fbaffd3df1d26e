// App modules read (and freeze) the environment when first imported. Test
// files that point the app at fakes started in beforeAll set process.env
// first, then call this; it also registers the real platform processors.
export async function importApp() {
  const app = {
    prisma: (await import("~/db.server")).default,
    auth: await import("./auth"),
    enrollments: await import("~/domain/enrollments.server"),
    Worker: (await import("~/queue/worker.server")).Worker,
  };
  (await import("~/integrations/processors.server")).registerPlatformProcessors();
  return app;
}

export type App = Awaited<ReturnType<typeof importApp>>;
