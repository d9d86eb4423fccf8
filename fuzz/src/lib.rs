//! A fuzz harness for every reader of user input, on the stable toolchain.
//!
//! cargo-fuzz needs a nightly compiler that our machines cannot fetch, so this crate drives
//! the readers itself: input `i` of a campaign is a pure function of `(reader, seed, i)`,
//! drawn either by mutating the bytes of a committed seed file ([`mutate::mutate_bytes`]:
//! bit flips, byte insert/delete/duplicate, truncation, splicing, integer extremes) or by
//! generating a structurally valid file with adversarial values ([`tables`] for Parquet,
//! [`mutate::mutate_json`] for JSON, small grammars for CSV, TOML and policy strings).
//! Each input is written where the reader expects it (a dataset directory or a file on a
//! RAM disk) and read through the same public function the CLI calls.
//!
//! # Crate layout
//! - [`Reader`]: the readers, their seeds, input generation and the call under test.
//! - [`Ctx`]: the scratch directories and the fixed dataset the fuzzed file joins.
//! - `src/main.rs`: the driver (chunks in child processes under a memory limit, panic and
//!   abort accounting, crash files). See `docs/reliability.md`.

pub mod mutate;
pub mod tables;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{
    ArrayRef, DictionaryArray, Float64Array, Int64Array, TimestampMillisecondArray,
};
use arrow::datatypes::Int32Type;
use arrow::record_batch::RecordBatch;
use parquet::arrow::ArrowWriter;
use tierank_format::layout::DatasetPaths;
use tierank_graph::{Graph, NodeId};
use tierank_heuristics::{Heuristic, Scratch};

use mutate::{Rng, mutate_bytes, mutate_json};
use tables::{Adversity, TableSpec};

/// Largest input a mutation may grow to.
const MAX_INPUT: usize = 1 << 20;

/// A reader of user input under test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reader {
    /// `persons.parquet` through `tierank_io::load_graph`.
    Persons,
    /// `ties.parquet` through `tierank_io::load_graph`.
    Ties,
    /// `events/*.parquet` through `tierank_io::load_graph`.
    Events,
    /// `truth_closeness.parquet` through `tierank_io::read_truth`.
    Truth,
    /// CSV target and opt-out lists through `tierank_io::read_person_ids`.
    IdsCsv,
    /// Parquet target and opt-out lists through `tierank_io::read_person_ids`.
    IdsParquet,
    /// `model.json` through `LearnedHeuristic::from_file`, then scoring every person.
    Model,
    /// `calibration.json` through `CalibrationFile::load`, then its contract.
    Calibration,
    /// `audit.json` through `AuditRecord::from_json` and `verify`.
    Audit,
    /// `--policy` strings through `Policy::from_str` and back through `Display`.
    Policy,
    /// `manifest.json` through `Manifest::read`.
    Manifest,
    /// `generate --config` TOML through `ConfigOverrides::from_toml`, `resolve`, `validate`.
    GenConfig,
}

impl Reader {
    /// Every reader, in campaign order.
    pub const ALL: [Reader; 12] = [
        Reader::Persons,
        Reader::Ties,
        Reader::Events,
        Reader::Truth,
        Reader::IdsCsv,
        Reader::IdsParquet,
        Reader::Model,
        Reader::Calibration,
        Reader::Audit,
        Reader::Policy,
        Reader::Manifest,
        Reader::GenConfig,
    ];

