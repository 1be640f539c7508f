/**
 * Choosing the caller ID for one call: a DID with the customer's area code if the pool has one
 * under its daily limit, else the nearest ones (by area-code centroids), else one in the
 * customer's state, else any. Within that tier the pick is random, weighted by each DID's rolling
 * answer rate (smoothed toward the tenant's rate, so new DIDs get calls too) and by how much of
 * its daily limit is left, so traffic drifts toward numbers people pick up and away from tired ones.
 */
export interface GeoPoint {
  latitude: number;
  longitude: number;
}

export interface DidCandidate {
  id: string;
  phoneNumber: string;
  areaCode: string | null;
  state: string | null;
  location: GeoPoint | null;
  dailyLimit: number | null;
  usedToday: number;
  attempts: number;
  answered: number;
}

export interface CustomerTarget {
  areaCode: string | null;
  state: string | null;
  location: GeoPoint | null;
}

export type SelectionMethod = "area_code" | "nearest" | "state" | "pool";

export interface SelectionOptions {
  /** The tenant's answer rate, toward which sparse DIDs are pulled. */
  priorRate: number;
  /** How many calls of evidence the prior is worth. */
  priorWeight: number;
  /** DIDs this much farther than the nearest one still count as nearest. */
  nearbyKm: number;
  random: () => number;
}

export interface SelectionChoice {
  did: DidCandidate;
  method: SelectionMethod;
  /** DIDs under their daily limit in the pool. */
  available: number;
  /** DIDs in the tier the pick was made from. */
  tierSize: number;
  estimatedAnswerRate: number;
}

export function hasCapacity(did: DidCandidate): boolean {
  return did.dailyLimit === null || did.usedToday < did.dailyLimit;
}

export function estimatedAnswerRate(did: DidCandidate, options: Pick<SelectionOptions, "priorRate" | "priorWeight">): number {
  return (did.answered + options.priorRate * options.priorWeight) / (did.attempts + options.priorWeight);
}

/** Null when every DID of the pool has reached its daily limit (or the pool is empty). */
export function chooseDid(pool: readonly DidCandidate[], customer: CustomerTarget, options: SelectionOptions): SelectionChoice | null {
  const available = pool.filter(hasCapacity);
  if (available.length === 0) return null;
  const [tier, method] = narrowestTier(available, customer, options.nearbyKm);
  const weights = tier.map((did) => weightOf(did, options));
  const total = weights.reduce((sum, weight) => sum + weight, 0);
  let point = options.random() * total;
  let index = 0;
  while (index < tier.length - 1 && point >= weights[index]!) {
    point -= weights[index]!;
    index++;
  }
  const did = tier[index]!;
  return { did, method, available: available.length, tierSize: tier.length, estimatedAnswerRate: estimatedAnswerRate(did, options) };
}

function narrowestTier(available: DidCandidate[], customer: CustomerTarget, nearbyKm: number): [DidCandidate[], SelectionMethod] {
  if (customer.areaCode) {
    const local = available.filter((did) => did.areaCode === customer.areaCode);
    if (local.length > 0) return [local, "area_code"];
  }
  if (customer.location) {
    const located = available.filter((did) => did.location !== null).map((did) => ({ did, km: distanceKm(customer.location!, did.location!) }));
    if (located.length > 0) {
      const nearest = Math.min(...located.map((entry) => entry.km));
      return [located.filter((entry) => entry.km <= nearest + nearbyKm).map((entry) => entry.did), "nearest"];
    }
  }
  if (customer.state) {
    const sameState = available.filter((did) => did.state === customer.state);
    if (sameState.length > 0) return [sameState, "state"];
  }
  return [available, "pool"];
}

function weightOf(did: DidCandidate, options: SelectionOptions): number {
  const remaining = did.dailyLimit === null ? 1 : (did.dailyLimit - did.usedToday) / did.dailyLimit;
  return Math.max(estimatedAnswerRate(did, options), 0.001) * Math.max(remaining, 0.001);
}

/** Great-circle distance (haversine). */
export function distanceKm(a: GeoPoint, b: GeoPoint): number {
  const radians = (degrees: number) => (degrees * Math.PI) / 180;
  const dLat = radians(b.latitude - a.latitude);
  const dLon = radians(b.longitude - a.longitude);
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(radians(a.latitude)) * Math.cos(radians(b.latitude)) * Math.sin(dLon / 2) ** 2;
  return 2 * 6371 * Math.asin(Math.min(1, Math.sqrt(h)));
}
