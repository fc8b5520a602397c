import { table } from "../../cli/output";

describe("table", () => {
  it("prints kubectl-style columns: upper-case headers, padded, three spaces apart, no trailing blanks", () => {
    expect(
      table(
        ["name", "status"],
        [
          ["etcd", "Running"],
          ["kube-apiserver", "Stopped"],
        ],
      ),
    ).toBe(
      ["NAME             STATUS", "etcd             Running", "kube-apiserver   Stopped"].join(
        "\n",
      ),
    );
  });
});