    /// The command-line name.
    pub fn name(self) -> &'static str {
        match self {
            Reader::Persons => "persons",
            Reader::Ties => "ties",
            Reader::Events => "events",
            Reader::Truth => "truth",
            Reader::IdsCsv => "ids-csv",
            Reader::IdsParquet => "ids-parquet",
            Reader::Model => "model",
            Reader::Calibration => "calibration",
            Reader::Audit => "audit",
            Reader::Policy => "policy",
            Reader::Manifest => "manifest",
            Reader::GenConfig => "gen-config",
        }
    }

    /// The reader called `name`.
    pub fn from_name(name: &str) -> Option<Reader> {
        Reader::ALL.into_iter().find(|r| r.name() == name)
    }

    /// The Parquet table this reader reads, if it reads one.
    fn table(self) -> Option<TableSpec> {
        match self {
            Reader::Persons => Some(tables::PERSONS),
            Reader::Ties => Some(tables::TIES),
            Reader::Events => Some(tables::EVENTS),
            Reader::Truth => Some(tables::TRUTH),
            Reader::IdsParquet => Some(tables::IDS_TABLE),
            _ => None,
        }
    }

    /// The directory of its committed seeds.
    pub fn corpus_dir(self) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("corpus")
            .join(self.name())
    }

    /// Reads the committed seeds (sorted by file name).
    ///
    /// # Errors
    /// When the corpus directory cannot be read or is empty.
    pub fn seeds(self) -> Result<Vec<Vec<u8>>, String> {
        let dir = self.corpus_dir();
        let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
            .map_err(|e| format!("{}: {e} (run --write-corpus)", dir.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file())
            .collect();
        paths.sort();
        let seeds: Vec<Vec<u8>> = paths
            .iter()
            .map(|p| std::fs::read(p).map_err(|e| format!("{}: {e}", p.display())))
            .collect::<Result<_, _>>()?;
        if seeds.is_empty() {
            return Err(format!("{}: no seed files", dir.display()));
        }
        Ok(seeds)
    }

    /// Input `index` of the campaign with this `seed`.
    pub fn input(self, seeds: &[Vec<u8>], seed: u64, index: u64) -> Vec<u8> {
        let mut rng = Rng::for_input(self.name(), seed, index);
        let base = rng.pick(seeds).clone();
        let other = rng.pick(seeds).clone();
        let mut data = match rng.below(4) {
            // A structurally valid input with adversarial values.
            0 | 1 => self.structured(&mut rng, &base),
            // A seed as it is, mutated below.
            _ => base,
        };
        if data.is_empty() || !rng.one_in(3) {
            mutate_bytes(&mut rng, &mut data, &other, MAX_INPUT);
        }
        data
    }

    fn structured(self, rng: &mut Rng, base: &[u8]) -> Vec<u8> {
        if let Some(spec) = self.table() {
            return tables::generate(
                rng,
                spec,
                Adversity {
                    values: true,
                    schema: true,
                },
            );
        }
        match self {
            Reader::IdsCsv => csv_ids(rng),
            Reader::Policy => policy_text(rng),
            Reader::GenConfig => toml_config(rng, base),
            _ => match serde_json::from_slice::<serde_json::Value>(base) {
                Ok(mut v) => {
                    mutate_json(rng, &mut v);
                    if rng.one_in(2) {
                        serde_json::to_vec_pretty(&v).unwrap_or_default()
                    } else {
                        serde_json::to_vec(&v).unwrap_or_default()
                    }
                }
                Err(_) => base.to_vec(),
            },
        }
    }

    /// Runs the reader on `data`. `Ok(())` when it accepted the input; `Err(kind)` with the
    /// error's variant name when it refused it. A panic is a finding (the caller catches it).
    ///
    /// # Errors
    /// The kind of error the reader returned, or a scratch-file failure (`harness-io`).
    pub fn run(self, ctx: &Ctx, data: &[u8]) -> Result<(), String> {
        let put = |path: &Path| std::fs::write(path, data).map_err(|_| "harness-io".to_owned());
        let strict = data.len() % 2 == 1;
        let load = |dir: &Path| {
            let opts = tierank_io::LoadOptions {
                strict,
                ..Default::default()
            };
            tierank_io::load_graph(dir, &opts).map(drop).map_err(kind)
        };
        match self {
            Reader::Persons => {
                put(&DatasetPaths::new(&ctx.persons).persons())?;
                load(&ctx.persons)
            }
            Reader::Ties => {
                put(&DatasetPaths::new(&ctx.ties).ties())?;
                load(&ctx.ties)
            }
            Reader::Events => {
                put(&DatasetPaths::new(&ctx.events)
                    .events_dir()
                    .join("part-00000.parquet"))?;
                load(&ctx.events)
            }
            Reader::Truth => {
                put(&DatasetPaths::new(&ctx.truth).closeness())?;
                tierank_io::read_truth(&ctx.truth).map(drop).map_err(kind)
            }
            Reader::IdsCsv | Reader::IdsParquet => {
                let path = ctx.files.join(if self == Reader::IdsCsv {
                    "ids.csv"
                } else {
                    "ids.parquet"
                });
                put(&path)?;
                // Both kinds of list: opt-outs allow repeats, targets refuse them.
                tierank_io::read_person_ids(&path, tierank_io::IdList::OptOuts).map_err(kind)?;
                let ids = tierank_io::read_person_ids(&path, tierank_io::IdList::Targets)
                    .map_err(kind)?;
                tierank_io::resolve_targets(&ctx.graph, &ids)
                    .map(drop)
                    .map_err(kind)
            }
            Reader::Model => {
                let path = ctx.files.join("model.json");
                put(&path)?;
                let h =
                    tierank_eval::LearnedHeuristic::from_file(&path, &ctx.graph).map_err(kind)?;
                let mut scratch = Scratch::new();
                let mut out = Vec::new();
                for u in 0..ctx.graph.num_nodes() {
                    h.score(&ctx.graph, NodeId(u as u32), &mut scratch, &mut out);
                }
                Ok(())
            }
            Reader::Calibration => {
                let path = ctx.files.join("calibration.json");
                put(&path)?;
                let file = tierank_eval::CalibrationFile::load(&path).map_err(kind)?;
                // The contract selection relies on: at every rank position and degree, a
                // monotone map into [0, 1].
                for (rank, degree) in [(1, 1), (1, 100), (5, 40), (12, 300), (60, 5_000)] {
                    let mut last = 0.0;
                    for s in [f64::MIN, -1e9, -1.0, 0.0, 0.5, 1.0, 10.0, 1e9, f64::MAX] {
                        let p = file.probability(s, rank, degree);
                        assert!(
                            (0.0..=1.0).contains(&p) && p >= last,
                            "a loaded calibration maps {s} at rank {rank}, degree {degree} \
                             to {p} (previous {last})"
                        );
                        last = p;
                    }
                }
                Ok(())
            }
            Reader::Audit => {
                // As `tierank audit verify` reads it.
                let text = std::str::from_utf8(data).map_err(|_| "Utf8".to_owned())?;
                let record = tierank_select::AuditRecord::from_json(text)
                    .map_err(|e| format!("Json:{:?}", e.classify()))?;
                assert!(
                    tierank_select::verify(&record, &record).is_empty(),
                    "a record differs from itself"
                );
                let _ = tierank_select::verify(&record, &ctx.audit);
                let _ = tierank_select::verify(&ctx.audit, &record);
                let again = record.to_json().expect("a parsed record serialises");
                let back = tierank_select::AuditRecord::from_json(&again)
                    .expect("a written record parses");
                assert!(back == record, "an audit record does not round-trip");
                Ok(())
            }
            Reader::Policy => {
                let text = String::from_utf8_lossy(data);
                let policy: tierank_select::Policy = text.parse().map_err(kind)?;
                let canonical = policy.to_string();
                let back: tierank_select::Policy = canonical
                    .parse()
                    .unwrap_or_else(|e| panic!("canonical form '{canonical}' refused: {e}"));
                assert_eq!(
                    back, policy,
                    "'{text}' does not round-trip via '{canonical}'"
                );
                Ok(())
            }
            Reader::Manifest => {
                let path = ctx.files.join("manifest.json");
                put(&path)?;
                tierank_format::manifest::Manifest::read(&path)
                    .map(drop)
                    .map_err(kind)
            }
            Reader::GenConfig => {
                let text = std::str::from_utf8(data).map_err(|_| "Utf8".to_owned())?;
                let layer =
                    tierank_datagen::ConfigOverrides::from_toml(text, "fuzz.toml").map_err(kind)?;
                let config = tierank_datagen::ConfigOverrides::resolve(&[&layer]).map_err(kind)?;
                config.validate().map_err(kind)
            }
        }
    }
}

