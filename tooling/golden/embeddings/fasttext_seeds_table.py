"""Mean, standard deviation and range over seeds of fasttext_quality.py results (offline; not CI).

  /usr/bin/python3 tooling/golden/embeddings/fasttext_seeds_table.py OUT.json IN.json [IN.json ...]
Groups the rows of the input JSON files (each written by fasttext_quality.py --seeds …) by
(model, label, epochs), prints one markdown table row per group, and writes every row plus the
summaries to OUT.json (relative to this folder unless absolute).
"""
import json, os, statistics, sys

HERE = os.path.dirname(os.path.abspath(__file__))
out_path, inputs = sys.argv[1], sys.argv[2:]
rows, meta = [], []
for p in inputs:
    d = json.load(open(p if os.path.isabs(p) else os.path.join(HERE, p)))
    meta.append({k: v for k, v in d.items() if k != 'results'} | {'file': os.path.basename(p)})
    rows += d['results']
groups = {}
for r in rows:
    groups.setdefault((r['model'], r.get('label', ''), r['epochs']), []).append(r)
METRICS = ['analogy_accuracy', 'ws353_spearman', 'rw_spearman_invocab', 'rw_spearman_all', 'throughput']
summary = []
print('| model | epochs | seeds | analogies | WS353 | RW in-vocab | RW all pairs | effective words/s |')
print('|---|---|---|---|---|---|---|---|')
for (model, label, epochs), rs in sorted(groups.items()):
    s = {'model': model, 'label': label, 'epochs': epochs, 'seeds': sorted(r.get('seed', 1) for r in rs)}
    cells = []
    for m in METRICS:
        xs = [r[m] for r in rs if isinstance(r.get(m), (int, float))]
        if not xs:
            cells.append('–')
            continue
        mean = statistics.fmean(xs)
        sd = statistics.stdev(xs) if len(xs) > 1 else 0.0
        s[m] = {'mean': mean, 'sd': sd, 'min': min(xs), 'max': max(xs), 'values': xs}
        if m == 'analogy_accuracy':
            cells.append(f'{100 * mean:.2f} % ± {100 * sd:.2f} ({100 * min(xs):.2f}–{100 * max(xs):.2f})')
        elif m == 'throughput':
            cells.append(f'{mean / 1000:.1f} k')
        else:
            cells.append(f'{mean:.3f} ± {sd:.3f} ({min(xs):.3f}–{max(xs):.3f})')
    summary.append(s)
    name = model + (f' ({label})' if label else '')
    print(f'| {name} | {epochs} | {len(rs)} | ' + ' | '.join(cells) + ' |')
with open(out_path if os.path.isabs(out_path) else os.path.join(HERE, out_path), 'w') as f:
    json.dump({'inputs': meta, 'summary': summary, 'results': rows}, f, indent=1)
