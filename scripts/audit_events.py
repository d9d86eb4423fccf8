#!/usr/bin/env python3
"""Independent audit of a generated dataset's events: relation tells and dynamics.

Reads the Parquet files with polars only (no tierank code), so it can catch what tierank's
own statistics would miss. Usage:

    python scripts/audit_events.py DATASET_DIR [--json OUT.json]

Needs polars (tests/python/requirements.txt pins it). Prints one line per measure:

Tells (issue 10, point 1): share of weak/service ties with any transfer, P(layer <= 3 | any
transfer) against its base rate, colleague traffic at night (01:00-04:59) and at weekends
against everyone else's, mean call duration and transfer amount by relation.

Dynamics (issue 10, point 3): replies within an hour by layer (Kovanen et al. 2011), one-way
messaging pairs, person-level burstiness of calls (Goh & Barabasi 2008, Karsai et al. 2012),
day-to-day variation and the New Year ratio (Aledavood et al. 2015), spread of personal peak
hours, call social signatures (Saramaki et al. 2014), ties that form or fade inside the window.
"""

import argparse
import json
import math
import sys
from pathlib import Path

import warnings

import polars as pl

# join_asof cannot check sortedness within groups; the frames are sorted by time.
warnings.filterwarnings("ignore", message="Sortedness of columns cannot be checked")

WEAK = ["colleague", "classmate", "acquaintance", "service"]
HOUR_MS = 3_600_000
DAY_MS = 86_400_000


