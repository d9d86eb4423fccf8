//! Column names and Arrow schemas of every file tierank reads or writes.
//!
//! Conventions, chosen so pandas, polars, DuckDB and Spark read every file without casts:
//! person and group ids are `Int64`; timestamps are `Timestamp(Millisecond, "UTC")`;
//! closed vocabularies are `Dictionary(Int8, Utf8)`; measures are `Float64`.

use std::sync::Arc;

use arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};

/// The timestamp type of every time column.
pub fn timestamp_type() -> DataType {
    DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into()))
}

/// The type of every dictionary-encoded string column.
pub fn dictionary_type() -> DataType {
    DataType::Dictionary(Box::new(DataType::Int8), Box::new(DataType::Utf8))
}

/// Column names, grouped by file. Readers look columns up by these names, never by position.
pub mod col {
    /// `persons.parquet` and `truth_persons.parquet`, and target lists: the person id.
    pub const PERSON_ID: &str = "person_id";
    /// `persons.parquet`: region code.
    pub const REGION: &str = "region";
    /// `persons.parquet`: age band, e.g. `"25-34"`.
    pub const AGE_BAND: &str = "age_band";
    /// `persons.parquet`: when the account was created.
    pub const JOINED_AT: &str = "joined_at";
    /// `truth_persons.parquet`: household id.
    pub const HOUSEHOLD_ID: &str = "household_id";
    /// `truth_persons.parquet`: workplace id (null when none).
    pub const WORKPLACE_ID: &str = "workplace_id";
    /// `truth_persons.parquet`: school id (null when none).
    pub const SCHOOL_ID: &str = "school_id";
    /// `truth_persons.parquet`: [`crate::AccountType`].
    pub const ACCOUNT_TYPE: &str = "account_type";
    /// `truth_persons.parquet`: relative activity level (1.0 = typical).
    pub const ACTIVITY: &str = "activity";
    /// `truth_persons.parquet`: true for a person who hides their closest ties (only under
    /// the generator's evasion scenario; false for everyone else).
    pub const EVADER: &str = "evader";

    /// `ties.parquet` and `events`: one endpoint (the sender, for events).
    pub const SRC: &str = "src";
    /// `ties.parquet` and `events`: the other endpoint (the receiver, for events).
    pub const DST: &str = "dst";
    /// `ties.parquet`: when the friendship was formed (may be before the window).
    pub const FORMED_AT: &str = "formed_at";
    /// `ties.parquet` (user data only): an aggregated, non-negative tie weight.
    pub const WEIGHT: &str = "weight";

    /// `events`: [`crate::Channel`].
    pub const CHANNEL: &str = "channel";
    /// `events`: when it happened.
    pub const TS: &str = "ts";
    /// `events`: call duration in seconds or transfer amount; null otherwise.
    pub const VALUE: &str = "value";
    /// `events`, `groups`, `group_members`: the group chat (null for non-group events).
    pub const GROUP_ID: &str = "group_id";

    /// `groups.parquet`: what the group is about (`family`, `work`, `school`, `interest`, `neighbourhood`).
    pub const GROUP_KIND: &str = "kind";
    /// `groups.parquet`: when the group was created.
    pub const CREATED_AT: &str = "created_at";

    /// Truth, rankings and audiences: a friend of `target` (the one described, ranked, or
    /// shown a notice). One name in every file, so an audience joins the truth on
    /// `(target, alter)` to count the strangers it reached.
    pub const ALTER: &str = "alter";
    /// `truth_closeness.parquet`: Dunbar layer 1 (innermost) .. 5, or 6 for other friends.
    pub const LAYER: &str = "layer";
    /// `truth_closeness.parquet`: [`crate::Relation`].
    pub const RELATION: &str = "relation";
    /// `truth_closeness.parquet`: latent closeness of `alter` to `target`, in `[0, 1]`.
    pub const CLOSENESS: &str = "closeness";

    /// Truth, rankings, audiences, exposure and compare outputs: the person whose circle of
    /// friends a row describes (ranks, selects for, evaluates). One name in every file, so
    /// the truth joins a ranking with `USING (target, alter)`.
    pub const TARGET: &str = "target";
    /// The name [`TARGET`] had in the truth's closeness table before output format 2; readers
    /// name it in the error that asks for the new one.
    pub const OLD_EGO: &str = "ego";
    /// Rankings: the heuristic's command-line name.
    pub const HEURISTIC: &str = "heuristic";
    /// Rankings: 1-based rank within (target, heuristic).
    pub const RANK: &str = "rank";
    /// Rankings: the heuristic's score (higher is closer).
    pub const SCORE: &str = "score";

