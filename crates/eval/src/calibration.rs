//! `calibration.json`: one [`Calibrator`] per band of ranks, saved with what it calibrates,
//! so that `tierank select` can turn one heuristic's scores into probabilities of closeness
//! (for `--policy probability:P`, and for the expected collateral exposure of every policy).
//!
//! Why by rank: a score means different things for different targets (a busy person's 10th
//! friend may out-score a quiet person's 1st), so one map fitted over all friends is an
//! average dominated by the many low-ranked friends, and it is biased exactly where
//! selection picks, at the top of each ranking. On the demo's 100 targets with `volume`, the
//! single map predicted 119.0 strangers for `top-k:5` where 74 were. Fitted separately on the
//! friends at each rank band, each map is calibrated on the kind of friend selection takes.

use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use tierank_graph::{Graph, NodeId};
use tierank_heuristics::{Heuristic, HeuristicConfig, Scratch, for_each_pair_weight};

use crate::EvalError;
use crate::learned::Calibrator;
use crate::metrics::rank_positions;
use crate::sample::DegreeBucket;
use crate::truth::TruthIndex;

/// Version of the calibration file layout. Format 1 held one map over all friends, biased
/// at the top of each ranking; it is refused with a message to run `tierank compare` again.
pub const CALIBRATION_FORMAT: u32 = 2;

/// First rank of each band: each of the top five alone (where `top-k` and the `probability`
/// policy decide), then 6–10, 11–15, 16–25, 26–50 and 51 onwards.
pub const RANK_BANDS: [u32; 10] = [1, 2, 3, 4, 5, 6, 11, 16, 26, 51];

/// First rank of each band of a degree bucket's own maps (the cells), for the heuristic's
/// ranking and the `coverage` policy's walk alike: 1–5, 6–15, 16–50, 51+. Wider than
/// [`RANK_BANDS`] so that each degree bucket gets its own map of the top five: a band of one
/// rank has one example per target, too few per bucket, and the maps over all degrees hide
/// errors that cancel only in compare's degree mix (held-out `top-k:5` on `tiny` predicted
/// 116.3 strangers for targets of 10–49 friends where 19 were, and 406.7 for targets of 100+
/// where 625 were, 867.6 for 900 in total).
pub const CELL_BANDS: [u32; 4] = [1, 6, 16, 51];

/// Cells of each degree bucket inside its first cell of [`CELL_BANDS`] (ranks 1–5): rank 1
/// alone, and ranks 2–5. Each is fitted where the bucket has [`MIN_CELL_EXAMPLES`] examples
/// in it, and a friend reads the narrowest fitted cell of its bucket holding its rank. The
/// cell of ranks 1–5 maps a score to the closeness of the friends at all five ranks, but a
/// first friend is more often close than a fifth friend with the same score (its rank says
/// that nobody else in the target's life outscores it). Read for `top-k:1`, that cell
/// over-predicted strangers: on `tiny` (seed 3), 284.8 [250.6, 319.0] among 800 held-out
/// targets where 239 were (269.5 where 231 among the 540 of 100+ friends), and on average by
/// 1.43 standard errors over 12 calibration samples (0.32 with these cells). A bucket with too
/// few examples keeps its cell of 1–5 rather than the map of rank 1 over all degrees, which the
/// busiest targets dominate: that map predicted 26.8 strangers among 85 targets of 10–49
/// friends where 2 were. The `coverage` maps have none: over the same 12 samples its errors
/// were the same with them (`coverage:20` under-predicted by 1.84 standard errors on average,
/// 1.88 without).
pub const TOP_CELLS: [(u32, u32); 2] = [(1, 1), (2, 5)];

/// First position of each band of the `coverage` policy's walk over all degrees: 1–5, 6–15,
/// 16–50, 51+ (its cells per degree bucket are on [`CELL_BANDS`], the same bands). The
/// probability of the friends the walk picks depends strongly on the degree (on `tiny`, over
/// all degrees the maps predicted 964 strangers among 3,133 notices to targets of 100+ friends
/// where 1,322 were, and 58 among 292 to targets of 10–49 where 9 were), while the share of
/// weight left, unlike a score, says nothing about how busy the target is.
pub const COVERAGE_BANDS: [u32; 4] = [1, 6, 16, 51];

/// Examples every block of a map holds at least (smaller isotonic blocks are merged with a
/// neighbour). Isotonic regression puts a block of one or two examples at the extremes,
/// with probability 0 or 1; a policy that selects on the probability then picks exactly the
/// blocks whose estimate is luckiest, and the exposure it predicts is too low.
pub const MIN_BLOCK_EXAMPLES: u64 = 50;