/// The variant name of an error, from its `Debug` form (`BadValue { .. }` → `BadValue`).
fn kind(e: impl std::fmt::Debug) -> String {
    let text = format!("{e:?}");
    let end = text
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(text.len());
    text[..end].to_owned()
}

/// Scratch directories (one dataset per Parquet reader, holding the fixed files the fuzzed
/// one joins) and the fixed graph and audit record the model and audit readers use.
pub struct Ctx {
    root: PathBuf,
    persons: PathBuf,
    ties: PathBuf,
    events: PathBuf,
    truth: PathBuf,
    files: PathBuf,
    graph: Graph,
    audit: tierank_select::AuditRecord,
}

impl std::fmt::Debug for Ctx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ctx").field("root", &self.root).finish()
    }
}

impl Ctx {
    /// Creates the scratch directories under `root` (best on a RAM disk) and the fixed files.
    ///
    /// # Errors
    /// When the directories or files cannot be written or the fixed dataset does not load.
    pub fn new(root: &Path) -> Result<Ctx, String> {
        let err = |e: &dyn std::fmt::Display| format!("{}: {e}", root.display());
        let sub = |name: &str| root.join(name);
        let ctx_dirs = ["persons", "ties", "events", "truth", "files", "base"];
        for d in ctx_dirs {
            std::fs::create_dir_all(sub(d)).map_err(|e| err(&e))?;
        }
        std::fs::create_dir_all(sub("events").join("events")).map_err(|e| err(&e))?;
        std::fs::create_dir_all(sub("base").join("events")).map_err(|e| err(&e))?;
        let base = base_files();
        let write = |path: PathBuf, bytes: &[u8]| std::fs::write(&path, bytes).map_err(|e| err(&e));
        for dir in ["persons", "ties", "events", "base"] {
            write(sub(dir).join("ties.parquet"), &base.ties)?;
        }
        for dir in ["ties", "base"] {
            write(sub(dir).join("persons.parquet"), &base.persons)?;
        }
        write(
            sub("base").join("events").join("part-00000.parquet"),
            &base.events,
        )?;
        let (graph, _) = tierank_io::load_graph(&sub("base"), &tierank_io::LoadOptions::default())
            .map_err(|e| err(&e))?;
        let audit_seed = Reader::Audit.seeds()?;
        let audit = std::str::from_utf8(&audit_seed[0])
            .ok()
            .and_then(|t| tierank_select::AuditRecord::from_json(t).ok())
            .ok_or_else(|| "the first audit seed is not a valid record".to_owned())?;
        Ok(Ctx {
            persons: sub("persons"),
            ties: sub("ties"),
            events: sub("events"),
            truth: sub("truth"),
            files: sub("files"),
            root: root.to_owned(),
            graph,
            audit,
        })
    }

