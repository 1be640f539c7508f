import { describe, expect, test } from "bun:test";
import { createLogger } from "../log/logger.ts";
import { createAddressMatcher } from "./address-list.ts";
import { resolveClientAddress, trustNoProxy } from "./client-address.ts";
import { createHttpApp } from "./create-http-app.ts";
import { MetricsRegistry } from "./metrics.ts";

const headers = (entries: Record<string, string> = {}) => new Headers(entries);
const trustLoopback = createAddressMatcher("loopback");
const trustProxyNetwork = createAddressMatcher("loopback,10.0.0.0/8");

describe("resolveClientAddress", () => {
  test("without forwarding headers the client is the peer", () => {
    expect(resolveClientAddress(headers(), "127.0.0.1", trustNoProxy)).toBe("127.0.0.1");
    expect(resolveClientAddress(headers(), "203.0.113.9", trustLoopback)).toBe("203.0.113.9");
    expect(resolveClientAddress(headers(), undefined, trustLoopback)).toBeUndefined();
  });

  test("forwarding headers from a loopback peer that is not trusted make the client unknown, never loopback", () => {
    for (const [name, value] of [
      ["x-forwarded-for", "127.0.0.1"],
      ["forwarded", "for=127.0.0.1"],
      ["x-real-ip", "127.0.0.1"],
      ["x-forwarded-for", "203.0.113.50"],
    ] as const) {
      expect(resolveClientAddress(headers({ [name]: value }), "127.0.0.1", trustNoProxy)).toBeUndefined();
      expect(resolveClientAddress(headers({ [name]: value }), "::1", createAddressMatcher("192.0.2.1"))).toBeUndefined();
    }
  });

  test("a remote peer cannot name itself someone else: its forwarding headers are ignored", () => {
    expect(resolveClientAddress(headers({ "x-forwarded-for": "127.0.0.1" }), "203.0.113.9", trustLoopback)).toBe("203.0.113.9");
    expect(resolveClientAddress(headers({ "x-real-ip": "10.1.2.3" }), "203.0.113.9", trustLoopback)).toBe("203.0.113.9");
  });

  test("behind a trusted proxy the forwarded client counts, the right-most untrusted hop of the chain", () => {
    expect(resolveClientAddress(headers({ "x-forwarded-for": "203.0.113.50" }), "127.0.0.1", trustLoopback)).toBe("203.0.113.50");
    // The client wrote the first entry itself; only what the trusted proxies appended is believed.
    expect(resolveClientAddress(headers({ "x-forwarded-for": "127.0.0.1, 198.51.100.7, 10.0.0.2" }), "127.0.0.1", trustProxyNetwork)).toBe("198.51.100.7");
    expect(resolveClientAddress(headers({ "x-forwarded-for": "10.0.0.3, 10.0.0.2" }), "127.0.0.1", trustProxyNetwork)).toBe("10.0.0.3");
    expect(resolveClientAddress(headers({ "x-real-ip": " 198.51.100.8 " }), "127.0.0.1", trustLoopback)).toBe("198.51.100.8");
    expect(resolveClientAddress(headers({ "x-forwarded-for": "127.0.0.1" }), "127.0.0.1", trustLoopback)).toBe("127.0.0.1");
  });

  test("RFC 7239 Forwarded: quoted IPv6 with a port, IPv4 with a port, several elements", () => {
    expect(resolveClientAddress(headers({ forwarded: 'for="[2001:db8::17]:4711";proto=https' }), "127.0.0.1", trustLoopback)).toBe("2001:db8::17");
    expect(resolveClientAddress(headers({ forwarded: "for=192.0.2.60:8080, for=10.0.0.2;by=10.0.0.1" }), "::1", trustProxyNetwork)).toBe("192.0.2.60");
  });

  test("a header the proxy passed on as the client wrote it cannot name another client: several headers must agree", () => {
    // nginx appends the client to X-Forwarded-For and passes Forwarded and X-Real-IP through untouched.
    const dialer = "10.1.2.3";
    const attacker = "203.0.113.66";
    expect(resolveClientAddress(headers({ forwarded: `for=${dialer}`, "x-forwarded-for": attacker }), "127.0.0.1", trustLoopback)).toBeUndefined();
    expect(resolveClientAddress(headers({ "x-real-ip": dialer, "x-forwarded-for": attacker }), "127.0.0.1", trustLoopback)).toBeUndefined();
    // A proxy that sets X-Real-IP alone: a forged X-Forwarded-For does not win over it.
    expect(resolveClientAddress(headers({ "x-forwarded-for": dialer, "x-real-ip": attacker }), "127.0.0.1", trustLoopback)).toBeUndefined();
    // Headers that agree on the client keep naming it, whatever trusted hops each lists.
    expect(resolveClientAddress(headers({ forwarded: "for=192.0.2.61", "x-forwarded-for": "192.0.2.61" }), "127.0.0.1", trustLoopback)).toBe("192.0.2.61");
    expect(resolveClientAddress(headers({ "x-forwarded-for": "192.0.2.62, 10.0.0.2", "x-real-ip": "192.0.2.62" }), "127.0.0.1", trustProxyNetwork)).toBe("192.0.2.62");
  });

  test("hidden, unknown or malformed hops make the client unknown", () => {
    for (const value of ["for=unknown", "for=_hidden", "proto=https", 'for="not an address"']) {
      expect(resolveClientAddress(headers({ forwarded: value }), "127.0.0.1", trustLoopback)).toBeUndefined();
    }
    expect(resolveClientAddress(headers({ "x-forwarded-for": "evil, 198.51.100.7" }), "127.0.0.1", trustLoopback)).toBe("198.51.100.7");
    expect(resolveClientAddress(headers({ "x-forwarded-for": "198.51.100.7, junk" }), "127.0.0.1", trustLoopback)).toBeUndefined();
  });
});

