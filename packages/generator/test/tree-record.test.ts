/**
 * A tree built from nothing is recorded from its renderers' blocks (tree.ts `recordOfBlocks`) instead of formatting
 * every file at the end: the result must be exactly the whole tree formatted (the manifest a later run parses and
 * patches, the snapshot hash a no-op run compares), and nothing at all when the blocks are not exactly the tree.
 */
import { describe, expect, it } from "vitest";
import { hashText, parseManifest, type FileEntry } from "../src/cache.ts";
import { recordOfBlocks, snapshotOf, treeBlock, type TreeBlock } from "../src/tree.ts";

const stat = (i: number) => `${100 + i}\t1796349962.${String(i).padStart(9, "0")}0\t1796349962.${String(i + 7).padStart(9, "0")}0\t${9000 + i}`;

/** Folders whose names sort around each other (`svc` / `svc-x` / `svc.md`: `-` and `.` sort before `/`). */
const folders = ["nonprod/dev/svc", "nonprod/dev/svc-x", "nonprod/dev/svc0", "nonprod/preview/svc", "prod/prod/svc", "common/shared/argocd"];
const files = ["deployment.yaml", "kustomization.yaml", "service.yaml", "configmap.yaml"];
const loosePaths = ["README.md", "nonprod/dev/svc.md", "runbooks/svc.md", "runbooks/svc-x.md", "common/shared/argocd/kustomization.yaml"];

/** A tree as buildAndSwap returns it (sorted by path), the blocks of its folders (shuffled) and its loose files. */
function fixture(): { tree: Map<string, FileEntry>; blocks: TreeBlock[]; loose: string[] } {
  const entries: [string, FileEntry][] = [];
  const blocks: TreeBlock[] = [];
  let i = 0;
  for (const folder of folders.slice(0, -1)) {
    const own = files.map((name) => [`${folder}/${name}`, hashText(`${folder}/${name}`), stat(i++)] as const);
    blocks.push(treeBlock(own)!);
    for (const [path, hash, s] of own) entries.push([path, { hash, stat: s }]);
  }
  for (const path of loosePaths) entries.push([path, { hash: hashText(path), stat: stat(i++) }]);
  const tree = new Map(entries.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)));
  return { tree, blocks: [blocks[3]!, blocks[0]!, blocks[4]!, blocks[2]!, blocks[1]!], loose: [...loosePaths].reverse() };
}

describe("recordOfBlocks", () => {
  it("is the whole tree formatted: its manifest in path order and its snapshot's hash", () => {
    const { tree, blocks, loose } = fixture();
    const record = recordOfBlocks(blocks, loose, tree, 0n)!;
    expect(record).toBeDefined();
    expect([...parseManifest(record.tree.text)]).toEqual([...tree]);
    expect(record.tree.text.endsWith("\n")).toBe(true);
    expect(record.snapshotHash).toBe(hashText(snapshotOf(tree)));
  });

  it("takes the latest stamp of the loose files and the blocks' own", () => {
    const { tree, blocks, loose } = fixture();
    // The loose files' stats end at i = 24 (its ctime is i + 7 ns past the second).
    expect(recordOfBlocks(blocks, loose, tree, 0n)!.tree.latestNs).toBe(1796349962n * 1_000_000_000n + 31n);
    expect(recordOfBlocks(blocks, loose, tree, 1796349999n * 1_000_000_000n)!.tree.latestNs).toBe(1796349999n * 1_000_000_000n);
  });

  it("is nothing when the blocks are not exactly the tree's files, or interleave", () => {
    const { tree, blocks, loose } = fixture();
    expect(recordOfBlocks(blocks.slice(1), loose, tree, 0n)).toBeUndefined(); // a folder without its block
    expect(recordOfBlocks(blocks, loose.slice(1), tree, 0n)).toBeUndefined(); // a loose file left out
    expect(recordOfBlocks([...blocks, blocks[0]!], loose, tree, 0n)).toBeUndefined(); // a block twice
    // One block over two folders with a loose file between them (svc-x/… < svc.md < svc/…): same count, out of order.
    const spans = (p: string) => p.startsWith("nonprod/dev/svc/") || p.startsWith("nonprod/dev/svc-x/");
    const spanning = treeBlock([...tree].filter(([p]) => spans(p)).map(([p, e]) => [p, e.hash, e.stat] as const))!;
    expect(recordOfBlocks([...blocks.filter((x) => !spans(x.first)), spanning], loose, tree, 0n)).toBeUndefined();
    // The control: the same files as one block per folder are recorded.
    expect(recordOfBlocks(blocks, loose, tree, 0n)).toBeDefined();
  });
});

describe("treeBlock", () => {
  it("puts its files in path order, and refuses paths no line can hold", () => {
    const block = treeBlock([["a/b.yaml", "h2", "s2"], ["a/a.yaml", "h1", "s1"]])!;
    expect(block).toEqual({ first: "a/a.yaml", last: "a/b.yaml", files: 2, manifest: "a/a.yaml\th1\ts1\na/b.yaml\th2\ts2\n", snapshot: "f\t./a/a.yaml\ts1\nf\t./a/b.yaml\ts2\n" });
    expect(treeBlock([["a/b\tc.yaml", "h", "s"]])).toBeUndefined();
    expect(treeBlock([["a/b\nc.yaml", "h", "s"]])).toBeUndefined();
    expect(treeBlock([])).toBeUndefined();
  });
});