    /// The scratch root.
    pub fn root(&self) -> &Path {
        &self.root
    }
}

/// The fixed dataset: people 1 to 9 (9 without friends), a ring of 8 plus chords, and a
/// few events on every channel.
pub struct BaseFiles {
    /// `ties.parquet`.
    pub ties: Vec<u8>,
    /// `persons.parquet`.
    pub persons: Vec<u8>,
    /// `events/part-00000.parquet`.
    pub events: Vec<u8>,
}

fn parquet(columns: Vec<(&str, ArrayRef)>) -> Vec<u8> {
    let batch = RecordBatch::try_from_iter(columns).expect("equal lengths");
    let mut out = Vec::new();
    let mut w = ArrowWriter::try_new(&mut out, batch.schema(), None).expect("writer");
    w.write(&batch).expect("write");
    w.close().expect("close");
    out
}

/// Builds the fixed dataset's files.
pub fn base_files() -> BaseFiles {
    let ties: Vec<(i64, i64)> = (1..=8)
        .map(|i| (i, i % 8 + 1))
        .chain([(1, 5), (2, 6), (3, 7)])
        .collect();
    let weights: Vec<f64> = (0..ties.len()).map(|i| 1.0 + i as f64).collect();
    let ties_bytes = parquet(vec![
        (
            "src",
            Arc::new(Int64Array::from_iter_values(ties.iter().map(|t| t.0))),
        ),
        (
            "dst",
            Arc::new(Int64Array::from_iter_values(ties.iter().map(|t| t.1))),
        ),
        ("weight", Arc::new(Float64Array::from(weights))),
    ]);
    let persons = parquet(vec![(
        "person_id",
        Arc::new(Int64Array::from_iter_values(1..=9)),
    )]);
    let mut src = Vec::new();
    let mut dst = Vec::new();
    let mut channel = Vec::new();
    let mut ts = Vec::new();
    let mut value = Vec::new();
    for (k, &(a, b)) in ties.iter().enumerate() {
        for j in 0..3usize {
            let c = tables::CHANNELS[(k + j) % tables::CHANNELS.len()];
            let (s, d) = if j == 1 { (b, a) } else { (a, b) };
            src.push(s);
            dst.push(d);
            channel.push(c);
            ts.push(tables::T0_MS + (k * 3 + j) as i64 * 3_600_000 * 7);
            value.push(matches!(c, "call" | "transfer").then_some(10.0 + j as f64));
        }
    }
    let events = parquet(vec![
        ("src", Arc::new(Int64Array::from(src))),
        ("dst", Arc::new(Int64Array::from(dst))),
        (
            "channel",
            Arc::new(channel.into_iter().collect::<DictionaryArray<Int32Type>>()),
        ),
        (
            "ts",
            Arc::new(TimestampMillisecondArray::from(ts).with_timezone("UTC")),
        ),
        ("value", Arc::new(Float64Array::from(value))),
    ]);
    BaseFiles {
        ties: ties_bytes,
        persons,
        events,
    }
}

