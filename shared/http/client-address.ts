import { isLoopbackAddress } from "../runtime/http-server.ts";
import { type AddressMatcher, isIpAddress } from "./address-list.ts";

/**
 * The address of the client a request comes from, for every decision made by address (the dialer
 * API's allow-list, full /health and /metrics to loopback, sign-in lockouts, throttles).
 *
 * Without forwarding headers it is the socket's peer. A request carrying `Forwarded`,
 * `X-Forwarded-For` or `X-Real-IP` came through a proxy: when the peer is one of `trustedProxies`
 * the forwarded client is the answer (the right-most address in the chain that is not itself a
 * trusted proxy); otherwise the headers cannot be believed and the client is unknown when the peer
 * is on loopback (a proxy on this host stands for someone else), or the peer itself.
 * `undefined` means "unknown": it matches no allow-list and is never loopback.
 */
export function resolveClientAddress(headers: Headers, peerAddress: string | undefined, trustedProxies: AddressMatcher): string | undefined {
  const chain = forwardedChain(headers);
  if (chain === null) return peerAddress;
  if (!trustedProxies(peerAddress)) return isLoopbackAddress(peerAddress) ? undefined : peerAddress;
  for (let index = chain.length - 1; index >= 0; index--) {
    const hop = chain[index];
    if (hop === undefined) return undefined;
    if (!trustedProxies(hop)) return hop;
  }
  return chain[0];
}

/** Trusts no proxy: forwarding headers alone make a request's client unknown when it arrives over loopback. */
export const trustNoProxy: AddressMatcher = () => false;

/**
 * The client chain the headers name, oldest first (`undefined` for a hop that is hidden or not an
 * address), or null when the request carries no forwarding header. `Forwarded` (RFC 7239) wins
 * over `X-Forwarded-For`, which wins over `X-Real-IP`.
 */
function forwardedChain(headers: Headers): Array<string | undefined> | null {
  const forwarded = headers.get("forwarded");
  if (forwarded !== null) {
    return forwarded.split(",").map((element) => {
      const pair = element.split(";").find((part) => part.trim().toLowerCase().startsWith("for="));
      return pair === undefined ? undefined : addressOf(pair.trim().slice(4));
    });
  }
  const forwardedFor = headers.get("x-forwarded-for");
  if (forwardedFor !== null) return forwardedFor.split(",").map(addressOf);
  const realIp = headers.get("x-real-ip");
  if (realIp !== null) return [addressOf(realIp)];
  return null;
}

/** `192.0.2.1`, `"[2001:db8::1]:4711"`, `192.0.2.1:8080` → the bare address; `unknown`, `_hidden` and junk → undefined. */
function addressOf(raw: string): string | undefined {
  let text = raw.trim().replace(/^"(.*)"$/, "$1");
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(text);
  if (bracketed) text = bracketed[1]!;
  else if (/^[\d.]+:\d+$/.test(text)) text = text.slice(0, text.lastIndexOf(":"));
  return isIpAddress(text) ? text : undefined;
}
