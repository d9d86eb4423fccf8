"""Held-out check of select's expected collateral exposure over several calibration samples.

For each compare --seed S (0..N-1): tierank compare --sample 200 --heuristics volume
--no-learned on DATA fits calibration.json; every person not in its per_target.parquet is a
held-out target; tierank select runs the ten policies of
crates/cli/tests/select.rs::expected_collateral_exposure_holds_on_held_out_targets and the
realised strangers (truth layer > 3) are compared with the audit's prediction and 95%
interval. Prints each sample's misses, then per policy the mean, min and max error in
standard errors. Needs pyarrow. Not run by CI.

    python3 scripts/experiments/calibration_samples.py target/release/tierank DATA TAG [N]
"""
import pyarrow.parquet as pq, subprocess, json, sys, os, shutil, collections
T, data, tag = sys.argv[1], sys.argv[2], sys.argv[3]
seeds = range(int(sys.argv[4]) if len(sys.argv)>4 else 10)
people = pq.read_table(f'{data}/persons.parquet').column('person_id').to_pylist()
tr = pq.read_table(f'{data}/truth_closeness.parquet').to_pylist()
close = {(r['target'], r['alter']) for r in tr if r['layer'] <= 3}
pols = ["top-k:1","top-k:5","top-k:15","probability:0.5","probability:0.8","threshold:20","budget:2000","coverage:20","coverage:50","coverage:80"]
w = f'/tmp/cov_{tag}'; shutil.rmtree(w, ignore_errors=True); os.makedirs(w)
miss = collections.Counter(); z = collections.defaultdict(list)
for s in seeds:
    c = f'{w}/c{s}'
    subprocess.run([T,'compare','--data',data,'--sample','200','--heuristics','volume','--no-learned','--resamples','0','--seed',str(s),'--out',c],check=True,capture_output=True)
    f = set(pq.read_table(f'{c}/per_target.parquet').column('target').to_pylist())
    ho = [p for p in people if p not in f]
    open(f'{w}/ho.csv','w').write('person_id\n'+''.join(f'{p}\n' for p in ho))
    line = []
    for pol in pols:
        o = f'{w}/s{s}_{pol.replace(":","-")}'
        subprocess.run([T,'select','--data',data,'--targets',f'{w}/ho.csv','--out',o,'--heuristic','volume','--policy',pol,'--calibration',f'{c}/calibration.json'],check=True,capture_output=True)
        rows = pq.read_table(f'{o}/audiences.parquet',columns=['target','alter']).to_pylist()
        real = sum((r['target'],r['alter']) not in close for r in rows)
        a = json.load(open(f'{o}/audit.json'))['counts']
        pr, lo, hi = a['expected_collateral'], a['expected_collateral_low'], a['expected_collateral_high']
        ok = lo <= real <= hi
        if not ok: miss[pol] += 1
        half = (hi-lo)/2 or 1
        z[pol].append((real-pr)/half*1.96)
        line.append(f'{pol}:{"ok" if ok else "MISS"}({real-pr:+.0f})')
    print(s, ' '.join(line), flush=True)
print('misses', dict(miss))
for pol in pols:
    v=z[pol]; m=sum(v)/len(v); print(f'{pol:16s} mean z {m:+.2f}  min {min(v):+.2f} max {max(v):+.2f}')