/// Writes the generated part of the seed corpus (the Parquet readers, CSV ids and policy
/// strings); the JSON and TOML seeds are real files of `tierank` runs, committed by hand.
///
/// # Errors
/// When a file cannot be written.
pub fn write_corpus() -> Result<(), String> {
    let write = |reader: Reader, name: &str, bytes: &[u8]| {
        let dir = reader.corpus_dir();
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        std::fs::write(dir.join(name), bytes).map_err(|e| format!("{}: {e}", dir.display()))
    };
    let base = base_files();
    write(Reader::Persons, "persons.parquet", &base.persons)?;
    write(Reader::Ties, "ties.parquet", &base.ties)?;
    write(Reader::Events, "part-00000.parquet", &base.events)?;
    write(Reader::IdsParquet, "ids.parquet", &base.persons)?;
    for reader in [
        Reader::Persons,
        Reader::Ties,
        Reader::Events,
        Reader::Truth,
        Reader::IdsParquet,
    ] {
        let spec = reader.table().expect("a table reader");
        for i in 0..3 {
            let mut rng = Rng::for_input("corpus", 0, i);
            let bytes = tables::generate(
                &mut rng,
                spec,
                Adversity {
                    values: false,
                    schema: false,
                },
            );
            write(reader, &format!("valid-{i}.parquet"), &bytes)?;
        }
    }
    write(Reader::IdsCsv, "header.csv", b"person_id\n1\n2\n3\n")?;
    write(
        Reader::IdsCsv,
        "two-columns.csv",
        b"name,person_id\n\"a\",4\nb,5\n",
    )?;
    write(Reader::IdsCsv, "no-header.csv", b"1\n2\n")?;
    write(
        Reader::IdsCsv,
        "bom-crlf.csv",
        b"\xef\xbb\xbfperson_id\r\n7\r\n\r\n8\r\n",
    )?;
    for (i, p) in [
        "top-k:3",
        "threshold:0.5",
        "coverage:80",
        "probability:0.9",
        "budget:1000,cap:3",
        "budget:10",
    ]
    .iter()
    .enumerate()
    {
        write(Reader::Policy, &format!("policy-{i}.txt"), p.as_bytes())?;
    }
    Ok(())
}

