import { describe, expect, test } from "bun:test";
import { startHttpServer } from "./http-server.ts";

describe("http server idle timeout", () => {
  // Bun checks idle connections every few seconds: the answer is late enough to be past that.
  test("a silent answer is cut at the idle timeout, unless the request said it waits long", async () => {
    const server = startHttpServer({
      hostname: "127.0.0.1",
      port: 0,
      idleTimeoutSeconds: 1,
      fetch: async (request, bindings) => {
        if (new URL(request.url).pathname === "/long") bindings.waitsLong?.();
        await new Promise((resolve) => setTimeout(resolve, 4000));
        return new Response("answered");
      },
    });
    try {
      const [short, long] = await Promise.all([
        fetch(`${server.url}/short`).then(
          (response) => response.status,
          (error: Error) => error.message,
        ),
        fetch(`${server.url}/long`).then((response) => response.text()),
      ]);
      expect(short).toContain("closed");
      expect(long).toBe("answered");
    } finally {
      await server.forceStop();
    }
  }, 20_000);
});