/// Examples a (degree bucket, band of [`CELL_BANDS`]) cell needs to get its own map; smaller
/// cells use the map over all degrees of the band of [`RANK_BANDS`]. One block's worth
/// ([`MIN_BLOCK_EXAMPLES`]): a single-block map of the bucket is unbiased for it, where the
/// map over all degrees is not.
pub const MIN_CELL_EXAMPLES: usize = MIN_BLOCK_EXAMPLES as usize;

/// The calibration of the friends whose rank is in one band, in one degree bucket or over
/// all degrees.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RankBand {
    /// Smallest degree of the degree bucket (1, 10, 50, 100, 200: the buckets of the
    /// report) whose targets' friends the map was fitted on; `None` for the map over all
    /// degrees, used where a bucket's cell had fewer than [`MIN_CELL_EXAMPLES`] examples.
    /// Conditioning on degree matters because `tierank compare` samples targets by degree
    /// bucket while a selection's targets follow another mix.
    pub min_degree: Option<u32>,
    /// First rank of the band (1 = the target's highest-scored friend); the band ends at
    /// [`RankBand::last_rank`], or where the next of [`RANK_BANDS`] begins
    /// ([`COVERAGE_BANDS`] for the coverage maps).
    pub first_rank: u32,
    /// Last rank of a degree bucket's cell ([`CELL_BANDS`], wider than [`RANK_BANDS`], or
    /// [`TOP_CELLS`]);
    /// `None` for the maps over all degrees, for the last cell (open-ended), and in files
    /// written before the cells were widened, whose cells end as their band of
    /// [`RANK_BANDS`] (or [`COVERAGE_BANDS`]) does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_rank: Option<u32>,
    /// Isotonic map from score to probability, fitted on the friends at these ranks.
    pub calibration: Calibrator,
    /// Per block of [`RankBand::calibration`], how much larger the variance of its
    /// probability is than if its examples were independent (at least 1): the friends of one
    /// target are alike (some targets' friends are mostly close, others' mostly not), so a
    /// block holding many friends of few targets knows less than its count of examples
    /// says. From the spread of the block's closeness between targets (the cluster-robust
    /// variance `Σ_t (y_t − p n_t)² / n² · G/(G − 1)` over `G` targets with `n_t` examples,
    /// `y_t` close, over `p (1 − p) / n`). Empty in files written before it existed (read
    /// as 1: the interval is narrower than it should be).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub design_effect: Vec<f64>,
}

impl RankBand {
    /// The block of [`RankBand::calibration`] that `score` reads and the standard error of
    /// its probability, widened by the block's [`RankBand::design_effect`].
    fn block(&self, score: f64) -> (usize, f64) {
        let (block, se) = self.calibration.block(score);
        let effect = self
            .design_effect
            .get(block)
            .copied()
            .unwrap_or(1.0)
            .max(1.0);
        (block, se * effect.sqrt())
    }
}

/// A calibration file: the score-to-probability map of one heuristic.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CalibrationFile {
    /// [`CALIBRATION_FORMAT`].
    pub format: u32,
    /// The heuristic whose scores it maps (`learned` for a learned model's log-odds).
    pub heuristic: String,
    /// "Close" meant planted layer `<= relevant_layer`.
    pub relevant_layer: i8,
    /// Targets whose friends were the fitting examples (disjoint from the evaluated targets
    /// when `tierank compare` trains a learned model): a count, `num_targets` in the file
    /// like in every table. Files written before output format 2 say `targets`, still read.
    #[serde(alias = "targets")]
    pub num_targets: usize,
    /// One map per band of ranks, by ascending `first_rank`, the first starting at rank 1.
    pub bands: Vec<RankBand>,
    /// The maps of the `coverage` policy's own order (see [`CalibrationFile::with_coverage`]):
    /// rank is the position in the walk by descending interaction weight, and the "score"
    /// is the share of the target's interaction weight not yet covered before the friend
    /// (1 for the first friend). Empty in files written before it existed; `select` then
    /// reads the heuristic's maps for `coverage`, which under-predicts its strangers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub coverage: Vec<RankBand>,
}

