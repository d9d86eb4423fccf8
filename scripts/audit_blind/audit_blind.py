#!/usr/bin/env python3
"""Blind audit of a tierank-format synthetic social-network dataset for "relation tells".

Usage: audit_blind.py DATASET_DIR [OUT_JSON]

Written on 2026-12-03 by an auditor who read only docs/data-model.md and the data (not the
generator, its docs or scripts/audit_events.py), as the independent audit issue 10 asks
for. REPORT-2026-12-03-before.md is its report on `small` seed 3 (main at 4c57831);
docs/generator.md ("Blind audit") says which findings are fixed and which are open. Needs the packages
of requirements.txt beside this file (python3 -m venv .venv && .venv/bin/pip install -r
scripts/audit_blind/requirements.txt); about 3 minutes and 7 GB on `small`.

Reads only the observable tables (events, ties, persons, groups, group_members) for the
features, and truth_closeness.parquet / truth_persons.parquet only as labels.
Event aggregation is done with DuckDB SQL; structure with numpy/scipy; models with LightGBM.
Deterministic: fixed seeds, single-threaded model fitting, ordered SQL outputs.
"""
import json
import os
import sys
import time

import duckdb
import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.stats import spearmanr, chisquare
from sklearn.metrics import roc_auc_score, confusion_matrix, accuracy_score, balanced_accuracy_score
from sklearn.model_selection import GroupKFold
import lightgbm as lgb

T0 = time.time()
if len(sys.argv) < 2:
    sys.exit("usage: audit_blind.py DATASET_DIR [OUT_JSON]")
D = sys.argv[1]
OUT = sys.argv[2] if len(sys.argv) > 2 else "audit_blind.json"
R = {"dataset": D}
CH = ["message", "call", "like", "comment", "transfer", "group_message"]
RELS = ["partner", "family", "close_friend", "colleague", "classmate", "acquaintance", "service"]


def log(msg):
    print(f"[{time.time() - T0:6.1f}s] {msg}", flush=True)


