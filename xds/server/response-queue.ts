/**
 * Per-type flow control and ADS order for one xDS stream, as pure state: no grpc, no clock (the
 * caller hands in the time), no snapshot (the caller says what each type has pending).
 *
 * Flow control follows go-control-plane: at most one unanswered response per type. A change
 * arriving while a response is unanswered waits for the ACK or NACK, then goes out as one
 * response with the latest state. So a proxy that never ACKs holds at most five responses, a
 * flood of requests cannot make the server queue more, and a slow proxy never delays others.
 *
 * @see https://www.envoyproxy.io/docs/envoy/latest/api-docs/xds_protocol#ack-and-nack-semantics
 * @see https://www.envoyproxy.io/docs/envoy/latest/api-docs/xds_protocol#eventual-consistency-considerations
 */
import { ADS_ORDER, type XdsTypeUrl } from "../encode/type-urls";

interface TypeState {
  seen: boolean;
  lastNonce?: string;
  /** The unanswered response, and when the change it carries became due. */
  outstanding?: { nonce: string; dueAt: number };
  /** The client is owed a response (initial request or new names). */
  owed: boolean;
  /** When the oldest unsent change became due. */
  dueAt?: number;
}

/**
 * What the stream would send for a type now: its content, or `undefined` when there is nothing
 * to send. `force` asks for a response even if nothing changed (the client is owed one).
 */
export type PlanContent<T> = (typeUrl: XdsTypeUrl, force: boolean) => T | undefined;

/**
 * Sends one response and returns its nonce, or `undefined` when the stream ended while sending
 * (then nothing more is sent in this round). `dueAt` is when the change it carries became due.
 */
export type SendContent<T> = (typeUrl: XdsTypeUrl, content: T, dueAt: number) => string | undefined;

/** One stream's per-type queue: which types are owed or due, and which responses are unanswered. */
export class ResponseQueue {
  readonly #types = new Map<XdsTypeUrl, TypeState>();

  /** Whether the client has requested `typeUrl` on this stream. */
  seen(typeUrl: XdsTypeUrl): boolean {
    return this.#types.get(typeUrl)?.seen ?? false;
  }

  /** The nonce of the last response sent for `typeUrl`, which an ACK or NACK must carry. */
  lastNonce(typeUrl: XdsTypeUrl): string | undefined {
    return this.#types.get(typeUrl)?.lastNonce;
  }

  /**
   * The client answered (ACKed or NACKed) the latest response of `typeUrl`: the type is free to
   * send again. Returns when the change that response carried became due, if one was unanswered.
   */
  answered(typeUrl: XdsTypeUrl): number | undefined {
    const state = this.#types.get(typeUrl);
    const dueAt = state?.outstanding?.dueAt;
    if (state) state.outstanding = undefined;
    return dueAt;
  }

  /**
   * The client requested `typeUrl`; `respond` when it is owed a response (an initial request or
   * new names), which is then due from `now` unless a change already was.
   */
  requested(typeUrl: XdsTypeUrl, respond: boolean, now: number): void {
    const state = this.#state(typeUrl);
    state.seen = true;
    if (respond) {
      state.owed = true;
      state.dueAt ??= now;
    }
  }

  /** The stream's configuration changed at `now`: every requested type may have a change due. */
  changed(now: number): void {
    for (const state of this.#types.values()) if (state.seen) state.dueAt ??= now;
  }

  /**
   * Sends what is due in ADS order: clusters, endpoints, listeners, routes, secrets. When a
   * type's change cannot go out yet (its previous response is unanswered), the changes of every
   * later type wait too, so a proxy never receives a change's endpoints before its clusters, or
   * its routes before its listeners. Responses a client asked for (`owed`) are not held: the
   * names it asks for come from resources it already has.
   *
   * @param now when this round runs, the due time of a change that has none
   */
  release<T>(plan: PlanContent<T>, send: SendContent<T>, now: number): void {
    let held = false;
    for (const typeUrl of ADS_ORDER) {
      const state = this.#types.get(typeUrl);
      if (!state?.seen || (state.dueAt === undefined && !state.owed)) continue;
      if (held && !state.owed) continue; // keeps dueAt: retried when the earlier type is answered
      if (!this.#trySend(typeUrl, state, plan, send, now)) return;
      if (state.outstanding && state.dueAt !== undefined) held = true;
    }
  }

  /** Returns false when the stream ended while sending. */
  #trySend<T>(
    typeUrl: XdsTypeUrl,
    state: TypeState,
    plan: PlanContent<T>,
    send: SendContent<T>,
    now: number,
  ): boolean {
    if (state.outstanding) {
      // Wait for the answer; but if nothing new is pending for this type, drop the due time so
      // that it does not hold later types back (see release).
      if (!state.owed && plan(typeUrl, false) === undefined) state.dueAt = undefined;
      return true;
    }
    const content = plan(typeUrl, state.owed);
    state.owed = false;
    if (content === undefined) {
      state.dueAt = undefined;
      return true;
    }
    const dueAt = state.dueAt ?? now;
    const nonce = send(typeUrl, content, dueAt);
    if (nonce === undefined) return false;
    state.lastNonce = nonce;
    state.outstanding = { nonce, dueAt };
    state.dueAt = undefined;
    return true;
  }

  #state(typeUrl: XdsTypeUrl): TypeState {
    let state = this.#types.get(typeUrl);
    if (!state) this.#types.set(typeUrl, (state = { seen: false, owed: false }));
    return state;
  }
}