impl CalibrationFile {
    /// Fits the calibration of `heuristic` on `targets`: every friend of every target is an
    /// example of its rank band (rank by score descending, ties by ascending person id, as
    /// in the rankings), relevant when its planted layer is `<= relevant_layer`. Bands
    /// without examples (no target has that many friends) are left out: the last band
    /// present covers every rank below it.
    ///
    /// # Errors
    /// [`EvalError::Training`] when no target has a friend.
    pub fn fit(
        graph: &Graph,
        targets: &[NodeId],
        heuristic: &dyn Heuristic,
        truth: &TruthIndex,
        relevant_layer: i8,
    ) -> Result<Self, EvalError> {
        let per_target: Vec<Vec<(u32, u32, f64, bool)>> = targets
            .par_iter()
            .map_init(
                || (Scratch::new(), Vec::new()),
                |(scratch, out), &t| {
                    let mut order = Vec::new();
                    heuristic.score(graph, t, scratch, out);
                    let labels: Vec<bool> = truth
                        .layers_of(graph, t)
                        .map(|l| l <= relevant_layer)
                        .collect();
                    rank_positions(out, &mut order);
                    let bucket = bucket_min(graph.degree(t));
                    order
                        .iter()
                        .enumerate()
                        .map(|(r, &i)| {
                            let rank = u32::try_from(r + 1).unwrap_or(u32::MAX);
                            (rank, bucket, out[i as usize], labels[i as usize])
                        })
                        .collect()
                },
            )
            .collect();
        let bands = fit_bands(&RANK_BANDS, &TOP_CELLS, &per_target)?;
        Ok(Self {
            format: CALIBRATION_FORMAT,
            heuristic: heuristic.name().to_owned(),
            relevant_layer,
            num_targets: targets.len(),
            bands,
            coverage: Vec::new(),
        })
    }

    /// Adds the calibration of the `coverage` policy, fitted on `targets`.
    ///
    /// `coverage:P` does not follow the heuristic's ranking: it walks a target's friends by
    /// descending interaction weight ([`tierank_heuristics::pair_weight`] under `config`) and
    /// stops once P % of the weight is covered. So a friend is picked exactly when the share
    /// of weight covered before it is below P %, and that share (with the position in the
    /// walk and the degree, as for [`CalibrationFile::bands`]) is what the probability is
    /// read from. The heuristic's maps, read at the friends' heuristic ranks, miss that the
    /// walk reaches far down only for targets whose weight is spread thinly, where fewer of
    /// the picked are close: with them `coverage:50` predicted 812 strangers where 928 were.
    ///
    /// # Errors
    /// [`EvalError::Training`] when no target has a friend with interaction weight.
    pub fn with_coverage(
        mut self,
        graph: &Graph,
        targets: &[NodeId],
        config: &HeuristicConfig,
        truth: &TruthIndex,
    ) -> Result<Self, EvalError> {
        let relevant_layer = self.relevant_layer;
        let per_target: Vec<Vec<(u32, u32, f64, bool)>> = targets
            .par_iter()
            .map(|&t| {
                let labels: Vec<bool> = truth
                    .layers_of(graph, t)
                    .map(|l| l <= relevant_layer)
                    .collect();
                let mut weights: Vec<(f64, usize)> = Vec::with_capacity(labels.len());
                let first = graph.csr().slots(t).start;
                for_each_pair_weight(graph, config, t, |slot, _, w| {
                    weights.push((w, slot - first));
                });
                let bucket = bucket_min(graph.degree(t));
                coverage_walk(&mut weights)
                    .map(|(rank, uncovered, i)| (rank, bucket, uncovered, labels[i]))
                    .collect()
            })
            .collect();
        self.coverage = fit_bands(&COVERAGE_BANDS, &[], &per_target)?;
        Ok(self)
    }

    /// The band a friend at `rank` of a target with `degree` friends reads: its degree
    /// bucket's cell holding `rank` when fitted, else the band over all degrees (the last one
    /// starting at or above `rank`).
    fn band(&self, rank: u32, degree: u32) -> (usize, &RankBand) {
        band_in(&RANK_BANDS, &self.bands, rank, degree)
    }

    /// The calibrated probability for a score of [`CalibrationFile::heuristic`] at `rank`
    /// in the ranking of a target with `degree` friends.
    pub fn probability(&self, score: f64, rank: u32, degree: u32) -> f64 {
        self.band(rank, degree).1.calibration.probability(score)
    }

    /// The block [`CalibrationFile::probability`] reads (an id unique within the file) and
    /// its standard error `sqrt(p (1 − p) / n)`, `n` being the block's examples.
    pub fn block(&self, score: f64, rank: u32, degree: u32) -> (u64, f64) {
        let (band, b) = self.band(rank, degree);
        let (block, se) = b.block(score);
        (((band as u64) << 32) | block as u64, se)
    }

