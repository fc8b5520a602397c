import { TypeUrl, type XdsTypeUrl } from "../../../xds/encode/type-urls";
import { ResponseQueue } from "../../../xds/server/response-queue";

const TYPES: Record<string, XdsTypeUrl> = {
  C: TypeUrl.cluster,
  E: TypeUrl.endpoint,
  L: TypeUrl.listener,
  R: TypeUrl.route,
  S: TypeUrl.secret,
};
const LETTER = new Map(Object.entries(TYPES).map(([k, v]) => [v, k]));

/**
 * Drives a queue the way a session does, one step at a time:
 * - `want T`: the client requests type T and is owed a response (initial request, new names);
 * - `ack T`: the client ACKs (or NACKs: the queue cannot tell) T's latest response;
 * - `pend T`: the configuration now holds a change for T (sent at the next release);
 * - `none T`: T has nothing to send, even when owed (no resource of T exists);
 * - `change`: the stream's configuration changed.
 * Every step but `pend` and `none` releases, as the session does after a request or a change.
 * Returns, per step, the types sent in that step's release.
 */
function run(steps: readonly string[]): string[][] {
  const queue = new ResponseQueue();
  const pending = new Set<XdsTypeUrl>();
  const empty = new Set<XdsTypeUrl>();
  let nonces = 0;
  return steps.map((step, now) => {
    const [verb, letter] = step.split(" ");
    const type = TYPES[letter ?? ""]!;
    if (verb === "pend" || verb === "none") {
      (verb === "pend" ? pending : empty).add(type);
      return [];
    }
    if (verb === "want") queue.requested(type, true, now);
    if (verb === "ack") {
      queue.answered(type);
      queue.requested(type, false, now);
    }
    if (verb === "change") queue.changed(now);
    const sent: string[] = [];
    queue.release<string>(
      (t, force) => (pending.has(t) || (force && !empty.has(t)) ? "content" : undefined),
      t => {
        pending.delete(t);
        sent.push(LETTER.get(t)!);
        return `n${++nonces}`;
      },
      now,
    );
    return sent;
  });
}

describe("ResponseQueue", () => {
  it.each<[string, string[], string[][]]>([
    ["an initial request is answered at once", ["want C"], [["C"]]],
    [
      "a change waits for the answer to the type's unanswered response",
      ["want C", "pend C", "change", "ack C"],
      [["C"], [], [], ["C"]],
    ],
    [
      "changes made while a response is unanswered go out as one response",
      ["want C", "pend C", "change", "pend C", "change", "ack C", "ack C"],
      [["C"], [], [], [], [], ["C"], []],
    ],
    ["an ACK with nothing new sends nothing", ["want C", "ack C", "change"], [["C"], [], []]],
    [
      "ADS order: a held cluster change holds the endpoint change behind it",
      ["want C", "want E", "ack E", "pend C", "pend E", "change", "ack C"],
      [["C"], ["E"], [], [], [], [], ["C", "E"]],
    ],
    [
      "ADS order: a held listener change holds routes but not clusters or endpoints",
      ["want C", "want E", "want L", "want R", "ack C", "ack E", "ack R"].concat([
        "pend C",
        "pend E",
        "pend L",
        "pend R",
        "change",
        "ack L",
      ]),
      [["C"], ["E"], ["L"], ["R"], [], [], [], [], [], [], [], ["C", "E"], ["L", "R"]],
    ],
    [
      "an unanswered type with nothing new does not hold later types",
      ["want C", "want E", "ack E", "pend E", "change"],
      [["C"], ["E"], [], [], ["E"]],
    ],
    [
      "a response the client is owed is not held behind an earlier type",
      ["want C", "pend C", "change", "want E"],
      [["C"], [], [], ["E"]],
    ],
    [
      "a type with nothing to send, even when owed, sends nothing and holds nothing",
      ["none R", "want L", "want R", "ack L", "pend L", "change"],
      [[], ["L"], [], [], [], ["L"]],
    ],
    [
      "types never requested are never sent",
      ["pend C", "pend E", "change", "want L"],
      [[], [], [], ["L"]],
    ],
  ])("%s", (_name, steps, expected) => {
    expect(run(steps)).toEqual(expected);
  });

  it("keeps the last nonce per type and what the client has requested", () => {
    const queue = new ResponseQueue();
    expect(queue.seen(TypeUrl.cluster)).toBe(false);
    expect(queue.lastNonce(TypeUrl.cluster)).toBeUndefined();
    queue.requested(TypeUrl.cluster, true, 0);
    expect(queue.seen(TypeUrl.cluster)).toBe(true);
    expect(queue.seen(TypeUrl.endpoint)).toBe(false);
    queue.release(
      () => "content",
      () => "n1",
      0,
    );
    expect(queue.lastNonce(TypeUrl.cluster)).toBe("n1");
    expect(queue.lastNonce(TypeUrl.endpoint)).toBeUndefined();
  });

  it("dates each response by when its change became due, and reports it when answered", () => {
    const queue = new ResponseQueue();
    const sent: [string, number][] = [];
    let pending = false;
    const release = (now: number) =>
      queue.release(
        (_t, force) => (force || pending ? "content" : undefined),
        (t, _c, dueAt) => {
          pending = false;
          sent.push([LETTER.get(t)!, dueAt]);
          return `n${sent.length}`;
        },
        now,
      );
    queue.requested(TypeUrl.cluster, true, 10);
    release(12);
    expect(sent).toEqual([["C", 10]]);
    pending = true;
    queue.changed(20); // due at 20, held by the unanswered response
    release(20);
    queue.changed(25); // a later change does not move the due time
    release(25);
    expect(queue.answered(TypeUrl.cluster)).toBe(10);
    queue.requested(TypeUrl.cluster, false, 30);
    release(30);
    expect(sent).toEqual([
      ["C", 10],
      ["C", 20],
    ]);
    expect(queue.answered(TypeUrl.cluster)).toBe(20);
    expect(queue.answered(TypeUrl.cluster)).toBeUndefined(); // nothing unanswered any more
  });

  it("stops a round when the stream ends while sending", () => {
    const queue = new ResponseQueue();
    queue.requested(TypeUrl.cluster, true, 0);
    queue.requested(TypeUrl.endpoint, true, 0);
    const tried: XdsTypeUrl[] = [];
    queue.release(
      () => "content",
      t => void tried.push(t),
      0,
    );
    expect(tried).toEqual([TypeUrl.cluster]);
  });
});
