import type { FakeClock } from "../../shared/testing/fake-clock.ts";
import type { TempDatabase } from "../../shared/testing/temp-database.ts";
import type * as schema from "../db/schema.ts";
import { createTestCore, testAdminToken } from "../testing/core-test-app.ts";

export { testAdminToken };
const loopback = { remoteAddress: "127.0.0.1" };

export interface CoreTestBench {
  database: TempDatabase<typeof schema>;
  clock: FakeClock;
  request(path: string, init?: RequestInit): Promise<Response>;
  /** JSON request with an API key (or none). */
  call(method: string, path: string, options?: { key?: string | null; body?: unknown; headers?: Record<string, string> }): Promise<{ status: number; body: any }>;
  admin(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>;
  createTenant(name: string, options?: { timezone?: string; scopes?: string[] }): Promise<{ id: string; key: string }>;
  dispose(): void;
}

/** A core app on a fresh database, with helpers to create tenants and keys through the admin API. */
export async function openCoreTestBench(options: { env?: Record<string, string>; random?: () => number; clock?: FakeClock } = {}): Promise<CoreTestBench> {
  const core = await createTestCore(options.env, { clock: options.clock, random: options.random });
  const { app, database, clock } = core;
  const request = async (path: string, init: RequestInit = {}) => app.request(path, init, loopback);
  const call: CoreTestBench["call"] = async (method, path, callOptions = {}) => {
    const headers: Record<string, string> = { ...callOptions.headers };
    if (callOptions.key) headers["x-api-key"] = callOptions.key;
    if (callOptions.body !== undefined) headers["content-type"] = "application/json";
    const response = await request(path, { method, headers, body: callOptions.body === undefined ? undefined : JSON.stringify(callOptions.body) });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : null };
  };
  const admin: CoreTestBench["admin"] = async (method, path, body) =>
    call(method, path, { body, headers: { authorization: `Bearer ${testAdminToken}` } });
  return {
    database,
    clock,
    request,
    call,
    admin,
    async createTenant(name, tenantOptions = {}) {
      const tenant = await admin("POST", "/api/v1/admin/tenants", { name, ...(tenantOptions.timezone ? { timezone: tenantOptions.timezone } : {}) });
      if (tenant.status !== 201) throw new Error(`tenant not created: ${JSON.stringify(tenant.body)}`);
      const key = await admin("POST", `/api/v1/admin/tenants/${tenant.body.tenant.id}/api-keys`, {
        name: `${name} key`,
        scopes: tenantOptions.scopes ?? ["call_results", "dids_next", "stats", "manage"],
      });
      if (key.status !== 201) throw new Error(`key not created: ${JSON.stringify(key.body)}`);
      return { id: tenant.body.tenant.id, key: key.body.key };
    },
    dispose: core.dispose,
  };
}
