import { sameContent } from "../../../xds/cache/same-content";

describe("sameContent", () => {
  it.each<[string, unknown, unknown, boolean]>([
    ["equal trees", { a: [1, { b: "x" }], c: true }, { a: [1, { b: "x" }], c: true }, true],
    ["a changed leaf", { a: [1, { b: "x" }] }, { a: [1, { b: "y" }] }, false],
    ["an extra key", { a: 1 }, { a: 1, b: 2 }, false],
    ["an undefined key counts as absent", { a: 1, b: undefined }, { a: 1 }, true],
    ["undefined on both sides", { a: undefined }, { b: undefined }, true],
    ["an undefined key between others", { a: 1, b: undefined, c: 2 }, { a: 1, c: 2 }, true],
    ["undefined keys in any order", { a: undefined, b: 1 }, { b: 1, a: undefined }, true],
    ["a missing last key", { a: 1, b: 2 }, { a: 1, c: undefined }, false],
    ["key order (a map field's bytes follow it)", { a: 1, b: 2 }, { b: 2, a: 1 }, false],
    ["array length", [1, 2], [1, 2, 3], false],
    ["array vs object", [1], { 0: 1 }, false],
    ["null vs object", null, {}, false],
    ["number vs string", 1, "1", false],
    ["0 vs -0 (different doubles)", 0, -0, false],
    ["NaN equals NaN", NaN, NaN, true],
    ["equal bytes", new Uint8Array([1, 2]), new Uint8Array([1, 2]), true],
    ["different bytes", new Uint8Array([1, 2]), new Uint8Array([1, 3]), false],
    ["bytes vs array", new Uint8Array([1]), [1], false],
    [
      "plain object vs class instance",
      { a: 1 },
      new (class {
        a = 1;
      })(),
      false,
    ],
  ])("%s", (_name, a, b, same) => {
    expect(sameContent(a, b)).toBe(same);
    expect(sameContent(b, a)).toBe(same);
  });
});
