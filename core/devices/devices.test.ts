import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { randomUUID } from "node:crypto";
import { devices } from "../db/schema.ts";
import { createTestCore, type TestCore, testAdminToken, testInternalToken } from "../testing/core-test-app.ts";
import { noiseChunk } from "../testing/test-audio.ts";

let core: TestCore;
beforeEach(async () => {
  core = await createTestCore();
});
afterEach(() => core.dispose());

const json = (body: unknown) => ({ method: "POST", body: JSON.stringify(body) });
const identity = () => ({ point_id: randomUUID(), register_id: randomUUID(), device_id: randomUUID() });

describe("POST /api/v1/admin/devices", () => {
  test("registers a device with the seed's fields; the token is stored only as its SHA-256", async () => {
    const ids = identity();
    const token = "f3b1c2d4e5a6978812345678abcdef00";
    const response = await core.admin("/api/v1/admin/devices", json({ ...ids, token_plain: token }));
    expect(response.status).toBe(201);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ ...ids, enabled: true, created_at: "2026-01-15T09:00:00.000Z", last_upload_at: null });
    expect(JSON.stringify(body)).not.toContain(token);
    const rows = await core.database.db.select().from(devices);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.tokenHash).toBe("fef73d464781a15f48bb761d087f86f5d9f1d8ae32d69ecbfdb618f74e0d26ef");
    expect(JSON.stringify(rows)).not.toContain(token);
  });

  test("without token_plain a token is generated and shown once", async () => {
    const ids = identity();
    const created = (await (await core.admin("/api/v1/admin/devices", json(ids))).json()) as { token_plain: string };
    expect(created.token_plain).toMatch(/^[0-9a-f]{48}$/);
    const shown = (await (await core.admin(`/api/v1/admin/devices/${ids.device_id}`)).json()) as Record<string, unknown>;
    expect(shown.token_plain).toBeUndefined();
    const upload = await core.upload({ pointId: ids.point_id, registerId: ids.register_id, deviceId: ids.device_id, token: created.token_plain }, { bytes: await noiseChunk(1) });
    expect(upload.status).toBe(200);
  });

  test.each([
    ["a point_id that is not a UUID", { point_id: "../../etc" }, "request.invalid", "point_id"],
    ["a short token", { token_plain: "short" }, "request.invalid", "at least 16"],
    ["a placeholder token", { token_plain: "changeme-device-token" }, "request.invalid", "placeholder"],
    ["a token with spaces", { token_plain: "abcdefgh ijklmnopq" }, "request.invalid", "without spaces"],
    ["an unknown field", { token: "abc" }, "request.invalid", "token"],
  ])("refuses %s", async (_, change, code, message) => {
    const response = await core.admin("/api/v1/admin/devices", json({ ...identity(), token_plain: "a1b2c3d4e5f6g7h8i9j0", ...change }));
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe(code);
    expect(body.error.message).toContain(message);
    expect(await core.database.db.$count(devices)).toBe(0);
  });

  test("refuses malformed JSON, a second registration of a device and a token another device uses", async () => {
    const malformed = await core.admin("/api/v1/admin/devices", { method: "POST", body: "{not json" });
    expect(malformed.status).toBe(400);
    expect(((await malformed.json()) as { error: { code: string } }).error.code).toBe("request.malformed_json");

    const ids = identity();
    expect((await core.admin("/api/v1/admin/devices", json({ ...ids, token_plain: "tok-first-9f8e7d6c5b" }))).status).toBe(201);
    const again = await core.admin("/api/v1/admin/devices", json({ ...ids, token_plain: "tok-other-1a2b3c4d5e" }));
    expect(again.status).toBe(409);
    expect(((await again.json()) as { error: { code: string } }).error.code).toBe("devices.already_exists");
    const sameToken = await core.admin("/api/v1/admin/devices", json({ ...identity(), token_plain: "tok-first-9f8e7d6c5b" }));
    expect(sameToken.status).toBe(409);
    expect(((await sameToken.json()) as { error: { code: string } }).error.code).toBe("devices.token_in_use");
    expect(await core.database.db.$count(devices)).toBe(1);
  });
});