    /// The calibrated probability that a friend the `coverage` policy picks is close, and its
    /// block (id, standard error), for the friend at `rank` of the policy's walk with
    /// `uncovered` the share of weight not covered before it (see
    /// [`CalibrationFile::with_coverage`]); `None` when the file has no coverage maps.
    pub fn coverage_probability(
        &self,
        uncovered: f64,
        rank: u32,
        degree: u32,
    ) -> Option<(f64, (u64, f64))> {
        if self.coverage.is_empty() {
            return None;
        }
        let (band, b) = band_in(&COVERAGE_BANDS, &self.coverage, rank, degree);
        let (block, se) = b.block(uncovered);
        // Ids apart from those of the heuristic's maps.
        let id = (1u64 << 62) | ((band as u64) << 32) | block as u64;
        Some((b.calibration.probability(uncovered), (id, se)))
    }

    /// Writes the file atomically as pretty JSON.
    ///
    /// # Errors
    /// [`EvalError::Format`] on I/O failure.
    pub fn save(&self, path: &Path) -> Result<(), EvalError> {
        let mut text = serde_json::to_string_pretty(self).map_err(|e| EvalError::Calibration {
            path: path.to_owned(),
            reason: e.to_string(),
        })?;
        text.push('\n');
        tierank_format::atomic::write_file_atomically(path, |file| {
            use std::io::Write;
            file.write_all(text.as_bytes())
                .map_err(|e| tierank_format::FormatError::io(path, e))
        })?;
        Ok(())
    }

    /// Reads and checks a calibration file.
    ///
    /// # Errors
    /// [`EvalError::Io`] when unreadable; [`EvalError::Calibration`] (naming the file) for invalid
    /// JSON, an unknown format, or a map that is not monotone within `[0, 1]`.
    pub fn load(path: &Path) -> Result<Self, EvalError> {
        let text = std::fs::read_to_string(path).map_err(|source| EvalError::Io {
            path: path.to_owned(),
            source,
        })?;
        let bad = |reason: String| EvalError::Calibration {
            path: PathBuf::from(path),
            reason,
        };
        let file: Self = serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?;
        if file.format != CALIBRATION_FORMAT {
            return Err(bad(format!(
                "calibration format {} (this version reads {CALIBRATION_FORMAT}; format 1 held \
                 one map over all friends, biased at the top of each ranking: run `tierank \
                 compare` again to write a calibration by rank)",
                file.format
            )));
        }
        if file
            .bands
            .first()
            .is_none_or(|b| b.first_rank != 1 || b.min_degree.is_some())
        {
            return Err(bad(
                "calibration bands do not start with the map of rank 1 over all degrees".into(),
            ));
        }
        if file
            .coverage
            .first()
            .is_some_and(|b| b.first_rank != 1 || b.min_degree.is_some())
        {
            return Err(bad(
                "coverage bands do not start with the map of rank 1 over all degrees".into(),
            ));
        }
        for band in file.bands.iter().chain(&file.coverage) {
            let c = &band.calibration;
            let n = c.block_start.len();
            if n == 0 || c.probability.len() != n || c.examples.len() != n {
                return Err(bad(
                    "calibration blocks are empty or differ in length".into()
                ));
            }
            if c.block_start
                .windows(2)
                .any(|w| w[0].partial_cmp(&w[1]) != Some(std::cmp::Ordering::Less))
                || c.probability.windows(2).any(|w| {
                    w[0].partial_cmp(&w[1])
                        .is_none_or(|o| o == std::cmp::Ordering::Greater)
                })
                || c.probability.iter().any(|p| !(0.0..=1.0).contains(p))
            {
                return Err(bad(
                    "calibration is not increasing in score and non-decreasing in [0, 1]".into(),
                ));
            }
        }
        Ok(file)
    }
}

/// The map of `bands` for a friend at `rank` of a target with `degree` friends: see
/// [`CalibrationFile::band`]. `bands` is not empty and starts with rank 1 over all degrees;
/// `bounds` are the bands over all degrees, where a cell without
/// [`RankBand::last_rank`] ends.
fn band_in<'a>(
    bounds: &[u32],
    bands: &'a [RankBand],
    rank: u32,
    degree: u32,
) -> (usize, &'a RankBand) {
    let rank = rank.max(1);
    let bucket = bucket_min(degree as usize);
    // The narrowest of the bucket's cells holding `rank` ([`TOP_CELLS`] lie inside the cell
    // of ranks 1–5); the first of them on a tie.
    let i = bands
        .iter()
        .enumerate()
        .filter_map(|(i, b)| {
            let last = b
                .last_rank
                .unwrap_or_else(|| band_end(bounds, b.first_rank));
            (b.min_degree == Some(bucket) && b.first_rank <= rank && rank <= last)
                .then_some((last - b.first_rank, i))
        })
        .min()
        .map(|(_, i)| i)
        .or_else(|| {
            bands
                .iter()
                .rposition(|b| b.min_degree.is_none() && b.first_rank <= rank)
        })
        .unwrap_or(0);
    (i, &bands[i])
}

