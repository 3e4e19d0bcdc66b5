/** Test helper: the golden lines where our ids differ from spm_encode's, one message each (empty when all agree). */
export function spmMismatches(
  tok: { encode(line: string): { ids: ArrayLike<number> } },
  g: { lines: string[]; ids: number[][] },
): string[] {
  const bad: string[] = [];
  g.lines.forEach((line, i) => {
    const ids = Array.from(tok.encode(line).ids);
    if (JSON.stringify(ids) !== JSON.stringify(g.ids[i]))
      bad.push(`${JSON.stringify(line)}: ours ${ids} spm ${g.ids[i]}`);
  });
  return bad;
}