describe("/health and /metrics behind a proxy on the same host", () => {
  function appTrusting(trustedProxies?: string) {
    return createHttpApp({
      node: "test",
      logger: createLogger({ node: "test", write: () => {} }),
      metrics: new MetricsRegistry(),
      health: () => ({ status: "ok", secret_detail: "queues" }),
      maxBodyBytes: 100,
      trustedProxies: trustedProxies === undefined ? undefined : createAddressMatcher(trustedProxies),
    });
  }
  const viaProxy = (client: string) => ({ headers: { "x-forwarded-for": client } });
  const fromLoopback = { remoteAddress: "127.0.0.1" };

  test("without TRUSTED_PROXIES a proxied request is a stranger, whatever it claims", async () => {
    const app = appTrusting();
    for (const client of ["203.0.113.9", "127.0.0.1"]) {
      expect(await (await app.request("/health", viaProxy(client), fromLoopback)).json()).toEqual({ status: "ok" });
      expect((await app.request("/metrics", viaProxy(client), fromLoopback)).status).toBe(403);
    }
    // A direct loopback client still gets everything.
    expect(await (await app.request("/health", {}, fromLoopback)).json()).toMatchObject({ secret_detail: "queues" });
    expect((await app.request("/metrics", {}, fromLoopback)).status).toBe(200);
  });

  test("with the proxy trusted, the forwarded client decides", async () => {
    const app = appTrusting("loopback");
    expect(await (await app.request("/health", viaProxy("203.0.113.9"), fromLoopback)).json()).toEqual({ status: "ok" });
    expect((await app.request("/metrics", viaProxy("203.0.113.9"), fromLoopback)).status).toBe(403);
    expect(await (await app.request("/health", viaProxy("127.0.0.1"), fromLoopback)).json()).toMatchObject({ secret_detail: "queues" });
    expect((await app.request("/metrics", viaProxy("::1"), fromLoopback)).status).toBe(200);
  });
});
