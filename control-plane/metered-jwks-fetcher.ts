/**
 * A {@link JwksFetcher} that counts its fetches (`rigging_jwks_fetch_total{result}`): every
 * fetch, the first one of a URI, the background refreshes and the retries, goes through
 * `refresh`, so counting there sees them all. A caller joining a fetch already under way gets
 * the same promise, which is counted once.
 */
import type { Counter } from "prom-client";
import { JwksFetcher, type JwksFetcherOptions, type JwksFetchOutcome } from "./jwks-fetcher";

/** A JWKS fetcher whose outcomes increment `fetches` by `result` (`ok` or `error`). */
export class MeteredJwksFetcher extends JwksFetcher {
  readonly #counted = new WeakSet<Promise<JwksFetchOutcome>>();

  constructor(
    options: JwksFetcherOptions,
    private readonly fetches: Pick<Counter<"result">, "inc">,
  ) {
    super(options);
  }

  override refresh(jwksUri: string): Promise<JwksFetchOutcome> {
    const outcome = super.refresh(jwksUri);
    if (!this.#counted.has(outcome)) {
      this.#counted.add(outcome);
      void outcome.then(o => this.fetches.inc({ result: o.ok ? "ok" : "error" }));
    }
    return outcome;
  }
}
