/**
 * Policy figures per tier that the model's tiers do not carry. Keyed by tier name and checked against
 * `TierName`, so a new tier cannot be added without choosing its policy here; rules read this table,
 * never an environment's name.
 */
import type { TierName } from "@gitops/model";

export interface TierPolicy {
  /**
   * `pinned`: any explicit tag but `latest`. `immutable`: a digest, or a release semver tag (1.4.2, no
   * prerelease), so what runs where people get paged can always be rebuilt and rolled back to exactly.
   */
  readonly images: "pinned" | "immutable";
}

export const tierPolicy = {
  dev: { images: "pinned" },
  staging: { images: "pinned" },
  prod: { images: "immutable" },
} as const satisfies Record<TierName, TierPolicy>;
