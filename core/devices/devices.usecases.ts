import { badRequest, conflict, forbidden, notFound, unauthorized } from "../../shared/http/app-error.ts";
import { tokensMatch } from "../../shared/http/bearer-token.ts";
import { chunkUploadErrorCodes } from "../../shared/contracts/chunk-upload.ts";
import type { Clock } from "../../shared/runtime/clock.ts";
import type { CoreDatabase } from "../db/core-database.ts";
import { hashSecret } from "../admin/admin-auth.ts";
import { generateDeviceToken } from "./device-token.ts";
import { createDevicesRepository, type UploadingDevice } from "./devices.repository.ts";
import type { DeviceRow } from "./devices.schema.ts";

export interface DevicesDeps {
  db: CoreDatabase;
  clock: Clock;
  /** The core's own secrets (ADMIN_TOKEN, INTERNAL_TOKEN): never a device's token too. */
  serviceTokens?: Array<string | undefined>;
}

/** A token that would open the admin or internal API must never also open a device's uploads. */
function assertNotServiceToken(deps: DevicesDeps, token: string | undefined): void {
  if (token === undefined) return;
  const clash = (deps.serviceTokens ?? []).some((serviceToken) => tokensMatch(token, serviceToken));
  if (clash) throw badRequest("devices.token_reserved", "token_plain: is one of the core's own tokens (ADMIN_TOKEN or INTERNAL_TOKEN); every device needs a token of its own");
}

export interface RegisterDeviceInput {
  pointId: string;
  registerId: string;
  deviceId: string;
  /** The admin's chosen token; one is generated (and returned once) when absent. */
  tokenPlain?: string;
}

/** A device and, when the core generated its token, that token: the only time it is ever shown. */
export interface DeviceWithToken {
  device: DeviceRow;
  generatedToken: string | null;
}

export async function registerDevice(deps: DevicesDeps, input: RegisterDeviceInput): Promise<DeviceWithToken> {
  assertNotServiceToken(deps, input.tokenPlain);
  const token = input.tokenPlain ?? generateDeviceToken();
  const now = deps.clock.now();
  const outcome = await createDevicesRepository(deps.db).insertDevice({
    deviceId: input.deviceId,
    pointId: input.pointId,
    registerId: input.registerId,
    tokenHash: hashSecret(token),
    enabled: true,
    createdAt: now,
    updatedAt: now,
    tokenRotatedAt: now,
  });
  if (outcome === "device_exists") throw conflict("devices.already_exists", `device ${input.deviceId} is already registered; rotate its token or enable it instead`);
  if (outcome === "token_in_use") throw conflict("devices.token_in_use", "another device already uses this token; every device needs its own");
  return { device: (await createDevicesRepository(deps.db).findDevice(input.deviceId))!, generatedToken: input.tokenPlain ? null : token };
}

export async function getDevice(deps: DevicesDeps, deviceId: string): Promise<DeviceRow> {
  const device = await createDevicesRepository(deps.db).findDevice(deviceId);
  if (!device) throw notFound("devices.not_found", `no device ${deviceId}`);
  return device;
}

export function listRegisteredDevices(deps: DevicesDeps, filter: { pointId?: string; enabled?: boolean }): Promise<DeviceRow[]> {
  return createDevicesRepository(deps.db).listDevices(filter);
}

export async function setDeviceEnabled(deps: DevicesDeps, deviceId: string, enabled: boolean): Promise<DeviceRow> {
  const device = await getDevice(deps, deviceId);
  if (device.enabled === enabled) return device;
  const now = deps.clock.now();
  return (await createDevicesRepository(deps.db).updateDevice(deviceId, { enabled, disabledAt: enabled ? null : now, updatedAt: now }))!;
}

/** Replaces the token at once: the old one stops working with this call. */
export async function rotateDeviceToken(deps: DevicesDeps, deviceId: string, tokenPlain?: string): Promise<DeviceWithToken> {
  await getDevice(deps, deviceId);
  assertNotServiceToken(deps, tokenPlain);
  const token = tokenPlain ?? generateDeviceToken();
  const tokenHash = hashSecret(token);
  if (await createDevicesRepository(deps.db).isTokenHashTaken(tokenHash)) throw conflict("devices.token_in_use", "this token is already in use; choose a new one");
  const now = deps.clock.now();
  const device = await createDevicesRepository(deps.db).updateDevice(deviceId, { tokenHash, tokenRotatedAt: now, updatedAt: now });
  return { device: device!, generatedToken: tokenPlain ? null : token };
}

/** The enabled device a Bearer token belongs to, looked up by the token's digest. */
export async function authenticateDevice(deps: DevicesDeps, token: string | null): Promise<UploadingDevice> {
  if (!token) throw unauthorized(chunkUploadErrorCodes.missingToken, "an Authorization: Bearer <device token> header is required");
  const device = await createDevicesRepository(deps.db).findUploadingDevice(hashSecret(token));
  if (!device) throw unauthorized(chunkUploadErrorCodes.invalidToken, "the device token is not valid");
  if (!device.enabled) throw forbidden(chunkUploadErrorCodes.deviceDisabled, `device ${device.deviceId} is disabled`);
  return device;
}
