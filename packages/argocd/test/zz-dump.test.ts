import { it } from "vitest";
import { buildEstate, check } from "./support.ts";
it("dump", async () => {
  for (const n of ["repo", "three-accounts", "minimal"] as const) {
    const b = await buildEstate(n);
    const r = check(b);
    console.log(n, r.findings.length, "\n" + r.findings.map((f) => `${f.check} | ${f.subject} | ${f.message}`).join("\n"));
  }
});
