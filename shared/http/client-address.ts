import { isLoopbackAddress } from "../runtime/http-server.ts";
import { type AddressMatcher, isIpAddress } from "./address-list.ts";

/**
 * The address of the client a request comes from, for every decision made by address (the dialer
 * API's allow-list, full /health and /metrics to loopback, sign-in lockouts, throttles).
 *
 * Without forwarding headers it is the socket's peer. A request carrying `Forwarded`,
 * `X-Forwarded-For` or `X-Real-IP` came through a proxy: when the peer is one of `trustedProxies`
 * the forwarded client is the answer (the right-most address in the chain that is not itself a
 * trusted proxy; when several of these headers are present they must name the same client, or it
 * is unknown); otherwise the headers cannot be believed and the client is unknown when the peer
 * is on loopback (a proxy on this host stands for someone else), or the peer itself.
 * `undefined` means "unknown": it matches no allow-list and is never loopback.
 */
export function resolveClientAddress(headers: Headers, peerAddress: string | undefined, trustedProxies: AddressMatcher): string | undefined {
  const chains = forwardedChains(headers);
  if (chains.length === 0) return peerAddress;
  if (!trustedProxies(peerAddress)) return isLoopbackAddress(peerAddress) ? undefined : peerAddress;
  // A proxy usually sets one of the headers and passes the others on as the client wrote them:
  // when they name different clients, none of them can be believed.
  const [client, ...others] = chains.map((chain) => clientOfChain(chain, trustedProxies));
  return others.every((other) => other === client) ? client : undefined;
}

/** The right-most hop of a chain that is not a trusted proxy (the first one when all are). */
function clientOfChain(chain: Array<string | undefined>, trustedProxies: AddressMatcher): string | undefined {
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
 * The client chains the forwarding headers name, oldest hop first (`undefined` for a hop that is
 * hidden or not an address): one per header present among `Forwarded` (RFC 7239),
 * `X-Forwarded-For` and `X-Real-IP`; none when the request carries no forwarding header.
 */
function forwardedChains(headers: Headers): Array<Array<string | undefined>> {
  const chains: Array<Array<string | undefined>> = [];
  const forwarded = headers.get("forwarded");
  if (forwarded !== null) {
    chains.push(
      forwarded.split(",").map((element) => {
        const pair = element.split(";").find((part) => part.trim().toLowerCase().startsWith("for="));
        return pair === undefined ? undefined : addressOf(pair.trim().slice(4));
      }),
    );
  }
  const forwardedFor = headers.get("x-forwarded-for");
  if (forwardedFor !== null) chains.push(forwardedFor.split(",").map(addressOf));
  const realIp = headers.get("x-real-ip");
  if (realIp !== null) chains.push([addressOf(realIp)]);
  return chains;
}
/** `192.0.2.1`, `"[2001:db8::1]:4711"`, `192.0.2.1:8080` → the bare address; `unknown`, `_hidden` and junk → undefined. */
function addressOf(raw: string): string | undefined {
  let text = raw.trim().replace(/^"(.*)"$/, "$1");
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(text);
  if (bracketed) text = bracketed[1]!;
  else if (/^[\d.]+:\d+$/.test(text)) text = text.slice(0, text.lastIndexOf(":"));
  return isIpAddress(text) ? text : undefined;
}