    /// Audiences: 1-based position among the target's *selected* friends by descending score.
    /// Not a ranking's `rank` (among all friends): they differ when someone above was withheld
    /// (opt-out, evidence filter), so the two never share a name.
    pub const SELECTION_RANK: &str = "selection_rank";
    /// Audiences: the calibrated probability that `alter` is close to `target` (null when
    /// no calibration was given).
    pub const PROBABILITY: &str = "probability";
    /// Audiences: the main evidence for the selection (a channel name, or `structure`).
    pub const REASON: &str = "reason";
    /// Exposure: the target's friends in the dataset, before opt-outs and evidence filters.
    pub const NUM_CANDIDATES: &str = "num_candidates";
    /// Exposure: notices sent about the target.
    pub const NUM_SELECTED: &str = "num_selected";
    /// Exposure: `Σ (1 − p)` over the target's selected people (null when uncalibrated).
    pub const EXPECTED_COLLATERAL: &str = "expected_collateral";

    /// Compare outputs: the cut-off of a top-k metric (null for metrics over all friends).
    pub const K: &str = "k";
    /// Compare outputs: the metric's name (`precision`, `recall`, `ndcg`, `exposure`,
    /// `average_precision`, `auc`, `wall_seconds`, ...).
    pub const METRIC: &str = "metric";
    /// Compare outputs: the subset described (`all`, `degree:10-49`, `relation:family`,
    /// `layer:2`).
    pub const STRATUM: &str = "stratum";
    /// Compare outputs: lower end of the bootstrap confidence interval (null without one).
    pub const CI_LOW: &str = "ci_low";
    /// Compare outputs: upper end of the bootstrap confidence interval.
    pub const CI_HIGH: &str = "ci_high";
    /// Compare outputs: number of targets that entered a mean. A count, so `num_`: never
    /// confused with the id column `target`.
    pub const NUM_TARGETS: &str = "num_targets";
    /// Compare outputs: the target's number of friends.
    pub const DEGREE: &str = "degree";
    /// Compare outputs: the target's degree bucket, spelled as its stratum (`degree:1-9`,
    /// `degree:10-49`, ...) so that it equals `metrics.stratum` for that bucket.
    pub const DEGREE_BUCKET: &str = "degree_bucket";
    /// Compare outputs: the first heuristic of an agreement pair.
    pub const HEURISTIC_A: &str = "heuristic_a";
    /// Compare outputs: the second heuristic of an agreement pair.
    pub const HEURISTIC_B: &str = "heuristic_b";
    /// Compare outputs: the agreement measure (`jaccard`, `kendall_tau_b`).
    pub const MEASURE: &str = "measure";
}

/// The outermost Dunbar layer number used for "every other friend".
pub const OUTSIDE_LAYERS: i8 = 6;

fn schema(fields: Vec<Field>) -> SchemaRef {
    Arc::new(Schema::new(fields))
}

/// `persons.parquet`: observable attributes only (nothing that reveals closeness).
pub fn persons() -> SchemaRef {
    schema(vec![
        Field::new(col::PERSON_ID, DataType::Int64, false),
        Field::new(col::REGION, DataType::Int32, false),
        Field::new(col::AGE_BAND, dictionary_type(), false),
        Field::new(col::JOINED_AT, timestamp_type(), false),
    ])
}

/// `truth_persons.parquet`: latent attributes the generator used (ground truth).
pub fn truth_persons() -> SchemaRef {
    schema(vec![
        Field::new(col::PERSON_ID, DataType::Int64, false),
        Field::new(col::HOUSEHOLD_ID, DataType::Int64, false),
        Field::new(col::WORKPLACE_ID, DataType::Int64, true),
        Field::new(col::SCHOOL_ID, DataType::Int64, true),
        Field::new(col::ACCOUNT_TYPE, dictionary_type(), false),
        Field::new(col::ACTIVITY, DataType::Float64, false),
        Field::new(col::EVADER, DataType::Boolean, false),
    ])
}

/// `ties.parquet` as the generator writes it: one row per undirected friendship.
pub fn ties() -> SchemaRef {
    schema(vec![
        Field::new(col::SRC, DataType::Int64, false),
        Field::new(col::DST, DataType::Int64, false),
        Field::new(col::FORMED_AT, timestamp_type(), true),
    ])
}

/// `ties.parquet` for users with aggregated data: a `weight` column and no events.
pub fn weighted_ties() -> SchemaRef {
    schema(vec![
        Field::new(col::SRC, DataType::Int64, false),
        Field::new(col::DST, DataType::Int64, false),
        Field::new(col::WEIGHT, DataType::Float64, false),
    ])
}

/// `events/part-NNNNN.parquet`: one row per interaction.
pub fn events() -> SchemaRef {
    schema(vec![
        Field::new(col::SRC, DataType::Int64, false),
        Field::new(col::DST, DataType::Int64, false),
        Field::new(col::CHANNEL, dictionary_type(), false),
        Field::new(col::TS, timestamp_type(), false),
        Field::new(col::VALUE, DataType::Float64, true),
        Field::new(col::GROUP_ID, DataType::Int64, true),
    ])
}

