/**
 * Which addresses outbound requests to user-given URLs (event destinations) may reach: public unicast addresses,
 * plus the networks the operator allowed. Everything else is refused — loopback, private, link-local (cloud
 * metadata at 169.254.169.254), carrier-grade NAT, unique-local, multicast, reserved — whatever way it is written
 * (`127.1`, `2130706433`, `[::ffff:127.0.0.1]` are all 127.0.0.1) and after DNS resolution. The connector below
 * checks the very address it connects to, so a name that resolves differently later (DNS rebinding) is caught too.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import { buildConnector } from 'undici';

type Address = ipaddr.IPv4 | ipaddr.IPv6;

const resolveTimeoutMs = 5000;

export class AddressNotAllowedError extends Error {
  override readonly name = 'AddressNotAllowedError';
  readonly code = 'ADDRESS_NOT_ALLOWED';
}

export interface NetworkGuard {
  /** True when an IP address (v4 or v6 text) may be reached. */
  allows(ip: string): boolean;
  /** The host's addresses after resolution, or the reason none may be reached; `unresolved` when DNS had no answer. */
  check(hostname: string): Promise<{ ok: true; addresses: string[] } | { ok: false; reason: 'not_allowed' | 'unresolved'; address?: string }>;
  /** An undici connector that resolves, checks and then connects to the checked address (TLS keeps the host name). */
  connector(options: { timeout: number }): buildConnector.connector;
}

/** The IPv4 address inside IPv4-mapped, NAT64 (64:ff9b::/96) and 6to4 (2002::/16) IPv6 addresses. */
function embeddedIPv4(address: ipaddr.IPv6): ipaddr.IPv4 | undefined {
  const range = address.range();
  const bytes = address.toByteArray();
  if (range === 'ipv4Mapped' || range === 'rfc6052') return new ipaddr.IPv4(bytes.slice(12, 16));
  if (range === '6to4') return new ipaddr.IPv4(bytes.slice(2, 6));
  return undefined;
}

export function createNetworkGuard(allowedNetworks: readonly string[]): NetworkGuard {
  const allowed = allowedNetworks.map((cidr) => ipaddr.parseCIDR(cidr));
  const inAllowed = (address: Address): boolean => allowed.some(([network, bits]) => {
    if (address.kind() !== network.kind()) return false;
    return address.match(network, bits);
  });

  function allowsAddress(address: Address): boolean {
    if (inAllowed(address)) return true;
    if (address.kind() === 'ipv6') {
      const inner = embeddedIPv4(address as ipaddr.IPv6);
      if (inner !== undefined) return allowsAddress(inner);
    }
    return address.range() === 'unicast';
  }

  function allows(ip: string): boolean {
    const bare = ip.startsWith('[') && ip.endsWith(']') ? ip.slice(1, -1) : ip;
    if (!ipaddr.isValid(bare) || isIP(bare.split('%')[0] ?? '') === 0) return false;
    return allowsAddress(ipaddr.parse(bare.split('%')[0]!));
  }

  async function resolve(hostname: string): Promise<string[]> {
    const bare = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
    if (isIP(bare) !== 0) return [bare];
    return (await dnsLookup(bare, { all: true, verbatim: true })).map((a) => a.address);
  }

  async function check(hostname: string): ReturnType<NetworkGuard['check']> {
    let addresses: string[];
    let timer: NodeJS.Timeout | undefined;
    try {
      addresses = await Promise.race([
        resolve(hostname),
        new Promise<never>((_resolve, reject) => { timer = setTimeout(() => reject(new Error('DNS timeout')), resolveTimeoutMs); }),
      ]);
    } catch {
      return { ok: false, reason: 'unresolved' };
    } finally {
      clearTimeout(timer);
    }
    if (addresses.length === 0) return { ok: false, reason: 'unresolved' };
    // Any refused address refuses the host: a name answering with a public and a private address is not trusted.
    const refused = addresses.find((a) => !allows(a));
    return refused === undefined ? { ok: true, addresses } : { ok: false, reason: 'not_allowed', address: refused };
  }

  return {
    allows,
    check,
    connector({ timeout }) {
      const connect = buildConnector({ timeout });
      return (options, callback) => {
        check(options.hostname).then((result) => {
          if (!result.ok) {
            callback(result.reason === 'not_allowed'
              ? new AddressNotAllowedError(`${options.hostname} is (or resolves to) an address that may not be reached`)
              : Object.assign(new Error(`${options.hostname} could not be resolved`), { code: 'ENOTFOUND' }), null);
            return;
          }
          const address = result.addresses[0]!;
          const servername = options.servername ?? (isIP(options.hostname) === 0 ? options.hostname : undefined);
          connect({ ...options, hostname: address, ...(servername !== undefined ? { servername } : {}) }, callback);
        }, (error: unknown) => callback(error instanceof Error ? error : new Error(String(error)), null));
      };
    },
  };
}