/// Last rank of the band of `bounds` starting at `first` (`u32::MAX` for the last band).
fn band_end(bounds: &[u32], first: u32) -> u32 {
    bounds
        .iter()
        .find(|&&f| f > first)
        .map_or(u32::MAX, |&f| f - 1)
}

/// Fits one map per band of `bounds` over all degrees, and one per (degree bucket, band of
/// [`CELL_BANDS`] or range of ranks of `top_cells`) cell with at least [`MIN_CELL_EXAMPLES`]
/// examples, from examples `(rank, bucket min, score, close)`. The maps are ordered by first
/// rank and, within one first rank, the band over all degrees, the cells of [`CELL_BANDS`],
/// then those of `top_cells`.
fn fit_bands(
    bounds: &[u32],
    top_cells: &[(u32, u32)],
    per_target: &[Vec<(u32, u32, f64, bool)>],
) -> Result<Vec<RankBand>, EvalError> {
    let examples: Vec<(usize, &Example)> = per_target
        .iter()
        .enumerate()
        .flat_map(|(t, friends)| friends.iter().map(move |e| (t, e)))
        .collect();
    let fit = |cell: &[(usize, &Example)]| -> Result<(Calibrator, Vec<f64>), EvalError> {
        let (scores, labels): (Vec<f64>, Vec<bool>) = cell.iter().map(|e| (e.1.2, e.1.3)).unzip();
        let c = merge_small_blocks(Calibrator::fit(&scores, &labels)?, MIN_BLOCK_EXAMPLES);
        let effect = design_effects(&c, cell);
        Ok((c, effect))
    };
    let mut bands = Vec::new();
    for (b, &first_rank) in bounds.iter().enumerate() {
        let cell: Vec<_> = examples
            .iter()
            .filter(|e| band_of(bounds, e.1.0) == b)
            .copied()
            .collect();
        if cell.is_empty() {
            continue;
        }
        let (calibration, design_effect) = fit(&cell)?;
        bands.push(RankBand {
            min_degree: None,
            first_rank,
            last_rank: None,
            calibration,
            design_effect,
        });
    }
    let cells = CELL_BANDS
        .iter()
        .enumerate()
        .map(|(c, &first)| (first, CELL_BANDS.get(c + 1).map(|&f| f - 1)))
        .chain(top_cells.iter().map(|&(f, l)| (f, Some(l))));
    for (first_rank, last_rank) in cells {
        for &bucket in &BUCKET_MINS {
            let cell: Vec<_> = examples
                .iter()
                .filter(|e| {
                    e.1.1 == bucket
                        && first_rank <= e.1.0
                        && last_rank.is_none_or(|last| e.1.0 <= last)
                })
                .copied()
                .collect();
            if cell.len() < MIN_CELL_EXAMPLES.max(1) {
                continue;
            }
            let (calibration, design_effect) = fit(&cell)?;
            bands.push(RankBand {
                min_degree: Some(bucket),
                first_rank,
                last_rank,
                calibration,
                design_effect,
            });
        }
    }
    // Stable: the band over all degrees stays first among those of its first rank.
    bands.sort_by_key(|b| b.first_rank);
    if bands
        .first()
        .is_none_or(|b| b.first_rank != 1 || b.min_degree.is_some())
    {
        return Err(EvalError::Training {
            reason: "no target has a friend to calibrate on".into(),
        });
    }
    Ok(bands)
}

/// [`RankBand::design_effect`] of each block of `c`, fitted on `cell` (target index,
/// example).
fn design_effects(c: &Calibrator, cell: &[(usize, &Example)]) -> Vec<f64> {
    // Per block: (target -> (examples, close)).
    let mut per_block: Vec<std::collections::BTreeMap<usize, (f64, f64)>> =
        vec![std::collections::BTreeMap::new(); c.examples.len()];
    for &(t, e) in cell {
        if !e.2.is_finite() {
            continue;
        }
        let entry = per_block[c.block(e.2).0].entry(t).or_default();
        entry.0 += 1.0;
        entry.1 += if e.3 { 1.0 } else { 0.0 };
    }
    per_block
        .iter()
        .enumerate()
        .map(|(i, targets)| {
            let p = c.probability[i];
            let n: f64 = targets.values().map(|v| v.0).sum();
            let g = targets.len() as f64;
            let independent = p * (1.0 - p) / n;
            if g < 2.0 || independent.is_nan() || independent <= 0.0 {
                return 1.0;
            }
            let clustered = targets
                .values()
                .map(|&(n_t, y_t)| (y_t - p * n_t).powi(2))
                .sum::<f64>()
                / (n * n)
                * (g / (g - 1.0));
            (clustered / independent).max(1.0)
        })
        .collect()
}

