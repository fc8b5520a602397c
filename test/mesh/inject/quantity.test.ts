/** Kubernetes quantity canonicalisation, as Go's resource.Quantity prints it. */
import { canonicalQuantity, parseQuantity } from "../../../mesh/inject/quantity";

describe("canonicalQuantity", () => {
  it.each([
    ["2000m", "2"],
    ["1024Mi", "1Gi"],
    ["100m", "100m"],
    ["0.5", "500m"],
    ["1.5Gi", "1536Mi"],
    ["1500", "1500"],
    ["1000", "1k"],
    ["512", "512"],
    ["1e3", "1e3"],
    ["0", "0"],
    ["0Mi", "0"],
    ["123m", "123m"],
    ["3000m", "3"],
  ])("%s → %s", (input, want) => {
    expect(canonicalQuantity(input)).toBe(want);
  });

  it.each(["", "abc", "1Gb", "1..2", "Mi"])("%j does not parse", text => {
    expect(typeof parseQuantity(text)).toBe("string");
  });
});