def jl(x):
    """json-safe conversion"""
    if isinstance(x, dict):
        return {str(k): jl(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [jl(v) for v in x]
    if isinstance(x, (np.integer,)):
        return int(x)
    if isinstance(x, (np.floating, float)):
        return None if not np.isfinite(x) else round(float(x), 6)
    if isinstance(x, np.ndarray):
        return jl(x.tolist())
    return x


con = duckdb.connect()
con.execute("SET TimeZone='UTC'")
con.execute("PRAGMA threads=2")
con.execute("SET preserve_insertion_order=true")
Q = lambda s: con.execute(s).df()

# ---------------------------------------------------------------- load
log("loading tables")
con.execute(f"""CREATE TABLE persons AS SELECT *, row_number() OVER (ORDER BY person_id) - 1 AS pidx
               FROM read_parquet('{D}/persons.parquet')""")
con.execute(f"""CREATE TABLE ties AS SELECT src AS a, dst AS b, formed_at, file_row_number AS tie_row
               FROM read_parquet('{D}/ties.parquet', file_row_number=true)""")
con.execute(f"""CREATE TABLE truth AS SELECT target, "alter" AS alt, layer, relation, closeness,
               file_row_number AS truth_row FROM read_parquet('{D}/truth_closeness.parquet', file_row_number=true)""")
con.execute(f"CREATE TABLE gm AS SELECT * FROM read_parquet('{D}/group_members.parquet')")
con.execute(f"CREATE TABLE groups AS SELECT * FROM read_parquet('{D}/groups.parquet')")
con.execute(f"""CREATE TABLE ev AS SELECT src, dst, channel, ts, value, group_id,
                  regexp_extract(filename, 'part-(\\d+)', 1)::INT AS part, file_row_number AS row
               FROM read_parquet('{D}/events/*.parquet', filename=true, file_row_number=true)""")
con.execute("""ALTER TABLE ev ADD COLUMN hr INT; ALTER TABLE ev ADD COLUMN dow INT; ALTER TABLE ev ADD COLUMN dy INT;
               ALTER TABLE ev ADD COLUMN ms INT""")
con.execute("""UPDATE ev SET hr = hour(ts), dow = isodow(ts), dy = datediff('day', TIMESTAMPTZ '2000-01-01 00:00:00+00', ts),
               ms = (epoch_ms(ts) % 1000)::INT""")
# undirected relation per tie (truth relation is documented as the same both ways; verify)
con.execute("""CREATE TABLE tierel AS SELECT t.a, t.b, t.formed_at, t.tie_row, x.relation, x.layer AS layer_ab, y.layer AS layer_ba,
                 x.closeness AS clo_ab, y.closeness AS clo_ba, y.relation AS relation_ba
               FROM ties t JOIN truth x ON x.target=t.a AND x.alt=t.b JOIN truth y ON y.target=t.b AND y.alt=t.a""")
counts = Q("""SELECT (SELECT count(*) FROM ev) ev, (SELECT count(*) FROM ties) ties, (SELECT count(*) FROM tierel) tierel,
              (SELECT count(*) FROM tierel WHERE relation<>relation_ba) rel_asym, (SELECT count(*) FROM truth) truth,
              (SELECT count(*) FROM persons) persons, (SELECT count(*) FROM ties WHERE a>=b) ties_not_sorted""").iloc[0].to_dict()
R["counts"] = counts
log(f"counts {counts}")
# event friend flag + relation (directed: target=src)
con.execute("""CREATE TABLE evr AS SELECT e.*, t.relation FROM ev e LEFT JOIN truth t ON t.target=e.src AND t.alt=e.dst""")
nf = Q("""SELECT channel, count(*) FILTER (relation IS NULL) nonfriend, count(*) n FROM evr GROUP BY 1 ORDER BY 1""")
R["events_between_non_friends"] = nf.set_index("channel").to_dict("index")
R["self_events"] = int(Q("SELECT count(*) c FROM ev WHERE src=dst").c[0])
R["events_outside_window"] = int(Q("SELECT count(*) c FROM ev WHERE ts < TIMESTAMPTZ '2026-01-01 00:00:00+00' OR ts >= TIMESTAMPTZ '2026-04-01 00:00:00+00'").c[0])
R["duplicate_events"] = int(Q("SELECT count(*) - (SELECT count(*) FROM (SELECT DISTINCT src,dst,channel,ts FROM ev)) c FROM ev").c[0])
log("loaded")

# ---------------------------------------------------------------- 1. per-relation behaviour
rel_n = Q("SELECT relation, count(*) n FROM tierel GROUP BY 1").set_index("relation").n
# undirected channel presence per tie
con.execute("""CREATE TABLE ucp AS SELECT least(src,dst) a, greatest(src,dst) b, channel, count(*) n
               FROM evr WHERE relation IS NOT NULL GROUP BY 1,2,3""")
chan_share = Q("""SELECT r.relation, u.channel, count(*) ties_with FROM ucp u JOIN tierel r USING (a,b) GROUP BY 1,2""")
any_share = Q("""SELECT r.relation, count(*) ties_with FROM (SELECT DISTINCT a,b FROM ucp) u JOIN tierel r USING (a,b) GROUP BY 1""")
tab = {}
for rel in RELS:
    row = {"n_ties": int(rel_n.get(rel, 0))}
    for c in CH:
        v = chan_share[(chan_share.relation == rel) & (chan_share.channel == c)].ties_with
        row[f"share_ties_{c}"] = float(v.iloc[0]) / row["n_ties"] if len(v) else 0.0
    v = any_share[any_share.relation == rel].ties_with
    row["share_ties_any_event"] = float(v.iloc[0]) / row["n_ties"] if len(v) else 0.0
    tab[rel] = row
# directed transfer share
dtr = Q("""SELECT t.relation, count(*) n, count(x.src) with_tr FROM truth t LEFT JOIN
           (SELECT DISTINCT src, dst FROM ev WHERE channel='transfer') x ON x.src=t.target AND x.dst=t.alt GROUP BY 1""")
for _, r in dtr.iterrows():
    tab[r.relation]["share_directed_ties_with_transfer"] = r.with_tr / r.n
# timing shares overall and per channel
tim = Q("""SELECT relation, channel, count(*) n, count(*) FILTER (hr BETWEEN 1 AND 4) night, count(*) FILTER (dow>=6) wkend
           FROM evr WHERE relation IS NOT NULL GROUP BY 1,2""")
for rel in RELS:
    s = tim[tim.relation == rel]
    tab[rel]["n_events"] = int(s.n.sum())
    tab[rel]["share_night_01_04"] = s.night.sum() / max(s.n.sum(), 1)
    tab[rel]["share_weekend"] = s.wkend.sum() / max(s.n.sum(), 1)
    for _, r in s.iterrows():
        tab[rel][f"night_share_{r.channel}"] = r.night / r.n
        tab[rel][f"weekend_share_{r.channel}"] = r.wkend / r.n
        tab[rel][f"events_{r.channel}"] = int(r.n)
vq = Q("""SELECT relation, channel, quantile_cont(value, [0.1,0.5,0.9]) q, min(value) mn, max(value) mx, count(*) n,
          avg(CASE WHEN value = round(value) THEN 1 ELSE 0 END) share_int,
          avg(CASE WHEN value % 10 = 0 THEN 1 ELSE 0 END) share_mult10,
          avg(CASE WHEN value % 60 = 0 THEN 1 ELSE 0 END) share_mult60
          FROM evr WHERE relation IS NOT NULL AND channel IN ('call','transfer') GROUP BY 1,2""")
for _, r in vq.iterrows():
    k = "call_duration" if r.channel == "call" else "transfer_amount"
    tab[r.relation][f"{k}_q10_q50_q90"] = list(r.q)
    tab[r.relation][f"{k}_min_max"] = [r.mn, r.mx]
    tab[r.relation][f"{k}_share_integer"] = r.share_int
    tab[r.relation][f"{k}_share_mult10"] = r.share_mult10
    if r.channel == "call":
        tab[r.relation]["call_duration_share_mult60"] = r.share_mult60
# reply within 10 minutes (messages, friend pairs)
log("reply latency (ASOF join)")
con.execute("CREATE TABLE msg AS SELECT src, dst, ts, relation FROM evr WHERE channel='message' AND relation IS NOT NULL")
con.execute("""CREATE TABLE rep AS SELECT m.src, m.dst, m.relation, epoch_ms(r.ts) - epoch_ms(m.ts) AS lat_ms
               FROM msg m ASOF LEFT JOIN msg r ON r.src = m.dst AND r.dst = m.src AND r.ts > m.ts""")
rr = Q("""SELECT relation, count(*) n, avg(CASE WHEN lat_ms <= 600000 THEN 1 ELSE 0 END) r10,
          quantile_cont(lat_ms, 0.5) FILTER (lat_ms <= 86400000)/1000.0 med_lat_s_within_day FROM rep GROUP BY 1""")
for _, r in rr.iterrows():
    tab[r.relation]["reply_within_10min_rate"] = r.r10
    tab[r.relation]["median_reply_latency_s_if_within_day"] = r.med_lat_s_within_day
# reciprocity (undirected ties with events both ways)
rec = Q("""WITH d AS (SELECT DISTINCT src, dst FROM evr WHERE relation IS NOT NULL AND channel <> 'group_message')
           SELECT r.relation, count(*) n_active, sum(CASE WHEN x.src IS NOT NULL AND y.src IS NOT NULL THEN 1 ELSE 0 END) nboth
           FROM tierel r LEFT JOIN d x ON x.src=r.a AND x.dst=r.b LEFT JOIN d y ON y.src=r.b AND y.dst=r.a
           WHERE x.src IS NOT NULL OR y.src IS NOT NULL GROUP BY 1""")
for _, r in rec.iterrows():
    tab[r.relation]["share_active_ties_reciprocated"] = r.nboth / r.n_active
R["per_relation"] = tab
log("per-relation table done")

# ---------------------------------------------------------------- hard zeros / degenerate distributions
tells = {}
hz = Q("""SELECT relation, channel, hr, count(*) n FROM evr WHERE relation IS NOT NULL GROUP BY ALL""")
wz = Q("""SELECT relation, channel, dow, count(*) n FROM evr WHERE relation IS NOT NULL GROUP BY ALL""")


def zero_cells(df, key, levels):
    """cells (relation, channel, level) with zero count where expected count (from the channel's
    overall profile) is >= 10"""
    out = []
    prof = df.groupby(["channel", key]).n.sum()
    chtot = df.groupby("channel").n.sum()
    tot = df.groupby(["relation", "channel"]).n.sum()
    for (rel, ch), n in tot.items():
        sub = df[(df.relation == rel) & (df.channel == ch)].set_index(key).n
        for lv in levels:
            exp = n * prof.get((ch, lv), 0) / chtot[ch]
            obs = int(sub.get(lv, 0))
            if exp >= 10 and obs <= 0.02 * exp:
                out.append({"relation": rel, "channel": ch, key: int(lv), "observed": obs, "expected": round(exp, 1)})
    return out


tells["hour_zero_cells"] = zero_cells(hz, "hr", range(24))
tells["weekday_zero_cells"] = zero_cells(wz, "dow", range(1, 8))
# relation x channel zero cells (channel never used by a relation)
tells["relation_channel_zero"] = [{"relation": r, "channel": c} for r in RELS for c in CH
                                  if tab[r].get(f"events_{c}", 0) == 0]
# per relation hour profile (all channels), for the report
hp = hz.groupby(["relation", "hr"]).n.sum().unstack(fill_value=0)
R["hour_profile_share"] = {r: (hp.loc[r] / hp.loc[r].sum()).round(4).tolist() for r in hp.index}
wp = wz.groupby(["relation", "dow"]).n.sum().unstack(fill_value=0)
R["weekday_profile_share"] = {r: (wp.loc[r] / wp.loc[r].sum()).round(4).tolist() for r in wp.index}

# millisecond parts of timestamps: uniformity per relation x channel
msd = Q("""SELECT coalesce(relation,'(non-friend)') relation, channel, ms // 100 AS b, count(*) n,
           sum(CASE WHEN ms % 10 = 0 THEN 1 ELSE 0 END) last0, sum(CASE WHEN ms = 0 THEN 1 ELSE 0 END) ms0,
           sum(CASE WHEN second(ts) = 0 THEN 1 ELSE 0 END) sec0
           FROM evr GROUP BY ALL""")
msres = []
for (rel, ch), s in msd.groupby(["relation", "channel"]):
    cnt = s.set_index("b").n.reindex(range(10), fill_value=0).values
    n = cnt.sum()
    p = chisquare(cnt).pvalue if n > 50 else np.nan
    msres.append({"relation": rel, "channel": ch, "n": int(n), "chi2_p_ms_decile": p,
                  "share_ms_last_digit_0": s.last0.sum() / n, "share_ms_eq_0": s.ms0.sum() / n,
                  "share_second_eq_0": s.sec0.sum() / n})
tells["millisecond_uniformity"] = msres
# decimal digits of values
dig = Q("""SELECT relation, channel, (round(value*100)::BIGINT % 100) AS cents, count(*) n FROM evr
           WHERE relation IS NOT NULL AND channel IN ('call','transfer') GROUP BY ALL""")
digres = []
for (rel, ch), s in dig.groupby(["relation", "channel"]):
    cnt = s.set_index("cents").n.reindex(range(100), fill_value=0).values
    n = cnt.sum()
    nz = cnt[1:]
    digres.append({"relation": rel, "channel": ch, "n": int(n), "share_cents_00": cnt[0] / n,
                   "chi2_p_nonzero_cents_uniform": chisquare(nz).pvalue if nz.sum() > 100 else None,
                   "last_digit_share": [float(cnt[d::10].sum() / n) for d in range(10)]})
tells["value_decimal_digits"] = digres
# value distribution overlap between relations (histogram overlap coefficient on log scale)
hist = Q("""SELECT relation, channel, floor(ln(value)*10)::INT AS b, count(*) n FROM evr
            WHERE relation IS NOT NULL AND channel IN ('call','transfer') AND value > 0 GROUP BY ALL""")
ov = {}
for ch in ["call", "transfer"]:
    h = hist[hist.channel == ch].pivot_table(index="b", columns="relation", values="n", fill_value=0)
    h = h / h.sum()
    m = {}
    rels = list(h.columns)
    for i, r1 in enumerate(rels):
        for r2 in rels[i + 1:]:
            m[f"{r1}|{r2}"] = float(np.minimum(h[r1], h[r2]).sum())
    ov[ch] = m
    ov[ch + "_min_overlap"] = min(m.values()) if m else None
    ov[ch + "_max_overlap"] = max(m.values()) if m else None
tells["value_hist_overlap"] = ov
# identical-by-construction value checks: exact repeated amounts per relation
rep_amt = Q("""SELECT relation, channel, count(*) n, count(DISTINCT value) nd,
               max(c) top_count FROM (SELECT relation, channel, value, count(*) OVER (PARTITION BY relation, channel, value) c
               FROM evr WHERE relation IS NOT NULL AND channel IN ('call','transfer')) GROUP BY ALL ORDER BY 1, 2""")
tells["value_distinct"] = rep_amt.to_dict("records")
log("hard-zero & digit scans done")

# ---------------------------------------------------------------- persons / partner attributes
pp = Q("""SELECT r.relation, count(*) n, avg(CASE WHEN p1.age_band = p2.age_band THEN 1 ELSE 0 END) same_age,
          avg(CASE WHEN p1.region = p2.region THEN 1 ELSE 0 END) same_region,
          avg(abs(epoch(p1.joined_at) - epoch(p2.joined_at))/86400) mean_abs_join_diff_days,
          avg(CASE WHEN r.formed_at IS NULL THEN 1 ELSE 0 END) formed_null,
          avg(CASE WHEN r.formed_at < greatest(p1.joined_at, p2.joined_at) THEN 1 ELSE 0 END) formed_before_join,
          avg(CASE WHEN r.formed_at >= TIMESTAMPTZ '2026-01-01 00:00:00+00' THEN 1 ELSE 0 END) formed_in_window,
          avg(CASE WHEN r.formed_at = greatest(p1.joined_at, p2.joined_at) THEN 1 ELSE 0 END) formed_eq_join,
          median(datediff('day', greatest(p1.joined_at, p2.joined_at), r.formed_at)) med_days_join_to_form,
          avg(CASE WHEN epoch_ms(r.formed_at) % 1000 = 0 THEN 1 ELSE 0 END) formed_ms0
          FROM tierel r JOIN persons p1 ON p1.person_id=r.a JOIN persons p2 ON p2.person_id=r.b GROUP BY 1""")
R["pair_attributes"] = pp.set_index("relation").to_dict("index")
R["region_distinct_values"] = int(Q("SELECT count(DISTINCT region) c FROM persons").c[0])
# base rate of same age band among all ties and among random pairs
ab = Q("SELECT age_band, count(*) n FROM persons GROUP BY 1")
R["random_pair_same_age_band"] = float(((ab.n / ab.n.sum()) ** 2).sum())
# partners per person
R["partners_per_person_hist"] = Q("""SELECT k, count(*) n FROM (SELECT target, count(*) k FROM truth WHERE relation='partner' GROUP BY 1)
                                     GROUP BY 1 ORDER BY 1""").set_index("k").n.to_dict()
# partner age-band cross table
pab = Q("""SELECT p1.age_band a1, p2.age_band a2, count(*) n FROM tierel r JOIN persons p1 ON p1.person_id=r.a
           JOIN persons p2 ON p2.person_id=r.b WHERE relation='partner' GROUP BY ALL""")
R["partner_age_band_cross"] = {f"{x.a1}|{x.a2}": int(x.n) for x in pab.itertuples()}
# group co-membership by kind per relation
con.execute("""CREATE TABLE cog AS SELECT least(g1.person_id,g2.person_id) a, greatest(g1.person_id,g2.person_id) b, k.kind, count(*) n
               FROM gm g1 JOIN gm g2 ON g1.group_id=g2.group_id AND g1.person_id<g2.person_id JOIN groups k ON k.group_id=g1.group_id
               GROUP BY ALL""")
cg = Q("""SELECT r.relation, c.kind, count(*) n FROM cog c JOIN tierel r USING (a,b) GROUP BY ALL""")
cgt = {}
for rel in RELS:
    cgt[rel] = {k: int(cg[(cg.relation == rel) & (cg.kind == k)].n.sum()) / tab[rel]["n_ties"]
                for k in ["family", "work", "school", "interest", "neighbourhood"]}
R["share_ties_comember_group_kind"] = cgt
cgp = Q("""SELECT c.kind, count(*) pairs, count(r.a) friend_pairs, count(*) FILTER (r.relation='family') fam,
           count(*) FILTER (r.relation='partner') partner, count(*) FILTER (r.relation='colleague') coll,
           count(*) FILTER (r.relation='classmate') cls FROM cog c LEFT JOIN tierel r USING (a,b) GROUP BY 1""")
R["group_kind_pairs"] = cgp.set_index("kind").to_dict("index")
log("pair attributes done")

# ---------------------------------------------------------------- extra tells found during the audit
con.execute("""CREATE TABLE pa AS SELECT person_id, age_band, CASE age_band WHEN '13-17' THEN 0 WHEN '18-24' THEN 1 WHEN '25-34' THEN 2
               WHEN '35-44' THEN 3 WHEN '45-54' THEN 4 WHEN '55-64' THEN 5 ELSE 6 END ai FROM persons""")
# relation x age band of the target (directed); hard zeros where the band holds >= 5% of people
rab = Q("""SELECT t.relation, p.age_band, count(*) n FROM truth t JOIN pa p ON p.person_id=t.target GROUP BY ALL""")
piv = rab.pivot_table(index="relation", columns="age_band", values="n", fill_value=0)
R["relation_by_target_age_band"] = {r: piv.loc[r].astype(int).to_dict() for r in piv.index}
bandsz = Q("SELECT age_band, count(*) n FROM persons GROUP BY 1").set_index("age_band").n
tells["relation_age_band_zero"] = [{"relation": r, "age_band": b, "persons_in_band": int(bandsz[b]),
                                     "expected_if_age_independent": round(float(piv.loc[r].sum() * piv[b].sum() / piv.values.sum()), 1)}
                                    for r in piv.index for b in piv.columns if piv.loc[r, b] == 0]
rad = Q("""SELECT relation, abs(p1.ai-p2.ai) d, count(*) n FROM tierel t JOIN pa p1 ON p1.person_id=t.a JOIN pa p2 ON p2.person_id=t.b GROUP BY ALL""")
R["relation_abs_age_band_diff_share"] = {r: (g.set_index("d").n / g.n.sum()).round(4).to_dict() for r, g in rad.groupby("relation")}
rp = Q("SELECT abs(a.ai-b.ai) d, count(*) n FROM pa a, pa b GROUP BY 1 ORDER BY 1")
R["random_pair_abs_age_band_diff_share"] = (rp.set_index("d").n / rp.n.sum()).round(4).to_dict()
# reply latency details (service hard zero)
rl = Q("""SELECT relation, count(*) n, count(lat_ms) replied_ever, min(lat_ms)/1000.0 min_latency_s,
          quantile_cont(lat_ms, 0.5)/1000.0 median_latency_s, avg(CASE WHEN lat_ms <= 3600000 THEN 1.0 ELSE 0.0 END) r1h,
          sum(CASE WHEN lat_ms <= 600000 THEN 1 ELSE 0 END) n_r10 FROM rep GROUP BY 1""")
R["reply_latency_detail"] = rl.set_index("relation").to_dict("index")
# node-level observable: one-way senders (in-events / (out-events+1) < 0.05), direct channels only
con.execute("""CREATE TABLE node AS SELECT p.person_id, coalesce(o.n,0) out_n, coalesce(i.n,0) in_n FROM persons p
  LEFT JOIN (SELECT src, count(*) n FROM ev WHERE channel<>'group_message' GROUP BY 1) o ON o.src=p.person_id
  LEFT JOIN (SELECT dst, count(*) n FROM ev WHERE channel<>'group_message' GROUP BY 1) i ON i.dst=p.person_id""")
ow = Q("""WITH low AS (SELECT person_id FROM node WHERE in_n::DOUBLE/(out_n+1) < 0.05)
          SELECT relation, count(*) n, sum(CASE WHEN a IN (SELECT person_id FROM low) OR b IN (SELECT person_id FROM low) THEN 1 ELSE 0 END) flagged
          FROM tierel GROUP BY 1""")
R["one_way_sender_rule"] = {"num_one_way_senders": int(Q("SELECT count(*) c FROM node WHERE in_n::DOUBLE/(out_n+1) < 0.05").c[0]),
                            "ties_flagged_by_relation": ow.set_index("relation").flagged.astype(int).to_dict(),
                            "purity_service": float(ow[ow.relation == "service"].flagged.sum() / max(ow.flagged.sum(), 1)),
                            "coverage_service": float(ow[ow.relation == "service"].flagged.sum() / ow[ow.relation == "service"].n.sum())}
# weekly volume by relation: trend (weeks 8-11 over weeks 1-4)
wk = Q("""SELECT relation, (datediff('day', TIMESTAMPTZ '2026-01-01 00:00:00+00', ts)//7)::INT w, count(*) n FROM evr
          WHERE relation IS NOT NULL GROUP BY ALL""").pivot_table(index="w", columns="relation", values="n", fill_value=0)
R["weekly_events_by_relation"] = {r: wk[r].astype(int).tolist() for r in wk.columns}
R["trend_weeks8_11_over_weeks1_4"] = {r: float(wk[r].loc[8:11].sum() / wk[r].loc[1:4].sum()) for r in wk.columns}
R["week0_over_weeks1_4_mean"] = {r: float(wk[r].loc[0] / wk[r].loc[1:4].mean()) for r in wk.columns}
# call-duration clamp: pile-up at the minimum
cf = Q("""SELECT relation, min(value) mn, avg(CASE WHEN value = 5 THEN 1.0 ELSE 0.0 END) eq5, avg(CASE WHEN value = 6 THEN 1.0 ELSE 0.0 END) eq6
          FROM evr WHERE channel='call' AND relation IS NOT NULL GROUP BY 1""")
R["call_duration_floor"] = cf.set_index("relation").to_dict("index")
R["call_duration_count_5s_6s_7s"] = Q("SELECT value, count(*) n FROM ev WHERE channel='call' AND value IN (5,6,7) GROUP BY 1 ORDER BY 1").n.tolist()
# service-provider accounts (truth_persons only used as a label here)
R["service_ties_by_account_type"] = Q(f"""SELECT tp.account_type, count(*) n FROM truth t JOIN read_parquet('{D}/truth_persons.parquet') tp
    ON tp.person_id = t.target WHERE t.relation='service' GROUP BY 1""").set_index("account_type").n.to_dict()
R["relations_of_spammers"] = Q(f"""SELECT t.relation, count(*) n FROM truth t JOIN read_parquet('{D}/truth_persons.parquet') tp
    ON tp.person_id = t.target WHERE tp.account_type='spammer' GROUP BY 1""").set_index("relation").n.to_dict()
log("extra checks done")

# ---------------------------------------------------------------- structure (mutual friends, clustering)
log("structure")
ti = Q("""SELECT pa.pidx ia, pb.pidx ib, t.tie_row FROM ties t JOIN persons pa ON pa.person_id=t.a
          JOIN persons pb ON pb.person_id=t.b ORDER BY t.tie_row""")
N = int(counts["persons"])
ia, ib = ti.ia.values.astype(np.int64), ti.ib.values.astype(np.int64)
A = sp.coo_matrix((np.ones(len(ia) * 2, np.float32), (np.r_[ia, ib], np.r_[ib, ia])), shape=(N, N)).tocsr()
deg = np.asarray(A.sum(1)).ravel().astype(np.int64)
Ad = A.toarray()
A2 = Ad @ Ad  # dense BLAS; N=10k -> ~1e12 flop
mutual = A2[ia, ib].astype(np.int64)
del A2, Ad
tri2 = np.bincount(ia, mutual, N) + np.bincount(ib, mutual, N)  # 2*triangles(v)
with np.errstate(divide="ignore", invalid="ignore"):
    cc = np.where(deg >= 2, tri2 / (deg * (deg - 1)), 0.0)
buckets = [(1, 9), (10, 49), (50, 99), (100, 199), (200, 499), (500, 10 ** 9)]
R["structure"] = {
    "mean_degree": float(deg.mean()), "median_degree": float(np.median(deg)), "max_degree": int(deg.max()),
    "isolated": int((deg == 0).sum()),
    "degree_q": {q: float(np.quantile(deg, q)) for q in [0.01, 0.1, 0.25, 0.75, 0.9, 0.99]},
    "avg_clustering_all": float(cc[deg >= 2].mean()),
    "avg_clustering_by_degree": {(f"{lo}-{hi}" if hi < 1e9 else f"{lo}+"): {"n": int(((deg >= lo) & (deg <= hi)).sum()),
                                                                    "cc": float(cc[(deg >= lo) & (deg <= hi)].mean()) if ((deg >= lo) & (deg <= hi)).any() else None}
                                 for lo, hi in buckets},
    "degree_assortativity": float(np.corrcoef(np.r_[deg[ia], deg[ib]], np.r_[deg[ib], deg[ia]])[0, 1]),
}
log("clustering done")

# ---------------------------------------------------------------- per-directed-pair features (DuckDB)
log("directed features")
chsql = ",\n".join(
    [f"count(*) FILTER (channel='{c}') n_{c}" for c in CH] +
    [f"count(DISTINCT dy) FILTER (channel='{c}') days_{c}" for c in ["message", "call", "like", "comment"]])
con.execute(f"""CREATE TABLE dp AS SELECT src, dst, count(*) n, {chsql},
     count(DISTINCT dy) ndays, count(*) FILTER (hr BETWEEN 1 AND 4) n_night, count(*) FILTER (hr BETWEEN 9 AND 16 AND dow<=5) n_workhours,
     count(*) FILTER (hr >= 18 OR hr = 0) n_evening, count(*) FILTER (dow>=6) n_wkend,
     avg(value) FILTER (channel='call') dur_mean, median(value) FILTER (channel='call') dur_med, max(value) FILTER (channel='call') dur_max,
     sum(value) FILTER (channel='call') dur_sum,
     avg(value) FILTER (channel='transfer') amt_mean, max(value) FILTER (channel='transfer') amt_max, sum(value) FILTER (channel='transfer') amt_sum,
     avg(CASE WHEN value=round(value) THEN 1.0 ELSE 0.0 END) FILTER (channel='transfer') amt_int_share,
     avg(hr) hr_mean, stddev_pop(hr) hr_sd, min(dy) first_dy, max(dy) last_dy
   FROM evr WHERE relation IS NOT NULL GROUP BY 1,2""")
con.execute("""CREATE TABLE dprep AS SELECT src, dst, count(*) n_msg, avg(CASE WHEN lat_ms <= 600000 THEN 1.0 ELSE 0.0 END) reply10,
               median(lat_ms) FILTER (lat_ms <= 86400000)/1000.0 replat FROM rep GROUP BY 1,2""")
# burstiness of inter-event gaps (all channels, directed)
con.execute("""CREATE TABLE dpb AS SELECT src, dst, (stddev_pop(g)-avg(g))/(stddev_pop(g)+avg(g)+1e-9) burst FROM
               (SELECT src, dst, epoch(ts) - lag(epoch(ts)) OVER (PARTITION BY src, dst ORDER BY ts) g FROM evr WHERE relation IS NOT NULL)
               WHERE g IS NOT NULL GROUP BY 1,2 HAVING count(*) >= 4""")
DFEAT = [c for c in Q("SELECT * FROM dp LIMIT 0").columns if c not in ("src", "dst")] + ["reply10", "replat", "burst"]
# directed table aligned to truth rows
dd = Q(f"""SELECT t.target, t.alt, t.layer, t.relation, t.closeness, t.truth_row,
           {', '.join('o.' + c + ' AS o_' + c for c in DFEAT[:-3])}, r1.reply10 o_reply10, r1.replat o_replat, b1.burst o_burst,
           {', '.join('i.' + c + ' AS i_' + c for c in DFEAT[:-3])}, r2.reply10 i_reply10, r2.replat i_replat, b2.burst i_burst
        FROM truth t LEFT JOIN dp o ON o.src=t.target AND o.dst=t.alt LEFT JOIN dp i ON i.src=t.alt AND i.dst=t.target
        LEFT JOIN dprep r1 ON r1.src=t.target AND r1.dst=t.alt LEFT JOIN dprep r2 ON r2.src=t.alt AND r2.dst=t.target
        LEFT JOIN dpb b1 ON b1.src=t.target AND b1.dst=t.alt LEFT JOIN dpb b2 ON b2.src=t.alt AND b2.dst=t.target
        ORDER BY t.truth_row""")
log(f"directed table {dd.shape}")
# DuckDB's parallel float aggregation (avg, stddev) can differ in the last bits between runs: round to keep the models deterministic
_fc = [c for c in dd.columns if dd[c].dtype.kind == "f" and c != "closeness"]
dd[_fc] = dd[_fc].round(6)
pid = Q("SELECT person_id, pidx, age_band, epoch(joined_at) j FROM persons ORDER BY pidx")
pmap = pd.Series(pid.pidx.values, index=pid.person_id.values)
ti_t = pmap.reindex(dd.target.values).values
ti_a = pmap.reindex(dd.alt.values).values
ages = {b: i for i, b in enumerate(sorted(pid.age_band.unique()))}
age_i = pid.age_band.map(ages).values
# mutual friends per directed row via sparse lookup
key_und = np.minimum(ti_t, ti_a) * N + np.maximum(ti_t, ti_a)
tie_key = np.minimum(ia, ib) * N + np.maximum(ia, ib)
order = np.argsort(tie_key)
pos = order[np.searchsorted(tie_key[order], key_und)]
dd["mutual"] = mutual[pos]
dd["tie_row"] = ti.tie_row.values[pos]
dd["deg_t"] = deg[ti_t]
dd["deg_a"] = deg[ti_a]
dd["jaccard"] = dd.mutual / (dd.deg_t + dd.deg_a - dd.mutual - 2).clip(lower=1)
dd["age_t"] = age_i[ti_t]
dd["age_a"] = age_i[ti_a]
dd["age_diff"] = np.abs(dd.age_t - dd.age_a)
dd["join_diff_days"] = np.abs(pid.j.values[ti_t] - pid.j.values[ti_a]) / 86400
fa = Q("SELECT tie_row, epoch(formed_at) f FROM ties ORDER BY tie_row")
dd["formed_days_before_end"] = (1775001600 - fa.f.values[dd.tie_row.values]) / 86400  # 2026-04-01
cogp = Q("""SELECT c.a, c.b, c.kind, c.n FROM cog c""")
for k in ["family", "work", "school", "interest", "neighbourhood"]:
    s = cogp[cogp.kind == k]
    kk = pmap.reindex(s.a.values).values * N + pmap.reindex(s.b.values).values
    kk = np.minimum(kk, pmap.reindex(s.b.values).values * N + pmap.reindex(s.a.values).values)
    m = pd.Series(s.n.values, index=kk)
    dd[f"cogroup_{k}"] = m.reindex(key_und).fillna(0).values
cnt_cols = [c for c in dd.columns if c.startswith(("o_n", "i_n", "o_days", "i_days"))]
dd[cnt_cols] = dd[cnt_cols].fillna(0)
dd["o_tot"] = dd.o_n
dd["i_tot"] = dd.i_n
dd["tot"] = dd.o_n + dd.i_n
# target-normalised: share of target's events and rank among target's friends
dd["t_share"] = dd.tot / dd.groupby("target").tot.transform("sum").clip(lower=1)
dd["t_rank"] = dd.groupby("target").tot.rank(ascending=False, method="average") / dd.deg_t
dd["a_share"] = dd.tot / dd.groupby("alt").tot.transform("sum").clip(lower=1)
dd["mut_rank"] = dd.groupby("target").mutual.rank(ascending=False, method="average") / dd.deg_t
for c in ["call", "message", "transfer"]:
    dd[f"t_share_{c}"] = (dd[f"o_n_{c}"] + dd[f"i_n_{c}"]) / dd.groupby("target")[f"o_n_{c}"].transform("sum").add(
        dd.groupby("target")[f"i_n_{c}"].transform("sum")).clip(lower=1)
log("directed features done")

# ---------------------------------------------------------------- 2. P(relevant | transfer)
dd["relevant"] = (dd.layer <= 3).astype(int)
has_tr = (dd.o_n_transfer + dd.i_n_transfer) > 0
R["p_relevant_given_transfer"] = {
    "base_rate": float(dd.relevant.mean()),
    "p_given_any_transfer_pair": float(dd.relevant[has_tr].mean()),
    "p_given_outgoing_transfer": float(dd.relevant[dd.o_n_transfer > 0].mean()),
    "p_given_no_transfer": float(dd.relevant[~has_tr].mean()),
    "share_pairs_with_transfer": float(has_tr.mean()),
    "p_given_any_call": float(dd.relevant[(dd.o_n_call + dd.i_n_call) > 0].mean()),
    "p_given_no_event": float(dd.relevant[dd.tot == 0].mean()),
    "relation_mix_of_transfer_pairs": dd.relation[has_tr].value_counts(normalize=True).to_dict(),
}

# ---------------------------------------------------------------- 7. leaks
log("leak checks")
ev_pos = Q("""SELECT least(src,dst) a, greatest(src,dst) b, avg(part*1e8 + row) mean_pos, min(part*1e8 + row) first_pos,
              avg(row) mean_row, min(epoch(ts)) first_ts, count(*) n_ev FROM evr WHERE relation IS NOT NULL GROUP BY 1,2""")
tl = Q("""SELECT r.a, r.b, r.tie_row, r.clo_ab, r.layer_ab, r.relation FROM tierel r""").merge(ev_pos, on=["a", "b"], how="left")
rank_id = pmap
leak = {}
sr = lambda x, y: float(spearmanr(x, y, nan_policy="omit").statistic)
leak["closeness_vs_target_id"] = sr(dd.closeness, dd.target)
leak["closeness_vs_alter_id"] = sr(dd.closeness, dd.alt)
leak["layer_vs_alter_id"] = sr(dd.layer, dd.alt)
leak["closeness_vs_truth_row"] = sr(dd.closeness, dd.truth_row)
# within-target position of the alter in truth rows (sorted by alter id -> id order)
dd["pos_in_target"] = dd.groupby("target").cumcount() / dd.deg_t
leak["closeness_vs_within_target_row_pos"] = sr(dd.closeness, dd.pos_in_target)
leak["closeness_vs_ties_row"] = sr(tl.clo_ab, tl.tie_row)
leak["layer_vs_ties_row"] = sr(tl.layer_ab, tl.tie_row)
leak["closeness_vs_mean_event_position"] = sr(tl.clo_ab, tl.mean_pos)
leak["closeness_vs_first_event_position"] = sr(tl.clo_ab, tl.first_pos)
leak["closeness_vs_mean_row_in_part"] = sr(tl.clo_ab, tl.mean_row)
leak["closeness_vs_first_event_ts(control)"] = sr(tl.clo_ab, tl.first_ts)
leak["closeness_vs_event_count(control)"] = sr(tl.clo_ab, tl.n_ev)
leak["closeness_vs_abs_id_rank_diff"] = sr(dd.closeness, np.abs(ti_t - ti_a))
leak["closeness_vs_abs_log_id_ratio"] = sr(dd.closeness, np.abs(np.log(dd.target.values.astype(float)) - np.log(dd.alt.values.astype(float))))
x8 = np.bitwise_xor(dd.target.values[::8].astype(np.uint64), dd.alt.values[::8].astype(np.uint64))
pc = np.array([bin(int(v)).count("1") for v in x8])
leak["closeness_vs_id_xor_popcount(1/8 sample)"] = sr(dd.closeness.values[::8], pc)
# relation by id-rank distance (household-sequential ids would show here)
leak["mean_abs_id_rank_diff_by_relation"] = pd.Series(np.abs(ti_t - ti_a)).groupby(dd.relation.values).mean().to_dict()
leak["mean_ties_row_quantile_by_relation"] = (tl.groupby("relation").tie_row.mean() / len(tl)).to_dict()
leak["mean_truth_row_quantile_by_relation"] = (dd.groupby("relation").truth_row.mean() / len(dd)).to_dict()
# low bits of ids by relation (parity of id sum)
leak["share_even_id_sum_by_relation"] = pd.Series(((dd.target.values + dd.alt.values) % 2 == 0).astype(float)).groupby(dd.relation.values).mean().to_dict()
# event part vs sender id ordering and closeness within one pair's events: order of channel rows at equal ts
R["leaks"] = leak
log("leaks done")

# ---------------------------------------------------------------- 4. relation classifier (undirected ties)
log("relation classifier")
und = dd[dd.target < dd.alt].reset_index(drop=True)
# attach the other direction's incoming features are already the o_/i_ of this row; symmetric features:
F = pd.DataFrame(index=und.index)
for c in CH:
    F[f"n_{c}"] = und[f"o_n_{c}"] + und[f"i_n_{c}"]
    F[f"asym_{c}"] = (und[f"o_n_{c}"] - und[f"i_n_{c}"]).abs() / F[f"n_{c}"].clip(lower=1)
for c in ["message", "call", "like", "comment"]:
    F[f"days_{c}"] = np.maximum(und[f"o_days_{c}"], und[f"i_days_{c}"])
F["n_tot"] = und.tot
F["ndays"] = np.maximum(und.o_ndays.fillna(0), und.i_ndays.fillna(0))
F["night_share"] = (und.o_n_night.fillna(0) + und.i_n_night.fillna(0)) / und.tot.clip(lower=1)
F["workhours_share"] = (und.o_n_workhours.fillna(0) + und.i_n_workhours.fillna(0)) / und.tot.clip(lower=1)
F["evening_share"] = (und.o_n_evening.fillna(0) + und.i_n_evening.fillna(0)) / und.tot.clip(lower=1)
F["weekend_share"] = (und.o_n_wkend.fillna(0) + und.i_n_wkend.fillna(0)) / und.tot.clip(lower=1)
F["hr_mean"] = und[["o_hr_mean", "i_hr_mean"]].mean(axis=1)
F["hr_sd"] = und[["o_hr_sd", "i_hr_sd"]].mean(axis=1)
F["dur_med"] = und[["o_dur_med", "i_dur_med"]].mean(axis=1)
F["dur_mean"] = und[["o_dur_mean", "i_dur_mean"]].mean(axis=1)
F["dur_max"] = und[["o_dur_max", "i_dur_max"]].max(axis=1)
F["amt_mean"] = und[["o_amt_mean", "i_amt_mean"]].mean(axis=1)
F["amt_max"] = und[["o_amt_max", "i_amt_max"]].max(axis=1)
F["amt_int_share"] = und[["o_amt_int_share", "i_amt_int_share"]].mean(axis=1)
F["reply10"] = und[["o_reply10", "i_reply10"]].mean(axis=1)
F["reply_latency"] = und[["o_replat", "i_replat"]].mean(axis=1)
F["burst"] = und[["o_burst", "i_burst"]].mean(axis=1)
F["reciprocal"] = ((und.o_n > 0) & (und.i_n > 0)).astype(int)
F["first_day"] = und[["o_first_dy", "i_first_dy"]].min(axis=1)
F["last_day"] = und[["o_last_dy", "i_last_dy"]].max(axis=1)
F["mutual"] = und.mutual
F["jaccard"] = und.jaccard
F["deg_min"] = np.minimum(und.deg_t, und.deg_a)
F["deg_max"] = np.maximum(und.deg_t, und.deg_a)
F["age_min"] = np.minimum(und.age_t, und.age_a)
F["age_max"] = np.maximum(und.age_t, und.age_a)
F["age_diff"] = und.age_diff
F["join_diff_days"] = und.join_diff_days
F["formed_days_before_end"] = und.formed_days_before_end
for k in ["family", "work", "school", "interest", "neighbourhood"]:
    F[f"cogroup_{k}"] = und[f"cogroup_{k}"]
F["share_of_min_side"] = np.maximum(und.t_share, und.a_share).round(6)
nd = Q("SELECT person_id, in_n::DOUBLE/(out_n+1) r FROM node").set_index("person_id").r
F["min_endpoint_in_out_ratio"] = np.minimum(nd.reindex(und.target.values).values, nd.reindex(und.alt.values).values)
F = F.astype(float).round(6)
y_lab = und.relation.map({r: i for i, r in enumerate(RELS)}).values
groups = und.target.values
rng = np.random.default_rng(0)
NS = min(len(und), 300000)
samp = np.sort(rng.choice(len(und), NS, replace=False))
Xs, ys, gs = F.iloc[samp].reset_index(drop=True), y_lab[samp], groups[samp]
params = dict(objective="multiclass", num_class=len(RELS), learning_rate=0.05, num_leaves=31, min_child_samples=50,
              n_estimators=160, subsample=0.8, subsample_freq=1, colsample_bytree=0.8, random_state=0, n_jobs=2,
              deterministic=True, force_row_wise=True, verbose=-1)
pred = np.zeros((NS, len(RELS)))
imp = np.zeros(F.shape[1])
for k, (tr, te) in enumerate(GroupKFold(n_splits=5).split(Xs, ys, gs)):
    m = lgb.LGBMClassifier(**params).fit(Xs.iloc[tr], ys[tr])
    pred[te] = m.predict_proba(Xs.iloc[te])
    imp += m.booster_.feature_importance("gain")
    log(f"  fold {k} done")
yp = pred.argmax(1)
cm = confusion_matrix(ys, yp, labels=range(len(RELS)))
majority = np.bincount(ys).max() / len(ys)
clf = {"n_ties_sampled": NS, "accuracy": accuracy_score(ys, yp), "balanced_accuracy": balanced_accuracy_score(ys, yp),
       "majority_class_rate": majority, "labels": RELS, "confusion_matrix(rows=true,cols=pred)": cm.tolist(),
       "recall_per_relation": {r: cm[i, i] / max(cm[i].sum(), 1) for i, r in enumerate(RELS)},
       "precision_per_relation": {r: cm[i, i] / max(cm[:, i].sum(), 1) for i, r in enumerate(RELS)},
       "one_vs_rest_auc": {r: roc_auc_score(ys == i, pred[:, i]) for i, r in enumerate(RELS) if (ys == i).any()},
       "top_features_gain_share": dict(sorted(zip(F.columns, (imp / imp.sum()).round(4)), key=lambda t: -t[1])[:20])}
# single-feature separability: one-vs-rest AUC of each raw feature, all ties
sf = []
Fn = F.fillna(-1)
for i, r in enumerate(RELS):
    yy = (y_lab == i)
    for c in F.columns:
        a = roc_auc_score(yy, Fn[c].values)
        sf.append((r, c, max(a, 1 - a)))
sf = pd.DataFrame(sf, columns=["relation", "feature", "auc"]).sort_values("auc", ascending=False)
clf["best_single_feature_auc_per_relation"] = {r: sf[sf.relation == r].head(3)[["feature", "auc"]].values.tolist() for r in RELS}
# hard rules: a feature value range occupied by a single relation (purity)
rules = []
for c in F.columns:
    v = Fn[c].values
    for thr_q in [0.99, 0.999]:
        t = np.quantile(v, thr_q)
        sel = v > t
        if sel.sum() >= 50:
            vc = np.bincount(y_lab[sel], minlength=len(RELS)) / sel.sum()
            rules.append({"feature": c, "rule": f"> q{thr_q} ({t:.4g})", "n": int(sel.sum()),
                          "top_relation": RELS[vc.argmax()], "purity": float(vc.max()),
                          "coverage_of_relation": float(((y_lab == vc.argmax()) & sel).sum() / (y_lab == vc.argmax()).sum())})
rules = sorted(rules, key=lambda d: -d["purity"])
clf["purest_upper_tail_rules"] = rules[:12]
ptab = []
for k in [1, 3, 5, 10, 20]:
    sel = Fn["n_transfer"].values >= k
    ptab.append({"n_transfer_ge": k, "n_ties": int(sel.sum()), "partner_share": float((y_lab[sel] == 0).mean()),
                 "partner_coverage": float(sel[y_lab == 0].mean()), "family_share": float((y_lab[sel] == 1).mean())})
clf["transfer_count_rule_partner"] = ptab
R["relation_classifier"] = clf
log("classifier done")

# ---------------------------------------------------------------- 5. P@5 ranking
log("P@5 ranking")
targets = np.sort(dd.target.unique())
rng = np.random.default_rng(0)
half = rng.permutation(len(targets)) < len(targets) // 2  # True = training half
train_t = set(targets[half])
nrel = dd.groupby("target").relevant.sum()
elig_test = np.sort(np.array([t for t in nrel.index[nrel >= 5] if t not in train_t]))
rng = np.random.default_rng(0)
eval_t = np.sort(rng.choice(elig_test, min(1000, len(elig_test)), replace=False))
RF = ["o_n_" + c for c in CH] + ["i_n_" + c for c in CH] + ["o_ndays", "i_ndays", "o_n_night", "i_n_night", "o_n_wkend",
      "o_dur_mean", "i_dur_mean", "o_dur_sum", "i_dur_sum", "o_amt_sum", "i_amt_sum", "o_reply10", "i_reply10", "o_replat",
      "i_replat", "o_burst", "o_last_dy", "o_first_dy", "tot", "t_share", "t_rank", "a_share", "t_share_call", "t_share_message",
      "t_share_transfer", "mutual", "jaccard", "mut_rank", "deg_t", "deg_a", "age_t", "age_a", "age_diff", "join_diff_days",
      "formed_days_before_end"] + [f"cogroup_{k}" for k in ["family", "work", "school", "interest", "neighbourhood"]]
is_tr = dd.target.isin(train_t).values
tr_idx = np.flatnonzero(is_tr)
tr_idx = np.sort(np.random.default_rng(1).choice(tr_idx, min(400000, len(tr_idx)), replace=False))
rp = dict(objective="binary", learning_rate=0.1, num_leaves=63, n_estimators=200, subsample=0.8, subsample_freq=1,
          colsample_bytree=0.8, random_state=0, n_jobs=2, deterministic=True, force_row_wise=True, verbose=-1)
rm = lgb.LGBMClassifier(**rp).fit(dd[RF].iloc[tr_idx], dd.relevant.values[tr_idx])
ev_rows = dd[dd.target.isin(set(eval_t))].copy()
ev_rows["gbt"] = rm.predict_proba(ev_rows[RF])[:, 1]
ev_rows["tb"] = np.random.default_rng(2).random(len(ev_rows))  # random tie-break (no id order)


def p_at5(df, col):
    s = df.sort_values(["target", col, "tb"], ascending=[True, False, True])
    top = s.groupby("target").head(5)
    return top.groupby("target").relevant.mean()


pk = {c: p_at5(ev_rows, c) for c in ["tot", "mutual", "gbt"]}
rimp = rm.booster_.feature_importance("gain")
R["p_at_5"] = {"num_eval_targets": int(len(eval_t)), "num_eligible_test_targets": int(len(elig_test)),
               "train_rows": int(len(tr_idx)),
               "total_events": float(pk["tot"].mean()), "mutual_friends": float(pk["mutual"].mean()),
               "gbt_relevant": float(pk["gbt"].mean()),
               "random_expectation": float(ev_rows.groupby("target").relevant.mean().mean()),
               "auc_gbt_on_eval_rows": float(roc_auc_score(ev_rows.relevant, ev_rows.gbt)),
               "ranking_gbt_top_features": dict(sorted(zip(RF, (rimp / rimp.sum()).round(4)), key=lambda t: -t[1])[:12])}
log("P@5 done")

# ---------------------------------------------------------------- 6. Onnela percolation & overlap-weight
log("percolation")
w = np.zeros(len(ia))
wu = und.set_index("tie_row").tot
w[wu.index.values] = wu.values  # ties indexed by tie_row (ti is ordered by tie_row, 0..n-1)


def find(parent, x):
    r = x
    while parent[r] != r:
        r = parent[r]
    while parent[x] != r:
        parent[x], x = r, parent[x]
    return r


def percolation(order_remove):
    """giant component fraction after removing the first f of ties in order_remove; add ties in reverse."""
    parent = list(range(N))
    size = [1] * N
    big = 1
    E = len(order_remove)
    gc = np.zeros(E + 1)  # gc[k] = giant after removing k ties
    gc[E] = 1 / N
    add = order_remove[::-1]
    a_, b_ = ia[add].tolist(), ib[add].tolist()
    for j in range(E):
        x, y = find(parent, a_[j]), find(parent, b_[j])
        if x != y:
            if size[x] < size[y]:
                x, y = y, x
            parent[y] = x
            size[x] += size[y]
            if size[x] > big:
                big = size[x]
        gc[E - 1 - j] = big / N
    return gc


tb = np.random.default_rng(3).random(len(w))
inc = np.lexsort((tb, w))  # weakest first
dec = np.lexsort((tb, -w))  # strongest first
rnd = np.random.default_rng(4).permutation(len(w))
perc = {}
E = len(w)
for name, o in [("weak_first", inc), ("strong_first", dec), ("random", rnd)]:
    gc = percolation(o)
    below = np.flatnonzero(gc < 0.5)
    perc[name] = {"giant_at_removed": {f"{f:.2f}": float(gc[int(f * E)]) for f in [0, 0.2, 0.4, 0.6, 0.8, 0.9, 0.95, 0.98]},
                  "fraction_removed_when_giant_below_90pct": float(np.flatnonzero(gc < 0.9)[0] / E),
                  "fraction_removed_when_giant_below_50pct": float(below[0] / E) if len(below) else None}
    log(f"  {name} done")
overlap = mutual / np.maximum(deg[ia] - 1 + deg[ib] - 1 - mutual, 1)
perc["spearman_overlap_vs_weight"] = sr(overlap, w)
perc["share_ties_zero_weight"] = float((w == 0).mean())
perc["spearman_mutual_vs_weight"] = sr(mutual, w)
R["structure"]["percolation"] = perc
log("percolation done")

# ---------------------------------------------------------------- verdict helpers
R["runtime_s"] = time.time() - T0
with open(OUT, "w") as f:
    json.dump(jl(R), f, indent=1)

# ---------------------------------------------------------------- readable summary
pd.set_option("display.width", 250)
pd.set_option("display.max_columns", 40)
print("\n==== per relation ====")
cols = ["n_ties", "share_ties_any_event"] + [f"share_ties_{c}" for c in CH] + ["share_directed_ties_with_transfer",
        "share_night_01_04", "share_weekend", "reply_within_10min_rate", "share_active_ties_reciprocated"]
print(pd.DataFrame(tab).T[cols].astype(float).round(4).to_string())
print(pd.DataFrame({r: {"call_q10/50/90": tab[r].get("call_duration_q10_q50_q90"),
                         "transfer_q10/50/90": tab[r].get("transfer_amount_q10_q50_q90")} for r in RELS}).T.to_string())
print("\n==== hard zeros ====")
print("relation x channel zero:", tells["relation_channel_zero"])
print("hour zero cells:", tells["hour_zero_cells"][:30], "... total", len(tells["hour_zero_cells"]))
print("weekday zero cells:", tells["weekday_zero_cells"][:30], "... total", len(tells["weekday_zero_cells"]))
print("\n==== ms / digits ====")
print(pd.DataFrame(msres).round(4).to_string())
print(pd.DataFrame(digres).drop(columns="last_digit_share").round(4).to_string())
print("value hist overlap:", json.dumps(jl(ov), indent=0))
R["tells"] = tells
with open(OUT, "w") as f:
    json.dump(jl(R), f, indent=1)
print("\n==== P(relevant | transfer) ====", json.dumps(jl(R["p_relevant_given_transfer"]), indent=0))
print("\n==== pair attributes ====")
print(pd.DataFrame(R["pair_attributes"]).T.round(4).to_string())
print("random pair same age band:", R["random_pair_same_age_band"], "regions:", R["region_distinct_values"])
print("partners per person:", R["partners_per_person_hist"])
print("co-membership share by group kind:\n", pd.DataFrame(cgt).T.round(4).to_string())
print("relation x target age band:\n", pd.DataFrame(R["relation_by_target_age_band"]).T.to_string())
print("relation-age-band hard zeros:", tells["relation_age_band_zero"])
print("reply latency detail:\n", pd.DataFrame(R["reply_latency_detail"]).T.to_string())
print("one-way sender rule:", R["one_way_sender_rule"])
print("trend w8-11/w1-4:", jl(R["trend_weeks8_11_over_weeks1_4"]))
print("call floor:", jl(R["call_duration_floor"]), R["call_duration_count_5s_6s_7s"])
print("service ties by account type:", R["service_ties_by_account_type"], "spammer relations:", R["relations_of_spammers"])
print("\n==== classifier ====")
print({k: clf[k] for k in ["accuracy", "balanced_accuracy", "majority_class_rate"]})
print(pd.DataFrame(cm, index=RELS, columns=RELS).to_string())
print("recall", jl(clf["recall_per_relation"]))
print("auc", jl(clf["one_vs_rest_auc"]))
print("top features", clf["top_features_gain_share"])
print("best single feature AUC", jl(clf["best_single_feature_auc_per_relation"]))
print("purest rules", jl(clf["purest_upper_tail_rules"][:6]))
print("partner transfer rule", jl(clf["transfer_count_rule_partner"]))
print("\n==== P@5 ====", json.dumps(jl(R["p_at_5"]), indent=0))
print("\n==== structure ====", json.dumps(jl(R["structure"]), indent=0))
print("\n==== leaks ====", json.dumps(jl(leak), indent=0))
print(f"\nruntime {time.time() - T0:.1f}s; JSON -> {OUT}")
