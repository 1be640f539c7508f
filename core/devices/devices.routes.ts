import { z } from "zod";
import { uuidString } from "../../shared/contracts/identifiers.ts";
import type { HttpApp } from "../../shared/http/create-http-app.ts";
import { readJsonBody } from "../../shared/http/json-body.ts";
import { isoTime } from "../../shared/http/iso-time.ts";
import { deviceTokenText } from "./device-token.ts";
import type { DeviceRow } from "./devices.schema.ts";
import { type DevicesDeps, type DeviceWithToken, getDevice, listRegisteredDevices, registerDevice, rotateDeviceToken, setDeviceEnabled } from "./devices.usecases.ts";

const registerDeviceBody = z
  .object({ point_id: uuidString, register_id: uuidString, device_id: uuidString, token_plain: deviceTokenText.optional() })
  .strict();
const rotateTokenBody = z.object({ token_plain: deviceTokenText.optional() }).strict();
const deviceIdParam = z.object({ device_id: uuidString });
const listQuery = z.object({ point_id: uuidString.optional(), enabled: z.enum(["true", "false"]).optional() });

/** Admin routes for recorders (behind the admin token, which app.ts puts on /api/v1/admin/*). */
export function registerDeviceRoutes(app: HttpApp, deps: DevicesDeps): void {
  app.post("/api/v1/admin/devices", async (c) => {
    const body = await readJsonBody(c, registerDeviceBody);
    const created = await registerDevice(deps, { pointId: body.point_id, registerId: body.register_id, deviceId: body.device_id, tokenPlain: body.token_plain });
    return c.json(presentWithToken(created), 201);
  });

  app.get("/api/v1/admin/devices", async (c) => {
    const query = listQuery.parse(c.req.query());
    const rows = await listRegisteredDevices(deps, { pointId: query.point_id, enabled: query.enabled === undefined ? undefined : query.enabled === "true" });
    return c.json({ devices: rows.map(presentDevice) });
  });

  app.get("/api/v1/admin/devices/:device_id", async (c) => {
    const { device_id } = deviceIdParam.parse(c.req.param());
    return c.json(presentDevice(await getDevice(deps, device_id)));
  });

  app.post("/api/v1/admin/devices/:device_id/disable", async (c) => {
    const { device_id } = deviceIdParam.parse(c.req.param());
    return c.json(presentDevice(await setDeviceEnabled(deps, device_id, false)));
  });

  app.post("/api/v1/admin/devices/:device_id/enable", async (c) => {
    const { device_id } = deviceIdParam.parse(c.req.param());
    return c.json(presentDevice(await setDeviceEnabled(deps, device_id, true)));
  });

  app.post("/api/v1/admin/devices/:device_id/rotate-token", async (c) => {
    const { device_id } = deviceIdParam.parse(c.req.param());
    const body = await readJsonBody(c, rotateTokenBody);
    return c.json(presentWithToken(await rotateDeviceToken(deps, device_id, body.token_plain)));
  });
}

function presentDevice(device: DeviceRow) {
  return {
    device_id: device.deviceId,
    point_id: device.pointId,
    register_id: device.registerId,
    enabled: device.enabled,
    created_at: isoTime(device.createdAt),
    updated_at: isoTime(device.updatedAt),
    token_rotated_at: isoTime(device.tokenRotatedAt),
    disabled_at: isoTime(device.disabledAt),
    last_upload_at: isoTime(device.lastUploadAt),
  };
}

/** A generated token is in the response once, as `token_plain`; a chosen one is never echoed. */
function presentWithToken(result: DeviceWithToken) {
  return result.generatedToken ? { ...presentDevice(result.device), token_plain: result.generatedToken } : presentDevice(result.device);
}