def burstiness(col: str) -> pl.Expr:
    """B = (sigma - mu) / (sigma + mu) of a list of gaps (population sigma)."""
    mu = pl.col(col).list.mean()
    sd = pl.col(col).list.std(ddof=0)
    return (sd - mu) / (sd + mu)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("dataset")
    ap.add_argument("--json", help="also write the measures to this file")
    args = ap.parse_args()
    root = Path(args.dataset)
    out: dict[str, float] = {}

    def report(name: str, value: float, note: str = "") -> None:
        out[name] = value
        print(f"{name:<44} {value:>10.4f}  {note}")

    ev = pl.scan_parquet(str(root / "events" / "*.parquet")).select(
        "src",
        "dst",
        pl.col("channel").cast(pl.Utf8),
        pl.col("ts").cast(pl.Int64).alias("ms"),
        "value",
        "group_id",
    )
    truth = pl.read_parquet(root / "truth_closeness.parquet").with_columns(
        pl.col("relation").cast(pl.Utf8)
    )
    direct = ev.filter(pl.col("group_id").is_null()).collect()
    # The window starts at a UTC midnight.
    t0 = direct["ms"].min() // DAY_MS * DAY_MS
    direct = direct.with_columns(
        ((pl.col("ms") - t0) // DAY_MS).alias("day"),
        ((pl.col("ms") % DAY_MS) // HOUR_MS).alias("hour"),
        # 1970-01-01 was a Thursday: weekday 0 = Monday.
        (((pl.col("ms") // DAY_MS) + 3) % 7).alias("weekday"),
    )
    rel = truth.select(
        pl.col("target").alias("src"), pl.col("alter").alias("dst"), "layer", "relation"
    )
    d = direct.join(rel, on=["src", "dst"], how="left")

    # --- Tells -----------------------------------------------------------------------
    tr = direct.filter(pl.col("channel") == "transfer")
    pairs = tr.select(
        pl.min_horizontal("src", "dst").alias("a"), pl.max_horizontal("src", "dst").alias("b")
    ).unique()
    t = truth.with_columns(
        pl.min_horizontal("target", "alter").alias("a"), pl.max_horizontal("target", "alter").alias("b")
    ).join(pairs.with_columns(pl.lit(True).alias("paid")), on=["a", "b"], how="left")
    t = t.with_columns(pl.col("paid").fill_null(False))
    weak = t.filter(pl.col("relation").is_in(WEAK))
    report("weak_ties_with_transfer", weak["paid"].sum(), f"of {weak.height} weak/service entries")
    report("weak_share_with_transfer", weak["paid"].mean())
    paid = t.filter(pl.col("paid"))
    report("p_layer_le3_given_transfer", (paid["layer"] <= 3).mean() if paid.height else float("nan"))
    report("p_layer_le3_base", (t["layer"] <= 3).mean())
    by_rel = (
        t.group_by("relation").agg(pl.col("paid").mean().alias("share")).sort("relation")
    )
    for r in by_rel.iter_rows(named=True):
        report(f"transfer_share[{r['relation']}]", r["share"])

    coll = d.filter(pl.col("relation") == "colleague")
    other = d.filter(pl.col("relation").is_not_null() & (pl.col("relation") != "colleague"))
    for name, x in [("colleague", coll), ("other", other)]:
        night = x["hour"].is_between(1, 4).mean()
        weekend = (x["weekday"] >= 5).mean()
        report(f"night_share_01_05[{name}]", night)
        report(f"weekend_share[{name}]", weekend)
    for ch, label in [("call", "call_seconds"), ("transfer", "transfer_amount")]:
        stats = (
            d.filter((pl.col("channel") == ch) & pl.col("relation").is_not_null())
            .group_by("relation")
            .agg(
                pl.col("value").mean().alias("mean"),
                pl.col("value").quantile(0.25).alias("q25"),
                pl.col("value").quantile(0.75).alias("q75"),
                pl.len().alias("n"),
            )
            .sort("relation")
        )
        for r in stats.iter_rows(named=True):
            report(
                f"{label}_mean[{r['relation']}]",
                r["mean"],
                f"q25 {r['q25']:.1f} q75 {r['q75']:.1f} n {r['n']}",
            )

    # --- Dynamics --------------------------------------------------------------------
    msg = d.filter(pl.col("channel") == "message").select("src", "dst", "ms", "layer").sort("ms")
    rev = msg.select(
        pl.col("dst").alias("src"), pl.col("src").alias("dst"), pl.col("ms").alias("reply_ms")
    ).sort("reply_ms")
    joined = msg.join_asof(
        rev, left_on="ms", right_on="reply_ms", by=["src", "dst"], strategy="forward"
    ).with_columns(
        ((pl.col("reply_ms") - pl.col("ms")) <= HOUR_MS).fill_null(False).alias("answered")
    )
    for layer in [1, 2, 3, 4, 5, 6]:
        x = joined.filter(pl.col("layer") == layer)
        if x.height:
            report(f"reply_within_1h[layer {layer}]", x["answered"].mean(), f"n {x.height}")
    # By chance: the same with the reply stream shifted by one week.
    shifted = rev.with_columns(pl.col("reply_ms") + 7 * DAY_MS).sort("reply_ms")
    chance = msg.filter(pl.col("layer") == 1).join_asof(
        shifted, left_on="ms", right_on="reply_ms", by=["src", "dst"], strategy="forward"
    )
    report(
        "reply_within_1h_shifted_week[layer 1]",
        ((chance["reply_ms"] - chance["ms"]) <= HOUR_MS).fill_null(False).mean(),
        "baseline: the other side's messages moved by 7 days",
    )
    dirs = msg.select("src", "dst").unique()
    und = dirs.select(
        pl.min_horizontal("src", "dst").alias("a"), pl.max_horizontal("src", "dst").alias("b")
    ).group_by(["a", "b"]).len()
    report("one_way_message_pairs", (und["len"] == 1).mean(), f"of {und.height} pairs")

    calls = direct.filter(pl.col("channel") == "call").select("src", "dst", "ms").sort("ms")
    per = (
        calls.group_by("src")
        .agg(pl.col("ms").diff().drop_nulls().alias("gaps"))
        .filter(pl.col("gaps").list.len() >= 10)
        .with_columns(burstiness("gaps").alias("B"))
    )
    report("person_call_burstiness_mean", per["B"].mean(), f"{per.height} people, >= 11 calls")
    per_tie = (
        direct.sort("ms")
        .group_by(["src", "dst"])
        .agg(pl.col("ms").diff().drop_nulls().alias("gaps"))
        .filter(pl.col("gaps").list.len() >= 4)
        .with_columns(burstiness("gaps").alias("B"))
    )
    report("tie_burstiness_mean", per_tie["B"].mean(), f"{per_tie.height} directed ties, >= 5 events")

    allev = ev.with_columns(((pl.col("ms") - t0) // DAY_MS).alias("day"), (pl.col("ms") // DAY_MS).alias("abs_day"))
    daily = allev.group_by(["day", "abs_day"]).len().sort("day").collect()
    daily = daily.filter(pl.col("day") >= 0)
    report("daily_volume_cv", daily["len"].std() / daily["len"].mean(), f"{daily.height} days")
    # Day of year 1 (New Year): days since epoch whose date is January 1.
    dates = daily.with_columns(pl.from_epoch(pl.col("abs_day") * 86400, time_unit="s").alias("date"))
    ny = dates.filter((pl.col("date").dt.month() == 1) & (pl.col("date").dt.day() == 1))
    if ny.height:
        report("new_year_over_median_day", ny["len"][0] / daily["len"].median())

    hours = (
        direct.group_by("src")
        .agg(
            pl.len().alias("n"),
            (pl.col("hour").cast(pl.Float64) * 2 * math.pi / 24).sin().mean().alias("s"),
            (pl.col("hour").cast(pl.Float64) * 2 * math.pi / 24).cos().mean().alias("c"),
        )
        .filter(pl.col("n") >= 50)
        .with_columns((pl.arctan2("s", "c") * 24 / (2 * math.pi)).alias("mean_hour"))
    )
    report("personal_mean_hour_sd", hours["mean_hour"].std(), "hours, people with >= 50 events")
    # Personal rhythms persist: a person's share of late events (20:00-05:59) on even days
    # against odd days, correlated across people (0 when everyone shares one curve).
    late = (
        direct.with_columns(((pl.col("hour") >= 20) | (pl.col("hour") < 6)).alias("late"))
        .group_by("src", (pl.col("day") % 2).alias("half"))
        .agg(pl.col("late").mean().alias("share"), pl.len().alias("n"))
        .filter(pl.col("n") >= 30)
        .pivot(on="half", index="src", values="share")
        .drop_nulls()
    )
    report("late_share_split_half_corr", late.select(pl.corr("0", "1")).item(), f"{late.height} people")

    sig = (
        calls.group_by(["src", "dst"])
        .len()
        .sort(["src", "len"], descending=[False, True])
        .group_by("src", maintain_order=True)
        .agg(pl.col("len").alias("counts"))
        .with_columns(pl.col("counts").list.sum().alias("total"), pl.col("counts").list.len().alias("k"))
        .filter((pl.col("total") >= 20) & (pl.col("k") >= 5))
        .with_columns(
            (pl.col("counts").list.first() / pl.col("total")).alias("top1"),
            (pl.col("counts").list.head(5).list.sum() / pl.col("total")).alias("top5"),
        )
    )
    report("call_signature_top1", sig["top1"].mean(), f"{sig.height} people, >= 20 calls to >= 5 people")
    report("call_signature_top5", sig["top5"].mean())

    days = int(daily["day"].max()) + 1
    span = (
        direct.group_by(
            pl.min_horizontal("src", "dst").alias("a"), pl.max_horizontal("src", "dst").alias("b")
        )
        .agg(pl.len().alias("n"), pl.col("day").min().alias("first"), pl.col("day").max().alias("last"))
        .filter(pl.col("n") >= 10)
    )
    report("pairs_first_event_after_first_third", (span["first"] >= days / 3).mean(), f"{span.height} pairs >= 10 events")
    report("pairs_last_event_before_last_third", (span["last"] < 2 * days / 3).mean())

    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
