import { readState, readParts } from "./src/cache.ts";
const root = process.cwd();
const st = readState(root)!;
for (let i = 0; i < 3; i++) { const t = performance.now(); const p = readParts(root, st.head); console.log("readParts", (performance.now() - t).toFixed(0), p.tree?.size, p.deployments?.size, p.config?.size); }