/// The `coverage` policy's walk over one target's friends, given as (interaction weight,
/// index): those with positive weight by descending weight, ties by index (person-id order),
/// each with its 1-based rank in the walk and the share of the total weight not covered by
/// the friends before it. `tierank_select` walks the same way and picks a friend exactly
/// when that share is above `1 − P/100`. Sorts `weights` in place.
fn coverage_walk(weights: &mut Vec<(f64, usize)>) -> impl Iterator<Item = (u32, f64, usize)> + '_ {
    weights.retain(|&(w, _)| w > 0.0);
    weights.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    let total: f64 = weights.iter().map(|&(w, _)| w).sum();
    let mut covered = 0.0;
    weights.iter().enumerate().map(move |(r, &(w, i))| {
        let uncovered = if total > 0.0 {
            1.0 - covered / total
        } else {
            0.0
        };
        covered += w;
        (u32::try_from(r + 1).unwrap_or(u32::MAX), uncovered, i)
    })
}

/// Merges every block with fewer than `min` examples into a neighbour (the one below, the
/// one above for the first block) until none is left or one block remains. A merged block's
/// probability is the examples-weighted mean of the two, which lies between them, so the map
/// stays monotone and each block stays exactly calibrated on its examples.
fn merge_small_blocks(mut c: Calibrator, min: u64) -> Calibrator {
    while c.examples.len() > 1 {
        let Some(i) = c.examples.iter().position(|&n| n < min) else {
            break;
        };
        let (lo, hi) = if i == 0 { (0, 1) } else { (i - 1, i) };
        let (n_lo, n_hi) = (c.examples[lo] as f64, c.examples[hi] as f64);
        c.probability[lo] = (c.probability[lo] * n_lo + c.probability[hi] * n_hi) / (n_lo + n_hi);
        c.examples[lo] += c.examples[hi];
        c.probability.remove(hi);
        c.examples.remove(hi);
        c.block_start.remove(hi);
    }
    c
}

/// A fitting example: (rank, smallest degree of the target's bucket, score, close).
type Example = (u32, u32, f64, bool);

/// Smallest degree of each degree bucket.
const BUCKET_MINS: [u32; 5] = [1, 10, 50, 100, 200];

/// Smallest degree of the bucket of `degree` (0 counts as 1).
fn bucket_min(degree: usize) -> u32 {
    match DegreeBucket::of(degree.max(1)) {
        Some(DegreeBucket::D1To9) | None => 1,
        Some(DegreeBucket::D10To49) => 10,
        Some(DegreeBucket::D50To99) => 50,
        Some(DegreeBucket::D100To199) => 100,
        Some(DegreeBucket::D200Plus) => 200,
    }
}