describe("listing, disabling, enabling and rotating", () => {
  test("list filters by point and state; disable refuses uploads at once, enable lets them in again", async () => {
    const first = await core.registerDevice();
    const second = await core.registerDevice({ pointId: first.pointId });
    await core.registerDevice();
    const bytes = await noiseChunk(1);

    const atPoint = (await (await core.admin(`/api/v1/admin/devices?point_id=${first.pointId}`)).json()) as { devices: Array<{ device_id: string }> };
    expect(atPoint.devices.map((device) => device.device_id).sort()).toEqual([first.deviceId, second.deviceId].sort());

    const disabled = await core.admin(`/api/v1/admin/devices/${first.deviceId}/disable`, { method: "POST" });
    expect(await disabled.json()).toMatchObject({ device_id: first.deviceId, enabled: false, disabled_at: "2026-01-15T09:00:00.000Z" });
    const refused = await core.upload(first, { bytes });
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe("ingest.device_disabled");
    const onlyDisabled = (await (await core.admin("/api/v1/admin/devices?enabled=false")).json()) as { devices: Array<{ device_id: string }> };
    expect(onlyDisabled.devices.map((device) => device.device_id)).toEqual([first.deviceId]);

    expect(await (await core.admin(`/api/v1/admin/devices/${first.deviceId}/enable`, { method: "POST" })).json()).toMatchObject({ enabled: true, disabled_at: null });
    expect((await core.upload(first, { bytes })).status).toBe(200);
    const listed = (await (await core.admin(`/api/v1/admin/devices/${first.deviceId}`)).json()) as { last_upload_at: string };
    expect(listed.last_upload_at).toBe("2026-01-15T09:00:00.000Z");
  });

  test("rotating a token retires the old one immediately", async () => {
    const device = await core.registerDevice();
    const bytes = await noiseChunk(1);
    const rotated = await core.admin(`/api/v1/admin/devices/${device.deviceId}/rotate-token`, json({ token_plain: "rotated-7c6b5a4d3e2f1" }));
    expect(rotated.status).toBe(200);
    expect(((await core.upload(device, { bytes })).status)).toBe(401);
    expect((await core.upload({ ...device, token: "rotated-7c6b5a4d3e2f1" }, { bytes })).status).toBe(200);
    const generated = (await (await core.admin(`/api/v1/admin/devices/${device.deviceId}/rotate-token`, { method: "POST" })).json()) as { token_plain: string };
    expect(generated.token_plain).toMatch(/^[0-9a-f]{48}$/);
    expect((await core.upload({ ...device, token: generated.token_plain }, { bytes })).status).toBe(200);
  });

  test("unknown devices are 404, malformed ids 400, and a rotation onto a used token 409", async () => {
    const device = await core.registerDevice();
    const other = await core.registerDevice();
    for (const path of [`/api/v1/admin/devices/${randomUUID()}`, `/api/v1/admin/devices/${randomUUID()}/disable`]) {
      const response = await core.admin(path, path.endsWith("disable") ? { method: "POST" } : {});
      expect(response.status).toBe(404);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe("devices.not_found");
    }
    expect((await core.admin("/api/v1/admin/devices/not-a-uuid")).status).toBe(400);
    expect((await core.admin("/api/v1/admin/devices?enabled=maybe")).status).toBe(400);
    const taken = await core.admin(`/api/v1/admin/devices/${device.deviceId}/rotate-token`, json({ token_plain: other.token }));
    expect(taken.status).toBe(409);
    expect(((await taken.json()) as { error: { code: string } }).error.code).toBe("devices.token_in_use");
  });
});

describe("one secret, one role", () => {
  test("a device may not be registered, or rotated, onto the admin or the internal token", async () => {
    const device = await core.registerDevice();
    for (const token of [testAdminToken, testInternalToken]) {
      const registered = await core.admin("/api/v1/admin/devices", json({ ...identity(), token_plain: token }));
      expect(registered.status).toBe(400);
      const error = ((await registered.json()) as { error: { code: string; message: string } }).error;
      expect(error.code).toBe("devices.token_reserved");
      expect(error.message).toContain("ADMIN_TOKEN or INTERNAL_TOKEN");
      const rotated = await core.admin(`/api/v1/admin/devices/${device.deviceId}/rotate-token`, json({ token_plain: token }));
      expect(rotated.status).toBe(400);
      expect(((await rotated.json()) as { error: { code: string } }).error.code).toBe("devices.token_reserved");
    }
    expect(await core.database.db.$count(devices)).toBe(1);
    expect((await core.upload(device, { bytes: await noiseChunk(1) })).status).toBe(200);
  });
});

describe("admin API security", () => {
  const someId = "0d9c8b7a-6f5e-4d3c-8b2a-19f8e7d6c5b4";
  const routes: Array<[string, string]> = [
    ["POST", "/api/v1/admin/devices"],
    ["GET", "/api/v1/admin/devices"],
    ["GET", `/api/v1/admin/devices/${someId}`],
    ["POST", `/api/v1/admin/devices/${someId}/disable`],
    ["POST", `/api/v1/admin/devices/${someId}/enable`],
    ["POST", `/api/v1/admin/devices/${someId}/rotate-token`],
    ["GET", `/api/v1/admin/chunks/${someId}`],
    ["GET", "/api/v1/admin/dialogues"],
    ["GET", `/api/v1/admin/dialogues/${someId}`],
  ];

  test.each(routes)("%s %s refuses no token, a wrong token, the internal token and a device token", async (method, path) => {
    const device = await core.registerDevice();
    const body = method === "POST" ? JSON.stringify(identity()) : undefined;
    const attempts: Array<[Record<string, string>, string]> = [
      [{}, "auth.missing_token"],
      [{ authorization: "Bearer wrong-token-0123456789" }, "auth.invalid_token"],
      [{ authorization: `Bearer ${testInternalToken}` }, "auth.invalid_token"],
      [{ authorization: `Bearer ${device.token}` }, "auth.invalid_token"],
      [{ authorization: "Basic YWRtaW46YWRtaW4=" }, "auth.missing_token"],
    ];
    for (const [headers, code] of attempts) {
      const response = await core.app.request(path, { method, body, headers: { "content-type": "application/json", ...headers } }, { remoteAddress: "127.0.0.1" });
      expect(response.status).toBe(401);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe(code);
    }
    expect(await core.database.db.$count(devices)).toBe(1);
  });

  test("without ADMIN_TOKEN configured the admin API is off, not open", async () => {
    const closed = await createTestCore({ ADMIN_TOKEN: "" });
    try {
      const response = await closed.app.request("/api/v1/admin/devices", { method: "POST", body: JSON.stringify(identity()) }, { remoteAddress: "127.0.0.1" });
      expect(response.status).toBe(403);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe("admin.disabled");
    } finally {
      closed.dispose();
    }
  });
});
