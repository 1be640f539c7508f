import { randomBytes } from "node:crypto";
import { badRequest, conflict, notFound, unauthorized } from "../../shared/http/app-error.ts";
import { bearerTokenOf } from "../../shared/http/bearer-token.ts";
import type { Clock } from "../../shared/runtime/clock.ts";
import { sha256Hex } from "../../shared/runtime/hashing.ts";
import type { MachineApiKey, MachineKeysRepository } from "./machine-keys.repository.ts";

export interface MachineKeysDeps {
  keys: MachineKeysRepository;
  clock: Clock;
}

export const machineKeyNamePattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const keyPrefixLength = 12;
/** Recording "last used" on every request would turn every read into a write. */
const lastUsedResolutionMs = 60_000;

/** A new key for `name`; the key itself exists only in the answer, the database keeps its digest. */
export async function addMachineKey(deps: MachineKeysDeps, name: string): Promise<{ apiKey: MachineApiKey; key: string }> {
  if (!machineKeyNamePattern.test(name)) throw badRequest("api_key.bad_name", "a key's name is 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit");
  const key = `sce_${randomBytes(32).toString("base64url")}`;
  const values = { name, keyPrefix: key.slice(0, keyPrefixLength), keyHash: sha256Hex(key), createdAt: deps.clock.now() };
  if (!(await deps.keys.insertKey(values))) throw conflict("api_key.name_taken", `a key named "${name}" exists already (revoked keys keep their names); choose another name`);
  const apiKey = (await deps.keys.listKeys()).find((listed) => listed.name === name)!;
  return { apiKey, key };
}

export function listMachineKeys(deps: MachineKeysDeps): Promise<MachineApiKey[]> {
  return deps.keys.listKeys();
}

/** The key stops working with this call. */
export async function revokeMachineKey(deps: MachineKeysDeps, name: string): Promise<MachineApiKey> {
  const revoked = await deps.keys.revokeKey(name, deps.clock.now());
  if (!revoked) throw notFound("api_key.not_found", `no key named "${name}": salescontrol-edge api-key list`);
  return revoked;
}

/** The live key behind `Authorization: Bearer <key>`; unknown and revoked keys are refused alike. */
export async function authenticateMachineKey(deps: MachineKeysDeps, authorization: string | undefined): Promise<MachineApiKey> {
  const presented = bearerTokenOf(authorization);
  if (!presented) throw unauthorized("auth.api_key_missing", "send this edge's API key as Authorization: Bearer <key> (make one with: salescontrol-edge api-key add <name>)");
  const key = await deps.keys.findLiveKey(sha256Hex(presented));
  if (!key) throw unauthorized("auth.api_key_invalid", "the API key is unknown to this edge or has been revoked");
  const now = deps.clock.now();
  if (key.lastUsedAt === null || now - key.lastUsedAt >= lastUsedResolutionMs) await deps.keys.touchKey(key.id, now);
  return key;
}