/// Index in `bounds` (first ranks of the bands, ascending from 1) of the band holding `rank`
/// (`rank >= 1`).
fn band_of(bounds: &[u32], rank: u32) -> usize {
    bounds.partition_point(|&f| f <= rank).saturating_sub(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The file of `volume`'s maps fitted on `per_target` as `CalibrationFile::fit` fits them.
    fn fitted(per_target: &[Vec<Example>]) -> CalibrationFile {
        CalibrationFile {
            format: CALIBRATION_FORMAT,
            heuristic: "volume".into(),
            relevant_layer: 3,
            num_targets: per_target.len(),
            bands: fit_bands(&RANK_BANDS, &TOP_CELLS, per_target).unwrap(),
            coverage: Vec::new(),
        }
    }

    #[test]
    fn small_blocks_are_merged_keeping_the_map_monotone_and_calibrated() {
        // Isotonic blocks: [0] (1 example, p 0), [1, 2] (p 0.5), [3] (1 example, p 1).
        let c = Calibrator::fit(&[0.0, 1.0, 2.0, 3.0], &[false, true, false, true]).unwrap();
        assert_eq!(c.examples.len(), 3, "{c:?}");
        let merged = merge_small_blocks(c, 2);
        assert!(merged.examples.iter().all(|&n| n >= 2), "{merged:?}");
        assert!(merged.probability.windows(2).all(|w| w[0] <= w[1]));
        // Still the mean of its examples: 2 close of 4.
        let total: f64 = merged
            .probability
            .iter()
            .zip(&merged.examples)
            .map(|(p, &n)| p * n as f64)
            .sum();
        assert!((total - 2.0).abs() < 1e-12, "{merged:?}");
        // One block left when there are too few examples for two.
        let c = Calibrator::fit(&[0.0, 1.0], &[false, true]).unwrap();
        assert_eq!(merge_small_blocks(c, 50).examples, vec![2]);
    }

    #[test]
    fn each_degree_bucket_gets_its_own_map_of_the_top_five() {
        // 20 targets of 10–49 friends whose top five are all close, 20 of 100–199 whose top
        // five are all strangers, at the same scores: over all degrees a rank's map says 0.5.
        let mut per_target = Vec::new();
        for (bucket, close) in [(10, true), (100, false)] {
            for _ in 0..20 {
                let friends: Vec<(u32, u32, f64, bool)> = (1..=5)
                    .map(|r| (r, bucket, 10.0 - r as f64, close))
                    .collect();
                per_target.push(friends);
            }
        }
        let file = fitted(&per_target);
        // One map per rank over all degrees, and per bucket a cell of ranks 1–5 (100
        // examples) and one of ranks 2–5 (80); rank 1 alone has 20, too few for its own.
        assert_eq!(
            file.bands.iter().filter(|b| b.min_degree.is_none()).count(),
            5
        );
        let cells: Vec<_> = file
            .bands
            .iter()
            .filter(|b| b.min_degree.is_some())
            .map(|b| (b.min_degree, b.first_rank, b.last_rank))
            .collect();
        assert_eq!(
            cells,
            [
                (Some(10), 1, Some(5)),
                (Some(100), 1, Some(5)),
                (Some(10), 2, Some(5)),
                (Some(100), 2, Some(5)),
            ]
        );
        for rank in 1..=5 {
            let score = 10.0 - f64::from(rank);
            assert_eq!(file.probability(score, rank, 20), 1.0);
            assert_eq!(file.probability(score, rank, 150), 0.0);
            assert_eq!(file.probability(score, rank, 5), 0.5);
        }
        // Past the cell's last rank, the map over all degrees.
        assert_eq!(file.probability(5.0, 6, 20), 0.5);
    }

    #[test]
    fn a_first_friend_reads_a_cell_of_its_own_where_its_bucket_has_one() {
        // 60 targets of 100–199 friends and 20 of 10–49, all five top friends at one score.
        // The first friend is always close, the others in one target of four: the cell of
        // ranks 1–5 says 0.4 for every rank, 0.6 too low for the first friend.
        let mut per_target = Vec::new();
        for (bucket, targets) in [(100, 60), (10, 20)] {
            for t in 0..targets {
                let friends: Vec<Example> = (1..=5)
                    .map(|r| (r, bucket, 1.0, r == 1 || (t + r as usize).is_multiple_of(4)))
                    .collect();
                per_target.push(friends);
            }
        }
        let file = fitted(&per_target);
        // 60 first friends: a cell of their own, and one of ranks 2–5 beside it.
        assert_eq!(file.probability(1.0, 1, 150), 1.0);
        for rank in 2..=5 {
            assert_eq!(file.probability(1.0, rank, 150), 0.25);
        }
        // 20 first friends are too few: they read their bucket's cell of ranks 1–5 (0.4),
        // not rank 1's map over all degrees (1.0).
        assert!((file.probability(1.0, 1, 20) - 0.4).abs() < 1e-12);
        assert_eq!(file.probability(1.0, 3, 20), 0.25);
        // The block ids differ between the cells, so their errors are counted apart.
        assert_ne!(file.block(1.0, 1, 150).0, file.block(1.0, 2, 150).0);
    }

    #[test]
    fn friends_of_the_same_target_count_as_one_target_in_the_error() {
        // 20 targets of 10–49 friends, ranks 1–5 at one score: half the targets have all five
        // close, half none. The cell of ranks 1–5 has 100 examples but only 20 independent
        // targets: its variance is 5 × 20/19 times the binomial one. Each rank's map over all
        // degrees has one friend per target: no clustering (20/19).
        let per_target: Vec<Vec<Example>> = (0..20)
            .map(|t| (1..=5).map(|r| (r, 10, 1.0, t % 2 == 0)).collect())
            .collect();
        let bands = fit_bands(&RANK_BANDS, &TOP_CELLS, &per_target).unwrap();
        let cell = bands.iter().find(|b| b.min_degree == Some(10)).unwrap();
        assert_eq!(cell.design_effect.len(), 1);
        assert!(
            (cell.design_effect[0] - 100.0 / 19.0).abs() < 1e-9,
            "{cell:?}"
        );
        let rank1 = &bands[0];
        assert!(
            (rank1.design_effect[0] - 20.0 / 19.0).abs() < 1e-9,
            "{rank1:?}"
        );
        let (_, se) = cell.block(1.0);
        let (_, independent) = cell.calibration.block(1.0);
        assert!((se / independent - (100.0_f64 / 19.0).sqrt()).abs() < 1e-9);
    }

    #[test]
    fn round_trips_and_rejects_non_monotone_maps_and_format_1() {
        let calibration =
            Calibrator::fit(&[0.0, 1.0, 2.0, 3.0], &[false, false, true, true]).unwrap();
        let top = Calibrator::fit(&[0.0, 1.0], &[true, true]).unwrap();
        let file = CalibrationFile {
            format: CALIBRATION_FORMAT,
            heuristic: "volume".into(),
            relevant_layer: 3,
            num_targets: 1,
            bands: vec![
                RankBand {
                    min_degree: None,
                    last_rank: None,
                    first_rank: 1,
                    calibration: top.clone(),
                    design_effect: Vec::new(),
                },
                RankBand {
                    min_degree: None,
                    last_rank: None,
                    first_rank: 6,
                    calibration: calibration.clone(),
                    design_effect: Vec::new(),
                },
                RankBand {
                    min_degree: Some(10),
                    last_rank: None,
                    first_rank: 1,
                    calibration,
                    design_effect: Vec::new(),
                },
            ],
            coverage: Vec::new(),
        };
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("calibration.json");
        file.save(&path).unwrap();
        let back = CalibrationFile::load(&path).unwrap();
        assert_eq!(back, file);
        // The count is `num_targets` in the file, as in every table; a file written before
        // output format 2 (`targets`) still reads.
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("\"num_targets\"") && !text.contains("\"targets\""));
        std::fs::write(&path, text.replace("\"num_targets\"", "\"targets\"")).unwrap();
        assert_eq!(CalibrationFile::load(&path).unwrap(), file);
        file.save(&path).unwrap();
        // Rank 5 reads the first band, rank 6 and beyond the second; the 10-49 bucket has
        // its own map at rank 1 only.
        assert_eq!(back.probability(0.0, 5, 3), 1.0);
        assert_eq!(back.probability(3.0, 6, 3), 1.0);
        assert_eq!(back.probability(-1.0, 600, 700), 0.0);
        assert_eq!(back.probability(0.0, 1, 3), 1.0);
        assert_eq!(back.probability(0.0, 1, 12), 0.0);
        assert_eq!(back.probability(0.0, 2, 12), 1.0);
        // A cell with a last rank (files since the cells were widened) holds ranks up to it.
        let mut wide = file.clone();
        wide.bands[2].last_rank = Some(5);
        wide.save(&path).unwrap();
        let wide = CalibrationFile::load(&path).unwrap();
        assert_eq!(wide.probability(0.0, 5, 12), 0.0);
        assert_eq!(wide.probability(0.0, 6, 12), 0.0);
        assert_eq!(wide.probability(3.0, 6, 12), 1.0);
        file.save(&path).unwrap();
        // A block of two all-close examples still has an error (Agresti–Coull).
        let se = back.block(3.0, 6, 3).1;
        assert!(se > 0.2 && se < 0.25, "{se}");
        assert_ne!(back.block(0.0, 1, 12).0, back.block(0.0, 1, 3).0);

        let mut broken = file.clone();
        broken.bands[1].calibration.probability.reverse();
        std::fs::write(&path, serde_json::to_string(&broken).unwrap()).unwrap();
        let err = CalibrationFile::load(&path).unwrap_err();
        assert!(matches!(err, EvalError::Calibration { .. }), "{err:?}");
        // Named as what it is: a calibration file, not a learned model.
        assert!(
            err.to_string().contains("invalid calibration file"),
            "{err}"
        );
        std::fs::write(&path, "{\"format\": 1}").unwrap();
        let err = CalibrationFile::load(&path).unwrap_err();
        assert!(!err.to_string().contains("model"), "{err}");
        // A format-1 file (one map over all friends) is refused with what to do.
        let old = serde_json::json!({"format": 1, "heuristic": "volume", "relevant_layer": 3,
            "targets": 1, "bands": []});
        std::fs::write(&path, old.to_string()).unwrap();
        let err = CalibrationFile::load(&path).unwrap_err().to_string();
        assert!(
            err.contains("format 1") && err.contains("tierank compare"),
            "{err}"
        );
    }
}