/// `groups.parquet`.
pub fn groups() -> SchemaRef {
    schema(vec![
        Field::new(col::GROUP_ID, DataType::Int64, false),
        Field::new(col::GROUP_KIND, dictionary_type(), false),
        Field::new(col::CREATED_AT, timestamp_type(), false),
    ])
}

/// `group_members.parquet`.
pub fn group_members() -> SchemaRef {
    schema(vec![
        Field::new(col::GROUP_ID, DataType::Int64, false),
        Field::new(col::PERSON_ID, DataType::Int64, false),
    ])
}

/// `truth_closeness.parquet`: one row per directed tie (target, alter).
pub fn closeness() -> SchemaRef {
    schema(vec![
        Field::new(col::TARGET, DataType::Int64, false),
        Field::new(col::ALTER, DataType::Int64, false),
        Field::new(col::LAYER, DataType::Int8, false),
        Field::new(col::RELATION, dictionary_type(), false),
        Field::new(col::CLOSENESS, DataType::Float64, false),
    ])
}

/// Output of `tierank rank`: long format, one row per (target, heuristic, rank).
pub fn rankings() -> SchemaRef {
    schema(vec![
        Field::new(col::TARGET, DataType::Int64, false),
        Field::new(col::HEURISTIC, dictionary_type(), false),
        Field::new(col::RANK, DataType::Int32, false),
        Field::new(col::ALTER, DataType::Int64, false),
        Field::new(col::SCORE, DataType::Float64, false),
    ])
}

/// Output of `tierank select`: one row per notice, `alter` is shown a notice about `target`.
///
/// Rows are sorted by (target input order, selection_rank); `selection_rank` counts the
/// target's selected people only, so a gap never reveals that someone above was withheld.
pub fn audiences() -> SchemaRef {
    schema(vec![
        Field::new(col::TARGET, DataType::Int64, false),
        Field::new(col::ALTER, DataType::Int64, false),
        Field::new(col::SELECTION_RANK, DataType::Int32, false),
        Field::new(col::SCORE, DataType::Float64, false),
        Field::new(col::PROBABILITY, DataType::Float64, true),
        Field::new(col::REASON, dictionary_type(), false),
    ])
}

/// Output of `tierank select`: one row per target, in target input order.
///
/// Counts are `Int64` rather than unsigned so that every client reads them without casts.
pub fn exposure() -> SchemaRef {
    schema(vec![
        Field::new(col::TARGET, DataType::Int64, false),
        Field::new(col::NUM_CANDIDATES, DataType::Int64, false),
        Field::new(col::NUM_SELECTED, DataType::Int64, false),
        Field::new(col::EXPECTED_COLLATERAL, DataType::Float64, true),
    ])
}

/// Output of `tierank compare`: `metrics.parquet`, long format, one row per (heuristic, k,
/// metric, stratum). `value` of metric `wall_seconds` is a measurement, not reproducible.
pub fn metrics() -> SchemaRef {
    schema(vec![
        Field::new(col::HEURISTIC, dictionary_type(), false),
        Field::new(col::K, DataType::Int32, true),
        Field::new(col::METRIC, dictionary_type(), false),
        Field::new(col::VALUE, DataType::Float64, false),
        Field::new(col::CI_LOW, DataType::Float64, true),
        Field::new(col::CI_HIGH, DataType::Float64, true),
        Field::new(col::STRATUM, dictionary_type(), false),
        Field::new(col::NUM_TARGETS, DataType::Int64, false),
    ])
}

/// Output of `tierank compare`: `per_target.parquet`, one row per (target, heuristic, k,
/// metric, stratum) where the metric is defined.
pub fn per_target() -> SchemaRef {
    schema(vec![
        Field::new(col::TARGET, DataType::Int64, false),
        Field::new(col::DEGREE, DataType::Int64, false),
        Field::new(col::DEGREE_BUCKET, dictionary_type(), false),
        Field::new(col::HEURISTIC, dictionary_type(), false),
        Field::new(col::K, DataType::Int32, true),
        Field::new(col::METRIC, dictionary_type(), false),
        Field::new(col::STRATUM, dictionary_type(), false),
        Field::new(col::VALUE, DataType::Float64, false),
    ])
}

/// Output of `tierank compare`: `agreement.parquet`, one row per (pair of heuristics,
/// measure, k), the mean over targets with its bootstrap interval.
pub fn agreement() -> SchemaRef {
    schema(vec![
        Field::new(col::HEURISTIC_A, dictionary_type(), false),
        Field::new(col::HEURISTIC_B, dictionary_type(), false),
        Field::new(col::K, DataType::Int32, true),
        Field::new(col::MEASURE, dictionary_type(), false),
        Field::new(col::VALUE, DataType::Float64, false),
        Field::new(col::CI_LOW, DataType::Float64, true),
        Field::new(col::CI_HIGH, DataType::Float64, true),
        Field::new(col::NUM_TARGETS, DataType::Int64, false),
    ])
}
