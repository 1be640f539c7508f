import { isIP } from "node:net";
import { z } from "zod";
import type { ConfigType } from "../config/config-types.ts";
import { isLoopbackAddress } from "../runtime/http-server.ts";

/**
 * A list of clients (the edge's dialer API allow-list, the proxies a node trusts): `loopback`, plus
 * any IPv4/IPv6 addresses or CIDR blocks, e.g. `loopback,10.0.0.0/8,2001:db8::/32`.
 */
export type AddressMatcher = (address: string | undefined) => boolean;

interface Block {
  family: 4 | 6;
  network: bigint;
  prefix: number;
}

export function addressAllowList(): ConfigType<string> {
  const schema = z.preprocess(
    (value) => (typeof value === "string" ? value : Array.isArray(value) ? value.join(",") : value),
    z.string().superRefine((value, context) => {
      for (const entry of splitEntries(value)) {
        if (entry !== "loopback" && parseBlock(entry) === null) context.addIssue({ code: "custom", message: `${JSON.stringify(entry)} is not an IP address or CIDR block` });
      }
    }),
  );
  return { schema: schema as z.ZodType<string>, expected: "loopback and/or IP addresses and CIDR blocks, comma-separated, such as loopback,10.1.2.0/24" };
}

export function createAddressMatcher(allowList: string): AddressMatcher {
  const entries = splitEntries(allowList);
  const allowLoopback = entries.includes("loopback");
  const blocks = entries.filter((entry) => entry !== "loopback").map((entry) => parseBlock(entry)!);
  return (address) => {
    if (!address) return false;
    if (allowLoopback && isLoopbackAddress(address)) return true;
    if (blocks.length === 0) return false;
    const parsed = parseAddress(address);
    if (!parsed) return false;
    return blocks.some((block) => block.family === parsed.family && (parsed.value >> BigInt((block.family === 4 ? 32 : 128) - block.prefix)) === block.network);
  };
}

function splitEntries(value: string): string[] {
  return value
    .split(/[,\s]+/)
    .map((entry) => entry.trim().toLowerCase())
    .filter((entry) => entry !== "");
}

function parseBlock(entry: string): Block | null {
  const [address, prefixText] = entry.split("/");
  const parsed = parseAddress(address ?? "");
  if (!parsed) return null;
  const bits = parsed.family === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? bits : /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : Number.NaN;
  if (!(prefix >= 0 && prefix <= bits)) return null;
  return { family: parsed.family, network: parsed.value >> BigInt(bits - prefix), prefix };
}

/** Whether `text` is an IPv4 or IPv6 address (IPv4-mapped forms included). */
export function isIpAddress(text: string): boolean {
  return parseAddress(text) !== null;
}

/**
 * The /64 network of an IPv6 address (`2001:db8:1:2::/64`), which one site or one attacker holds
 * whole; null for IPv4 (IPv4-mapped forms included) and for what is not an address.
 */
export function ipv6Network64(text: string): string | null {
  const parsed = parseAddress(text);
  if (parsed?.family !== 6) return null;
  const groups = [48n, 32n, 16n, 0n].map((shift) => ((parsed.value >> (64n + shift)) & 0xffffn).toString(16));
  return `${groups.join(":")}::/64`;
}

/** IPv4-mapped IPv6 addresses (`::ffff:10.0.0.5`, as dual-stack sockets report them) count as IPv4. */
function parseAddress(input: string): { family: 4 | 6; value: bigint } | null {
  const address = input.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, "");
  const family = isIP(address);
  if (family === 4) {
    return { family: 4, value: address.split(".").reduce((value, octet) => (value << 8n) | BigInt(Number(octet)), 0n) };
  }
  if (family !== 6) return null;
  const text = address
    .split("%")[0]!
    .replace(/(\d+)\.(\d+)\.(\d+)\.(\d+)$/, (_match, a, b, c, d) => `${((Number(a) << 8) | Number(b)).toString(16)}:${((Number(c) << 8) | Number(d)).toString(16)}`);
  const [head, rest] = text.split("::");
  const toGroups = (part: string | undefined) => (part ? part.split(":").map((group) => BigInt(`0x${group}`)) : []);
  const headGroups = toGroups(head);
  const restGroups = toGroups(rest);
  const groups = rest === undefined ? headGroups : [...headGroups, ...new Array<bigint>(8 - headGroups.length - restGroups.length).fill(0n), ...restGroups];
  if (groups.length !== 8) return null;
  return { family: 6, value: groups.reduce((value, group) => (value << 16n) | group, 0n) };
}