/// A CSV id list from small grammars: header variants, id fields valid and not.
fn csv_ids(rng: &mut Rng) -> Vec<u8> {
    let headers = [
        "person_id",
        "\u{feff}person_id",
        "\"person_id\"",
        "id",
        "name,person_id",
        "person_id,person_id",
        "",
        " , ",
    ];
    let fields = [
        "1",
        "2",
        "9",
        "10",
        "0",
        "-1",
        "-0",
        "+5",
        " 7 ",
        "\"3\"",
        "\"\"",
        "",
        "1.0",
        "1e3",
        "0x10",
        "abc",
        "٣",
        "9223372036854775807",
        "-9223372036854775808",
        "9223372036854775808",
        "99999999999999999999999",
        "NaN",
        "\"4",
    ];
    let mut out = String::new();
    if !rng.one_in(4) {
        out.push_str(rng.pick::<&str>(&headers));
        out.push_str(if rng.one_in(4) { "\r\n" } else { "\n" });
    }
    for _ in 0..rng.below(12) {
        let n = 1 + usize::from(rng.one_in(5)) + usize::from(rng.one_in(10));
        let row: Vec<&str> = (0..n).map(|_| *rng.pick(&fields)).collect();
        out.push_str(&row.join(","));
        out.push_str(rng.pick::<&str>(&["\n", "\r\n", "\n\n", ""]));
        if rng.one_in(3) {
            out.push('\n');
        }
    }
    out.into_bytes()
}

/// A policy string from its grammar with adversarial numbers.
fn policy_text(rng: &mut Rng) -> Vec<u8> {
    let names = [
        "top-k",
        "threshold",
        "coverage",
        "probability",
        "budget",
        "TOP-K",
        "",
        "top_k",
        "cap",
    ];
    let numbers = [
        "0",
        "1",
        "3",
        "-1",
        "-0",
        "0.5",
        "1.0",
        "100",
        "100.0000001",
        "1e-320",
        "NaN",
        "nan",
        "inf",
        "-inf",
        "infinity",
        "1e309",
        "4294967295",
        "4294967296",
        "18446744073709551615",
        "18446744073709551616",
        " 5",
        "5 ",
        "+5",
        "0x10",
        "5.",
        ".5",
        "1_000",
        "",
        "٣",
    ];
    let mut s = format!("{}:{}", rng.pick(&names), rng.pick(&numbers));
    if rng.one_in(3) {
        s.push_str(&format!(
            ",{}:{}",
            rng.pick(&["cap", "budget", "k"]),
            rng.pick(&numbers)
        ));
    }
    if rng.one_in(8) {
        s.push_str(rng.pick::<&str>(&[":", ",", ",cap:", "::1", " "]));
    }
    s.into_bytes()
}

/// The seed TOML with one value replaced by an adversarial one.
fn toml_config(rng: &mut Rng, base: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(base);
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let keys = [
        "preset",
        "seed",
        "persons",
        "days",
        "start_date",
        "difficulty",
        "degree_scale",
        "max_degree",
        "layer_sizes",
        "layer_spread",
        "broadcaster_share",
        "spammer_share",
        "event_rate",
        "group_rate",
        "drop_channels",
        "sample_events",
        "chunk_persons",
    ];
    let values = [
        "0",
        "-1",
        "1",
        "nan",
        "inf",
        "-inf",
        "-0.0",
        "1e308",
        "5e-324",
        "9223372036854775807",
        "-9223372036854775808",
        "4294967295",
        "4294967296",
        "536870911",
        "536870912",
        "\"\"",
        "\"tiny\"",
        "\"nope\"",
        "\"2024-02-30\"",
        "\"0000-01-01\"",
        "\"9999-12-31\"",
        "\"-262144-01-01\"",
        "[]",
        "[1, 2, 3, 4, 5]",
        "[nan, 1, 1, 1, 1]",
        "[0, 0, 0, 0, 0]",
        "[\"message\", \"sms\"]",
        "[\"message\", \"message\"]",
        "true",
    ];
    for _ in 0..1 + rng.below(3) {
        let line = format!("{} = {}", rng.pick(&keys), rng.pick(&values));
        if !lines.is_empty() && rng.one_in(2) {
            let i = rng.below(lines.len());
            lines[i] = line;
        } else {
            lines.push(line);
        }
    }
    lines.join("\n").into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reader_names_round_trip() {
        for r in Reader::ALL {
            assert_eq!(Reader::from_name(r.name()), Some(r));
        }
        let e = "nope".parse::<tierank_select::Policy>().unwrap_err();
        assert_eq!(kind(e), "Unknown");
    }
}
